"""allo.library.systolic: tiled output-stationary systolic GEMM, its schedule, C simulation."""

from __future__ import annotations

import numpy as np
import pytest

import allo
from allo.ir.types import float32, int8, int16, int32, int64
from allo.library import KERNEL2SCHEDULE
from allo.library import systolic as S

from helpers import check_csim

RNG = np.random.default_rng(11)


def _int_case(m, k, n, ta=np.int8, tb=np.int8):
    return RNG.integers(-100, 100, (m, k)).astype(ta), RNG.integers(-100, 100, (k, n)).astype(tb)


@pytest.mark.parametrize("types,m,k,n,mt,nt", [
    ((int8, int8, int32), 8, 6, 4, 4, 2),
    ((int16, int8, int32), 4, 5, 6, 2, 3),
    ((int8, int16, int64), 4, 5, 6, 2, 3),
    ((int8, int8, int16), 4, 4, 4, 4, 4),
])
def test_systolic_matches_numpy_before_and_after_its_schedule(types, m, k, n, mt, nt):
    np_types = {int8: np.int8, int16: np.int16, int32: np.int32, int64: np.int64}
    A, B = _int_case(m, k, n, np_types[types[0]], np_types[types[1]])
    out_t = np_types[types[2]]
    expected = (A.astype(np.int64) @ B.astype(np.int64)).astype(out_t)
    s = allo.customize(S.systolic, instantiate=[*types, m, k, n, mt, nt])
    C = np.zeros((m, n), out_t)
    s.build()(A, B, C)
    np.testing.assert_array_equal(C, expected)
    assert KERNEL2SCHEDULE[S.systolic](s) is s
    names = s._state.function_names()
    assert sum(f.startswith("PE_kernel_") for f in names) == mt * nt  # one function per PE
    C = np.zeros((m, n), out_t)
    s.build()(A, B, C)
    np.testing.assert_array_equal(C, expected)


def test_contract_names():
    s = allo.customize(S.systolic, instantiate=[int8, int8, int32, 4, 3, 4, 2, 2])
    loops = s.get_loops()
    assert [name for name, _ in loops] == ["outer_tile"]
    assert [name for name, _ in loops.outer_tile] == ["mi", "ni", "ak", "ai", "bk", "bj", "sj",
                                                      "si"]
    tile_stages = [name for name, _ in s.get_loops("systolic_tile")]
    assert tile_stages == ["data_load", "PE", "data_drain"]
    assert [name for name, _ in s.get_loops("PE_kernel")] == ["reduction"]
    text = str(s.module)
    for buf in ("local_A", "local_B", "local_C", "A_fifo", "B_fifo", "A_drain", "B_drain"):
        assert f'name = "{buf}"' in text, buf


@pytest.mark.csim
def test_scheduled_systolic_csim_and_hls_pragmas():
    A, B = _int_case(8, 6, 4)
    s = allo.customize(S.systolic, instantiate=[int8, int8, int32, 8, 6, 4, 4, 2])
    S.schedule_systolic(s)
    code = s.build(target="vhls").hls_code
    assert "#pragma HLS array_partition variable=local_A complete dim=1" in code
    assert "#pragma HLS array_partition variable=local_B complete dim=2" in code
    assert code.count("void PE_kernel_") == 8  # the unfolded grid
    # operands flow between neighbouring PEs through arrays of FIFOs
    assert "hls::stream< int8_t > A_fifo[4][3];" in code
    assert "#pragma HLS stream variable=A_fifo depth=5" in code
    assert "hls::stream< int8_t > B_fifo[2][5];" in code
    assert "#pragma HLS stream variable=B_fifo depth=3" in code
    assert code.count("#pragma HLS pipeline II=1") >= 8 + 3  # each PE's k; ak, bk, sj
    C = np.zeros((8, 4), np.int32)
    check_csim(s, A, B, C)


