// Copyright Allo authors. All Rights Reserved.
// SPDX-License-Identifier: Apache-2.0
//
// hls::vector<T, N> for C simulation: a fixed-size array value with element access and
// element-wise arithmetic (the part of Vitis's class that generated code uses).
#ifndef ALLO_HLS_VECTOR_H
#define ALLO_HLS_VECTOR_H

#include <stddef.h>

namespace hls {

template <typename T, size_t N>
class vector {
 public:
  vector() {}
  vector(const T& value) {
    for (size_t i = 0; i < N; i++) data_[i] = value;
  }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  static constexpr size_t size() { return N; }

#define ALLO_VECTOR_OP(op)                                              \
  friend vector operator op(const vector& a, const vector& b) {        \
    vector r;                                                           \
    for (size_t i = 0; i < N; i++) r.data_[i] = a.data_[i] op b.data_[i]; \
    return r;                                                           \
  }
  ALLO_VECTOR_OP(+)
  ALLO_VECTOR_OP(-)
  ALLO_VECTOR_OP(*)
  ALLO_VECTOR_OP(/)
#undef ALLO_VECTOR_OP

  friend bool operator==(const vector& a, const vector& b) {
    for (size_t i = 0; i < N; i++)
      if (!(a.data_[i] == b.data_[i])) return false;
    return true;
  }
  friend bool operator!=(const vector& a, const vector& b) { return !(a == b); }

 private:
  T data_[N];
};

}  // namespace hls

#endif  // ALLO_HLS_VECTOR_H
