"""Dependence legality of reorder on small kernels (legal cases are checked on the CPU)."""

import numpy as np

import allo
from allo.ir.types import Fixed, float32, int8, int16, int32, uint8

from helpers_schedule import assert_cpu_matches, assert_refused
import loop_kernels as K


def diag(A: int32[8, 8]):
    for i, j in allo.grid(7, 7, name="dg"):
        A[i + 1, j + 1] = A[i, j] + 1


def diag_ref(A):
    for i in range(7):
        for j in range(7):
            A[i + 1, j + 1] = A[i, j] + 1


def indirect(A: int32[8], I: int32[8]):
    for i, j in allo.grid(8, 8, name="ind"):
        A[I[j]] += i


def triangle(A: int32[8, 8]):
    for i in range(8, name="tri"):
        for j in range(i, 8):
            A[i, j] += 1


def independent_rows(A: int32[6, 8], B: int32[6, 8]):
    for i, j in allo.grid(6, 8, name="rows"):
        B[i, j] = A[i, j] * 2
    for r, c in allo.grid(6, 8, name="rows2"):
        A[r, c] = B[r, c] + A[r, c]


def test_interchange_legal_for_forward_diagonal_dependence():
    s = allo.customize(diag)  # direction (<, <) stays positive when interchanged
    s.reorder("j", "i")
    assert_cpu_matches(s, diag_ref, K.rand_int((8, 8)))


def test_interchange_refused_for_opaque_indices_and_triangles():
    assert_refused(allo.customize(indirect), allo.DependenceError, "reverse a dependence",
                   "reorder", "j", "i")
    assert_refused(allo.customize(triangle), allo.ScheduleError, "depend on loop i",
                   "reorder", "j", "i")


def test_interchange_of_elementwise_stages():
    s = allo.customize(independent_rows)
    s.reorder("j", "i")
    s.reorder("c", "r")

    def ref(A, B):
        B[:] = A * 2
        A[:] = B + A

    assert_cpu_matches(s, ref, K.rand_int((6, 8)), np.zeros((6, 8), np.int32))


def test_carried_dependence_on_single_loop_split_is_fine():
    s = allo.customize(K.shift)  # A[i] = A[i-1] + B[i]
    s.split("i", 4)
    assert_cpu_matches(s, K.shift_ref, K.rand_int(10), K.rand_int(10, seed=3))


# --------------------------------------------------------------------------- reductions


def sum_all(A: int32[6, 8]) -> int32:
    acc: int32 = 0
    for i, j in allo.grid(6, 8, name="red"):
        acc += A[i, j]
    return acc


def prod_all(A: int16[6, 8]) -> int32:
    acc: int32 = 1
    for i, j in allo.grid(6, 8, name="red"):
        acc *= A[i, j]
    return acc


def sub_all(A: uint8[6, 8]) -> uint8:
    acc: uint8 = 3
    for i, j in allo.grid(6, 8, name="red"):
        acc -= A[i, j]
    return acc


def bits_all(A: int32[6, 8]) -> int32[3]:
    out: int32[3] = 0
    x: int32 = 0
    a: int32 = -1
    o: int32 = 0
    for i, j in allo.grid(6, 8, name="red"):
        x ^= A[i, j]
        a = a & A[i, j]
        o = A[i, j] | o
    out[0] = x
    out[1] = a
    out[2] = o
    return out


def max_min(A: int8[6, 8], U: uint8[6, 8]) -> int32[2]:
    hi: int8 = -128
    lo: uint8 = 255
    for i, j in allo.grid(6, 8, name="red"):
        hi = max(hi, A[i, j])
        lo = min(lo, U[i, j])
    out: int32[2] = 0
    out[0] = hi
    out[1] = lo
    return out


def fixed_sum(A: Fixed(12, 4)[6, 8]) -> Fixed(12, 4):
    acc: Fixed(12, 4) = 0.0
    for i, j in allo.grid(6, 8, name="red"):
        acc += A[i, j]
    return acc


def cube_rows(X: int32[4, 5, 6]) -> int32[4]:
    out: int32[4] = 0
    for r, c, d in allo.grid(4, 5, 6, name="cr"):
        out[r] += X[r, c, d]
    return out


def _wrap_sum_ref(A):
    return A.sum(dtype=A.dtype)


def _rng_ints(shape, dtype, seed):
    info = np.iinfo(dtype)
    return np.random.default_rng(seed).integers(info.min, info.max, shape, endpoint=True
                                                ).astype(dtype)


def _reorder_checked(kernel, reference, *inputs, args=("j", "i"), stage="red",
                     expect=("j", "i")):
    """Build before and after ``reorder(*args)``; both must equal ``reference`` bit-exactly."""
    s = allo.customize(kernel)
    assert_cpu_matches(s, reference, *inputs)
    s.reorder(*args)
    assert list(s.get_loops()[stage].loops) == list(expect)
    assert_cpu_matches(s, reference, *inputs)
    return s


