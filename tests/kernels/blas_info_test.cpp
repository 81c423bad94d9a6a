#include "kernels/blas_info.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <regex>

namespace rethink::kernels::cpu {
namespace {

// Puts OpenMP's and OpenBLAS's thread counts back as the test found them (OpenBLAS's OpenMP
// build sets OpenMP's count too when its own is set).
class RestoreThreads {
 public:
  RestoreThreads() : omp_(omp_get_max_threads()), blas_(blas_info().threads) {}
  ~RestoreThreads() {
    set_blas_threads(blas_);
    omp_set_num_threads(omp_);
  }

 private:
  int omp_;
  int blas_;
};

// The build links the OpenMP build of OpenBLAS by path; the pthreads build would fight
// OpenMP's own threads for the cores.
TEST(BlasInfo, ThreadingIsOpenMp) { EXPECT_EQ(blas_info().threading, "openmp"); }

TEST(BlasInfo, ConfigNamesOpenBlas) {
  EXPECT_NE(blas_info().config.find("OpenBLAS"), std::string::npos) << blas_info().config;
}

TEST(BlasInfo, LapackVersionIsMajorMinorPatch) {
  const std::string v = blas_info().lapack_version;
  EXPECT_FALSE(v.empty());
  EXPECT_TRUE(std::regex_match(v, std::regex(R"(\d+\.\d+\.\d+)"))) << v;
  EXPECT_NE(v, "0.0.0");
}

TEST(BlasInfo, SetBlasThreadsChangesTheReportedCount) {
  RestoreThreads restore;
  set_blas_threads(1);
  EXPECT_EQ(blas_info().threads, 1);
  set_blas_threads(2);
  EXPECT_EQ(blas_info().threads, 2);
}

}  // namespace
}  // namespace rethink::kernels::cpu
