// Copyright Allo authors. All Rights Reserved.
// SPDX-License-Identifier: Apache-2.0
//
// hls::stream for C simulation of dataflow regions (included by hls_stream.h when
// ALLO_CSIM_DATAFLOW is defined). The C simulation of a region starts one thread per
// dataflow process (allo_csim::process_group); a stream declared with a depth
// (hls::stream<T> q("q", 2)) is a FIFO bounded by that depth whose read blocks while it is
// empty and whose write blocks while it is full, as in hardware. When every running process
// is blocked on a stream the simulation prints each one, its stream and whether it is empty
// or full, and stops (exit status ALLO_DEADLOCK_EXIT) instead of hanging.
//
// A stream declared without a depth (a stream local of one process) keeps the sequential
// semantics of hls_stream.h: an unbounded FIFO whose read of an empty stream stops loudly.
#ifndef ALLO_CSIM_DATAFLOW_H
#define ALLO_CSIM_DATAFLOW_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#define ALLO_EMPTY_STREAM_EXIT 86
#define ALLO_DEADLOCK_EXIT 88
// A blocked read/write first yields the CPU this many times before sleeping.
#define ALLO_CSIM_SPINS 4

namespace allo_csim {

// The name of the dataflow process the calling thread runs (nullptr: not a process).
inline const char*& process_name() {
  thread_local const char* name = nullptr;
  return name;
}

struct Waiter {
  const char* process;
  const std::string* stream;
  int depth;
  bool full;  // waiting to write into a full stream (else: to read an empty one)
};

// One lock for every bounded stream: the count of running processes is then exact.
class Scheduler {
 public:
  static Scheduler& get() {
    static Scheduler s;
    return s;
  }
  std::mutex mutex;

  void started() { running_++; }
  void finished() {
    running_--;
    check();
  }
  void block(Waiter* w) {
    waiting_.push_back(w);
    running_--;
    check();
  }
  void wake(Waiter* w) {
    for (size_t i = 0; i < waiting_.size(); i++) {
      if (waiting_[i] == w) {
        waiting_.erase(waiting_.begin() + i);
        running_++;
        return;
      }
    }
  }
  void pause() {  // a process waiting for its own sub-processes
    running_--;
    check();
  }
  void resume() { running_++; }

 private:
  void check() {
    if (running_ > 0 || waiting_.empty()) return;
    fprintf(stderr, "ALLO-CSIM-DEADLOCK: every unfinished process is blocked on a stream\n");
    for (Waiter* w : waiting_) {
      if (w->full)
        fprintf(stderr, "  %s waits to put into stream '%s' (full, depth %d)\n",
                w->process ? w->process : "<main>", w->stream->c_str(), w->depth);
      else
        fprintf(stderr, "  %s waits to get from stream '%s' (empty)\n",
                w->process ? w->process : "<main>", w->stream->c_str());
    }
    fflush(stderr);
    _exit(ALLO_DEADLOCK_EXIT);
  }
  int running_ = 0;
  std::vector<Waiter*> waiting_;
};

// The processes of one dataflow region: spawn each, then join them all. The thread that
// spawns counts as running until it joins (a process already does; the driver's thread gets
// a token), so no deadlock is declared before every process of the region has started.
class process_group {
 public:
  template <typename F>
  void spawn(const char* name, F body) {
    {
      std::lock_guard<std::mutex> lock(Scheduler::get().mutex);
      if (!open_ && process_name() == nullptr) Scheduler::get().started();  // the token
      open_ = true;
      Scheduler::get().started();
    }
    threads_.emplace_back([name, body]() {
      process_name() = name;
      body();
      std::lock_guard<std::mutex> lock(Scheduler::get().mutex);
      Scheduler::get().finished();
    });
  }
  void join() {
    bool is_process = process_name() != nullptr;
    if (open_) {
      std::lock_guard<std::mutex> lock(Scheduler::get().mutex);
      Scheduler::get().pause();  // the spawning process (or the token) stops running
    }
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    if (open_ && is_process) {
      std::lock_guard<std::mutex> lock(Scheduler::get().mutex);
      Scheduler::get().resume();
    }
    open_ = false;
  }
  ~process_group() {
    if (!threads_.empty()) join();
  }

