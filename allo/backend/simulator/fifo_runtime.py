"""Bounded FIFOs for the dataflow simulator, written in the LLVM dialect.

Every FIFO of a simulated design has one *control row* of :data:`ROW_WORDS` int64 words in a
table the simulator allocates with numpy (zero-initialised, which is the static initialiser
of glibc's ``pthread_mutex_t`` and ``pthread_cond_t``):

====== =============================================
word   content
====== =============================================
0      head: elements taken so far
1      tail: elements put so far
2      capacity (the declared depth)
3      address of the FIFO's timestamp slots (one int64 per ring slot)
4, 5   addresses of the put / get time histories (or 0), word 6 their length
8-12   ``pthread_mutex_t`` (bytes 64..103)
16-21  ``pthread_cond_t`` "not empty" (bytes 128..175)
24-29  ``pthread_cond_t`` "not full" (bytes 192..239)
====== =============================================

The elements themselves live in a ring buffer (an ordinary memref of ``depth`` slots) that the
process accesses with plain loads and stores between :func:`acquire <RUNTIME>` (wait for a slot,
return its index) and ``commit`` (publish it and wake the other side). Each process has a
*state row* of :data:`STATE_WORDS` words: word 0 is the code of the FIFO operation it is
blocked in (0 when running; ``2 * fifo + is_put + 1``), word 1 counts how often it blocked,
word 2 is set by the simulator when the process has returned. The watchdog of
:mod:`allo.backend.simulator.module` reads these rows to detect deadlocks.

Timing model (docs/dataflow.md): word :data:`CLOCK` of the state row is the process's clock
in cycles, which its compiled code advances (:mod:`allo.analysis.timing`), and word
:data:`STALLS` the cycles it spent waiting on FIFOs. ``acquire`` receives the access's
offset from the clock; under the FIFO's mutex it reads the slot's timestamp (a get: when the
element was put; a put: when the slot was last emptied, -1 at first), performs the access at
``max(clock + offset, timestamp + 1)``, moves the clock by the wait, and stores that time in
the slot for the other side (and in the history, when one is recorded).

The functions call ``pthread_*`` and ``sched_yield`` from the C library the Python process
already loaded, so the simulator needs no compiler.
"""

from __future__ import annotations

ROW_WORDS = 32
STATE_WORDS = 8  # one 64-byte cache line per process
CLOCK, STALLS = 3, 4  # state row words of the timing model
TIMES, PUT_HISTORY, GET_HISTORY, HISTORY_LENGTH = 3, 4, 5, 6  # control row words
ACQUIRE = "allo_fifo_acquire"
COMMIT = "allo_fifo_commit"

