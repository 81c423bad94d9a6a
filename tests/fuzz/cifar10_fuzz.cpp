// libFuzzer target: one CIFAR-10 binary batch on arbitrary bytes. A UserError is the expected
// answer to bad input; anything else is a bug.
#include <cstddef>
#include <cstdint>

#include "datasets/readers/cifar10.h"
#include "kernels/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const rethink::readers::RawSplit s =
        rethink::readers::parse_cifar10_batch({data, size}, "fuzz.bin");
    if (s.images.pixels.size() != s.labels.size() * 3072) __builtin_trap();
    for (const int32_t label : s.labels) {
      if (label < 0 || label > 9) __builtin_trap();
    }
  } catch (const rethink::UserError&) {
  }
  return 0;
}
