"""Kernel-language features, each compared with a numpy/Python reference on the CPU build."""

import numpy as np
import pytest

import allo
from allo.ir.types import (Fixed, Int, UFixed, UInt, bool as abool, float16, float32, float64,
                           index, int8, int16, int32, int64, uint8, uint16, uint32)

RNG = np.random.default_rng(0)
W6 = np.arange(6, dtype=np.int32) * 3 - 4


def run(fn, *args, **kw):
    return allo.customize(fn, **kw).build()(*args)


def test_scale_add_ir_and_result():
    def scale_add(P: int8[6, 10], q: int8) -> int16[6, 10]:
        R: int16[6, 10] = 0
        for u, v in allo.grid(6, 10):
            R[u, v] = P[u, v] * 3 + q
        return R

    s = allo.customize(scale_add)
    text = str(s.module)
    for frag in ('name = "R"', "memref<6x10xi16>", "arith.extsi", "i40", "i41", 'loop_name = "u"',
                 'op_name = "S_u_v_0"', 'itypes = "ss"', 'otypes = "s"', "linalg.fill"):
        assert frag in text, frag
    P = RNG.integers(-128, 128, (6, 10)).astype(np.int8)
    out = s.build()(P, -7)
    ref = ((P.astype(np.int64) * 3 - 7) & 0xFFFF).astype(np.uint16).view(np.int16)
    np.testing.assert_array_equal(out, ref)


def test_stage_names_follow_for_counter():
    def twopass(X: int32[6, 12]) -> int32[6]:
        out: int32[6] = 0
        for r, q in allo.grid(6, 12):
            out[r] += X[r, q]
        for t in range(6):
            for u in allo.reduction(3):
                out[t] += X[t, u]
        for z in range(6):
            out[z] *= 2
        return out

    s = allo.customize(twopass)
    text = str(s.module)
    for stage in ("S_r_q_0", "S_t_1", "S_z_3"):
        assert f'op_name = "{stage}"' in text
    assert "reduction" in text
    X = RNG.integers(-100, 100, (6, 12)).astype(np.int32)
    np.testing.assert_array_equal(s.build()(X), (X.sum(1) + X[:, :3].sum(1)) * 2)


def test_narrow_int_wraps():
    def wrap(A: int8[8], B: int8[8]) -> int8[8]:
        C: int8[8]
        for i in range(8):
            C[i] = A[i] + B[i]
        return C

    A = np.array([127, -128, 100, 1, 2, 3, -1, 0], np.int8)
    B = np.array([1, -1, 100, 1, 2, 3, -1, 0], np.int8)
    np.testing.assert_array_equal(run(wrap, A, B), (A.astype(np.int16) + B).astype(np.int8))


def test_odd_width_types():
    def odd(A: Int(5)[4], B: UInt(3)[4]) -> Int(7)[4]:
        C: Int(7)[4]
        for i in range(4):
            C[i] = A[i] * B[i] - 3
        return C

    A = np.array([15, -16, 7, -1], np.int8)
    B = np.array([7, 7, 0, 5], np.uint8)
    ref = A.astype(np.int64) * B - 3
    ref = ((ref + 64) % 128) - 64
    np.testing.assert_array_equal(run(odd, A, B), ref.astype(np.int8))


def test_c_division_and_remainder_and_floor_div():
    def divs(a: int32, b: int32) -> (int32, int32, int32):
        return a / b, a % b, a // b

    for a, b in [(7, 2), (-7, 2), (7, -2), (-7, -2), (0, 3)]:
        q, r, f = run(divs, a, b)
        assert q == int(a / b) and r == a - int(a / b) * b and f == a // b


def test_float_ops_and_builtins():
    def fops(a: float32, b: int8) -> float32:
        r: float32 = 0.0
        if a > 0.0 and b < 3:
            r = a + b
        elif a < -1.0:
            r = max(a, b)
        else:
            r = allo.exp(a) + float(int(a))
        return r

    mod = allo.customize(fops).build()
    assert mod(1.5, 2) == pytest.approx(3.5)
    assert mod(-3.5, -5) == pytest.approx(-3.5)
    assert mod(0.25, 9) == pytest.approx(np.exp(np.float32(0.25)), rel=1e-6)


def test_ternary_mixed_types_and_sitofp():
    def tern(f: float32, i: int32) -> float32:
        return f if f > 0.0 else i

    s = allo.customize(tern)
    assert "sitofp" in str(s.module)
    mod = s.build()
    assert mod(2.5, 3) == 2.5 and mod(-1.0, 3) == 3.0


