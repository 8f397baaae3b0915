"""The vectorized boundary conversions (allo/backend/numpy_codec.py) against exact per-value
references: fixed point by ``Fraction`` arithmetic, integer wrapping by Python ints."""

from __future__ import annotations

import numpy as np
import pytest

from allo.backend import numpy_codec as codec
from allo.frontend.types import Fixed, Int, UFixed, UInt, numpy_dtype


def exact_raws(values, t) -> list:
    return [codec.fixed_scalar_to_raw(float(v), t) for v in np.asarray(values).reshape(-1)]


FIXED_TYPES = [Fixed(16, 8), UFixed(12, 4), Fixed(8, 3), Fixed(40, 10), Fixed(60, 5),
               UFixed(33, 1), Fixed(5, 5)]


@pytest.mark.parametrize("t", FIXED_TYPES, ids=str)
def test_fixed_to_raw_matches_exact_truncation_and_wrap(t):
    rng = np.random.default_rng(t.bits * 100 + t.fracs)
    span = 2.0 ** (t.bits - t.fracs)
    n = 3 * codec._BLOCK + 17  # several blocks and a short last one
    values = rng.uniform(-span / 2, span / 2, n)
    # some blocks in range, one block with values that wrap, exact halves and negative zero
    values[codec._BLOCK: codec._BLOCK + 50] *= 5.0
    values[:4] = [-0.0, 0.5 / 2 ** t.fracs, -0.5 / 2 ** t.fracs, span]
    raw, finite = codec.fixed_to_raw_checked(values, t)
    assert finite and raw.dtype == numpy_dtype(t, storage=True) and raw.shape == values.shape
    assert raw.tolist() == exact_raws(values, t)


def test_fixed_to_raw_keeps_shape_and_takes_other_real_dtypes():
    t = Fixed(16, 8)
    values = np.arange(-12, 12, dtype=np.int32).reshape(2, 3, 4)
    raw = codec.fixed_to_raw(values, t)
    assert raw.shape == (2, 3, 4) and raw.reshape(-1).tolist() == exact_raws(values, t)
    f32 = np.linspace(-3, 3, 7, dtype=np.float32)[::2]  # not contiguous
    assert codec.fixed_to_raw(f32, t).tolist() == exact_raws(f32, t)
    assert codec.fixed_to_raw(np.zeros(0), t).shape == (0,)


def test_non_finite_values_are_reported():
    t = UFixed(12, 4)
    values = np.ones(2 * codec._BLOCK)
    assert codec.fixed_to_raw_checked(values, t)[1]
    for bad in (np.nan, np.inf, -np.inf):
        values[codec._BLOCK + 3] = bad
        assert not codec.fixed_to_raw_checked(values, t)[1]


@pytest.mark.parametrize("t", [Fixed(63, 10), UFixed(64, 3), Fixed(80, 8)], ids=str)
def test_fixed_to_raw_skips_the_finiteness_pass_it_would_not_use(t, monkeypatch):
    values = np.array([[1.5, -2.25], [1e3, 0.0]])
    values = values if not isinstance(t, UFixed) else abs(values)
    raw, finite = codec.fixed_to_raw_checked(values, t)
    ints = raw.reshape(-1).tolist() if raw.dtype.names is None else \
        codec.bytes_array_to_ints(raw, codec.is_signed(t))
    assert finite and ints == exact_raws(values, t)

    def no_pass(*args, **kwargs):
        raise AssertionError("an unused finiteness pass")

    monkeypatch.setattr(codec.np, "isfinite", no_pass)
    same = codec.fixed_to_raw(values, t)
    assert same.dtype == raw.dtype and same.tolist() == raw.tolist()


def test_whole_array_conversion_reports_non_finite_values():
    values = np.array([1.0, np.inf])
    with np.errstate(invalid="ignore"):
        assert not codec.fixed_to_raw_checked(values, Fixed(63, 10))[1]
    assert codec.fixed_to_raw_checked(values[:1], Fixed(63, 10))[1]


def test_raw_to_fixed_is_exact():
    t = Fixed(48, 16)
    raw = np.array([0, 1, -1, 2**46 + 3, -(2**47)], np.int64)
    assert codec.raw_to_fixed(raw, t).tolist() == [v / 2**16 for v in raw.tolist()]
    assert codec.raw_to_fixed(np.array(-5, np.int8), Fixed(8, 2)) == -1.25


@pytest.mark.parametrize("t, dtype", [(Int(5), np.int8), (UInt(5), np.uint8),
                                      (Int(12), np.int16), (UInt(33), np.uint64),
                                      (Int(1), np.int8), (Int(63), np.int64)], ids=str)
def test_wrap_int_array_matches_python_wrap(t, dtype):
    rng = np.random.default_rng(t.bits)
    arr = rng.integers(-2**62, 2**62, 1000, dtype=np.int64)
    arr[:3] = [0, -1, 2**62 - 1]
    out = codec.wrap_int_array(arr, t, np.dtype(dtype))
    signed = isinstance(t, Int)
    assert out.dtype == dtype
    assert out.tolist() == [codec.wrap_int(int(v), t.bits, signed) for v in arr.tolist()]


@pytest.mark.parametrize("bits, signed", [(65, True), (65, False), (100, True), (128, False),
                                          (72, False)])
def test_wide_int_array_from_ints_matches_bytes(bits, signed):
    from allo.frontend.types import container_bits, get_np_struct_type
    dtype = get_np_struct_type(container_bits(bits))
    rng = np.random.default_rng(bits)
    for source in (rng.integers(-2**63, 2**63 - 1, 200, dtype=np.int64, endpoint=True),
                   rng.integers(0, 2**64 - 1, 200, dtype=np.uint64, endpoint=True),
                   np.array([True, False]), np.array([-3, 7], np.int8).reshape(2, 1)):
        got = codec.wide_int_array_from_ints(source, bits, signed, dtype)
        assert got.shape == source.shape and got.dtype == dtype
        expected = [codec.wrap_int(int(v), bits, signed) for v in source.reshape(-1).tolist()]
        assert codec.bytes_array_to_ints(got, signed) == expected
