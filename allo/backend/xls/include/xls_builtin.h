// Copyright Allo authors. All Rights Reserved.
// SPDX-License-Identifier: Apache-2.0
//
// Software emulation of the XLS [CC] built-ins used by the generated test blocks:
// __xls_channel (a FIFO; reading an empty channel aborts) and __xls_memory (an array).
#ifndef ALLO_XLS_BUILTIN_H
#define ALLO_XLS_BUILTIN_H

#include <cstdio>
#include <cstdlib>
#include <deque>

enum __xls_channel_dir { __xls_channel_dir_Unknown, __xls_channel_dir_In, __xls_channel_dir_Out,
                         __xls_channel_dir_InOut };

template <typename T, __xls_channel_dir Dir = __xls_channel_dir_Unknown>
class __xls_channel {
  std::deque<T> q_;

 public:
  T read() {
    if (q_.empty()) {
      std::fprintf(stderr, "read of an empty XLS channel\n");
      std::abort();
    }
    T v = q_.front();
    q_.pop_front();
    return v;
  }
  void write(const T &v) { q_.push_back(v); }
  bool empty() const { return q_.empty(); }
};

template <typename T, int Size>
class __xls_memory {
  T data_[Size];

 public:
  T &operator[](long long k) { return data_[k]; }
  const T &operator[](long long k) const { return data_[k]; }
};

#endif  // ALLO_XLS_BUILTIN_H
