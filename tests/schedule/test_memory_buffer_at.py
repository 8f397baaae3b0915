"""buffer_at: general and scalar cases, with and without reductions, init from the target's
current contents; CPU results before and after equal numpy; errors change nothing."""

import numpy as np
import pytest

import allo
from allo.ir.utils import MockBuffer

from helpers_schedule import assert_cpu_matches, assert_refused, assert_replay_identical
import memory_kernels as K


def test_gemm_256_float_buffered_rows_matches_numpy():
    s = allo.customize(K.gemm_f32)
    A, B = K.rand_float((256, 256)), K.rand_float((256, 256), seed=1)
    before = s.build()(A, B)
    np.testing.assert_allclose(before, A @ B, rtol=1e-4, atol=1e-3)
    buf = s.buffer_at(s.C, "i")
    assert buf == MockBuffer("gemm_f32", "C_buf")
    text = str(s.module)
    assert '{name = "C_buf"} : memref<256xf32>' in text
    assert '{loop_name = "j_init", pipeline_ii = 1 : ui32}' in text
    assert '{loop_name = "j_back", pipeline_ii = 1 : ui32}' in text
    after = s.build()(A, B)
    np.testing.assert_array_equal(after, before)  # same order of float operations
    np.testing.assert_allclose(after, A @ B, rtol=1e-4, atol=1e-3)
    assert_replay_identical(K.gemm_f32, s)


def test_gemm_scalar_accumulator_at_j():
    s = allo.customize(K.gemm_f32)
    A, B = K.rand_float((256, 256), seed=2), K.rand_float((256, 256), seed=3)
    before = s.build()(A, B)
    s.buffer_at(s.C, "j")
    text = str(s.module)
    assert '{name = "C_buf"} : memref<1xf32>' in text
    assert "_init" not in text and "_back" not in text
    np.testing.assert_array_equal(s.build()(A, B), before)


def test_matrix_vector_scalar_case_of_the_spec():
    s = allo.customize(K.mv)
    M, v = K.rand_float((6, 12)), K.rand_float(12, seed=1)
    assert_cpu_matches(s, K.mv_ref, M, v)
    s.buffer_at(s.out, "r")
    text = str(s.module)
    # out is written once per r, after the c loop
    assert text.count('to = "out"}') == 1
    assert_cpu_matches(s, K.mv_ref, M, v)


def test_init_from_current_contents_of_an_output_parameter():
    s = allo.customize(K.accumulate_into)
    A, C = K.rand_int((4, 6, 5)), K.rand_int((4, 6), seed=1)
    assert_cpu_matches(s, K.accumulate_ref, A, C)
    s.buffer_at(s.C, "b")
    assert '{name = "C_buf"} : memref<6xi32>' in str(s.module)
    assert_cpu_matches(s, K.accumulate_ref, A, C)
    s2 = allo.customize(K.accumulate_into)
    s2.buffer_at(s2.C, "i")
    assert_cpu_matches(s2, K.accumulate_ref, A, C)
    assert_replay_identical(K.accumulate_into, s2)


def test_without_reduction_two_inner_loops_and_name_suffix():
    s = allo.customize(K.rows_then_scale)
    A = K.rand_int((8, 6, 5))
    assert_cpu_matches(s, K.rows_then_scale_ref, A)
    first = s.buffer_at(s.C, "i")
    second = s.buffer_at(s.C, "b")
    assert (first.name, second.name) == ("C_buf", "C_buf_1")
    text = str(s.module)
    assert '{name = "C_buf"} : memref<5xi32>' in text
    assert '{name = "C_buf_1"} : memref<6x5xi32>' in text
    assert 'loop_name = "i_init"' in text and 'loop_name = "i_back"' in text
    assert_cpu_matches(s, K.rows_then_scale_ref, A)


def test_buffer_handle_can_be_partitioned():
    s = allo.customize(K.rows_then_scale)
    buf = s.buffer_at(s.C, "b")
    s.partition(buf, allo.Partition.Cyclic, dim=2, factor=5)
    assert '{name = "C_buf"} : memref<6x5xi32, #map>' in str(s.module)
    assert_cpu_matches(s, K.rows_then_scale_ref, K.rand_int((8, 6, 5), seed=4))


@pytest.mark.parametrize("kernel, target, axis, fragment", [
    (K.mv, "out", "c", "cannot buffer at the inner-most loop"),
    (K.rows_then_scale, "C", "j", "cannot buffer at the inner-most loop"),
    (K.accumulate_into, "C", "k", "inner-most loop"),
    (K.gemm_f32, "A", "i", "is not written under the loop"),
    (K.rows_then_scale, "A", "b", "is not written under the loop"),
])
def test_illegal_requests_change_nothing(kernel, target, axis, fragment):
    s = allo.customize(kernel)
    assert_refused(s, allo.ScheduleError, fragment, "buffer_at", getattr(s, target), axis)


def test_inside_reduction_loop_and_wrong_function():
    s = allo.customize(K.top6)
    assert_refused(s, allo.ScheduleError, "different functions", "buffer_at", s.T, "inc6:t")
    assert_refused(s, allo.LoopNotFoundError, "t", "buffer_at", s.T, "t")
    s2 = allo.customize(K.accumulate_into)
    assert_refused(s2, allo.ScheduleError, "expected a loop name or handle", "buffer_at",
                   s2.C, 3)


def test_reduction_loop_between_the_buffered_loop_and_the_inner_loop():
    s = allo.customize(K.reduction_between)
    A = K.rand_int((4, 5, 6))
    assert_cpu_matches(s, K.reduction_between_ref, A)
    assert_refused(s, allo.ScheduleError, "cannot buffer inside the reduction loops",
                   "buffer_at", s.C, "k")
    s.buffer_at(s.C, "i")  # j sits under the reduction loop k: still one slice per i
    assert '{name = "C_buf"} : memref<6xi32>' in str(s.module)
    assert_cpu_matches(s, K.reduction_between_ref, A)


def test_new_operations_carry_source_locations():
    s = allo.customize(K.rows_then_scale)
    s.buffer_at(s.C, "b")
    text = s.module.operation.get_asm(enable_debug_info=True)
    assert text.count("loc(unknown)") == 1  # only the module itself


def test_reorder_partition_buffer_at_pipeline_on_a_callee_output_parameter():
    s = allo.customize(K.mm_top)
    A, B = K.rand_int((4, 5)), K.rand_int((5, 6), seed=1)
    assert_cpu_matches(s, K.mm_top_ref, A, B)
    s.reorder("mm_out:k", "mm_out:j")
    s.partition("mm_out:B", allo.Partition.Complete, dim=2)
    buf = s.buffer_at("mm_out:C", "mm_out:i")
    s.pipeline("mm_out:j")
    assert buf == MockBuffer("mm_out", "C_buf")
    text = str(s.module)
    assert '{name = "C_buf"} : memref<6xi32>' in text
    assert "func.func @mm_top(%arg0: memref<4x5xi32>, %arg1: memref<5x6xi32, #map>)" in text
    assert_cpu_matches(s, K.mm_top_ref, A, B)
    assert_replay_identical(K.mm_top, s)
