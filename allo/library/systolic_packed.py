"""Systolic arrays on packed operands and the int8 DSP-packing kernels (``backends.md`` §10).

Packed data: ``P`` lanes of ``w`` bits in one ``Int(w·P)`` word, lane ``p`` = bits
``[p·w, (p+1)·w)``. Matrices are packed along their rows (``A``, ``C``: word ``[r, c]`` holds
rows ``r·P … r·P+P-1`` of column ``c``) or columns (``B``: word ``[r, c]`` holds columns
``c·P … c·P+P-1`` of row ``r``).

- ``packed_systolic[TyA, TyB, TyC, M, K, N, Mt, Nt, P]`` unpacks ``Mt×K``/``K×Nt`` tiles into
  ``local_A``/``local_B``, runs :func:`~allo.library.systolic.systolic_tile` and packs
  ``local_C`` into ``C``.
- ``PE_kernel_int8x2`` computes two int8 products with **one** multiply: the int8 operand ``a``
  times ``b1·2¹⁸ + b0`` (27 bits, a DSP48's wide port) gives ``a·b0`` in the low 18 bits (signed)
  and ``a·b1`` in the bits above, exactly. ``systolic_tile_int8xint8`` is the ``Mt×Nt/2`` grid
  of them (int32 sums). ``packed_int8xint8_systolic[M, K, N, Mt, Nt, P]`` is the packed int8
  GEMM on the DSP-packed ``systolic_tile[int8, int16, int32, ...]`` (the same split inside
  ``PE_kernel``, int16 sums; each lane of ``C`` keeps the low 8 bits, i.e. int8 wrap-around).
- ``int8xint8_mat_vec[L, D, P]``: ``out[d] = Σ_l X[d, l]·y[l]`` on a ``D×L`` int8 matrix packed
  along ``D``, ``P/2`` :func:`pe_kernel` lanes each doing two products per multiply.

>>> import numpy as np, allo
>>> from allo.ir.types import int8, int32
>>> s = allo.customize(systolic_tile_int8xint8, instantiate=[3, 2, 2])
>>> A = np.array([[1, 2, 3], [-4, 5, -6]], np.int8); B = np.full((3, 2), -128, np.int8)
>>> C = np.zeros((2, 2), np.int32); s.build()(A, B, C); C.tolist()
[[-768, -768], [640, 640]]
"""

from __future__ import annotations

import allo

from ..frontend.types import Int, index, int8, int16, int32  # noqa: F401 - the kernels' types
from . import KERNEL2SCHEDULE
from .systolic import (  # noqa: F401 - systolic_tile: template calls
    PRODUCT_FIELD, schedule_systolic_instance, stream_pe_grid, systolic_tile)
from .template import type_params



@type_params("TyA", "TyB", "TyC", "M", "K", "N", "Mt", "Nt", "P",
             requires=("M % Mt == 0", "N % Nt == 0", "Mt % P == 0", "Nt % P == 0"))
