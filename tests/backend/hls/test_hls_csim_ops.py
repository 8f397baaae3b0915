"""Whole-array operations (linalg named ops lowered for HLS, loop-form ops) in C simulation."""

import numpy as np
import pytest

import allo
from allo.ir.types import Fixed, UInt, float32, int8, int32, uint8

from helpers import check_csim

pytestmark = pytest.mark.csim
RNG = np.random.default_rng(7)


def mm_relu(A: float32[6, 8], B: float32[8, 5]) -> float32[6, 5]:
    C: float32[6, 5] = allo.matmul(A, B)
    D: float32[6, 5] = allo.relu(C)
    return D


def test_float_matmul_relu_names_the_lowered_loops():
    s = allo.customize(mm_relu)
    code = s.build("vhls").hls_code
    assert "l_matmul_0_L_0: for (int L_0 = 0;" in code
    A = RNG.uniform(-1, 1, (6, 8)).astype(np.float32)
    B = RNG.uniform(-1, 1, (8, 5)).astype(np.float32)
    (d,) = check_csim(s, A, B)
    np.testing.assert_allclose(d, np.maximum(A @ B, 0), rtol=1e-5, atol=1e-6)


def mm_unsigned(A: uint8[4, 6], B: uint8[6, 3]) -> UInt(20)[4, 3]:
    C: UInt(20)[4, 3] = allo.matmul(A, B)
    return C


def test_unsigned_matmul():
    A = RNG.integers(0, 256, (4, 6)).astype(np.uint8)
    B = RNG.integers(0, 256, (6, 3)).astype(np.uint8)
    (c,) = check_csim(allo.customize(mm_unsigned), A, B)
    np.testing.assert_array_equal(c, (A.astype(np.int64) @ B.astype(np.int64)) % 256)


def mm_fixed(A: Fixed(10, 4)[3, 4], B: Fixed(10, 6)[4, 2]) -> Fixed(24, 10)[3, 2]:
    C: Fixed(24, 10)[3, 2] = allo.matmul(A, B)
    return C


def test_fixed_matmul():
    check_csim(allo.customize(mm_fixed), RNG.uniform(-30, 30, (3, 4)),
               RNG.uniform(-7, 7, (4, 2)))


def conv_pool(X: int8[1, 2, 8, 8], W: int8[3, 2, 3, 3]) -> int32[1, 3, 5, 5]:
    Y: int32[1, 3, 6, 6] = allo.conv2d(X, W)
    win: int32[2, 2]
    Z: int32[1, 3, 5, 5] = allo.maxpool(Y, win)
    return Z


def test_conv_and_maxpool():
    X = RNG.integers(-128, 128, (1, 2, 8, 8)).astype(np.int8)
    W = RNG.integers(-128, 128, (3, 2, 3, 3)).astype(np.int8)
    check_csim(allo.customize(conv_pool), X, W)


def softmax_t(X: float32[4, 6]) -> float32[6, 4]:
    S: float32[4, 6] = allo.softmax(X)
    T: float32[6, 4] = allo.transpose(S)
    return T


def test_softmax_transpose():
    (t,) = check_csim(allo.customize(softmax_t), RNG.uniform(-3, 3, (4, 6)).astype(np.float32))
    assert t.shape == (6, 4)


def elementwise(A: int32[4, 4], B: int32[4]) -> int32[4, 4]:
    C: int32[4, 4] = A + B
    D: int32[4, 4] = C * A - B
    return D


def test_broadcast_elementwise():
    A = RNG.integers(-1000, 1000, (4, 4)).astype(np.int32)
    B = RNG.integers(-1000, 1000, 4).astype(np.int32)
    mod = allo.customize(elementwise).build("vhls", mode="csim")
    d = np.zeros((4, 4), np.int32)
    mod(A, B, d)
    np.testing.assert_array_equal(d, ((A + B) * A - B).astype(np.int32))


def floor_semantics(A: int32[4]) -> int32[10]:
    B: int32[10] = 0
    for i in range(10):
        B[i] = A[(i - 3) % 4] * 100 + (i - 5) // 2 + (i + 4) // 3
    return B


def test_affine_floordiv_and_mod_of_negative_values():
    """Affine floordiv/mod round toward minus infinity; C++ / and % truncate. Plain / and %
    are printed only for dividends that cannot be negative (loop variables from 0)."""
    s = allo.customize(floor_semantics)
    code = s.build("vhls").hls_code
    assert "((((i - 3) % 4) + 4) % 4)" in code  # (i - 3) mod 4 with i < 3 is negative
    assert "(((i - 5) < 0) ? (((i - 5) - 1) / 2) : ((i - 5) / 2))" in code
    assert "((i + 4) / 3)" in code  # never negative: the short form
    A = np.array([1, 2, 3, 4], np.int32)
    (b,) = check_csim(s, A)
    i = np.arange(10)
    np.testing.assert_array_equal(b, A[(i - 3) % 4] * 100 + (i - 5) // 2 + (i + 4) // 3)
