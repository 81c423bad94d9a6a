// Local response normalization across channels, with TensorFlow's semantics (tf.nn.lrn):
//   s[c] = bias + alpha * sum of x[c']^2 over c' in [max(0, c - r), min(C - 1, c + r)]
//   y[c] = x[c] * s[c]^-beta
// over the C contiguous channels of each NHWC pixel (r is depth_radius). PyTorch's
// LocalResponseNorm divides alpha by the window size: local_response_norm(size = 2r + 1,
// alpha = alpha_tf * (2r + 1), beta, k = bias) is the same op.
//
// The forward keeps inv[c] = 1 / s[c] for the backward:
//   dx[j] = dy[j] * inv[j]^beta - 2 alpha beta x[j] * sum over |c - j| <= r of dy[c] y[c] inv[c]
// (y[c] inv[c] is x[c] s[c]^(-beta - 1)): no division and no second pow in the backward.
//
// One functor call handles one pixel: the window sums slide along the row, O(C) per pixel
// whatever the radius, accumulated in double so that float rows drift by no more than double
// rounding (squares of floats are exact in double).
#pragma once

#include <math.h>  // the global-namespace functions both nvcc and g++ provide

#include <cstdint>

#include "kernels/hd.h"

namespace rethink::kernels {

// TensorFlow's defaults; the small AlexNet uses {4, 1.0, 0.001 / 9, 0.75}.
struct LrnParams {
  int64_t channels = 0;
  int64_t depth_radius = 5;
  double bias = 1.0;
  double alpha = 1.0;
  double beta = 0.5;
};

namespace lrn_detail {

RT_HD float sqrt_of(float v) { return sqrtf(v); }
RT_HD double sqrt_of(double v) { return sqrt(v); }
RT_HD float pow_of(float v, float e) { return powf(v, e); }
RT_HD double pow_of(double v, double e) { return pow(v, e); }

// How inv^beta is computed: pow costs several times more than the rest of the op, and the
// exponents used in practice (0.75 in AlexNet, 0.5 TensorFlow's default, 1) need only sqrt,
// within an ulp or two of pow. Chosen once per row, so that the loops have no branch and
// vectorize.
enum class Exponent { kThreeQuarters, kHalf, kOne, kGeneral };

inline Exponent classify(double beta) {
  if (beta == 0.75) return Exponent::kThreeQuarters;
  if (beta == 0.5) return Exponent::kHalf;
  if (beta == 1.0) return Exponent::kOne;
  return Exponent::kGeneral;
}

template <Exponent E, class T>
RT_HD T pow_beta(T inv, T beta) {
  if constexpr (E == Exponent::kThreeQuarters) {
    const T root = sqrt_of(inv);
    return root * sqrt_of(root);
  } else if constexpr (E == Exponent::kHalf) {
    return sqrt_of(inv);
  } else if constexpr (E == Exponent::kOne) {
    return inv;
  } else {
    return pow_of(inv, beta);
  }
}

// f.template row<E>(pixel) with the exponent's case as a constant.
template <class F>
RT_HD void run_row(const F& f, Exponent e, int64_t pixel) {
  switch (e) {
    case Exponent::kThreeQuarters:
      f.template row<Exponent::kThreeQuarters>(pixel);
      break;
    case Exponent::kHalf:
      f.template row<Exponent::kHalf>(pixel);
      break;
    case Exponent::kOne:
      f.template row<Exponent::kOne>(pixel);
      break;
    default:
      f.template row<Exponent::kGeneral>(pixel);
      break;
  }
}

}  // namespace lrn_detail

// One pixel per call: inv_norm[p, c] = 1 / s[c] (the backward needs it) and
// y[p, c] = x[p, c] s[c]^-beta. Without an inv_norm buffer, it passes through y. x must not
// alias y or inv_norm.
template <class T>
struct LrnForward {
  const T* x;
  T* y;
  T* inv_norm;  // may be null
  int64_t channels;
  int64_t radius;
  double bias;
  double alpha;
  T beta;
  lrn_detail::Exponent exponent;

  RT_HD void operator()(int64_t pixel) const { lrn_detail::run_row(*this, exponent, pixel); }