def packed_systolic(A: Int(TyA.bits * P)[M // P, K], B: Int(TyB.bits * P)[K, N // P],
                    C: Int(TyC.bits * P)[M // P, N]):
    """``C = A·B`` on packed operands (``M % Mt == N % Nt == 0``, ``Mt % P == Nt % P == 0``)."""
    local_A: TyA[Mt, K]
    local_B: TyB[K, Nt]
    local_C: TyC[Mt, Nt]
    for mi, ni in allo.grid(M // Mt, N // Nt, name="outer_tile"):
        for ak, ai, ap in allo.grid(K, Mt // P, P):
            word_a: Int(TyA.bits * P) = A[mi * (Mt // P) + ai, ak]
            local_A[ai * P + ap, ak] = word_a[ap * TyA.bits:ap * TyA.bits + TyA.bits]
        for bk, bj, bp in allo.grid(K, Nt // P, P):
            word_b: Int(TyB.bits * P) = B[bk, ni * (Nt // P) + bj]
            local_B[bk, bj * P + bp] = word_b[bp * TyB.bits:bp * TyB.bits + TyB.bits]
        systolic_tile[TyA, TyB, TyC, K, Mt, Nt](local_A, local_B, local_C)
        for sj, si in allo.grid(Nt, Mt // P):
            word_c: Int(TyC.bits * P) = 0
            for sp in range(P):
                word_c[sp * TyC.bits:sp * TyC.bits + TyC.bits] = local_C[si * P + sp, sj]
            C[mi * (Mt // P) + si, ni * Nt + sj] = word_c


@type_params("K", "Mt", "Nt")
def PE_kernel_int8x2(A_in: int8[K], B_in: Int(16)[K], A_out: int8[K], B_out: Int(16)[K],
                     C: int32[Mt, Nt], i: index, j: index):
    """``C[i, 2j] = Σ_k a·b0`` and ``C[i, 2j+1] = Σ_k a·b1`` for the int8 pair ``(b0, b1)`` of
    each ``B_in[k]``, one multiply per ``k`` (stage ``reduction``)."""
    sum_lo: int32 = 0
    sum_hi: int32 = 0
    for k in range(K, name="reduction"):
        a: int8 = A_in[k]
        pair: Int(16) = B_in[k]
        b0: int8 = pair[0:8]
        b1: int8 = pair[8:16]
        wide_b: Int(27) = b1
        wide_b = (wide_b << PRODUCT_FIELD) + b0
        product: Int(36) = a * wide_b
        low: Int(PRODUCT_FIELD) = product[0:PRODUCT_FIELD]
        high: Int(PRODUCT_FIELD) = (product - low) >> PRODUCT_FIELD
        sum_lo += low
        sum_hi += high
        A_out[k] = a
        B_out[k] = pair
    C[i, 2 * j] = sum_lo
    C[i, 2 * j + 1] = sum_hi


@type_params("K", "Mt", "Nt", requires=("Nt % 2 == 0",))
def systolic_tile_int8xint8(A: int8[Mt, K], B: int8[K, Nt], C: int32[Mt, Nt]):
    """``C = A·B`` on an ``Mt×(Nt/2)`` grid of :func:`PE_kernel_int8x2` (``Nt`` even): each
    PE owns two adjacent columns of ``C``; ``B_fifo`` carries their int8 pairs."""
    A_fifo: int8[Mt, Nt // 2 + 1, K]
    B_fifo: Int(16)[Nt // 2, Mt + 1, K]
    A_drain: int8[Mt]
    B_drain: Int(16)[Nt // 2]
    for k in range(K, name="data_load"):
        for m in range(Mt):
            A_fifo[m, 0, k] = A[m, k]
        for n in range(Nt // 2):
            pair: Int(16) = 0
            pair[0:8] = B[k, 2 * n]
            pair[8:16] = B[k, 2 * n + 1]
            B_fifo[n, 0, k] = pair
    for i, j in allo.grid(Mt, Nt // 2, name="PE"):
        PE_kernel_int8x2[K, Mt, Nt](A_fifo[i, j], B_fifo[j, i], A_fifo[i, j + 1],
                                    B_fifo[j, i + 1], C, i, j)
    for k in range(K, name="data_drain"):
        for m in range(Mt):
            A_drain[m] = A_fifo[m, Nt // 2, k]
        for n in range(Nt // 2):
            B_drain[n] = B_fifo[n, Mt, k]


@type_params("M", "K", "N", "Mt", "Nt", "P",
             requires=("M % Mt == 0", "N % Nt == 0", "Mt % P == 0", "Nt % P == 0",
                       "Nt % 2 == 0"))
def packed_int8xint8_systolic(A: Int(8 * P)[M // P, K], B: Int(8 * P)[K, N // P],
                              C: Int(8 * P)[M // P, N]):
    """int8 ``C = A·B`` on ``P``-lane packed words through the DSP-packed
    ``systolic_tile[int8, int16, int32, K, Mt, Nt // 2]`` (two products per multiply: ``local_B``
    holds the tile's columns ``2n, 2n+1`` as int8 pairs, ``local_C`` their int16 sums); lanes of
    ``C`` wrap to int8."""
    local_A: int8[Mt, K]
    local_B: int16[K, Nt // 2]
    local_C: int32[Mt, Nt // 2]
    for mi, ni in allo.grid(M // Mt, N // Nt, name="outer_tile"):
        for ak, ai, ap in allo.grid(K, Mt // P, P):
            word_a: Int(8 * P) = A[mi * (Mt // P) + ai, ak]
            local_A[ai * P + ap, ak] = word_a[ap * 8:ap * 8 + 8]
        for bk, bj in allo.grid(K, Nt // 2):
            pair: int16 = 0
            for bp in range(2):
                col: index = ni * Nt + 2 * bj + bp
                word_b: Int(8 * P) = B[bk, col // P]
                lane_b: index = col % P
                pair[bp * 8:bp * 8 + 8] = word_b[lane_b * 8:lane_b * 8 + 8]
            local_B[bk, bj] = pair
        systolic_tile[int8, int16, int32, K, Mt, Nt // 2](local_A, local_B, local_C)
        for sj, si in allo.grid(Nt, Mt // P):
            word_c: Int(8 * P) = 0
            lane_c: index = sj % 2
            for sp in range(P):
                sums: int32 = local_C[si * P + sp, sj // 2]
                word_c[sp * 8:sp * 8 + 8] = sums[lane_c * 16:lane_c * 16 + 8]
            C[mi * (Mt // P) + si, ni * Nt + sj] = word_c


@type_params("L", "P")
def pe_kernel(x_row: Int(8 * P)[L], y: int8[L], acc: int32[P], q: index):
    """Lanes ``2q`` and ``2q+1`` of one packed matrix row times ``y``: one multiply per ``l``
    (the int8 pair as ``b1·2¹⁸ + b0``), sums into ``acc[2q]``, ``acc[2q+1]``."""
    sum_lo: int32 = 0
    sum_hi: int32 = 0
    for l in range(L, name="reduction"):
        word: Int(8 * P) = x_row[l]
        x0: int8 = word[q * 16:q * 16 + 8]
        x1: int8 = word[q * 16 + 8:q * 16 + 16]
        wide_x: Int(27) = x1
        wide_x = (wide_x << PRODUCT_FIELD) + x0
        product: Int(36) = y[l] * wide_x
        low: Int(PRODUCT_FIELD) = product[0:PRODUCT_FIELD]
        high: Int(PRODUCT_FIELD) = (product - low) >> PRODUCT_FIELD
        sum_lo += low
        sum_hi += high
    acc[2 * q] = sum_lo
    acc[2 * q + 1] = sum_hi


@type_params("L", "D", "P", requires=("D % P == 0", "P % 2 == 0"))
def int8xint8_mat_vec(x_in: Int(8 * P)[D // P, L], y_in: int8[L], out: int8[D]):
    """``out = X·y`` (int8, wrapping) for the ``D×L`` matrix ``X`` packed ``P`` rows per word
    (``P`` even): stage ``row`` (loop ``r``), ``P/2`` :func:`pe_kernel` calls (stage ``pe``)."""
    row_buf: Int(8 * P)[L]
    acc: int32[P]
    for r in range(D // P, name="row"):
        for l in range(L, name="load"):
            row_buf[l] = x_in[r, l]
        for q in range(P // 2, name="pe"):
            pe_kernel[L, P](row_buf, y_in, acc, q)
        for p in range(P, name="store"):
            out[r * P + p] = acc[p]


def schedule_packed_systolic(s):
    """:func:`~allo.library.systolic.schedule_systolic` for :func:`packed_systolic`."""
    return schedule_systolic_instance(s, s.top_func_name, "systolic_tile", "PE_kernel")


def schedule_packed_int8xint8_systolic(s):
    """Partitions, pipelined loads/stores and PE reductions, one function per packed PE."""
    return schedule_systolic_instance(s, s.top_func_name, "systolic_tile", "PE_kernel")


def schedule_systolic_tile_int8xint8(s):
    """Pipeline the PEs' reductions, unfold the PE grid into one function per PE and stream
    the operands between neighbouring PEs."""
    s.pipeline("PE_kernel_int8x2:k")
    stream_pe_grid(s, "systolic_tile_int8xint8")
    return s


def schedule_int8xint8_mat_vec(s):
    """Pipeline the row load and each lane's reduction; unroll the lanes (one per DSP)."""
    s.partition(f"{s.top_func_name}:acc", dim=0)
    s.pipeline(f"{s.top_func_name}:l")
    s.pipeline("pe_kernel:l")
    s.unroll(f"{s.top_func_name}:q")
    s.pipeline(f"{s.top_func_name}:p")
    return s


KERNEL2SCHEDULE[packed_systolic] = schedule_packed_systolic
KERNEL2SCHEDULE[packed_int8xint8_systolic] = schedule_packed_int8xint8_systolic
KERNEL2SCHEDULE[systolic_tile_int8xint8] = schedule_systolic_tile_int8xint8
KERNEL2SCHEDULE[int8xint8_mat_vec] = schedule_int8xint8_mat_vec
