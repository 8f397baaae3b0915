"""The cached per-call plan (allo/backend/llvm/call_plan.py): from the second call on, common
calls skip the general numpy boundary; every result must equal the general path's."""

from __future__ import annotations

import ctypes
import threading
import warnings

import numpy as np
import pytest

import allo
from allo.backend.llvm.call_plan import NOT_HANDLED
from allo.backend.llvm.memref_descriptors import DescriptorBlock, data_address
from allo.ir.types import Fixed, Int, UInt, float32, float64, index, int8, int32, uint8


def build(fn):
    mod = allo.customize(fn).build()
    return mod


def plan_of(mod):
    return getattr(mod._plans, "value", False)


def both_paths(mod, *args):
    """The result of the plan (asserted to handle the call) and of the general path."""
    fast = plan_of(mod)(args)
    assert fast is not NOT_HANDLED
    general = mod._general_call(args, {})
    return fast, general


def test_data_address_matches_ctypes_for_views():
    base = np.arange(60, dtype=np.int16).reshape(6, 10)
    for arr in (base, base[2:], base[:, 3:], base[::2], np.empty(0, np.float64)):
        assert data_address(arr) == arr.ctypes.data


def test_descriptor_block_describes_views_scalars_and_the_error_slot():
    base = np.arange(60, dtype=np.int32).reshape(6, 10)
    view, scalar = base[1::2, 7:2:-2], np.array(5, np.int64)
    block = DescriptorBlock([2, 0], error_words=3)
    assert block.fill([view, scalar]).value == ctypes.addressof(block.packed)
    words = list(block.words)
    # {allocated, aligned, offset, shape, strides in elements}, then the scalar's address
    assert words[:7] == [view.ctypes.data, view.ctypes.data, 0, 3, 3, 20, -2]
    assert words[7:10] == [scalar.ctypes.data, scalar.ctypes.data, 0]
    error = ctypes.addressof(block.error)
    assert words[10:15] == [error, error, 0, 3, 1] and list(block.error) == [0, 0, 0]
    pointers = list(block.packed)
    assert [ctypes.c_void_p.from_address(p).value for p in pointers] == [
        ctypes.addressof(block.words) + 8 * start for start in (0, 7, 10)]


def test_scalars_take_the_plan_from_the_second_call():
    def add(a: int32, b: int32) -> int32:
        return a + b

    mod = build(add)
    assert plan_of(mod) is False  # built by the first call, in this thread
    assert mod(2, 3) == 5
    assert callable(plan_of(mod))
    fast, general = both_paths(mod, 2**31 - 1, -7)
    assert fast == general == 2**31 - 8 and type(fast) is int
    # out of range and numpy scalars are left to the general path, which wraps / converts
    assert plan_of(mod)((2**31, 0)) is NOT_HANDLED
    assert mod(2**31, 0) == -2**31 and mod(np.int32(4), 5) == 9
    assert plan_of(mod)((True, 1)) is NOT_HANDLED and mod(True, 1) == 2
    with pytest.raises(allo.ArgumentError):
        mod(1.5, 2)
    with pytest.raises(allo.ArgumentError):
        mod(1, 2, 3)


def test_odd_width_unsigned_and_index_scalars():
    def mix(a: Int(5), b: UInt(7), n: index) -> UInt(7):
        return b + a + n

    mod = build(mix)
    mod(1, 2, 3)
    for a, b, n in [(-16, 127, 0), (15, 0, 100), (-1, 1, -5)]:
        fast, general = both_paths(mod, a, b, n)
        assert fast == general and type(fast) is int and 0 <= fast < 128
    assert plan_of(mod)((16, 0, 0)) is NOT_HANDLED and mod(16, 0, 0) == mod(-16, 0, 0)


