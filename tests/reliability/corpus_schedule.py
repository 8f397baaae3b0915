"""Corpus cases: schedule primitives refused for bad arguments or illegal transformations.

Every case customizes a small kernel at module level (``s``), then ``trigger()`` applies the
bad primitive: the error must name the trigger's line and ``str(s.module)`` and the trace must
be unchanged afterwards.
"""

from __future__ import annotations

import textwrap

from corpus_case import Case

SCH = "ScheduleError"
LNF = "LoopNotFoundError"
BNF = "BufferNotFoundError"

GEMM = """
def gemm(A: int32[8, 8], B: int32[8, 8]) -> int32[8, 8]:
    C: int32[8, 8] = 0
    for i, j, k in allo.grid(8, 8, 8, name="C"):
        C[i, j] += A[i, k] * B[k, j]
    return C

s = allo.customize(gemm)
"""

TWO_STAGES = """
def two(X: int32[6, 12]) -> int32[6, 12]:
    T: int32[6, 12] = 0
    for a, b in allo.grid(6, 12, name="mul"):
        T[a, b] = X[a, b] * 3
    U: int32[6, 12] = 0
    for c, d in allo.grid(6, 12, name="add"):
        U[c, d] = T[c, d] + 1
    return U

s = allo.customize(two)
"""

NEIGHBOUR = """
def nb(X: int32[6, 12]) -> int32[6, 12]:
    T: int32[6, 12] = 0
    for a, b in allo.grid(6, 12, name="mul"):
        T[a, b] = X[a, b] * 3
    U: int32[6, 12] = 0
    for c, d in allo.grid(5, 12, name="add"):
        U[c, d] = T[c + 1, d] + 1
    return U

s = allo.customize(nb)
"""

SKEW = """
def skew(A: int32[8, 8]):
    for i in range(1, 8, name="wave"):
        for j in range(0, 7):
            A[i, j] = A[i - 1, j + 1] + 1

s = allo.customize(skew)
"""

DYNAMIC = """
def dyn(A: int32[16], n: index):
    for i in range(n, name="run"):
        A[i] = A[i] + 1

s = allo.customize(dyn)
"""

DYNAMIC_NEST = """
def dyn2(A: int32[16], n: index):
    for i in range(n, name="run"):
        for j in range(4):
            A[i] = A[i] + j

s = allo.customize(dyn2)
"""

STENCIL = """
def st(P: int32[6, 12]) -> int32[6, 10]:
    Q: int32[6, 10] = 0
    for y, x in allo.grid(6, 10, name="win"):
        Q[y, x] = P[y, x] + P[y, x + 1] + P[y, x + 2]
    return Q

s = allo.customize(st)
"""

MATVEC = """
def mv(M: float32[6, 12], v: float32[12]) -> float32[6]:
    out: float32[6] = 0.0
    for r in range(6, name="rows"):
        for c in allo.reduction(12):
            out[r] += M[r, c] * v[c]
    return out

s = allo.customize(mv)
"""

SAME_NAMES = """
def twice(A: int32[8]) -> int32[8]:
    B: int32[8] = 0
    for i in range(8):
        B[i] = A[i] + 1
    for i in range(8):
        B[i] = B[i] * 2
    return B

s = allo.customize(twice)
"""

PIPE = """
def produce(P: int32[6, 12], Q: int32[6, 12]):
    for a, b in allo.grid(6, 12):
        Q[a, b] = P[a, b] * 5

def consume(Q: int32[6, 12], R: int32[6, 12]):
    for a, b in allo.grid(6, 12):
        R[a, b] = Q[a, b] - 1

def pipe2(P: int32[6, 12]) -> int32[6, 12]:
    Q: int32[6, 12]
    R: int32[6, 12]
    produce(P, Q)
    consume(Q, R)
    return R

s = allo.customize(pipe2)
"""

PE = """
def pe(A: int32[4], B: int32[4]):
    for p, q in allo.grid(2, 2, name="PE"):
        B[p * 2 + q] = A[p * 2 + q] + 1

s = allo.customize(pe)
"""

