# Fails if an object compiled with wide-ISA flags (src/kernels/avx2/, avxvnni/, avx512/) defines a
# weak symbol outside its own ISA namespace (trit::kernels::avx2 / avxvnni / avx512).
#
# Why: an inline function or template instantiation (std::vector<float>::_M_default_append, say)
# is emitted as a weak symbol in every object that uses it, and the linker keeps one copy for the
# whole program. If that copy came from an -mavx512f object it holds AVX-512 instructions, and
# every portable caller, on any machine, jumps into it. Entities in an anonymous namespace have
# internal linkage (lowercase in nm, never W/V), so only shared names can be flagged here.
#
# Usage: cmake -DNM=<nm> "-DOBJECTS=<object files of trit_kernels>" -P wide_isa_symbols.cmake
# Symbols are read mangled (no spaces, brackets or semicolons, so CMake lists split them cleanly);
# a failure prints the demangled ones.
if(NOT NM OR NOT OBJECTS)
  message(FATAL_ERROR "usage: cmake -DNM=<nm> -DOBJECTS=<objects> -P wide_isa_symbols.cmake")
endif()

set(checked 0)
set(failures "")
foreach(obj IN LISTS OBJECTS)
  if(NOT obj MATCHES "/kernels/(avx2|avxvnni|avx512)/[^/]+\\.o$")
    continue()
  endif()
  set(isa "${CMAKE_MATCH_1}")
  string(LENGTH "${isa}" isa_length)
  # trit::kernels::<isa>::..., as the Itanium ABI spells a nested name: N4trit7kernels6avx512...
  # (after _Z and any special-name prefix such as ZGV for a guard variable or ZTV for a vtable).
  set(own "^_Z[A-Z]*N[KVRO]*4trit7kernels${isa_length}${isa}")
  execute_process(COMMAND ${NM} --defined-only "${obj}" OUTPUT_VARIABLE listing RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} failed on ${obj}")
  endif()
  math(EXPR checked "${checked} + 1")
  string(REPLACE "\n" ";" lines "${listing}")
  foreach(line IN LISTS lines)
    # W/V: weak function/object; u: GNU unique global (how inline static data is often emitted).
    if(line MATCHES "^[0-9a-fA-F]* ?([WVu]) (.+)$")
      set(name "${CMAKE_MATCH_2}")
      if(NOT name MATCHES "${own}")
        execute_process(COMMAND ${NM} -C --defined-only "${obj}" OUTPUT_VARIABLE readable)
        string(REGEX MATCHALL "[^\n]* [WVu] [^\n]*" weak_lines "${readable}")
        string(REPLACE ";" "\n    " weak_lines "${weak_lines}")
        list(APPEND failures "${obj}:\n    ${weak_lines}")
        break()
      endif()
    endif()
  endforeach()
endforeach()

if(checked EQUAL 0)
  message(FATAL_ERROR "no object of src/kernels/avx2, avxvnni or avx512 among OBJECTS: nothing was checked")
endif()
if(failures)
  string(REPLACE ";" "\n" failures "${failures}")
  message(FATAL_ERROR "wide-ISA objects define weak symbols the linker may pick for portable callers "
                      "(keep std:: containers and other inline library code out of these files):\n${failures}")
endif()
message(STATUS "${checked} wide-ISA objects define no weak symbol outside their ISA namespace")
