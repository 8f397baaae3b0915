"""More dataflow designs: simulator vs numpy; C simulation vs simulator for some."""

import numpy as np
import pytest

import allo
import allo.dataflow as df

import designs_more as m
from df_helpers import check_design, simulate

rng = np.random.default_rng(99)


def _ints(shape, lo=-20, hi=20, dtype=np.int32):
    return rng.integers(lo, hi, shape).astype(dtype)


@pytest.mark.csim
def test_weight_stationary_gemm(tmp_path):
    A, B = _ints((m.WM, m.WK)), _ints((m.WK, m.WN))
    check_design(m.weight_stationary, [A, B, np.zeros((m.WM, m.WN), np.int32)], {2: A @ B},
                 str(tmp_path / "ws.prj"))


@pytest.mark.csim
def test_daisy_chain_gemm(tmp_path):
    A, B = _ints((m.DM, m.DK)), _ints((m.DK, m.DN))
    check_design(m.daisy_chain, [A, B, np.zeros((m.DM, m.DN), np.int32)], {2: A @ B},
                 str(tmp_path / "daisy.prj"))


@pytest.mark.csim
def test_ping_pong_gemm(tmp_path):
    A, B = _ints((m.PT, m.PS, m.PS)), _ints((m.PS, m.PS))
    check_design(m.ping_pong, [A, B, np.zeros_like(A)], {2: A @ B}, str(tmp_path / "pp.prj"))


@pytest.mark.csim
def test_cooperative_gemv(tmp_path):
    A, X = _ints((m.GR, m.GC)), _ints(m.GC)
    check_design(m.coop_gemv, [A, X, np.zeros(m.GR, np.int32)], {2: A @ X},
                 str(tmp_path / "gemv.prj"))


@pytest.mark.csim
def test_smith_waterman(tmp_path):
    Q = np.array([1, 2, 3, 1, 2], dtype=np.int8)
    D = np.array([3, 1, 2, 3, 1, 2, 2, 1, 3], dtype=np.int8)
    check_design(m.smith_waterman, [Q, D, np.zeros(1, np.int32)],
                 {2: np.array([m.smith_waterman_ref(Q, D)], np.int32)}, str(tmp_path / "sw.prj"))
    for _ in range(3):
        Q = rng.integers(0, 3, m.NQ).astype(np.int8)
        D = rng.integers(0, 3, m.ND).astype(np.int8)
        S = simulate(m.smith_waterman, Q, D, np.zeros(1, np.int32))[2]
        assert S[0] == m.smith_waterman_ref(Q, D)


def test_primitives_on_a_region_keep_results():
    """Primitives compose with a region schedule; the simulator runs the scheduled IR."""
    A, B = _ints((m.DM, m.DK)), _ints((m.DK, m.DN))
    s = df.customize(m.daisy_chain)
    s.split("column_1:k", 2)
    s.unroll("column_2:k")
    s.partition("daisy_chain:B", dim=2)
    s.pipeline("rows_0:m")
    C = simulate(s.build(target="simulator"), A, B, np.zeros((m.DM, m.DN), np.int32))[2]
    np.testing.assert_array_equal(C, A @ B)
    code = s.build(target="vhls").hls_code
    assert "#pragma HLS array_partition variable=v1 complete dim=2" in code


@pytest.mark.csim
def test_tiled_systolic(tmp_path):
    A, B = _ints((m.TN, m.TN)), _ints((m.TN, m.TN))
    check_design(m.tiled_systolic, [A, B, np.zeros((m.TN, m.TN), np.int32)], {2: A @ B},
                 str(tmp_path / "ts.prj"))


@pytest.mark.csim
def test_packed_systolic(tmp_path):
    A = _ints((m.KM, m.KK), -300, 300, np.int16)
    B = _ints((m.KK, m.KN), -300, 300, np.int16)
    ref = A.astype(np.int32) @ B.astype(np.int32)
    check_design(m.packed_systolic, [A, B, np.zeros((m.KM, m.KN), np.int32)], {2: ref},
                 str(tmp_path / "pk.prj"))


@pytest.mark.csim
def test_systolic_convolution(tmp_path):
    X = _ints((m.CH, m.CW))
    check_design(m.systolic_conv, [X, np.zeros((m.COH, m.COW), np.int32)],
                 {1: m.systolic_conv_ref(X)}, str(tmp_path / "conv.prj"))
