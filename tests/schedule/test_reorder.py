"""reorder: chain semantics, stage names, dependence legality, distribution (P2)."""

import numpy as np

import allo

from helpers_schedule import assert_cpu_matches, assert_refused, assert_replay_identical
import loop_kernels as K


def _order(s, stage):
    return list(s.get_loops()[stage].loops)


def test_reorder_adjacent_and_non_adjacent():
    s = allo.customize(K.gemm)
    s.reorder("k", "j")  # (i, j, k) -> (i, k, j)
    assert _order(s, "mm") == ["i", "k", "j"]
    A, B = K.rand_int((8, 6)), K.rand_int((6, 10), seed=1)
    assert_cpu_matches(s, K.gemm_ref, A, B)
    s.reorder("j", "i")  # chain (i, k, j): depths of i and j swap -> (j, k, i)
    assert _order(s, "mm") == ["j", "k", "i"]
    assert 'loop_name = "j", op_name = "mm"' in str(s.module)
    assert_cpu_matches(s, K.gemm_ref, A, B)
    assert_replay_identical(K.gemm, s)


def test_reorder_float_accumulation_is_bit_exact():
    s = allo.customize(K.gemm_f)
    s.reorder("k", "i", "j")
    rng = np.random.default_rng(5)
    A = rng.standard_normal((8, 6)).astype(np.float32)
    B = rng.standard_normal((6, 10)).astype(np.float32)
    assert_cpu_matches(s, K.gemm_f_ref, A, B)


def test_reorder_spec_example_chain():
    s = allo.customize(K.gemm)
    s.split("i", 4)
    s.split("j", 5)
    s.reorder("i.outer", "j.outer", "i.inner", "j.inner")
    assert _order(s, "mm") == ["i.outer", "j.outer", "i.inner", "j.inner", "k"]
    assert_cpu_matches(s, K.gemm_ref, K.rand_int((8, 6)), K.rand_int((6, 10), seed=2))


def test_reorder_split_remainder_must_stay_inside():
    s = allo.customize(K.row_sum)
    s.split("c", 6)
    assert_refused(s, allo.ScheduleError, "depend on loop c.outer", "reorder",
                   "c.inner", "c.outer")
    s.reorder("c.outer", "r")  # legal: c.inner stays inside c.outer
    assert_cpu_matches(s, K.row_sum_ref, K.rand_int((12, 20)))


def test_reorder_refuses_reversed_dependence():
    s = allo.customize(K.stencil)  # A[i+1, j] = A[i, j+1]: direction (<, >)
    err = assert_refused(s, allo.ScheduleError, "reverse a dependence", "reorder", "j", "i")
    assert "function stencil" in str(err)


def test_reorder_errors():
    s = allo.customize(K.twopass)
    assert_refused(s, allo.ScheduleError, "need at least 2 loops", "reorder", "q")
    assert_refused(s, allo.ScheduleError, "one stage", "reorder", "q", "u")
    assert_refused(s, allo.ScheduleError, "listed twice", "reorder", "q", "q")
    assert_refused(s, allo.LoopNotFoundError, "not found", "reorder", "q", "zz")


def test_reorder_imperfect_nest_distributes():
    s = allo.customize(K.imperfect)  # i: { B[i,0] = A[i,0]; for j; for k }
    s.reorder("j", "i")
    loops = s.get_loops()
    assert [name for name, _ in loops] == ["blk_d1", "blk", "blk_d2"]
    assert list(loops["blk_d1"].loops) == ["i_d1"]
    assert list(loops["blk"].loops) == ["j", "i"]
    assert list(loops["blk_d2"].loops) == ["i_d2", "k"]
    A, B = K.rand_int((6, 8)), K.rand_int((6, 8), seed=4)
    assert_cpu_matches(s, K.imperfect_ref, A, B)
    assert_replay_identical(K.imperfect, s)
    # handles taken before the distribution still find the moved sibling loop
    s2 = allo.customize(K.imperfect)
    k_handle = s2.get_loops().blk.k
    s2.reorder("j", "i")
    s2.unroll(k_handle, 2)
    assert 'loop_name = "k", unroll = 2 : ui32' in str(s2.module)


def test_reorder_distribution_refused_on_backward_dependence():
    s = allo.customize(K.backward_sibling)
    assert_refused(s, allo.ScheduleError, "cannot distribute", "reorder", "j", "i")


def test_reorder_runtime_bound_loop_refused():
    s = allo.customize(K.dyn_nest)
    assert_refused(s, allo.ScheduleError, "run-time bounds", "reorder", "j", "i")
