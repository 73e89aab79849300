# One static library per layer folder of src/ (DESIGN.md). Sources are globbed so that adding a
# file to a layer needs no edit here; ISA subfolders of kernels/ get their own target flags.
function(trit_layer name)
  cmake_parse_arguments(L "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${name}/*.cpp)
  add_library(trit_${name} STATIC ${srcs} ${PROJECT_SOURCE_DIR}/cmake/empty.cpp)
  target_include_directories(trit_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(trit_${name} PUBLIC ${L_DEPS})
endfunction()
