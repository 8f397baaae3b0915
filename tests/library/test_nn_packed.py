"""allo.library.nn.linear_packed (CPU linear layer on panel-packed weights): numpy references,
bit-identical to linear2d, sizes that leave partial row blocks and partial panels, integers."""

from __future__ import annotations

import numpy as np
import pytest

import allo
from allo.frontend.weight_panels import PANEL, pack_linear_weights, panel_count
from allo.ir.types import float32, int8, int32
from allo.library import KERNEL2SCHEDULE, nn

from helpers import check_csim

RNG = np.random.default_rng(11)


def _build(tys, m, n, k, schedule=True):
    s = allo.customize(nn.linear_packed, instantiate=[*tys, m, n, k, panel_count(n)])
    if schedule:
        KERNEL2SCHEDULE[nn.linear_packed](s)
    return s.build()


def test_packing_layout():
    w = np.arange(70 * 3, dtype=np.float32).reshape(70, 3)  # N = 70, K = 3
    p = pack_linear_weights(w)
    assert p.shape == (3, 3, PANEL)
    np.testing.assert_array_equal(p[1, :, :], w.T[:, PANEL:2 * PANEL])
    np.testing.assert_array_equal(p[2, :, :70 - 2 * PANEL], w.T[:, 2 * PANEL:])
    assert not p[2, :, 70 - 2 * PANEL:].any()  # padding columns are zero


@pytest.mark.parametrize("m, n, k", [(4, 32, 8), (7, 45, 20), (1, 3, 5), (9, 64, 1), (12, 70, 33)])
def test_float_matches_numpy_and_linear2d_bit_for_bit(m, n, k):
    x = RNG.standard_normal((m, k)).astype(np.float32)
    w = RNG.standard_normal((n, k)).astype(np.float32)
    b = RNG.standard_normal(n).astype(np.float32)
    out = _build([float32] * 3, m, n, k)(x, pack_linear_weights(w), b)
    np.testing.assert_allclose(out, x @ w.T + b, rtol=1e-5, atol=1e-5)
    s = allo.customize(nn.linear2d, instantiate=[float32] * 3 + [m, n, k])
    np.testing.assert_array_equal(out, s.build()(x, w, b))  # same sums in the same order


def test_unscheduled_kernel_gives_the_same_result():
    m, n, k = 6, 40, 10
    x, w = RNG.standard_normal((m, k)).astype(np.float32), \
        RNG.standard_normal((n, k)).astype(np.float32)
    b = RNG.standard_normal(n).astype(np.float32)
    packed = pack_linear_weights(w)
    np.testing.assert_array_equal(_build([float32] * 3, m, n, k, schedule=False)(x, packed, b),
                                  _build([float32] * 3, m, n, k)(x, packed, b))


def test_integer_types_are_exact():
    m, n, k = 5, 33, 17
    x = RNG.integers(-128, 128, (m, k), dtype=np.int8)
    w = RNG.integers(-128, 128, (n, k), dtype=np.int8)
    b = RNG.integers(-1000, 1000, n, dtype=np.int32)
    out = _build([int8, int8, int32], m, n, k)(x, pack_linear_weights(w), b)
    expected = x.astype(np.int32) @ w.T.astype(np.int32) + b
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("bt, m, k, n", [(2, 8, 5, 32), (3, 7, 9, 64), (1, 3, 1, 96),
                                         (2, 5, 4, 16), (1, 6, 3, 45)])
def test_bmm_panels_matches_numpy_and_dsl_matmul_bit_for_bit(bt, m, k, n):
    a = RNG.standard_normal((bt, m, k)).astype(np.float32)
    b = RNG.standard_normal((bt, k, n)).astype(np.float32)
    s = allo.customize(nn.bmm_panels, instantiate=[float32] * 3 + [bt, m, k, n])
    KERNEL2SCHEDULE[nn.bmm_panels](s)
    out = s.build()(a, b)
    np.testing.assert_allclose(out, a @ b, rtol=1e-5, atol=1e-5)

    def product(A: float32[bt, m, k], B: float32[bt, k, n]) -> float32[bt, m, n]:
        return allo.matmul(A, B)

    np.testing.assert_array_equal(out, allo.customize(product).build()(a, b))


def test_linear_packed3d_equals_linear_packed_on_each_sequence():
    batch, m, n, k = 3, 6, 40, 9
    x = RNG.standard_normal((batch, m, k)).astype(np.float32)
    w = RNG.standard_normal((n, k)).astype(np.float32)
    b = RNG.standard_normal(n).astype(np.float32)
    packed = pack_linear_weights(w)
    s = allo.customize(nn.linear_packed3d, instantiate=[float32] * 3 + [batch, m, n, k, 2])
    KERNEL2SCHEDULE[nn.linear_packed3d](s)
    out = s.build()(x, packed, b)
    np.testing.assert_allclose(out, x @ w.T + b, rtol=1e-5, atol=1e-5)
    flat = _build([float32] * 3, batch * m, n, k)(x.reshape(batch * m, k), packed, b)
    np.testing.assert_array_equal(out, flat.reshape(batch, m, n))