SCALE = """
def scale[Ty, N](X: "Ty[N]") -> "Ty[N]":
    Y: Ty[N] = 0
    for t in range(N):
        Y[t] = X[t] * 2
    return Y

def two_scales(X: int32[4]) -> int32[4]:
    P = scale[int32, 4, "lo"](X)
    Q = scale[int32, 4, "hi"](P)
    return Q

s = allo.customize(two_scales)
sub = allo.customize(scale, instantiate=[int32, 20])
sub.split("t", 8)
"""

AXPY = """
def axpy(X: int32[12], Y: int32[12]) -> int32[12]:
    Z: int32[12] = 0
    for t in range(12):
        Z[t] = 3 * X[t] + Y[t]
    return Z

def chain(U: int32[12], V: int32[12]) -> int32[12]:
    W = axpy(U, V)
    R = axpy(W, V)
    return R

sa = allo.customize(axpy)
sa.split("t", 4)
s = allo.customize(chain)
s.compose(sa)
"""

# fuzz case 556 of seed 7: two producers computed at a shifted recurrence, then fused
FUSED_RECURRENCE = """
def rec(A: int32[4, 5], B: int32[4, 5]) -> int32[4, 5]:
    for i0, j0 in allo.grid(4, 5, name="S0"):
        B[i0, j0] = A[i0, j0] % 4
    for i1, j1 in allo.grid(4, 5, name="S1"):
        B[i1, j1] += A[i1, j1] - 3
    X2: int32[4, 5] = 1
    for i2, j2 in allo.grid(3, 4, name="S2"):
        X2[i2, j2 + 1] = X2[i2, j2] + (A[i2, j2] >> 1)
    return X2

s = allo.customize(rec)
s.compute_at("j1", "j2")
s.compute_at("j0", "j2")
s.fuse("i2", "j2")
"""


def sched(name: str, kernel: str, call: str, expect: str = SCH, fragment: str = "",
          setup: str = "", **flags) -> Case:
    """``kernel`` (which defines ``s``), then ``setup``; ``trigger()`` runs the refused ``call``."""
    source = (kernel + textwrap.dedent(setup) + "\n\ndef trigger():\n    "
              + call + "  # ERR\n")
    return Case(name, source, expect, fragment, **flags)


