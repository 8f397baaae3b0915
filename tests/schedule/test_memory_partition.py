"""partition: layout spellings (§10), propagation across calls (§7), re-partition rules (§3.1),
errors leaving the IR unchanged, and CPU results equal to numpy before and after."""

import inspect
import warnings

import pytest
from hypothesis import given, settings, strategies as st

import allo
from allo.analysis.layout import PartitionRecord, dims_of_records, layout_map
from allo.ir.utils import MockBuffer

from helpers_schedule import assert_cpu_matches, assert_refused, assert_replay_identical
import memory_kernels as K

P = allo.Partition


def _maps(s):
    return [line for line in str(s.module).splitlines() if line.startswith("#map")]


@pytest.mark.parametrize("args, kwargs, expected", [
    ((), {}, "affine_map<(d0, d1) -> (d0, d1, 0, 0)>"),
    ((P.Block,), {"dim": 0, "factor": 2},
     "affine_map<(d0, d1) -> (d0 floordiv 3, d1 floordiv 6, d0 mod 3, d1 mod 6)>"),
    ((), {"dim": 1, "factor": 2}, "affine_map<(d0, d1) -> (d0, 0, 0, d1)>"),
    ((P.Cyclic,), {"dim": 2, "factor": 4},
     "affine_map<(d0, d1) -> (0, d1 mod 4, d0, d1 floordiv 4)>"),
    ((P.Block,), {"dim": 1, "factor": 3},
     "affine_map<(d0, d1) -> (d0 floordiv 2, 0, d0 mod 2, d1)>"),
    ((P.Cyclic,), {"dim": 0, "factor": 3},
     "affine_map<(d0, d1) -> (d0 mod 3, d1 mod 3, d0 floordiv 3, d1 floordiv 3)>"),
])
def test_layout_spellings_of_section_10(args, kwargs, expected):
    s = allo.customize(K.affine2)
    X = K.rand_int((6, 12))
    assert_cpu_matches(s, K.affine2_ref, X)
    s.partition(s.X, *args, **kwargs)
    text = str(s.module)
    assert expected in text
    assert "memref<6x12xi32, #map>" in text
    assert_cpu_matches(s, K.affine2_ref, X)
    assert_replay_identical(K.affine2, s)


def test_factor_zero_records_literal_zero_with_a_warning():
    s = allo.customize(K.affine2)
    with pytest.warns(UserWarning, match="factor 0"):
        s.partition(s.X, P.Cyclic)
    assert "affine_map<(d0, d1) -> (d0 mod 0, d1 mod 0, d0 floordiv 0, d1 floordiv 0)>" \
        in str(s.module)
    assert s.partitioned_arrays["affine2:X"] == [(2, 0, 0)]
    assert_cpu_matches(s, K.affine2_ref, K.rand_int((6, 12), seed=3))


def test_two_dimensions_combine_into_one_map():
    s = allo.customize(K.affine2)
    s.partition(s.X, dim=1)
    s.partition(s.X, P.Block, dim=2, factor=5)
    assert "affine_map<(d0, d1) -> (d0, d1 floordiv 3, 0, d1 mod 3)>" in str(s.module)
    assert s.partitioned_arrays["affine2:X"] == [(0, 1, 0), (1, 2, 5)]
    assert_cpu_matches(s, K.affine2_ref, K.rand_int((6, 12), seed=4))


def test_local_buffer_and_string_target():
    s = allo.customize(K.affine2)
    s.partition("affine2:Y", P.Cyclic, dim=2, factor=3)
    text = str(s.module)
    assert '{name = "Y"} : memref<6x12xi32, #map>' in text
    assert "func.func @affine2(%arg0: memref<6x12xi32>) -> memref<6x12xi32, #map>" in text
    assert_cpu_matches(s, K.affine2_ref, K.rand_int((6, 12), seed=5))


