"""The compiled float64 → fixed-point pass (allo/backend/llvm/fixed_convert.py) gives exactly the
numpy version's raw bits, and leaves values that wrap, NaN and infinity to it."""

from __future__ import annotations

import numpy as np
import pytest

from allo.backend import numpy_codec as codec
from allo.backend.llvm.fixed_convert import COMPILED_MIN_SIZE, fixed_to_raw_compiled, quantize
from allo.frontend.types import Fixed, UFixed


@pytest.mark.parametrize("t", [Fixed(16, 8), UFixed(12, 4), Fixed(8, 3), Fixed(32, 30),
                               Fixed(40, 10), UFixed(62, 2), UFixed(31, 0)], ids=str)
def test_compiled_pass_equals_numpy_version(t):
    rng = np.random.default_rng(t.bits)
    half = 2.0 ** (t.bits - t.fracs - (0 if t.is_unsigned else 1))
    values = rng.uniform(0 if t.is_unsigned else -half, half, COMPILED_MIN_SIZE + 5)
    values[:3] = [-0.0, 0.9 / 2 ** t.fracs, half * (1 - 2.0 ** -40)]
    if not t.is_unsigned:
        values[3] = -half * (1 - 2.0 ** -40)
    raw = fixed_to_raw_compiled(values, t)
    assert raw is not None and raw.dtype == codec.fixed_to_raw(values, t).dtype
    assert np.array_equal(raw, codec.fixed_to_raw(values, t))


def test_values_that_wrap_or_are_not_finite_fall_back():
    t = Fixed(16, 8)
    values = np.linspace(-100, 100, 2 * COMPILED_MIN_SIZE).reshape(2, -1)
    raw, finite = quantize(values, t)
    assert finite and raw.shape == values.shape
    assert np.array_equal(raw, codec.fixed_to_raw(values, t))
    values[1, 7] = 128.0  # one value wraps: the numpy version redoes the array
    assert fixed_to_raw_compiled(values.reshape(-1), t) is None
    raw, finite = quantize(values, t)
    assert finite and raw[1, 7] == -32768
    assert np.array_equal(raw, codec.fixed_to_raw(values, t))
    for bad in (np.nan, np.inf):
        values[0, 3] = bad
        assert not quantize(values, t)[1]
