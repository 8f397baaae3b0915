// Copyright Allo authors. All Rights Reserved.
// SPDX-License-Identifier: Apache-2.0
//
// A binary16 `half` for C simulation. Every operation is computed in float and rounded to
// binary16 (nearest-even) right away, which is exactly what the CPU build does for f16 and,
// for + - * / and sqrt, equals the correctly rounded binary16 operation.
#ifndef ALLO_HLS_HALF_H
#define ALLO_HLS_HALF_H

#include <ap_int.h>
#include <ap_fixed.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <type_traits>

class half {
 public:
  uint16_t bits_;

  half() = default;
  half(float f) : bits_(from_double((double)f)) {}
  half(double d) : bits_(from_double(d)) {}
  template <typename T, typename std::enable_if<std::is_integral<T>::value, int>::type = 0>
  half(T v) : bits_(from_double((double)v)) {}
  template <int W, bool S>
  half(const ap_int_base<W, S>& v) : bits_(from_double(v.to_double())) {}
  template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>
  half(const ap_fixed_base<W, I, S, Q, O, N>& v) : bits_(from_double(v.to_double())) {}

  static half from_bits(uint16_t b) {
    half h;
    h.bits_ = b;
    return h;
  }

  operator float() const { return to_float(); }

  float to_float() const {
    uint16_t h = bits_;
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    int exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ffu;
    if (exp == 0) {
      float v = ldexpf((float)mant, -24);
      return sign ? -v : v;
    }
    uint32_t f;
    if (exp == 31)
      f = sign | 0x7f800000u | (mant << 13);
    else
      f = sign | ((uint32_t)(exp - 15 + 127) << 23) | (mant << 13);
    float out;
    memcpy(&out, &f, 4);
    return out;
  }

  // Correctly rounded (nearest-even) conversion of a double to binary16 bits.
  static uint16_t from_double(double d) {
    uint64_t b;
    memcpy(&b, &d, 8);
    uint16_t sign = (uint16_t)((b >> 48) & 0x8000u);
    int exp = (int)((b >> 52) & 0x7ff);
    uint64_t mant = b & 0xFFFFFFFFFFFFFull;
    if (exp == 0x7ff) return sign | 0x7c00u | (mant ? 0x200u : 0u);
    if (exp == 0) return sign;
    int e = exp - 1023;
    if (e > 15) return sign | 0x7c00u;
    uint64_t m = mant | (1ull << 52);
    int shift = 42;
    int he = e + 15;
    if (e < -14) {
      shift = 28 - e;
      he = 0;
      if (shift >= 64) return sign;
    }
    uint64_t q = m >> shift;
    uint64_t rem = m & ((1ull << shift) - 1);
    uint64_t halfway = 1ull << (shift - 1);
    if (rem > halfway || (rem == halfway && (q & 1))) q++;
    if (he == 0) return sign | (uint16_t)q;
    if (q == 2048) {
      q = 1024;
      he++;
    }
    if (he >= 31) return sign | 0x7c00u;
    return sign | (uint16_t)(he << 10) | (uint16_t)(q & 0x3ffu);
  }

  half& operator+=(half o) { return *this = half(to_float() + o.to_float()); }
  half& operator-=(half o) { return *this = half(to_float() - o.to_float()); }
  half& operator*=(half o) { return *this = half(to_float() * o.to_float()); }
  half& operator/=(half o) { return *this = half(to_float() / o.to_float()); }
};

inline half operator+(half a, half b) { return half(a.to_float() + b.to_float()); }
inline half operator-(half a, half b) { return half(a.to_float() - b.to_float()); }
inline half operator*(half a, half b) { return half(a.to_float() * b.to_float()); }
inline half operator/(half a, half b) { return half(a.to_float() / b.to_float()); }
inline half operator-(half a) { return half::from_bits(a.bits_ ^ 0x8000u); }
inline bool operator==(half a, half b) { return a.to_float() == b.to_float(); }
inline bool operator!=(half a, half b) { return a.to_float() != b.to_float(); }
inline bool operator<(half a, half b) { return a.to_float() < b.to_float(); }
inline bool operator<=(half a, half b) { return a.to_float() <= b.to_float(); }
inline bool operator>(half a, half b) { return a.to_float() > b.to_float(); }
inline bool operator>=(half a, half b) { return a.to_float() >= b.to_float(); }

inline half fmod(half a, half b) { return half(fmodf(a.to_float(), b.to_float())); }
inline half pow(half a, half b) { return half(powf(a.to_float(), b.to_float())); }

#endif  // ALLO_HLS_HALF_H