def test_callee_parameter_propagates_to_whole_class():
    s = allo.customize(K.top6)
    X = K.rand_int(6)
    assert_cpu_matches(s, K.top6_ref, X)
    s.partition("inc6:V", P.Cyclic, dim=1, factor=2)
    text = str(s.module)
    assert "#map = affine_map<(d0) -> (d0 mod 2, d0 floordiv 2)>" in text
    assert "memref<6xi32>" not in text  # every member got the layout
    assert "func.func @inc6(%arg0: memref<6xi32, #map>) -> memref<6xi32, #map>" in text
    assert "func.func @top6(%arg0: memref<6xi32, #map>) -> memref<6xi32, #map>" in text
    assert set(s.partitioned_arrays) == {"inc6:V", "inc6:W", "top6:X", "top6:T", "top6:R"}
    assert all(v == [(2, 1, 2)] for v in s.partitioned_arrays.values())
    assert_cpu_matches(s, K.top6_ref, X)
    assert_replay_identical(K.top6, s)


def test_call_result_then_second_partition_of_propagated_buffer_is_rule_1():
    s = allo.customize(K.top6)
    s.partition(s.T)  # complete, every dim, on a call result
    after = str(s.module)
    assert "affine_map<(d0) -> (d0, 0)>" in after
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.partition("inc6:W")  # the same layout arrives again: nothing, no warning
    assert str(s.module) == after
    with pytest.warns(UserWarning, match="already completely partitioned"):
        s.partition("inc6:V", P.Cyclic, dim=1, factor=2)  # rule 1: ignored with a warning
    assert str(s.module) == after
    assert_cpu_matches(s, K.top6_ref, K.rand_int(6, seed=1))


def test_nested_call_results_by_kernel_name():
    s = allo.customize(K.nested)
    X = K.rand_int(6)
    s.partition("leaf:V", P.Block, dim=1, factor=3)  # parameter: flows up to nested:X
    text = str(s.module)
    assert "#map = affine_map<(d0) -> (d0 floordiv 2, d0 mod 2)>" in text
    for sig in ("func.func @leaf(%arg0: memref<6xi32, #map>) -> memref<6xi32> ",
                "func.func @middle(%arg0: memref<6xi32, #map>) -> memref<6xi32> ",
                "func.func @nested(%arg0: memref<6xi32, #map>) -> memref<6xi32> "):
        assert sig in text
    s.partition("nested:N", P.Cyclic, dim=1, factor=2)  # nested call result: flows down
    text = str(s.module)
    assert "#map1 = affine_map<(d0) -> (d0 mod 2, d0 floordiv 2)>" in text
    assert "func.func @leaf(%arg0: memref<6xi32, #map>) -> memref<6xi32, #map1>" in text
    assert '{name = "W"} : memref<6xi32, #map1>' in text
    assert '{name = "Z"} : memref<6xi32>' in text  # not aliased: untouched
    assert {k for k, v in s.partitioned_arrays.items() if v == [(1, 1, 3)]} == \
        {"leaf:V", "middle:U", "nested:X"}
    assert {k for k, v in s.partitioned_arrays.items() if v == [(2, 1, 2)]} == \
        {"leaf:W", "middle:M", "nested:N"}
    assert_cpu_matches(s, K.nested_ref, X)
    assert_replay_identical(K.nested, s)
    # the callee's returned buffer already carries nested:N's layout on dim 1
    err = assert_refused(s, allo.LayoutConflictError, "use a template id", "partition",
                         "leaf:W", P.Block, dim=1, factor=2)
    assert "nested:N has ⟨Y(2)⟩ and leaf:W requests ⟨B(2)⟩" in str(err)


def test_global_constant():
    s = allo.customize(K.scale_const)
    A = K.rand_int(6)
    assert_cpu_matches(s, K.scale_const_ref, A)
    s.partition(s.K)
    assert '{name = "K"} : memref<6xi32, #map>' in str(s.module)
    assert_cpu_matches(s, K.scale_const_ref, A)
    assert_replay_identical(K.scale_const, s)


