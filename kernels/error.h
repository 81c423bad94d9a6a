// rethink::Error and rethink::UserError. They live at the bottom of the dependency chain so
// that kernels, the runtime and everything above throw the same types. This header needs no
// formatting library, so CUDA translation units can include it (nvcc cannot compile fmt 9);
// kernels/check.h adds the formatted check macros for host code.
#pragma once

#include <stdexcept>
#include <string>

namespace rethink {

// A failure inside the library: the message says what failed, where, and what to do.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failure caused by the user's input (a flag, a file, a setting). The CLI prints its message
// as is, without a source location, and exits with status 2.
class UserError : public Error {
 public:
  using Error::Error;
};

namespace detail {
// Throws Error("<message> (<file relative to the source tree>:<line>)").
[[noreturn]] void throw_located(const char* file, int line, const std::string& message);
}  // namespace detail

}  // namespace rethink
