// Scalar math callable from host and device code with one spelling for float and double.
#pragma once

#include <math.h>  // the global-namespace functions both nvcc and g++ provide

#include "kernels/hd.h"

namespace rethink::kernels {

RT_HD float hd_exp(float x) { return expf(x); }
RT_HD double hd_exp(double x) { return exp(x); }
RT_HD float hd_log(float x) { return logf(x); }
RT_HD double hd_log(double x) { return log(x); }
RT_HD double hd_nan() { return nan(""); }

}  // namespace rethink::kernels
