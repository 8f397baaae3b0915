// Copyright Allo authors. All Rights Reserved.
// SPDX-License-Identifier: Apache-2.0
//
// hls::stream for C simulation: an unbounded FIFO. Processes run one after another in call
// order, so reading an empty stream means the design is not sequentially executable; that
// read stops the simulation loudly instead of returning a made-up value. A stream that still
// holds elements when the function declaring it returns stops the simulation too. Both
// messages name the stream (set by the C simulation build with allo_name_stream) and the
// function (GCC's __builtin_FUNCTION at the read, or at the declaration).
#ifndef ALLO_HLS_STREAM_H
#define ALLO_HLS_STREAM_H

// C simulation of dataflow regions: threads and bounded, blocking streams.
#ifdef ALLO_CSIM_DATAFLOW
#include "allo_csim_dataflow.h"
#else

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <deque>
#include <string>

#define ALLO_EMPTY_STREAM_EXIT 86
#define ALLO_LEFTOVER_STREAM_EXIT 87

namespace hls {

template <typename T>
class stream {
 public:
  stream(const char* owner = __builtin_FUNCTION()) : owner_(owner) {}
  explicit stream(const char* name, const char* owner = __builtin_FUNCTION())
      : name_(name), owner_(owner) {}
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;
  ~stream() {
    if (!fifo_.empty()) {
      fprintf(stderr,
              "ALLO-CSIM: stream '%s' of kernel %s still holds %zu element(s) at the end of "
              "%s\n",
              label(), owner_.c_str(), fifo_.size(), owner_.c_str());
      fflush(stderr);
      exit(ALLO_LEFTOVER_STREAM_EXIT);
    }
  }

  T read(const char* reader = __builtin_FUNCTION()) {
    if (fifo_.empty()) {
      fprintf(stderr,
              "ALLO-CSIM: read from the empty stream '%s' in kernel %s; the design is not "
              "sequentially executable\n",
              label(), reader);
      fflush(stderr);
      exit(ALLO_EMPTY_STREAM_EXIT);
    }
    T value = fifo_.front();
    fifo_.pop_front();
    return value;
  }
  void read(T& value, const char* reader = __builtin_FUNCTION()) { value = read(reader); }
  bool read_nb(T& value) {
    if (fifo_.empty()) return false;
    value = read();
    return true;
  }
  void write(const T& value) { fifo_.push_back(value); }
  bool write_nb(const T& value) {
    write(value);
    return true;
  }
  void operator>>(T& value) { value = read(); }
  void operator<<(const T& value) { write(value); }
  bool empty() const { return fifo_.empty(); }
  bool full() const { return false; }
  size_t size() const { return fifo_.size(); }
  void set_name(const char* name) { name_ = name; }

 private:
  const char* label() const { return name_.empty() ? "<unnamed>" : name_.c_str(); }
  std::deque<T> fifo_;
  std::string name_;
  std::string owner_;
};

// Name a stream, or every stream of an array (elements get _<i> suffixes: fifo_A_1_2).
template <typename T>
void allo_name_stream(stream<T>& s, const std::string& name) {
  s.set_name(name.c_str());
}
template <typename T, size_t N>
void allo_name_stream(T (&streams)[N], const std::string& name) {
  for (size_t i = 0; i < N; ++i) allo_name_stream(streams[i], name + "_" + std::to_string(i));
}

}  // namespace hls

#endif  // ALLO_CSIM_DATAFLOW
#endif  // ALLO_HLS_STREAM_H
