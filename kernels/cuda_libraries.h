// Versions of the CUDA libraries this build links, read from the libraries themselves.
// Needs no GPU: on a machine without a driver the driver version is 0.
#pragma once

#include <string>

namespace rethink::kernels::cuda {

struct LibraryVersions {
  int runtime = 0;       // cudaRuntimeGetVersion, e.g. 13000
  int driver = 0;        // cudaDriverGetVersion; 0 without a driver
  std::string cublas;    // major.minor.patch
  std::string cudnn;     // major.minor.patch
  std::string cusolver;  // major.minor.patch
};

LibraryVersions library_versions();

}  // namespace rethink::kernels::cuda
