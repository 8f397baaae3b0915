"""End-to-end compute-primitive scenarios of schedule.md §12 (test_schedule_compute,
tutorial_01), each checked on the CPU against numpy."""

import numpy as np

import allo
from allo.ir.types import int32

from helpers_schedule import assert_cpu_matches, assert_replay_identical
import loop_kernels as K
from loop_kernels import nest_imperfect  # noqa: F401 - kernels shared with other tests


def gemm32(A: int32[32, 32], B: int32[32, 32]) -> int32[32, 32]:
    C: int32[32, 32] = 0
    for i, j, k in allo.grid(32, 32, 32):
        C[i, j] += A[i, k] * B[k, j]
    return C


def test_tutorial_split_split_reorder():
    s = allo.customize(gemm32)
    s.split("i", 8)
    s.split("j", 8)
    s.reorder("i.outer", "j.outer", "i.inner", "j.inner")
    loops = s.get_loops()
    assert list(loops.S_i_j_k_0.loops) == ["i.outer", "j.outer", "i.inner", "j.inner", "k"]
    debug = s.module.operation.get_asm(enable_debug_info=True)
    assert "test_compute_conformance.py" in debug  # G6: source locations survive
    A, B = K.rand_int((32, 32)), K.rand_int((32, 32), seed=1)
    assert_cpu_matches(s, lambda A, B: (A @ B).astype(np.int32), A, B)
    assert_replay_identical(gemm32, s)


def nest_imperfect_ref(A):
    return ((A + 1) * 3).astype(np.int32)


def test_handles_on_imperfect_nest():
    s = allo.customize(nest_imperfect)
    loops = s.get_loops()
    s.split(loops.S_i_j_0.k, 4)          # split by handle
    loops = s.get_loops()                 # re-read names
    assert list(loops.S_i_j_0.loops) == ["i", "j", "k.outer", "k.inner", "m"]
    s.reorder("k.outer", "j")             # across the imperfect nest: distribution of j
    loops = s.get_loops()
    assert list(loops.S_i_j_0.loops) == ["i", "k.outer", "j", "k.inner", "j_d1", "m"]
    s.unroll(loops.S_i_j_0["k.inner"])
    s.fuse("i", "k.outer")                # distributes the stage root: a new stage
    loops = s.get_loops()
    assert [name for name, _ in loops] == ["S_i_j_0", "S_i_j_0_d1"]
    assert list(loops.S_i_j_0.loops) == ["i_k.outer_fused", "j", "k.inner"]
    assert list(loops.S_i_j_0_d1.loops) == ["i_d1", "j_d1", "m"]
    s.pipeline("m")                       # the moved sibling loop
    s.pipeline("j")
    s.unroll("j", 2)                      # pipeline and unroll on one loop
    text = str(s.module)
    assert 'loop_name = "j", pipeline_ii = 1 : ui32, unroll = 2 : ui32' in text
    assert 'loop_name = "i_d1", op_name = "S_i_j_0_d1"' in text
    assert_cpu_matches(s, nest_imperfect_ref, K.rand_int((4, 6, 8)))
    assert_replay_identical(nest_imperfect, s)


def dyn_loops(A: int32[10, 10], n: int32):
    for j in range(n, name="scf_loop"):
        A[j, 0] += 1
    for i in range(10, name="scf_out"):
        for k in range(i, n):
            A[i, k] += 2


def dyn_loops_ref(A, n):
    A[:n, 0] += 1
    for i in range(10):
        for k in range(i, n):
            A[i, k] += 2


def test_get_loops_runtime_bound_loops():
    s = allo.customize(dyn_loops)
    loops = s.get_loops()
    assert loops["scf_loop"]["j"].name == "dyn_loops:scf_loop.j"
    assert loops["scf_out"]["k"].name == "dyn_loops:scf_out.k"
    s.pipeline(loops["scf_out"]["k"])
    s.unroll(loops["scf_loop"]["j"], 2)
    s.split("i", 3)
    assert_cpu_matches(s, dyn_loops_ref, K.rand_int((10, 10)), 7)


def annotated(A: int32[4, 4, 4]) -> int32[4, 4, 4]:
    B: int32[4, 4, 4] = 0
    for p, q in allo.grid(4, 4, unroll=True):
        B[p, q, 0] = A[p, q, 0]
    for i, j in allo.grid(4, 4, pipeline=2):
        B[i, j, 1] = A[i, j, 1]
    for a, b, c in allo.grid(4, 4, 4, pipeline=[True, 0, 3], unroll=[0, 2, True]):
        B[a, b, c] += 1
    for r in allo.reduction(4, name="red", unroll=4):
        B[r, 0, 0] += 1
    return B


def test_inline_annotations_spellings():
    s = allo.customize(annotated)
    text = str(s.module)
    assert '{loop_name = "q", unroll = 0 : ui32}' in text
    assert '{loop_name = "j", pipeline_ii = 2 : ui32}' in text
    assert 'loop_name = "a", op_name = "S_a_b_c_2", pipeline_ii = 1 : ui32}' in text
    assert '{loop_name = "b", unroll = 2 : ui32}' in text
    assert '{loop_name = "c", pipeline_ii = 3 : ui32, unroll = 0 : ui32}' in text
    assert 'loop_name = "r", op_name = "red", reduction, unroll = 4 : ui32}' in text
    s.pipeline("q")  # a primitive on an annotated loop adds to its attributes
    assert '{loop_name = "q", pipeline_ii = 1 : ui32, unroll = 0 : ui32}' in str(s.module)
