// Copyright Allo authors. All Rights Reserved.
// SPDX-License-Identifier: Apache-2.0
//
// A small emulation of the XLS [CC] integer type ac_int<W, S> (XlsInt) for software
// emulation with g++: values of up to 127 bits held in a 128-bit integer, wrapped to W bits
// on every construction and assignment. Arithmetic converts both operands to __int128, so
// each expression is exact as long as its value fits in 127 bits; the generated code
// assigns every operation to a variable of the IR's result type, which wraps it.
#ifndef ALLO_XLS_INT_H
#define ALLO_XLS_INT_H

#include <cstdint>
#include <type_traits>

template <int W, bool S = true>
class ac_int {
  static_assert(W >= 1 && W <= 127, "the emulated ac_int holds 1 to 127 bits");
  __int128 v_ = 0;

  static __int128 wrap(__int128 x) {
    unsigned __int128 mask = (W == 127) ? ~(unsigned __int128)0 >> 1
                                        : (((unsigned __int128)1 << W) - 1);
    unsigned __int128 u = (unsigned __int128)x & mask;
    if (S && (u >> (W - 1)) & 1) return (__int128)(u | ~mask);
    return (__int128)u;
  }

 public:
  ac_int() = default;
  template <typename T, typename = typename std::enable_if<std::is_arithmetic<T>::value>::type>
  ac_int(T x) : v_(wrap((__int128)x)) {}
  ac_int(__int128 x) : v_(wrap(x)) {}
  // constants too wide for a C literal are written as digit strings
  ac_int(const char *digits, int radix) {
    bool negative = *digits == '-';
    if (negative || *digits == '+') digits++;
    unsigned __int128 u = 0;
    for (; *digits; digits++) {
      int d = *digits <= '9' ? *digits - '0' : (*digits | 32) - 'a' + 10;
      u = u * (unsigned)radix + (unsigned)d;
    }
    v_ = wrap(negative ? -(__int128)u : (__int128)u);
  }
  template <int W2, bool S2>
  ac_int(const ac_int<W2, S2> &o) : v_(wrap((__int128)o)) {}

  operator __int128() const { return v_; }

  template <int N>
  ac_int<N, false> slc(int lo) const {
    return ac_int<N, false>((__int128)((unsigned __int128)v_ >> lo));
  }
  template <int N, bool S2>
  ac_int &set_slc(int lo, const ac_int<N, S2> &x) {
    unsigned __int128 mask = (((unsigned __int128)1 << N) - 1) << lo;
    unsigned __int128 bits = ((unsigned __int128)(__int128)x << lo) & mask;
    v_ = wrap((__int128)(((unsigned __int128)v_ & ~mask) | bits));
    return *this;
  }

  class bit_ref {
    ac_int &owner_;
    int k_;

   public:
    bit_ref(ac_int &owner, int k) : owner_(owner), k_(k) {}
    operator bool() const { return ((unsigned __int128)owner_.v_ >> k_) & 1; }
    bit_ref &operator=(bool b) {
      owner_.template set_slc<1, false>(k_, ac_int<1, false>(b ? 1 : 0));
      return *this;
    }
  };
  bit_ref operator[](int k) { return bit_ref(*this, k); }
  bool operator[](int k) const { return ((unsigned __int128)v_ >> k) & 1; }

  long long to_int64() const { return (long long)v_; }
  unsigned long long to_uint64() const { return (unsigned long long)v_; }
  int to_int() const { return (int)v_; }
};

#endif  // ALLO_XLS_INT_H
