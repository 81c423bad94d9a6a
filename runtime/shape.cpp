#include "runtime/shape.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "kernels/check.h"

namespace rethink {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::vector<int64_t>(dims)) {}

Shape::Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {
  for (int64_t d : dims_) RT_CHECK(d >= 0, "shape {} has a negative dimension", to_string());
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int64_t d : dims_) n *= d;
  return n;
}

int64_t Shape::operator[](int64_t i) const {
  const int64_t r = rank();
  RT_CHECK(i >= -r && i < r, "dimension {} out of range for shape {}", i, to_string());
  return dims_[static_cast<size_t>(i < 0 ? i + r : i)];
}

std::string Shape::to_string() const { return fmt::format("[{}]", fmt::join(dims_, ", ")); }

}  // namespace rethink
