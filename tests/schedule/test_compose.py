"""s.compose (schedule.md §6): replay, renaming, ids, unfold clones, conflicts, atomicity."""

import sys

import numpy as np
import pytest

import allo
from allo.ir.types import int32

from helpers import check_csim
from helpers_schedule import assert_cpu_matches
import compose_kernels as K

P = allo.Partition

needs_pep695 = pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 695 needs Python 3.12")

if sys.version_info >= (3, 12):
    import importlib.util
    import pathlib

    _spec = importlib.util.spec_from_file_location(
        "compose_kernels_pep695", pathlib.Path(__file__).with_name("compose_kernels_pep695.py"))
    T = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(T)


def _axpy_schedule():
    sa = allo.customize(K.axpy)
    sa.split("t", 4)
    sa.pipeline("t.inner")
    return sa


def _snapshot(s):
    return (s.module.operation.get_asm(enable_debug_info=True), list(s.primitive_sequences),
            dict(s.partitioned_arrays))


def _loop_attrs(s, func, loop):
    """The attribute dict text of loop ``loop`` in function ``func`` of ``s.module``."""
    handle = s.get_loops(func)
    for _, stage in handle:
        for name, h in stage:
            if name == loop:
                return str(h.loop).rsplit("\n", 1)[-1]  # "} {loop_name = ..., ...}"
    raise AssertionError(f"loop {loop} not in {func}")


# ----------------------------------------------------------------------- basic replay


@pytest.mark.csim
def test_spec_example_applies_to_every_call_and_records_renamed_primitives():
    sc = allo.customize(K.chain)
    sc.compose(_axpy_schedule())
    text = str(sc.module)
    assert 'loop_name = "t.inner", pipeline_ii = 1 : ui32' in text
    assert sc.primitive_sequences == [("split", ["axpy:t", 4], {}),
                                      ("pipeline", ["axpy:t.inner"], {})]
    U, V = K.rand_int(12, 1), K.rand_int(12, 2)
    assert_cpu_matches(sc, K.chain_ref, U, V)
    hls = str(sc.build(target="vhls"))
    assert hls.count("#pragma HLS pipeline II=1") == 1  # one shared definition of axpy
    assert hls.count("axpy(") == 3  # the definition and both calls
    results = check_csim(sc, U, V)
    np.testing.assert_array_equal(results[0], K.chain_ref(U, V))


def test_parent_primitives_after_compose_act_on_the_composed_result():
    sc = allo.customize(K.chain)
    sc.compose(_axpy_schedule())
    sc.pipeline("axpy:t.outer", initiation_interval=2)
    assert "pipeline_ii = 2 : ui32" in _loop_attrs(sc, "axpy", "t.outer")
    assert_cpu_matches(sc, K.chain_ref, K.rand_int(12, 3), K.rand_int(12, 4))


def test_compose_list_of_schedules_for_two_callees():
    s_bias = allo.customize(K.bias12)
    s_bias.unroll("b", 3)
    s = allo.customize(K.chain_bias)
    s.compose([_axpy_schedule(), s_bias])
    assert "unroll = 3 : ui32" in _loop_attrs(s, "bias12", "b")
    assert "pipeline_ii = 1" in _loop_attrs(s, "axpy", "t.inner")
    assert [name for name, _, _ in s.primitive_sequences] == ["split", "pipeline", "unroll"]
    assert_cpu_matches(s, K.chain_bias_ref, K.rand_int(12, 5), K.rand_int(12, 6))


def test_repeated_calls_of_a_composed_kernel():
    s = allo.customize(K.chain3)
    s.compose(_axpy_schedule())
    for seed in range(3):
        U, V = K.rand_int(12, seed), K.rand_int(12, seed + 10)
        assert_cpu_matches(s, K.chain3_ref, U, V)


def test_compose_onto_the_same_kernel_equals_applying_the_primitives():
    direct = _axpy_schedule()
    s = allo.customize(K.axpy)
    s.compose(_axpy_schedule())
    assert str(s.module) == str(direct.module)
    # recorded with an explicit function prefix: a plain "t" would mean a parent's own top
    assert s.primitive_sequences == [("split", ["axpy:t", 4], {}),
                                     ("pipeline", ["axpy:t.inner"], {})]


