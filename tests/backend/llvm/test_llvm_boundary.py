"""The numpy boundary of CPU modules (backends.md §2.2, rules N1–N8) on real kernels."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import allo
from allo.ir.types import (Fixed, Int, UFixed, UInt, bfloat16, bool as abool, float16, float32,
                           index, int4, int8, int32, int64, int128, uint8)
from allo.utils import get_np_struct_type


def build(fn):
    return allo.customize(fn).build()


# --------------------------------------------------------------------------- results


def test_scalar_in_scalar_out():
    def plus1(x: int32) -> int32:
        return x + 1

    mod = build(plus1)
    assert mod(1) == 2 and isinstance(mod(1), int)
    assert mod(np.int32(5)) == 6 and mod(np.array(7)) == 8 and mod(np.array([9])) == 10


def test_spec_example_shift_add():
    def shift_add(P: Int(12)[4, 6], k: int32) -> (Int(12)[4, 6], int32):
        Q: Int(12)[4, 6]
        total: int32 = 0
        for r, c in allo.grid(4, 6):
            Q[r, c] = P[r, c] + k
            total += Q[r, c]
        return Q, total

    q, t = build(shift_add)(np.full((4, 6), 2047, np.int16), 1)
    assert q.dtype == np.int16 and (q == -2048).all() and t == -49152


def test_no_result_is_none_and_in_place_writes_are_visible():
    def fill(A: int32[4], v: int32):
        for i in range(4):
            A[i] = v + i

    A = np.zeros(4, np.int32)
    assert build(fill)(A, 10) is None
    assert A.tolist() == [10, 11, 12, 13]


def test_in_place_float16():
    def half(A: float16[3]):
        for i in range(3):
            A[i] = A[i] * 2.0

    A = np.array([1.5, -2.25, 3.0], np.float16)
    build(half)(A)
    assert A.tolist() == [3.0, -4.5, 6.0]


def test_float16_scalar_result_is_numpy_float16():
    def first(A: float16[2]) -> float16:
        return A[0]

    out = build(first)(np.array([1.5, 2.0], np.float16))
    assert isinstance(out, np.float16) and out == np.float16(1.5)


def test_returned_argument_is_a_fresh_copy():
    def same(A: int32[3]) -> int32[3]:
        return A

    A = np.arange(3, dtype=np.int32)
    out = build(same)(A)
    assert out.tolist() == [0, 1, 2] and not np.shares_memory(out, A) and out.flags.owndata


def test_one_array_for_two_parameters_aliases():
    def shift(A: int32[6], B: int32[6]):
        for i in range(5):
            B[i + 1] = A[i]

    A = np.arange(6, dtype=np.int32)
    build(shift)(A, A)  # B[1] = A[0] (=0), B[2] = A[1] (now 0), ...
    assert A.tolist() == [0] * 6


def test_mixed_results_list():
    def two(A: int32[2]) -> (int32[2], float32):
        B: int32[2] = 0
        for i in range(2):
            B[i] = A[i] * 2
        return B, 0.5

    b, x = build(two)(np.array([3, 4], np.int32))
    assert b.tolist() == [6, 8] and x == 0.5 and isinstance(x, float)


# --------------------------------------------------------------------------- conversions


def test_other_dtype_warns_converts_and_writes_back():
    def inc(A: int32[3]):
        for i in range(3):
            A[i] = A[i] + 1

    A = np.array([1.0, 2.0, 3.0])
    with pytest.warns(allo.DTypeWarning, match="argument 'A': converting float64 to int32"):
        build(inc)(A)
    assert A.tolist() == [2.0, 3.0, 4.0]


def test_read_only_input_is_not_written_back():
    def total(A: int32[3]) -> int32:
        s: int32 = 0
        for i in range(3):
            s += A[i]
        return s

    A = np.array([1.9, 2.0, 3.0])
    with pytest.warns(allo.DTypeWarning):
        assert build(total)(A) == 6
    assert A.tolist() == [1.9, 2.0, 3.0]


def test_narrow_ints_wrap_without_warning():
    def ident(A: int4[4]) -> int4[4]:
        B: int4[4] = 0
        for i in range(4):
            B[i] = A[i]
        return B

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = build(ident)(np.array([7, 8, -9, 15], np.int8))
    assert out.dtype == np.int8 and out.tolist() == [7, -8, 7, -1]


def test_unsigned_odd_width_zero_extends():
    def neg(A: UInt(5)[2]) -> UInt(5)[2]:
        B: UInt(5)[2] = 0
        for i in range(2):
            B[i] = A[i] - 1
        return B

    out = build(neg)(np.array([0, 3], np.uint8))
    assert out.dtype == np.uint8 and out.tolist() == [31, 2]


def test_scalar_wraps_and_float_rejected():
    def ident(x: int8) -> int8:
        return x

    mod = build(ident)
    assert mod(300) == 44
    with pytest.raises(allo.ArgumentError, match="would truncate"):
        mod(1.5)


def test_fixed_point_boundary():
    def scale(A: Fixed(8, 3)[4], s: Fixed(8, 3)) -> Fixed(8, 3)[4]:
        B: Fixed(8, 3)[4] = 0.0
        for i in range(4):
            B[i] = A[i] + s
        return B

    out = build(scale)(np.array([1.3, -1.3, 15.9, 0.0]), 0.5)
    # raw = trunc(x*8): 10, -10, 127 (15.875), 0; + 4 raw, wrapped to 8 bits
    assert out.dtype == np.float64
    assert out.tolist() == [1.75, -0.75, -15.625, 0.5]


def test_ufixed_scalar_result():
    def half(x: UFixed(8, 4)) -> UFixed(8, 4):
        return x

    assert build(half)(3.3) == 3.25


def test_bool_arrays():
    def invert(A: abool[3]) -> abool[3]:
        B: abool[3] = 0
        for i in range(3):
            B[i] = not A[i]
        return B

    out = build(invert)(np.array([True, False, True]))
    assert out.dtype == np.bool_ and out.tolist() == [False, True, False]


def test_bfloat16():
    import ml_dtypes

    def dbl(A: bfloat16[2]) -> bfloat16[2]:
        B: bfloat16[2] = 0.0
        for i in range(2):
            B[i] = A[i] + A[i]
        return B

    out = build(dbl)(np.array([1.5, -3.0], ml_dtypes.bfloat16))
    assert out.dtype == ml_dtypes.bfloat16 and out.astype(np.float32).tolist() == [3.0, -6.0]


def test_wide_integers_via_struct_arrays():
    def add1(A: int128[2]) -> int128[2]:
        B: int128[2] = 0
        for i in range(2):
            B[i] = A[i] + 1
        return B

    dtype = get_np_struct_type(128)
    values = [(1 << 100) - 1, -5]
    raw = b"".join((v & ((1 << 128) - 1)).to_bytes(16, "little") for v in values)
    out = build(add1)(np.frombuffer(raw, dtype).copy())
    assert out.dtype == dtype
    got = [int.from_bytes(bytes(r), "little", signed=True) for r in out.view(np.uint8).reshape(2, 16)]
    assert got == [1 << 100, -4]
    with pytest.raises(allo.ArgumentError, match="itemsize"):
        build(add1)(np.zeros(2, get_np_struct_type(64)))


def test_index_scalar():
    def twice(n: index) -> index:
        return n + n

    assert build(twice)(21) == 42


# --------------------------------------------------------------------------- errors


def test_argument_errors_name_the_parameter():
    def k(A: int32[2, 3], n: int32) -> int32:
        return A[0, 0] + n

    mod = build(k)
    with pytest.raises(allo.ArgumentError, match=r"k expects 2 arguments \(A, n\), got 1"):
        mod(np.zeros((2, 3), np.int32))
    with pytest.raises(allo.ArgumentError, match="np.asarray"):
        mod([[1, 2, 3], [4, 5, 6]], 1)
    with pytest.raises(allo.ArgumentError, match="np.ascontiguousarray"):
        mod(np.zeros((3, 2), np.int32).T, 1)
    with pytest.raises(allo.ArgumentError, match=r"'A' \(position 0\).*shape \(3, 2\)"):
        mod(np.zeros((3, 2), np.int32), 1)
    with pytest.raises(allo.ArgumentError, match="'n'"):
        mod(np.zeros((2, 3), np.int32), "x")
    with pytest.raises(allo.ArgumentError, match="expects a scalar"):
        mod(np.zeros((2, 3), np.int32), np.zeros(2))
    assert issubclass(allo.ArgumentError, TypeError) and issubclass(allo.ArgumentError, ValueError)


def test_read_only_array_for_written_parameter_is_rejected():
    def zero(A: int32[2]):
        for i in range(2):
            A[i] = 0

    A = np.ones(2, np.int32)
    A.flags.writeable = False
    with pytest.raises(allo.ArgumentError, match="read-only"):
        build(zero)(A)


def test_in_out_types():
    def k(A: uint8[4], x: Fixed(16, 8)) -> int32:
        return A[0]

    mod = build(k)
    assert mod.in_types == [("ui8", (4,)), ("fixed(16, 8)", ())]
    assert mod.out_types == [("i32", ())]


def test_build_does_not_change_the_schedule_and_is_cached():
    def k(A: int32[8]) -> int32[8]:
        B: int32[8] = 0
        for i in range(8):
            B[i] = A[i] * 3
        return B

    s = allo.customize(k)
    before = str(s.module)
    m1 = s.build()
    m2 = s.build()
    assert str(s.module) == before
    assert m1._fast.entry is m2._fast.entry  # same compiled engine reused
    assert m1(np.arange(8, dtype=np.int32)).tolist() == [3 * i for i in range(8)]


def test_lossy_float_to_int_conversion_warns_at_the_call_line():
    def shift(A: int32[4], b: int32) -> int32[4]:
        B: int32[4] = 0
        for i in range(4):
            B[i] = A[i] + b
        return B

    mod = build(shift)
    A = np.array([0.9, 2.0, -2.7, 3.5])
    with pytest.warns(allo.DTypeWarning) as rec:
        line = sys._getframe().f_lineno + 1
        out = mod(A, 1)
    assert out.tolist() == [1, 3, -1, 4]  # truncation toward zero, as C does
    assert len(rec) == 1 and (rec[0].filename, rec[0].lineno) == (__file__, line)
    message = str(rec[0].message)
    assert message == ("argument 'A': converting float64 to int32; 3 of 4 values lose their "
                       "fractional part (e.g. 0.9 becomes 0)")
    with pytest.warns(allo.DTypeWarning) as rec:
        mod(np.array([1.0, np.nan, 2.0, np.inf]), 0)
    assert "2 NaN or infinite values have no i32 value" in str(rec[0].message)
    with pytest.warns(allo.DTypeWarning) as rec:
        mod(np.array([1.0, 2.0, 3.0, 4.0]), 0)  # whole values: a plain conversion notice
    assert str(rec[0].message) == "argument 'A': converting float64 to int32"


# --------------------------------------------------------------------------- checklist (§12)


def test_dynamic_length_parameters_take_any_extent():
    def add_one(A: float32[...], B: float32[...], size: int32):
        for i in range(size):
            B[i] = A[i] + 1.0

    mod = build(add_one)
    for n in (10, 37):
        A = np.linspace(-2.0, 3.0, n, dtype=np.float32)
        B = np.zeros(n, np.float32)
        mod(A, B, n)
        np.testing.assert_array_equal(B, A + np.float32(1.0))


@pytest.mark.parametrize("bits", range(3, 18))
def test_odd_width_gemm_fed_int32_containers(bits):
    """Reference-style programs pass int32 arrays to Int(n)/UInt(n) parameters: each is
    converted (with a DTypeWarning) and the product is exact in the wide result type."""
    def gemm(A: Int(bits)[3, 4], B: UInt(bits)[4, 2]) -> int64[3, 2]:
        C: int64[3, 2] = 0
        for i, j, k in allo.grid(3, 4, 2):
            C[i, k] += A[i, j] * B[j, k]
        return C

    rng = np.random.default_rng(bits)
    A = rng.integers(-(1 << (bits - 1)), 1 << (bits - 1), (3, 4)).astype(np.int32)
    B = rng.integers(0, 1 << bits, (4, 2)).astype(np.int32)
    s = allo.customize(gemm, global_vars={"bits": bits})
    with pytest.warns(allo.DTypeWarning, match="converting int32 to"):
        C = s.build()(A, B)
    np.testing.assert_array_equal(C, A.astype(np.int64) @ B.astype(np.int64))


@pytest.mark.parametrize("bits", [256, 512])
def test_very_wide_integers_via_struct_arrays(bits):
    def add_pair(A: UInt(bits)[3], B: UInt(bits)[3]) -> UInt(bits)[3]:
        C: UInt(bits)[3] = 0
        for i in range(3):
            C[i] = A[i] + B[i]
        return C

    nbytes = bits // 8
    mask = (1 << bits) - 1
    a = [mask, (1 << (bits - 1)) + 12345, 7]
    b = [1, (1 << (bits - 1)) + 1, (1 << (bits - 3)) - 1]

    def pack(values):
        raw = b"".join(v.to_bytes(nbytes, "little") for v in values)
        return np.frombuffer(raw, np.uint8).copy().view(get_np_struct_type(bits))

    with warnings.catch_warnings():  # the 513-bit intermediate sum of the 512-bit case
        warnings.simplefilter("ignore", allo.DTypeWarning)
        s = allo.customize(add_pair, global_vars={"bits": bits})
    out = s.build()(pack(a), pack(b))
    assert out.dtype == get_np_struct_type(bits) and out.shape == (3,)
    got = [int.from_bytes(bytes(r), "little") for r in out.view(np.uint8).reshape(3, nbytes)]
    assert got == [(x + y) & mask for x, y in zip(a, b)]
