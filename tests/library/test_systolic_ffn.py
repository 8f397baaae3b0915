"""Systolic arrays as users compose them (backends.md §12): a bare ``systolic_tile``, and a
feed-forward block of two scheduled ``systolic`` instances with ids ``"FFN1"``/``"FFN2"``."""

from __future__ import annotations

import re

import numpy as np
import pytest

import allo
from allo.ir.types import int8, int16
from allo.library.systolic import schedule_systolic, systolic, systolic_tile

from helpers import check_csim

RNG = np.random.default_rng(5)
L, D, M0, M1 = 4, 4, 2, 2


def test_systolic_tile_on_its_own():
    A = RNG.integers(-100, 100, (2, 6)).astype(np.int8)
    B = RNG.integers(-100, 100, (6, 3)).astype(np.int8)
    s = allo.customize(systolic_tile, instantiate=[int8, int8, int16, 6, 2, 3])
    C = np.zeros((2, 3), np.int16)
    s.build()(A, B, C)
    np.testing.assert_array_equal(C, (A.astype(np.int64) @ B).astype(np.int16))
    assert [name for name, _ in s.get_loops()] == ["data_load", "PE", "data_drain"]


def ffn(X: int8[L, D], W_A: int8[D, 4 * D], W_B: int8[4 * D, D]) -> int8[L, D]:
    Z: int8[L, 4 * D]
    Y: int8[L, D]
    systolic[int8, int8, int8, L, D, 4 * D, M0, M1, "FFN1"](X, W_A, Z)
    systolic[int8, int8, int8, L, 4 * D, D, M0, M1, "FFN2"](Z, W_B, Y)
    return Y


def ffn_schedule():
    s1 = allo.customize(systolic, instantiate=[int8, int8, int8, L, D, 4 * D, M0, M1])
    schedule_systolic(s1)
    s2 = allo.customize(systolic, instantiate=[int8, int8, int8, L, 4 * D, D, M0, M1])
    schedule_systolic(s2)
    s = allo.customize(ffn)
    s.compose(s1, id="FFN1")
    s.compose(s2, id="FFN2")
    return s


@pytest.mark.csim
def test_two_scheduled_systolic_instances_with_ids(tmp_path):
    X = RNG.integers(-4, 4, (L, D)).astype(np.int8)
    W_A = RNG.integers(-4, 4, (D, 4 * D)).astype(np.int8)
    W_B = RNG.integers(-4, 4, (4 * D, D)).astype(np.int8)
    Z = (X.astype(np.int64) @ W_A).astype(np.int8)
    expected = (Z.astype(np.int64) @ W_B).astype(np.int8)
    s = ffn_schedule()
    np.testing.assert_array_equal(s.build()(X, W_A, W_B), expected)
    code = s.build("vhls").hls_code
    functions = set(re.findall(r"^void (\w+)\(", code, flags=re.M))
    assert {"systolic_FFN1", "systolic_FFN2", "systolic_tile_FFN1", "systolic_tile_FFN2"} \
        <= functions
    assert sum(f.startswith("PE_kernel_FFN1_") for f in functions) == M0 * M1
    assert sum(f.startswith("PE_kernel_FFN2_") for f in functions) == M0 * M1
    assert "systolic_FFN1(v0, v1, Z);" in code and "systolic_FFN2(Z, v2, v3);" in code
    check_csim(s, X, W_A, W_B, project=str(tmp_path / "ffn"))


def test_streaming_the_intermediate_into_the_second_array_is_refused():
    """The reference accepted ``s.to(Z, "systolic_FFN2")`` unchecked. Here ``to`` keeps its
    legality rule (schedule.md §4.1): the systolic arrays store ``C`` tile by tile, column by
    column, and read each row block of ``A`` once per column tile, so ``Z`` is no FIFO. The
    refusal is a clean ScheduleError that leaves the schedule unchanged."""
    s = ffn_schedule()
    before = str(s.module)
    with pytest.raises(allo.ScheduleError, match="row-major order"):
        s.to(s.Z, "systolic_FFN2", depth=L * 4 * D)
    assert str(s.module) == before
