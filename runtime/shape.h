// A tensor's dimensions, outermost first.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace rethink {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(std::vector<int64_t> dims);

  int64_t rank() const { return static_cast<int64_t>(dims_.size()); }
  int64_t numel() const;
  // Negative indices count from the back, as in Python.
  int64_t operator[](int64_t i) const;
  const std::vector<int64_t>& dims() const { return dims_; }
  std::string to_string() const;  // "[128, 3, 28, 28]"

  bool operator==(const Shape& other) const = default;

 private:
  std::vector<int64_t> dims_;
};

}  // namespace rethink
