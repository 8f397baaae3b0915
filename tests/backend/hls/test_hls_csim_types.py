"""C simulation equals the CPU build bit for bit, for every type family (backends.md §5, B5)."""

import numpy as np
import pytest

import allo
from allo.ir.types import (Fixed, Int, UFixed, UInt, bool as abool, float16, float32, float64, index,
                           int8, int16, int32, int64, uint8, uint16, uint32, uint64)

from helpers import check_csim

pytestmark = pytest.mark.csim
RNG = np.random.default_rng(1234)


def _ints(dtype, n, lo=None, hi=None):
    info = np.iinfo(dtype)
    lo = info.min if lo is None else lo
    hi = info.max if hi is None else hi
    return RNG.integers(lo, hi, n, endpoint=True, dtype=dtype)


def _mixed_int_kernel(T, N=16):
    """All integer operators of T (language.md §4.2), wrapped back into T."""

    def kernel(A: T[N], B: T[N], C: T[N]) -> T[N]:
        R: T[N]
        for i in range(N):
            a: T = A[i]
            b: T = B[i]
            acc: T = a + b
            acc = acc - a * b
            if b != 0:
                acc = acc + a / b + a % b + a // b
            acc = acc ^ (a & b) | (a >> 3)
            acc = acc + (a << 2)
            C[i] = max(a, b) - min(a, b)
            if a < b:
                acc = acc + 1
            R[i] = acc
        return R

    return kernel


@pytest.mark.parametrize("T,dtype", [(int8, np.int8), (int16, np.int16), (int32, np.int32),
                                     (int64, np.int64), (uint8, np.uint8), (uint16, np.uint16),
                                     (uint32, np.uint32), (uint64, np.uint64)])
def test_native_integers(T, dtype):
    s = allo.customize(_mixed_int_kernel(T))
    A, B = _ints(dtype, 16), _ints(dtype, 16)
    B[0] = 0
    C = np.zeros(16, dtype)
    check_csim(s, A, B, C)


@pytest.mark.parametrize("T,dtype,lo,hi", [(Int(5), np.int8, -16, 15), (UInt(17), np.uint32, 0, (1 << 17) - 1),
                                           (Int(33), np.int64, -(1 << 32), (1 << 32) - 1),
                                           (UInt(3), np.uint8, 0, 7), (Int(12), np.int16, -2048, 2047)])
def test_odd_width_integers(T, dtype, lo, hi):
    s = allo.customize(_mixed_int_kernel(T))
    A, B = _ints(dtype, 16, lo, hi), _ints(dtype, 16, lo, hi)
    B[0] = 0
    check_csim(s, A, B, np.zeros(16, dtype))


def test_wide_integer_products_wrap():
    def wide(A: int32[8], B: int32[8]) -> int64[8]:
        R: int64[8]
        for i in range(8):
            R[i] = A[i] * B[i] * A[i]
        return R

    A, B = _ints(np.int32, 8), _ints(np.int32, 8)
    check_csim(allo.customize(wide), A, B)


def test_shifts_by_width_or_more():
    def shifts(A: int16[8], K: int16[8]) -> int16[8]:
        R: int16[8]
        for i in range(8):
            R[i] = (A[i] << K[i]) + (A[i] >> K[i])
        return R

    A = _ints(np.int16, 8)
    K = np.array([0, 1, 15, 16, 17, 31, 40, 3], np.int16)
    check_csim(allo.customize(shifts), A, K)


def test_unsigned_shift_and_compare():
    def ushift(A: uint8[8], K: uint8[8]) -> uint8[8]:
        R: uint8[8]
        for i in range(8):
            v: uint8 = A[i] >> K[i]
            if A[i] > K[i]:
                v = v + 1
            R[i] = v
        return R

    check_csim(allo.customize(ushift), _ints(np.uint8, 8), np.array([0, 1, 7, 8, 9, 200, 3, 2], np.uint8))