def test_float_scalars_round_like_numpy():
    def axpy(a: float32, x: float64) -> float32:
        return a * 2.0 + x

    mod = build(axpy)
    mod(1.0, 2.0)
    for a, x in [(0.1, 1e-8), (3.4e38, 0.0), (-1e-40, float("nan")), (0.5, float("inf"))]:
        fast, general = both_paths(mod, a, x)
        assert type(fast) is float
        assert fast == general or (np.isnan(fast) and np.isnan(general))
    # values that overflow float32 or are NaN get numpy's conversion (and its warning)
    for a in (1e300, -3.5e38, float("nan")):
        assert plan_of(mod)((a, 1.0)) is NOT_HANDLED
    largest = float(np.finfo(np.float32).max)
    fast, general = both_paths(mod, largest / 4, 0.0)
    assert fast == general == largest / 2
    assert plan_of(mod)((1, 2.0)) is NOT_HANDLED and mod(1, 2.0) == 4.0


def test_fixed_point_scalar_result():
    def dot(A: Fixed(16, 8)[8], B: Fixed(16, 8)[8]) -> Fixed(40, 16):
        acc: Fixed(40, 16) = 0
        for i in range(8):
            acc += A[i] * B[i]
        return acc

    mod = build(dot)
    a = np.linspace(-100, 100, 8)
    b = np.linspace(3, -90, 8)
    first, second = mod(a, b), mod(a, b)
    assert first == second
    expected = np.dot(np.trunc(a * 256), np.trunc(b * 256)) / 2**16
    assert first == expected


def test_arrays_zero_copy_and_fresh_results():
    def scale(A: float32[4, 3], k: float32) -> float32[4, 3]:
        B: float32[4, 3]
        for i, j in allo.grid(4, 3):
            B[i, j] = A[i, j] * k
        return B

    mod = build(scale)
    A = np.arange(12, dtype=np.float32).reshape(4, 3)
    mod(A, 2.0)
    fast, general = both_paths(mod, A, 2.0)
    assert np.array_equal(fast, A * 2) and np.array_equal(fast, general)
    assert fast.flags.owndata and not np.shares_memory(fast, A)
    assert mod(A, 2.0) is not mod(A, 2.0)
    # not handled (nothing ran): wrong dtype, shape, layout; the general path decides
    assert plan_of(mod)((A.astype(np.float64), 2.0)) is NOT_HANDLED
    assert plan_of(mod)((np.asfortranarray(A), 2.0)) is NOT_HANDLED
    assert plan_of(mod)((A[:2], 2.0)) is NOT_HANDLED
    with pytest.warns(allo.DTypeWarning):
        assert np.array_equal(mod(A.astype(np.float64), 3.0), A * 3)
    with pytest.raises(allo.ArgumentError, match="C-contiguous"):
        mod(np.asfortranarray(A), 1.0)
    with pytest.raises(allo.ArgumentError, match="shape"):
        mod(A[:2], 1.0)


def test_written_parameter_must_be_writeable():
    def bump(A: int8[4]):
        for i in range(4):
            A[i] += 1

    mod = build(bump)
    A = np.zeros(4, np.int8)
    mod(A)
    mod(A)
    assert A.tolist() == [2, 2, 2, 2]
    frozen = A.copy()
    frozen.flags.writeable = False
    assert plan_of(mod)((frozen,)) is NOT_HANDLED
    with pytest.raises(allo.ArgumentError, match="read-only"):
        mod(frozen)


def test_read_only_array_for_a_read_parameter():
    def total(A: uint8[5]) -> int32:
        s: int32 = 0
        for i in range(5):
            s += A[i]
        return s

    mod = build(total)
    A = np.array([250, 251, 252, 253, 254], np.uint8)
    A.flags.writeable = False
    assert mod(A) == mod(A) == 1260


