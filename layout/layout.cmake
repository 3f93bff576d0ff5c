# layout/layout.cmake -- SmartMem's layout pass (layout/*.c), `dnnf layout`
# (cli/layout.c, globbed by the top-level file) and its tests.
#
# Include it from the top-level CMakeLists.txt after dnnf_lib and dnnf are
# defined (and after fusion/fusion.cmake, so that `dnnf layout` plans
# fusion blocks first):   include(layout/layout.cmake)
# Like fusion.cmake it may also be loaded earlier (CMAKE_PROJECT_INCLUDE):
# it then defers its work to the end of the top-level directory.
#
# cli/layout.c compiles to a stub unless DNNF_HAVE_LAYOUT is defined,
# which this file does.

if(DNNF_LAYOUT_CMAKE_LOADED)
  return()
endif()
set(DNNF_LAYOUT_CMAKE_LOADED ON)

function(dnnf_layout_setup)
  file(GLOB DNNF_LAYOUT_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/layout/*.c)
  target_sources(dnnf_lib PRIVATE ${DNNF_LAYOUT_SOURCES})
  target_include_directories(dnnf_lib PUBLIC ${CMAKE_SOURCE_DIR}/layout)
  target_compile_definitions(dnnf_lib PUBLIC DNNF_HAVE_LAYOUT=1)

  # Unit tests in C (label unit): groups, every data-movement kind, the
  # Swin and ShuffleNet chains, layout selection, texel maps.
  add_executable(test_layout ${CMAKE_SOURCE_DIR}/tests/layout/test_layout.c)
  target_link_libraries(test_layout PRIVATE dnnf_lib)
  add_test(NAME layout_unit COMMAND test_layout WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(layout_unit PROPERTIES LABELS unit)

  # Cases as data (label layout): tests/layout/NAME.graph and NAME.expect,
  # the expected `dnnf layout --plan --no-rewrite` listing (every access
  # map in debug form, every surviving op with its reason).
  add_test(NAME layout_cases
           COMMAND sh ${CMAKE_SOURCE_DIR}/tests/layout/run_cases.sh $<TARGET_FILE:dnnf> ${CMAKE_SOURCE_DIR})
  set_tests_properties(layout_cases PROPERTIES LABELS layout)

  # The examples with the whole pipeline (rewriting, fusion plan, layout).
  file(GLOB DNNF_LAYOUT_EXAMPLES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/examples/*.graph)
  foreach(ex ${DNNF_LAYOUT_EXAMPLES})
    get_filename_component(name ${ex} NAME_WE)
    add_test(NAME layout_example_${name} COMMAND dnnf layout ${ex} --check
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    set_tests_properties(layout_example_${name} PROPERTIES LABELS layout)
  endforeach()

  # The shared models (label model), rewritten, one block per node (the
  # strict reading: a fusion plan can only hide a survivor inside a
  # kernel): the pass runs, every eliminated chain re-read through its
  # composed map equals the reference operators on an iota tensor
  # (--check), and the transformer and shuffle models keep no standalone
  # Transpose or Reshape (--forbid).
  set(models ${CMAKE_SOURCE_DIR}/../shared/models)
  set(strict vit_b_16 swin_t bert_base distilbert gpt2 llama_tiny convnext_tiny shufflenet_v2_x1_0)
  if(EXISTS ${models})
    file(GLOB DNNF_LAYOUT_MODELS ${models}/*.onnx)
    foreach(m ${DNNF_LAYOUT_MODELS})
      get_filename_component(name ${m} NAME_WE)
      set(args layout ${m} --no-fuse --check --summary)
      if(name IN_LIST strict)
        list(APPEND args --forbid Transpose,Reshape)
      endif()
      add_test(NAME model_layout_${name} COMMAND dnnf ${args} WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
      set_tests_properties(model_layout_${name} PROPERTIES LABELS model TIMEOUT 900)
    endforeach()
  endif()
endfunction()

if(TARGET dnnf_lib AND TARGET dnnf)
  dnnf_layout_setup()
else()
  cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL dnnf_layout_setup)
endif()
