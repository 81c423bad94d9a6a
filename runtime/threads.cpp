#include "runtime/threads.h"

#include <omp.h>

#include "kernels/blas_info.h"

namespace rethink {

int available_cores() { return omp_get_num_procs(); }

int set_thread_count(int requested) {
  const int threads = requested > 0 ? requested : available_cores();
  omp_set_num_threads(threads);
  kernels::cpu::set_blas_threads(threads);
  return threads;
}

int thread_count() { return omp_get_max_threads(); }

}  // namespace rethink
