"""compute_at: merging depths, guards, chaining, follow-ups, legality."""

import numpy as np
import pytest

import allo
from allo.ir.types import int32

from helpers import check_csim
from helpers_schedule import assert_cpu_matches, assert_refused, assert_replay_identical
import loop_kernels as K
from loop_kernels import twostep, twostep_ref, three, three_ref, larger_producer, larger_consumer, larger_consumer_ref  # noqa: F401 - kernels shared with other tests


def neighbour(X: int32[7, 12]) -> int32[6, 12]:
    T: int32[7, 12] = 0
    for a, b in allo.grid(7, 12, name="mul"):
        T[a, b] = X[a, b] * 3
    U: int32[6, 12] = 0
    for a, b in allo.grid(6, 12, name="add"):
        U[a, b] = T[a + 1, b] + 1
    return U


def mixed_bounds(X: int32[8, 12]) -> int32[8, 12]:
    T: int32[8, 12] = 0
    for a, b in allo.grid(8, 10, name="mul"):
        T[a, b] = X[a, b] * 3
    U: int32[8, 12] = 0
    for a, b in allo.grid(6, 12, name="add"):
        U[a, b] = T[a, b] + 1
    return U


def test_compute_at_depth_2_spec_example():
    s = allo.customize(twostep)
    n = s.get_loops()
    s.compute_at(n.mul.b, n.add.b)
    assert [name for name, _ in s.get_loops()] == ["add"]
    assert list(s.get_loops().add.loops) == ["a", "b"]
    text = str(s.module)
    assert text.index('to = "T"') < text.index('from = "T"')
    assert_cpu_matches(s, twostep_ref, K.rand_int((6, 12)))
    assert_replay_identical(twostep, s)


def test_compute_at_depth_1_keeps_producer_inner_loop():
    s = allo.customize(twostep)
    s.compute_at("mul.a", "add.a")
    band = s.get_loops().add
    assert [name for name, _ in band] == ["a", "b", "b"]
    try:
        band.b
        raise AssertionError("two sibling loops b must be ambiguous")
    except allo.LoopNotFoundError as err:
        assert "ambiguous" in str(err)
    assert_cpu_matches(s, twostep_ref, K.rand_int((6, 12), seed=2))


def test_compute_at_three_stages_chained_and_followups():
    s = allo.customize(three)
    loops = s.get_loops()
    s.compute_at(loops.S_i_j_m_0.m, loops.C.m)
    s.compute_at(loops.C.j, loops.D.j)  # into an already merged stage, depth 2
    assert [name for name, _ in s.get_loops()] == ["D"]
    A = K.rand_int((4, 5, 6))
    assert_cpu_matches(s, three_ref, A)
    s.fuse("D.i", "D.j")
    s.split("D.i_j_fused", 3)
    assert_cpu_matches(s, three_ref, A)
    assert_replay_identical(three, s)


def test_compute_at_depth_3_then_reorder():
    s = allo.customize(three)
    s.compute_at("C.m", "D.m")
    s.reorder("D.j", "D.i")
    assert list(s.get_loops().D.loops) == ["j", "i", "m"]
    assert_cpu_matches(s, three_ref, K.rand_int((4, 5, 6), seed=5))


def test_compute_at_larger_producer_is_guarded():
    s = allo.customize(larger_producer)
    s.compute_at("mul.b", "add.b")
    assert "affine.if" in str(s.module)
    X = K.rand_int((8, 12))
    assert_cpu_matches(s, lambda X: (X[:6] * 3 + 1).astype(np.int32), X)


def test_compute_at_errors():
    s = allo.customize(neighbour)
    assert_refused(s, allo.DependenceError, "compute_at would reverse a dependence",
                   "compute_at", "mul.a", "add.a")
    s2 = allo.customize(mixed_bounds)
    assert_refused(s2, allo.ScheduleError, "loop bounds are not consistently larger or smaller",
                   "compute_at", "mul.b", "add.b")
    s3 = allo.customize(twostep)
    assert_refused(s3, allo.ScheduleError, "must come before", "compute_at", "add.b", "mul.b")
    assert_refused(s3, allo.ScheduleError, "depth", "compute_at", "mul.a", "add.b")
    assert_refused(s3, allo.ScheduleError, "two different stages", "compute_at", "mul.a",
                   "mul.b")
    assert_refused(s3, allo.LoopNotFoundError, "not found", "compute_at", "mul.zz", "add.b")


def test_compute_at_in_callee_then_reorder_by_handle():
    s = allo.customize(K.stages_top)
    s.compute_at("stages_callee:prod.b", "stages_callee:cons.b")
    loops = s.get_loops("stages_callee")
    assert [name for name, _ in loops] == ["cons"]
    s.reorder(loops.cons.b, loops.cons.a)
    assert list(s.get_loops("stages_callee").cons.loops) == ["b", "a"]
    assert_cpu_matches(s, K.stages_top_ref, K.rand_int((4, 6)))
    assert_replay_identical(K.stages_top, s)


