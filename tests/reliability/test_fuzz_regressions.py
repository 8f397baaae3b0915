"""Library bugs found by the differential fuzzer, reduced to a few lines each.

Each test states the language's answer (language.md §4.2, §5); the ones the library still gets
wrong are strict xfails, so they fail loudly once fixed.
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


@pytest.mark.xfail(strict=True, reason="CPU build: floor division wider than 64 bits "
                   "(int32 // uint64, Int(65)) returns -1 without its sign bit (2**64 - 1)")
def test_floor_division_wider_than_64_bits_cpu():
    np.testing.assert_array_equal(allo.customize(floor_sign).build()(DIVISORS), [-1, -1])


@pytest.mark.xfail(strict=True, reason="same bug seen through a product and a remainder: "
                   "100 * (-3 // 3885) % 3885 gives 2025 instead of -100")
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