def test_handle_target_and_partitioned_arrays_of_params():
    s = allo.customize(K.twice_called)
    s.partition(MockBuffer("twice_called", "P"), P.Cyclic, dim=1, factor=3)
    # P and Q both flow into inc6:V, so they share one layout
    assert s.partitioned_arrays["twice_called:Q"] == [(2, 1, 3)]
    assert "twice_called:C" not in s.partitioned_arrays  # results alias results, not args
    s.partition(s.C, P.Block, dim=1, factor=2)
    assert s.partitioned_arrays["twice_called:D"] == [(1, 1, 2)]
    assert s.partitioned_arrays["inc6:W"] == [(1, 1, 2)]
    assert "twice_called:E" not in s.partitioned_arrays
    assert_cpu_matches(s, K.twice_called_ref, K.rand_int(6), K.rand_int(6, seed=2))


def test_conflict_between_two_call_sites_names_both_and_the_hint():
    s = allo.customize(K.twice_called)
    s.partition(s.P, P.Cyclic, dim=1, factor=2)
    err = assert_refused(s, allo.LayoutConflictError, "use a template id to give the calls "
                         "separate instances", "partition", s.Q, P.Block, dim=1, factor=2)
    text = str(err)
    assert "twice_called:P" in text and "twice_called:Q" in text
    assert "⟨Y(2)⟩" in text and "⟨B(2)⟩" in text
    # mixing dim=0 with the propagated per-dim layout is a conflict too
    assert_refused(s, allo.LayoutConflictError, "Cannot mix all-dim partitioning", "partition",
                   s.Q, P.Complete, dim=0)


def test_rule_2_and_rule_3_messages():
    s = allo.customize(K.affine2)
    s.partition(s.X, P.Cyclic, dim=0, factor=2)
    assert_refused(s, allo.ScheduleError, "Cannot mix all-dim partitioning (dim=0) with "
                   "per-dimension partitions for array affine2:X", "partition",
                   s.X, P.Block, dim=1, factor=2)
    assert_refused(s, allo.ScheduleError, "Cannot mix all-dim partitioning", "partition",
                   s.X, P.Cyclic, dim=0, factor=2)
    s2 = allo.customize(K.affine2)
    s2.partition(s2.Y, P.Block, dim=2, factor=2)
    for kind, factor in ((P.Block, 2), (P.Cyclic, 4)):  # also when identical
        assert_refused(s2, allo.ScheduleError, "Cannot partition the same array on "
                       "dimension 2 twice: affine2:Y", "partition", s2.Y, kind, dim=2,
                       factor=factor)
    assert_refused(s2, allo.ScheduleError, "Cannot mix all-dim", "partition", s2.Y)


@pytest.mark.parametrize("args, kwargs, exc, fragment", [
    ((5,), {}, allo.ScheduleArgumentError, "Invalid partition type"),
    ((P.Block,), {"dim": -1, "factor": 2}, allo.ScheduleArgumentError, "Invalid dimension"),
    ((P.Block,), {"dim": 3, "factor": 2}, allo.ScheduleArgumentError, "Invalid dimension 3"),
    ((P.Cyclic,), {"dim": 1, "factor": -2}, allo.ScheduleArgumentError, "Invalid factor"),
    (("cyclic",), {}, allo.ScheduleArgumentError, "Invalid partition type"),
])
def test_argument_errors_leave_ir_unchanged(args, kwargs, exc, fragment):
    s = allo.customize(K.affine2)
    assert_refused(s, exc, fragment, "partition", s.X, *args, **kwargs)


def test_unknown_buffer_and_scalar():
    s = allo.customize(K.mv)
    assert_refused(s, allo.BufferNotFoundError, "nope", "partition", "mv:nope")
    s2 = allo.customize(K.inc6)
    assert_refused(s2, allo.BufferNotFoundError, "Z", "partition", "inc6:Z")


