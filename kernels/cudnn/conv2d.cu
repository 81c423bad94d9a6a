#include <algorithm>
#include <array>
#include <map>
#include <mutex>

#include "kernels/bias.h"
#include "kernels/cuda/for_each.cuh"
#include "kernels/cudnn/check.h"
#include "kernels/cudnn/conv2d.h"
#include "kernels/launch_counter.h"

namespace rethink::kernels::cudnn {
namespace {

// cuDNN's algorithms may ask for workspace up to this; beyond it the next candidate is taken.
constexpr size_t kMaxAlgorithmBytes = size_t{1} << 30;
constexpr int64_t kAlign = 256;

int64_t align_up(int64_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

cudnnDataType_t data_type(int64_t element_size) {
  return element_size == 8 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
}

// What cuDNN convolves: the input itself with symmetric padding, or (asymmetric SAME) a copy
// padded explicitly, convolved without padding.
struct Geometry {
  bool padded_copy = false;
  int64_t in_h = 0, in_w = 0;  // of the tensor cuDNN reads
  int pad_h = 0, pad_w = 0;    // cuDNN's own (symmetric) padding
};

Geometry geometry_of(const WindowedShape& s) {
  const Padding2d& p = s.window.pad;
  if (p.top == p.bottom && p.left == p.right) {
    return {false, s.in_h, s.in_w, static_cast<int>(p.top), static_cast<int>(p.left)};
  }
  return {true, s.in_h + p.top + p.bottom, s.in_w + p.left + p.right, 0, 0};
}

int64_t padded_bytes(const WindowedShape& s, int64_t element_size) {
  const Geometry g = geometry_of(s);
  return g.padded_copy ? align_up(s.batch * g.in_h * g.in_w * s.in_c * element_size) : 0;
}

struct Descriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;

  Descriptors(const WindowedShape& s, int64_t out_c, int64_t element_size, MathMode math) {
    const Geometry g = geometry_of(s);
    const cudnnDataType_t type = data_type(element_size);
    const auto i = [](int64_t v) { return static_cast<int>(v); };
    RT_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    RT_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    RT_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    RT_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    RT_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NHWC, type, i(s.batch), i(s.in_c),
                                              i(g.in_h), i(g.in_w)));
    RT_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NHWC, type, i(s.batch), i(out_c),
                                              i(s.out_h), i(s.out_w)));
    // OHWI is cuDNN's NHWC filter layout: [K, R, S, C].
    RT_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, type, CUDNN_TENSOR_NHWC, i(out_c), i(s.in_c),
                                              i(s.window.kernel_h), i(s.window.kernel_w)));
    RT_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, g.pad_h, g.pad_w, i(s.window.stride_h),
                                                   i(s.window.stride_w), 1, 1,
                                                   CUDNN_CROSS_CORRELATION, type));
    // What the heuristics are asked about: IEEE float32 (FMA math) unless TF32 was asked for
    // (the default math lets cuDNN use TF32 on Ampere and later).
    RT_CUDNN_CHECK(cudnnSetConvolutionMathType(
        conv, math == MathMode::kTf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
  }
  ~Descriptors() {
    cudnnDestroyConvolutionDescriptor(conv);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyTensorDescriptor(x);
  }
  Descriptors(const Descriptors&) = delete;
  Descriptors& operator=(const Descriptors&) = delete;
};

struct Algorithms {
  cudnnConvolutionFwdAlgo_t forward{};
  cudnnConvolutionBwdDataAlgo_t backward_data{};
  cudnnConvolutionBwdFilterAlgo_t backward_filter{};
  // The math type each was chosen with: set on the descriptor before it runs.
  cudnnMathType_t forward_math{}, backward_data_math{}, backward_filter_math{};
  size_t bytes = 0;  // the largest of their workspaces
};

// Tensor-core math types (TF32 for float32): excluded unless TF32 was asked for.
bool uses_tensor_cores(cudnnMathType_t math) {
  return math == CUDNN_TENSOR_OP_MATH || math == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
}