def test_overlapping_arguments_take_the_safe_form():
    def shift(A: int32[8], B: int32[8]):
        for i in range(7):
            B[i + 1] = A[i] + 1

    mod = build(shift)
    A, B = np.arange(8, dtype=np.int32), np.zeros(8, np.int32)
    mod(A, B)
    assert B.tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    same = np.arange(8, dtype=np.int32)
    assert plan_of(mod)((same, same)) is NOT_HANDLED
    mod(same, same)  # sequential semantics: each write feeds the next read
    assert same.tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    buf = np.arange(12, dtype=np.int32)
    assert plan_of(mod)((buf[:8], buf[4:])) is NOT_HANDLED
    assert plan_of(mod)((buf[:8].copy(), buf[4:].copy())) is not NOT_HANDLED


def test_bounds_error_on_the_plan_path_and_the_next_call():
    def gather(A: int32[4], idx: int32) -> int32:
        return A[idx]

    mod = build(gather)
    A = np.array([5, 6, 7, 8], np.int32)
    assert mod(A, 1) == 6
    with pytest.raises(allo.IndexOutOfBoundsError) as info:
        mod(A, 9)
    assert info.value.index == 9 and info.value.size == 4 and info.value.array == "A"
    assert mod(A, 3) == 8  # the error slot was reset


def test_each_thread_has_its_own_plan():
    def add(A: int32[64], k: int32) -> int32[64]:
        B: int32[64]
        for i in range(64):
            B[i] = A[i] + k
        return B

    mod = build(add)
    A = np.arange(64, dtype=np.int32)
    failures = []

    def worker(k):
        for _ in range(200):
            if not np.array_equal(mod(A, k), A + k):
                failures.append(k)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


def test_no_warning_on_the_plan_path():
    def neg(A: int32[3]) -> int32[3]:
        B: int32[3]
        for i in range(3):
            B[i] = -A[i]
        return B

    mod = build(neg)
    A = np.array([1, -2, 3], np.int32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mod(A).tolist() == mod(A).tolist() == [-1, 2, -3]


def test_fixed_point_arrays_are_quantised_on_the_plan_path():
    def dot(A: Fixed(16, 8)[64], B: Fixed(16, 8)[64]) -> Fixed(48, 16):
        acc: Fixed(48, 16) = 0
        for i in range(64):
            acc += A[i] * B[i]
        return acc

    mod = build(dot)
    rng = np.random.default_rng(3)
    a, b = rng.uniform(-120, 120, 64), rng.uniform(-1, 1, 64)
    mod(a, b)
    fast, general = both_paths(mod, a, b)
    raw_a, raw_b = np.trunc(a * 256).astype(np.int64), np.trunc(b * 256).astype(np.int64)
    assert fast == general == int(raw_a @ raw_b) / 2**16
    # out of range values wrap like the general path
    wide = a * 1000
    fast, general = both_paths(mod, wide, b)
    assert fast == general
    bad = a.copy()
    bad[5] = np.nan
    assert plan_of(mod)((bad, b)) is NOT_HANDLED
    with pytest.raises(allo.ArgumentError, match="NaN or infinity"):
        mod(bad, b)


def test_written_fixed_point_array_takes_the_general_path():
    def halve(A: Fixed(16, 8)[4]):
        for i in range(4):
            A[i] = A[i] * 0.5

    mod = build(halve)
    A = np.array([1.0, -3.0, 2.5, 100.0])
    mod(A)
    assert plan_of(mod) is None  # no fast form: the write-back needs the general path
    mod(A)
    assert A.tolist() == [0.25, -0.75, 0.625, 25.0]


def test_fixed_point_array_results_on_the_plan_path():
    def scale(A: Fixed(20, 6)[3, 4]) -> Fixed(24, 10)[3, 4]:
        B: Fixed(24, 10)[3, 4]
        for i, j in allo.grid(3, 4):
            B[i, j] = A[i, j] * 3
        return B

    mod = build(scale)
    A = np.linspace(-500, 500, 12).reshape(3, 4)
    mod(A)
    fast, general = both_paths(mod, A)
    assert fast.dtype == np.float64 and fast.shape == (3, 4)
    assert np.array_equal(fast, general)
    assert np.array_equal(fast, np.trunc(A * 64) / 64 * 3)