def test_handles_and_function_primitives_are_renamed():
    sa = allo.customize(K.axpy)
    outer, inner = sa.split(sa.get_loops().S_t_0.t, 3)
    sa.unroll(inner, 3)
    sa.pipeline(outer)
    sa.inline()
    sa.dataflow(sa.get_loops().S_t_0["t.outer"])
    s = allo.customize(K.chain)
    s.compose(sa)
    text = str(s.module)
    assert "func.func @axpy" in text and "inline" in text
    assert "dataflow" in _loop_attrs(s, "axpy", "t.outer")
    assert "unroll = 3 : ui32" in _loop_attrs(s, "axpy", "t.inner")
    recorded = s.primitive_sequences
    assert recorded[1][1][0].func == "axpy" and recorded[1][1][0].loop is None
    assert recorded[3] == ("inline", ["axpy"], {})
    assert_cpu_matches(s, K.chain_ref, K.rand_int(12, 7), K.rand_int(12, 8))


def test_nested_composition_replays_recorded_primitives():
    sa = allo.customize(K.add1)
    sa.unroll("i", 4)
    s_mid = allo.customize(K.add2)
    s_mid.compose(sa)
    s_top = allo.customize(K.add_top)
    s_top.compose(s_mid)
    s_top.pipeline("n")
    assert "unroll = 4 : ui32" in _loop_attrs(s_top, "add1", "i")
    assert s_top.primitive_sequences[0] == ("unroll", ["add1:i", 4], {})
    assert_cpu_matches(s_top, K.add_top_ref, K.rand_int(8, 9))


def test_compute_at_by_handles_is_replayed_in_the_callee():
    sub = allo.customize(K.twostep)
    loops = sub.get_loops()
    sub.compute_at(loops.mul.b, loops.add.b)
    s = allo.customize(K.twostep_caller)
    s.compose(sub)
    assert [name for name, _ in s.get_loops("twostep")] == ["add"]
    assert [h.func for h in s.primitive_sequences[0][1]] == ["twostep", "twostep"]
    assert_cpu_matches(s, K.twostep_ref, K.rand_int((6, 12), 5))


def test_parent_trace_holding_handles_survives_a_rolled_back_compose():
    s = allo.customize(K.chain)
    handle = s.get_loops("axpy").S_t_0.t
    s.split(handle, 3)
    sub = allo.customize(K.axpy)
    sub.pipeline("t")
    before = _snapshot(s)
    with pytest.raises(allo.LoopNotFoundError, match="replayed as pipeline"):
        s.compose(sub)
    assert _snapshot(s) == before
    assert s.primitive_sequences[0][1][0] is handle  # the user's handle, not a copy
    assert_cpu_matches(s, K.chain_ref, K.rand_int(12, 1), K.rand_int(12, 2))


# ----------------------------------------------------------------------- callee with an output parameter


@pytest.mark.csim
def test_reorder_partition_buffer_at_pipeline_onto_callee_with_output_parameter():
    sub = allo.customize(K.gemm_out)
    sub.reorder("k", "j")
    sub.partition(sub.B, P.Cyclic, dim=2, factor=2)
    sub.buffer_at(sub.C, "i")
    sub.pipeline("j")
    s = allo.customize(K.gemm_top)
    s.compose(sub)
    text = str(s.module)
    assert 'name = "C_buf"' in text
    loops = [name for name, _ in s.get_loops("gemm_out").mm]
    assert loops.index("k") < loops.index("j")
    hls = str(s.build(target="vhls"))
    assert "cyclic dim=2 factor=2" in hls
    A, B = K.rand_int((8, 6), 1, -50, 50), K.rand_int((6, 10), 2, -50, 50)
    assert_cpu_matches(s, K.gemm_top_ref, A, B)
    np.testing.assert_array_equal(check_csim(s, A, B)[0], K.gemm_top_ref(A, B))


