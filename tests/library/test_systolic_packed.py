"""allo.library.systolic_packed: packed-operand systolic arrays, the int8 DSP-packed PE
(two products per multiply), the int8 mat-vec; bit-exact against numpy, C simulation."""

from __future__ import annotations

import re

import numpy as np
import pytest

import allo
from allo.ir.types import int8, int16, int32
from allo.library import KERNEL2SCHEDULE
from allo.library import systolic_packed as SP

from helpers import check_csim

RNG = np.random.default_rng(5)
WORD_DTYPES = {16: np.int16, 32: np.int32, 64: np.int64}


def pack(X: np.ndarray, lanes: int, width: int, axis: int) -> np.ndarray:
    """``X`` packed ``lanes`` elements of ``width`` bits per word along ``axis`` (lane p at
    bits ``[p·width, (p+1)·width)``), as the signed numpy type of the word width."""
    X = np.moveaxis(X.astype(np.int64), axis, 0)
    groups = X.reshape(X.shape[0] // lanes, lanes, *X.shape[1:]) & ((1 << width) - 1)
    word = np.zeros(groups.shape[:1] + groups.shape[2:], np.uint64)
    for p in range(lanes):
        word |= groups[:, p].astype(np.uint64) << np.uint64(p * width)
    word = word.view(np.int64).astype(WORD_DTYPES[lanes * width])
    return np.ascontiguousarray(np.moveaxis(word, 0, axis))


def _int8(shape):
    return RNG.integers(-128, 128, shape).astype(np.int8)


def test_pack_helper_lane_order():
    words = pack(np.array([[1], [-1]], np.int8), 2, 8, 0)
    assert words.dtype == np.int16 and words.tolist() == [[-255]]  # 0xff01


@pytest.mark.parametrize("types,np_types,m,k,n,mt,nt,p", [
    ((int8, int8, int32), (np.int8, np.int8, np.int32), 8, 5, 8, 4, 4, 2),
    ((int16, int8, int32), (np.int16, np.int8, np.int32), 4, 3, 8, 2, 4, 2),
    ((int8, int8, int16), (np.int8, np.int8, np.int16), 8, 4, 8, 8, 4, 4),
])
def test_packed_systolic_is_bit_exact_before_and_after_its_schedule(types, np_types, m, k, n,
                                                                   mt, nt, p):
    A = RNG.integers(-100, 100, (m, k)).astype(np_types[0])
    B = RNG.integers(-100, 100, (k, n)).astype(np_types[1])
    wa, wb, wc = (t.bits for t in types)
    expected = pack((A.astype(np.int64) @ B).astype(np_types[2]), p, wc, 0)
    s = allo.customize(SP.packed_systolic, instantiate=[*types, m, k, n, mt, nt, p])
    args = pack(A, p, wa, 0), pack(B, p, wb, 1)
    C = np.zeros_like(expected)
    s.build()(*args, C)
    np.testing.assert_array_equal(C, expected)
    assert KERNEL2SCHEDULE[SP.packed_systolic](s) is s
    assert sum(f.startswith("PE_kernel_") for f in s._state.function_names()) == mt * nt
    C = np.zeros_like(expected)
    s.build()(*args, C)
    np.testing.assert_array_equal(C, expected)


def test_int8_pair_pe_uses_one_multiply_per_step_and_covers_the_extremes():
    """Every product of the extreme int8 values (-128, -1, 0, 1, 127) in both lanes."""
    extremes = np.array([-128, -127, -1, 0, 1, 127], np.int8)
    A = np.repeat(extremes, 6).reshape(6, 6)  # row i: extremes[i] everywhere
    B = np.tile(extremes, (6, 1)).T.copy()  # every (lo, hi) column pair meets every a
    s = allo.customize(SP.systolic_tile_int8xint8, instantiate=[6, 6, 6])
    C = np.zeros((6, 6), np.int32)
    s.build()(A, B, C)
    np.testing.assert_array_equal(C, A.astype(np.int64) @ B)
    pe_text = str(s.module).split("func.func @PE_kernel_int8x2")[1].split("func.func")[0]
    data_multiplies = re.findall(r"arith\.muli .* : i\d+$", pe_text, re.MULTILINE)
    assert len(data_multiplies) == 1, data_multiplies  # two products, one multiplier


@pytest.mark.parametrize("m,k,n,mt,nt,p", [(8, 5, 8, 4, 4, 2), (8, 16, 8, 8, 8, 4),
                                           (4, 3, 16, 4, 8, 4)])
def test_packed_int8xint8_systolic_wraps_to_int8_lanes(m, k, n, mt, nt, p):
    A, B = _int8((m, k)), _int8((k, n))
    A[0, :] = -128
    B[:, 0] = -128
    expected = pack((A.astype(np.int64) @ B).astype(np.int8), p, 8, 0)
    s = allo.customize(SP.packed_int8xint8_systolic, instantiate=[m, k, n, mt, nt, p])
    C = np.zeros_like(expected)
    s.build()(pack(A, p, 8, 0), pack(B, p, 8, 1), C)
    np.testing.assert_array_equal(C, expected)


@pytest.mark.parametrize("l,d,p", [(6, 8, 4), (16, 4, 2), (5, 16, 8)])
def test_int8xint8_mat_vec(l, d, p):
    X, y = _int8((d, l)), _int8(l)
    X[0, :], y[0] = -128, -128
    expected = (X.astype(np.int64) @ y).astype(np.int8)
    s = allo.customize(SP.int8xint8_mat_vec, instantiate=[l, d, p])
    out = np.zeros(d, np.int8)
    s.build()(pack(X, p, 8, 0), y, out)
    np.testing.assert_array_equal(out, expected)
    KERNEL2SCHEDULE[SP.int8xint8_mat_vec](s)
    out = np.zeros(d, np.int8)
    s.build()(pack(X, p, 8, 0), y, out)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.csim
def test_scheduled_packed_int8xint8_systolic_csim_matches_the_cpu_build():
    m, k, n, mt, nt, p = 8, 5, 8, 4, 4, 2
    A, B = _int8((m, k)), _int8((k, n))
    s = allo.customize(SP.packed_int8xint8_systolic, instantiate=[m, k, n, mt, nt, p])
    SP.schedule_packed_int8xint8_systolic(s)
    code = s.build(target="vhls").hls_code
    assert code.count("void PE_kernel_") == mt * nt // 2  # the DSP-packed PE of systolic_tile
    assert "ap_int<35>" in code  # the 8 x 27-bit product of a DSP
    assert "hls::stream< int16_t > B_fifo[2][5];" in code  # int8 pairs between the PEs
    args = pack(A, p, 8, 0), pack(B, p, 8, 1)
    C = np.zeros((m // p, n), np.int16)
    s.build()(*args, C)
    np.testing.assert_array_equal(C, pack((A.astype(np.int64) @ B).astype(np.int8), p, 8, 0))
    check_csim(s, *args, np.zeros_like(C))  # the C++ writes the same C, bit for bit


@pytest.mark.csim
def test_packed_systolic_and_mat_vec_csim():
    A = RNG.integers(-100, 100, (4, 3)).astype(np.int16)
    B = _int8((3, 8))
    s = allo.customize(SP.packed_systolic, instantiate=[int16, int8, int32, 4, 3, 8, 2, 4, 2])
    SP.schedule_packed_systolic(s)
    check_csim(s, pack(A, 2, 16, 0), pack(B, 2, 8, 1), np.zeros((2, 8), np.int64))
    X, y = _int8((8, 6)), _int8(6)
    s = allo.customize(SP.int8xint8_mat_vec, instantiate=[6, 8, 4])
    SP.schedule_int8xint8_mat_vec(s)
    check_csim(s, pack(X, 4, 8, 0), y, np.zeros(8, np.int8))


def int8_gemm(A: int8[4, 6], B: int8[6, 4]) -> int32[4, 4]:
    C: int32[4, 4]
    SP.systolic_tile_int8xint8[6, 4, 4, "q"](A, B, C)
    return C


def test_int8_pair_tile_composes_with_its_schedule():
    A, B = _int8((4, 6)), _int8((6, 4))
    s = allo.customize(int8_gemm, global_vars={"SP": SP, "int8": int8, "int32": int32})
    s.compose(SP.systolic_tile_int8xint8, id="q", instantiate=[6, 4, 4])
    assert sum(f.startswith("PE_kernel_int8x2_q") for f in s._state.function_names()) == 4 * 2
    np.testing.assert_array_equal(s.build()(A, B), A.astype(np.int64) @ B)


def test_packed_kernels_are_reachable_from_the_systolic_module():
    from allo.library import systolic
    from allo.library.systolic import packed_int8xint8_systolic

    assert packed_int8xint8_systolic is SP.packed_int8xint8_systolic
    assert systolic.int8xint8_mat_vec is SP.int8xint8_mat_vec
    with pytest.raises(AttributeError):
        systolic.no_such_kernel  # noqa: B018


@pytest.mark.parametrize("kernel,inst,condition", [
    (SP.packed_int8xint8_systolic, [8, 4, 8, 4, 4, 8], "Mt % P == 0"),
    (SP.int8xint8_mat_vec, [4, 6, 4], "D % P == 0"),
    (SP.int8xint8_mat_vec, [4, 6, 3], "P % 2 == 0"),
    (SP.systolic_tile_int8xint8, [4, 2, 3], "Nt % 2 == 0"),
    (SP.packed_systolic, [int8, int8, int32, 6, 4, 8, 4, 4, 2], "M % Mt == 0"),
])
def test_shapes_the_kernels_cannot_cover_are_refused(kernel, inst, condition):
    with pytest.raises(allo.AlloError, match=re.escape(f"{kernel.__name__} needs {condition}")):
        allo.customize(kernel, instantiate=inst)


def test_a_refused_shape_in_a_template_call():
    def gemm(A: int8[4, 6], B: int8[6, 3]) -> int32[4, 3]:
        C: int32[4, 3]
        SP.systolic_tile_int8xint8[6, 4, 3](A, B, C)
        return C

    with pytest.raises(allo.AlloError, match=r"needs Nt % 2 == 0 \(Nt=3\)") as info:
        allo.customize(gemm, global_vars={"SP": SP, "int8": int8, "int32": int32})
    # located at the user's template call inside gemm
    assert "test_systolic_packed.py" in str(info.value)
    assert "SP.systolic_tile_int8xint8[6, 4, 3](A, B, C)" in str(info.value)


# ---------------------------------------------- the DSP-packed PE of systolic_tile (int8 x int16 -> int32)

def _int8_pair_case(m, k, n2):
    """``A`` int8 [m, k]; the int8 matrix ``L`` [k, 2·n2] as int16 column pairs ``B``; the lane
    reference: each int32 of ``C`` = the int16 sums of columns 2j, 2j+1 (wrapping)."""
    A, L = _int8((m, k)), _int8((k, 2 * n2))
    A[0, :], L[:, 0], L[:, 1] = -128, -128, 127  # extremes in both lanes; K·2^14 wraps int16
    expected = pack((A.astype(np.int64) @ L).astype(np.int16), 2, 16, 1)
    return A, pack(L, 2, 8, 1), expected


def _pe_multiplies(module_text: str, pe: str) -> list:
    body = module_text.split(f"func.func @{pe}(")[1].split("func.func")[0]
    return re.findall(r"arith\.muli .* : i\d+$", body, re.MULTILINE)


@pytest.mark.parametrize("m,k,n2,mt,nt", [(4, 9, 2, 2, 2), (6, 4, 3, 3, 1)])
def test_int8_int16_int32_systolic_is_the_dsp_packed_array(m, k, n2, mt, nt):
    from allo.library import systolic as S

    A, B, expected = _int8_pair_case(m, k, n2)
    s = allo.customize(S.systolic, instantiate=[int8, int16, int32, m, k, n2, mt, nt])
    assert len(_pe_multiplies(str(s.module), "PE_kernel")) == 1  # two products, one multiplier
    C = np.zeros_like(expected)
    s.build()(A, B, C)
    np.testing.assert_array_equal(C, expected)
    S.schedule_systolic(s)
    C = np.zeros_like(expected)
    s.build()(A, B, C)
    np.testing.assert_array_equal(C, expected)


def test_int8_int16_int32_cascade_adds_lane_by_lane():
    from allo.library import systolic as S

    A, B, expected = _int8_pair_case(4, 12, 2)
    s = allo.customize(S.cascaded_systolic, instantiate=[int8, int16, int32, 4, 12, 2, 2, 2, 4])
    C = np.zeros_like(expected)
    s.build()(A, B, C)
    np.testing.assert_array_equal(C, expected)  # a carry out of lane 0 would spoil lane 1


@pytest.mark.csim
def test_dsp_packed_systolic_csim_matches_the_cpu_build():
    from allo.library import systolic as S

    A, B, expected = _int8_pair_case(4, 6, 2)
    s = allo.customize(S.systolic, instantiate=[int8, int16, int32, 4, 6, 2, 2, 2])
    S.schedule_systolic(s)
    code = s.build(target="vhls").hls_code
    assert "hls::stream< int16_t > B_fifo[2][3];" in code  # int8 pairs between the PEs
    C = np.zeros_like(expected)
    s.build()(A, B, C)
    np.testing.assert_array_equal(C, expected)
    check_csim(s, A, B, np.zeros_like(expected))
