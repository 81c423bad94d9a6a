// libFuzzer target: the IDX reader (gzip inflation included) on arbitrary bytes. A UserError is
// the expected answer to bad input; anything else (a crash, a sanitizer report, another
// exception, a hang) is a bug.
#include <cstddef>
#include <cstdint>

#include "datasets/readers/idx.h"
#include "kernels/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const rethink::readers::IdxArray a = rethink::readers::decode_idx({data, size}, "fuzz.idx");
    size_t elements = 1;
    for (const int64_t d : a.dims) elements *= static_cast<size_t>(d);
    if (elements != a.data.size()) __builtin_trap();  // the parser's one promise
  } catch (const rethink::UserError&) {
  }
  return 0;
}
