#include "kernels/gemm.h"

#include <climits>

#include "kernels/check.h"
#include "kernels/cuda/blas_check.h"
#include "kernels/launch_counter.h"

namespace rethink::kernels::cuda {
namespace {

cublasOperation_t to_cublas(bool trans) { return trans ? CUBLAS_OP_T : CUBLAS_OP_N; }

int as_int(int64_t v, const char* what) {
  RT_CHECK(v <= INT_MAX, "gemm: {} = {} exceeds cuBLAS's 32-bit sizes; split the product", what, v);
  return static_cast<int>(v);
}

// Column-major cuBLAS computes C^T[n, m] = op(B)^T[n, k] op(A)^T[k, m]: the row-major C.
void column_major_gemm(const Context& ctx, cublasOperation_t tb, cublasOperation_t ta, int n, int m,
                       int k, float alpha, const float* b, int ldb, const float* a, int lda,
                       float beta, float* c, int ldc) {
  const cublasComputeType_t compute =
      ctx.math == MathMode::kTf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  RT_CUBLAS_CHECK(cublasGemmEx(ctx.blas, tb, ta, n, m, k, &alpha, b, CUDA_R_32F, ldb, a, CUDA_R_32F,
                               lda, &beta, c, CUDA_R_32F, ldc, compute, CUBLAS_GEMM_DEFAULT));
}
void column_major_gemm(const Context& ctx, cublasOperation_t tb, cublasOperation_t ta, int n, int m,
                       int k, double alpha, const double* b, int ldb, const double* a, int lda,
                       double beta, double* c, int ldc) {
  RT_CUBLAS_CHECK(cublasDgemm(ctx.blas, tb, ta, n, m, k, &alpha, b, ldb, a, lda, &beta, c, ldc));
}

}  // namespace

template <class T>
void gemm(const Context& ctx, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha,
          const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  detail::check_gemm_args(trans_a, trans_b, m, n, k, lda, ldb, ldc);
  RT_CHECK(ctx.blas != nullptr, "gemm: no cuBLAS handle in the CUDA context");
  if (m == 0 || n == 0) return;
  RT_CUBLAS_CHECK(cublasSetStream(ctx.blas, reinterpret_cast<cudaStream_t>(ctx.stream)));
  column_major_gemm(ctx, to_cublas(trans_b), to_cublas(trans_a), as_int(n, "n"), as_int(m, "m"),
                    as_int(k, "k"), alpha, b, as_int(ldb, "ldb"), a, as_int(lda, "lda"), beta, c,
                    as_int(ldc, "ldc"));
  count_device_launch();
}

template void gemm<float>(const Context&, bool, bool, int64_t, int64_t, int64_t, float,
                          const float*, int64_t, const float*, int64_t, float, float*, int64_t);
template void gemm<double>(const Context&, bool, bool, int64_t, int64_t, int64_t, double,
                           const double*, int64_t, const double*, int64_t, double, double*,
                           int64_t);

}  // namespace rethink::kernels::cuda
