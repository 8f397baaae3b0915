// Copyright Allo authors. All Rights Reserved.
// SPDX-License-Identifier: Apache-2.0
//
// hls::stream for C simulation: an unbounded FIFO. Processes run one after another in call
// order, so reading an empty stream means the design is not sequentially executable; that
// read stops the simulation loudly instead of returning a made-up value.
#ifndef ALLO_HLS_STREAM_H
#define ALLO_HLS_STREAM_H

// C simulation of dataflow regions: threads and bounded, blocking streams.
#ifdef ALLO_CSIM_DATAFLOW
#include "allo_csim_dataflow.h"
#else

#include <stdio.h>
#include <stdlib.h>
#include <deque>
#include <string>

#define ALLO_EMPTY_STREAM_EXIT 86

namespace hls {

template <typename T>
class stream {
 public:
  stream() {}
  explicit stream(const char* name) : name_(name) {}
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;

  T read() {
    if (fifo_.empty()) {
      fprintf(stderr,
              "ALLO-CSIM: read from the empty stream '%s'; the design is not sequentially "
              "executable\n",
              name_.empty() ? "<unnamed>" : name_.c_str());
      fflush(stderr);
      exit(ALLO_EMPTY_STREAM_EXIT);
    }
    T value = fifo_.front();
    fifo_.pop_front();
    return value;
  }
  void read(T& value) { value = read(); }
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

 private:
  std::deque<T> fifo_;
  std::string name_;
};

}  // namespace hls

#endif  // ALLO_CSIM_DATAFLOW
#endif  // ALLO_HLS_STREAM_H
