#include "datasets/dataset.h"

#include <fmt/format.h>

#include "datasets/synthetic.h"

namespace rethink {

Dataset load_dataset(const std::string& spec, uint64_t seed) {
  const auto colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  if (kind == "synthetic" && colon != std::string::npos) {
    Dataset d = make_synthetic(parse_synthetic_shape(spec.substr(colon + 1)), seed);
    d.spec = spec;
    return d;
  }
  throw UserError(fmt::format("--data '{}' is not a data source this build knows: use "
                              "synthetic:N,C,H,W,K (e.g. synthetic:512,3,28,28,10)",
                              spec));
}

}  // namespace rethink