# ----------------------------------------------------------------------- partition propagation


def test_partition_propagates_through_nested_compose_add2_to_add1():
    s1 = allo.customize(K.add1)
    s1.partition(s1.A, P.Cyclic, dim=1, factor=2)
    s2 = allo.customize(K.add2)
    s2.compose(s1)
    s = allo.customize(K.add_top)
    s.compose(s2)
    cyclic = "affine_map<(d0) -> (d0 mod 2, d0 floordiv 2)>"
    assert cyclic in str(s.module)
    for member in ("add1:A", "add2:A", "add_top:X", "add2:C", "add1:B", "add2:D"):
        assert s.partitioned_arrays[member] == [(P.Cyclic, 1, 2)], member
    hls = str(s.build(target="vhls"))
    assert hls.count("cyclic dim=1 factor=2") >= 3  # add1, add2 and the top function
    assert_cpu_matches(s, K.add_top_ref, K.rand_int(8, 1))


def test_double_input_partitions_and_the_same_layout_arriving_twice():
    sub = allo.customize(K.two_inputs)
    sub.partition(sub.A, P.Block, dim=1, factor=2)
    sub.partition(sub.B, P.Cyclic, dim=1, factor=4)
    s = allo.customize(K.two_inputs_top)
    s.partition(s.P, P.Block, dim=1, factor=2)  # the parent already asked for the same
    s.compose(sub)
    assert s.partitioned_arrays["two_inputs_top:P"] == [(P.Block, 1, 2)]
    assert s.partitioned_arrays["two_inputs_top:Q"] == [(P.Cyclic, 1, 4)]
    hls = str(s.build(target="vhls"))
    assert "block dim=1 factor=2" in hls and "cyclic dim=1 factor=4" in hls
    assert_cpu_matches(s, K.two_inputs_ref, K.rand_int(8, 1), K.rand_int(8, 2))


def test_two_sub_schedules_with_the_same_partition_compose():
    s1 = allo.customize(K.two_inputs)
    s1.partition(s1.A, P.Cyclic, dim=1, factor=2)
    s2 = allo.customize(K.two_inputs)
    s2.partition(s2.A, P.Cyclic, dim=1, factor=2)
    s2.pipeline("i")
    s = allo.customize(K.two_inputs_top)
    s.compose([s1, s2])
    assert s.partitioned_arrays["two_inputs:A"] == [(P.Cyclic, 1, 2)]
    assert_cpu_matches(s, K.two_inputs_ref, K.rand_int(8, 3), K.rand_int(8, 4))


def test_conflicting_partition_raises_layout_conflict_and_rolls_back():
    sub = allo.customize(K.two_inputs)
    sub.pipeline("i")
    sub.partition(sub.A, P.Block, dim=1, factor=4)
    s = allo.customize(K.two_inputs_top)
    s.partition(s.P, P.Cyclic, dim=1, factor=2)
    before = _snapshot(s)
    with pytest.raises(allo.LayoutConflictError) as info:
        s.compose(sub)
    message = str(info.value)
    assert "schedule of two_inputs" in message and "partition" in message
    assert "use a template id" in message and "test_compose.py" in message
    assert _snapshot(s) == before  # the pipeline replayed before the failure is undone too
    s.compose(allo.customize(K.two_inputs))  # a failed compose is not "already composed"


def test_output_partition_of_a_twice_called_kernel():
    sub = allo.customize(K.double)
    sub.partition(sub.W, P.Complete)
    s = allo.customize(K.double_twice)
    s.compose(sub)
    for member in ("double:W", "double_twice:C", "double_twice:D"):
        assert s.partitioned_arrays[member] == [(P.Complete, 0, 0)], member
    s.partition("double_twice:C", P.Complete)  # rule 1: already complete everywhere
    again = allo.customize(K.double)
    again.partition(again.V, P.Complete)
    again.partition(again.W, P.Complete)
    s.compose(again)  # the W layout is already there: no change, no error
    assert s.partitioned_arrays["double:W"] == [(P.Complete, 0, 0)]
    assert s.partitioned_arrays["double_twice:P"] == [(P.Complete, 0, 0)]
    assert_cpu_matches(s, K.double_twice_ref, K.rand_int(8, 5), K.rand_int(8, 6))


