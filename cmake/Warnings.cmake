# rethink_warnings: the warning set every project target compiles with.
add_library(rethink_warnings INTERFACE)
target_compile_options(rethink_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor>
  $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${RETHINK_WERROR}>>:-Werror>
  $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>
  $<$<AND:$<COMPILE_LANGUAGE:CUDA>,$<BOOL:${RETHINK_WERROR}>>:-Werror=all-warnings -Xcompiler=-Werror>)
