# codegen/templates.cmake -- embeds codegen/templates/*.cl into libdnnf.
#
# Each template becomes a C string in ${GEN}/cg_templates.c, with a lookup
# function cg_template(NAME) (codegen/emit_impl.h).  Run as a script at
# build time (cmake -P), so editing a .cl file rebuilds the table.
#
#   cmake -DOUT=FILE.c -DDIR=codegen/templates -P codegen/templates.cmake

file(GLOB tmpls ${DIR}/*.cl)
list(SORT tmpls)
set(body "/* generated from codegen/templates (one string per .cl file) by codegen/templates.cmake: do not edit */\n#include <string.h>\n\n")
set(table "")
foreach(t ${tmpls})
  get_filename_component(name ${t} NAME_WE)
  file(READ ${t} text)
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REPLACE "\"" "\\\"" text "${text}")
  string(REPLACE "\n" "\\n\"\n\"" text "${text}")
  string(APPEND body "static const char tmpl_${name}[] =\n\"${text}\";\n\n")
  string(APPEND table "    {\"${name}\", tmpl_${name}},\n")
endforeach()
string(APPEND body "static const struct { const char *name, *text; } tmpls[] = {\n${table}    {0, 0}};\n\n")
string(APPEND body "const char *cg_template(const char *name);\nconst char *cg_template(const char *name)\n{\n    for (int i = 0; tmpls[i].name; i++)\n        if (!strcmp(tmpls[i].name, name)) return tmpls[i].text;\n    return 0;\n}\n")
file(WRITE ${OUT}.tmp "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
