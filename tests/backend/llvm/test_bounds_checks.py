"""Run-time bounds checks of the CPU build (docs/cpu_backend.md, "Bounds checks").

Dynamic subscripts out of range raise ``allo.IndexOutOfBoundsError`` (an ``IndexError``) naming
the array, index, axis, size and the source line; subscripts proven in bounds get no check.
"""

import inspect

import numpy as np
import pytest

import allo
from allo.backend.llvm.module import BOUNDS_CHECKS_ENV
from allo.ir.types import float32, int32, int64, uint8


def line_of(fn, marker: str) -> int:
    """Absolute line of the first source line of ``fn`` holding ``marker``."""
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, text in enumerate(lines) if marker in text)


def raised(mod, *args) -> allo.IndexOutOfBoundsError:
    with pytest.raises(allo.IndexOutOfBoundsError) as info:
        mod(*args)
    return info.value


def checks_in(mod) -> int:
    return str(mod.intermediate_module).count('"allo.bounds_check"')


# ---------------------------------------------------------------------------- kernels


def read_at(A: int32[8], n: int64) -> int32:
    return A[n]  # READ


def write_at(A: int32[8], n: int64, v: int32):
    A[0] = v
    A[n] = v  # WRITE


def gather(A: float32[16], idx: int32[8]) -> float32[8]:
    B: float32[8] = 0.0
    for i in range(8):
        B[i] = A[idx[i]]  # GATHER
    return B


def scatter_add(A: int32[4, 6], rows: int32[5], cols: int32[5]) -> int32[4, 6]:
    for k in range(5):
        A[rows[k], cols[k]] += 1  # SCATTER
    return A


def leaf(A: int32[8], n: int32) -> int32:
    return A[n + 1]  # LEAF


def middle(A: int32[8], n: int32) -> int32[4]:
    B: int32[4] = 0
    B[1] = leaf(A, n)
    return B


def outer(A: int32[8], n: int32) -> int32[4]:
    B = middle(A, n)
    B[0] = 7
    return B


def find_zero(A: int32[8]) -> int32:
    i: int32 = 0
    while A[i] != 0:  # WHILE
        i += 1
    return i


