// The fused SGD update over a parameter slab on the device: the slab gathers parameters from
// the host onto the device, one launch updates them all, and several steps track the CPU.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/axpy.h"
#include "runtime/cuda_context.h"
#include "runtime/optim/sgd.h"
#include "runtime/parameter_slab.h"
#include "tests/support/device_test.h"
#include "tests/support/parity.h"

namespace rethink {
namespace {

using test::Tolerance;

template <class D>
class SgdParity : public test::DeviceTest<D> {};
TYPED_TEST_SUITE(SgdParity, test::Devices, test::DeviceNames);

// Parameter shapes of the sizes given: decayed "weights" and undecayed "biases".
std::vector<NamedParameter> parameters(const std::vector<Tensor>& in, int64_t decayed) {
  std::vector<NamedParameter> params;
  for (size_t i = 0; i < in.size(); ++i) {
    std::string name = "p";  // (not "p" + ...: GCC 12 warns falsely on that, -Wrestrict)
    name += std::to_string(i);
    params.push_back({name, in[i].clone(), static_cast<int64_t>(i) < decayed});
  }
  return params;
}

// y += alpha * x on the tensors' device.
void axpy_on(double alpha, const Tensor& x, const Tensor& y) {
  dispatch_floating(x.dtype(), "axpy", [&]<class T>() {
    if (x.device().is_cpu()) {
      kernels::cpu::axpy(T(alpha), x.data<T>(), y.data<T>(), x.numel());
    } else if constexpr (kBuiltWithCuda) {
      kernels::cuda::axpy(T(alpha), x.data<T>(), y.data<T>(), x.numel(), cuda_stream(x.device()));
    }
  });
}

// `steps` updates on the inputs' device with a gradient that changes every step and depends
// on the weights (so that a wrong update would compound): g = (s + 1) / steps * direction +
// 0.1 * w, written through the slab's gradient buffer.
std::vector<Tensor> train(const std::vector<Tensor>& in, const SgdOptions& options, int steps) {
  const int64_t parameter_count = static_cast<int64_t>(in.size()) - 1;
  std::vector<Tensor> tensors(in.begin(), in.begin() + parameter_count);
  const std::vector<NamedParameter> params = parameters(tensors, parameter_count / 2 + 1);
  ParameterSlab slab(params, in.back().device());
  Sgd sgd(slab, options);
  for (int s = 0; s < steps; ++s) {
    sgd.zero_grad();
    axpy_on((s + 1.0) / steps, in.back(), slab.grads());
    axpy_on(0.1, slab.values(), slab.grads());
    sgd.step(0.05 * (1 + s % 3));
  }
  std::vector<Tensor> out{slab.values(), sgd.momentum_buffer()};
  for (const NamedParameter& p : params) out.push_back(p.tensor);
  return out;
}

TYPED_TEST(SgdParity, StepsOverASlabTrackTheCpu) {
  // Slabs of a few elements up to (on a GPU) the small Inception's 1,649,402.
  std::vector<std::vector<int64_t>> slabs = {{3}, {5, 7, 1}, {70000, 512, 5120, 10}};
  if (this->on_cuda()) slabs.push_back({1648000, 1402});
  for (const std::vector<int64_t>& sizes : slabs) {
    int64_t total = 0;
    std::vector<Tensor> in;
    for (size_t i = 0; i < sizes.size(); ++i) {
      in.push_back(test::uniform_tensor(Shape{sizes[i]}, 1 + i));
      total += sizes[i];
    }
    in.push_back(test::uniform_tensor(Shape{total}, 100));
    for (const SgdOptions& o : {SgdOptions{0.9, 0.0, false}, SgdOptions{0.9, 5e-4, false},
                                SgdOptions{0.9, 5e-4, true}, SgdOptions{0.0, 1e-2, false}}) {
      SCOPED_TRACE(::testing::Message() << total << " parameters, momentum " << o.momentum << " wd "
                                        << o.weight_decay << " nesterov " << o.nesterov);
      const std::vector<Tolerance> tolerances(in.size() + 1, Tolerance::elementwise());
      test::expect_parity(
          this->device(), [&](const std::vector<Tensor>& t) { return train(t, o, 5); }, in,
          tolerances);
    }
  }
}

// The slab moves host parameters onto the device: every holder then sees device memory.
TYPED_TEST(SgdParity, TheSlabMovesParametersToItsDevice) {
  const Tensor w = test::uniform_tensor(Shape{4, 3}, 1), b = test::uniform_tensor(Shape{3}, 2);
  const std::vector<float> wv = w.to_vector<float>(), bv = b.to_vector<float>();
  ParameterSlab slab({{"w", w, true}, {"b", b, false}}, this->device());
  EXPECT_EQ(w.device(), this->device());
  EXPECT_EQ(b.device(), this->device());
  EXPECT_EQ(w.grad().device(), this->device());
  EXPECT_EQ(w.to_vector<float>(), wv);
  EXPECT_EQ(b.to_vector<float>(), bv);
  EXPECT_TRUE(w.shares_memory_with(slab.values()));
  EXPECT_EQ(slab.decayed_numel(), 12);
}

}  // namespace
}  // namespace rethink
