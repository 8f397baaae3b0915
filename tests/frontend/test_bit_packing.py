"""Bit-level DSP packing: two int8 x int4 products from one 48-bit multiply.

The kernel packs the magnitudes of two int4 weights into one wide operand (bits [0:4] and
[13:17]), multiplies once by the int8 activation's magnitude, cuts the two 13-bit fields
apart, restores each sign from the operands' sign bits (``a[7] ^ b0[3]``), and accumulates
both products as int16 halves of one int32 (the borrow of a negative low half is added back
when unpacking, ``acc[16:32] + acc[15]``). The numpy reference performs the same packed
arithmetic on Python integers; it must agree bit for bit, and equal the plain product.
"""

import numpy as np

import allo
from allo.ir.types import UInt, index, int4, int8, int16, int32

from helpers import check_csim

M, K, N = 4, 8, 6
COMBOS = 256 * 16 * 16


def dsp_gemm(A: int8[M, K], B: int4[K, N]) -> int16[M, N]:
    C: int16[M, N] = 0
    for i in range(M):
        for jp in range(N // 2):
            acc: int32 = 0
            for k in range(K):
                a: int8 = A[i, k]
                b0: int4 = B[k, 2 * jp]
                b1: int4 = B[k, 2 * jp + 1]
                am: int16 = -a if a[7] else a
                b0m: int8 = -b0 if b0[3] else b0
                b1m: int8 = -b1 if b1[3] else b1
                au: UInt(8) = am
                b0u: UInt(4) = b0m
                b1u: UInt(4) = b1m
                op0: UInt(48) = au
                op1: UInt(48) = 0
                op1[0:4] = b0u
                op1[13:17] = b1u
                prod: UInt(48) = op0 * op1
                lo_m: int16 = prod[0:13]
                hi_m: int16 = prod[13:26]
                lo: int16 = -lo_m if a[7] ^ b0[3] else lo_m
                hi: int16 = -hi_m if a[7] ^ b1[3] else hi_m
                packed: int32 = hi
                packed = (packed << 16) + lo
                acc += packed
            C[i, 2 * jp] = acc[0:16]
            C[i, 2 * jp + 1] = acc[16:32] + acc[15]
    return C


def packed_products(a: int8[COMBOS], b0: int4[COMBOS], b1: int4[COMBOS]) -> int32[COMBOS]:
    # one packed multiply per lane; the result keeps both signed products as int16 halves
    out: int32[COMBOS] = 0
    for t in range(COMBOS):
        av: int8 = a[t]
        b0v: int4 = b0[t]
        b1v: int4 = b1[t]
        am: int16 = -av if av[7] else av
        b0m: int8 = -b0v if b0v[3] else b0v
        b1m: int8 = -b1v if b1v[3] else b1v
        op0: UInt(48) = am
        op1: UInt(48) = 0
        op1[0:4] = b0m
        op1[13:17] = b1m
        prod: UInt(48) = op0 * op1
        lo: int16 = prod[0:13]
        hi: int16 = prod[13:26]
        word: int32 = 0
        word[0:16] = -lo if av[7] ^ b0v[3] else lo
        word[16:32] = -hi if av[7] ^ b1v[3] else hi
        out[t] = word
    return out


def _bit(x: int, k: int) -> int:
    return (x >> k) & 1


def packed_step(a: int, b0: int, b1: int) -> tuple[int, int]:
    """The kernel's packed arithmetic for one (a, b0, b1), on Python integers."""
    op0 = abs(a) & 0xFF
    op1 = (abs(b0) & 0xF) | ((abs(b1) & 0xF) << 13)
    prod = (op0 * op1) & ((1 << 48) - 1)
    lo, hi = prod & 0x1FFF, (prod >> 13) & 0x1FFF
    if _bit(a, 7) ^ _bit(b0, 3):
        lo = -lo
    if _bit(a, 7) ^ _bit(b1, 3):
        hi = -hi
    return lo, hi


def _wrap(x: int, bits: int) -> int:
    x &= (1 << bits) - 1
    return x - (1 << bits) if x >> (bits - 1) else x


def dsp_gemm_ref(A, B):
    C = np.zeros((M, N), dtype=np.int16)
    for i in range(M):
        for jp in range(N // 2):
            acc = 0
            for k in range(K):
                lo, hi = packed_step(int(A[i, k]), int(B[k, 2 * jp]), int(B[k, 2 * jp + 1]))
                acc = _wrap(acc + ((hi << 16) + lo), 32)
            C[i, 2 * jp] = _wrap(acc, 16)
            C[i, 2 * jp + 1] = _wrap(((acc >> 16) & 0xFFFF) + _bit(acc, 15), 16)
    return C


def _operands(seed):
    rng = np.random.default_rng(seed)
    A = rng.integers(-128, 128, (M, K)).astype(np.int8)
    B = rng.integers(-8, 8, (K, N)).astype(np.int8)
    A[0, :] = -128  # the extreme magnitudes and zero
    B[:, 0] = -8
    A[1, 0], B[0, 1] = 0, 0
    return A, B


def test_packed_gemm_is_bit_exact_on_the_cpu():
    s = allo.customize(dsp_gemm)
    mod = s.build()
    for seed in range(3):
        A, B = _operands(seed)
        got = mod(A, B)
        np.testing.assert_array_equal(got, dsp_gemm_ref(A, B))
        np.testing.assert_array_equal(got, A.astype(np.int64) @ B.astype(np.int64))


def test_packed_gemm_in_c_simulation():
    A, B = _operands(7)
    results = check_csim(allo.customize(dsp_gemm), A, B)
    np.testing.assert_array_equal(results[0], dsp_gemm_ref(A, B))


def test_every_int8_by_int4_pair_of_products():
    a, b0, b1 = np.meshgrid(np.arange(-128, 128), np.arange(-8, 8), np.arange(-8, 8),
                            indexing="ij")
    a, b0, b1 = (x.reshape(-1).astype(np.int8) for x in (a, b0, b1))
    words = allo.customize(packed_products).build()(a, b0, b1)
    lo = (words & 0xFFFF).astype(np.uint16).view(np.int16)
    hi = ((words >> 16) & 0xFFFF).astype(np.uint16).view(np.int16)
    np.testing.assert_array_equal(lo, a.astype(np.int16) * b0)
    np.testing.assert_array_equal(hi, a.astype(np.int16) * b1)
    for t in range(0, COMBOS, 997):  # the Python model of the packed step agrees as well
        assert packed_step(int(a[t]), int(b0[t]), int(b1[t])) == (int(lo[t]), int(hi[t]))


def lane_of(word: int32, p: index) -> int8:
    # p is a run-time index parameter: the width is still hi - lo = 8
    return word[p * 8:p * 8 + 8]


def unpack_lanes(X: int32[4]) -> int8[4, 4]:
    Y: int8[4, 4]
    for i in range(4):
        for p in range(4):
            Y[i, p] = lane_of(X[i], p)
    return Y


def test_bit_slice_at_a_run_time_offset_with_a_constant_width():
    X = np.array([0x01020304, -1, 0x7F80FF00, 12345678], np.int32)
    expected = X.view(np.int8).reshape(4, 4)  # little-endian lanes
    s = allo.customize(unpack_lanes)
    np.testing.assert_array_equal(s.build()(X), expected)
    check_csim(s, X)