 private:
  std::vector<std::thread> threads_;
  bool open_ = false;
};

}  // namespace allo_csim

namespace hls {

template <typename T>
class stream {
 public:
  stream() {}
  explicit stream(const char* name) : name_(name) {}
  stream(const char* name, int depth) : name_(name), depth_(depth) {}
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;

  T read() {
    if (depth_ == 0) return read_sequential();
    allo_csim::Scheduler& s = allo_csim::Scheduler::get();
    std::unique_lock<std::mutex> lock(s.mutex);
    allo_csim::Waiter me{allo_csim::process_name(), &name_, depth_, false};
    for (int spin = 0; spin < ALLO_CSIM_SPINS && fifo_.empty(); spin++) {
      lock.unlock();  // the writer is usually about to run: cheaper than sleeping
      std::this_thread::yield();
      lock.lock();
    }
    while (fifo_.empty()) {
      if (reader_ != &me) {
        reader_ = &me;
        s.block(&me);
      }
      not_empty_.wait(lock);
    }
    if (reader_ == &me) {  // woken without a write accounting for it
      s.wake(&me);
      reader_ = nullptr;
    }
    T value = fifo_.front();
    fifo_.pop_front();
    if (writer_ != nullptr) {
      s.wake(writer_);
      writer_ = nullptr;
    }
    not_full_.notify_one();
    return value;
  }
  void read(T& value) { value = read(); }
  bool read_nb(T& value) {
    if (empty()) return false;
    value = read();
    return true;
  }
  void write(const T& value) {
    if (depth_ == 0) {
      fifo_.push_back(value);
      return;
    }
    allo_csim::Scheduler& s = allo_csim::Scheduler::get();
    std::unique_lock<std::mutex> lock(s.mutex);
    allo_csim::Waiter me{allo_csim::process_name(), &name_, depth_, true};
    for (int spin = 0; spin < ALLO_CSIM_SPINS && (int)fifo_.size() >= depth_; spin++) {
      lock.unlock();
      std::this_thread::yield();
      lock.lock();
    }
    while ((int)fifo_.size() >= depth_) {
      if (writer_ != &me) {
        writer_ = &me;
        s.block(&me);
      }
      not_full_.wait(lock);
    }
    if (writer_ == &me) {
      s.wake(&me);
      writer_ = nullptr;
    }
    fifo_.push_back(value);
    if (reader_ != nullptr) {
      s.wake(reader_);
      reader_ = nullptr;
    }
    not_empty_.notify_one();
  }
  bool write_nb(const T& value) {
    if (full()) return false;
    write(value);
    return true;
  }
  void operator>>(T& value) { value = read(); }
  void operator<<(const T& value) { write(value); }
  bool empty() {
    if (depth_ == 0) return fifo_.empty();
    std::lock_guard<std::mutex> lock(allo_csim::Scheduler::get().mutex);
    return fifo_.empty();
  }
  bool full() {
    if (depth_ == 0) return false;
    std::lock_guard<std::mutex> lock(allo_csim::Scheduler::get().mutex);
    return (int)fifo_.size() >= depth_;
  }
  size_t size() {
    if (depth_ == 0) return fifo_.size();
    std::lock_guard<std::mutex> lock(allo_csim::Scheduler::get().mutex);
    return fifo_.size();
  }

 private:
  T read_sequential() {
    if (fifo_.empty()) {
      fprintf(stderr,
              "ALLO-CSIM: read from the empty stream '%s'; the design is not sequentially "
              "executable\n",
              name_.empty() ? "<unnamed>" : name_.c_str());
      fflush(stderr);
      _exit(ALLO_EMPTY_STREAM_EXIT);
    }
    T value = fifo_.front();
    fifo_.pop_front();
    return value;
  }

  std::deque<T> fifo_;
  std::string name_;
  int depth_ = 0;  // 0: a sequential (unbounded) stream
  allo_csim::Waiter* reader_ = nullptr;  // the blocked reader, if any
  allo_csim::Waiter* writer_ = nullptr;  // the blocked writer, if any
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
};

}  // namespace hls

#endif  // ALLO_CSIM_DATAFLOW_H
