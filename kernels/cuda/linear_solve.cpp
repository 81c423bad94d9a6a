#include "kernels/linear_solve.h"

#include <cusolverDn.h>

#include <algorithm>
#include <vector>

#include "kernels/check.h"
#include "kernels/cuda/solver_check.h"

namespace rethink::kernels::cuda {
namespace {

// Alignment of the three parts carved out of the caller's workspace.
constexpr int64_t kAlign = 256;
int64_t aligned(int64_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

template <class T>
constexpr cudaDataType kDataType = CUDA_R_32F;
template <>
constexpr cudaDataType kDataType<double> = CUDA_R_64F;

// The row-major lower triangle is the column-major upper one (see linear_solve.h).
constexpr cublasFillMode_t kTriangle = CUBLAS_FILL_MODE_UPPER;

// Options of one call: cuSOLVER's default algorithms.
class Params {
 public:
  Params() { RT_CUSOLVER_CHECK(cusolverDnCreateParams(&params_)); }
  ~Params() { cusolverDnDestroyParams(params_); }
  Params(const Params&) = delete;
  Params& operator=(const Params&) = delete;
  cusolverDnParams_t get() const { return params_; }

 private:
  cusolverDnParams_t params_ = nullptr;
};

struct BufferSizes {
  size_t device = 0, host = 0;
};

cudaStream_t stream_of(const Context& ctx) { return reinterpret_cast<cudaStream_t>(ctx.stream); }

cusolverDnHandle_t solver_on_stream(const Context& ctx) {
  RT_CHECK(ctx.solver != nullptr,
           "linear solve: no cuSOLVER handle in the CUDA context (take it from solver_context)");
  RT_CUSOLVER_CHECK(cusolverDnSetStream(ctx.solver, stream_of(ctx)));
  return ctx.solver;
}

template <class T>
BufferSizes potrf_sizes(cusolverDnHandle_t solver, const Params& params, const T* a, int64_t n) {
  BufferSizes s;
  RT_CUSOLVER_CHECK(cusolverDnXpotrf_bufferSize(solver, params.get(), kTriangle, n, kDataType<T>, a,
                                                n, kDataType<T>, &s.device, &s.host));
  return s;
}

template <class T>
BufferSizes getrf_sizes(cusolverDnHandle_t solver, const Params& params, const T* a, int64_t n) {
  BufferSizes s;
  RT_CUSOLVER_CHECK(cusolverDnXgetrf_bufferSize(solver, params.get(), n, n, kDataType<T>, a, n,
                                                kDataType<T>, &s.device, &s.host));
  return s;
}

// The caller's workspace: cuSOLVER's device buffer, then LU's n pivots, then the status word.
struct Workspace {
  void* buffer = nullptr;
  int64_t* pivots = nullptr;
  int* info = nullptr;
};

int64_t workspace_bytes_for(int64_t buffer_bytes, int64_t n) {
  return aligned(std::max<int64_t>(buffer_bytes, 1)) + aligned(n * int64_t{sizeof(int64_t)}) +
         kAlign;
}

Workspace carve(void* workspace, int64_t bytes, int64_t n, size_t needed, const char* what) {
  const int64_t want = workspace_bytes_for(static_cast<int64_t>(needed), n);
  RT_CHECK(workspace != nullptr && bytes >= want,
           "{}: the workspace holds {} bytes, but cuSOLVER needs {} for n = {} (size it with "
           "solve_workspace_bytes)",
           what, bytes, want, n);
  auto* base = static_cast<unsigned char*>(workspace);
  const int64_t buffer_bytes = aligned(std::max<int64_t>(static_cast<int64_t>(needed), 1));
  Workspace w;
  w.buffer = base;
  w.pivots = reinterpret_cast<int64_t*>(base + buffer_bytes);
  w.info = reinterpret_cast<int*>(base + buffer_bytes + aligned(n * int64_t{sizeof(int64_t)}));
  return w;
}

// cuSOLVER's devInfo, once the factorization or solve queued before it has run.
int read_info(const Context& ctx, const int* info) {
  int host = 0;
  RT_CUDA_CHECK(cudaMemcpyAsync(&host, info, sizeof host, cudaMemcpyDeviceToHost, stream_of(ctx)));
  RT_CUDA_CHECK(cudaStreamSynchronize(stream_of(ctx)));
  return host;
}

void check_sizes(int64_t n, int64_t nrhs, const char* what) {
  RT_CHECK(n >= 0 && nrhs >= 0, "{}: n = {} and nrhs = {} must not be negative", what, n, nrhs);
}

}  // namespace

template <class T>
int64_t solve_workspace_bytes(const Context& ctx, const T* a, int64_t n) {
  check_sizes(n, 0, "solve_workspace_bytes");
  if (n == 0) return workspace_bytes_for(0, 0);
  cusolverDnHandle_t solver = solver_on_stream(ctx);
  const Params params;
  const BufferSizes chol = potrf_sizes(solver, params, a, n);
  const BufferSizes lu = getrf_sizes(solver, params, a, n);
  return workspace_bytes_for(static_cast<int64_t>(std::max(chol.device, lu.device)), n);
}

template <class T>
bool cholesky_solve(const Context& ctx, T* a, int64_t n, T* b, int64_t nrhs, void* workspace,
                    int64_t workspace_bytes) {
  check_sizes(n, nrhs, "cholesky_solve");
  if (n == 0) return true;
  cusolverDnHandle_t solver = solver_on_stream(ctx);
  const Params params;
  const BufferSizes sizes = potrf_sizes(solver, params, a, n);
  const Workspace w = carve(workspace, workspace_bytes, n, sizes.device, "cholesky_solve");
  std::vector<unsigned char> host(std::max<size_t>(sizes.host, 1));
  RT_CUSOLVER_CHECK(cusolverDnXpotrf(solver, params.get(), kTriangle, n, kDataType<T>, a, n,
                                     kDataType<T>, w.buffer, sizes.device, host.data(), sizes.host,
                                     w.info));
  const int factored = read_info(ctx, w.info);
  RT_CHECK(factored >= 0, "cholesky_solve: cusolverDnXpotrf argument {} was invalid", -factored);
  if (factored > 0) return false;  // the leading minor of order `factored` is not positive
  if (nrhs == 0) return true;
  RT_CUSOLVER_CHECK(cusolverDnXpotrs(solver, params.get(), kTriangle, n, nrhs, kDataType<T>, a, n,
                                     kDataType<T>, b, n, w.info));
  const int solved = read_info(ctx, w.info);
  RT_CHECK(solved == 0, "cholesky_solve: cusolverDnXpotrs failed with info {}", solved);
  return true;
}

template <class T>
bool lu_solve_transposed(const Context& ctx, T* a, int64_t n, T* b, int64_t nrhs, void* workspace,
                         int64_t workspace_bytes) {
  check_sizes(n, nrhs, "lu_solve_transposed");
  if (n == 0) return true;
  cusolverDnHandle_t solver = solver_on_stream(ctx);
  const Params params;
  const BufferSizes sizes = getrf_sizes(solver, params, a, n);
  const Workspace w = carve(workspace, workspace_bytes, n, sizes.device, "lu_solve_transposed");
  std::vector<unsigned char> host(std::max<size_t>(sizes.host, 1));
  // Column-major, `a` is A^T: factoring and solving it solves the transposed system.
  RT_CUSOLVER_CHECK(cusolverDnXgetrf(solver, params.get(), n, n, kDataType<T>, a, n, w.pivots,
                                     kDataType<T>, w.buffer, sizes.device, host.data(), sizes.host,
                                     w.info));
  const int factored = read_info(ctx, w.info);
  RT_CHECK(factored >= 0, "lu_solve_transposed: cusolverDnXgetrf argument {} was invalid",
           -factored);
  if (factored > 0) return false;  // U[factored - 1, factored - 1] is exactly zero
  if (nrhs == 0) return true;
  RT_CUSOLVER_CHECK(cusolverDnXgetrs(solver, params.get(), CUBLAS_OP_N, n, nrhs, kDataType<T>, a, n,
                                     w.pivots, kDataType<T>, b, n, w.info));
  const int solved = read_info(ctx, w.info);
  RT_CHECK(solved == 0, "lu_solve_transposed: cusolverDnXgetrs failed with info {}", solved);
  return true;
}

#define RT_INSTANTIATE(T)                                                                    \
  template int64_t solve_workspace_bytes<T>(const Context&, const T*, int64_t);              \
  template bool cholesky_solve<T>(const Context&, T*, int64_t, T*, int64_t, void*, int64_t); \
  template bool lu_solve_transposed<T>(const Context&, T*, int64_t, T*, int64_t, void*, int64_t);
RT_INSTANTIATE(float)
RT_INSTANTIATE(double)
#undef RT_INSTANTIATE

}  // namespace rethink::kernels::cuda
