"""allo.verify (schedule.md §9.1): interface check, proof by identical IR, differential runs."""

import os

import numpy as np
import pytest

import allo
from allo.ir.types import Fixed, Int, UInt, bfloat16, float16, float32, int8, int32
from allo.verify import INPUT_SETS, _first_differing_index, _input_value, read_signature


def gemm(A: int32[6, 8], B: int32[8, 5]) -> int32[6, 5]:
    C: int32[6, 5] = 0
    for i, j in allo.grid(6, 5):
        for k in allo.reduction(8):
            C[i, j] += A[i, k] * B[k, j]
    return C


def gemm_top(A: int32[6, 8], B: int32[8, 5]) -> int32[6, 5]:
    C = gemm(A, B)
    return C


def gemm_copy(X: int32[6, 8], Y: int32[8, 5]) -> int32[6, 5]:
    Z: int32[6, 5] = 0
    for r, c in allo.grid(6, 5):
        for m in allo.reduction(8):
            Z[r, c] += X[r, m] * Y[m, c]
    return Z


def stepped(A: int32[16]) -> int32[16]:
    B: int32[16] = 0
    for i in range(1, 15, 3):
        B[i] = A[i][0:8] + A[i - 1][4:12]
    return B


def copy_rows(A: int32[6, 8], B: int32[6, 8]):
    for i in range(6):
        for j in range(8):
            B[i, j] = A[i, j]


def copy_cols(A: int32[6, 8], B: int32[6, 8]):
    for j in range(8):
        for i in range(6):
            B[i, j] = A[i, j]


def times2(A: int32[10]) -> int32[10]:
    B: int32[10] = 0
    for i in range(10):
        B[i] = A[i] * 2
    return B


def shl1(A: int32[10]) -> int32[10]:
    B: int32[10] = 0
    for i in range(10):
        B[i] = A[i] << 1
    return B


def times2_plus1(A: int32[10]) -> int32[10]:
    B: int32[10] = 0
    for i in range(10):
        B[i] = A[i] * 2 + 1
    return B


def sum_forward(A: float32[16]) -> float32:
    s: float32 = 0.0
    for i in range(16):
        s += A[i]
    return s


def sum_backward(A: float32[16]) -> float32:
    s: float32 = 0.0
    for i in range(16):
        s += A[15 - i]
    return s


def clamp_max(A: int32[10]) -> int32[10]:
    B: int32[10] = 0
    for i in range(10):
        if A[i] == 2147483647:
            B[i] = 0
        else:
            B[i] = A[i]
    return B


def identity(A: int32[10]) -> int32[10]:
    B: int32[10] = 0
    for i in range(10):
        B[i] = A[i]
    return B


def mixed_types(A: Int(100)[4], X: Fixed(12, 4)[4], M: UInt(1)[4], H: bfloat16[4],
                n: int8, h: float16) -> Int(100)[4]:
    B: Int(100)[4] = 0
    for i in range(4):
        B[i] = A[i] + n
        X[i] = X[i] * 2
        if M[i]:
            H[i] = H[i] + h
    return B


def bias_add(A: int32[10], b: int32[10]) -> int32[10]:
    C: int32[10] = 0
    for i in range(10):
        C[i] = A[i] + b[i]
    return C


def biased_top(A: int32[10], b: int32[10]) -> int32[10]:
    C = bias_add(A, b)
    return C


def bias_add_wrong(A: int32[10], b: int32[1]) -> int32[10]:
    C: int32[10] = 0
    for i in range(10):
        C[i] = A[i] + b[0]
    return C


def biased_top_wrong(A: int32[10], b: int32[1]) -> int32[10]:
    C = bias_add_wrong(A, b)
    return C


# ----------------------------------------------------------------------- True


def test_reorder_in_a_callee_is_equivalent(capsys):
    s = allo.customize(gemm_top)
    s.reorder("gemm:k", "gemm:j")
    assert allo.verify(s, allo.customize(gemm_top)) is True
    out = capsys.readouterr().out
    assert "gemm_top vs gemm_top: True (differential testing" in out
    assert f"no difference on {len(INPUT_SETS)} input sets" in out


def test_self_comparison_with_step_loops_and_bit_slices(capsys):
    s = allo.customize(stepped)
    assert allo.verify(s, s) is True
    assert "True (proven: the two programs have identical IR)" in capsys.readouterr().out
    split = allo.customize(stepped)
    split.split("i", 2)
    assert allo.verify(s, split) is True
    assert "differential testing" in capsys.readouterr().out


def test_identical_algorithms_with_different_names(capsys):
    assert allo.verify(allo.customize(gemm), allo.customize(gemm_copy)) is True
    assert "gemm vs gemm_copy: True" in capsys.readouterr().out


def test_row_and_column_order_copies_write_the_same_output_parameter():
    assert allo.verify(allo.customize(copy_rows), allo.customize(copy_cols)) is True


def test_times_two_and_shift_left_are_equivalent():
    assert allo.verify(allo.customize(times2), allo.customize(shl1)) is True


