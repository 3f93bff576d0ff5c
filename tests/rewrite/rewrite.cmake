# tests/rewrite/rewrite.cmake -- the e-graph engine's tests (issue 4),
# included from tests/tests.cmake:
#   rewrite_*  each tests/rewrite/*.test: a start graph, the graph expected
#              after `dnnf optimize`, the rules that must fire (label rewrite);
#   optimize_<model>  each shared model optimized within the default bounds,
#              run by the reference interpreter before and after, outputs
#              compared, the rules that fired named (label model).
# The C unit test tests/unit/test_egraph.c is registered with the others.

file(GLOB DNNF_REWRITE_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/rewrite/*.test)
foreach(t ${DNNF_REWRITE_TESTS})
  get_filename_component(name ${t} NAME_WE)
  add_test(NAME rewrite_${name} COMMAND ${DNNF_PYTHON} ${CMAKE_SOURCE_DIR}/tests/rewrite/run_rewrite.py
           $<TARGET_FILE:dnnf> ${t})
  set_tests_properties(rewrite_${name} PROPERTIES LABELS rewrite)
endforeach()

add_test(NAME rewrite_cli COMMAND ${DNNF_PYTHON} ${CMAKE_SOURCE_DIR}/tests/rewrite/check_cli.py
         $<TARGET_FILE:dnnf>)
set_tests_properties(rewrite_cli PROPERTIES LABELS rewrite)

if(EXISTS ${DNNF_MODELS})
  file(GLOB DNNF_OPT_MODELS ${DNNF_MODELS}/*.onnx)
  foreach(m ${DNNF_OPT_MODELS})
    get_filename_component(name ${m} NAME_WE)
    add_test(NAME optimize_${name} COMMAND ${DNNF_PYTHON} ${CMAKE_SOURCE_DIR}/tests/rewrite/check_models.py
             $<TARGET_FILE:dnnf> ${m})
    set_tests_properties(optimize_${name} PROPERTIES LABELS model TIMEOUT 900)
  endforeach()
endif()

# ONNX export of optimized models: checker, ONNX Runtime, reference run of the export.
foreach(name squeezenet1_1 mobilenet_v2 resnet50 efficientnet_b0 bert_base)
  if(EXISTS ${DNNF_MODELS}/${name}.onnx)
    add_test(NAME optimize_export_${name} COMMAND ${DNNF_PYTHON} ${CMAKE_SOURCE_DIR}/tests/rewrite/check_export.py
             $<TARGET_FILE:dnnf> ${DNNF_MODELS}/${name}.onnx)
    set_tests_properties(optimize_export_${name} PROPERTIES LABELS model TIMEOUT 900)
  endif()
endforeach()