# ----------------------------------------------------------------------- reuse_at


def test_composed_reuse_at_one_sub_schedule_and_partition_of_its_handle():
    sub = allo.customize(K.blur)
    lb = sub.reuse_at(sub.P, "x")
    sub.partition(lb, P.Complete)
    sub.pipeline("x")
    s = allo.customize(K.blur_twice)
    s.compose(sub)
    text = str(s.module)
    assert 'name = "S_y_x_0_reuse_1"' in text
    assert s.partitioned_arrays["blur:S_y_x_0_reuse_1"] == [(P.Complete, 0, 0)]
    P1, P2 = K.rand_int((6, 12), 1), K.rand_int((6, 12), 2)
    assert_cpu_matches(s, K.blur_twice_ref, P1, P2)


@pytest.mark.csim
def test_composed_reuse_at_two_sub_schedules_line_and_window_buffers():
    s_box = allo.customize(K.box)
    lb = s_box.reuse_at(s_box.P, "y")
    wb = s_box.reuse_at(lb, "x")
    s_box.partition(lb, dim=1)
    s_box.partition(wb)
    s_box.pipeline("x")
    s_blur = allo.customize(K.blur)
    s_blur.reuse_at(s_blur.P, "x")
    s = allo.customize(K.filters)
    s.compose([s_box, s_blur])
    text = str(s.module)
    assert text.count('name = "S_y_x_0_reuse_0"') == 1  # box's line buffer
    assert text.count('name = "S_y_x_0_reuse_1"') == 2  # box's window, blur's line buffer
    hls = str(s.build(target="vhls"))
    assert "S_y_x_0_reuse_0" in hls
    P8, S6 = K.rand_int((8, 12), 3, -100, 100), K.rand_int((6, 12), 4, -100, 100)
    assert_cpu_matches(s, K.filters_ref, P8, S6)
    np.testing.assert_array_equal(check_csim(s, P8, S6)[0], K.filters_ref(P8, S6))


# ----------------------------------------------------------------------- unfold clones


def test_sub_schedule_of_an_unfolded_callee_reaches_every_clone():
    s = allo.customize(K.pe_row)
    s.unfold("PE", [0])
    clones = sorted(n for n in s._state.function_names() if n.startswith("pe_sum"))
    assert clones == ["pe_sum_0", "pe_sum_1", "pe_sum_2"]
    sub = allo.customize(K.pe_sum)
    sub.pipeline("k")
    s.compose(sub)
    for name in clones:
        assert "pipeline_ii = 1" in _loop_attrs(s, name, "k")
    assert [args[0] for _, args, _ in s.primitive_sequences[1:]] == \
        ["pe_sum_0:k", "pe_sum_1:k", "pe_sum_2:k"]
    A, W = K.rand_int(4, 1), K.rand_int(3, 2)
    assert_cpu_matches(s, K.pe_row_ref, A, W, np.zeros(3, np.int32))


def test_sub_schedule_that_unfolds_then_schedules_a_clone():
    sub = allo.customize(K.pe_row)
    sub.unfold("PE", [0])
    sub.unroll("pe_sum_1:k", 2)
    s = allo.customize(K.pe_caller)
    s.compose(sub)
    assert "unroll = 2 : ui32" in _loop_attrs(s, "pe_sum_1", "k")
    assert "unroll" not in _loop_attrs(s, "pe_sum_0", "k")
    assert_cpu_matches(s, K.pe_caller_ref, K.rand_int(4, 3), K.rand_int(3, 4))


# ----------------------------------------------------------------------- conflicts and errors


def test_same_sub_schedule_twice_is_refused_before_replaying():
    sa = _axpy_schedule()
    s = allo.customize(K.chain)
    s.compose(sa)
    before = _snapshot(s)
    with pytest.raises(allo.ScheduleError, match="already composed"):
        s.compose(sa)
    assert _snapshot(s) == before


