// Copyright Allo authors. All Rights Reserved.
// SPDX-License-Identifier: Apache-2.0
//
// The subset of Vitis HLS's hls_math.h that generated code uses, for C simulation. The
// float/double functions call the same libm routines as the CPU build, so results are
// bit-identical; half functions compute in float and round once.
#ifndef ALLO_HLS_MATH_H
#define ALLO_HLS_MATH_H

#include <math.h>
#include <stdint.h>
#include <type_traits>
#include "hls_half.h"

// IEEE-754 maximum/minimum (NaN-propagating, -0 < +0) for floating-point min/max, the
// semantics of MLIR's arith.maximumf/minimumf that the CPU build runs. As non-templates
// these are preferred over std::max/std::min for float, double and half arguments.
inline float max(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return signbit(a) ? b : a;
  return a > b ? a : b;
}
inline float min(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return signbit(a) ? a : b;
  return a < b ? a : b;
}
inline double max(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return signbit(a) ? b : a;
  return a > b ? a : b;
}
inline double min(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return signbit(a) ? a : b;
  return a < b ? a : b;
}
inline half max(half a, half b) { return half(max(a.to_float(), b.to_float())); }
inline half min(half a, half b) { return half(min(a.to_float(), b.to_float())); }

namespace hls {

#define ALLO_HLS_UNARY(name, ffn, dfn)                                   \
  inline float name(float x) { return ::ffn(x); }                        \
  inline double name(double x) { return ::dfn(x); }                      \
  inline half name(half x) { return half(::ffn(x.to_float())); }

ALLO_HLS_UNARY(exp, expf, exp)
ALLO_HLS_UNARY(exp2, exp2f, exp2)
ALLO_HLS_UNARY(log, logf, log)
ALLO_HLS_UNARY(log2, log2f, log2)
ALLO_HLS_UNARY(log10, log10f, log10)
ALLO_HLS_UNARY(sqrt, sqrtf, sqrt)
ALLO_HLS_UNARY(sin, sinf, sin)
ALLO_HLS_UNARY(cos, cosf, cos)
ALLO_HLS_UNARY(tan, tanf, tan)
ALLO_HLS_UNARY(tanh, tanhf, tanh)
ALLO_HLS_UNARY(ceil, ceilf, ceil)
ALLO_HLS_UNARY(floor, floorf, floor)
ALLO_HLS_UNARY(round, roundf, round)
ALLO_HLS_UNARY(rint, rintf, rint)
ALLO_HLS_UNARY(trunc, truncf, trunc)
ALLO_HLS_UNARY(atan, atanf, atan)
ALLO_HLS_UNARY(asin, asinf, asin)
ALLO_HLS_UNARY(acos, acosf, acos)
ALLO_HLS_UNARY(sinh, sinhf, sinh)
ALLO_HLS_UNARY(cosh, coshf, cosh)
ALLO_HLS_UNARY(erf, erff, erf)
ALLO_HLS_UNARY(expm1, expm1f, expm1)
ALLO_HLS_UNARY(log1p, log1pf, log1p)
ALLO_HLS_UNARY(cbrt, cbrtf, cbrt)
#undef ALLO_HLS_UNARY

inline float abs(float x) { return ::fabsf(x); }
inline double abs(double x) { return ::fabs(x); }
inline half abs(half x) { return half::from_bits(x.bits_ & 0x7fffu); }
// Integer absolute value in the argument's own type: abs(MIN) wraps, like the CPU build.
template <typename T, typename std::enable_if<std::is_integral<T>::value, int>::type = 0>
inline T abs(T x) { return (T)(x < 0 ? -x : x); }
template <int W, bool S>
inline ap_int_base<W, S> abs(const ap_int_base<W, S>& x) {
  return ap_int_base<W, S>(x < 0 ? -x : x);
}
template <int W>
inline ap_int<W> abs(const ap_int<W>& x) { return ap_int<W>(x < 0 ? -x : x); }
template <int W>
inline ap_uint<W> abs(const ap_uint<W>& x) { return x; }

inline float atan2(float a, float b) { return ::atan2f(a, b); }
inline double atan2(double a, double b) { return ::atan2(a, b); }
inline half atan2(half a, half b) { return half(::atan2f(a.to_float(), b.to_float())); }
inline float copysign(float a, float b) { return ::copysignf(a, b); }
inline double copysign(double a, double b) { return ::copysign(a, b); }
inline half copysign(half a, half b) {
  return half::from_bits((a.bits_ & 0x7fffu) | (b.bits_ & 0x8000u));
}
inline float fma(float a, float b, float c) { return ::fmaf(a, b, c); }
inline double fma(double a, double b, double c) { return ::fma(a, b, c); }
inline half fma(half a, half b, half c) {
  return half(::fma((double)a.to_float(), (double)b.to_float(), (double)c.to_float()));
}

}  // namespace hls

#endif  // ALLO_HLS_MATH_H
