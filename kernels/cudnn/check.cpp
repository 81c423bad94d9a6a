#include "kernels/cudnn/check.h"

#include <fmt/format.h>

namespace rethink::kernels::cudnn {

void throw_cudnn_error(cudnnStatus_t status, const char* expr, const char* file, int line) {
  std::string hint;
  if (status == CUDNN_STATUS_NOT_INITIALIZED) {
    hint =
        "; cuDNN could not start (no usable GPU, or libcudnn is missing): put libcudnn.so.9 "
        "and its sub-libraries on LD_LIBRARY_PATH, or use --conv-engine ours";
  } else if (status == CUDNN_STATUS_ALLOC_FAILED) {
    hint = "; the GPU is out of memory: lower --batch";
  } else if (status == CUDNN_STATUS_NOT_SUPPORTED) {
    hint = "; cuDNN has no engine for this configuration: use --conv-engine ours";
  }
  char detail_message[512] = {};
  cudnnGetLastErrorString(detail_message, sizeof detail_message);
  detail::throw_located(
      file, line,
      fmt::format("cuDNN call {} failed: {}{}{}{}{}", expr, cudnnGetErrorString(status),
                  detail_message[0] != '\0' ? " (" : "", detail_message,
                  detail_message[0] != '\0' ? ")" : "", hint));
}

}  // namespace rethink::kernels::cudnn