def test_compute_at_larger_consumer_guards_producer():
    s = allo.customize(larger_consumer)
    s.compute_at("mul.b", "add.b")
    text = str(s.module)
    assert text.count("affine.if") == 1
    assert text.index("affine.if") < text.index('to = "T"') < text.index('to = "U"')
    assert_cpu_matches(s, larger_consumer_ref, K.rand_int((8, 12)))


def chain3(A: int32[4, 5, 6]) -> int32[4, 5, 6]:
    B: int32[4, 5, 6] = 0
    for i, j, m in allo.grid(4, 5, 6):
        B[i, j, m] = A[i, j, m] * 2
    C: int32[4, 5, 6] = 0
    for ii, jj, mm in allo.grid(4, 5, 6):
        C[ii, jj, mm] = B[ii, jj, mm] + 1
    D: int32[4, 5, 6] = 0
    for iii, jjj, mmm in allo.grid(4, 5, 6):
        D[iii, jjj, mmm] = C[iii, jjj, mmm] % 3
    return D


def chain3_ref(A):
    return np.fmod(A * 2 + 1, 3).astype(np.int32)


def chain3_reversed(A: int32[4, 5, 6]) -> int32[4, 5, 6]:
    B: int32[4, 5, 6] = 0
    for i, j, m in allo.grid(4, 5, 6):
        B[i, j, m] = A[i, j, m] * 2
    C: int32[4, 5, 6] = 0
    for ii, jj, mm in allo.grid(4, 5, 6):
        C[ii, jj, mm] = B[ii, jj, 5 - mm] + 1
    D: int32[4, 5, 6] = 0
    for iii, jjj, mmm in allo.grid(4, 5, 6):
        D[iii, jjj, mmm] = C[iii, jjj, mmm] - 1
    return D


@pytest.mark.parametrize("second", ["m", "mm"])
def test_compute_at_chained_into_a_stage_that_received_a_producer(second):
    s = allo.customize(chain3)
    s.compute_at("j", "jj")
    assert list(s.get_loops().S_ii_jj_mm_1.loops) == ["ii", "jj", "m", "mm"]
    # m and mm are both depth-3 loops of the merged stage: both merge with mmm, in order
    s.compute_at(second, "mmm")
    assert [name for name, _ in s.get_loops()] == ["S_iii_jjj_mmm_2"]
    assert list(s.get_loops().S_iii_jjj_mmm_2.loops) == ["iii", "jjj", "mmm"]
    text = str(s.module)
    assert text.index('to = "B"') < text.index('to = "C"') < text.index('to = "D"')
    A = K.rand_int((4, 5, 6), seed=11)
    assert_cpu_matches(s, chain3_ref, A)
    assert_replay_identical(chain3, s)
    check_csim(s, A)


def test_compute_at_refuses_fusing_siblings_against_a_dependence():
    s = allo.customize(chain3_reversed)
    s.compute_at("j", "jj")  # legal: the whole row of B precedes C's row
    A = K.rand_int((4, 5, 6), seed=3)
    assert_cpu_matches(s, lambda A: (A[:, :, ::-1] * 2).astype(np.int32), A)
    # fusing m and mm would read B[.., 5 - mm] before iteration 5 - mm of m writes it
    assert_refused(s, allo.DependenceError, "reverse a dependence between the producer loops m and mm",
                   "compute_at", "m", "mmm")


def guarded_three(A: int32[5, 4]) -> (int32[5, 4], int32[5, 4]):
    X0: int32[5, 4] = 0
    for i0, j0 in allo.grid(5, 4, name="first"):
        X0[i0, j0] = A[i0, j0] + 1
    X1: int32[5, 4] = 0
    for i1, j1 in allo.grid(5, 2, name="second"):
        X1[i1, j1] = A[i1, j1] * 3
    X2: int32[5, 4] = 0
    for i2, j2 in allo.grid(4, 3, name="third"):
        X2[i2, j2] = X1[i2, j2] - 1
    return X0, X2


def guarded_three_ref(A):
    X1 = np.zeros((5, 4), np.int64)
    X1[:, :2] = A[:, :2] * 3
    X2 = np.zeros((5, 4), np.int64)
    X2[:4, :3] = X1[:4, :3] - 1
    return [(A + 1).astype(np.int32), X2.astype(np.int32)]


def test_compute_at_refuses_a_consumer_loop_under_an_earlier_guard():
    s = allo.customize(guarded_three)
    s.compute_at("i0", "i2")  # third runs 4 rows of 5: its j2 loop is now guarded by i2 < 4
    A = K.rand_int((5, 4), seed=7)
    assert_cpu_matches(s, guarded_three_ref, A)
    # the guard would keep row 4 of the producer from running (j1 and j0 alike)
    assert_refused(s, allo.ScheduleError, "consumer loop j2 runs under a condition inside "
                   "loop i2", "compute_at", "j1", "j2")
    # depth 1 merges outside the guard, and stays legal
    s.compute_at("i1", "i2")
    assert_cpu_matches(s, guarded_three_ref, A)
