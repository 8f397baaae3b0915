"""Multi-cache GEMM, unified GEMM/convolution array, sparse 2:4 systolic array and custom
wrap_io data movement: simulator vs numpy, C simulation vs simulator."""

import numpy as np
import pytest

import allo
import allo.dataflow as df

import designs_extra as e
from df_helpers import check_design, simulate

rng = np.random.default_rng(7)


def _ints(shape, lo=-20, hi=20, dtype=np.int32):
    return rng.integers(lo, hi, shape).astype(dtype)


@pytest.mark.csim
def test_multi_cache_gemm(tmp_path):
    A, B = _ints((e.MM, e.MK)), _ints((e.MK, e.MN))
    check_design(e.multi_cache, [A, B, np.zeros((e.MM, e.MN), np.int32)], {2: A @ B},
                 str(tmp_path / "mc.prj"))


@pytest.mark.csim
def test_unified_systolic_gemm_and_convolution(tmp_path):
    """One C simulation build runs both modes; each agrees with the simulator and numpy."""
    A, X, W = _ints((e.UM, e.UK)), _ints(e.UM + e.UK - 1), _ints((e.UK, e.UN))
    C = np.zeros((e.UM, e.UN), np.int32)
    gemm = check_design(e.unified, [A, X, W, np.array([0], np.int32), C], {4: A @ W}, None)
    conv = check_design(e.unified, [A, X, W, np.array([1], np.int32), C],
                        {4: e.unified_conv_ref(X, W)}, None)
    if not allo.backend.hls.is_available("csim"):
        pytest.skip("C simulation needs g++ and the hls4ml headers")
    mod = df.build(e.unified, target="vitis_hls", mode="csim", project=str(tmp_path / "u.prj"))
    for sim in (gemm, conv):
        arrays = [a.copy() for a in (A, X, W, sim[3], C)]
        mod(*arrays)
        np.testing.assert_array_equal(arrays[4], sim[4])


def test_unified_array_is_one_build_for_both_operations():
    sim = df.build(e.unified, target="simulator")
    A, X, W = _ints((e.UM, e.UK)), _ints(e.UM + e.UK - 1), _ints((e.UK, e.UN))
    for mode, ref in ((0, A @ W), (1, e.unified_conv_ref(X, W))):
        out = simulate(sim, A, X, W, np.array([mode], np.int32),
                       np.zeros((e.UM, e.UN), np.int32))[4]
        np.testing.assert_array_equal(out, ref)


@pytest.mark.csim
def test_sparse_2_4_systolic_with_packing(tmp_path):
    A = e.sparse_2_4(rng, (e.ZM, e.ZK))
    B = _ints((e.ZK, e.ZN), -100, 100, np.int8)
    ref = A.astype(np.int32) @ B.astype(np.int32)
    check_design(e.sparse_systolic, [A, B, np.zeros((e.ZM, e.ZN), np.int32)], {2: ref},
                 str(tmp_path / "sp.prj"))


def test_sparse_packing_in_hls_code():
    code = df.build(e.sparse_systolic, target="vhls", mode=None, project=None).hls_code
    assert "hls::stream< uint32_t > &fa_0_0" in code
    assert ".range(" in code or "(19, 18)" in code or "<< 18" in code or ">> 18" in code


@pytest.mark.csim
def test_custom_data_movement_with_wrap_io(tmp_path):
    X = _ints((e.XR, e.XC), -1000, 1000)
    sim = simulate(e.transpose_io, X, np.zeros_like(X))[1]
    np.testing.assert_array_equal(sim, 2 * X + 1)
    if not allo.backend.hls.is_available("csim"):
        pytest.skip("C simulation needs g++ and the hls4ml headers")
    mod = df.build(e.transpose_io, target="vitis_hls", mode="csim",
                   project=str(tmp_path / "io.prj"), configs={"mappings": e.COLUMN_MAJOR})
    host_x = np.ascontiguousarray(X.T).reshape(-1)  # the host keeps X column-major
    host_y = np.zeros(e.XR * e.XC, np.int32)
    mod(host_x, host_y)
    np.testing.assert_array_equal(host_y.reshape(e.XC, e.XR).T, sim)
    assert "load_buf0" in mod.hls_code and "store_res1" in mod.hls_code


def test_wrap_io_skips_copy_in_of_an_output_an_instance_fully_writes():
    code = df.build(e.transpose_io, target="vitis_hls", mode=None, project=None).hls_code
    assert "load_buf0(" in code and "store_res1(" in code
    assert "load_buf1" not in code  # Y is written whole by store_0