def test_integer_scalar_reductions_can_be_interchanged():
    A = _rng_ints((6, 8), np.int32, 1)  # full range: the sum wraps
    _reorder_checked(sum_all, _wrap_sum_ref, A)
    odd = (_rng_ints((6, 8), np.int16, 2) | 1).astype(np.int16)  # no zero factor
    _reorder_checked(prod_all, lambda A: np.prod(A.astype(np.int32), dtype=np.int32), odd)
    U = _rng_ints((6, 8), np.uint8, 3)
    _reorder_checked(sub_all, lambda A: np.uint8((3 - A.astype(np.int64).sum()) % 256), U)

    def bits_ref(A):
        return np.array([np.bitwise_xor.reduce(A, axis=None), np.bitwise_and.reduce(A, axis=None),
                         np.bitwise_or.reduce(A, axis=None)], np.int32)

    _reorder_checked(bits_all, bits_ref, _rng_ints((6, 8), np.int32, 4))
    _reorder_checked(max_min, lambda A, U: np.array([A.max(), U.min()], np.int32),
                     _rng_ints((6, 8), np.int8, 5), _rng_ints((6, 8), np.uint8, 6))


def test_fixed_point_sum_can_be_interchanged():
    raw = np.random.default_rng(7).integers(-2048, 2048, (6, 8))  # raw 12-bit values
    A = raw / 16.0  # exact in fixed(12, 4)
    wrapped = (int(raw.sum()) + 2048) % 4096 - 2048  # two's complement wrap of the raw sum
    _reorder_checked(fixed_sum, lambda A: wrapped / 16.0, A)


def test_partial_reduction_loops_of_an_array_accumulator_interchange():
    X = _rng_ints((4, 5, 6), np.int32, 8)
    s = _reorder_checked(cube_rows, lambda X: X.sum(axis=(1, 2), dtype=np.int32), X,
                         args=("d", "c"), stage="cr", expect=("r", "d", "c"))
    s.reorder("c", "r")
    assert list(s.get_loops()["cr"].loops) == ["c", "d", "r"]
    assert_cpu_matches(s, lambda X: X.sum(axis=(1, 2), dtype=np.int32), X)


def sum_all_f(A: float32[6, 8]) -> float32:
    acc: float32 = 0.0
    for i, j in allo.grid(6, 8, name="red"):
        acc += A[i, j]
    return acc


def cube_rows_f(X: float32[4, 5, 6]) -> float32[4]:
    out: float32[4] = 0.0
    for r, c, d in allo.grid(4, 5, 6, name="cr"):
        out[r] += X[r, c, d]
    return out


def _cube_rows_f_ref(X):
    out = np.zeros(4, np.float32)
    for r in range(4):
        for c in range(5):
            for d in range(6):
                out[r] = np.float32(out[r] + X[r, c, d])
    return out


def test_float_reduction_interchange_is_refused_and_changes_nothing():
    s = allo.customize(sum_all_f)
    err = assert_refused(s, allo.DependenceError, "floating-point reduction into buffer acc",
                         "reorder", "j", "i")
    assert "round differently" in str(err) and "arith.addf on f32" in str(err)
    A = np.random.default_rng(9).standard_normal((6, 8)).astype(np.float32)
    expected = np.float32(0)
    for v in A.ravel():
        expected = np.float32(expected + v)
    assert_cpu_matches(s, lambda A: expected, A)

    s = allo.customize(cube_rows_f)
    assert_refused(s, allo.DependenceError, "floating-point reduction into buffer out",
                   "reorder", "d", "c")
    # Moving the parallel loop r keeps each out[r]'s own order of additions: bit-exact.
    X = np.random.default_rng(10).standard_normal((4, 5, 6)).astype(np.float32)
    s.reorder("c", "r")
    assert list(s.get_loops()["cr"].loops) == ["c", "r", "d"]
    assert_cpu_matches(s, _cube_rows_f_ref, X)


def partial_sums(A: int32[6, 8], B: int32[6, 8]) -> int32:
    acc: int32 = 0
    for i, j in allo.grid(6, 8, name="red"):
        acc += A[i, j]
        B[i, j] = acc  # every intermediate value is observed: not a reduction
    return acc


def narrowed_max(A: int32[6, 8]) -> int8:
    hi: int8 = 0
    for i, j in allo.grid(6, 8, name="red"):
        hi = max(hi, A[i, j])  # max over int32, then truncated: order matters
    return hi


def test_accumulators_that_are_not_pure_reductions_stay_refused():
    for kernel in (partial_sums, narrowed_max):
        assert_refused(allo.customize(kernel), allo.DependenceError,
                       "reverse a dependence on buffer", "reorder", "j", "i")
