// CPU-versus-device comparisons for the parity tests (tests/gpu/).
//
//   test::expect_parity(device, [](const std::vector<Tensor>& in) {
//     return std::vector<Tensor>{ops::relu(in[0])};
//   }, {x}, {test::Tolerance::elementwise()});
//
// runs the op on the CPU in float32 (the reference the GPU must match), on the CPU in float64
// (the precise answer, against which the float32 runs of both devices are held), and on the
// device under test with every new allocation poisoned (NaN), so an output element a kernel
// never writes fails. On a CUDA device it also runs the op in float64 there and holds it to
// the CPU's float64 run, which checks the double instantiations of the kernels.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "kernels/philox.h"
#include "runtime/cuda_context.h"
#include "runtime/memory.h"
#include "runtime/tensor.h"
#include "tests/support/fixture.h"

namespace rethink::test {

// `t` on `device`; its floating elements converted to `dtype` (integer tensors keep theirs).
inline Tensor convert(const Tensor& t, DType dtype, Device device) {
  if (!t.defined()) return t;
  if (!is_floating(t.dtype()) || t.dtype() == dtype) return t.to(device).detach();
  Tensor host = Tensor::empty(t.shape(), dtype);
  const Tensor source = t.to(Device::cpu());
  if (dtype == DType::kFloat64) {
    const std::vector<float> v = source.to_vector<float>();
    std::copy(v.begin(), v.end(), host.data<double>());
  } else {
    const std::vector<double> v = source.to_vector<double>();
    for (size_t i = 0; i < v.size(); ++i) host.data<float>()[i] = static_cast<float>(v[i]);
  }
  return host.to(device);
}

inline std::vector<double> host_doubles(const Tensor& t) {
  return convert(t, DType::kFloat64, Device::cpu()).to_vector<double>();
}

// |actual - expected| <= atol + rtol * |expected| for every element; NaN never passes.
inline ::testing::AssertionResult close_elementwise(const Tensor& actual, const Tensor& expected,
                                                    double atol = 1e-5, double rtol = 1e-4) {
  if (actual.shape() != expected.shape()) {
    return ::testing::AssertionFailure() << "shape " << actual.shape().to_string()
                                         << " != expected " << expected.shape().to_string();
  }
  const std::vector<double> a = host_doubles(actual), e = host_doubles(expected);
  int64_t failures = 0, worst_index = -1;
  double worst_ratio = -1;
  for (size_t i = 0; i < a.size(); ++i) {
    const double ratio = std::abs(a[i] - e[i]) / (atol + rtol * std::abs(e[i]));
    if (!(ratio <= 1)) ++failures;
    if (!(ratio <= worst_ratio)) {
      worst_ratio = ratio;
      worst_index = static_cast<int64_t>(i);
    }
  }
  if (failures == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << failures << " of " << a.size() << " elements differ by more than " << atol << " + "
         << rtol << " * |expected|; worst at flat index " << worst_index << ": " << a[worst_index]
         << " vs " << e[worst_index];
}

// Same dtype, shape and bytes.
inline ::testing::AssertionResult bitwise_equal(const Tensor& actual, const Tensor& expected) {
  if (actual.shape() != expected.shape() || actual.dtype() != expected.dtype()) {
    return ::testing::AssertionFailure() << actual.describe() << " vs " << expected.describe();
  }
  const Tensor a = actual.to(Device::cpu()), e = expected.to(Device::cpu());
  const auto* pa = static_cast<const unsigned char*>(a.raw_data());
  const auto* pe = static_cast<const unsigned char*>(e.raw_data());
  const size_t element = dtype_size(a.dtype());
  for (size_t i = 0; i < a.nbytes(); ++i) {
    if (pa[i] != pe[i]) {
      return ::testing::AssertionFailure() << "first differing element at flat index "
                                           << i / element << " (of " << a.numel() << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

struct Tolerance {
  enum class Kind { kElementwise, kNormwise, kBitwise };
  Kind kind = Kind::kElementwise;
  double atol = 1e-5;
  double rtol = 1e-4;

  // The bounds: per element |gpu - cpu| <= 1e-5 + 1e-4 |cpu| for element-wise ops;
  // ||gpu - cpu|| <= 1e-5 ||cpu|| for reductions and GEMMs in fp32 (2e-3 in TF32).
  static Tolerance elementwise(double atol = 1e-5, double rtol = 1e-4) {
    return {Kind::kElementwise, atol, rtol};
  }
  static Tolerance normwise(double rtol = 1e-5) { return {Kind::kNormwise, 0, rtol}; }
  static Tolerance bitwise() { return {Kind::kBitwise, 0, 0}; }

  ::testing::AssertionResult check(const Tensor& actual, const Tensor& expected) const {
    switch (kind) {
      case Kind::kElementwise:
        return close_elementwise(actual, expected, atol, rtol);
      case Kind::kNormwise:
        return close_normwise(actual, expected, rtol);
      case Kind::kBitwise:
        return bitwise_equal(actual, expected);
    }
    return ::testing::AssertionFailure() << "unknown tolerance";
  }

  // Against the float64 answer a float32 result is only ever close, never bitwise equal.
  Tolerance against_float64() const { return kind == Kind::kBitwise ? elementwise() : *this; }
  // Two float64 runs: the same bounds, a billion times tighter in relative terms.
  Tolerance between_float64() const {
    if (kind == Kind::kNormwise) return normwise(1e-12);
    if (kind == Kind::kBitwise) return bitwise();
    return elementwise(1e-12, 1e-10);
  }
};

using Op = std::function<std::vector<Tensor>(const std::vector<Tensor>& inputs)>;

inline std::vector<Tensor> run_op(const Op& op, const std::vector<Tensor>& inputs, DType dtype,
                                  Device device, bool poison) {
  std::vector<Tensor> moved;
  for (const Tensor& t : inputs) moved.push_back(convert(t, dtype, device));
  std::vector<Tensor> out;
  {
    const bool previous = poison_new_memory();
    set_poison_new_memory(poison);
    out = op(moved);
    set_poison_new_memory(previous);
  }
  std::vector<Tensor> host;
  for (const Tensor& t : out) host.push_back(t.defined() ? t.to(Device::cpu()) : t);
  return host;
}

// See the top of the file. `inputs` are host tensors (float32 or integer); `tolerances` has one
// entry per output of `op`, for the device's float32 run against the CPU's.
inline void expect_parity(Device device, const Op& op, const std::vector<Tensor>& inputs,
                          const std::vector<Tolerance>& tolerances) {
  const std::vector<Tensor> cpu32 = run_op(op, inputs, DType::kFloat32, Device::cpu(), false);
  const std::vector<Tensor> cpu64 = run_op(op, inputs, DType::kFloat64, Device::cpu(), false);
  const std::vector<Tensor> dev32 = run_op(op, inputs, DType::kFloat32, device, true);
  ASSERT_EQ(cpu32.size(), tolerances.size()) << "one tolerance per output";
  ASSERT_EQ(dev32.size(), cpu32.size());
  for (size_t k = 0; k < cpu32.size(); ++k) {
    SCOPED_TRACE("output " + std::to_string(k));
    ASSERT_EQ(dev32[k].defined(), cpu32[k].defined());
    if (!cpu32[k].defined()) continue;
    const Tolerance& tol = tolerances[k];
    EXPECT_TRUE(tol.against_float64().check(dev32[k], cpu64[k]))
        << "float32 on " << device.to_string() << " vs float64 on the cpu";
    if (device.is_cuda()) {
      EXPECT_TRUE(tol.check(dev32[k], cpu32[k])) << "float32: cuda vs cpu";
    }
  }
  if (device.is_cuda()) {
    const std::vector<Tensor> dev64 = run_op(op, inputs, DType::kFloat64, device, true);
    for (size_t k = 0; k < cpu64.size(); ++k) {
      if (!cpu64[k].defined()) continue;
      EXPECT_TRUE(tolerances[k].between_float64().check(dev64[k], cpu64[k]))
          << "float64: cuda vs cpu, output " << k;
    }
  }
}

// A float32 host tensor of `shape` with values uniform in [low, high), drawn from `seed`.
inline Tensor uniform_tensor(const Shape& shape, uint64_t seed, double low = -1, double high = 1) {
  const auto stream = kernels::PhiloxStream::make(seed, kernels::RngPurpose::kData);
  std::vector<float> v(static_cast<size_t>(shape.numel()));
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = static_cast<float>(low + (high - low) * stream.uniform_double(i));
  }
  return Tensor::from_vector(shape, v);
}

}  // namespace rethink::test