def test_while_loop():
    def wl(n: int32) -> int32:
        i: index = 0
        s: int32 = 0
        while i < 10:
            s += n
            i += 1
        return s

    assert run(wl, 7) == 70


def test_runtime_bounds_and_steps():
    def rt(A: int32[10], n: int32) -> int32:
        s: int32 = 0
        for i in range(A[0], n, 2):
            for j in range(i * 2, 10):
                s += A[j]
        return s

    A = np.arange(10, dtype=np.int32)
    A[0] = 1
    ref = sum(A[j] for i in range(1, 5, 2) for j in range(i * 2, 10))
    assert run(rt, A, 5) == ref


def test_calls_constants_and_ternary():
    def helper(A: int32[6]) -> int32[6]:
        B: int32[6] = 0
        for i in range(6):
            B[i] = A[i] * 2
        return B

    def caller(A: int32[6]) -> int32[6]:
        T = helper(A)
        R = helper(T)
        K: int32[6] = W6
        for i in range(6):
            R[i] += K[i] if R[i] > 3 else -K[i]
        return R

    s = allo.customize(caller)
    text = str(s.module)
    assert "func.func @helper" in text and 'name = "T"' in text and "memref.global" in text
    A = np.arange(6, dtype=np.int32) - 2
    R = A * 4
    np.testing.assert_array_equal(s.build()(A), np.where(R > 3, R + W6, R - W6))


def test_views_and_slices():
    def views(A: int32[4, 6]) -> int32[6]:
        B: int32[2, 3] = A[0:2, 1:4]
        A[2, 0:3] = B[1]
        C = A[2]
        return C

    A = np.arange(24, dtype=np.int32).reshape(4, 6)
    ref = A.copy()
    ref[2, 0:3] = A[1, 1:4]
    np.testing.assert_array_equal(run(views, A), ref[2])
    np.testing.assert_array_equal(A, ref)  # in-place write through the parameter


def test_meta_for_if_and_constexpr():
    def meta(A: int32[8]) -> int32[8]:
        B: int32[8] = 0
        with allo.meta_for(0, 8, 2) as k:
            B[k] = A[k] + k
        with allo.meta_if(len(W6) > 5):
            n: allo.ir.types.ConstExpr[int32] = 3 + 2
            for i in range(n):
                B[i] += 1
        with allo.meta_else():
            B[0] = 100
        return B

    s = allo.customize(meta)
    assert "to 5" in str(s.module)
    A = np.arange(8, dtype=np.int32) * 10
    ref = np.zeros(8, np.int32)
    ref[0::2] = A[0::2] + np.arange(0, 8, 2)
    ref[:5] += 1
    np.testing.assert_array_equal(s.build()(A), ref)


def test_stateful_counter():
    def tally(x: int16) -> int32:
        total: int32 @ allo.ir.types.Stateful = 100
        total += x
        return total

    s = allo.customize(tally)
    assert "__stateful_tally_total" in str(s.module)
    mod = s.build()
    assert mod(1) == 101 and mod(2) == 103
    # a second build of the same kernel starts from the declared state (machine code of
    # modules with state is not shared between builds), and the first keeps its own
    again = allo.customize(tally).build()
    assert again(1) == 101 and mod(3) == 106 and again(1) == 102


def test_tuple_return_and_unpack():
    def pair(A: int32[4]) -> (int32[4], int32):
        s: int32 = 0
        B: int32[4]
        for i in range(4):
            B[i] = A[i] * 2
            s += A[i]
        return B, s

    def unpack(A: int32[4]) -> int32:
        c, d = pair(A)
        return c[0] + d

    A = np.array([1, 2, 3, 4], np.int32)
    b, t = run(pair, A)
    np.testing.assert_array_equal(b, A * 2)
    assert t == 10
    assert run(unpack, A) == 12


def test_tuple_assignment_swaps():
    def swap(a: int32, b: int32) -> int32:
        x: int32 = a
        y: int32 = b
        x, y = y, x
        return x * 10 + y

    assert run(swap, 1, 2) == 21


def test_array_broadcast_arith():
    def arr(A: Int(5)[4, 3], B: Int(5)[3]) -> Int(6)[4, 3]:
        return A + B

    A = RNG.integers(-16, 16, (4, 3)).astype(np.int8)
    B = RNG.integers(-16, 16, (3,)).astype(np.int8)
    np.testing.assert_array_equal(run(arr, A, B), A + B)