def test_composed_and_standalone_schedules():
    sub = allo.customize(gemm)
    sub.reorder("k", "j")
    sub.pipeline("k")
    composed = allo.customize(gemm_top)
    composed.compose(sub)
    assert allo.verify(composed, allo.customize(gemm_top)) is True
    assert allo.verify(composed, sub) is True  # top function vs the kernel it calls


def test_wide_fixed_bool_bfloat16_and_scalar_parameters():
    s = allo.customize(mixed_types)
    unrolled = allo.customize(mixed_types)
    unrolled.split("i", 2)
    assert allo.verify(s, unrolled) is True


# ----------------------------------------------------------------------- False


def test_interface_mismatch_top_vs_sub_kernel(capsys):
    assert allo.verify(allo.customize(gemm_top), allo.customize(times2)) is False
    out = capsys.readouterr().out
    assert "False (interface mismatch: gemm_top has 2 parameters, times2 has 1)" in out


def test_interface_mismatch_between_wrong_bias_composed_designs(capsys):
    right = allo.customize(bias_add)
    right.split("i", 5)
    good = allo.customize(biased_top)
    good.compose(right)
    wrong = allo.customize(bias_add_wrong)
    wrong.split("i", 5)
    bad = allo.customize(biased_top_wrong)
    bad.compose(wrong)
    assert allo.verify(good, bad) is False
    assert "parameter 1: i32[10] (b) vs i32[1] (b)" in capsys.readouterr().out


def test_counterexample_prints_input_output_and_hls_diff(capsys):
    assert allo.verify(allo.customize(times2), allo.customize(times2_plus1)) is False
    out = capsys.readouterr().out
    assert "False (counterexample on input set 'all zeros')" in out
    assert "A = [0, 0, 0" in out
    assert "differing output: result 0 at index (0,): 0 vs 1" in out
    assert "--- times2 (schedule_a).cpp" in out and "+++ times2_plus1 (schedule_b).cpp" in out
    assert "-void times2(" in out and "+void times2_plus1(" in out


def test_float_reassociation_is_not_equivalent(capsys):
    assert allo.verify(allo.customize(sum_forward), allo.customize(sum_backward)) is False
    assert "random small values" in capsys.readouterr().out


def test_a_difference_only_at_the_type_maximum_is_found(capsys):
    assert allo.verify(allo.customize(identity), allo.customize(clamp_max)) is False
    out = capsys.readouterr().out
    assert "counterexample on input set 'type maximum'" in out
    assert "2147483647 vs 0" in out


def test_no_files_are_written_into_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    allo.verify(allo.customize(times2), allo.customize(times2_plus1))
    allo.verify(allo.customize(times2), allo.customize(shl1))
    assert os.listdir(tmp_path) == []


def test_arguments_must_be_schedules():
    with pytest.raises(TypeError, match="must be a Schedule"):
        allo.verify("times2", allo.customize(shl1))


# ----------------------------------------------------------------------- helpers


def test_bit_exact_comparison_treats_all_nans_as_equal_but_not_signed_zeros():
    nan_a = np.array([np.nan, 1.0], dtype=np.float32)
    nan_b = np.array([1.0, 1.0], dtype=np.float32)
    nan_b[0] = np.frombuffer(np.uint32(0x7FC00001).tobytes(), dtype=np.float32)[0]
    assert _first_differing_index(nan_a, nan_b) is None
    zeros = np.array([0.0, -0.0], dtype=np.float32)
    assert _first_differing_index(zeros, np.zeros(2, np.float32)) == (1,)
    assert _first_differing_index(np.arange(3), np.arange(3).reshape(3, 1)) == ()


def test_input_sets_cover_zeros_ones_extremes_and_random_values():
    s = allo.customize(mixed_types)
    sig = read_signature(s.top_func, s.func_args["mixed_types"])
    kinds = [kind for _, kind, _ in INPUT_SETS]
    assert len(INPUT_SETS) >= 8
    assert {"zeros", "ones", "min", "max", "small", "full"} <= set(kinds)
    wide, fixed, mask, _, scalar, _ = sig.params
    assert _input_value(scalar, "min", 0) == -128 and _input_value(scalar, "max", 0) == 127
    assert _input_value(fixed, "max", 0).tolist() == [2047 / 16] * 4
    assert _input_value(mask, "ones", 0).dtype == np.bool_
    big = _input_value(wide, "max", 0)
    assert big.dtype == sig.params[0].storage_dtype  # 100-bit values in byte containers
    full = [_input_value(scalar, "full", seed) for seed in range(20)]
    assert len(set(full)) > 10


def test_bool_inputs_take_both_values_and_no_other():
    s = allo.customize(mixed_types)
    mask = read_signature(s.top_func, s.func_args["mixed_types"]).params[2]  # UInt(1)[4]
    assert _input_value(mask, "zeros", 0).tolist() == [False] * 4
    assert _input_value(mask, "min", 0).tolist() == [False] * 4
    assert _input_value(mask, "ones", 0).tolist() == [True] * 4
    assert _input_value(mask, "max", 0).tolist() == [True] * 4
    for kind in ("small", "special", "full"):
        drawn = np.concatenate([_input_value(mask, kind, seed) for seed in range(8)])
        assert drawn.dtype == np.bool_ and set(drawn.tolist()) == {False, True}, kind
