// Sets OpenMP's thread count for a scope and puts the previous count back on exit, so that a
// test comparing thread counts leaves the next test as it found it.
#pragma once

#include <omp.h>

namespace rethink::test {

class ScopedOmpThreads {
 public:
  explicit ScopedOmpThreads(int threads) : previous_(omp_get_max_threads()) {
    omp_set_num_threads(threads);
  }
  ~ScopedOmpThreads() { omp_set_num_threads(previous_); }
  ScopedOmpThreads(const ScopedOmpThreads&) = delete;
  ScopedOmpThreads& operator=(const ScopedOmpThreads&) = delete;

 private:
  int previous_;
};

}  // namespace rethink::test
