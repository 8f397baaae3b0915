"""split: structure, names, CPU equivalence, handles, errors."""

import pytest

import allo
from allo.ir.utils import LoopHandle

from helpers_schedule import assert_cpu_matches, assert_refused, assert_replay_identical
import loop_kernels as K


def test_split_non_divisible_structure_and_result():
    s = allo.customize(K.row_sum)
    co, ci = s.split("c", 6)
    text = str(s.module)
    assert 'loop_name = "c.outer", op_name' not in text  # c is not the stage root
    assert '{loop_name = "c.outer"}' in text and '{loop_name = "c.inner"}' in text
    assert "affine_map<(d0) -> (6, d0 * -6 + 20)>" in text  # min(6, 20 - 6*c.outer)
    assert "0 to 4" in text
    assert isinstance(co, LoopHandle) and co.name == "row_sum:acc.c.outer"
    assert ci.name == "row_sum:acc.c.inner"
    assert list(s.get_loops().acc.loops) == ["r", "c.outer", "c.inner"]
    X = K.rand_int((12, 20))
    assert_cpu_matches(s, K.row_sum_ref, X)
    assert_replay_identical(K.row_sum, s)


def test_split_divisible_root_moves_stage_name():
    s = allo.customize(K.row_sum)
    s.split("r", 4)
    text = str(s.module)
    assert 'loop_name = "r.outer", op_name = "acc"' in text
    assert "min" not in text
    assert list(s.get_loops().acc.loops) == ["r.outer", "r.inner", "c"]
    assert_cpu_matches(s, K.row_sum_ref, K.rand_int((12, 20), seed=1))


def test_split_then_split_inner_and_reorder_by_handles():
    s = allo.customize(K.gemm)
    io, ii = s.split("i", 4)
    jo, ji = s.split("j", 5)
    s.reorder(io, jo, ii, ji)
    assert list(s.get_loops().mm.loops) == ["i.outer", "j.outer", "i.inner", "j.inner", "k"]
    s.split(ii, 2)  # the divisible inner loop has constant bounds
    A, B = K.rand_int((8, 6)), K.rand_int((6, 10), seed=2)
    assert_cpu_matches(s, K.gemm_ref, A, B)
    assert_replay_identical(K.gemm, s)
    assert s.primitive_sequences[0] == ("split", ["i", 4], {})
    assert s.primitive_sequences[2] == ("reorder", [io, jo, ii, ji], {})


def test_split_offset_strided_loop():
    s = allo.customize(K.strided)  # i in 2, 5, ..., 17: six iterations
    s.split("i", 4)
    assert_cpu_matches(s, K.strided_ref, K.rand_int(20))


def test_split_in_imperfect_nest_and_callee():
    s = allo.customize(K.imperfect)
    s.split("j", 3)
    A, B = K.rand_int((6, 8)), K.rand_int((6, 8), seed=3)
    assert_cpu_matches(s, K.imperfect_ref, A, B)
    s2 = allo.customize(K.calls_scale)
    outer, inner = s2.split("scale_row:t", 5)
    assert outer.func == "scale_row"
    s2.pipeline(inner)
    assert 'loop_name = "t.inner", pipeline_ii = 1 : ui32' in str(s2.module)
    assert_cpu_matches(s2, K.calls_scale_ref, K.rand_int(12))
    assert_replay_identical(K.calls_scale, s2)


def test_split_keeps_locations():
    s = allo.customize(K.row_sum)
    before = s.module.operation.get_asm(enable_debug_info=True)
    s.split("c", 5)
    after = s.module.operation.get_asm(enable_debug_info=True)
    assert "loop_kernels.py" in after
    src_locs = {line.split("loc(")[1] for line in before.splitlines() if "loop_kernels.py" in line and line.startswith("#loc")}
    for loc in src_locs:
        assert loc in after


@pytest.mark.parametrize("factor, fragment", [
    (20, "requested tiling factor 20 larger than the upper bound"),
    (25, "trip count 20"),
    (0, "factor must be >= 1"),
    (-2, "factor must be >= 1"),
    (2.5, "factor must be an integer"),
])
def test_split_bad_factor(factor, fragment):
    s = allo.customize(K.row_sum)
    err = assert_refused(s, allo.ScheduleArgumentError, fragment, "split", "c", factor)
    assert "function row_sum" in str(err) and "acc.c" in str(err)


def test_split_errors_not_found_and_dynamic():
    s = allo.customize(K.row_sum)
    err = assert_refused(s, allo.LoopNotFoundError, "loop zz not found", "split", "zz", 2)
    assert isinstance(err, AttributeError)
    assert_refused(s, allo.LoopNotFoundError, "function nope not found", "split", "nope:c", 2)
    s2 = allo.customize(K.runtime_bound)
    assert_refused(s2, allo.NotAffineError, "non-constant", "split", "i", 2)
    co, ci = s.split("c", 6)
    assert_refused(s, allo.NotAffineError, "non-constant", "split", ci, 2)
    with pytest.raises(TypeError):
        s.split("c.outer")  # wrong arity is a plain Python TypeError
