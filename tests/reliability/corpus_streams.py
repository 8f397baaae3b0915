"""Corpus cases: ``s.to`` requests a user gets wrong (schedule.md §4.1), and primitives that
would break an accepted FIFO afterwards.

Same contract as :mod:`corpus_schedule`: ``trigger()`` makes the bad call, the error must be a
located ScheduleError (or subclass) and ``str(s.module)`` and the trace must be unchanged.
"""

from __future__ import annotations

from corpus_case import Case
from corpus_schedule import PIPE, sched

SCH = "ScheduleError"
LNF = "LoopNotFoundError"
BNF = "BufferNotFoundError"

STAGES = """
def chain(A: int32[4, 6]) -> int32[4, 6]:
    B: int32[4, 6] = 0
    for i, j in allo.grid(4, 6, name="w"):
        B[i, j] = A[i, j] + 1
    C: int32[4, 6] = 0
    for i, j in allo.grid(4, 6, name="r"):
        C[i, j] = B[i, j] * 2
    return C

s = allo.customize(chain)
"""

READ_TWICE = """
def twice(A: int32[4, 6]) -> int32[4, 6]:
    B: int32[4, 6] = 0
    for i, j in allo.grid(4, 6, name="w"):
        B[i, j] = A[i, j] + 1
    C: int32[4, 6] = 0
    for i, j in allo.grid(4, 6, name="r"):
        C[i, j] = B[i, j] + B[i, j]
    return C

s = allo.customize(twice)
"""

TRANSPOSED = """
def tr(A: int32[4, 4]) -> int32[4, 4]:
    B: int32[4, 4] = 0
    for i, j in allo.grid(4, 4, name="w"):
        B[i, j] = A[i, j] + 1
    C: int32[4, 4] = 0
    for i, j in allo.grid(4, 4, name="r"):
        C[i, j] = B[j, i]
    return C

s = allo.customize(tr)
"""

SHIFTED = """
def sh(A: int32[4, 6]) -> int32[4, 5]:
    B: int32[4, 6] = 0
    for i, j in allo.grid(4, 6, name="w"):
        B[i, j] = A[i, j] + 1
    C: int32[4, 5] = 0
    for i, j in allo.grid(4, 5, name="r"):
        C[i, j] = B[i, j + 1]
    return C

s = allo.customize(sh)
"""

TWO_WRITERS = """
def ww(A: int32[4, 6]) -> int32[4, 6]:
    B: int32[4, 6] = 0
    for i, j in allo.grid(4, 6, name="w1"):
        B[i, j] = A[i, j] + 1
    for i, j in allo.grid(4, 6, name="w2"):
        B[i, j] = A[i, j] * 3
    C: int32[4, 6] = 0
    for i, j in allo.grid(4, 6, name="r"):
        C[i, j] = B[i, j]
    return C

s = allo.customize(ww)
"""

PARTIAL_WRITE = """
def pw(A: int32[4, 6]) -> int32[4, 6]:
    B: int32[4, 6] = 0
    for i, j in allo.grid(4, 3, name="w"):
        B[i, j] = A[i, j] + 1
    C: int32[4, 6] = 0
    for i, j in allo.grid(4, 6, name="r"):
        C[i, j] = B[i, j]
    return C

s = allo.customize(pw)
"""

FORK = """
def fork(A: int32[4, 6]) -> (int32[4, 6], int32[4, 6]):
    B: int32[4, 6] = 0
    for i, j in allo.grid(4, 6, name="w"):
        B[i, j] = A[i, j] + 1
    C: int32[4, 6] = 0
    for i, j in allo.grid(4, 6, name="r1"):
        C[i, j] = B[i, j] * 2
    D: int32[4, 6] = 0
    for i, j in allo.grid(4, 6, name="r2"):
        D[i, j] = B[i, j] - 5
    return C, D

s = allo.customize(fork)
"""

RETURNED = """
def ret(A: int32[4, 6]) -> int32[4, 6]:
    B: int32[4, 6] = 0
    for i, j in allo.grid(4, 6, name="w"):
        B[i, j] = A[i, j] + 1
    return B

s = allo.customize(ret)
"""

SCALAR_LOCAL = """
def sc(A: int32[4]) -> int32:
    acc: int32 = 0
    for i in range(4, name="w"):
        acc += A[i]
    return acc

s = allo.customize(sc)
"""