// The first of cuDNN's candidates (best expected first) that is available, fits and is
// deterministic; failing that, the first available one that fits (the reference then may
// differ in its last bits from run to run).
template <class Perf>
const Perf& pick(const Perf* perf, int count, bool allow_tensor_cores, const char* what) {
  const Perf* fallback = nullptr;
  for (int k = 0; k < count; ++k) {
    if (perf[k].status != CUDNN_STATUS_SUCCESS || perf[k].memory > kMaxAlgorithmBytes) continue;
    if (!allow_tensor_cores && uses_tensor_cores(perf[k].mathType)) continue;
    if (perf[k].determinism == CUDNN_DETERMINISTIC) return perf[k];
    if (fallback == nullptr) fallback = &perf[k];
  }
  if (fallback != nullptr) return *fallback;
  detail::throw_located(__FILE__, __LINE__,
                        std::string("cuDNN offers no ") + what +
                            " algorithm for this convolution: use --conv-engine ours");
}

using Key = std::array<int64_t, 14>;

Algorithms choose(const cuda::Context& ctx, const Descriptors& d, const Key& key) {
  static std::mutex mutex;
  static std::map<Key, Algorithms> chosen;
  std::lock_guard<std::mutex> lock(mutex);
  if (const auto it = chosen.find(key); it != chosen.end()) return it->second;
  constexpr int kCandidates = 16;
  const bool tensor_cores = ctx.math == MathMode::kTf32;
  Algorithms a;
  int count = 0;
  cudnnConvolutionFwdAlgoPerf_t forward[kCandidates];
  RT_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(ctx.dnn, d.x, d.w, d.conv, d.y, kCandidates,
                                                        &count, forward));
  const auto& f = pick(forward, count, tensor_cores, "forward");
  cudnnConvolutionBwdDataAlgoPerf_t data[kCandidates];
  RT_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(ctx.dnn, d.w, d.y, d.conv, d.x,
                                                             kCandidates, &count, data));
  const auto& bd = pick(data, count, tensor_cores, "backward-data");
  cudnnConvolutionBwdFilterAlgoPerf_t filter[kCandidates];
  RT_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(ctx.dnn, d.x, d.y, d.conv, d.w,
                                                               kCandidates, &count, filter));
  const auto& bf = pick(filter, count, tensor_cores, "backward-filter");
  a.forward = f.algo;
  a.backward_data = bd.algo;
  a.backward_filter = bf.algo;
  // IEEE float32 runs every algorithm with FMA math (CUDNN_DEFAULT_MATH would allow TF32 on
  // Ampere and later); TF32 keeps the math type each algorithm was offered with.
  a.forward_math = tensor_cores ? f.mathType : CUDNN_FMA_MATH;
  a.backward_data_math = tensor_cores ? bd.mathType : CUDNN_FMA_MATH;
  a.backward_filter_math = tensor_cores ? bf.mathType : CUDNN_FMA_MATH;
  // The heuristics' sizes are estimates; ask for the exact ones, each with its math type.
  size_t fb = 0, db = 0, wb = 0;
  RT_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, a.forward_math));
  RT_CUDNN_CHECK(
      cudnnGetConvolutionForwardWorkspaceSize(ctx.dnn, d.x, d.w, d.conv, d.y, a.forward, &fb));
  RT_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, a.backward_data_math));
  RT_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(ctx.dnn, d.w, d.y, d.conv, d.x,
                                                              a.backward_data, &db));
  RT_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, a.backward_filter_math));
  RT_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(ctx.dnn, d.x, d.y, d.conv, d.w,
                                                                a.backward_filter, &wb));
  a.bytes = std::max({fb, db, wb});
  chosen.emplace(key, a);
  return a;
}

