// Naive reference loops, written for obviousness rather than speed, accumulating in double.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace rethink::test {

// C = alpha * op(A) op(B) + beta * C, row-major, op(X) = X^T when trans_x; returns C in double.
template <class T>
std::vector<double> naive_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                               double alpha, const std::vector<T>& a, int64_t lda,
                               const std::vector<T>& b, int64_t ldb, double beta,
                               const std::vector<T>& c, int64_t ldc) {
  std::vector<double> out(c.begin(), c.end());
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < k; ++p) {
        const double av = trans_a ? a[p * lda + i] : a[i * lda + p];
        const double bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        acc += av * bv;
      }
      out[i * ldc + j] = alpha * acc + beta * static_cast<double>(c[i * ldc + j]);
    }
  }
  return out;
}

// y[r, o] = sum_i x[r, i] w[o, i] + b[o], with w stored (out, in).
template <class T>
std::vector<double> naive_linear(const std::vector<T>& x, const std::vector<T>& w,
                                 const std::vector<T>* b, int64_t batch, int64_t in, int64_t out) {
  std::vector<double> y(static_cast<size_t>(batch * out));
  for (int64_t r = 0; r < batch; ++r) {
    for (int64_t o = 0; o < out; ++o) {
      double acc = b ? static_cast<double>((*b)[o]) : 0.0;
      for (int64_t i = 0; i < in; ++i) acc += double(x[r * in + i]) * double(w[o * in + i]);
      y[r * out + o] = acc;
    }
  }
  return y;
}

// Per-row softmax cross-entropy -log(softmax(x_r)[label_r]) in double.
template <class T>
std::vector<double> naive_row_xent(const std::vector<T>& logits, const std::vector<int32_t>& labels,
                                   int64_t rows, int64_t classes) {
  std::vector<double> loss(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    double m = logits[r * classes];
    for (int64_t k = 1; k < classes; ++k) m = std::max(m, double(logits[r * classes + k]));
    double s = 0;
    for (int64_t k = 0; k < classes; ++k) s += std::exp(double(logits[r * classes + k]) - m);
    loss[r] = m + std::log(s) - double(logits[r * classes + labels[r]]);
  }
  return loss;
}

}  // namespace rethink::test