DEPTHS = [
    sched("to_depth_zero_stages", STAGES, 's.to(s.B, "r", depth=0)',
          fragment="depth must be positive"),
    sched("to_depth_minus_two", STAGES, 's.to(s.B, "r", depth=-2)',
          fragment="depth must be positive"),
    sched("to_depth_minus_hundred", PIPE, 's.to(s.Q, "consume", depth=-100)'),
    sched("to_depth_string", STAGES, 's.to(s.B, "r", depth="big")',
          fragment='depth must be an integer or "auto"'),
    sched("to_depth_numeric_string", STAGES, 's.to(s.B, "r", depth="4")'),
    sched("to_depth_float", STAGES, 's.to(s.B, "r", depth=2.5)',
          fragment="depth must be an integer"),
    sched("to_depth_none", PIPE, 's.to(s.Q, "consume", depth=None)'),
    sched("to_depth_list", STAGES, 's.to(s.B, "r", depth=[4])'),
]

TARGETS = [
    sched("to_unknown_stage", STAGES, 's.to(s.B, "nowhere")', LNF,
          "no stage or called function named nowhere"),
    sched("to_dst_int", STAGES, 's.to(s.B, 3)'),
    sched("to_dst_none", STAGES, "s.to(s.B, None)"),
    sched("to_unknown_buffer", STAGES, 's.to("chain:Z", "r")', BNF, "buffer Z not found"),
    sched("to_unknown_function", STAGES, 's.to("nope:B", "r")'),
    sched("to_target_int", STAGES, 's.to(7, "r")'),
    sched("to_parameter", STAGES, 's.to(s.A, "r")', fragment="is a parameter of chain"),
    sched("to_parameter_function", PIPE, 's.to(s.P, "consume")',
          fragment="is a parameter of pipe2"),
    sched("to_scalar_local", SCALAR_LOCAL, 's.to("sc:acc", "w")'),
    sched("to_returned_buffer", RETURNED, 's.to(s.B, "w")'),
    sched("to_producer_itself", STAGES, 's.to(s.B, "w")'),
    sched("to_same_consumer_twice", STAGES, 's.to(s.B, "r")', setup='s.to(s.B, "r")',
          fragment="already streamed to r"),
    sched("to_same_function_twice", PIPE, 's.to(s.Q, "consume")',
          setup='s.to(s.Q, "consume")', fragment="already streamed to consume"),
]

LEGALITY = [
    sched("to_buffer_read_twice", READ_TWICE, 's.to(s.B, "r")', fragment="reads it in 2 places"),
    sched("to_transposed_read", TRANSPOSED, 's.to(s.B, "r")', fragment="row-major order"),
    sched("to_shifted_read", SHIFTED, 's.to(s.B, "r")'),
    sched("to_two_writers", TWO_WRITERS, 's.to(s.B, "r")',
          fragment="written by 2 processes (w1, w2)"),
    sched("to_partially_written", PARTIAL_WRITE, 's.to(s.B, "r")'),
    sched("to_partitioned_stage_buffer", STAGES, 's.to(s.B, "r")',
          setup="s.partition(s.B, dim=2)", fragment="it is partitioned"),
    sched("to_fork_reader_left_out_at_build", FORK, "s.build()",
          fragment="B is also read by r2; stream it to that consumer too or not at all",
          setup='s.to(s.B, "r1")'),
    sched("to_fork_reader_left_out_at_vhls_build", FORK, 's.build(target="vhls")',
          fragment="B is also read by r2", setup='s.to(s.B, "r1")'),
]

AFTERWARDS = [
    sched("reorder_fifo_consumer", STAGES, 's.reorder("r.j", "r.i")',
          fragment="the loops access the FIFO B", setup='s.to(s.B, "r")'),
    sched("reorder_fifo_producer", STAGES, 's.reorder("w.j", "w.i")',
          fragment="the loops access the FIFO B", setup='s.to(s.B, "r")'),
    sched("reorder_fifo_function_consumer", PIPE, 's.reorder("consume:b", "consume:a")',
          fragment="the FIFO Q", setup='s.to(s.Q, "consume")'),
    sched("compute_at_fifo_producer", STAGES, 's.compute_at("w.j", "r.j")',
          fragment="stage w accesses the FIFO B", setup='s.to(s.B, "r")'),
    sched("partition_fifo_stage_buffer", STAGES, "s.partition(s.B, dim=1)",
          fragment="is a stream", setup='s.to(s.B, "r")'),
    sched("reuse_at_fifo", STAGES, 's.reuse_at(s.B, "r.j")', setup='s.to(s.B, "r")'),
    # legal: the copy-in reads the FIFO once per element, in order
    sched("buffer_at_fifo_copy_in", STAGES, 's.buffer_at(s.B, "r.i")', "ok",
          setup='s.to(s.B, "r")'),
]

CASES: list[Case] = DEPTHS + TARGETS + LEGALITY + AFTERWARDS
