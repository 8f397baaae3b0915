"""language.md §14 conformance checklist: the items no other test file asserts in the spec's
exact spelling. Each test names its checklist line; results are checked against numpy/Python."""

import math
import sys

import numpy as np
import pytest

import allo
import allo.ir.types as T
from allo.ir.types import (ConstExpr, Fixed, Int, Stateful, UFixed, UInt, bfloat16, float16,
                           float32, float64, index, int8, int32, uint8, uint16, uint32)


def run(fn, *args, **kw):
    return allo.customize(fn, **kw).build()(*args)


# --- Types (P0) ---------------------------------------------------------------------------

def test_types_every_predefined_name_and_spelling():
    widths = list(range(1, 17)) + [32, 64, 128, 256, 512]
    for w in widths:
        assert getattr(T, f"int{w}") == Int(w) and str(getattr(T, f"int{w}")) == f"i{w}"
        assert getattr(T, f"uint{w}") == UInt(w) and str(getattr(T, f"uint{w}")) == f"ui{w}"
        assert getattr(T, f"int{w}").bits == w and getattr(T, f"uint{w}").fracs == 0
    spellings = {T.float16: ("f16", 16, 10), T.bfloat16: ("bf16", 16, 7),
                 T.float32: ("f32", 32, 23), T.float64: ("f64", 64, 52)}
    for t, (name, bits, fracs) in spellings.items():
        assert str(t) == t.name == name and (t.bits, t.fracs) == (bits, fracs)
        assert t.exponent == bits - fracs - 1
    assert str(T.index) == "index" and T.index.bits == 32 and T.index == T.Index()
    assert str(Fixed(8, 3)) == "fixed(8, 3)" and str(UFixed(8, 3)) == "ufixed(8, 3)"
    assert T.bool == T.uint1 and T.bool != T.int1
    for name in ("Int", "UInt", "Index", "Float", "Fixed", "UFixed", "Struct", "Stream",
                 "AlloType", "TypeAnnotation", "ConstExpr", "Stateful",
                 "allo_type_from_mlir_type"):
        assert hasattr(T, name), name


def test_types_pairwise_inequality_over_many_widths():
    seen = []
    for w in range(2, 65):
        seen += [Int(w), UInt(w), Fixed(w, 1), UFixed(w, 1)]
    assert len(set(seen)) == len(seen)
    for a in seen[:40]:
        for b in seen[:40]:
            assert (a == b) == (a is b or (a.name == b.name))


def test_uint17_plus_uint17_is_uint18():
    def k(a: UInt(17), b: UInt(17)) -> UInt(18):
        c = a + b
        return c

    s = allo.customize(k)
    assert "i18" in str(s.module)
    top = (1 << 17) - 1
    assert s.build()(top, top) == 2 * top


def test_f16_and_bf16_in_ir_and_at_the_boundary():
    ml_dtypes = pytest.importorskip("ml_dtypes")

    def k(a: float16[3], b: bfloat16[3]) -> (float16[3], bfloat16[3]):
        c: float16[3]
        d: bfloat16[3]
        for i in range(3):
            c[i] = a[i] * 2.0
            d[i] = b[i] + b[i]
        return c, d

    s = allo.customize(k)
    text = str(s.module)
    assert "memref<3xf16>" in text and "memref<3xbf16>" in text
    a = np.array([0.5, -1.25, 3.0], np.float16)
    b = np.array([1.5, -2.0, 0.25], ml_dtypes.bfloat16)
    c, d = s.build()(a, b)
    assert c.dtype == np.float16 and d.dtype == ml_dtypes.bfloat16
    np.testing.assert_array_equal(c, a * np.float16(2))
    np.testing.assert_array_equal(d.astype(np.float32), b.astype(np.float32) * 2)


# --- Annotations (P0) ---------------------------------------------------------------------