def test_floor_division_and_c_remainder_on_negatives():
    def divs(A: int32[8], B: int32[8]) -> (int32[8], int32[8], int32[8]):
        Q: int32[8]
        F: int32[8]
        M: int32[8]
        for i in range(8):
            Q[i] = A[i] / B[i]
            F[i] = A[i] // B[i]
            M[i] = A[i] % B[i]
        return Q, F, M

    A = np.array([-7, 7, -7, 7, -1, 0, 9, -9], np.int32)
    B = np.array([3, -3, -3, 3, 2, -5, 4, 4], np.int32)
    q, f, m = check_csim(allo.customize(divs), A, B)
    np.testing.assert_array_equal(f, A // B)
    np.testing.assert_array_equal(m, np.fmod(A, B))
    np.testing.assert_array_equal(q, np.trunc(A / B).astype(np.int32))


def test_bool_arrays():
    def logic(A: abool[8], B: abool[8]) -> abool[8]:
        R: abool[8]
        for i in range(8):
            R[i] = (A[i] and not B[i]) or (B[i] and not A[i])
        return R

    A = RNG.integers(0, 2, 8).astype(np.bool_)
    B = RNG.integers(0, 2, 8).astype(np.bool_)
    (r,) = check_csim(allo.customize(logic), A, B)
    np.testing.assert_array_equal(r, A ^ B)


@pytest.mark.parametrize("TA,TB,TR", [
    (Fixed(12, 5), UFixed(10, 3), Fixed(16, 6)),
    (Fixed(8, 3), Fixed(8, 3), Fixed(8, 3)),
    (UFixed(16, 8), UFixed(12, 4), UFixed(14, 7)),
])
def test_fixed_point_arithmetic(TA, TB, TR):
    def fx(A: TA[12], B: TB[12]) -> TR[12]:
        R: TR[12]
        for i in range(12):
            R[i] = A[i] * B[i] + A[i] / B[i] - B[i]
        return R

    lo = -40.0 if isinstance(TA, Fixed) else 0.0
    A = RNG.uniform(lo, 40.0, 12)
    B = RNG.uniform(0.5, 30.0, 12)
    check_csim(allo.customize(fx), A, B)


def test_fixed_rounding_and_wrap_conversions():
    def conv(X: float32[10], Y: Fixed(10, 4)[10]) -> (Fixed(6, 2)[10], int32[10], float32[10]):
        A: Fixed(6, 2)[10]
        B: int32[10]
        C: float32[10]
        for i in range(10):
            q: Fixed(6, 2) = X[i]
            A[i] = q
            B[i] = int(Y[i])
            C[i] = float(Y[i])
        return A, B, C

    X = np.array([-9.3, -1.1, -0.2, 0.2, 1.99, 7.9, 8.1, 20.6, -20.6, 3.5], np.float32)
    Y = np.array([-31.9, -1.5, -0.0625, 0.0625, 1.5, 31.9, 12.25, -12.25, 5.0, -5.0])
    a, b, c = check_csim(allo.customize(conv), X, Y)
    np.testing.assert_array_equal(b, np.trunc(np.floor(Y * 16) / 16).astype(np.int32))


@pytest.mark.parametrize("T,dtype", [(float16, np.float16), (float32, np.float32),
                                     (float64, np.float64)])
def test_floats_and_math(T, dtype):
    def fl(A: T[16], B: T[16]) -> T[16]:
        R: T[16]
        for i in range(16):
            a: T = A[i]
            b: T = B[i]
            R[i] = allo.exp(a) * b - allo.sqrt(b) / (a + 1.5) + allo.tanh(a) + max(a, b) \
                + allo.log(b) + a % b + allo.power(b, a)
        return R

    A = RNG.uniform(-2, 2, 16).astype(dtype)
    B = RNG.uniform(0.25, 3, 16).astype(dtype)
    check_csim(allo.customize(fl), A, B)


def test_float_constants_are_exact():
    def consts(A: float32[4], B: float64[4]) -> (float32[4], float64[4]):
        R: float32[4]
        S: float64[4]
        for i in range(4):
            R[i] = A[i] * 0.1 + 1e-7
            S[i] = B[i] * 0.1 + 3.141592653589793
        return R, S

    check_csim(allo.customize(consts), RNG.uniform(-5, 5, 4).astype(np.float32),
               RNG.uniform(-5, 5, 4))


def test_int_float_conversions():
    def conv(A: float32[8], B: Int(20)[8]) -> (Int(7)[8], float32[8], uint8[8]):
        X: Int(7)[8]
        Y: float32[8]
        Z: uint8[8]
        for i in range(8):
            X[i] = A[i]
            Y[i] = B[i]
            Z[i] = A[i]
        return X, Y, Z

    A = np.array([-300.7, -1.5, -0.5, 0.5, 63.9, 64.2, 200.9, 1000.1], np.float32)
    B = _ints(np.int32, 8, -(1 << 19), (1 << 19) - 1)
    check_csim(allo.customize(conv), A, B)


def test_scalar_arguments_and_scalar_result():
    def dot(A: int32[8], k: int32) -> int64:
        acc: int64 = 0
        for i in range(8):
            acc += A[i] * k
        return acc

    A = _ints(np.int32, 8, -1000, 1000)
    (r,) = check_csim(allo.customize(dot), A, 7)
    assert int(r) == int(A.astype(np.int64).sum() * 7)


def test_wide_integers_above_64_bits():
    def wide(A: Int(100)[4], B: Int(100)[4]) -> Int(100)[4]:
        R: Int(100)[4]
        for i in range(4):
            R[i] = A[i] * B[i] + A[i]
        return R

    from allo.utils import get_np_struct_type

    raw = RNG.integers(0, 256, (4, 16), dtype=np.uint8)
    A = raw.view(get_np_struct_type(128)).reshape(4)
    raw2 = RNG.integers(0, 256, (4, 16), dtype=np.uint8)
    raw2[:, 12:] = 0
    B = raw2.view(get_np_struct_type(128)).reshape(4)
    check_csim(allo.customize(wide), A, B)


def _all_pairs(bits, signed):
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    vals = np.arange(lo, hi + 1)
    a, b = np.meshgrid(vals, vals)
    return a.reshape(-1), b.reshape(-1)


def every_op_5(A: Int(5)[1024], B: Int(5)[1024], U: UInt(5)[1024], V: UInt(5)[1024]) \
        -> (Int(5)[1024], UInt(5)[1024], Int(5)[1024], UInt(5)[1024]):
    R: Int(5)[1024]
    S: UInt(5)[1024]
    T: Int(5)[1024]
    W: UInt(5)[1024]
    for i in range(1024):
        a: Int(5) = A[i]
        b: Int(5) = B[i]
        u: UInt(5) = U[i]
        v: UInt(5) = V[i]
        r: Int(5) = a * b - (a >> (b & 7)) + (a << (b & 7))
        s: UInt(5) = u * v + (u >> (v & 7)) - (u ^ v)
        t: Int(5) = 0
        w: UInt(5) = 0
        if b != 0:
            t = a / b + a % b - a // b
        if v != 0:
            w = u / v + u % v
        if a < u:
            r = r + 1
        if max(a, b) == min(u, v):
            s = s + 3
        R[i] = r
        S[i] = s
        T[i] = t
        W[i] = w
    return R, S, T, W


def test_every_five_bit_operand_pair():
    a, b = _all_pairs(5, True)
    u, v = _all_pairs(5, False)
    check_csim(allo.customize(every_op_5), a.astype(np.int8), b.astype(np.int8),
               u.astype(np.uint8), v.astype(np.uint8))


def every_fixed(X: Fixed(8, 4)[256], Y: UFixed(8, 4)[256]) \
        -> (Fixed(6, 2)[256], UFixed(5, 3)[256], int8[256], float32[256], Fixed(12, 6)[256]):
    A: Fixed(6, 2)[256]
    B: UFixed(5, 3)[256]
    C: int8[256]
    D: float32[256]
    E: Fixed(12, 6)[256]
    for i in range(256):
        A[i] = X[i]
        B[i] = Y[i]
        C[i] = int(X[i])
        D[i] = float(Y[i])
        E[i] = X[i] * Y[i] - X[i]
    return A, B, C, D, E


def test_every_fixed_point_value_converts():
    raw = np.arange(-128, 128)
    X = raw / 16.0
    Y = (raw & 0xFF) / 16.0
    check_csim(allo.customize(every_fixed), X, Y)


def specials(A: float32[8], B: float32[8]) -> (float32[8], float32[8], abool[8], abool[8]):
    M: float32[8]
    N: float32[8]
    E: abool[8]
    F: abool[8]
    for i in range(8):
        M[i] = max(A[i], B[i])
        N[i] = min(A[i], B[i]) * 2.0 + A[i] / B[i]
        E[i] = A[i] != B[i]
        F[i] = A[i] >= B[i]
    return M, N, E, F


def test_signed_zeros_infinities_and_nan_comparisons():
    inf = np.inf
    A = np.array([-0.0, 0.0, -0.0, inf, -inf, 1.0, np.nan, 3.0], np.float32)
    B = np.array([0.0, -0.0, -0.0, 1.0, -1.0, inf, 1.0, np.nan], np.float32)
    check_csim(allo.customize(specials), A, B)


def runtime_loops(A: int32[16], n: index, m: int32) -> (int32, float16, abool):
    acc: int32 = 0
    for i in range(n):
        acc += A[i]
    j: index = 0
    while j < 4:
        acc = acc * 3 + m
        j += 1
    h: float16 = acc
    return acc, h, acc > 0


def test_runtime_bounds_while_loops_and_scalar_results():
    A = _ints(np.int32, 16, -50, 50)
    acc, h, pos = check_csim(allo.customize(runtime_loops), A, 9, -7)
    expected = int(A[:9].sum())
    for _ in range(4):
        expected = expected * 3 - 7
    assert int(acc) == expected and bool(pos) == (expected > 0)


def wide_fixed_to_float(X: Fixed(40, 10)[6]) -> (float32[6], float16[6], float64[6]):
    A: float32[6]
    B: float16[6]
    C: float64[6]
    for i in range(6):
        A[i] = X[i]
        B[i] = X[i]
        C[i] = X[i]
    return A, B, C


def test_wide_fixed_point_to_float_rounds_once():
    X = np.array([123456789.123, -98765432.75, 0.0009765625, 65504.5, 3.0000001, -1.0])
    check_csim(allo.customize(wide_fixed_to_float), X)
