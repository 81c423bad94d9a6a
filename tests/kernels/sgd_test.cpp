#include "kernels/sgd.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/support/data.h"
#include "tests/support/serial.h"

namespace rethink::kernels {
namespace {

// The update written out in double, element by element, straight from the header's formula.
void naive_sgd(std::vector<double>& w, const std::vector<double>& g, std::vector<double>& v,
               double lr, double momentum, double wd, bool nesterov, int64_t decayed) {
  for (size_t i = 0; i < w.size(); ++i) {
    const double d = g[i] + (static_cast<int64_t>(i) < decayed ? wd * w[i] : 0.0);
    v[i] = momentum * v[i] + d;
    w[i] -= lr * (nesterov ? d + momentum * v[i] : v[i]);
  }
}

template <class T>
class SgdKernelTest : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(SgdKernelTest, FloatTypes);

TYPED_TEST(SgdKernelTest, ThreeStepsMatchNaiveAndFunctor) {
  using T = TypeParam;
  const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-13;
  for (const bool nesterov : {false, true}) {
    for (const int64_t n : {1, 9, 20000}) {
      SCOPED_TRACE(::testing::Message() << "nesterov=" << nesterov << " n=" << n);
      const int64_t decayed = n / 3;  // a boundary in the middle of the slab
      const SgdParams<T> p{T(0.1), T(0.9), T(0.01), nesterov, decayed};
      const std::vector<T> w0 = test::uniform_values<T>(n, 1);
      const std::vector<T> g = test::uniform_values<T>(n, 2);
      std::vector<T> w(w0), v(static_cast<size_t>(n), T(0));
      std::vector<T> w_f(w0), v_f(static_cast<size_t>(n), T(0));
      std::vector<double> w_d(w0.begin(), w0.end()), v_d(static_cast<size_t>(n), 0.0);
      const std::vector<double> g_d(g.begin(), g.end());
      for (int step = 0; step < 3; ++step) {
        cpu::sgd_momentum_step(w.data(), g.data(), v.data(), n, p);
        test::run_each_index(n, SgdMomentumStep<T>{w_f.data(), g.data(), v_f.data(), p});
        naive_sgd(w_d, g_d, v_d, 0.1, 0.9, 0.01, nesterov, decayed);
      }
      EXPECT_EQ(w_f, w);
      EXPECT_EQ(v_f, v);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_NEAR(w[i], w_d[i], tol) << "w[" << i << "]";
        ASSERT_NEAR(v[i], v_d[i], tol) << "v[" << i << "]";
      }
    }
  }
}

// Weight decay reaches exactly the elements [0, decayed).
TYPED_TEST(SgdKernelTest, WeightDecayOnlyBelowDecayed) {
  using T = TypeParam;
  std::vector<T> w = {T(1), T(1), T(1), T(1)};
  const std::vector<T> g = {T(0), T(0), T(0), T(0)};
  std::vector<T> v(4, T(0));
  cpu::sgd_momentum_step(w.data(), g.data(), v.data(), 4,
                         SgdParams<T>{T(1), T(0), T(0.5), false, 2});
  EXPECT_EQ(w, (std::vector<T>{T(0.5), T(0.5), T(1), T(1)}));
  EXPECT_EQ(v, (std::vector<T>{T(0.5), T(0.5), T(0), T(0)}));
}

}  // namespace
}  // namespace rethink::kernels
