# Turns reports/<name>.sql into a C string constant embedded_<name>_sql for each name in
# NAMES (comma separated).
string(REPLACE "," ";" names "${NAMES}")
set(content "/* Generated from the reports folder by tools/embed.cmake; do not edit. */\n")
foreach(name ${names})
  file(READ ${SRC}/${name}.sql text HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," text "${text}")
  string(APPEND content "const char embedded_${name}_sql[] = {${text} 0x00};\n")
endforeach()
file(WRITE ${OUT}.tmp "${content}")
file(RENAME ${OUT}.tmp ${OUT})
