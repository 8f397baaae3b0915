"""Library bugs found by the differential fuzzer, reduced to a few lines each.

Each test states the language's answer (language.md §4.2, §5); any the library still gets
wrong is a strict xfail, so it fails loudly once fixed.
"""

from __future__ import annotations

import numpy as np
import pytest

import allo
from allo.ir.types import int8, int32, uint64

DIVISORS = np.array([7, 2**63 + 5], np.uint64)


def floor_sign(D: uint64[2]) -> int8[2]:
    Y: int8[2] = 0
    for i in range(2):
        # int32 // uint64 has type Int(65); floor(-3 / d) is -1, whose bit 64 is set
        Y[i] = ((-3) // D[i]) >> 64
    return Y


def floor_then_remainder(X: int8[1], D: uint64[1]) -> int32[1]:
    Y: int32[1] = 0
    for i in range(1):
        Y[i] = (X[i] * ((-3) // D[i])) % 3885
    return Y


def test_floor_division_wider_than_64_bits_cpu():
    np.testing.assert_array_equal(allo.customize(floor_sign).build()(DIVISORS), [-1, -1])


def test_floor_division_wider_than_64_bits_in_expression_cpu():
    mod = allo.customize(floor_then_remainder).build()
    result = mod(np.array([100], np.int8), np.array([3885], np.uint64))
    np.testing.assert_array_equal(result, [-100])


@pytest.mark.csim
def test_floor_division_wider_than_64_bits_csim(tmp_path):
    mod = allo.customize(floor_sign).build(target="vhls", mode="csim", project=str(tmp_path))
    out = np.zeros(2, np.int8)
    mod(DIVISORS, out)
    np.testing.assert_array_equal(out, [-1, -1])


# --------------------------------------------------------------------------- schedules


def three_stages(A: int32[3, 5]) -> (int32[3, 5], int32[3, 5], int32[3, 5]):
    X0: int32[3, 5] = 0
    for i0, j0 in allo.grid(3, 3, name="S0"):
        X0[i0, j0] = A[i0, j0] + 1
    X1: int32[3, 5] = 0
    for i1, j1 in allo.grid(3, 5, name="S1"):
        X1[i1, j1] = A[i1, j1] * 3
    X2: int32[3, 5] = 0
    for i2, j2 in allo.grid(2, 4, name="S2"):
        X2[i2, j2] = X1[i2, j2] * 2
    return X0, X1, X2


def mixed_bounds(A: int32[5, 4]) -> (int32[5, 4], int32[5, 4], int32[5, 4]):
    X0: int32[5, 4] = 0
    for i0, j0 in allo.grid(5, 4, name="S0"):
        X0[i0, j0] = A[i0, j0] + 1
    X1: int32[5, 4] = 0
    for i1, j1 in allo.grid(5, 2, name="S1"):
        X1[i1, j1] = A[i1, j1] * 3
    X2: int32[5, 4] = 0
    for i2, j2 in allo.grid(4, 3, name="S2"):
        X2[i2, j2] = A[i2, j2] - 1
    return X0, X1, X2


def _same_results_or_refused(kernel, args, *steps) -> None:
    """Each step is refused with a ScheduleError or keeps every result bit-identical."""
    expected = allo.customize(kernel).build()(*args)
    s = allo.customize(kernel)
    for primitive, *params in steps:
        try:
            getattr(s, primitive)(*params)
        except allo.ScheduleError:
            continue
        for want, got in zip(expected, s.build()(*args)):
            np.testing.assert_array_equal(got, want)


def test_compute_at_into_a_guarded_consumer():
    A = np.arange(15, dtype=np.int32).reshape(3, 5)
    _same_results_or_refused(three_stages, [A], ("compute_at", "i1", "i2"),
                             ("compute_at", "j0", "j2"))


def test_compute_at_mixed_bounds_after_a_guard():
    A = np.arange(20, dtype=np.int32).reshape(5, 4)
    _same_results_or_refused(mixed_bounds, [A], ("compute_at", "i0", "i2"),
                             ("compute_at", "j1", "j2"))


def test_compute_at_mixed_bounds_alone_is_refused():
    s = allo.customize(mixed_bounds)
    before = str(s.module)
    with pytest.raises(allo.ScheduleError, match="not consistently larger or smaller"):
        s.compute_at("j1", "j2")
    assert str(s.module) == before


def test_reorder_after_a_guarding_compute_at():
    A = np.arange(20, dtype=np.int32).reshape(5, 4)
    _same_results_or_refused(mixed_bounds, [A], ("compute_at", "i0", "i2"),
                             ("reorder", "j2", "i2"))


def shifted_recurrence(A: int32[4, 5], B: int32[4, 5]) -> int32[4, 5]:
    for i0, j0 in allo.grid(4, 5, name="S0"):
        B[i0, j0] = A[i0, j0] % 4
    for i1, j1 in allo.grid(4, 5, name="S1"):
        B[i1, j1] += A[i1, j1] - 3
    X2: int32[4, 5] = 1
    for i2, j2 in allo.grid(3, 4, name="S2"):
        X2[i2, j2 + 1] = X2[i2, j2] + (A[i2, j2] >> 1)
    return X2


def _shifted_recurrence_reference(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    B += np.fmod(A, 4) + A - 3  # C remainder (language.md §5)
    X2 = np.ones((4, 5), np.int32)
    for i in range(3):
        for j in range(4):
            X2[i, j + 1] = X2[i, j] + (A[i, j] >> 1)
    return X2


def test_fuse_after_compute_at_into_a_guarded_recurrence_builds():
    # fuzz seed 7 case 556: the bounds analysis of the fused guard recursed without end
    A = np.arange(-7, 13, dtype=np.int32).reshape(4, 5)
    s = allo.customize(shifted_recurrence)
    s.compute_at("j1", "j2")
    s.compute_at("j0", "j2")
    s.fuse("i2", "j2")
    B, B_expected = np.zeros_like(A), np.zeros_like(A)
    np.testing.assert_array_equal(s.build()(A, B), _shifted_recurrence_reference(A, B_expected))
    np.testing.assert_array_equal(B, B_expected)
    # fusing the old names again: they no longer exist (schedule.md §2.3 "not found")
    before = str(s.module)
    with pytest.raises(allo.LoopNotFoundError, match="loop i2 not found") as info:
        s.fuse("i2", "j2")  # SECOND FUSE
    assert f'File "{__file__}"' in str(info.value)
    assert str(s.module) == before