def test_replay_failure_names_the_sub_schedule_and_primitive_and_rolls_back():
    sa = allo.customize(K.axpy)
    sa.pipeline("t")
    sa.split("t", 4)
    s = allo.customize(K.chain)
    s.split("axpy:t", 3)  # the parent renamed loop t first
    before = _snapshot(s)
    with pytest.raises(allo.LoopNotFoundError) as info:
        s.compose(sa)
    message = str(info.value)
    assert "replaying primitive #0 of the schedule of axpy" in message
    assert "pipeline('t')" in message and "loop t not found" in message
    assert "rolled back" in message and "test_compose.py" in message
    assert _snapshot(s) == before


def test_failure_after_successful_replays_rolls_back_everything():
    sa = allo.customize(K.axpy)
    sa.pipeline("t")
    sa.split("t", 4)
    s = allo.customize(K.chain_bias)
    s.unroll("axpy:t", 2)
    sb = allo.customize(K.bias12)
    sb.unroll("b", 2)
    sb.split("b", 4)
    s.split("bias12:b", 6)  # sb's split of "b" will not find the loop
    before = _snapshot(s)
    with pytest.raises(allo.ScheduleError, match="schedule of bias12"):
        s.compose([sa, sb])  # sa replays fine, sb fails: both are undone
    assert _snapshot(s) == before
    assert not s._state.replaying


def test_missing_function_in_parent():
    sa = allo.customize(K.axpy)
    sa.pipeline("t")
    s = allo.customize(K.add_top)
    with pytest.raises(allo.LoopNotFoundError, match="axpy not found; instances: "):
        s.compose(sa)


def test_argument_types():
    s = allo.customize(K.chain)
    with pytest.raises(TypeError, match="expected a Schedule"):
        s.compose("axpy")
    with pytest.raises(TypeError, match="expected a Schedule"):
        s.compose([_axpy_schedule(), 3])
    with pytest.raises(allo.ScheduleError, match="no default schedule for kernel axpy"):
        s.compose(K.axpy)
    with pytest.raises(allo.ScheduleError, match="into itself"):
        s.compose(s)
    with pytest.raises(allo.ScheduleError, match="id must be a string"):
        s.compose(_axpy_schedule(), id=2.5)
    assert s.primitive_sequences == []


def test_library_kernel_with_a_registered_default_schedule(monkeypatch):
    from allo.library import KERNEL2SCHEDULE

    def default_axpy(sched):
        sched.split("t", 6)
        return sched

    monkeypatch.setitem(KERNEL2SCHEDULE, K.axpy, default_axpy)
    s = allo.customize(K.chain)
    s.compose(K.axpy)
    assert s.primitive_sequences == [("split", ["axpy:t", 6], {})]
    assert_cpu_matches(s, K.chain_ref, K.rand_int(12, 1), K.rand_int(12, 2))


# ----------------------------------------------------------------------- template instances (ids)


@needs_pep695
def test_ids_select_one_instance_each():
    s_lo = allo.customize(T.scale, instantiate=[int32, 20])
    s_lo.unroll("t", 5)
    s_hi = allo.customize(T.scale, instantiate=[int32, 20])
    s_hi.pipeline("t")
    s = allo.customize(T.two_scales)
    s.compose(s_lo, id="lo")
    s.compose(s_hi, id="hi")
    assert "unroll = 5" in _loop_attrs(s, "scale_lo", "t")
    assert "pipeline" not in _loop_attrs(s, "scale_lo", "t")
    assert "pipeline_ii = 1" in _loop_attrs(s, "scale_hi", "t")
    assert "unroll" not in _loop_attrs(s, "scale_hi", "t")
    assert s.primitive_sequences == [("unroll", ["scale_lo:t", 5], {}),
                                     ("pipeline", ["scale_hi:t"], {})]
    X = K.rand_int(20, 1)
    assert_cpu_matches(s, lambda x: x * 4, X)