def test_bit_operations():
    def bits(x: uint32) -> uint32:
        y: uint32 = x
        y[0:4] = 5
        y[31] = 1
        z = x[28:32] + x[3]
        return y + z

    for x in (0xABCD0123, 0, 0xFFFFFFFF, 0x12345678):
        y = (x & ~0xF) | 5 | (1 << 31)
        z = (x >> 28) + ((x >> 3) & 1)
        assert run(bits, x) == (y + z) & 0xFFFFFFFF


def test_bit_reverse_and_bitcast():
    def rev(x: uint8) -> uint8:
        return x.reverse()

    def bc(x: float32) -> uint32:
        return x.bitcast()

    assert run(rev, 0b00000110) == 0b01100000
    assert run(bc, 1.0) == 0x3F800000


def test_fixed_point_arith():
    def fx(A: Fixed(8, 3)[4], B: Fixed(12, 6)[4]) -> Fixed(20, 9)[4]:
        C: Fixed(20, 9)[4]
        for i in range(4):
            C[i] = A[i] * B[i]
        return C

    A = np.array([1.5, -2.25, 3.875, -16.0])
    B = np.array([0.5, 1.015625, -7.5, 31.984375])
    np.testing.assert_array_equal(run(fx, A, B), A * B)


def test_fixed_shifts():
    def sh(a: Fixed(8, 3)) -> (Fixed(8, 3), Fixed(8, 3)):
        return a << 2, a >> 2

    left, right = run(sh, 5.375)
    assert (left, right) == (-10.5, 1.25)


def test_float_to_int_truncates_and_wraps():
    def f2i(a: float32) -> int8:
        b: int8 = a
        return b

    assert run(f2i, 300.7) == 44
    assert run(f2i, -1.9) == -1


def test_unsigned_compare_and_shift():
    def ucmp(a: uint32, b: uint32) -> (abool, uint32):
        return a > b, a >> 4

    lt, sh = run(ucmp, 0xFFFFFFFF, 1)
    assert lt is True or lt == 1
    assert sh == 0x0FFFFFFF


def test_index_shift_and_literal_left_forms():
    def lits(v: int32) -> int32:
        return (1 + v) + (6 // v) + (6 % v) + (1 << v) + (64 >> v) + (1 & v) + (1 | v)

    v = 3
    assert run(lits, v) == (1 + v) + 6 // v + 6 % v + (1 << v) + (64 >> v) + (1 & v) + (1 | v)


def test_nested_function():
    def outer(A: int32[4]) -> int32[4]:
        def inner(X: int32[4]) -> int32[4]:
            Y: int32[4]
            for i in range(4):
                Y[i] = X[i] + 1
            return Y

        return inner(A)

    s = allo.customize(outer)
    assert "func.func @inner" in str(s.module)
    np.testing.assert_array_equal(s.build()(np.arange(4, dtype=np.int32)), np.arange(1, 5))


def test_global_vars_override():
    def k(A: int32[4]) -> int32[4]:
        B: int32[4]
        for i in range(4):
            B[i] = A[i] + OFFSET  # noqa: F821
        return B

    A = np.arange(4, dtype=np.int32)
    np.testing.assert_array_equal(run(k, A, global_vars={"OFFSET": 5}), A + 5)


def test_list_initialiser_and_memory_space():
    def k(A: int32[2, 2] @ allo.Memory(resource="BRAM", storage_type="RAM_2P")) -> int32[2, 2]:
        B: int32[2, 2] = [[1, 2], [3, 4]]
        for i, j in allo.grid(2, 2):
            B[i, j] += A[i, j]
        return B

    s = allo.customize(k)
    assert "18 : i32" in str(s.module)
    A = np.ones((2, 2), np.int32)
    np.testing.assert_array_equal(s.build()(A), np.array([[2, 3], [4, 5]]))


def test_float16_and_float64():
    def half(a: float16[4]) -> float16[4]:
        b: float16[4]
        for i in range(4):
            b[i] = a[i] * a[i] + 1
        return b

    a = np.array([0.5, 1.5, -2.0, 3.25], np.float16)
    np.testing.assert_array_equal(run(half, a), a * a + np.float16(1))

    def dbl(a: float64) -> float64:
        return a + 0.1

    assert run(dbl, 1.0) == 1.0 + 0.1


def test_locations_on_ops():
    def k(A: int32[4]) -> int32[4]:
        B: int32[4]
        for i in range(4):
            B[i] = A[i] + 1
        return B

    s = allo.customize(k)
    text = s.module.operation.get_asm(enable_debug_info=True)
    assert __file__ in text
