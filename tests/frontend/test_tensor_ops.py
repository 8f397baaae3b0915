"""Whole-array builtins (language.md §6.2): IR shape and CPU results against numpy.

Integers are compared bit for bit (with the wrap-around of the result type), floats to tight
tolerances. Error cases and ``lower_linalg`` live in ``test_tensor_ops_errors.py`` and
``test_tensor_ops_lowering.py``.
"""

import numpy as np
import pytest

import allo
from allo.ir.types import (Fixed, Int, UInt, float32, float64, int8, int16, int32, numpy_dtype,
                           uint8)

RNG = np.random.default_rng(7)


def build(fn, **kw):
    s = allo.customize(fn, **kw)
    return s, s.build()


def wrap(values, bits, signed=True):
    """Exact integers wrapped to ``bits`` (two's complement when signed), as int64."""
    v = np.asarray(values, dtype=object)
    mask = (1 << bits) - 1
    out = np.vectorize(lambda x: (int(x) & mask) - ((1 << bits) if signed and (int(x) & mask) >> (bits - 1) else 0),
                       otypes=[object])(v)
    return out.astype(np.int64)


def ints(lo, hi, shape, dtype):
    return RNG.integers(lo, hi, shape).astype(dtype)


def floats(shape, lo=-2.0, hi=2.0, dtype=np.float32):
    return RNG.uniform(lo, hi, shape).astype(dtype)


# ----------------------------------------------------------------------------- matmul family


def test_matmul_float_is_linalg_matmul():
    def mm(A: float32[6, 5], B: float32[5, 7]) -> float32[6, 7]:
        C = allo.matmul(A, B)
        return C

    s, mod = build(mm)
    text = str(s.module)
    assert 'linalg.matmul {op_name = "matmul_0"}' in text
    assert 'name = "C"' in text and "linalg.fill" in text
    a, b = floats((6, 5)), floats((5, 7))
    np.testing.assert_allclose(mod(a, b), a @ b, rtol=1e-5, atol=1e-6)


def test_matmul_int8_int16_accumulates_in_int16_and_wraps():
    def mm(A: int8[4, 9], B: int16[9, 3]) -> int16[4, 3]:
        return allo.matmul(A, B)

    s, mod = build(mm)
    assert "linalg.matmul" in str(s.module) and "cast_unsigned" not in str(s.module)
    a, b = ints(-128, 128, (4, 9), np.int8), ints(-30000, 30000, (9, 3), np.int16)
    ref = wrap(a.astype(object) @ b.astype(object), 16)
    np.testing.assert_array_equal(mod(a, b), ref)


def test_matmul_unsigned_uses_cast_unsigned():
    def mm(A: uint8[3, 4], B: uint8[4, 5]) -> uint8[3, 5]:
        return allo.matmul(A, B)

    s, mod = build(mm)
    assert "cast_unsigned" in str(s.module)
    a, b = ints(0, 256, (3, 4), np.uint8), ints(0, 256, (4, 5), np.uint8)
    ref = wrap(a.astype(object) @ b.astype(object), 8, signed=False)
    np.testing.assert_array_equal(mod(a, b), ref)


def test_matmul_mixed_signedness_is_a_loop_nest_in_rcmp_type():
    # int8 x uint8: R-CMP is Int(9); no single linalg cast extends both operands exactly
    def mm(A: int8[3, 6], B: uint8[6, 2]) -> Int(9)[3, 2]:
        return allo.matmul(A, B)

    s, mod = build(mm)
    text = str(s.module)
    assert "linalg.matmul" not in text
    assert 'op_name = "matmul_0"' in text and "memref<3x2xi9>" in text
    a, b = ints(-128, 128, (3, 6), np.int8), ints(0, 256, (6, 2), np.uint8)
    ref = wrap(a.astype(object) @ b.astype(object), 9)
    np.testing.assert_array_equal(mod(a, b), ref)


