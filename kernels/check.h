// Check macros for host code: RT_CHECK(cond, "format {}", args...) throws rethink::Error with
// the formatted message and file:line when cond is false; RT_FAIL throws unconditionally.
#pragma once

#include <fmt/format.h>

#include "kernels/error.h"

#define RT_CHECK(cond, ...)                                                             \
  do {                                                                                  \
    if (!(cond)) [[unlikely]] {                                                         \
      ::rethink::detail::throw_located(__FILE__, __LINE__, fmt::format(__VA_ARGS__));   \
    }                                                                                   \
  } while (0)

#define RT_FAIL(...) ::rethink::detail::throw_located(__FILE__, __LINE__, fmt::format(__VA_ARGS__))