LOOPS = [
    sched("split_unknown_loop", GEMM, 's.split("zz", 2)', LNF, "loop zz not found"),
    sched("split_unknown_function", GEMM, 's.split("nope:i", 2)', LNF, "nope"),
    sched("split_factor_zero", GEMM, 's.split("i", 0)', fragment="factor must be >= 1"),
    sched("split_factor_negative", GEMM, 's.split("i", -2)'),
    sched("split_factor_equals_trip", GEMM, 's.split("i", 8)',
          fragment="larger than the upper bound"),
    sched("split_factor_above_trip", GEMM, 's.split("j", 100)', fragment="100"),
    sched("split_factor_float", GEMM, 's.split("i", 2.5)'),
    sched("split_factor_string", GEMM, 's.split("i", "2")'),
    sched("split_factor_none", GEMM, 's.split("i", None)'),
    sched("split_axis_int", GEMM, "s.split(3, 2)"),
    sched("split_axis_none", GEMM, "s.split(None, 2)"),
    sched("split_axis_list", GEMM, 's.split(["i"], 2)'),
    sched("split_dynamic_bound", DYNAMIC, 's.split("i", 2)'),
    sched("split_stale_name", GEMM, 's.split("i", 2)', LNF, setup='s.split("i", 4)'),
    sched("split_ambiguous_name", SAME_NAMES, 's.split("i", 2)', LNF),
    sched("split_of_callee_unknown_loop", AXPY, 's.split("axpy:zz", 2)', LNF),
    sched("reorder_single_loop", GEMM, 's.reorder("i")', fragment="need at least 2 loops"),
    sched("reorder_no_loops", GEMM, "s.reorder()", fragment="need at least 2 loops"),
    sched("reorder_unknown_loop", GEMM, 's.reorder("i", "zz")', LNF),
    sched("reorder_duplicate_loop", GEMM, 's.reorder("i", "i")'),
    sched("reorder_across_stages", TWO_STAGES, 's.reorder("a", "d")'),
    sched("reorder_reverses_dependence", SKEW, 's.reorder("j", "i")'),
    sched("reorder_split_remainder", GEMM, 's.reorder("i.inner", "i.outer")',
          setup='s.split("i", 3)'),
    sched("reorder_int_argument", GEMM, 's.reorder("i", 2)'),
    sched("fuse_single_loop", GEMM, 's.fuse("i")', fragment="need at least 2 loops"),
    sched("fuse_reversed_order", GEMM, 's.fuse("j", "i")',
          fragment="loops to fuse must be consecutive nested loops"),
    sched("fuse_non_consecutive", GEMM, 's.fuse("i", "k")',
          fragment="loops to fuse must be consecutive nested loops"),
    sched("fuse_unknown", GEMM, 's.fuse("i", "zz")', LNF),
    sched("fuse_across_stages", TWO_STAGES, 's.fuse("a", "c")'),
    sched("fuse_dynamic_bound", DYNAMIC_NEST, 's.fuse("i", "j")'),
    sched("fuse_already_fused", FUSED_RECURRENCE, 's.fuse("i2", "j2")', LNF,
          "loop i2 not found"),
    sched("build_after_compute_at_and_fuse", FUSED_RECURRENCE, "s.build()", "ok"),
    sched("unroll_negative", GEMM, 's.unroll("k", -1)'),
    sched("unroll_float", GEMM, 's.unroll("k", 1.5)'),
    sched("unroll_string_factor", GEMM, 's.unroll("k", "all")'),
    sched("unroll_unknown", GEMM, 's.unroll("zz")', LNF),
    sched("pipeline_ii_zero", GEMM, 's.pipeline("j", initiation_interval=0)'),
    sched("pipeline_ii_negative", GEMM, 's.pipeline("j", initiation_interval=-3)'),
    sched("pipeline_ii_float", GEMM, 's.pipeline("j", initiation_interval=1.5)'),
    sched("pipeline_unknown", GEMM, 's.pipeline("zz")', LNF),
    sched("pipeline_unknown_keyword", GEMM, 's.pipeline("j", ii=2)', "TypeError", located=False),
    sched("parallel_unknown", GEMM, 's.parallel("zz")', LNF),
    sched("get_loops_unknown_function", GEMM, 's.get_loops("nope")', LNF),
    sched("get_loops_unknown_stage", GEMM, "s.get_loops().nostage", LNF),
    sched("get_loops_unknown_loop", GEMM, 's.get_loops()["C"]["zz"]', LNF),
    sched("get_loops_int_function", GEMM, "s.get_loops(3)"),
]

