// libFuzzer target: JPEG and PNG decoding on arbitrary bytes. A UserError is the expected answer
// to bad input; anything else is a bug. Images above 2^20 pixels are refused, so that a forged
// header cannot make one input take seconds.
#include <cstddef>
#include <cstdint>

#include "datasets/readers/image_decode.h"
#include "kernels/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const rethink::readers::DecodedImage im =
        rethink::readers::decode_image({data, size}, "fuzz.img", int64_t{1} << 20);
    if (im.pixels.size() != static_cast<size_t>(im.height * im.width * im.channels)) {
      __builtin_trap();
    }
  } catch (const rethink::UserError&) {
  }
  return 0;
}
