# tests/tests.cmake -- every test of dnnf, registered with ctest.
# Labels: unit (C, also run under the sanitizers), ops (one-node models
# against ONNX Runtime), bad (malformed input gives a clear error), model
# (the 16 shared models: info, and reference vs ONNX Runtime).

if(EXISTS ${CMAKE_SOURCE_DIR}/.venv/bin/python)
  set(DNNF_PYTHON ${CMAKE_SOURCE_DIR}/.venv/bin/python)
else()
  find_program(DNNF_PYTHON NAMES python3 REQUIRED)
endif()
set(DNNF_MODELS ${CMAKE_SOURCE_DIR}/../shared/models CACHE PATH "the shared real models")

# C unit tests: one executable per file.
file(GLOB DNNF_UNIT_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/test_*.c)
foreach(src ${DNNF_UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE dnnf_lib)
  add_test(NAME unit_${name} COMMAND ${name} WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(unit_${name} PROPERTIES LABELS unit)
endforeach()

# Operator cases (tests/ops/cases_*.py) against ONNX Runtime, one test per file.
file(GLOB DNNF_OP_CASES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/ops/cases_*.py)
foreach(src ${DNNF_OP_CASES})
  get_filename_component(name ${src} NAME_WE)
  add_test(NAME ops_${name} COMMAND ${DNNF_PYTHON} ${CMAKE_SOURCE_DIR}/tests/ops/check_ops.py
           $<TARGET_FILE:dnnf> ${src})
  set_tests_properties(ops_${name} PROPERTIES LABELS ops)
endforeach()

# Bad input: each tests/bad/*.onnx must fail with exit 1 and its .expect text.
add_test(NAME bad_inputs COMMAND ${DNNF_PYTHON} ${CMAKE_SOURCE_DIR}/tests/bad/check_bad.py
         $<TARGET_FILE:dnnf>)
set_tests_properties(bad_inputs PROPERTIES LABELS bad)

# The command line as a user meets it.
add_test(NAME cli COMMAND ${DNNF_PYTHON} ${CMAKE_SOURCE_DIR}/tests/cli/check_cli.py $<TARGET_FILE:dnnf>)
set_tests_properties(cli PROPERTIES LABELS cli)

# The shared models.
if(EXISTS ${DNNF_MODELS})
  file(GLOB DNNF_MODEL_FILES ${DNNF_MODELS}/*.onnx)
  foreach(m ${DNNF_MODEL_FILES})
    get_filename_component(name ${m} NAME_WE)
    add_test(NAME model_info_${name} COMMAND ${DNNF_PYTHON}
             ${CMAKE_SOURCE_DIR}/tests/models/check_info.py $<TARGET_FILE:dnnf> ${m})
    add_test(NAME model_ort_${name} COMMAND ${DNNF_PYTHON}
             ${CMAKE_SOURCE_DIR}/tests/ort/crosscheck.py --dnnf $<TARGET_FILE:dnnf> ${m})
    set_tests_properties(model_info_${name} model_ort_${name} PROPERTIES LABELS model)
    set_tests_properties(model_ort_${name} PROPERTIES TIMEOUT 900)
  endforeach()
else()
  message(WARNING "no shared models at ${DNNF_MODELS}: model tests not registered")
endif()

# Rewriting with the e-graph engine (tests/rewrite/*.test as data, the shared
# models optimized and checked against the unoptimized reference).
include(${CMAKE_SOURCE_DIR}/tests/rewrite/rewrite.cmake)

# The HTML report (in headless Chromium), batch mode and the tutorial's commands.
include(${CMAKE_SOURCE_DIR}/tests/report/report.cmake)
