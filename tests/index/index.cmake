# tests/index/index.cmake -- codegen's index maps: the sources join
# libdnnf, and the data-driven tests and the property test of
# tests/index/ are registered with ctest (label unit).
# Included from the top-level CMakeLists.txt after tests/tests.cmake:
#   include(tests/index/index.cmake)

file(GLOB DNNF_CODEGEN_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/codegen/*.c)
target_sources(dnnf_lib PRIVATE ${DNNF_CODEGEN_SOURCES})
target_include_directories(dnnf_lib PUBLIC ${CMAKE_SOURCE_DIR}/codegen)

add_executable(run_index_tests ${CMAKE_SOURCE_DIR}/tests/index/run_index_tests.c)
target_link_libraries(run_index_tests PRIVATE dnnf_lib)

# One test per data file (no random chains), then the property test alone.
file(GLOB DNNF_INDEX_CASES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/index/*.txt)
foreach(f ${DNNF_INDEX_CASES})
  get_filename_component(name ${f} NAME_WE)
  add_test(NAME index_${name} COMMAND run_index_tests --random 0 ${f})
  set_tests_properties(index_${name} PROPERTIES LABELS unit)
endforeach()
add_test(NAME index_property COMMAND run_index_tests --seed 1 --random 3000)
set_tests_properties(index_property PROPERTIES LABELS unit)