  template <lrn_detail::Exponent E>
  RT_HD void row(int64_t pixel) const {
    const int64_t offset = pixel * channels;
    const T* xr = x + offset;
    T* ir = (inv_norm != nullptr ? inv_norm : y) + offset;
    T* yr = y + offset;
    double window = 0;  // sum of squares over [c - r, c + r], clipped to the row
    for (int64_t c = 0; c < channels && c <= radius; ++c) window += double(xr[c]) * double(xr[c]);
    for (int64_t c = 0; c < channels; ++c) {
      ir[c] = static_cast<T>(bias + alpha * window);
      const int64_t enter = c + radius + 1, leave = c - radius;
      if (enter < channels) window += double(xr[enter]) * double(xr[enter]);
      if (leave >= 0) window -= double(xr[leave]) * double(xr[leave]);
    }
    // A separate pass with no carried dependency: it vectorizes.
    for (int64_t c = 0; c < channels; ++c) {
      const T inv = T(1) / ir[c];
      ir[c] = inv;
      yr[c] = xr[c] * lrn_detail::pow_beta<E>(inv, beta);
    }
  }
};

// One pixel per call; dx must not alias the inputs.
template <class T>
struct LrnBackward {
  const T* x;
  const T* y;
  const T* inv_norm;
  const T* dy;
  T* dx;
  int64_t channels;
  int64_t radius;
  double two_alpha_beta;
  T beta;
  lrn_detail::Exponent exponent;

  RT_HD void operator()(int64_t pixel) const { lrn_detail::run_row(*this, exponent, pixel); }

  template <lrn_detail::Exponent E>
  RT_HD void row(int64_t pixel) const {
    const int64_t offset = pixel * channels;
    const T* xr = x + offset;
    const T* yr = y + offset;
    const T* ir = inv_norm + offset;
    const T* dyr = dy + offset;
    T* dxr = dx + offset;
    for (int64_t c = 0; c < channels; ++c) dxr[c] = dyr[c] * lrn_detail::pow_beta<E>(ir[c], beta);
    // The window's terms are recomputed as they enter and leave instead of being buffered: no
    // scratch row, for two more multiplications per element.
    const auto term = [&](int64_t c) { return double(dyr[c]) * double(yr[c]) * double(ir[c]); };
    double window = 0;
    for (int64_t c = 0; c < channels && c <= radius; ++c) window += term(c);
    for (int64_t j = 0; j < channels; ++j) {
      dxr[j] = static_cast<T>(double(dxr[j]) - two_alpha_beta * double(xr[j]) * window);
      const int64_t enter = j + radius + 1, leave = j - radius;
      if (enter < channels) window += term(enter);
      if (leave >= 0) window -= term(leave);
    }
  }
};

namespace cpu {
// x, y, inv_norm, dy, dx: [pixels, p.channels], row-major (NHWC with pixels = N * H * W).
// inv_norm receives 1 / s when not null (pass it when a backward will follow); the backward
// reads it, the input x and the output y.
template <class T>
void lrn_forward(const T* x, T* y, T* inv_norm, int64_t pixels, const LrnParams& p);
template <class T>
void lrn_backward(const T* x, const T* y, const T* inv_norm, const T* dy, T* dx, int64_t pixels,
                  const LrnParams& p);
}  // namespace cpu

namespace cuda {
// One thread per pixel, running the functors below (the CPU's bodies).
template <class T>
void lrn_forward(const T* x, T* y, T* inv_norm, int64_t pixels, const LrnParams& p, Stream stream);
template <class T>
void lrn_backward(const T* x, const T* y, const T* inv_norm, const T* dy, T* dx, int64_t pixels,
                  const LrnParams& p, Stream stream);
}  // namespace cuda

// The functors for given buffers and parameters (what cpu:: runs; the CUDA side launches them).
template <class T>
LrnForward<T> make_lrn_forward(const T* x, T* y, T* inv_norm, const LrnParams& p) {
  return {x,
          y,
          inv_norm,
          p.channels,
          p.depth_radius,
          p.bias,
          p.alpha,
          static_cast<T>(p.beta),
          lrn_detail::classify(p.beta)};
}

template <class T>
LrnBackward<T> make_lrn_backward(const T* x, const T* y, const T* inv_norm, const T* dy, T* dx,
                                 const LrnParams& p) {
  return {x,
          y,
          inv_norm,
          dy,
          dx,
          p.channels,
          p.depth_radius,
          2 * p.alpha * p.beta,
          static_cast<T>(p.beta),
          lrn_detail::classify(p.beta)};
}

}  // namespace rethink::kernels
