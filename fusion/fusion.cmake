# fusion/fusion.cmake -- DNNFusion's fusion planner (fusion/*.c), the
# block-by-block runner of runtime/blocks.c and `dnnf fuse` (cli/fuse.c),
# and their tests.
#
# Include it from the top-level CMakeLists.txt once dnnf_lib and dnnf are
# defined:   include(fusion/fusion.cmake)
# It may also be loaded earlier (cmake -DCMAKE_PROJECT_INCLUDE=.../fusion.cmake,
# to try it without touching CMakeLists.txt): it then defers its work to
# the end of the top-level directory, when both targets exist.
#
# runtime/blocks.c and cli/fuse.c are globbed into the build by the
# top-level file whether or not this file is included; they compile to
# stubs unless DNNF_HAVE_FUSION is defined, which this file does.

if(DNNF_FUSION_CMAKE_LOADED)
  return()
endif()
set(DNNF_FUSION_CMAKE_LOADED ON)

function(dnnf_fusion_setup)
  file(GLOB DNNF_FUSION_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/fusion/*.c)
  target_sources(dnnf_lib PRIVATE ${DNNF_FUSION_SOURCES})
  target_include_directories(dnnf_lib PUBLIC ${CMAKE_SOURCE_DIR}/fusion)
  target_compile_definitions(dnnf_lib PUBLIC DNNF_HAVE_FUSION=1)

  # Plans written as data (label: fusion): tests/fusion/NAME.graph, with
  # NAME.rules when the test changes the table, and NAME.expect, the
  # expected `dnnf fuse --plan` output (blocks, then the growth steps).
  add_test(NAME fusion_plans
           COMMAND sh ${CMAKE_SOURCE_DIR}/tests/fusion/run_plans.sh $<TARGET_FILE:dnnf> ${CMAKE_SOURCE_DIR})
  set_tests_properties(fusion_plans PROPERTIES LABELS fusion)
  # The measured profile database (`dnnf profile`, then `dnnf fuse
  # --profile-db`) on the default OpenCL device, and bad database files
  # refused with file:line.  Shares the code generator tests' kernel cache.
  add_test(NAME fusion_profile_db
           COMMAND sh ${CMAKE_SOURCE_DIR}/tests/fusion/run_profile.sh $<TARGET_FILE:dnnf> ${CMAKE_SOURCE_DIR})
  set_tests_properties(fusion_profile_db PROPERTIES LABELS fusion TIMEOUT 120
                       ENVIRONMENT DNNF_CACHE_DIR=${CMAKE_BINARY_DIR}/kernel-cache)
  # The examples: planned, validated and run block by block.
  file(GLOB DNNF_FUSION_EXAMPLES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/examples/*.graph)
  foreach(ex ${DNNF_FUSION_EXAMPLES})
    get_filename_component(name ${ex} NAME_WE)
    add_test(NAME fusion_example_${name} COMMAND dnnf fuse ${ex} --check --summary
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    set_tests_properties(fusion_example_${name} PROPERTIES LABELS fusion)
  endforeach()

  # The shared models (label: model): the plans of the model as given and
  # after rewriting with the standard rules are valid, and block-by-block
  # execution of each, with random weights (every tensor, seed 1), matches
  # the unfused reference run of the model as given within 1e-4 x max |output|.
  set(models ${CMAKE_SOURCE_DIR}/../shared/models)
  if(EXISTS ${models})
    file(GLOB DNNF_FUSION_MODELS ${models}/*.onnx)
    foreach(m ${DNNF_FUSION_MODELS})
      get_filename_component(name ${m} NAME_WE)
      add_test(NAME model_fuse_${name} COMMAND dnnf fuse ${m} --check --summary --random-weights 1
               WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
      set_tests_properties(model_fuse_${name} PROPERTIES LABELS model TIMEOUT 900)
    endforeach()
  endif()
endfunction()

if(TARGET dnnf_lib AND TARGET dnnf)
  dnnf_fusion_setup()
else()
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL dnnf_fusion_setup)
endif()
