"""More of the language.md §14 checklist, each compared with a Python/numpy reference."""

import math
import sys

import numpy as np
import pytest

import allo
import allo.ir.types as T
from allo.ir.types import (ConstExpr, Fixed, Int, Stateful, UFixed, UInt, float32, float64,
                           index, int8, int16, int32, int64, uint8, uint32)


def run(fn, *args, **kw):
    return allo.customize(fn, **kw).build()(*args)


def test_type_objects():
    assert T.float32.fracs == 23 and T.float32.exponent == 8 and T.float64.exponent == 11
    assert T.Float(32, 23) == T.float32 and T.bool == T.uint1 and T.bool != T.int1
    for w in range(1, 40):
        kinds = [Int(w), UInt(w)] + ([Fixed(w, w // 2), UFixed(w, w // 2)] if w > 1 else [])
        assert len(set(kinds)) == len(kinds)
    assert str(UInt(17)) == "ui17" and repr(Fixed(8, 3)) == "fixed(8, 3)"
    assert repr(int32[4, 5]) == "i32[4, 5]" and repr(T.int32.stateful_copy()) == "stateful(i32)"
    for bad in (lambda: Int(2.5), lambda: T.Float(24, 8), lambda: Fixed(4, 5), lambda: Int(0)):
        with pytest.raises(allo.DTypeError):
            bad()
    with pytest.warns(allo.DTypeWarning):
        Int(1024)


def test_huge_int_compiles():
    def k(a: Int(65536)) -> Int(65536):
        return a

    with pytest.warns(allo.DTypeWarning):
        assert "i65536" in str(allo.customize(k).module)


def test_annotation_forms():
    def k(A: "int32[M + 1, N * 2]", B: T.Int(32)[4], c: allo.ir.types.float32) -> Int(32)[4]:
        C: Int(32)[4]
        for i in range(4):
            C[i] = A[0, i] + B[i] + int(c)
        return C

    M, N = 1, 2  # noqa: F841 - read from the caller's frame by the frontend
    A = np.arange(8, dtype=np.int32).reshape(2, 4)
    B = np.ones(4, np.int32)
    np.testing.assert_array_equal(run(k, A, B, 2.5), A[0] + 3)


def test_runtime_scalar_broadcast_and_copies():
    def k(A: int32[4], v: int32) -> int32[4]:
        B: int32[4] = v
        C: int32[4] = A
        D: int16[4] = C
        for i in range(4):
            B[i] += C[i] + D[i]
        return B

    A = np.arange(4, dtype=np.int32)
    np.testing.assert_array_equal(run(k, A, 5), 5 + 2 * A)


def test_unpack_into_elements_and_underscore():
    def pair(a: int32) -> (int32, int32):
        return a + 1, a * 2

    def k(A: int32[4]) -> (int32[4], int32[4]):
        C: int32[4]
        D: int32[4]
        for i in range(4):
            C[i], D[i] = pair(A[i])
        c, _ = pair(A[0])
        C[0] = c
        return C, D

    A = np.arange(4, dtype=np.int32) + 3
    C, D = run(k, A)
    np.testing.assert_array_equal(C, A + 1)
    np.testing.assert_array_equal(D, A * 2)


def test_grid_4d_and_reduction():
    def k(A: int32[2, 3, 4, 5]) -> int32:
        s: int32 = 0
        for a, b, c, d in allo.grid(2, 3, 4, 5):
            s += A[a, b, c, d]
        for r, q in allo.reduction(2, 3):
            s += A[r, q, 0, 0]
        return s

    A = np.arange(120, dtype=np.int32).reshape(2, 3, 4, 5)
    assert run(k, A) == A.sum() + A[:, :, 0, 0].sum()


def test_nested_if_and_long_and_chain():
    def k(a: int32, b: int32, c: int32, d: int32, e: int32) -> int32:
        r: int32 = 0
        if a > 0 and b > 0 and c > 0 and d > 0 and e > 0:
            r = 1
        elif not (a > 0):
            if b > 0:
                r = 2
            else:
                r = 3
        else:
            r = 4
        return r

    mod = allo.customize(k).build()
    assert mod(1, 1, 1, 1, 1) == 1 and mod(0, 1, 0, 0, 0) == 2
    assert mod(0, 0, 0, 0, 0) == 3 and mod(1, 0, 1, 1, 1) == 4


def test_truthiness_of_scalars():
    def k(a: int32, f: float32) -> int32:
        r: int32 = 0
        if a:
            r += 1
        if f:
            r += 10
        return r

    mod = allo.customize(k).build()
    assert mod(0, 0.0) == 0 and mod(3, 0.5) == 11


def test_index_bitwise_and_shift():
    def k(n: index, a: int32, u: uint32) -> int32:
        r: int32 = (n << 2) + (n >> 1) + (n & a) + (n | u) + (n ^ 3)
        return r

    n, a, u = 13, 6, 9
    assert run(k, n, a, u) == (n << 2) + (n >> 1) + (n & a) + (n | u) + (n ^ 3)


def test_unary_and_nested_conversions():
    def k(a: int32, f: float32) -> float32:
        return -(+a) + float(int(f) * 2) - int(-f)

    assert run(k, 5, 2.7) == -5 + float(2 * 2) - int(-2.7)


def test_fixed_conversions_roundtrip():
    for f in (1, 5, 12, 19):
        fx = Fixed(32, f)
        ufx = UFixed(32, f)

        def k(i: index, x: float32) -> (float32, float32, index):
            a: fx = i
            b: fx = x
            c: ufx = x
            d: index = a
            return a + b, c, d

        v = 3.3
        s, c, d = run(k, 7, v, global_vars={"fx": fx, "ufx": ufx})
        q = math.floor(np.float32(v) * 2**f) / 2**f
        assert s == 7 + q and c == q and d == 7


def test_int5_compared_with_float():
    def k(a: Int(5)) -> bool:
        return a > 2.5

    mod = allo.customize(k).build()
    assert mod(3) and not mod(2) and not mod(-16)


def test_min_max_mixed():
    def k(a: int8, b: int32, f: float32) -> (int32, float32, float32):
        return max(a, b), min(a, f), max(a, 0.0)

    r = run(k, -5, 3, -7.5)
    assert r[0] == 3 and r[1] == -7.5 and r[2] == 0.0


def test_math_functions():
    def k(x: float32, y: float64) -> (float32, float32, float32, float64, float64, float32):
        return allo.exp(x), allo.log(x), allo.sqrt(x), allo.sin(y), allo.tanh(y), allo.power(x, 2.0)

    r = run(k, 2.0, 0.5)
    np.testing.assert_allclose(r, [np.exp(2.0), np.log(2.0), np.sqrt(2.0), np.sin(0.5), np.tanh(0.5), 4.0],
                               rtol=1e-6)


def test_abs_and_relu():
    def k(a: int8, f: float32) -> (int8, float32, int8):
        return abs(a), allo.abs(f), allo.relu(a)

    assert list(run(k, -128, -2.5)) == [-128, 2.5, 0]
    assert list(run(k, 7, 2.5)) == [7, 2.5, 7]


def test_runtime_bit_index_and_slice():
    def k(x: uint32, i: index) -> (bool, UInt(1), uint32):
        b = x[i]
        s = x[i - 1:i]
        y: uint32 = 0
        y[i] = 1
        return b, s, y

    b, s, y = run(k, 0b1010, 3)
    assert b and s == 0 and y == 8


def test_set_bits_on_array_elements():
    def k(A: uint8[4], B: uint8[4]) -> uint8[4]:
        for i in range(4):
            B[i][0:2] = A[i]
            B[i][7] = 1
        return B

    A = np.array([1, 2, 3, 7], np.uint8)
    B = np.zeros(4, np.uint8)
    np.testing.assert_array_equal(run(k, A, B), (A & 3) | 0x80)


def test_bitcast_directions():
    def k(x: uint32, h: T.uint16, d: float64) -> (float32, T.float16, T.uint64):
        return x.bitcast(), h.bitcast(), d.bitcast()

    f, hf, u = run(k, 0x3F800000, 0x3C00, 1.0)
    assert f == 1.0 and hf == 1.0 and u == 0x3FF0000000000000

    def k2(x: uint32) -> T.float16:
        return x[0:16].bitcast()

    assert run(k2, 0xABCD3C00) == 1.0


def test_xor_popcount():
    def popcount(x: uint32) -> int32:
        c: int32 = 0
        for i in range(32):
            c += x[i]
        return c

    def k(a: uint32, b: uint32) -> int32:
        return popcount(a ^ b)

    assert run(k, 0xF0F0F0F0, 0x0F0F0F0F) == 32
    assert run(k, 5, 6) == 2


def test_bit_ops_in_meta_for():
    def k(x: uint8) -> uint8:
        y: uint8 = 0
        with allo.meta_for(8) as i:
            y[7 - i] = x[i]
        y += 1
        return y

    x = 0b00010110
    assert run(k, x) == int(f"{x:08b}"[::-1], 2) + 1


def test_meta_for_arities_and_empty():
    def k(A: int32[10]) -> int32[10]:
        with allo.meta_for(3) as a:
            A[a] = 1
        with allo.meta_for(4, 6) as b:
            A[b] = 2
        with allo.meta_for(6, 10, 3) as c:
            A[c] = 3
        with allo.meta_for(5, 5) as d:
            A[d] = 100
        return A

    out = run(k, np.zeros(10, np.int32))
    np.testing.assert_array_equal(out, [1, 1, 1, 0, 2, 2, 3, 0, 0, 3])


def test_constexpr_chain_and_helper():
    def k(A: float32[4]) -> float32[4]:
        n: ConstExpr[int32] = 2 * 2
        m: ConstExpr[int32] = n + 2
        c: ConstExpr[float32] = math.cos(0.0)
        B: float32[4]
        for i in range(n):
            B[i] = A[i] * c + m
        return B

    s = allo.customize(k)
    assert "scf.for" not in str(s.module)
    np.testing.assert_array_equal(s.build()(np.ones(4, np.float32)), np.full(4, 7.0, np.float32))


def test_meta_if_returning_branches():
    def k(A: int32[4]) -> int32:
        with allo.meta_if(len(A.shape) if False else True):
            return A[0]
        with allo.meta_else():
            return A[1]

    assert run(k, np.array([5, 6, 7, 8], np.int32)) == 5


def test_stateful_arrays_moving_average_and_lcg():
    def mavg(x: float32) -> float32:
        buf: float32[4] @ Stateful = 0.0
        pos: int32 @ Stateful = 0
        buf[pos] = x
        pos = (pos + 1) % 4
        s: float32 = 0.0
        for i in range(4):
            s += buf[i]
        return s / 4.0

    mod = allo.customize(mavg).build()
    outs = [mod(v) for v in (4.0, 8.0, 12.0, 16.0, 20.0)]
    assert outs == [1.0, 3.0, 6.0, 10.0, 14.0]

    def lcg() -> uint32:
        state: uint32 @ Stateful = 1
        state = state * 1103515245 + 12345
        return state

    mod = allo.customize(lcg).build()
    s, ref = 1, []
    for _ in range(3):
        s = (s * 1103515245 + 12345) & 0xFFFFFFFF
        ref.append(s)
    assert [mod() for _ in range(3)] == ref


def test_histogram_indexed_by_int8():
    def hist(x: int8) -> int32:
        h: int32[256] @ Stateful = 0
        h[x + 128] += 1
        return h[x + 128]

    mod = allo.customize(hist).build()
    assert [mod(-5), mod(-5), mod(3)] == [1, 2, 1]


def test_per_function_state_with_equal_names():
    def f1(x: int32) -> int32:
        acc: int32 @ Stateful = 0
        acc += x
        return acc

    def f2(x: int32) -> int32:
        acc: int32 @ Stateful = 100
        acc += x
        return acc

    def top(x: int32) -> int32:
        return f1(x) + f2(x)

    mod = allo.customize(top).build()
    assert mod(1) == 1 + 101 and mod(1) == 2 + 102


def test_stateful_errors():
    def bad_param(x: int32 @ Stateful) -> int32:
        return x

    with pytest.raises(allo.AlloSyntaxError, match="cannot be Stateful"):
        allo.customize(bad_param)

    def bad_init(x: int32) -> int32:
        acc: int32 @ Stateful = x
        return acc

    with pytest.raises(allo.AlloSyntaxError, match="must be initialized with a compile-time constant"):
        allo.customize(bad_init)


def test_views_as_call_arguments():
    def inc_row(R: int32[4]):
        for j in range(4):
            R[j] += 1

    def k(A: int32[3, 4]):
        inc_row(A[1])

    A = np.zeros((3, 4), np.int32)
    run(k, A)
    np.testing.assert_array_equal(A, np.array([[0] * 4, [1] * 4, [0] * 4]))


def test_index_parameter_and_none_return():
    def k(A: int32[4], n: index) -> None:
        for i in range(n):
            A[i] = 7

    A = np.zeros(4, np.int32)
    assert run(k, A, 2) is None
    np.testing.assert_array_equal(A, [7, 7, 0, 0])


def test_cpp_style_rules():
    def k(a: int8, b: int16) -> int16:
        return a + b

    s = allo.customize(k, typing_rule_set="cpp-style")
    assert "i17" not in str(s.module)

    def bad(a: Int(5), b: int32) -> int32:
        return a + b

    with pytest.raises(allo.AlloTypeError, match="fail binary arithmetic rule"):
        allo.customize(bad, typing_rule_set="cpp-style")


def test_source_string_kernel():
    src = """
def add1(A: int32[4]) -> int32[4]:
    B: int32[4]
    for i in range(4):
        B[i] = A[i] + 1
    return B
"""
    s = allo.customize(src, global_vars={"int32": int32})
    np.testing.assert_array_equal(s.build()(np.arange(4, dtype=np.int32)), np.arange(1, 5))


POINT = T.Struct({"x": int32, "y": float32})
PACKED = T.Struct({"lo": uint8, "hi": T.uint8})


def test_struct_locals():
    def k(a: int32, b: float32) -> float32:
        pt: POINT = {"x": a, "y": b}
        pt["x"] = pt["x"] * 2
        return pt["x"] + pt["y"]

    assert run(k, 3, 0.5) == 6.5

    def unpack(v: T.uint16) -> int32:
        p: PACKED = v
        return p["hi"] * 1000 + p["lo"]

    assert run(unpack, 0x0102) == 1 * 1000 + 2
    with pytest.raises(allo.DTypeError, match="z is not in struct"):
        POINT.z

    def bad(a: int32) -> int32:
        pt: POINT = {"z": a}
        return a

    with pytest.raises(allo.AlloTypeError, match="z is not in struct"):
        allo.customize(bad)


def test_read_only_view_argument_is_not_written_back():
    def dot(a: int32[4], b: int32[4]) -> int32:
        s: int32 = 0
        for k in range(4):
            s += a[k] * b[k]
        return s

    def rows(A: int32[3, 4], B: int32[3, 4]) -> int32[3]:
        C: int32[3]
        for i in range(3):
            C[i] = dot(A[i], B[i])
        return C

    s = allo.customize(rows)
    text = str(s.module)
    assert text.count('to = "A"') == 0 and text.count('to = "B"') == 0
    A = np.arange(12, dtype=np.int32).reshape(3, 4)
    np.testing.assert_array_equal(s.build()(A, A + 1), (A * (A + 1)).sum(1))


def test_allo_types_are_not_iterable():
    # __getitem__ builds annotations; iterating must not walk int32[0], int32[1], ... forever
    for t in (T.int32, Fixed(8, 3), T.float32, T.Struct({"x": T.int8})):
        with pytest.raises(allo.DTypeError, match="is not iterable"):
            iter(t)
        with pytest.raises(TypeError):
            tuple(t)


def test_verbose_prints_the_typed_module_with_the_standard_library_only(monkeypatch, capsys):
    # a None entry makes ``import astpretty`` (the reference's printer) fail
    monkeypatch.setitem(sys.modules, "astpretty", None)

    def callee(X: int32[4]) -> int32[4]:
        return X + 1

    def caller(A: int32[4]) -> int32[4]:
        return callee(A) * 2

    s = allo.customize(caller, verbose=True)
    out = capsys.readouterr().out
    assert "func.func @caller(%arg0: memref<4xi32>)" in out and "func.func @callee(" in out
    A = np.arange(4, dtype=np.int32)
    np.testing.assert_array_equal(s.build()(A), (A + 1) * 2)
