# tests/codegen/codegen.cmake -- the kernel emitter and the OpenCL executor
# (codegen/emit*.c, codegen/templates/*.cl, runtime/execute.c,
# runtime/memplan.c; docs/codegen.md) and their tests.
#
# Include from the top-level CMakeLists.txt after fusion/fusion.cmake:
#   include(tests/codegen/codegen.cmake)
# Like fusion.cmake it defers its work until dnnf_lib and dnnf exist, so it
# may also be loaded through CMAKE_PROJECT_INCLUDE.  Without it, the
# emitter and executor compile to nothing and `dnnf run` keeps only
# --reference.

if(DNNF_CODEGEN_CMAKE_LOADED)
  return()
endif()
set(DNNF_CODEGEN_CMAKE_LOADED ON)

function(dnnf_codegen_setup)
  set(gen ${CMAKE_BINARY_DIR}/gen)
  file(GLOB tmpls CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/codegen/templates/*.cl)
  add_custom_command(
    OUTPUT ${gen}/cg_templates.c
    COMMAND ${CMAKE_COMMAND} -DOUT=${gen}/cg_templates.c -DDIR=${CMAKE_SOURCE_DIR}/codegen/templates
            -P ${CMAKE_SOURCE_DIR}/codegen/templates.cmake
    DEPENDS ${tmpls} ${CMAKE_SOURCE_DIR}/codegen/templates.cmake
    COMMENT "embedding codegen/templates/*.cl")
  target_sources(dnnf_lib PRIVATE ${gen}/cg_templates.c)
  target_compile_definitions(dnnf_lib PUBLIC DNNF_HAVE_CODEGEN=1)

  # Template families on small graphs (label unit), then the shared models
  # fused on the default OpenCL device with --check (label model).  Every
  # test shares one kernel cache folder, so only the first run compiles.
  set(cache ${CMAKE_BINARY_DIR}/kernel-cache)
  file(GLOB cases CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/codegen/*.graph)
  foreach(c ${cases})
    get_filename_component(name ${c} NAME_WE)
    add_test(NAME codegen_${name}
             COMMAND sh ${CMAKE_SOURCE_DIR}/tests/codegen/run_graph.sh $<TARGET_FILE:dnnf> ${c})
    set_tests_properties(codegen_${name} PROPERTIES LABELS unit ENVIRONMENT DNNF_CACHE_DIR=${cache})
  endforeach()
  # The layout pass in what runs (runtime/split.c, docs/codegen.md "Block
  # splitting"): anchor split, read-through across blocks, --no-layout.
  foreach(name attention_output window_partition)
    add_test(NAME codegen_layout_${name}
             COMMAND sh ${CMAKE_SOURCE_DIR}/tests/codegen/run_layout.sh $<TARGET_FILE:dnnf>
                     ${CMAKE_SOURCE_DIR}/tests/codegen/${name}.graph)
    set_tests_properties(codegen_layout_${name} PROPERTIES LABELS unit
                         ENVIRONMENT DNNF_CACHE_DIR=${cache})
  endforeach()
  # write-through (runtime/split.c step 4, codegen/emit_write.c): Concat
  # pieces written in place, graph outputs written at transposed positions
  add_test(NAME codegen_layout_write_through
           COMMAND sh ${CMAKE_SOURCE_DIR}/tests/codegen/run_write.sh $<TARGET_FILE:dnnf>
                   ${CMAKE_SOURCE_DIR}/tests/codegen/write_through.graph 3 4)
  set_tests_properties(codegen_layout_write_through PROPERTIES LABELS unit
                       ENVIRONMENT DNNF_CACHE_DIR=${cache})
  set(models ${CMAKE_SOURCE_DIR}/../shared/models)
  # No kernel made only of Transpose/Reshape-like nodes in the transformer
  # and shuffle models (issue 7): `dnnf codegen` lists the blocks exactly
  # as they run and compiles nothing, so this is cheap.
  foreach(m vit_b_16 swin_t bert_base distilbert gpt2 llama_tiny convnext_tiny shufflenet_v2_x1_0)
    if(EXISTS ${models}/${m}.onnx)
      add_test(NAME model_layout_kernels_${m}
               COMMAND $<TARGET_FILE:dnnf> codegen ${models}/${m}.onnx
                       -o ${CMAKE_BINARY_DIR}/layout-kernels/${m} --random-weights 1
                       --forbid Transpose,Reshape,Flatten,Squeeze,Unsqueeze,DepthToSpace,SpaceToDepth)
      set_tests_properties(model_layout_kernels_${m} PROPERTIES LABELS model TIMEOUT 300)
      # the same for the layout pass alone: one block per node, unfused
      add_test(NAME model_layout_kernels_unfused_${m}
               COMMAND $<TARGET_FILE:dnnf> codegen ${models}/${m}.onnx --no-fuse
                       -o ${CMAKE_BINARY_DIR}/layout-kernels/unfused_${m} --random-weights 1
                       --forbid Transpose,Reshape,Flatten,Squeeze,Unsqueeze,DepthToSpace,SpaceToDepth)
      set_tests_properties(model_layout_kernels_unfused_${m} PROPERTIES LABELS model TIMEOUT 300)
    endif()
  endforeach()
  foreach(m squeezenet1_1 mobilenet_v2 shufflenet_v2_x1_0 efficientnet_b0 regnet_y_400mf
            resnet50 llama_tiny distilbert gpt2 swin_t)
    if(EXISTS ${models}/${m}.onnx)
      add_test(NAME model_run_${m}
               COMMAND sh ${CMAKE_SOURCE_DIR}/tests/codegen/run_model.sh $<TARGET_FILE:dnnf> ${models}/${m}.onnx)
      set_tests_properties(model_run_${m} PROPERTIES LABELS model TIMEOUT 900
                           ENVIRONMENT DNNF_CACHE_DIR=${cache})
    endif()
  endforeach()
  # NC4HW4 activations written by their Conv producers (DNNF_APPLY_BLOCKED=1,
  # docs/layout.md "Blocked layouts, measured"): an inverted-residual CNN
  if(EXISTS ${models}/mobilenet_v2.onnx)
    add_test(NAME model_run_blocked_mobilenet_v2
             COMMAND sh ${CMAKE_SOURCE_DIR}/tests/codegen/run_model.sh $<TARGET_FILE:dnnf>
                     ${models}/mobilenet_v2.onnx "layouts applied: [1-9][0-9]* .*, [1-9][0-9]* written so")
    set_tests_properties(model_run_blocked_mobilenet_v2 PROPERTIES LABELS model TIMEOUT 900
                         ENVIRONMENT "DNNF_CACHE_DIR=${cache};DNNF_APPLY_BLOCKED=1")
  endif()
  # The GPU family forced on the default device (tests/codegen/run_gpu.sh,
  # docs/gpu.md): graph cases (unit) and two models (model).
  foreach(c gpu_tiles matmul_epilogue matmul_batch_fold attention_scores conv_pool)
    add_test(NAME codegen_gpu_${c}
             COMMAND sh ${CMAKE_SOURCE_DIR}/tests/codegen/run_gpu.sh $<TARGET_FILE:dnnf>
                     ${CMAKE_SOURCE_DIR}/tests/codegen/${c}.graph ${CMAKE_BINARY_DIR}/gpu-codegen/${c})
    set_tests_properties(codegen_gpu_${c} PROPERTIES LABELS unit ENVIRONMENT DNNF_CACHE_DIR=${cache})
  endforeach()
  # the same with tiles the table picks only on larger devices: 8 x 8
  # work-groups, half-panel packed loads (BN = 8), a K-tile of 16
  add_test(NAME codegen_gpu_gpu_tiles_small
           COMMAND sh ${CMAKE_SOURCE_DIR}/tests/codegen/run_gpu.sh $<TARGET_FILE:dnnf>
                   ${CMAKE_SOURCE_DIR}/tests/codegen/gpu_tiles.graph)
  set_tests_properties(codegen_gpu_gpu_tiles_small PROPERTIES LABELS unit
                       ENVIRONMENT "DNNF_CACHE_DIR=${cache};DNNF_GPU_TILE=8,2,1,16")
  # A operands read four floats at a time (DNNF_GPU_AVEC=1, docs/gpu.md)
  add_test(NAME codegen_gpu_avec
           COMMAND sh ${CMAKE_SOURCE_DIR}/tests/codegen/run_gpu.sh $<TARGET_FILE:dnnf>
                   ${CMAKE_SOURCE_DIR}/tests/codegen/gpu_tiles.graph
                   ${CMAKE_BINARY_DIR}/gpu-codegen/avec "AVEC=1 AIW=0")
  set_tests_properties(codegen_gpu_avec PROPERTIES LABELS unit
                       ENVIRONMENT "DNNF_CACHE_DIR=${cache};DNNF_GPU_AVEC=1")
  # constant weights in an image2d_t (DNNF_IMAGES=1, docs/gpu.md): the
  # table's tiles and the small ones (half-panel texel reads)
  add_test(NAME codegen_gpu_images
           COMMAND sh ${CMAKE_SOURCE_DIR}/tests/codegen/run_gpu_images.sh $<TARGET_FILE:dnnf>
                   ${CMAKE_SOURCE_DIR}/tests/codegen/gpu_tiles.graph
                   ${CMAKE_BINARY_DIR}/gpu-codegen/images)
  set_tests_properties(codegen_gpu_images PROPERTIES LABELS unit ENVIRONMENT DNNF_CACHE_DIR=${cache})
  add_test(NAME codegen_gpu_images_small
           COMMAND sh ${CMAKE_SOURCE_DIR}/tests/codegen/run_gpu_images.sh $<TARGET_FILE:dnnf>
                   ${CMAKE_SOURCE_DIR}/tests/codegen/gpu_tiles.graph
                   ${CMAKE_BINARY_DIR}/gpu-codegen/images_small)
  set_tests_properties(codegen_gpu_images_small PROPERTIES LABELS unit
                       ENVIRONMENT "DNNF_CACHE_DIR=${cache};DNNF_GPU_TILE=8,2,1,16")
  # a transformer's products reading their activations through image2d_t
  # (docs/layout.md §4): the QKV, attention and MLP products of distilbert
  if(EXISTS ${models}/distilbert.onnx)
    add_test(NAME model_gpu_images_distilbert
             COMMAND sh ${CMAKE_SOURCE_DIR}/tests/codegen/run_gpu_images.sh $<TARGET_FILE:dnnf>
                     ${models}/distilbert.onnx ${CMAKE_BINARY_DIR}/gpu-codegen/images_distilbert)
    set_tests_properties(model_gpu_images_distilbert PROPERTIES LABELS model TIMEOUT 900
                         ENVIRONMENT DNNF_CACHE_DIR=${cache})
  endif()
  foreach(m squeezenet1_1 distilbert)
    if(EXISTS ${models}/${m}.onnx)
      add_test(NAME model_gpu_${m}
               COMMAND sh ${CMAKE_SOURCE_DIR}/tests/codegen/run_gpu.sh $<TARGET_FILE:dnnf>
                       ${models}/${m}.onnx ${CMAKE_BINARY_DIR}/gpu-codegen/${m})
      set_tests_properties(model_gpu_${m} PROPERTIES LABELS model TIMEOUT 900
                           ENVIRONMENT DNNF_CACHE_DIR=${cache})
    endif()
  endforeach()
endfunction()

if(TARGET dnnf_lib AND TARGET dnnf)
  dnnf_codegen_setup()
else()
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL dnnf_codegen_setup)
endif()
