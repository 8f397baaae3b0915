"""unroll, pipeline, parallel, inline, dataflow: attributes, overwrites, errors."""

import warnings

import pytest

import allo
from allo.ir.types import int32

from helpers_schedule import assert_cpu_matches, assert_refused, assert_replay_identical
import loop_kernels as K


def test_unroll_pipeline_spellings_and_overwrite():
    s = allo.customize(K.gemm)
    s.unroll("k")
    assert 'loop_name = "k", unroll = 0 : ui32' in str(s.module)
    s.unroll("k", 4)
    assert 'loop_name = "k", unroll = 4 : ui32' in str(s.module)
    s.pipeline("j", initiation_interval=4)
    assert 'loop_name = "j", pipeline_ii = 4 : ui32}' in str(s.module)
    s.pipeline("j", rewind=True)
    assert 'loop_name = "j", pipeline_ii = 1 : ui32, rewind}' in str(s.module)
    s.pipeline("j")
    assert "rewind" not in str(s.module)
    s.unroll("j", 2)  # pipeline + unroll on one loop
    assert 'loop_name = "j", pipeline_ii = 1 : ui32, unroll = 2 : ui32' in str(s.module)
    s.parallel("i")
    assert 'loop_name = "i", op_name = "mm", parallel}' in str(s.module)
    assert_cpu_matches(s, K.gemm_ref, K.rand_int((8, 6)), K.rand_int((6, 10)))
    assert_replay_identical(K.gemm, s)
    assert s.primitive_sequences[2] == ("pipeline", ["j"], {"initiation_interval": 4})


def test_annotations_on_runtime_bounds_and_callees():
    s = allo.customize(K.runtime_bound)
    s.pipeline("i")
    s.unroll("dyn.i", 2)
    text = str(s.module)
    assert "scf.for" in text and "pipeline_ii = 1 : ui32" in text and "unroll = 2 : ui32" in text
    assert_cpu_matches(s, K.runtime_bound_ref, K.rand_int(10), 7)
    s2 = allo.customize(K.calls_scale)
    s2.unroll("scale_row:t", 3)
    assert "unroll" not in str(s2.top_func)  # only the callee's loop is marked
    assert 'loop_name = "t", op_name = "S_t_0", unroll = 3 : ui32' in str(s2.module)


def test_annotation_errors():
    s = allo.customize(K.gemm)
    assert_refused(s, allo.ScheduleArgumentError, "factor must be >= 0", "unroll", "k", -1)
    assert_refused(s, allo.ScheduleArgumentError, "initiation_interval must be >= 1", "pipeline", "k", 0)
    assert_refused(s, allo.ScheduleArgumentError, "rewind must be a bool", "pipeline", "k", 1, "yes")
    assert_refused(s, allo.LoopNotFoundError, "not found", "parallel", "zz")
    assert_refused(s, allo.ScheduleArgumentError, "expected a loop name or handle", "unroll", 3)


def _header(s, func):
    """The printed signature line of ``func`` (attributes included)."""
    return str(s.module).split(f"func.func @{func}(")[1].split("{\n")[0]


def test_inline_and_dataflow_functions():
    s = allo.customize(K.calls_scale)
    s.inline("scale_row")
    s.dataflow("calls_scale")
    assert "inline" in _header(s, "scale_row") and "dataflow" not in _header(s, "scale_row")
    assert "dataflow" in _header(s, "calls_scale") and "inline" not in _header(s, "calls_scale")
    s.inline()  # None = the top function
    assert "inline" in _header(s, "calls_scale")
    assert_cpu_matches(s, K.calls_scale_ref, K.rand_int(12))
    assert_refused(s, allo.ScheduleArgumentError, "expected a function name", "inline", 3)
    assert_refused(s, allo.LoopNotFoundError, "function nope not found", "inline", "nope")
    assert_refused(s, allo.LoopNotFoundError, "function nope not found", "dataflow", "nope")
    assert_replay_identical(K.calls_scale, s)


def test_dataflow_loop_handle_and_missing():
    s = allo.customize(K.gemm)
    loops = s.get_loops()
    s.dataflow(loops.mm.j)
    assert 'loop_name = "j"' in str(s.module) and "dataflow" in str(s.module)
    s.split("k", 2)
    assert_refused(s, allo.LoopNotFoundError, "dataflow loop mm.k not found", "dataflow",
                   loops.mm.k)


def test_dataflow_warns_on_two_writers():
    s = allo.customize(K.twopass)  # three stages all write `out`
    with pytest.warns(UserWarning, match="written by more than one process"):
        s.dataflow("twopass")


def _product(X: int32[4, 4], Y: int32[4, 4], Z: int32[4, 4]):
    for i, j in allo.grid(4, 4):
        Z[i, j] = 0
        for k in allo.reduction(4):
            Z[i, j] += X[i, k] * Y[k, j]


def three_products(A: int32[4, 4], B: int32[4, 4], C: int32[4, 4], D: int32[4, 4],
                   E: int32[4, 4], F: int32[4, 4], G: int32[4, 4]):
    _product(A, B, E)  # A, B, C, D are only read by the processes they are passed to
    _product(C, D, F)
    _product(E, F, G)


def three_products_ref(A, B, C, D, E, F, G):
    E[:] = A @ B
    F[:] = C @ D
    G[:] = E @ F


def same_output_twice(A: int32[4, 4], B: int32[4, 4], E: int32[4, 4]):
    _product(A, B, E)
    _product(B, A, E)


def test_dataflow_counts_only_arrays_the_callee_writes():
    s = allo.customize(three_products)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.dataflow("three_products")
    assert_cpu_matches(s, three_products_ref, *[K.rand_int((4, 4), seed=n) for n in range(7)])


def test_dataflow_warns_when_two_calls_write_one_array():
    s = allo.customize(same_output_twice)
    with pytest.warns(UserWarning, match="1 buffer.s. are written by more than one process"):
        s.dataflow("same_output_twice")
