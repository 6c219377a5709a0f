# oxios_hex_bytes(<hex> <out_var>): a C array initialiser from a hex string,
# sixteen bytes a line ("0x7b,0x0a,..."); used by the embed_file(s) scripts.
function(oxios_hex_bytes hex out_var)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REPEAT "0x..," 16 line)  # CMake's regex has no {n}
  string(REGEX REPLACE "(${line})" "\\1\n    " bytes "${bytes}")
  if(bytes STREQUAL "")
    set(bytes "0x00,")  # an empty array is not C++
  endif()
  set(${out_var} "${bytes}" PARENT_SCOPE)
endfunction()