def test_float_systolic_composes_into_a_caller_with_an_id():
    def gemm(A: float32[4, 8], B: float32[8, 6]) -> float32[4, 6]:
        C: float32[4, 6]
        S.systolic[float32, float32, float32, 4, 8, 6, 2, 3, "mm"](A, B, C)
        return C

    A = RNG.standard_normal((4, 8)).astype(np.float32)
    B = RNG.standard_normal((8, 6)).astype(np.float32)
    s = allo.customize(gemm, global_vars={"S": S, "float32": float32})
    s.compose(S.systolic, id="mm", instantiate=[float32, float32, float32, 4, 8, 6, 2, 3])
    assert "systolic_mm" in s._state.function_names()
    np.testing.assert_allclose(s.build()(A, B), A @ B, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("m,k,n,mt,nt,kt", [(8, 12, 4, 4, 2, 4), (4, 6, 6, 2, 3, 3),
                                            (4, 5, 4, 4, 4, 5)])
def test_cascaded_systolic_matches_numpy_before_and_after_its_schedule(m, k, n, mt, nt, kt):
    A, B = _int_case(m, k, n)
    expected = A.astype(np.int64) @ B.astype(np.int64)
    s = allo.customize(S.cascaded_systolic, instantiate=[int8, int8, int32, m, k, n, mt, nt, kt])
    C = np.zeros((m, n), np.int32)
    s.build()(A, B, C)
    np.testing.assert_array_equal(C, expected)
    assert [name for name, _ in s.get_loops().outer_tile][:3] == ["mi", "ni", "zi"]
    assert KERNEL2SCHEDULE[S.cascaded_systolic](s) is s
    C = np.zeros((m, n), np.int32)
    s.build()(A, B, C)
    np.testing.assert_array_equal(C, expected)


def test_float_cascaded_systolic():
    A = RNG.standard_normal((4, 8)).astype(np.float32)
    B = RNG.standard_normal((8, 6)).astype(np.float32)
    s = allo.customize(S.cascaded_systolic,
                       instantiate=[float32, float32, float32, 4, 8, 6, 2, 3, 4])
    C = np.zeros((4, 6), np.float32)
    s.build()(A, B, C)
    np.testing.assert_allclose(C, A @ B, rtol=1e-5, atol=1e-5)


@pytest.mark.csim
def test_scheduled_cascaded_systolic_csim():
    A, B = _int_case(8, 12, 4)
    s = allo.customize(S.cascaded_systolic, instantiate=[int8, int8, int32, 8, 12, 4, 4, 2, 4])
    S.schedule_cascaded_systolic(s)
    assert "#pragma HLS array_partition variable=acc complete dim=1" in \
        s.build(target="vhls").hls_code
    check_csim(s, A, B, np.zeros((8, 4), np.int32))


def two_layer(X: int8[8, 6], W1: int8[6, 4], W2: int16[4, 4]) -> int32[8, 4]:
    H: int16[8, 4]
    Y: int32[8, 4]
    S.systolic[int8, int8, int16, 8, 6, 4, 4, 2, "L1"](X, W1, H)
    S.systolic[int16, int16, int32, 8, 4, 4, 2, 4, "L2"](H, W2, Y)
    return Y


@pytest.mark.csim
def test_two_systolic_arrays_in_a_chain_each_with_its_schedule():
    """Two composed instances, the first one's C feeding the second one's A; each keeps its own
    PE grid (``PE_kernel_L1_*``, ``PE_kernel_L2_*``) and FIFOs."""
    X = RNG.integers(-20, 20, (8, 6)).astype(np.int8)
    W1 = RNG.integers(-20, 20, (6, 4)).astype(np.int8)
    W2 = RNG.integers(-300, 300, (4, 4)).astype(np.int16)
    hidden = (X.astype(np.int64) @ W1).astype(np.int16)
    expected = (hidden.astype(np.int64) @ W2).astype(np.int32)
    s = allo.customize(two_layer, global_vars={"S": S, "int8": int8, "int16": int16,
                                               "int32": int32})
    s.compose(S.systolic, id="L1", instantiate=[int8, int8, int16, 8, 6, 4, 4, 2])
    s.compose(S.systolic, id="L2", instantiate=[int16, int16, int32, 8, 4, 4, 2, 4])
    names = s._state.function_names()
    assert sum(f.startswith("PE_kernel_L1") for f in names) == 4 * 2
    assert sum(f.startswith("PE_kernel_L2") for f in names) == 2 * 4
    np.testing.assert_array_equal(s.build()(X, W1, W2), expected)
    check_csim(s, X, W1, W2)
