# grammar/grammar.cmake -- build rules for the .rules/.graph language
# (re2c lexer, Bison parser).  Included from the top-level CMakeLists.txt,
# after dnnf_lib is defined: the generated sources and grammar/*.c join
# that library.

find_program(RE2C re2c REQUIRED)
find_program(BISON bison REQUIRED)

set(GM_GEN ${CMAKE_BINARY_DIR}/gen/grammar)
file(MAKE_DIRECTORY ${GM_GEN})

add_custom_command(
  OUTPUT ${GM_GEN}/parser.c ${GM_GEN}/parser.h
  COMMAND ${BISON} -Wall -Werror --defines=${GM_GEN}/parser.h -o ${GM_GEN}/parser.c
          ${CMAKE_SOURCE_DIR}/grammar/parser.y
  DEPENDS ${CMAKE_SOURCE_DIR}/grammar/parser.y
  COMMENT "bison grammar/parser.y")

add_custom_command(
  OUTPUT ${GM_GEN}/lexer.c
  COMMAND ${RE2C} -W --no-generation-date -o ${GM_GEN}/lexer.c ${CMAKE_SOURCE_DIR}/grammar/lexer.re
  DEPENDS ${CMAKE_SOURCE_DIR}/grammar/lexer.re ${GM_GEN}/parser.h
  COMMENT "re2c grammar/lexer.re")

file(GLOB DNNF_GRAMMAR_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/grammar/*.c)
list(FILTER DNNF_GRAMMAR_SOURCES EXCLUDE REGEX "fuzz_rules\\.c$")
target_sources(dnnf_lib PRIVATE ${DNNF_GRAMMAR_SOURCES} ${GM_GEN}/parser.c ${GM_GEN}/lexer.c)
target_include_directories(dnnf_lib PUBLIC ${CMAKE_SOURCE_DIR}/grammar ${GM_GEN})
# Generated code: Bison's skeleton has unused labels/values on some paths.
set_source_files_properties(${GM_GEN}/parser.c PROPERTIES
  COMPILE_OPTIONS "-Wno-unused-but-set-variable;-Wno-unused-parameter")

# A libFuzzer target for the lexer and parser (clang only):
#   cmake -DDNNF_FUZZ=ON -DCMAKE_C_COMPILER=clang ...
option(DNNF_FUZZ "Build the libFuzzer target fuzz_rules (needs clang)" OFF)
if(DNNF_FUZZ)
  # coverage and sanitizers on the whole library, libFuzzer's main only here
  target_compile_options(dnnf_lib PRIVATE -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  target_link_options(dnnf_lib INTERFACE -fsanitize=address,undefined)
  add_executable(fuzz_rules ${CMAKE_SOURCE_DIR}/grammar/fuzz_rules.c)
  target_compile_options(fuzz_rules PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_rules PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_rules PRIVATE dnnf_lib)
endif()

# Where `dnnf rules show` finds the standard library when given no file.
target_compile_definitions(dnnf_lib PUBLIC DNNF_RULES_DIR="${CMAKE_SOURCE_DIR}/rules")

# --- tests of the language (labels: grammar) ----------------------------------
enable_testing()
add_executable(test_graph_roundtrip ${CMAKE_SOURCE_DIR}/tests/graphs/roundtrip.c)
target_link_libraries(test_graph_roundtrip PRIVATE dnnf_lib)
file(GLOB DNNF_EXAMPLE_GRAPHS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/examples/*.graph
     ${CMAKE_SOURCE_DIR}/tests/graphs/*.graph)
set(DNNF_RT_MODELS ${CMAKE_SOURCE_DIR}/../shared/models)
add_test(NAME graph_roundtrip_examples COMMAND test_graph_roundtrip ${DNNF_EXAMPLE_GRAPHS})
foreach(m resnet50 mobilenet_v2 bert_base gpt2 swin_t llama_tiny convnext_tiny)
  if(EXISTS ${DNNF_RT_MODELS}/${m}.onnx)
    add_test(NAME graph_roundtrip_${m} COMMAND test_graph_roundtrip ${DNNF_RT_MODELS}/${m}.onnx)
    set_tests_properties(graph_roundtrip_${m} PROPERTIES LABELS grammar)
  endif()
endforeach()
set_tests_properties(graph_roundtrip_examples PROPERTIES LABELS grammar)

# The .rules corpus as data (tests/rules/{pass,fail}), the standard library
# verified numerically (two seeds), and `rules show`.
add_test(NAME rules_corpus COMMAND sh ${CMAKE_SOURCE_DIR}/tests/rules/run_corpus.sh
         $<TARGET_FILE:dnnf> ${CMAKE_SOURCE_DIR} $<TARGET_FILE:test_graph_roundtrip>)
add_test(NAME rules_stdlib COMMAND dnnf rules check rules/all.rules
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
add_test(NAME rules_stdlib_seed7 COMMAND dnnf rules check --seed 7 --instances 5 rules/all.rules
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
add_test(NAME rules_show COMMAND dnnf rules show WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(rules_corpus rules_stdlib rules_stdlib_seed7 rules_show PROPERTIES LABELS grammar)

# The library's look-ups (lattice, both tables, operator classes) in C.
add_executable(test_rules_tables ${CMAKE_SOURCE_DIR}/tests/rules/test_tables.c)
target_link_libraries(test_rules_tables PRIVATE dnnf_lib)
add_test(NAME rules_tables COMMAND test_rules_tables WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(rules_tables PROPERTIES LABELS grammar)