def test_matmul_fixed_point_floors_each_step():
    # Fixed(8, 3) x Fixed(8, 3) -> Fixed(8, 3): every ``acc += a * b`` floors to 3 fraction bits
    def mm(A: Fixed(8, 3)[2, 4], B: Fixed(8, 3)[4, 3]) -> Fixed(8, 3)[2, 3]:
        return allo.matmul(A, B)

    s, mod = build(mm)
    assert "linalg.matmul" not in str(s.module)
    ra, rb = ints(-40, 40, (2, 4), np.int64), ints(-40, 40, (4, 3), np.int64)
    ref = np.zeros((2, 3), dtype=np.int64)
    for i in range(2):
        for j in range(3):
            acc = 0
            for k in range(4):
                acc = int(wrap([acc + ((int(ra[i, k]) * int(rb[k, j])) >> 3)], 8)[0])
            ref[i, j] = acc
    out = mod(ra / 8.0, rb / 8.0)
    np.testing.assert_array_equal(out, ref / 8.0)


def test_matmul_mixed_float_types_take_the_wider():
    def mm(A: float32[3, 4], B: float64[4, 2]) -> float64[3, 2]:
        return allo.matmul(A, B)

    s, mod = build(mm)
    assert "linalg.matmul" in str(s.module)  # extf of A is a signed cast
    a, b = floats((3, 4)), floats((4, 2), dtype=np.float64)
    np.testing.assert_allclose(mod(a, b), a.astype(np.float64) @ b, rtol=1e-12)


def test_matmul_batched_3d_is_batch_matmul_and_5d_is_loops():
    def mm3(A: float32[2, 3, 4], B: float32[2, 4, 5]) -> float32[2, 3, 5]:
        return allo.matmul(A, B)

    def mm5(A: int32[2, 2, 3, 4, 5], B: int32[2, 2, 3, 5, 2]) -> int32[2, 2, 3, 4, 2]:
        return allo.matmul(A, B)

    s3, mod3 = build(mm3)
    assert 'linalg.batch_matmul {op_name = "matmul_0"}' in str(s3.module)
    a, b = floats((2, 3, 4)), floats((2, 4, 5))
    np.testing.assert_allclose(mod3(a, b), np.matmul(a, b), rtol=1e-5, atol=1e-6)
    s5, mod5 = build(mm5)
    assert "linalg" not in str(s5.module).replace("linalg.fill", "")
    a5, b5 = ints(-1000, 1000, (2, 2, 3, 4, 5), np.int32), ints(-1000, 1000, (2, 2, 3, 5, 2), np.int32)
    np.testing.assert_array_equal(mod5(a5, b5), np.matmul(a5.astype(np.int64), b5).astype(np.int32))


def test_nested_matmul_and_views_as_operands():
    def mm(A: int32[4, 4], B: int32[4, 4], X: int32[2, 4, 4]) -> int32[4, 4]:
        C = allo.matmul(allo.matmul(A, B), X[1])
        return C

    _, mod = build(mm)
    a, b, x = (ints(-50, 50, sh, np.int32) for sh in ((4, 4), (4, 4), (2, 4, 4)))
    np.testing.assert_array_equal(mod(a, b, x), a @ b @ x[1])


def test_bmm():
    def k(A: int16[3, 2, 5], B: int16[3, 5, 4]) -> int16[3, 2, 4]:
        return allo.bmm(A, B)

    s, mod = build(k)
    assert 'op_name = "bmm_0"' in str(s.module)
    a, b = ints(-300, 300, (3, 2, 5), np.int16), ints(-300, 300, (3, 5, 4), np.int16)
    np.testing.assert_array_equal(mod(a, b), wrap(np.matmul(a.astype(object), b.astype(object)), 16))


