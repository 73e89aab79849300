# Script mode (cmake -P): writes a .cpp that holds one file's bytes as a NUL-terminated array,
# so files served by the binary (the chat page) are edited as what they are, not as C++ literals.
#   cmake -DINPUT=<file> -DOUTPUT=<.cpp> -DSYMBOL=<name> -DNAMESPACE=<ns> -DHEADER=<include> -P EmbedFile.cmake
# defines `const char* const <ns>::<name>` (declared extern in HEADER) pointing at the bytes.
# Only CMake itself is needed: file(READ HEX) gives the bytes, a regex makes them initialisers.
foreach(var INPUT OUTPUT SYMBOL NAMESPACE HEADER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "EmbedFile.cmake: -D${var}=... is required")
  endif()
endforeach()

file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# 16 bytes a line keeps the generated file readable in a debugger or an error message.
string(REGEX REPLACE "((0x..,){16})" "\\1\n    " bytes "${bytes}")
get_filename_component(name "${INPUT}" NAME)

set(code "// Generated at build time by cmake/EmbedFile.cmake from ${name} (${size} bytes); do not edit.
#include \"${HEADER}\"

namespace ${NAMESPACE} {
namespace {
// unsigned: UTF-8 bytes above 0x7f do not fit a (signed) char initialiser.
const unsigned char bytes[] = {
    ${bytes}0x00};
}  // namespace

const char* const ${SYMBOL} = reinterpret_cast<const char*>(bytes);

}  // namespace ${NAMESPACE}
")
# Rewrite only on change, so an unchanged page does not recompile.
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
  if(old STREQUAL code)
    return()
  endif()
endif()
file(WRITE "${OUTPUT}" "${code}")