def test_int32_matrix_result_and_shape_expressions():
    M, N, B = 3, 4, 2  # noqa: F841 - read by the frontend from this frame

    def k(A: int32[((M + 1) * 2) // 2, N * B]) -> Int(32)[32, 32]:
        R: Int(32)[32, 32] = 0
        for i, j in allo.grid(M + 1, N * B):
            R[i, j] = A[i, j]
        return R

    s = allo.customize(k)
    assert "memref<4x8xi32>" in str(s.module) and "memref<32x32xi32>" in str(s.module)
    A = np.arange(32, dtype=np.int32).reshape(4, 8)
    out = s.build()(A)
    assert out.shape == (32, 32) and out.dtype == np.int32
    np.testing.assert_array_equal(out[:4, :8], A)
    assert not out[4:].any() and not out[:, 8:].any()


def test_string_annotations():
    def k(A: "int32[4]", b: "int8") -> "int32[4]":
        C: int32[4]
        for i in range(4):
            C[i] = A[i] * b
        return C

    A = np.arange(4, dtype=np.int32)
    np.testing.assert_array_equal(run(k, A, -3), A * -3)


def test_dynamic_1d_parameter():
    def k(A: float32[...], n: index) -> float32:
        s: float32 = 0.0
        for i in range(n):
            s += A[i]
        return s

    s = allo.customize(k)
    assert "memref<?xf32>" in str(s.module)
    A = np.arange(7, dtype=np.float32)
    assert s.build()(A, 7) == float(A.sum())


def test_memory_bram_ram_2p_is_space_18():
    def k(A: int32[64] @ allo.Memory(resource="BRAM", storage_type="RAM_2P")) -> int32[64]:
        B: int32[64]
        for i in range(64):
            B[i] = A[i] + 1
        return B

    s = allo.customize(k)
    assert "memref<64xi32, 18 : i32>" in str(s.module)
    A = np.arange(64, dtype=np.int32)
    np.testing.assert_array_equal(s.build()(A), A + 1)


# --- Declarations (P0/P1) ----------------------------------------------------------------

NP_CONST = np.arange(12, dtype=np.int32).reshape(3, 4) * 7 - 20
NP_CUBE = np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 5


def test_numpy_initialiser_rows_and_slices_of_3d_constants():
    def k(A: int32[4]) -> (int32[4], int32[3, 4], int8[3, 4]):
        row: int32[4] = NP_CONST[1]
        plane: int32[3, 4] = NP_CUBE[1]
        narrow: int8[3, 4] = NP_CUBE[0, :, :] * 1
        for i in range(4):
            row[i] += A[i]
        return row, plane, narrow

    A = np.arange(4, dtype=np.int32)
    row, plane, narrow = run(k, A)
    np.testing.assert_array_equal(row, NP_CONST[1] + A)
    np.testing.assert_array_equal(plane, NP_CUBE[1])
    np.testing.assert_array_equal(narrow, NP_CUBE[0].astype(np.int8))


def test_numpy_initialiser_two_dim_slice_of_a_3d_constant():
    def k() -> int32[2, 2]:
        sub: int32[2, 2] = NP_CUBE[1, 0:2, 1:3]
        return sub

    np.testing.assert_array_equal(run(k), NP_CUBE[1, 0:2, 1:3])


def test_uninitialised_and_initialised_scalars_and_alloc_brackets():
    def k(a: int32) -> int32:
        x: int32
        y: int32 = 5
        x = a * 2
        return x + y

    s = allo.customize(k)
    text = str(s.module)
    assert "%alloc[]" in text and 'name = "x"' in text and 'name = "y"' in text
    assert s.build()(4) == 13


def test_redeclaration_is_assignment_and_type_mismatch_raises():
    def ok(a: int32) -> int32:
        x: int32 = 1
        x: int32 = a + 1
        return x

    assert run(ok, 4) == 5

    def bad(a: int32) -> int32:
        x: int32 = 1
        x: float32 = 2.0
        return x

    with pytest.raises(allo.AlloTypeError, match="Invalid assignment to x, type mismatch"):
        allo.customize(bad)


# --- Control (P0/P1) ---------------------------------------------------------------------

def test_range_one_two_three_args_affine_and_runtime():
    def k(A: int32[12], n: index, st: index) -> int32[12]:
        for i in range(3):
            A[i] += 1
        for i in range(4, 6):
            A[i] += 2
        for i in range(6, 12, 2):
            A[i] += 4
        for i in range(2):
            for j in range(i * 2, 5):
                A[j] += 10
        for i in range(0, n, st):
            A[i] += 100
        return A

    s = allo.customize(k)
    text = str(s.module)
    assert "affine.for" in text and "scf.for" in text
    A = np.zeros(12, np.int32)
    ref = A.copy()
    ref[0:3] += 1
    ref[4:6] += 2
    ref[6:12:2] += 4
    for i in range(2):
        ref[i * 2:5] += 10
    ref[0:9:3] += 100
    np.testing.assert_array_equal(s.build()(A, 9, 3), ref)


def test_while_on_an_index_counter():
    def k(A: int32[8]) -> int32:
        i: index = 0
        s: int32 = 0
        while i < 8:
            s += A[i]
            i += 2
        return s

    s = allo.customize(k)
    assert "scf.while" in str(s.module)
    A = np.arange(8, dtype=np.int32) * 3
    assert s.build()(A) == A[::2].sum()


def test_mixed_type_ternary():
    def k(f: float32, i: int32, u: uint8) -> (float32, int32):
        a = f if f > 0.0 else i
        b = u if i > 0 else i
        return a, b

    assert list(run(k, -1.5, -3, 200)) == [-3.0, -3]
    assert list(run(k, 2.5, 4, 200)) == [2.5, 200]


def test_negative_step_error():
    def k(A: int32[8]):
        for i in range(7, 0, -1):
            A[i] = 0

    with pytest.raises(allo.AlloSyntaxError,
                       match="Step in for loop range should be positive, got: -1"):
        allo.customize(k)


def test_the_four_scope_errors():
    def after_block(A: int32[4]) -> int32:
        for i in range(4):
            tmp: int32 = A[i]
        return tmp

    def shadow(A: int32[4]):
        for A in range(4):
            pass

    def arg_conflict(A: int32[4]):
        def inner(A: int32[4]):
            pass

    def name_conflict(A: int32[4]):
        def A(x: int32[4]):
            pass

    cases = [(after_block, "name 'tmp' is not defined in this scope"),
             (shadow, "Please choose a different name for the loop iterator"),
             (arg_conflict, "Argument name 'A' conflicts with an existing symbol"),
             (name_conflict, "Function name 'A' conflicts with an existing symbol")]
    for fn, fragment in cases:
        with pytest.raises(allo.AlloSyntaxError) as info:
            allo.customize(fn)
        assert fragment in str(info.value), str(info.value)


def test_none_returning_forms_and_missing_return_errors():
    def plain(A: int32[2]):
        A[0] = 1

    def arrow_none(A: int32[2]) -> None:
        A[1] = 2
        return

    def returns_none(A: int32[2]) -> None:
        A[0] += 3
        return None

    A = np.zeros(2, np.int32)
    for fn in (plain, arrow_none, returns_none):
        assert run(fn, A) is None
    np.testing.assert_array_equal(A, [4, 2])

    def missing(A: int32[2]) -> int32:
        A[0] = 1

    def bare(A: int32[2]) -> int32:
        return

    def undeclared(A: int32[2]):
        return A[0]

    for fn, fragment in ((missing, "Missing return statement"),
                         (bare, "Mismatch in function signature"),
                         (undeclared, "Return value should have a dtype in function signature")):
        with pytest.raises(allo.AlloTypeError, match=fragment):
            allo.customize(fn)


# --- Operators (P0/P1) --------------------------------------------------------------------

def test_literal_left_forms():
    def k(v: int32) -> (int32, int32, int32, int32, int32, int32, int32):
        return 1 + v, 6 // v, 6 % v, 1 << v, 64 >> v, 1 & v, 1 | v

    for v in (1, 2, 3, 5):
        assert list(run(k, v)) == [1 + v, 6 // v, 6 % v, 1 << v, 64 >> v, 1 & v, 1 | v]
    # C remainder vs Python floor division with a negative divisor
    assert list(run(k, -4))[1:3] == [6 // -4, 2]


def test_fixed_shifts_wrap_and_scale():
    def k(x: Fixed(8, 3)) -> (Fixed(8, 3), Fixed(8, 3)):
        return x << 2, x >> 2

    assert list(run(k, 5.375)) == [-10.5, 1.25]


@pytest.mark.parametrize("f", range(1, 20))
def test_index_and_float_to_and_from_fixed32(f):
    fx, ufx = Fixed(32, f), UFixed(32, f)

    def k(i: index, x: float32) -> (float32, float32, index, index, float32):
        a: fx = i
        b: ufx = x
        c: fx = -x
        back_a: index = a
        back_b: index = b
        return a + 0.0, b + 0.0, back_a, back_b, c + 0.0

    v = 3.3
    q = math.floor(float(np.float32(v)) * 2**f) / 2**f
    qn = math.floor(-float(np.float32(v)) * 2**f) / 2**f
    out = run(k, 9, v, global_vars={"fx": fx, "ufx": ufx, "index": index, "float32": float32})
    assert out[0] == 9 and out[1] == np.float32(q) and out[2] == 9 and out[3] == 3
    assert out[4] == np.float32(qn)


def test_c_division_remainder_and_floor_division():
    def k(a: int32, b: int32) -> (int32, int32, int32):
        return a / b, a % b, a // b

    for a, b in ((-7, 3), (7, -3), (-7, -3), (7, 3)):
        assert list(run(k, a, b)) == [int(a / b), int(math.fmod(a, b)), a // b]


# --- Bits (P1) ----------------------------------------------------------------------------

def test_bit_slices_of_constants_and_expressions():
    def k(a: uint32, x: int32) -> (UInt(4), UInt(20), bool, UInt(2), uint32):
        r: uint32 = a
        return a[28:32], a[4:24], (x + 1)[0], (x + 1)[0:2], r.reverse()

    a = 0xABCD0123
    out = run(k, a, 6)
    assert list(out[:4]) == [0xA, 0xCD012, 1, 3]
    assert out[4] == int(f"{a:032b}"[::-1], 2)


def test_set_bit_and_slice_on_a_local():
    def k(v: uint8) -> uint16:
        y: uint16 = 0
        y[3] = 1
        y[8:16] = v
        y[0:2] += 3
        return y

    assert run(k, 0xA5) == (0xA5 << 8) | 0b1011


# --- Builtins (P1) ------------------------------------------------------------------------

def test_min_max_on_int8_int32_float32():
    def k(a: int8, b: int8, c: int32, d: int32, e: float32, g: float32) -> (
            int8, int8, int32, int32, float32, float32, float32):
        return min(a, b), max(a, b), min(c, d), max(c, d), min(e, g), max(e, g), max(a, e)

    assert list(run(k, -5, 7, -100, 100, 1.5, -2.5)) == [-5, 7, -100, 100, -2.5, 1.5, 1.5]


@pytest.mark.parametrize("dtype", [float32, float64])
def test_math_functions_on_float32_and_float64(dtype):
    npt = np.float32 if dtype == float32 else np.float64

    def k(x: dtype) -> (dtype, dtype, dtype, dtype, dtype, dtype, dtype, dtype, dtype):
        return (allo.exp(x), allo.log(x), allo.sqrt(x), allo.sin(x), allo.cos(x), allo.tan(x),
                allo.tanh(x), allo.power(x, 3.0), abs(-x))

    x = npt(0.7)
    ref = [np.exp(x), np.log(x), np.sqrt(x), np.sin(x), np.cos(x), np.tan(x), np.tanh(x),
           np.power(x, npt(3.0)), x]
    out = run(k, x, global_vars={"dtype": dtype, "allo": allo, "abs": abs})
    np.testing.assert_allclose(np.array(out, dtype=npt), np.array(ref, dtype=npt),
                               rtol=1e-6 if dtype == float32 else 1e-12)


# --- Arrays (P1) --------------------------------------------------------------------------

def test_static_and_runtime_partial_indexing_and_slice_stores():
    def k(A: int32[4, 6], r: index) -> (int32[6], int32[6], int32[4, 6]):
        a: int32[6] = A[2]
        b: int32[6] = A[r]
        B: int32[4, 6] = 0
        B[1:3, 0:4] = A[0:2, 2:6]
        B[3, :] = 9
        return a, b, B

    A = np.arange(24, dtype=np.int32).reshape(4, 6)
    a, b, B = run(k, A, 1)
    ref = np.zeros((4, 6), np.int32)
    ref[1:3, 0:4] = A[0:2, 2:6]
    ref[3, :] = 9
    np.testing.assert_array_equal(a, A[2])
    np.testing.assert_array_equal(b, A[1])
    np.testing.assert_array_equal(B, ref)


def test_nested_elementwise_builtins_with_scalars_and_transposes():
    def k(A: float32[3, 4], B: float32[4]) -> (float32[3, 4], float32[4, 3], float32[4, 3]):
        C = allo.add(allo.mul(A, 2.0), allo.div(allo.sub(B, 1.0), 4.0))
        return C, A.T, allo.transpose(A, (1, 0))

    A = np.arange(12, dtype=np.float32).reshape(3, 4)
    B = np.arange(4, dtype=np.float32) + 0.5
    C, AT, AT2 = run(k, A, B)
    np.testing.assert_array_equal(C, A * 2 + (B - 1) / 4)
    np.testing.assert_array_equal(AT, A.T)
    np.testing.assert_array_equal(AT2, A.T)


def test_bmm_rejects_non_3d_inputs():
    def k(A: float32[4, 4], B: float32[4, 4]) -> float32[4, 4]:
        return allo.bmm(A, B)

    with pytest.raises(allo.AlloTypeError,
                       match="Only support batch matrix multiplication of two 3D inputs"):
        allo.customize(k)


def test_enable_tensor_variants_compute_the_same_results():
    def k(A: float32[4, 4], B: float32[4, 4]) -> float32[4, 4]:
        C = allo.matmul(A, B)
        D = C + A
        E = allo.relu(D)
        return E

    s = allo.customize(k, enable_tensor=True)
    A = np.arange(16, dtype=np.float32).reshape(4, 4) / 8 - 1
    B = np.eye(4, dtype=np.float32) * 3
    np.testing.assert_allclose(s.build()(A, B), np.maximum(A @ B + A, 0), rtol=1e-6)


def test_enable_tensor_refuses_stores_into_existing_arrays():
    def store(A: float32[4]) -> float32[4]:
        B: float32[4] = A
        B[0] = 1.0
        return B

    def overwrite(A: float32[4], C: float32[4]) -> float32[4]:
        B: float32[4] = A
        B = C
        return B

    for kernel in (store, overwrite):
        with pytest.raises(allo.AlloSyntaxError,
                           match="MLIR tensors are immutable data structures") as info:
            allo.customize(kernel, enable_tensor=True)
        assert "test_language_checklist.py" in str(info.value)  # the user's line
        allo.customize(kernel)  # stores are fine without enable_tensor

    from allo.library import nn

    def uses_library(X: float32[2, 3], W: float32[4, 3], b: float32[4]) -> float32[2, 4]:
        return nn.linear2d[float32, float32, float32, 2, 4, 3](X, W, b)

    X, W, b = np.ones((2, 3), np.float32), np.ones((4, 3), np.float32), np.ones(4, np.float32)
    # a library kernel keeps its loops: only the user's own stores are refused
    out = allo.customize(uses_library, enable_tensor=True).build()(X, W, b)
    np.testing.assert_array_equal(out, np.full((2, 4), 4, np.float32))


def test_enable_tensor_builds_tensor_ir():
    def k(A: float32[4, 4], B: float32[4, 4]) -> float32[4, 4]:
        C = allo.matmul(A, B)
        return C

    assert "tensor<4x4xf32>" in str(allo.customize(k, enable_tensor=True).module)


# --- Functions and templates (P0) ---------------------------------------------------------

def test_nested_callees_and_scalar_array_results():
    def sq(x: int32) -> int32:
        return x * x

    def rowsq(R: int32[4]) -> int32[4]:
        O: int32[4]
        for j in range(4):
            O[j] = sq(R[j])
        return O

    def top(A: int32[2, 4]) -> (int32[2, 4], int32):
        O: int32[2, 4]
        for i in range(2):
            O[i] = rowsq(A[i])
        return O, sq(A[1, 3])

    A = np.arange(8, dtype=np.int32).reshape(2, 4) - 3
    O, t = run(top, A)
    np.testing.assert_array_equal(O, A * A)
    assert t == A[1, 3] ** 2


def _pep695_kernels():
    if sys.version_info < (3, 12):
        pytest.skip("PEP 695 needs Python 3.12")
    import importlib.util
    import pathlib

    spec = importlib.util.spec_from_file_location(
        "kernels_pep695_checklist", pathlib.Path(__file__).with_name("kernels_pep695_checklist.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_template_expression_arguments_several_tops_and_bits():
    K = _pep695_kernels()
    A = np.arange(6, dtype=np.int16) - 2
    s = allo.customize(K.generic_tops_a)
    assert "memref<6xi16>" in str(s.module)
    np.testing.assert_array_equal(s.build()(A), A * 2)
    B = np.arange(10, dtype=np.int32) - 5
    s = allo.customize(K.generic_tops_b)
    assert "func.func @generic_scale_b(" in str(s.module)
    np.testing.assert_array_equal(s.build()(B), B * 2)
    s = allo.customize(K.generic_scale, instantiate=[int8, 3])
    assert "memref<4xi8>" in str(s.module)
    s = allo.customize(K.bits_of_template, instantiate=[int8, 3])
    assert "memref<3xi16>" in str(s.module)
    np.testing.assert_array_equal(s.build()(np.array([1, -2, 127], np.int8)), [9, 6, 135])
    np.testing.assert_array_equal(allo.customize(K.fixed_arg_top).build()(
        np.array([1, -3, 7, 0], np.int32)), [2, -6, 14, 0])


# --- Compile time and state (P1) ----------------------------------------------------------

def test_nested_meta_if_elif_else():
    def pick(A: int32[4], flag: int32) -> int32[4]:
        B: int32[4] = 0
        with allo.meta_for(3) as m:
            with allo.meta_if(m == 0):
                with allo.meta_if(flag_const > 1):
                    B[m] = 10
                with allo.meta_else():
                    B[m] = 20
            with allo.meta_elif(m == 1):
                B[m] = A[m] + 1
            with allo.meta_else():
                B[m] = -1
        return B

    flag_const = 5  # noqa: F841 - compile-time name seen by the kernel
    A = np.arange(4, dtype=np.int32)
    np.testing.assert_array_equal(run(pick, A, 0), [10, 2, -1, 0])


def test_constexpr_loop_bound_and_constant():
    def k(A: int32[8]) -> int32[8]:
        n: ConstExpr[int32] = 5
        six: ConstExpr[int32] = n + 1
        for i in range(n):
            A[i] = six
        return A

    s = allo.customize(k)
    text = str(s.module)
    assert "to 5" in text and "scf.for" not in text and "constant 6" in text
    np.testing.assert_array_equal(s.build()(np.zeros(8, np.int32)), [6] * 5 + [0] * 3)

    def missing(A: int32[4]):
        n: ConstExpr[int32]
        A[0] = n

    with pytest.raises(allo.AlloSyntaxError, match="ConstExpr variable 'n' must be initialized"):
        allo.customize(missing)


def crc32_reference(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            mask = -(crc & 1) & 0xFFFFFFFF
            crc = (crc >> 1) ^ (0xEDB88320 & mask)
    return crc ^ 0xFFFFFFFF


def test_stateful_crc32_with_unary_minus():
    def crc(byte: uint8) -> uint32:
        state: uint32 @ Stateful = 0xFFFFFFFF
        state = state ^ byte
        for k in range(8):
            mask: uint32 = -(state & 1)
            state = (state >> 1) ^ (0xEDB88320 & mask)
        return state ^ 0xFFFFFFFF

    mod = allo.customize(crc).build()
    data = b"hello, crc"
    outs = [mod(b) for b in data]
    assert outs[-1] == crc32_reference(data)
    import zlib
    assert outs[-1] == zlib.crc32(data)


def test_stateful_counter_with_reset_flag():
    def counter(rst: bool) -> int32:
        c: int32 @ Stateful = 0
        if rst:
            c = 0
        else:
            c += 1
        return c

    mod = allo.customize(counter).build()
    assert [mod(False), mod(False), mod(True), mod(False)] == [1, 2, 0, 1]


# --- Errors (P0) --------------------------------------------------------------------------

def test_each_error_class_of_the_catalogue():
    def unknown_type(a: "Undefined") -> int32:
        return 0

    def bad_syntax(A: int32[4]):
        for i in range(4):
            break

    with pytest.raises(allo.AlloTypeError, match="Unsupported type `Undefined`"):
        allo.customize(unknown_type)
    with pytest.raises(allo.AlloSyntaxError, match='Unsupported node "Break"'):
        allo.customize(bad_syntax)
    with pytest.raises(allo.DTypeError, match="Bitwidth must be an integer."):
        Int(2.5)
    with pytest.raises(allo.DTypeError, match="Only support bfloat16, float16, float32 and float64"):
        T.Float(24, 8)
    assert issubclass(allo.AlloTypeError, TypeError) and issubclass(allo.DTypeError, TypeError)


def test_uncaught_frontend_error_exits_with_line_and_source(tmp_path):
    import subprocess
    import textwrap

    script = tmp_path / "user_kernel.py"
    script.write_text(textwrap.dedent("""\
        import allo
        from allo.ir.types import int32

        def k(A: int32[4]):
            for i in range(4):
                A[i] = undefined_name + 1

        allo.customize(k)
    """))
    import os
    import pathlib

    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(allo.__file__).parents[1]))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 1, proc.stderr
    assert "Line: 6" in proc.stderr and "A[i] = undefined_name + 1" in proc.stderr, proc.stderr
    assert str(script) in proc.stderr and "AlloSyntaxError" in proc.stderr


def test_frontend_error_caught_as_systemexit_and_alloerror():
    def bad(A: int32[4]):
        A[0] = nothing_here  # noqa: F821

    for cls in (SystemExit, allo.AlloError, allo.FrontendError):
        try:
            allo.customize(bad)
        except cls as e:  # noqa: PERF203
            assert "Line: " in str(e) and "A[0] = nothing_here" in str(e)
        else:
            raise AssertionError("no error raised")


G_FILL = 9


def test_list_initialiser_with_a_global_and_shape_mismatch():
    def k(A: int32[2, 2]) -> int32[2, 2]:
        B: int32[2, 2] = [[1, 2], [3, G_FILL]]
        for i, j in allo.grid(2, 2):
            B[i, j] += A[i, j]
        return B

    A = np.ones((2, 2), np.int32)
    np.testing.assert_array_equal(run(k, A), [[2, 3], [4, 10]])

    def bad() -> int32[2, 2]:
        B: int32[2, 2] = [[1, 2, 3], [4, 5, 6]]
        return B

    with pytest.raises(allo.AlloTypeError, match=r"Shape mismatch, got \(2, 3\) and \(2, 2\)"):
        allo.customize(bad)


def test_index_shifts_and_bitwise_with_each_operand_type():
    def k(n: index, m: index, a: int32, u: uint32) -> (int32, int32, int32, int32, int32, int32):
        return n << a, n >> u, n << m, a & n, u | m, n ^ m

    n, m, a, u = 12, 2, 3, 1
    assert list(run(k, n, m, a, u)) == [n << a, n >> u, n << m, a & n, u | m, n ^ m]


def test_reduction_up_to_4d():
    def k(A: int32[2, 3, 2, 2]) -> int32:
        s: int32 = 0
        for a, b, c, d in allo.reduction(2, 3, 2, 2):
            s += A[a, b, c, d]
        return s

    text = str(allo.customize(k).module)
    assert text.count("reduction") >= 4
    A = np.arange(24, dtype=np.int32).reshape(2, 3, 2, 2) - 7
    assert run(k, A) == A.sum()


def _assign_broadcast(A: int32[4, 3], B: int32[3]):
    B = A  # noqa: F841 - the error under test


def _negative_slice_step(A: int32[8]) -> int32[4]:
    return A[6:0:-2]


def _constexpr_array(A: int32[4]):
    n: ConstExpr[int32[4]] = 1
    A[0] = 1


def _constexpr_eval_fails(A: int32[4]):
    n: ConstExpr[int32] = 1 // 0
    A[0] = n


def _unmatched_elif(A: int32[4]):
    with allo.meta_elif(True):
        A[0] = 1


def _stateful_param(p: int32 @ Stateful) -> int32:
    return p


def _stateful_runtime_init(x: int32) -> int32:
    v: int32 @ Stateful = x
    return v


@pytest.mark.parametrize("fn, cls, fragment", [
    (_assign_broadcast, allo.AlloTypeError, "Cannot broadcast (4, 3) to (3,)"),
    (_negative_slice_step, allo.AlloTypeError, "Unsupported negative step"),
    (_constexpr_array, allo.AlloTypeError, "ConstExpr only supports scalar types"),
    (_constexpr_eval_fails, allo.AlloSyntaxError, "Failed to evaluate ConstExpr 'n'"),
    (_unmatched_elif, allo.AlloSyntaxError, "Unmatched allo.meta_elif()"),
    (_stateful_param, allo.FrontendError, "Function parameter 'p' cannot be Stateful"),
    (_stateful_runtime_init, allo.FrontendError,
     "Stateful variable 'v' must be initialized with a compile-time constant"),
])
def test_catalogue_messages_not_asserted_elsewhere(fn, cls, fragment):
    with pytest.raises(cls) as info:
        allo.customize(fn)
    err = info.value
    assert fragment in str(err), str(err)
    assert err.filename == __file__ and f"Line: {err.lineno}" in str(err)


def test_assignment_to_a_scalar_parameter_acts_on_a_local_copy():
    def k(q: int32, A: int32[2]) -> int32:
        q = q + 5
        A[0] = q
        return q

    A = np.zeros(2, np.int32)
    assert run(k, 3, A) == 8 and A[0] == 8


def _k_raise(A: int32[4]):
    raise ValueError("no")


def _k_assert(A: int32[4]):
    assert A[0] > 0


def _k_import(A: int32[4]):
    import math as m  # noqa: F401


def _k_import_from(A: int32[4]):
    from math import cos  # noqa: F401


def _k_del(A: int32[4]):
    x: int32 = 1
    del x


def _k_yield(A: int32[4]):
    yield A[0]


def _k_fstring(A: int32[4]):
    s = f"{A[0]}"  # noqa: F841


def _k_match(A: int32[4]):
    match A[0]:
        case 1:
            A[1] = 2


def _k_starred(A: int32[4]):
    _starred_callee(*A)


def _starred_callee(a: int32):
    pass


def _k_setcomp(A: int32[4]):
    s = {x for x in range(3)}  # noqa: F841


def _k_while_else(A: int32[4]):
    i: index = 0
    while i < 4:
        i += 1
    else:
        A[0] = 1


@pytest.mark.parametrize("fn, fragment", [
    (_k_raise, 'Unsupported node "Raise"'),
    (_k_assert, 'Unsupported node "Assert"'),
    (_k_import, 'Unsupported node "Import"'),
    (_k_import_from, 'Unsupported node "ImportFrom"'),
    (_k_del, 'Unsupported node "Delete"'),
    (_k_yield, 'Unsupported node "Yield"'),
    (_k_fstring, 'Unsupported node "JoinedStr"'),
    (_k_match, 'Unsupported node "Match"'),
    (_k_starred, 'Unsupported node "Starred"'),
    (_k_setcomp, 'Unsupported node "SetComp"'),
    (_k_while_else, "'else' clause for 'while' not supported in Allo kernels"),
])
def test_unsupported_constructs_of_section_3_7(fn, fragment):
    with pytest.raises(allo.AlloSyntaxError) as info:
        allo.customize(fn)
    err = info.value
    assert fragment in str(err), str(err)
    assert err.filename == __file__ and f"Line: {err.lineno}" in str(err)


def _k_yield_from(A: int32[4]):
    yield from range(3)


def test_yield_from_is_an_unsupported_node():
    with pytest.raises(allo.AlloSyntaxError, match='Unsupported node "YieldFrom"'):
        allo.customize(_k_yield_from)


# --- §5.3 worked examples ("tests check these"): the type a new name takes from each row ---

WORKED_EXAMPLES = [
    ("int8", "int8", "a + b", "i9"),
    ("int32", "int32", "a + b", "i33"),
    ("int32", "int32", "a + 1", "i33"),
    ("int8", "uint8", "a + b", "i10"),
    ("uint8", "uint8", "a + b", "ui9"),
    ("UInt(17)", "UInt(17)", "a + b", "ui18"),
    ("int32", "index", "a + b", "i34"),
    ("index", "index", "a + b", "index"),
    ("int32", "index", "a * b", "i64"),
    ("int8", "int8", "a * b", "i16"),
    ("int8", "uint8", "a * b", "i16"),
    ("UInt(4)", "UInt(4)", "a * b", "ui8"),
    ("Fixed(8, 3)", "Fixed(12, 6)", "a + b", "fixed(13, 6)"),
    ("Fixed(8, 3)", "Fixed(12, 6)", "a * b", "fixed(20, 9)"),
    ("Fixed(8, 3)", "int8", "a + b", "fixed(12, 3)"),
    ("UFixed(8, 4)", "Int(4)", "a + b", "fixed(10, 4)"),
    ("Fixed(8, 3)", "Fixed(12, 6)", "a / b", "fixed(20, 9)"),
    ("Fixed(8, 3)", "int8", "a / b", "fixed(16, 11)"),
    ("int8", "Fixed(12, 6)", "a / b", "fixed(20, 6)"),
    ("int32", "int32", "a / b", "i32"),
    ("int8", "int32", "a / b", "i32"),
    ("int32", "uint32", "a / b", "i33"),
    ("uint8", "int8", "a % b", "i9"),
    ("float32", "int32", "a * b", "f32"),
    ("int64", "float32", "a + b", "f32"),
    ("float16", "int32", "a + 1", "f16"),
    ("float16", "int32", "a + 1.0", "f32"),
    ("int32", "int32", "a ** b", "f32"),
    ("int64", "int8", "a ** b", "f64"),
    ("float32", "int32", "a if a > 0.0 else b", "f32"),
    ("uint1", "uint1", "a ^ b", "ui1"),
    ("int8", "uint16", "a & b", "i16"),
    ("int8", "int32", "a << b", "i8"),
    ("uint8", "int32", "-a", "i9"),
    ("int32", "int32", "a > b", "ui1"),
]


def _declared_type_of_y(text: str) -> str:
    import re

    line = next(ln for ln in text.splitlines() if 'name = "y"' in ln and "memref.alloc" in ln)
    tagged = re.search(r'allo.type = "([^"]+)"', line)
    if tagged:
        return tagged.group(1)
    return re.search(r"memref<(?:\d+x)*([a-z0-9]+)>", line).group(1)


@pytest.mark.parametrize("ta, tb, expr, expected", WORKED_EXAMPLES)
def test_worked_typing_examples(ta, tb, expr, expected):
    src = f"def k(a: {ta}, b: {tb}):\n    y = {expr}\n"
    names = {name: getattr(T, name) for name in dir(T) if not name.startswith("_")}
    s = allo.customize(src, global_vars=names)
    text = str(s.module)
    assert _declared_type_of_y(text) == expected, text
    if "if" in expr:
        assert "arith.sitofp" in text


def test_worked_example_uint32_compared_with_int32_in_int33():
    names = {name: getattr(T, name) for name in dir(T) if not name.startswith("_")}
    s = allo.customize("def k(a: uint32, b: int32) -> bool:\n    return a < b\n",
                       global_vars=names)
    text = str(s.module)
    assert "arith.extui" in text and "arith.cmpi slt" in text and "i33" in text
    mod = s.build()
    assert not mod(0xFFFFFFFF, -1) and mod(3, 4) and not mod(5, -7)


def test_worked_example_int5_arrays_sum_to_int6():
    names = {name: getattr(T, name) for name in dir(T) if not name.startswith("_")}
    s = allo.customize("def k(A: Int(5)[4], B: Int(5)[4]):\n    y = A + B\n", global_vars=names)
    assert "memref<4xi6>" in str(s.module)
