// Batch normalization through cuDNN (--conv-engine cudnn): the reference for our kernels in
// kernels/batch_norm.h, with the same entry points and outputs. cuDNN's spatial batch norm
// normalizes per channel over the rows of a [rows, channels] view; it always applies a scale and a
// shift, so absent gamma / beta are passed as ones and zeros, and only the requested gradients are
// kept. The moving averages stay ours (TensorFlow's decay with a bias correction), fed from
// the batch statistics cuDNN saves: the biased variance is recovered from its saved
// 1 / sqrt(var + epsilon) in double.
#pragma once

#include <cstdint>

#include "kernels/batch_norm.h"
#include "kernels/cuda/context.h"

namespace rethink::kernels::cudnn {

// Device workspace bytes the functions below need.
int64_t batch_norm_workspace_bytes(int64_t rows, int64_t channels);

// As cuda::batch_norm_forward_training: y, the batch mean, the biased variance and inv_std.
template <class T>
void batch_norm_forward_training(const cuda::Context& ctx, const T* x, const T* gamma,
                                 const T* beta, int64_t rows, int64_t channels, double epsilon,
                                 T* y, T* mean, T* variance, T* inv_std, void* workspace);
// As cuda::batch_norm_forward_inference.
template <class T>
void batch_norm_forward_inference(const cuda::Context& ctx, const T* x, const T* gamma,
                                  const T* beta, const T* mean, const T* variance, int64_t rows,
                                  int64_t channels, double epsilon, T* y, T* inv_std,
                                  void* workspace);
// The training backward (batch statistics). cuDNN has no inference backward: the op uses ours.
// grads.dx must be set (cuDNN always writes it); epsilon must be the forward's.
template <class T>
void batch_norm_backward_training(const cuda::Context& ctx, const T* x, const T* dy, const T* gamma,
                                  const T* mean, const T* inv_std, int64_t rows, int64_t channels,
                                  double epsilon, const cpu::BatchNormGradients<T>& grads,
                                  void* workspace);

}  // namespace rethink::kernels::cudnn