@pytest.mark.parametrize("kernel, inst, loops", [
    (nn.linear_packed3d, [float32] * 3 + [2, 6, 40, 9, 2], 4),
    (nn.bmm_panels, [float32] * 3 + [2, 6, 9, 64], 5)])
def test_default_schedules_reach_the_linear_packed_they_run(kernel, inst, loops):
    s = allo.customize(kernel, instantiate=inst)
    args = [RNG.standard_normal(p.shape).astype(np.float32)
            for p in s.build()._signature.params]
    before = s.build()(*args)
    KERNEL2SCHEDULE[kernel](s)
    # the four panel-wide loops of linear_packed (and bmm_panels' panel copy)
    assert str(s.module).count("pipeline_ii = 1") == loops
    np.testing.assert_array_equal(s.build()(*args), before)
    assert "void linear_packed(" in s.build(target="vhls").hls_code


def test_bmm_panels_zero_bias_keeps_every_bit():
    # products that are all -0.0: the sum, from +0.0, is +0.0 with or without the bias
    a = np.zeros((2, 5, 3), np.float32)
    b = -np.ones((2, 3, 32), np.float32)
    s = allo.customize(nn.bmm_panels, instantiate=[float32] * 3 + [2, 5, 3, 32])
    out = s.build()(a, b)
    assert not np.signbit(out).any()
    ints = allo.customize(nn.bmm_panels, instantiate=[int8, int8, int32] + [2, 5, 7, 64])
    x = RNG.integers(-128, 128, (2, 5, 7), dtype=np.int8)
    y = RNG.integers(-128, 128, (2, 7, 64), dtype=np.int8)
    np.testing.assert_array_equal(ints.build()(x, y), x.astype(np.int32) @ y.astype(np.int32))


@pytest.mark.parametrize("n, k, ty, dtype", [(70, 3, float32, np.float32),
                                             (32, 5, float32, np.float32),
                                             (33, 4, int8, np.int8)])
def test_pack_panels_in_a_kernel_equals_packing_at_import(n, k, ty, dtype):
    w = (RNG.standard_normal((n, k)) * 50).astype(dtype)
    s = allo.customize(nn.pack_panels, instantiate=[ty, n, k, panel_count(n)])
    KERNEL2SCHEDULE[nn.pack_panels](s)
    np.testing.assert_array_equal(s.build()(w), pack_linear_weights(w))


@pytest.mark.parametrize("m, n, k", [(4, 32, 8), (7, 45, 20), (1, 3, 5), (12, 70, 33)])
def test_linear_panels_takes_torch_layout_weights_bit_identical_to_linear2d(m, n, k):
    x = RNG.standard_normal((m, k)).astype(np.float32)
    w = RNG.standard_normal((n, k)).astype(np.float32)
    b = RNG.standard_normal(n).astype(np.float32)
    s = allo.customize(nn.linear_panels, instantiate=[float32] * 3 + [m, n, k])
    before = s.build()(x, w, b)
    KERNEL2SCHEDULE[nn.linear_panels](s)
    assert str(s.module).count("pipeline_ii = 1") == 5  # the copy and linear_packed's four
    out = s.build()(x, w, b)
    np.testing.assert_array_equal(out, before)
    np.testing.assert_allclose(out, x @ w.T + b, rtol=1e-5, atol=1e-5)
    reference = allo.customize(nn.linear2d, instantiate=[float32] * 3 + [m, n, k])
    np.testing.assert_array_equal(out, reference.build()(x, w, b))


def test_linear_panels_integer_types_are_exact():
    m, n, k = 5, 33, 17
    x = RNG.integers(-128, 128, (m, k), dtype=np.int8)
    w = RNG.integers(-128, 128, (n, k), dtype=np.int8)
    b = RNG.integers(-1000, 1000, n, dtype=np.int32)
    s = allo.customize(nn.linear_panels, instantiate=[int8, int8, int32, m, n, k])
    expected = x.astype(np.int32) @ w.T.astype(np.int32) + b
    np.testing.assert_array_equal(s.build()(x, w, b), expected)


@pytest.mark.csim
def test_panel_kernels_emit_hls_and_simulate_like_the_cpu_build():
    rng = np.random.default_rng(9)
    X, W = rng.random((4, 6), np.float32), rng.random((40, 6), np.float32)
    b = rng.random(40, np.float32)
    s = allo.customize(nn.linear_panels, instantiate=[float32, float32, float32, 4, 40, 6])
    np.testing.assert_array_equal(check_csim(s, X, W, b)[0], s.build()(X, W, b))
    s = allo.customize(nn.pack_panels, instantiate=[float32, 40, 6, 2])
    np.testing.assert_array_equal(check_csim(s, W)[0], pack_linear_weights(W))
