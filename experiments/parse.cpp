#include "experiments/parse.h"

#include <fmt/format.h>

#include "kernels/check.h"
#include "runtime/parse_ints.h"

namespace rethink {

ImageShape parse_image_shape(const std::string& text, std::string_view flag) {
  const auto v = parse_int_list(text);
  if (!v || v->size() != 3 || (*v)[0] <= 0 || (*v)[1] <= 0 || (*v)[2] <= 0) {
    throw UserError(fmt::format(
        "{} '{}' is not an image shape: use C,H,W with positive numbers (e.g. 3,28,28)", flag,
        text));
  }
  return {(*v)[0], (*v)[1], (*v)[2]};
}

}  // namespace rethink