RUNTIME_TEMPLATE = r"""
llvm.func @pthread_mutex_lock(!llvm.ptr) -> i32
llvm.func @pthread_mutex_unlock(!llvm.ptr) -> i32
llvm.func @pthread_cond_wait(!llvm.ptr, !llvm.ptr) -> i32
llvm.func @pthread_cond_signal(!llvm.ptr) -> i32
llvm.func @sched_yield() -> i32

llvm.func @allo_fifo_acquire(%row: i64, %state: i64, %code: i64, %is_put: i1, %offset: i64)
    -> i64
    attributes {sym_visibility = "private"} {
  %p = llvm.inttoptr %row : i64 to !llvm.ptr
  %s = llvm.inttoptr %state : i64 to !llvm.ptr
  %tailp = llvm.getelementptr %p[1] : (!llvm.ptr) -> !llvm.ptr, i64
  %capp = llvm.getelementptr %p[2] : (!llvm.ptr) -> !llvm.ptr, i64
  %mutex = llvm.getelementptr %p[64] : (!llvm.ptr) -> !llvm.ptr, i8
  %not_empty = llvm.getelementptr %p[128] : (!llvm.ptr) -> !llvm.ptr, i8
  %not_full = llvm.getelementptr %p[192] : (!llvm.ptr) -> !llvm.ptr, i8
  %countp = llvm.getelementptr %s[1] : (!llvm.ptr) -> !llvm.ptr, i64
  %zero = llvm.mlir.constant(0 : i64) : i64
  %one = llvm.mlir.constant(1 : i64) : i64
  %spin_limit = llvm.mlir.constant(SPINS : i64) : i64
  %r0 = llvm.call @pthread_mutex_lock(%mutex) : (!llvm.ptr) -> i32
  llvm.br ^check(%zero : i64)
^check(%spins: i64):
  %head = llvm.load volatile %p : !llvm.ptr -> i64
  %tail = llvm.load volatile %tailp : !llvm.ptr -> i64
  %cap = llvm.load %capp : !llvm.ptr -> i64
  %size = llvm.sub %tail, %head : i64
  %full = llvm.icmp "uge" %size, %cap : i64
  %empty = llvm.icmp "eq" %size, %zero : i64
  %blocked = llvm.select %is_put, %full, %empty : i1, i1
  llvm.cond_br %blocked, ^spin, ^go
^spin:
  %more = llvm.icmp "ult" %spins, %spin_limit : i64
  llvm.cond_br %more, ^yield, ^wait
^yield:
  %u0 = llvm.call @pthread_mutex_unlock(%mutex) : (!llvm.ptr) -> i32
  %y = llvm.call @sched_yield() : () -> i32
  %u1 = llvm.call @pthread_mutex_lock(%mutex) : (!llvm.ptr) -> i32
  %spins1 = llvm.add %spins, %one : i64
  llvm.br ^check(%spins1 : i64)
^wait:
  llvm.store volatile %code, %s : i64, !llvm.ptr
  %n = llvm.load volatile %countp : !llvm.ptr -> i64
  %n1 = llvm.add %n, %one : i64
  llvm.store volatile %n1, %countp : i64, !llvm.ptr
  %cond = llvm.select %is_put, %not_full, %not_empty : i1, !llvm.ptr
  %r1 = llvm.call @pthread_cond_wait(%cond, %mutex) : (!llvm.ptr, !llvm.ptr) -> i32
  llvm.store volatile %zero, %s : i64, !llvm.ptr
  llvm.br ^check(%spin_limit : i64)
^go:
  %pos = llvm.select %is_put, %tail, %head : i1, i64
  %slot = llvm.urem %pos, %cap : i64
  %timesp = llvm.getelementptr %p[3] : (!llvm.ptr) -> !llvm.ptr, i64
  %times_addr = llvm.load %timesp : !llvm.ptr -> i64
  %times = llvm.inttoptr %times_addr : i64 to !llvm.ptr
  %stamp = llvm.getelementptr %times[%slot] : (!llvm.ptr, i64) -> !llvm.ptr, i64
  %ready = llvm.load %stamp : !llvm.ptr -> i64
  %clockp = llvm.getelementptr %s[3] : (!llvm.ptr) -> !llvm.ptr, i64
  %stallp = llvm.getelementptr %s[4] : (!llvm.ptr) -> !llvm.ptr, i64
  %clock = llvm.load volatile %clockp : !llvm.ptr -> i64
  %now = llvm.add %clock, %offset : i64
  %need = llvm.add %ready, %one : i64
  %waits = llvm.icmp "sgt" %need, %now : i64
  %at = llvm.select %waits, %need, %now : i1, i64
  %stall = llvm.sub %at, %now : i64
  %clock1 = llvm.add %clock, %stall : i64
  llvm.store volatile %clock1, %clockp : i64, !llvm.ptr
  %stalls = llvm.load volatile %stallp : !llvm.ptr -> i64
  %stalls1 = llvm.add %stalls, %stall : i64
  llvm.store volatile %stalls1, %stallp : i64, !llvm.ptr
  llvm.store %at, %stamp : i64, !llvm.ptr
  %lengthp = llvm.getelementptr %p[6] : (!llvm.ptr) -> !llvm.ptr, i64
  %length = llvm.load %lengthp : !llvm.ptr -> i64
  %record = llvm.icmp "ult" %pos, %length : i64
  llvm.cond_br %record, ^history, ^done
^history:
  %put_histp = llvm.getelementptr %p[4] : (!llvm.ptr) -> !llvm.ptr, i64
  %get_histp = llvm.getelementptr %p[5] : (!llvm.ptr) -> !llvm.ptr, i64
  %histp = llvm.select %is_put, %put_histp, %get_histp : i1, !llvm.ptr
  %hist_addr = llvm.load %histp : !llvm.ptr -> i64
  %hist = llvm.inttoptr %hist_addr : i64 to !llvm.ptr
  %entry = llvm.getelementptr %hist[%pos] : (!llvm.ptr, i64) -> !llvm.ptr, i64
  llvm.store %at, %entry : i64, !llvm.ptr
  llvm.br ^done
^done:
  %r2 = llvm.call @pthread_mutex_unlock(%mutex) : (!llvm.ptr) -> i32
  llvm.return %slot : i64
}

llvm.func @allo_fifo_commit(%row: i64, %is_put: i1) attributes {sym_visibility = "private"} {
  %p = llvm.inttoptr %row : i64 to !llvm.ptr
  %tailp = llvm.getelementptr %p[1] : (!llvm.ptr) -> !llvm.ptr, i64
  %mutex = llvm.getelementptr %p[64] : (!llvm.ptr) -> !llvm.ptr, i8
  %not_empty = llvm.getelementptr %p[128] : (!llvm.ptr) -> !llvm.ptr, i8
  %not_full = llvm.getelementptr %p[192] : (!llvm.ptr) -> !llvm.ptr, i8
  %one = llvm.mlir.constant(1 : i64) : i64
  %r0 = llvm.call @pthread_mutex_lock(%mutex) : (!llvm.ptr) -> i32
  %counter = llvm.select %is_put, %tailp, %p : i1, !llvm.ptr
  %v = llvm.load volatile %counter : !llvm.ptr -> i64
  %v1 = llvm.add %v, %one : i64
  llvm.store volatile %v1, %counter : i64, !llvm.ptr
  %wake = llvm.select %is_put, %not_empty, %not_full : i1, !llvm.ptr
  %r1 = llvm.call @pthread_cond_signal(%wake) : (!llvm.ptr) -> i32
  %r2 = llvm.call @pthread_mutex_unlock(%mutex) : (!llvm.ptr) -> i32
  llvm.return
}
"""

# A blocked put/get first yields the CPU this many times (re-checking in between) before it
# sleeps on its condition variable: with a few cores and many processes the other side is
# usually about to run, and a yield costs less than a futex sleep and wake-up
# (benchmarks/dataflow_sim.py measured ~2x on systolic arrays).
SPINS = 4
RUNTIME = RUNTIME_TEMPLATE.replace("SPINS", str(SPINS))