def static_nest(A: float32[10, 12], B: float32[10, 12]):
    for i in range(10):
        for j in range(i, 12):
            B[i, j] = A[i, j] + A[9 - i, 11 - j]
    for k in range(10):
        B[k, 0] = A[k // 2, k % 3]


# ---------------------------------------------------------------------------- reads/writes


def test_read_past_the_end_and_1_shl_40_and_negative():
    mod = allo.customize(read_at).build()
    A = np.arange(8, dtype=np.int32) * 10
    assert mod(A, 7) == 70
    for n in (8, 1 << 40, -1, -(1 << 40)):
        err = raised(mod, A, n)
        assert isinstance(err, IndexError) and isinstance(err, allo.AlloError)
        assert (err.array, err.index, err.axis, err.size) == ("A", n, 0, 8)
        assert err.filename == __file__ and err.lineno == line_of(read_at, "# READ")
        assert err.func_name == "read_at"
        text = str(err)
        assert f"index {n} is out of bounds for axis 0 of array 'A' with size 8" in text
        assert f'File "{__file__}", Line: {err.lineno}' in text
        assert "return A[n]" in text
    assert mod(A, 0) == 0  # the error slot is reset between calls


def test_write_out_of_range_keeps_earlier_writes_like_python():
    mod = allo.customize(write_at).build()
    A = np.zeros(8, dtype=np.int32)
    err = raised(mod, A, 8, 5)
    assert (err.index, err.size, err.lineno) == (8, 8, line_of(write_at, "# WRITE"))
    np.testing.assert_array_equal(A, [5, 0, 0, 0, 0, 0, 0, 0])
    err = raised(mod, A, -2, 6)
    assert err.index == -2
    mod(A, 3, 9)
    np.testing.assert_array_equal(A, [9, 0, 0, 9, 0, 0, 0, 0])


def test_index_read_from_an_input_array():
    mod = allo.customize(gather).build()
    A = np.linspace(-1, 1, 16, dtype=np.float32)
    idx = np.array([3, 0, 15, 7, 7, 1, 12, 2], dtype=np.int32)
    np.testing.assert_array_equal(mod(A, idx), A[idx])
    bad = idx.copy()
    bad[5] = 16
    err = raised(mod, A, bad)
    assert (err.array, err.index, err.axis, err.size) == ("A", 16, 0, 16)
    assert err.lineno == line_of(gather, "# GATHER")
    bad[5] = -7
    assert raised(mod, A, bad).index == -7


def test_two_dimensional_scatter_names_the_axis():
    mod = allo.customize(scatter_add).build()
    rows = np.array([0, 3, 3, 1, 2], dtype=np.int32)
    cols = np.array([5, 0, 0, 2, 4], dtype=np.int32)
    A = np.zeros((4, 6), dtype=np.int32)
    expected = A.copy()
    np.add.at(expected, (rows, cols), 1)
    np.testing.assert_array_equal(mod(A, rows, cols), expected)
    err = raised(mod, np.zeros((4, 6), np.int32), rows, np.array([5, 0, 6, 2, 4], np.int32))
    assert (err.index, err.axis, err.size) == (6, 1, 6)
    err = raised(mod, np.zeros((4, 6), np.int32), np.array([0, 4, 3, 1, 2], np.int32), cols)
    assert (err.index, err.axis, err.size) == (4, 0, 4)
    assert err.lineno == line_of(scatter_add, "# SCATTER")


def test_nested_calls_name_the_callee_line():
    mod = allo.customize(outer).build()
    A = np.arange(8, dtype=np.int32) + 100
    np.testing.assert_array_equal(mod(A, 2), [7, 103, 0, 0])
    err = raised(mod, A, 7)
    assert (err.array, err.index, err.size) == ("A", 8, 8)
    assert err.lineno == line_of(leaf, "# LEAF") and err.func_name == "leaf"
    assert "return A[n + 1]" in str(err)
    assert raised(mod, A, -2).index == -1
    np.testing.assert_array_equal(mod(A, 0), [7, 101, 0, 0])


def test_while_loop_running_off_the_end():
    mod = allo.customize(find_zero).build()
    assert mod(np.array([5, 4, 3, 0, 1, 1, 1, 1], dtype=np.int32)) == 3
    err = raised(mod, np.ones(8, dtype=np.int32))
    assert (err.index, err.size, err.lineno) == (8, 8, line_of(find_zero, "# WHILE"))


def test_overlapping_arguments_use_their_own_site_table():
    def shift(A: int32[8], B: int32[8], n: int32):
        for i in range(8):
            B[i] = A[i]
        B[0] = A[n]

    mod = allo.customize(shift).build()
    A = np.arange(8, dtype=np.int32)
    err = raised(mod, A, A, 9)  # one array for both parameters: the other compiled form
    assert (err.array, err.index) == ("A", 9)


def test_row_of_a_dynamic_view_passed_to_a_call():
    def total(r: int32[3]) -> int32:
        return r[0] + r[1] + r[2]

    def rows(A: int32[4, 3], n: int32) -> int32:
        return total(A[n])  # VIEW

    mod = allo.customize(rows).build()
    A = np.arange(12, dtype=np.int32).reshape(4, 3)
    assert mod(A, 2) == 6 + 7 + 8
    err = raised(mod, A, 4)
    assert (err.array, err.index, err.axis, err.size) == ("A", 4, 0, 4)
    assert err.lineno == line_of(rows, "# VIEW")


# ---------------------------------------------------------------------------- no checks


def test_static_nests_compile_without_checks():
    s = allo.customize(static_nest)
    mod = s.build()
    assert checks_in(mod) == 0
    assert "weights([1048576, 1])" not in str(mod.module)
    A = np.random.default_rng(0).random((10, 12), dtype=np.float32)
    B = np.zeros((10, 12), dtype=np.float32)
    mod(A, B)
    expected = np.zeros_like(B)
    for i in range(10):
        for j in range(i, 12):
            expected[i, j] = A[i, j] + A[9 - i, 11 - j]
    for k in range(10):
        expected[k, 0] = A[k // 2, k % 3]
    np.testing.assert_array_equal(B, expected)


def test_split_tails_and_tiles_stay_unchecked():
    def scale(A: float32[10, 10], B: float32[10, 10]):
        for i, j in allo.grid(10, 10):
            B[i, j] = A[i, j] * 2.0

    s = allo.customize(scale)
    s.split("i", 3)
    s.split("j", 4)
    mod = s.build()
    assert checks_in(mod) == 0
    A = np.arange(100, dtype=np.float32).reshape(10, 10)
    B = np.zeros_like(A)
    mod(A, B)
    np.testing.assert_array_equal(B, A * 2)


def test_guarded_and_fused_schedules_stay_unchecked():
    def box(P: int32[8, 12]) -> int32[6, 10]:
        Q: int32[6, 10] = 0
        for y, x in allo.grid(6, 10):
            acc: int32 = 0
            for dy, dx in allo.reduction(3, 3):
                acc += P[y + dy, x + dx]
            Q[y, x] = acc
        return Q

    s = allo.customize(box)
    s.reuse_at(s.reuse_at(s.P, "y"), "x")  # affine.if warm-up guards around the stores
    mod = s.build()
    assert checks_in(mod) == 0
    P = np.arange(96, dtype=np.int32).reshape(8, 12)
    expected = sum(P[dy:dy + 6, dx:dx + 10] for dy in range(3) for dx in range(3))
    np.testing.assert_array_equal(mod(P), expected)

    def nest(A: int32[6, 3, 7]) -> int32[6, 3]:
        B: int32[6, 3] = 0
        for i, j, k in allo.grid(6, 3, 7):
            B[i, j] += A[i, j, k]
        return B

    s = allo.customize(nest)
    s.split("k", 4)  # min-bounded tail, then a fused band with floordiv/mod subscripts
    s.fuse("j", "k.outer")
    mod = s.build()
    assert checks_in(mod) == 0
    A = np.arange(126, dtype=np.int32).reshape(6, 3, 7)
    np.testing.assert_array_equal(mod(A), A.sum(axis=2))

    def cat(A: int32[2, 3], B: int32[4, 3]) -> int32[6, 3]:
        return allo.concat(A, B)  # scf.if on index comparisons picks the source

    mod = allo.customize(cat).build()
    assert checks_in(mod) == 0
    A, B = np.arange(6, dtype=np.int32).reshape(2, 3), np.arange(12, dtype=np.int32).reshape(4, 3)
    np.testing.assert_array_equal(mod(A, B), np.concatenate([A, B]))


def test_narrow_and_masked_indices_are_proven():
    def lookup(T: int32[256], x: uint8, y: int32) -> int32:
        return T[x] + T[y & 255] + T[y % 7 + 7] + T[y % 300]

    mod = allo.customize(lookup).build()
    assert checks_in(mod) == 1  # only y % 300 (in [-299, 299]) may leave [0, 256)
    T = np.arange(256, dtype=np.int32)
    assert mod(T, 255, 10) == 255 + 10 + 10 + 10
    err = raised(mod, T, 0, -1)
    assert (err.index, err.size) == (-1, 256)
    assert raised(mod, T, 0, 299).index == 299


def test_checks_count_only_dynamic_subscripts():
    # rows[k] and cols[k] are affine; A's two subscripts are checked for the load and for the
    # store (the frontend computes the store's subscripts again)
    assert checks_in(allo.customize(scatter_add).build()) == 4

    def bump(A: int32[8], n: int32):
        for i in range(n):
            A[i] += 1  # the store reuses the load's subscript value: one check

    mod = allo.customize(bump).build()
    assert checks_in(mod) == 1
    A = np.zeros(8, dtype=np.int32)
    mod(A, 8)
    np.testing.assert_array_equal(A, np.ones(8))
    err = raised(mod, A, 9)
    assert err.index == 8
    np.testing.assert_array_equal(A, np.full(8, 2))


def test_checks_can_be_disabled_for_measurements(monkeypatch):
    monkeypatch.setenv(BOUNDS_CHECKS_ENV, "0")
    mod = allo.customize(gather).build()
    assert checks_in(mod) == 0
    A = np.arange(16, dtype=np.float32)
    idx = np.arange(8, dtype=np.int32) * 2
    np.testing.assert_array_equal(mod(A, idx), A[idx])


def test_dynamic_shapes_in_hand_written_mlir():
    mod = allo.LLVMModule('''
    func.func @pick(%A: memref<?xi32>, %i: index) -> i32 {
      %c0 = arith.constant 0 : index
      %n = memref.dim %A, %c0 : memref<?xi32>
      %z = arith.constant 0 : i32
      %s = affine.for %k = 0 to %n iter_args(%acc = %z) -> i32 {
        %v = affine.load %A[%k] : memref<?xi32>
        %t = arith.addi %acc, %v : i32
        affine.yield %t : i32
      }
      %w = memref.load %A[%i] : memref<?xi32>
      %r = arith.addi %s, %w : i32
      return %r : i32
    }''', "pick")
    assert checks_in(mod) == 1  # A[k] with k < dim(A) is proven; A[i] is not
    A = np.arange(5, dtype=np.int32)
    assert mod(A, 4) == 10 + 4
    err = raised(mod, A, 5)
    assert (err.array, err.index, err.size) == ("arg0", 5, 5)
    assert err.message == "index 5 is out of bounds for axis 0 of array 'arg0' with size 5"
    # MLIR text has no user source: the error names the user's call of the module instead
    call = inspect.getsourcelines(raised)
    assert (err.filename, err.lineno) == (__file__, call[1] + 2)
    assert raised(mod, np.arange(9, dtype=np.int32), 9).size == 9


def test_stream_read_more_often_than_written():
    from allo.ir.types import Stream

    def fifo(X: int32[6], n: int32) -> int32[6]:
        q: Stream[int32, 2]
        Y: int32[6] = 0
        for a in range(4):
            q.put(X[a] * 3)
        for a in range(6):
            if a < n:
                Y[a] = q.get() - 1  # GET
        return Y

    mod = allo.customize(fifo).build()
    X = np.arange(6, dtype=np.int32)
    np.testing.assert_array_equal(mod(X, 4), [-1, 2, 5, 8, 0, 0])
    # a read with nothing left to read is a stream error (not an index error), at the read
    with pytest.raises(allo.StreamError) as info:
        mod(X, 5)
    err = info.value
    assert (err.stream, err.kernel) == ("q", "fifo")
    assert "read #5 but only 4 element(s) were written" in str(err)
    assert err.lineno == line_of(fifo, "# GET")


def test_threads_get_their_own_error_slot():
    from concurrent.futures import ThreadPoolExecutor

    mod = allo.customize(gather).build()
    A = np.arange(16, dtype=np.float32)
    good = np.arange(8, dtype=np.int32)
    bad = good.copy()
    bad[3] = 40

    def call(k):
        if k % 2:
            return raised(mod, A, bad).index
        return mod(A, good)

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(call, range(200)))
    for k, out in enumerate(outcomes):
        if k % 2:
            assert out == 40
        else:
            np.testing.assert_array_equal(out, A[good])


def test_guard_on_a_fused_variable_is_proven_without_recursing():
    # compute_at then fuse: the guard "j2 <= 3" becomes "3 - f + 5*(f floordiv 5) >= 0" over the
    # fused variable f; it bounds "f mod 5", not f (bounding f by itself never ended)
    def shifted(A: int32[4, 5]) -> int32[4, 5]:
        X0: int32[4, 5] = 0
        for i0, j0 in allo.grid(4, 5, name="S0"):
            X0[i0, j0] = A[i0, j0] * 2
        X1: int32[4, 5] = 1
        for i1, j1 in allo.grid(3, 4, name="S1"):
            X1[i1, j1 + 1] = X1[i1, j1] + X0[i1, j1]
        return X1

    s = allo.customize(shifted)
    s.compute_at("j0", "j1")
    s.fuse("i1", "j1")
    mod = s.build()
    assert checks_in(mod) == 0
    A = np.arange(20, dtype=np.int32).reshape(4, 5)
    expected = np.ones((4, 5), dtype=np.int32)
    for i in range(3):
        for j in range(4):
            expected[i, j + 1] = expected[i, j] + 2 * A[i, j]
    np.testing.assert_array_equal(mod(A), expected)