MEMORY = [
    sched("partition_unknown_buffer", GEMM, 's.partition("gemm:Q")', BNF, "buffer Q not found"),
    sched("partition_unknown_function", GEMM, 's.partition("nope:C")'),
    sched("partition_dim_too_big", GEMM, "s.partition(s.C, dim=3)", fragment="Invalid dimension"),
    sched("partition_dim_negative", GEMM, "s.partition(s.C, dim=-1)", fragment="Invalid dimension"),
    sched("partition_type_bad_int", GEMM, "s.partition(s.C, 7)", fragment="Invalid partition type"),
    sched("partition_type_string", GEMM, 's.partition(s.C, "cyclic", dim=1, factor=2)',
          fragment="Invalid partition type"),
    sched("partition_factor_negative", GEMM, "s.partition(s.C, allo.Partition.Cyclic, dim=1, factor=-2)",
          fragment="Invalid factor"),
    sched("partition_factor_float", GEMM, "s.partition(s.C, allo.Partition.Cyclic, dim=1, factor=2.5)"),
    sched("partition_dim_float", GEMM, "s.partition(s.C, dim=1.0)"),
    sched("partition_scalar_local", """
def sc(A: int32[4]) -> int32:
    acc: int32 = 0
    for i in range(4):
        acc += A[i]
    return acc

s = allo.customize(sc)
""", 's.partition("sc:acc")'),
    sched("partition_same_dim_twice", GEMM, "s.partition(s.C, allo.Partition.Cyclic, dim=1, factor=2)",
          setup="s.partition(s.C, allo.Partition.Block, dim=1, factor=2)",
          fragment="Cannot partition the same array on dimension 1 twice"),
    sched("partition_mix_all_dims", GEMM, "s.partition(s.C, allo.Partition.Cyclic, dim=0, factor=2)",
          setup="s.partition(s.C, allo.Partition.Block, dim=1, factor=2)",
          fragment="Cannot mix all-dim partitioning"),
    sched("partition_target_int", GEMM, "s.partition(5)"),
    sched("partition_target_none", GEMM, "s.partition(None)"),
    sched("partition_callee_conflict", AXPY,
          's.partition("chain:W", allo.Partition.Block, dim=1, factor=2)',
          "LayoutConflictError", setup='s.partition("axpy:X", allo.Partition.Cyclic, dim=1, factor=2)'),
    sched("reshape_count_mismatch", GEMM, "s.reshape(s.C, (3, 5))"),
    sched("reshape_negative_dims", GEMM, "s.reshape(s.C, (-8, -8))"),
    sched("reshape_not_a_shape", GEMM, 's.reshape(s.C, "8x8")'),
    sched("reshape_partitioned", GEMM, "s.reshape(s.C, (64,))", setup="s.partition(s.C, dim=1)"),
    sched("buffer_at_innermost", GEMM, 's.buffer_at(s.C, "k")',
          fragment="cannot buffer at the inner-most loop"),
    sched("buffer_at_reduction_loop", MATVEC, 's.buffer_at(s.out, "c")'),
    sched("buffer_at_unknown_buffer", GEMM, 's.buffer_at("gemm:Q", "i")', BNF),
    sched("buffer_at_unknown_loop", GEMM, 's.buffer_at(s.C, "zz")', LNF),
    sched("buffer_at_unrelated_stage", TWO_STAGES, 's.buffer_at(s.U, "a")'),
    sched("reuse_at_no_pattern", GEMM, 's.reuse_at(s.A, "j")'),
    sched("reuse_at_written_buffer", STENCIL, 's.reuse_at(s.Q, "x")'),
    sched("reuse_at_unknown_loop", STENCIL, 's.reuse_at(s.P, "zz")', LNF),
    sched("reuse_at_scalar_target", STENCIL, 's.reuse_at(3, "x")'),
    sched("compute_at_same_stage", TWO_STAGES, 's.compute_at("a", "b")'),
    sched("compute_at_reversed", TWO_STAGES, 's.compute_at("c", "a")'),
    sched("compute_at_depth_mismatch", TWO_STAGES, 's.compute_at("a", "d")'),
    sched("compute_at_neighbour_dependence", NEIGHBOUR, 's.compute_at("a", "c")'),
    sched("compute_at_unknown", TWO_STAGES, 's.compute_at("zz", "c")', LNF),
    sched("to_depth_zero", PIPE, 's.to(s.Q, "consume", depth=0)'),
    sched("to_depth_negative", PIPE, 's.to(s.Q, "consume", depth=-5)'),
    sched("to_unknown_destination", PIPE, 's.to(s.Q, "nobody")'),
    sched("to_partitioned_buffer", PIPE, 's.to(s.Q, "consume")',
          setup="s.partition(s.Q, dim=1)"),
    sched("partition_streamed_buffer", PIPE, "s.partition(s.Q, dim=1)",
          setup='s.to(s.Q, "consume")'),
    sched("inline_not_a_string", GEMM, "s.inline(123)"),
    sched("inline_unknown_function", GEMM, 's.inline("nope")', LNF),
    sched("dataflow_unknown_function", GEMM, 's.dataflow("nope")', LNF),
    sched("unfold_non_consecutive", GEMM, 's.unfold("C", [0, 2])', fragment="axes must be consecutive"),
    sched("unfold_unknown_stage", PE, 's.unfold("nope", [0])', LNF),
    sched("unfold_axis_out_of_range", PE, 's.unfold("PE", [5])'),
]

COMPOSE = [
    sched("compose_twice", AXPY, "s.compose(sa)", fragment="already composed"),
    sched("compose_unknown_id", AXPY, 's.compose(sa, id="K3")', LNF),
    sched("compose_replay_illegal", SCALE, 's.compose(sub, id="lo")'),
    sched("compose_unknown_function", GEMM, "s.compose(other)", LNF, setup="""
def lonely(A: int32[4]):
    for t in range(4):
        A[t] = 0

other = allo.customize(lonely)
other.unroll("t")
"""),
]

CASES = LOOPS + MEMORY + COMPOSE
