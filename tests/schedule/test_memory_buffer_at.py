"""buffer_at: general and scalar cases, with and without reductions, init from the target's
current contents; CPU results before and after equal numpy; errors change nothing."""

import warnings

import numpy as np
import pytest

import allo
from allo.ir.types import float32, int32
from allo.ir.utils import MockBuffer

from helpers import check_csim
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
    (K.transposed_read, "A", "i", "before the loop's dimension must not change inside the loop"),
])
def test_illegal_requests_change_nothing(kernel, target, axis, fragment):
    s = allo.customize(kernel)
    assert_refused(s, allo.ScheduleError, fragment, "buffer_at", getattr(s, target), axis)


def test_inside_reduction_loop_and_wrong_function():
    s = allo.customize(K.top6)
    assert_refused(s, allo.ScheduleError, "different functions", "buffer_at", s.T, "inc6:t")
    assert_refused(s, allo.LoopNotFoundError, "t", "buffer_at", s.T, "t")
    s2 = allo.customize(K.accumulate_into)
    assert_refused(s2, allo.ScheduleArgumentError, "expected a loop name or handle", "buffer_at",
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


def test_read_only_target_gets_a_copy_in_buffer():
    s = allo.customize(K.gemm_f32)
    A, B = K.rand_float((256, 256), seed=5), K.rand_float((256, 256), seed=6)
    before = s.build()(A, B)
    buf = s.buffer_at(s.A, "i")
    assert buf == MockBuffer("gemm_f32", "A_buf")
    text = str(s.module)
    assert '{name = "A_buf"} : memref<256xf32>' in text
    # copied in once per row (the trailing subscript is the reduction loop k), never back
    assert 'loop_name = "k_init"' in text and "_back" not in text
    assert text.count('from = "A"}') == 1 and text.count('to = "A"}') == 0
    np.testing.assert_array_equal(s.build()(A, B), before)
    assert_replay_identical(K.gemm_f32, s)


def test_copy_in_buffers_of_both_levels_then_result_buffer():
    s = allo.customize(K.rows_then_scale)
    A = K.rand_int((8, 6, 5), seed=7)
    s.buffer_at(s.A, "b")
    s.buffer_at(s.C, "b")
    text = str(s.module)
    assert '{name = "A_buf"} : memref<6x5xi32>' in text and "i_back" in text
    assert_cpu_matches(s, K.rows_then_scale_ref, A)


def test_copy_in_buffer_of_a_small_gemm_in_c_simulation():
    s = allo.customize(K.gemm_small)
    A, B = K.rand_float((8, 12), seed=8), K.rand_float((12, 6), seed=9)
    s.buffer_at(s.A, "i")
    s.buffer_at(s.C, "i")
    hls = s.build(target="vhls")
    assert "A_buf[12]" in str(hls) and "C_buf[6]" in str(hls)
    results = check_csim(s, A, B)
    np.testing.assert_allclose(results[0], A @ B, rtol=1e-5, atol=1e-5)


def test_copy_in_buffer_inside_a_reduction_loop():
    s = allo.customize(K.reduction_between)
    A = K.rand_int((4, 5, 6), seed=10)
    s.buffer_at(s.A, "k")  # A[i, k, j]: one row per (i, k), read-only, so legal in k
    assert '{name = "A_buf"} : memref<6xi32>' in str(s.module)
    assert_cpu_matches(s, K.reduction_between_ref, A)


# --------------------------------------------------- targets declared without an initializer

P_, Q_, R_ = 4, 5, 6


def mm_undefined(A: float32[P_, Q_], B: float32[Q_, R_]) -> float32[P_, R_]:
    out_AB: float32[P_, R_]
    for i in range(P_):
        for j in range(R_):
            for k in allo.reduction(Q_):
                out_AB[i, j] += A[i, k] * B[k, j]  # READ_LINE
    return out_AB


def mm_zeroed(A: float32[P_, Q_], B: float32[Q_, R_]) -> float32[P_, R_]:
    out_AB: float32[P_, R_] = 0.0
    for i in range(P_):
        for j in range(R_):
            for k in allo.reduction(Q_):
                out_AB[i, j] += A[i, k] * B[k, j]
    return out_AB


def product_undefined(A: int32[4, 3]) -> int32[4]:
    p: int32[4]
    for i in range(4):
        for k in allo.reduction(3):
            p[i] *= A[i, k]
    return p


def or_undefined(A: int32[3, 4, 5]) -> int32[3, 4]:
    m: int32[3, 4]
    for i, j in allo.grid(3, 4):
        for k in allo.reduction(5):
            m[i, j] |= A[i, j, k]
    return m


def plain_write_undefined(A: int32[3, 4]) -> int32[3, 4]:
    C: int32[3, 4]
    for i, j in allo.grid(3, 4):
        C[i, j] = A[i, j] * 2
    return C


def revisited_undefined(A: int32[3, 4]) -> int32[3, 4]:
    C: int32[3, 4]
    for r in range(2):
        for i, j in allo.grid(3, 4):
            C[i, j] += A[i, j]
    return C


def written_before(A: int32[3, 4]) -> int32[3, 4]:
    C: int32[3, 4]
    for i, j in allo.grid(3, 4, name="first"):
        C[i, j] = A[i, j]
    for i, j in allo.grid(3, 4, name="acc"):
        for k in allo.reduction(2):
            C[i, j] += k + 1
    return C


def _read_line():
    import inspect

    lines, start = inspect.getsourcelines(mm_undefined)
    return start + next(k for k, text in enumerate(lines) if "READ_LINE" in text)


def _undefined_warnings(s):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        s.build()
        s.build(target="vhls")
    return [w for w in rec if "read before anything is written" in str(w.message)]


def test_accumulation_without_initializer_starts_from_zero():
    s = allo.customize(mm_undefined)
    found = _undefined_warnings(s)
    assert len(found) == 2  # the CPU and the HLS build, at the kernel's read
    assert {(w.filename, w.lineno) for w in found} == {(__file__, _read_line())}
    assert "out_AB (in mm_undefined) is read before anything is written" in str(found[0].message)
    s.buffer_at(s.out_AB, "i")
    text = str(s.module)
    assert 'from = "out_AB"' not in text  # nothing undefined is copied in
    assert "arith.constant 0.000000e+00 : f32" in text
    assert _undefined_warnings(s) == []
    A, B = K.rand_float((P_, Q_), seed=11), K.rand_float((Q_, R_), seed=12)
    reference = allo.customize(mm_zeroed)
    reference.buffer_at(reference.out_AB, "i")
    expected = reference.build()(A, B)
    np.testing.assert_array_equal(s.build()(A, B), expected)  # same operations, same bits
    np.testing.assert_allclose(expected, A @ B, rtol=1e-5)
    check_csim(s, A, B)


@pytest.mark.parametrize("kernel, target, axis, identity, ref", [
    (product_undefined, "p", "i", "arith.constant 1 : i32", lambda A: A.prod(axis=1)),
    (or_undefined, "m", "i", "arith.constant 0 : i32", lambda A: np.bitwise_or.reduce(A, axis=2)),
    (or_undefined, "m", "j", "arith.constant 0 : i32", lambda A: np.bitwise_or.reduce(A, axis=2)),
])
def test_other_reductions_start_from_their_identity(kernel, target, axis, identity, ref):
    s = allo.customize(kernel)
    s.buffer_at(getattr(s, target), axis)
    assert identity in str(s.module)
    assert _undefined_warnings(s) == []
    shape = (4, 3) if kernel is product_undefined else (3, 4, 5)
    A = K.rand_int(shape, seed=13) % 5 + 1
    np.testing.assert_array_equal(s.build()(A), ref(A).astype(np.int32))


def test_undefined_target_without_reduction_is_not_copied_in():
    s = allo.customize(plain_write_undefined)
    assert _undefined_warnings(s) == []
    s.buffer_at(s.C, "i")
    text = str(s.module)
    assert "j_init" not in text and "j_back" in text
    assert _undefined_warnings(s) == []
    A = K.rand_int((3, 4), seed=14)
    np.testing.assert_array_equal(s.build()(A), A * 2)


def test_defined_contents_are_still_copied_in():
    s = allo.customize(written_before)
    s.buffer_at(s.C, "acc.i")
    assert 'from = "C"' in str(s.module)  # the init nest copies the first stage's values
    A = K.rand_int((3, 4), seed=15)
    np.testing.assert_array_equal(s.build()(A), A + 3)
    s2 = allo.customize(revisited_undefined)
    s2.buffer_at(s2.C, "i")  # r revisits each slice: it holds the previous round's sums
    assert "j_init" in str(s2.module) and 'from = "C"' in str(s2.module)
    assert len(_undefined_warnings(s2)) == 2  # the program itself reads undefined memory
