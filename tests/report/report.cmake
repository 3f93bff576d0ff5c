# tests/report/report.cmake -- `dnnf report`, `dnnf batch` and the tutorial
# (issue 8), label report.  Included from tests/tests.cmake, which sets
# DNNF_PYTHON and DNNF_MODELS.
#
#   report_tutorial         every command of docs/tutorial.md, output compared
#                           with the document (timings normalised); after a
#                           deliberate change of an output, refresh the
#                           document with  check_tutorial.py DNNF REPO --update
#   report_browser          reports opened in headless Chromium: the page's
#                           self-test clicks a block and a trace step, a
#                           screenshot must show the graphs (skipped without
#                           Chromium)
#   report_batch_run        `dnnf batch --run` on examples/: every check ok
#   report_batch_models     the shared models plus a corrupt one, -j 2: all
#                           succeed but the corrupt one, exit status 1, the
#                           summary agrees with dnnf fuse / optimize --json
#   report_batch_interrupt  SIGINT during a batch: no half-written file

add_test(NAME report_tutorial COMMAND ${DNNF_PYTHON} ${CMAKE_SOURCE_DIR}/tests/report/check_tutorial.py
         $<TARGET_FILE:dnnf> ${CMAKE_SOURCE_DIR})
add_test(NAME report_batch_run COMMAND ${DNNF_PYTHON} ${CMAKE_SOURCE_DIR}/tests/report/check_batch.py
         $<TARGET_FILE:dnnf> ${CMAKE_SOURCE_DIR}/examples run)
set_tests_properties(report_tutorial report_batch_run PROPERTIES LABELS report TIMEOUT 600)

set(DNNF_REPORT_PAGES ${CMAKE_SOURCE_DIR}/examples/tutorial/gate.graph)
if(EXISTS ${DNNF_MODELS})
  # a CNN, a transformer and the largest graph (swin_t: blocks collapsed)
  foreach(name squeezenet1_1 bert_base swin_t)
    if(EXISTS ${DNNF_MODELS}/${name}.onnx)
      list(APPEND DNNF_REPORT_PAGES ${DNNF_MODELS}/${name}.onnx)
    endif()
  endforeach()
  add_test(NAME report_batch_models COMMAND ${DNNF_PYTHON} ${CMAKE_SOURCE_DIR}/tests/report/check_batch.py
           $<TARGET_FILE:dnnf> ${DNNF_MODELS} models)
  add_test(NAME report_batch_interrupt COMMAND ${DNNF_PYTHON} ${CMAKE_SOURCE_DIR}/tests/report/check_batch.py
           $<TARGET_FILE:dnnf> ${DNNF_MODELS} interrupt)
  set_tests_properties(report_batch_models report_batch_interrupt PROPERTIES LABELS report TIMEOUT 900)
endif()
add_test(NAME report_browser COMMAND ${DNNF_PYTHON} ${CMAKE_SOURCE_DIR}/tests/report/check_report.py
         $<TARGET_FILE:dnnf> ${DNNF_REPORT_PAGES})
set_tests_properties(report_browser PROPERTIES LABELS report TIMEOUT 600 SKIP_RETURN_CODE 77)
