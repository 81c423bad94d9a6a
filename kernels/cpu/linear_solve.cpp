#include "kernels/linear_solve.h"

#include <cblas.h>
#include <lapacke.h>

#include <vector>

#include "kernels/check.h"

namespace rethink::kernels::cpu {
namespace {

lapack_int to_lapack(int64_t v, const char* what) {
  RT_CHECK(v >= 0 && v <= INT32_MAX, "linear solve: {} = {} does not fit LAPACK's 32-bit ints",
           what, v);
  return static_cast<lapack_int>(v);
}

// LAPACK's two precisions under one name. The _work entry points: the plain ones first scan
// the matrix for NaNs with 32-bit index arithmetic, which overflows (and crashes) once the
// matrix has more than 2^31 elements (n > 46,340), as kernel matrices do.
lapack_int potrf(char uplo, lapack_int n, float* a) {
  return LAPACKE_spotrf_work(LAPACK_COL_MAJOR, uplo, n, a, n);
}
lapack_int potrf(char uplo, lapack_int n, double* a) {
  return LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, uplo, n, a, n);
}
lapack_int potrs(char uplo, lapack_int n, lapack_int nrhs, const float* a, float* b) {
  return LAPACKE_spotrs_work(LAPACK_COL_MAJOR, uplo, n, nrhs, a, n, b, n);
}
lapack_int potrs(char uplo, lapack_int n, lapack_int nrhs, const double* a, double* b) {
  return LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, uplo, n, nrhs, a, n, b, n);
}
lapack_int gesv(lapack_int n, lapack_int nrhs, float* a, lapack_int* pivots, float* b) {
  return LAPACKE_sgesv_work(LAPACK_COL_MAJOR, n, nrhs, a, n, pivots, b, n);
}
lapack_int gesv(lapack_int n, lapack_int nrhs, double* a, lapack_int* pivots, double* b) {
  return LAPACKE_dgesv_work(LAPACK_COL_MAJOR, n, nrhs, a, n, pivots, b, n);
}
void trmv_upper(lapack_int n, const float* u, float* x) {
  cblas_strmv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, n, u, n, x, 1);
}
void trmv_upper(lapack_int n, const double* u, double* x) {
  cblas_dtrmv(CblasColMajor, CblasUpper, CblasNoTrans, CblasNonUnit, n, u, n, x, 1);
}

}  // namespace

// The lower triangle of a row-major matrix is the upper triangle of the same memory read
// column-major: LAPACK's 'U'.
template <class T>
bool cholesky_solve(T* a, int64_t n, T* b, int64_t nrhs) {
  const lapack_int ln = to_lapack(n, "n"), lr = to_lapack(nrhs, "nrhs");
  if (n == 0) return true;
  const lapack_int info = potrf('U', ln, a);
  RT_CHECK(info >= 0, "linear solve: potrf argument {} was invalid", -info);
  if (info > 0) return false;
  const lapack_int solved = potrs('U', ln, lr, a, b);
  RT_CHECK(solved == 0, "linear solve: potrs failed with info {}", solved);
  return true;
}

template <class T>
double cholesky_quadratic_form(const T* factored, int64_t n, const T* x, int64_t nrhs) {
  const lapack_int ln = to_lapack(n, "n");
  std::vector<T> ux(static_cast<size_t>(n));
  double sum = 0;
  for (int64_t r = 0; r < nrhs; ++r) {
    const T* xr = x + r * n;
    ux.assign(xr, xr + n);
    trmv_upper(ln, factored, ux.data());
    for (const T v : ux) sum += static_cast<double>(v) * static_cast<double>(v);
  }
  return sum;
}

template <class T>
bool lu_solve_transposed(T* a, int64_t n, T* b, int64_t nrhs) {
  const lapack_int ln = to_lapack(n, "n"), lr = to_lapack(nrhs, "nrhs");
  if (n == 0) return true;
  std::vector<lapack_int> pivots(static_cast<size_t>(n));
  const lapack_int info = gesv(ln, lr, a, pivots.data(), b);
  RT_CHECK(info >= 0, "linear solve: gesv argument {} was invalid", -info);
  return info == 0;
}

#define RT_INSTANTIATE(T)                                                       \
  template bool cholesky_solve<T>(T*, int64_t, T*, int64_t);                    \
  template double cholesky_quadratic_form<T>(const T*, int64_t, const T*, int64_t); \
  template bool lu_solve_transposed<T>(T*, int64_t, T*, int64_t);
RT_INSTANTIATE(float)
RT_INSTANTIATE(double)
#undef RT_INSTANTIATE

}  // namespace rethink::kernels::cpu