Key key_of(const cuda::Context& ctx, const WindowedShape& s, int64_t out_c, int64_t element_size) {
  const Window2d& w = s.window;
  return {reinterpret_cast<int64_t>(ctx.dnn),
          s.batch,
          s.in_h,
          s.in_w,
          s.in_c,
          out_c,
          w.kernel_h,
          w.kernel_w,
          w.stride_h,
          w.pad.top * 4096 + w.pad.bottom,
          w.pad.left * 4096 + w.pad.right,
          element_size,
          static_cast<int64_t>(ctx.math),
          w.stride_w};
}

// x [N, H, W, C] into the interior of xp [N, H + top + bottom, W + left + right, C].
template <class T>
struct PadInto {
  const T* x;
  T* xp;
  int64_t h, w, c, hp, wp, top, left;
  RT_HD int64_t padded_index(int64_t i) const {
    const int64_t ch = i % c;
    int64_t q = i / c;
    const int64_t col = q % w;
    q /= w;
    const int64_t row = q % h;
    const int64_t n = q / h;
    return ((n * hp + row + top) * wp + col + left) * c + ch;
  }
  RT_HD void operator()(int64_t i) const { xp[padded_index(i)] = x[i]; }
};

// The reverse: the interior of xp back into x's shape.
template <class T>
struct CropFrom {
  PadInto<T> layout;
  T* out;
  RT_HD void operator()(int64_t i) const { out[i] = layout.xp[layout.padded_index(i)]; }
};

template <class T>
PadInto<T> pad_layout(const WindowedShape& s, const T* x, T* xp) {
  const Geometry g = geometry_of(s);
  return {x, xp, s.in_h, s.in_w, s.in_c, g.in_h, g.in_w, s.window.pad.top, s.window.pad.left};
}

// The tensor cuDNN reads as its input: x, or its padded copy in `buffer`.
template <class T>
const T* input_for(const cuda::Context& ctx, const WindowedShape& s, const T* x, T* buffer) {
  if (!geometry_of(s).padded_copy) return x;
  const int64_t bytes = padded_bytes(s, sizeof(T));
  RT_CUDA_CHECK(cudaMemsetAsync(buffer, 0, static_cast<size_t>(bytes),
                                reinterpret_cast<cudaStream_t>(ctx.stream)));
  cuda::for_each(s.in_pixels() * s.in_c, pad_layout(s, x, buffer), ctx.stream);
  return buffer;
}

}  // namespace

int64_t conv2d_workspace_bytes(const cuda::Context& ctx, const WindowedShape& shape, int64_t out_c,
                               int64_t element_size) {
  if (shape.batch == 0) return 0;
  RT_CUDNN_CHECK(cudnnSetStream(ctx.dnn, reinterpret_cast<cudaStream_t>(ctx.stream)));
  const Descriptors d(shape, out_c, element_size, ctx.math);
  const Algorithms a = choose(ctx, d, key_of(ctx, shape, out_c, element_size));
  return align_up(static_cast<int64_t>(a.bytes)) + padded_bytes(shape, element_size);
}

template <class T>
void conv2d_forward(const cuda::Context& ctx, const WindowedShape& shape, int64_t out_c, const T* x,
                    const T* w, const T* b, T* y, void* workspace, int64_t workspace_bytes) {
  if (shape.batch == 0) return;
  RT_CUDNN_CHECK(cudnnSetStream(ctx.dnn, reinterpret_cast<cudaStream_t>(ctx.stream)));
  const Descriptors d(shape, out_c, sizeof(T), ctx.math);
  const Algorithms a = choose(ctx, d, key_of(ctx, shape, out_c, sizeof(T)));
  auto* base = static_cast<char*>(workspace);
  const int64_t algo_bytes = workspace_bytes - padded_bytes(shape, sizeof(T));
  const T* input = input_for(ctx, shape, x, reinterpret_cast<T*>(base + algo_bytes));
  const T one = 1, zero = 0;
  RT_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, a.forward_math));
  RT_CUDNN_CHECK(cudnnConvolutionForward(ctx.dnn, &one, d.x, input, d.w, w, d.conv, a.forward, base,
                                         static_cast<size_t>(algo_bytes), &zero, d.y, y));
  count_device_launch();
  if (b) cuda::bias_add_rows(b, shape.out_pixels(), out_c, y, ctx.stream);
}

