// Element types a Tensor can hold, and dispatch from a runtime DType to a C++ type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kernels/check.h"

namespace rethink {

enum class DType : uint8_t { kFloat32, kFloat64, kInt32, kUInt8 };

constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::kFloat32: return 4;
    case DType::kFloat64: return 8;
    case DType::kInt32: return 4;
    case DType::kUInt8: return 1;
  }
  return 0;
}

constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
    case DType::kInt32: return "int32";
    case DType::kUInt8: return "uint8";
  }
  return "?";
}

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() { return DType::kFloat32; }
template <>
constexpr DType dtype_of<double>() { return DType::kFloat64; }
template <>
constexpr DType dtype_of<int32_t>() { return DType::kInt32; }
template <>
constexpr DType dtype_of<uint8_t>() { return DType::kUInt8; }

constexpr bool is_floating(DType t) { return t == DType::kFloat32 || t == DType::kFloat64; }

// Calls fn.template operator()<T>() with T the C++ type of a floating dtype:
//   dispatch_floating(x.dtype(), "relu", [&]<class T>() { kernel<T>(...); });
template <class Fn>
decltype(auto) dispatch_floating(DType t, std::string_view op, Fn&& fn) {
  switch (t) {
    case DType::kFloat32: return fn.template operator()<float>();
    case DType::kFloat64: return fn.template operator()<double>();
    default:
      RT_FAIL("{}: expected a float32 or float64 tensor, got {}", op, dtype_name(t));
  }
}

}  // namespace rethink
