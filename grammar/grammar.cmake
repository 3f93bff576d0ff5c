# grammar/grammar.cmake -- build rules for the .rules/.graph language
# (re2c lexer, Bison parser).  Included from the top-level CMakeLists.txt.