template <class T>
void conv2d_backward(const cuda::Context& ctx, const WindowedShape& shape, int64_t out_c,
                     const T* x, const T* w, const T* dy, T* dx, T* dw, bool accumulate_dw, T* db,
                     bool accumulate_db, void* workspace, int64_t workspace_bytes,
                     void* reduce_workspace) {
  const cudaStream_t stream = reinterpret_cast<cudaStream_t>(ctx.stream);
  const int64_t k = shape.window.kernel_h * shape.window.kernel_w * shape.in_c;
  if (db) {
    cuda::bias_grad_rows(dy, shape.out_pixels(), out_c, db, accumulate_db, reduce_workspace,
                         ctx.stream);
  }
  if (shape.batch == 0) {
    if (dw && !accumulate_dw) {
      RT_CUDA_CHECK(cudaMemsetAsync(dw, 0, static_cast<size_t>(out_c * k) * sizeof(T), stream));
    }
    return;
  }
  RT_CUDNN_CHECK(cudnnSetStream(ctx.dnn, stream));
  const Descriptors d(shape, out_c, sizeof(T), ctx.math);
  const Algorithms a = choose(ctx, d, key_of(ctx, shape, out_c, sizeof(T)));
  auto* base = static_cast<char*>(workspace);
  const int64_t algo_bytes = workspace_bytes - padded_bytes(shape, sizeof(T));
  T* padded = reinterpret_cast<T*>(base + algo_bytes);
  const T one = 1, zero = 0;
  if (dw) {
    const T* input = input_for(ctx, shape, x, padded);
    RT_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, a.backward_filter_math));
    RT_CUDNN_CHECK(cudnnConvolutionBackwardFilter(
        ctx.dnn, &one, d.x, input, d.y, dy, d.conv, a.backward_filter, base,
        static_cast<size_t>(algo_bytes), accumulate_dw ? &one : &zero, d.w, dw));
    count_device_launch();
  }
  if (dx) {
    // With a padded copy, the gradient of the padded input lands in the (now free) copy's
    // buffer and its interior is dx.
    const bool padded_copy = geometry_of(shape).padded_copy;
    RT_CUDNN_CHECK(cudnnSetConvolutionMathType(d.conv, a.backward_data_math));
    RT_CUDNN_CHECK(cudnnConvolutionBackwardData(
        ctx.dnn, &one, d.w, w, d.y, dy, d.conv, a.backward_data, base,
        static_cast<size_t>(algo_bytes), &zero, d.x, padded_copy ? padded : dx));
    count_device_launch();
    if (padded_copy) {
      cuda::for_each(shape.in_pixels() * shape.in_c,
                     CropFrom<T>{pad_layout(shape, static_cast<const T*>(nullptr), padded), dx},
                     ctx.stream);
    }
  }
}

template void conv2d_forward<float>(const cuda::Context&, const WindowedShape&, int64_t,
                                    const float*, const float*, const float*, float*, void*,
                                    int64_t);
template void conv2d_forward<double>(const cuda::Context&, const WindowedShape&, int64_t,
                                     const double*, const double*, const double*, double*, void*,
                                     int64_t);
template void conv2d_backward<float>(const cuda::Context&, const WindowedShape&, int64_t,
                                     const float*, const float*, const float*, float*, float*, bool,
                                     float*, bool, void*, int64_t, void*);
template void conv2d_backward<double>(const cuda::Context&, const WindowedShape&, int64_t,
                                      const double*, const double*, const double*, double*, double*,
                                      bool, double*, bool, void*, int64_t, void*);

}  // namespace rethink::kernels::cudnn