def test_block_factor_not_dividing_extent_keeps_results():
    s = allo.customize(K.affine2)
    s.partition(s.Y, P.Block, dim=2, factor=5)  # bank size ceil(12/5) = 3
    assert "(d0, d1) -> (0, d1 floordiv 3, d0, d1 mod 3)" in str(s.module)
    assert_cpu_matches(s, K.affine2_ref, K.rand_int((6, 12), seed=6))


def test_records_survive_a_factor_that_does_not_divide_the_extent():
    s = allo.customize(K.affine2)
    s.partition(s.Y, P.Block, dim=2, factor=5)  # decodes as 4 banks of 3
    assert_refused(s, allo.ScheduleError, "Cannot partition the same array on dimension 2 "
                   "twice: affine2:Y", "partition", s.Y, P.Block, dim=2, factor=5)
    s.partition(s.Y, P.Cyclic, dim=1, factor=2)
    assert s.partitioned_arrays["affine2:Y"] == [(1, 2, 5), (2, 1, 2)]


def test_replayed_identical_partition_is_a_no_op_but_a_different_one_conflicts():
    # composition replays sub-schedules in the state's replay mode (docs/memory_primitives.md)
    s = allo.customize(K.top6)
    s.partition("inc6:V", P.Cyclic, dim=1, factor=2)
    after = str(s.module)
    with s._state.replay_mode():
        s.partition("inc6:V", P.Cyclic, dim=1, factor=2)  # a second sub-schedule, same layout
        assert str(s.module) == after
        assert_refused(s, allo.ScheduleError, "Cannot partition the same array on dimension 1 "
                       "twice: inc6:V", "partition", "inc6:V", P.Block, dim=1, factor=2)
    assert not s._state.replaying
    assert s.partitioned_arrays["top6:X"] == [(2, 1, 2)]


requests = st.lists(st.tuples(st.sampled_from(["X", "Y"]), st.integers(0, 2),
                              st.integers(0, 2), st.integers(1, 4)), min_size=1, max_size=4)


@settings(max_examples=20, deadline=None)
@given(requests)
def test_random_request_sequences_are_atomic_and_keep_results(seq):
    s = allo.customize(K.affine2)
    for name, kind, dim, factor in seq:
        before = str(s.module)
        try:
            s.partition(getattr(s, name), kind, dim=dim, factor=factor)
        except allo.ScheduleError:
            assert str(s.module) == before
            continue
        records = s.partitioned_arrays[f"affine2:{name}"]
        dims = dims_of_records([PartitionRecord(k, d, f, "") for k, d, f in records], 2)
        with s.context:
            expected = str(layout_map([6, 12], dims))
        assert f"affine_map<{expected}>" in str(s.module)
    assert_cpu_matches(s, K.affine2_ref, K.rand_int((6, 12), seed=9))


def test_warnings_point_at_the_users_call_line():
    s = allo.customize(K.affine2)
    with pytest.warns(UserWarning, match="factor=16 is ignored for a complete partition") as rec:
        line = inspect.currentframe().f_lineno + 1
        s.partition(s.X, dim=2, factor=16)
    assert len(rec) == 1
    assert (rec[0].filename, rec[0].lineno) == (__file__, line)
    assert "complete dim=2" in str(s.build(target="vhls"))  # the factor is ignored indeed
    with pytest.warns(UserWarning, match="factor 0") as rec:
        line = inspect.currentframe().f_lineno + 1
        s.partition(s.X, P.Cyclic, dim=1)
    assert (rec[0].filename, rec[0].lineno) == (__file__, line)


def test_complete_with_factor_one_or_zero_does_not_warn():
    s = allo.customize(K.affine2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.partition(s.X, dim=1, factor=1)
        s.partition(s.X, dim=2)