def test_linear_with_and_without_bias_and_3d_input():
    def lin(X: float32[4, 6], W: float32[5, 6], b: float32[5]) -> float32[4, 5]:
        return allo.linear(X, W, bias=b)

    def lin_nobias(X: float32[4, 6], W: float32[5, 6]) -> float32[4, 5]:
        return allo.linear(X, W)

    def lin3(X: float32[2, 3, 6], W: float32[5, 6], b: float32[5]) -> float32[2, 3, 5]:
        return allo.linear(X, W, b)

    x, w, bias = floats((4, 6)), floats((5, 6)), floats((5,))
    np.testing.assert_allclose(build(lin)[1](x, w, bias), x @ w.T + bias, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(build(lin_nobias)[1](x, w), x @ w.T, rtol=1e-5, atol=1e-6)
    x3 = floats((2, 3, 6))
    np.testing.assert_allclose(build(lin3)[1](x3, w, bias), x3 @ w.T + bias, rtol=1e-5, atol=1e-6)


def test_linear_int8_wraps_in_input_type():
    def lin(X: int8[3, 8], W: int8[4, 8], b: int8[4]) -> int8[3, 4]:
        return allo.linear(X, W, bias=b)

    x, w, bias = ints(-128, 128, (3, 8), np.int8), ints(-128, 128, (4, 8), np.int8), ints(-128, 128, (4,), np.int8)
    ref = wrap(x.astype(object) @ w.T.astype(object) + bias.astype(object), 8)
    np.testing.assert_array_equal(build(lin)[1](x, w, bias), ref)


# ----------------------------------------------------------------------------- element-wise


def test_add_sub_mul_div_broadcast_and_scalars():
    def k(A: int32[4, 3], B: int32[3], c: int32) -> int32[4, 3]:
        D = allo.add(A, B)
        E = allo.sub(D, c)
        F = allo.mul(2, E)
        return allo.div(F, allo.add(B, 7))

    s, mod = build(k)
    text = str(s.module)
    for frag in ('op_name = "add_0"', 'op_name = "sub_1"', 'op_name = "mul_2"', 'op_name = "add_3"',
                 'op_name = "div_4"', "arith.divsi"):
        assert frag in text, frag
    a, b = ints(-1000, 1000, (4, 3), np.int32), ints(-1000, 1000, (3,), np.int32)
    b[b == -7] = 3
    f = 2 * (a.astype(np.int64) + b - 11)
    d = b.astype(np.int64) + 7
    ref = np.trunc(f / d).astype(np.int64)  # C-style truncation toward zero
    np.testing.assert_array_equal(mod(a, b, 11), ref)


def test_elementwise_types_are_rcmp():
    # int8 + uint8 is Int(9) under R-CMP; an int literal next to an int8 array is int32
    def k(A: int8[6], B: uint8[6]) -> Int(9)[6]:
        return allo.add(A, B)

    def lit(A: int8[6]) -> int32[6]:
        return allo.mul(A, 1000)

    s, mod = build(k)
    assert "memref<6xi9>" in str(s.module)
    a, b = np.array([-128, 127, -1, 0, 5, -60], np.int8), np.array([255, 255, 0, 1, 250, 7], np.uint8)
    np.testing.assert_array_equal(mod(a, b), wrap(a.astype(object) + b.astype(object), 9))
    np.testing.assert_array_equal(build(lit)[1](a), a.astype(np.int64) * 1000)


TYPE_PAIRS = [(int8, int8), (int8, uint8), (uint8, uint8), (int16, int32), (UInt(32), int8),
              (Int(5), UInt(3))]


@pytest.mark.parametrize("ta,tb", TYPE_PAIRS, ids=[f"{a}-{b}" for a, b in TYPE_PAIRS])
def test_arith_builtins_bit_exact_over_type_pairs(ta, tb):
    from allo.frontend.typing_rules import common_type

    rt = common_type(ta, tb)

    def k(A: ta[8], B: tb[8]) -> (rt[8], rt[8], rt[8], rt[8]):
        return allo.add(A, B), allo.sub(A, B), allo.mul(A, B), allo.div(A, B)

    def values(t):
        lo = 0 if isinstance(t, UInt) else -(1 << (t.bits - 1))
        hi = (1 << t.bits) if isinstance(t, UInt) else (1 << (t.bits - 1))
        v = [lo, hi - 1, 0, 1] + RNG.integers(lo, hi, 4).tolist()
        return v

    a, b = values(ta), values(tb)
    b = [x if x != 0 else 1 for x in b]
    signed = not isinstance(rt, UInt)
    refs = [wrap([x + y for x, y in zip(a, b)], rt.bits, signed),
            wrap([x - y for x, y in zip(a, b)], rt.bits, signed),
            wrap([x * y for x, y in zip(a, b)], rt.bits, signed),
            wrap([abs(x) // abs(y) * (1 if (x >= 0) == (y >= 0) else -1) for x, y in zip(a, b)],
                 rt.bits, signed)]
    outs = build(k)[1](np.array(a, numpy_dtype(ta)), np.array(b, numpy_dtype(tb)))
    for out, ref in zip(outs, refs):
        np.testing.assert_array_equal(np.asarray(out).astype(object), ref.astype(object))


def test_int_add_wraps_in_rcmp_type():
    def k(A: int8[5], B: int8[5]) -> int8[5]:
        return allo.add(A, B)

    a, b = np.array([127, -128, 100, -100, 1], np.int8), np.array([1, -1, 100, -100, 1], np.int8)
    np.testing.assert_array_equal(build(k)[1](a, b), wrap(a.astype(object) + b.astype(object), 8))


def test_float_elementwise_and_div():
    def k(A: float32[3, 4], B: float32[4]) -> float32[3, 4]:
        return allo.div(allo.sub(A, B), allo.add(allo.mul(B, B), 1.0))

    a, b = floats((3, 4)), floats((4,))
    np.testing.assert_allclose(build(k)[1](a, b), (a - b) / (b * b + 1.0), rtol=1e-6)


MATH_CASES = [("exp", np.exp, (-3, 3)), ("log", np.log, (0.1, 5)), ("log2", np.log2, (0.1, 5)),
              ("log10", np.log10, (0.1, 5)), ("sqrt", np.sqrt, (0.0, 9)), ("sin", np.sin, (-3, 3)),
              ("cos", np.cos, (-3, 3)), ("tan", np.tan, (-1.2, 1.2)), ("tanh", np.tanh, (-3, 3))]


def _math_kernel(name):
    fn = getattr(allo, name)

    def k(A: float32[3, 5]) -> float32[3, 5]:
        return fn(A)

    return k


@pytest.mark.parametrize("name,ref,rng", MATH_CASES, ids=[c[0] for c in MATH_CASES])
def test_math_functions_on_arrays(name, ref, rng):
    a = floats((3, 5), *rng)
    s, mod = build(_math_kernel(name))
    assert f'op_name = "{name}_0"' in str(s.module)
    np.testing.assert_allclose(mod(a), ref(a), rtol=2e-6, atol=1e-6)


def test_math_on_int_array_is_float32_and_power():
    def k(A: int16[6]) -> float32[6]:
        return allo.exp(A)

    def pw(A: float32[6], B: float32[6]) -> float32[6]:
        return allo.add(allo.power(A, 2), allo.power(A, B))

    a = np.array([-3, -1, 0, 1, 2, 5], np.int16)
    np.testing.assert_allclose(build(k)[1](a), np.exp(a.astype(np.float32)), rtol=1e-6)
    x, y = floats((6,), 0.5, 2.0), floats((6,), -2.0, 2.0)
    np.testing.assert_allclose(build(pw)[1](x, y), x ** 2 + np.power(x, y), rtol=1e-5)


def test_abs_and_relu():
    def k(A: int8[6], F: float32[6]) -> (int8[6], int8[6], float32[6], float32[6]):
        return allo.abs(A), allo.relu(A), allo.abs(F), allo.relu(F)

    a = np.array([-128, -5, 0, 7, 127, -1], np.int8)
    f = floats((6,))
    r_abs, r_relu, f_abs, f_relu = build(k)[1](a, f)
    np.testing.assert_array_equal(r_abs, wrap(np.abs(a.astype(np.int64)), 8))  # abs(-128) wraps
    np.testing.assert_array_equal(r_relu, np.maximum(a, 0))
    np.testing.assert_array_equal(f_abs, np.abs(f))
    np.testing.assert_array_equal(f_relu, np.maximum(f, 0))


def test_gelu():
    def k(A: float32[4, 4]) -> float32[4, 4]:
        return allo.gelu(A)

    a = floats((4, 4), -3, 3)
    np.testing.assert_allclose(build(k)[1](a), allo.gelu(a), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- normalisations


def test_softmax_2d_and_1d():
    def k2(A: float32[3, 7]) -> float32[3, 7]:
        return allo.softmax(A)

    def k1(A: float64[9]) -> float64[9]:
        return allo.softmax(A)

    a = floats((3, 7), -4, 4)
    np.testing.assert_allclose(build(k2)[1](a), allo.softmax(a), rtol=1e-6, atol=1e-7)
    s1, mod1 = build(k1)
    assert 'op_name = "softmax_0"' in str(s1.module)
    v = floats((9,), -4, 4, np.float64)
    np.testing.assert_allclose(mod1(v), allo.softmax(v), rtol=1e-13)


def test_layernorm():
    def k(X: float32[3, 8], g: float32[8], b: float32[8]) -> float32[3, 8]:
        return allo.layernorm(X, g, b, eps=1e-3)

    x, g, b = floats((3, 8)), floats((8,)), floats((8,))
    np.testing.assert_allclose(build(k)[1](x, g, b), allo.layernorm(x, g, b, eps=1e-3),
                               rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- data movement


def test_transpose_forms():
    def k(A: int32[2, 3, 4], B: int16[3, 5]) -> (int32[3, 2, 4], int32[4, 2, 3], int16[5, 3], int32[4, 3, 2]):
        return (allo.transpose(A, (1, 0, 2)), allo.transpose(A, axes=(2, 0, 1)), B.T,
                allo.transpose(A))

    s, mod = build(k)
    assert "linalg.transpose" in str(s.module) and 'op_name = "transpose_0"' in str(s.module)
    a, b = ints(-99, 99, (2, 3, 4), np.int32), ints(-99, 99, (3, 5), np.int16)
    r1, r2, r3, r4 = mod(a, b)
    np.testing.assert_array_equal(r1, a.transpose(1, 0, 2))
    np.testing.assert_array_equal(r2, a.transpose(2, 0, 1))
    np.testing.assert_array_equal(r3, b.T)
    np.testing.assert_array_equal(r4, a.T)


def test_transpose_permutation_keyword_and_view_input():
    def k(A: float32[2, 3, 4]) -> (float32[4, 3], float32[3, 4, 2]):
        return allo.transpose(A[1], permutation=(1, 0)), allo.transpose(A, 1, 2, 0)

    a = floats((2, 3, 4))
    r1, r2 = build(k)[1](a)
    np.testing.assert_array_equal(r1, a[1].T)
    np.testing.assert_array_equal(r2, a.transpose(1, 2, 0))


def test_view_reshapes_row_major():
    def k(A: int32[12, 5]) -> (int32[6, 10], int32[3, 4, 5], int32[60]):
        return allo.view(A, (6, 10)), allo.view(A, (3, -1, 5)), allo.view(A, (60,))

    a = ints(-500, 500, (12, 5), np.int32)
    r1, r2, r3 = build(k)[1](a)
    np.testing.assert_array_equal(r1, a.reshape(6, 10))
    np.testing.assert_array_equal(r2, a.reshape(3, 4, 5))
    np.testing.assert_array_equal(r3, a.reshape(60))


def test_concat_axes_and_conversion():
    def k(A: int8[2, 3], B: int16[4, 3], C: int8[2, 5]) -> (int8[6, 3], int8[2, 8], int8[2, 8]):
        return allo.concat(A, B), allo.concat(A, C, axis=1), allo.concat(A, C, -1)

    a, b, c = ints(-100, 100, (2, 3), np.int8), ints(-1000, 1000, (4, 3), np.int16), ints(-100, 100, (2, 5), np.int8)
    r1, r2, r3 = build(k)[1](a, b, c)
    np.testing.assert_array_equal(r1, np.concatenate([a, wrap(b, 8)], axis=0))
    np.testing.assert_array_equal(r2, np.concatenate([a, c], axis=1))
    np.testing.assert_array_equal(r3, r2)


def test_copy_is_fresh():
    def k(A: int32[3, 4]) -> (int32[3, 4], int32[4]):
        B = allo.copy(A)
        C = A[1].copy()
        B[0, 0] = 99
        C[0] = -1
        return B, allo.add(A[1], 0)

    s, mod = build(k)
    assert "memref.copy" in str(s.module) and 'op_name = "copy_0"' in str(s.module)
    a = ints(-50, 50, (3, 4), np.int32)
    b, row = mod(a.copy())
    ref = a.copy()
    ref[0, 0] = 99
    np.testing.assert_array_equal(b, ref)
    np.testing.assert_array_equal(row, a[1])


def test_tril():
    def k(A: int32[4, 5]) -> int32[4, 5]:
        return allo.tril(A)

    a = ints(-50, 50, (4, 5), np.int32)
    np.testing.assert_array_equal(build(k)[1](a), np.tril(a))


def test_ones_and_zeros():
    def k(A: int32[2, 3]) -> (float32[2, 3], int32[2, 3], int32[3], Fixed(8, 4)[2]):
        return (allo.ones((2, 3)), allo.add(A, allo.ones((2, 3), dtype=int)),
                allo.zeros(3, int32), allo.ones((2,), dtype=Fixed(8, 4)))

    s, mod = build(k)
    assert 'linalg.fill {op_name = "ones_0"}' in str(s.module)
    a = ints(-50, 50, (2, 3), np.int32)
    r1, r2, r3, r4 = mod(a)
    np.testing.assert_array_equal(r1, np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(r2, a + 1)
    np.testing.assert_array_equal(r3, np.zeros(3, np.int32))
    np.testing.assert_array_equal(r4, [1.0, 1.0])


# ----------------------------------------------------------------------------- conv and pools


def _conv_ref(x, w):
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    out = np.zeros((n, f, h - kh + 1, wd - kw + 1), dtype=object)
    for r in range(kh):
        for q in range(kw):
            patch = x[:, :, r:r + h - kh + 1, q:q + wd - kw + 1].astype(object)
            out += np.einsum("nchw,fc->nfhw", patch, w[:, :, r, q].astype(object))
    return out


def test_conv2d_float_and_int():
    def kf(X: float32[2, 3, 6, 5], W: float32[4, 3, 3, 2]) -> float32[2, 4, 4, 4]:
        return allo.conv2d(X, W)

    def ki(X: int8[1, 2, 5, 5], W: uint8[3, 2, 2, 2]) -> int8[1, 3, 4, 4]:
        return allo.conv2d(X, W)

    s, mod = build(kf)
    assert 'linalg.conv_2d_nchw_fchw {op_name = "conv2d_0"}' in str(s.module)
    x, w = floats((2, 3, 6, 5)), floats((4, 3, 3, 2))
    np.testing.assert_allclose(mod(x, w), _conv_ref(x, w).astype(np.float64), rtol=1e-5, atol=1e-5)
    si, modi = build(ki)
    xi, wi = ints(-128, 128, (1, 2, 5, 5), np.int8), ints(0, 256, (3, 2, 2, 2), np.uint8)
    np.testing.assert_array_equal(modi(xi, wi), wrap(_conv_ref(xi, wi), 8))


def _pool_ref(x, kh, kw, fn):
    n, c, h, w = x.shape
    views = [x[:, :, r:r + h - kh + 1, q:q + w - kw + 1] for r in range(kh) for q in range(kw)]
    return fn(np.stack(views), axis=0)


def test_maxpool_is_a_true_max_and_sumpool_sums():
    def k(X: float32[1, 2, 5, 6], win: float32[2, 3]) -> (float32[1, 2, 4, 4], float32[1, 2, 4, 4]):
        return allo.maxpool(X, win), allo.sumpool(X, win)

    s, mod = build(k)
    assert "linalg.pooling_nchw_max" in str(s.module) and "linalg.pooling_nchw_sum" in str(s.module)
    x = floats((1, 2, 5, 6), -9, -1)  # all negative: a max starting at 0 would be wrong
    mx, sm = mod(x, np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(mx, _pool_ref(x, 2, 3, np.max))
    np.testing.assert_allclose(sm, _pool_ref(x, 2, 3, np.sum), rtol=1e-5)


def test_pools_on_integers():
    def k(X: int8[1, 1, 4, 4], U: uint8[1, 1, 4, 4], win: int32[3, 3]) -> (int8[1, 1, 2, 2], uint8[1, 1, 2, 2], int8[1, 1, 2, 2]):
        return allo.maxpool(X, win), allo.maxpool(U, win), allo.sumpool(X, win)

    x, u = ints(-128, 0, (1, 1, 4, 4), np.int8), ints(0, 256, (1, 1, 4, 4), np.uint8)
    mx, mu, sm = build(k)[1](x, u, np.zeros((3, 3), np.int32))
    np.testing.assert_array_equal(mx, _pool_ref(x, 3, 3, np.max))
    np.testing.assert_array_equal(mu, _pool_ref(u, 3, 3, np.max))
    np.testing.assert_array_equal(sm, wrap(_pool_ref(x.astype(object), 3, 3, np.sum), 8))


# ----------------------------------------------------------------------------- naming


def test_op_names_count_per_function_and_name_keyword():
    def k(A: float32[4, 4], B: float32[4, 4]) -> float32[4, 4]:
        T = allo.matmul(A, B, name="gemm")
        U = allo.matmul(T, B)
        V = allo.add(U, A)
        return allo.relu(V)

    s, mod = build(k)
    text = str(s.module)
    for frag in ('op_name = "gemm"', 'op_name = "matmul_0"', 'op_name = "add_1"',
                 'op_name = "relu_2"', 'name = "T"', 'name = "U"', 'name = "V"'):
        assert frag in text, frag
    a, b = floats((4, 4)), floats((4, 4))
    np.testing.assert_allclose(mod(a, b), np.maximum((a @ b) @ b + a, 0), rtol=1e-5, atol=1e-6)


def test_op_inside_a_user_loop_is_not_a_stage():
    def k(A: float32[3, 4, 4]) -> float32[3, 4, 4]:
        out: float32[3, 4, 4] = 0.0
        for i in range(3):
            out[i] = allo.exp(A[i])
        return out

    s, mod = build(k)
    assert 'op_name = "exp_0"' not in str(s.module)
    a = floats((3, 4, 4))
    np.testing.assert_allclose(mod(a), np.exp(a), rtol=1e-6)


def test_uint_and_int_result_annotations_at_the_boundary():
    def k(A: UInt(4)[4], B: UInt(4)[4]) -> UInt(4)[4]:
        return allo.mul(A, B)

    a, b = np.array([15, 3, 7, 0], np.uint8), np.array([15, 5, 2, 9], np.uint8)
    np.testing.assert_array_equal(build(k)[1](a, b), (a.astype(np.int64) * b) % 16)


def test_scalar_add_sub_mul_div_use_rcmp_and_wrap():
    # on scalars too, allo.add/sub/mul/div compute in R-CMP: int8 with int8 stays int8 (wraps)
    def k(a: int8, b: int8, x: float32) -> (int32, int32, int32, int32, float32):
        c = allo.add(a, b)
        d = allo.mul(a, b)
        e = allo.div(a, -b)
        f = allo.sub(a, 1000)
        r1: int32 = c
        r2: int32 = d
        r3: int32 = e
        return r1, r2, r3, f, allo.div(x, 4)

    s_add, s_mul, s_div, s_sub, f_div = build(k)[1](100, 100, 3.0)
    assert (s_add, s_mul, s_div, s_sub) == (-56, 16, -1, -900)
    assert f_div == pytest.approx(0.75)