@needs_pep695
def test_same_schedule_onto_two_ids_then_again_is_already_composed():
    sub = allo.customize(T.kernel, instantiate=[int32, 10])
    sub.unroll("i", 2)
    s = allo.customize(T.two_kernels)
    s.compose(sub, id="K1")
    s.compose(sub, id="K2")
    with pytest.raises(allo.ScheduleError, match="already composed onto kernel_K2"):
        s.compose(sub, id="K2")
    assert_cpu_matches(s, lambda a: a + 2, K.rand_int(10, 2))


@needs_pep695
def test_missing_instance_lists_existing_instances():
    sub = allo.customize(T.kernel, instantiate=[int32, 10])
    sub.unroll("i", 2)
    s = allo.customize(T.two_kernels)
    before = _snapshot(s)
    with pytest.raises(allo.LoopNotFoundError,
                       match="kernel_K3 not found; instances: kernel_K1, kernel_K2"):
        s.compose(sub, id="K3")
    assert _snapshot(s) == before


@needs_pep695
def test_unnamed_instance_addressed_by_its_number():
    sub = allo.customize(T.scale, instantiate=[allo.ir.types.int16, 8])
    sub.unroll("t", 4)
    s = allo.customize(T.unnamed_scales)
    s.compose(sub, id="1")  # scale[int16, 8] is the second distinct instance: scale_1
    assert "unroll = 4" in _loop_attrs(s, "scale_1", "t")
    assert "unroll" not in _loop_attrs(s, "scale", "t")
    by_number = allo.customize(T.unnamed_scales)
    by_number.compose(sub, id=1)
    assert str(by_number.module) == str(s.module)


@needs_pep695
def test_replayed_primitive_illegal_for_the_instance():
    sub = allo.customize(T.scale, instantiate=[int32, 20])
    sub.split("t", 8)
    s = allo.customize(T.small_scale)
    before = _snapshot(s)
    with pytest.raises(allo.ScheduleError) as info:
        s.compose(sub, id="small")
    assert "split('scale_small:t', 8)" in str(info.value)
    assert "larger than the upper bound" in str(info.value)
    assert _snapshot(s) == before


@needs_pep695
@pytest.mark.csim
def test_nested_template_compose_with_ids_pipelines_one_instance():
    s_leaf = allo.customize(T.add_const, instantiate=[int32, 5])
    s_leaf.pipeline("i")
    s_mid = allo.customize(T.add_const_const, instantiate=[int32, 5])
    s_mid.compose(s_leaf)
    s = allo.customize(T.add_consts)
    s.compose(s_mid, id="5")
    hls = str(s.build(target="vhls"))
    for name in ("add_const_5(", "add_const_const_5(", "add_const_7(", "add_const_const_7("):
        assert name in hls
    assert hls.count("#pragma HLS pipeline") == 1
    assert "pipeline_ii" in _loop_attrs(s, "add_const_5", "i")
    assert "pipeline_ii" not in _loop_attrs(s, "add_const_7", "i")
    A = K.rand_int(16, 3)
    assert_cpu_matches(s, lambda a: a + 24, A)
    np.testing.assert_array_equal(check_csim(s, A)[0], A + 24)


@needs_pep695
def test_ids_apply_at_each_level_of_nested_composition():
    s_leaf = allo.customize(T.scale, instantiate=[int32, 20])
    s_leaf.unroll("t", 5)
    s_mid = allo.customize(T.inner_pair, instantiate=[int32, 20])
    s_mid.compose(s_leaf, id="K1")
    assert s_mid.primitive_sequences == [("unroll", ["scale_K1:t", 5], {})]
    s = allo.customize(T.outer_pairs)
    s.compose(s_mid, id="hi")  # scale_K1 inside inner_hi is scale_hi_K1
    assert s.primitive_sequences == [("unroll", ["scale_hi_K1:t", 5], {})]
    for name in ("scale_lo_K1", "scale_lo_K2", "scale_hi_K2"):
        assert "unroll" not in _loop_attrs(s, name, "t")
    assert_cpu_matches(s, lambda x: x * 16, K.rand_int(20, 4))
