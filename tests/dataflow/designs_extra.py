"""Dataflow designs of the issue's list not covered elsewhere: multi-cache GEMM, a unified
systolic array for GEMM and convolution, a sparse (2:4) systolic array with data packing, and
a region whose top moves its data with custom ``wrap_io`` mappings; each with its numpy
meaning."""

from __future__ import annotations

import numpy as np

import allo
import allo.dataflow as df
from allo.ir.types import Stream, int8, int32, uint32

# ----------------------------------------------------------------------------- multi-cache GEMM

MM, MK, MN, MP = 6, 8, 6, 3  # MP PEs, each caching MN // MP columns of B
MB = MN // MP


@df.region()
def multi_cache(A: int32[MM, MK], B: int32[MK, MN], C: int32[MM, MN]):
    """Every PE fills its own cache with a column block of B once, then multiplies the rows of
    A broadcast to all PEs; a collector assembles the row blocks of C."""
    bcol: Stream[int32[MK, MB], 1][MP]
    arow: Stream[int32[MK], 2][MP]
    crow: Stream[int32[MB], 2][MP]

    @df.kernel(mapping=[1], args=[A, B])
    def distribute(a: int32[MM, MK], b: int32[MK, MN]):
        with allo.meta_for(MP) as p:
            blk: int32[MK, MB] = 0
            for k, n in allo.grid(MK, MB):
                blk[k, n] = b[k, p * MB + n]
            bcol[p].put(blk)
        for m in range(MM):
            with allo.meta_for(MP) as p:
                arow[p].put(a[m])

    @df.kernel(mapping=[MP], args=[])
    def pe():
        p = df.get_pid()
        cache: int32[MK, MB] = bcol[p].get()
        for m in range(MM):
            row: int32[MK] = arow[p].get()
            out: int32[MB] = 0
            for n in range(MB):
                for k in range(MK):
                    out[n] += row[k] * cache[k, n]
            crow[p].put(out)

    @df.kernel(mapping=[1], args=[C])
    def collect(c: int32[MM, MN]):
        for m in range(MM):
            with allo.meta_for(MP) as p:
                part: int32[MB] = crow[p].get()
                for n in range(MB):
                    c[m, p * MB + n] = part[n]


# ----------------------------------------------------------------------------- unified systolic

UM, UK, UN = 4, 5, 3  # UM x UN PEs, reduction length UK


@df.region()
def unified(A: int32[UM, UK], X: int32[UM + UK - 1], W: int32[UK, UN], mode: int32[1],
            C: int32[UM, UN]):
    """One output-stationary array for both operations: ``mode[0] == 0`` feeds the rows of A
    (C = A @ W); otherwise the row feeders read sliding windows of the signal X (im2col), so
    C[m, n] = sum_k X[m + k] * W[k, n], a 1-D convolution with UN filters of UK taps."""
    fa: Stream[int32, 2][UM, UN]
    fw: Stream[int32, 2][UM, UN]

    @df.kernel(mapping=[UM], args=[A, X, mode])
    def rows(a: int32[UM, UK], x: int32[UM + UK - 1], md: int32[1]):
        i = df.get_pid()
        for k in range(UK):
            v: int32 = 0
            if md[0] == 0:
                v = a[i, k]
            else:
                v = x[i + k]
            fa[i, 0].put(v)

    @df.kernel(mapping=[UN], args=[W])
    def cols(w: int32[UK, UN]):
        j = df.get_pid()
        for k in range(UK):
            fw[0, j].put(w[k, j])

    @df.kernel(mapping=[UM, UN], args=[C])
    def pe(c: int32[UM, UN]):
        i, j = df.get_pid()
        acc: int32 = 0
        for k in range(UK):
            x: int32 = fa[i, j].get()
            y: int32 = fw[i, j].get()
            acc += x * y
            with allo.meta_if(j < UN - 1):
                fa[i, j + 1].put(x)
            with allo.meta_if(i < UM - 1):
                fw[i + 1, j].put(y)
        c[i, j] = acc


def unified_conv_ref(X, W):
    windows = np.stack([X[m:m + UK] for m in range(UM)])
    return windows @ W


# ----------------------------------------------------------------------------- sparse 2:4 systolic

ZM, ZK, ZN = 4, 8, 3  # A[ZM, ZK] has at most 2 nonzeros in every group of 4 along K
ZG = ZK // 4


@df.region()
def sparse_systolic(A: int8[ZM, ZK], B: int8[ZK, ZN], C: int32[ZM, ZN]):
    """2:4 structured sparsity with data packing: a compressor keeps the two nonzeros of each
    group of four and packs them with their 2-bit positions in one word (bits 0-7 and 8-15:
    the values, 16-17 and 18-19: the positions); the words travel along a row of PEs and PE
    (i, j) multiplies only the kept values by the matching rows of column j of B."""
    fa: Stream[uint32, 2][ZM, ZN]

    @df.kernel(mapping=[ZM], args=[A])
    def compress(a: int8[ZM, ZK]):
        i = df.get_pid()
        for g in range(ZG):
            w: uint32 = 0
            kept: int32 = 0
            for t in range(4):
                v: int8 = a[i, g * 4 + t]
                if v != 0:
                    pos: uint32 = t
                    if kept == 0:
                        w[0:8] = v
                        w[16:18] = pos
                    else:
                        w[8:16] = v
                        w[18:20] = pos
                    kept += 1
            fa[i, 0].put(w)

    @df.kernel(mapping=[ZM, ZN], args=[B, C])
    def pe(b: int8[ZK, ZN], c: int32[ZM, ZN]):
        i, j = df.get_pid()
        acc: int32 = 0
        for g in range(ZG):
            w: uint32 = fa[i, j].get()
            v0: int8 = w[0:8]
            v1: int8 = w[8:16]
            p0: int32 = w[16:18]
            p1: int32 = w[18:20]
            acc += v0 * b[g * 4 + p0, j] + v1 * b[g * 4 + p1, j]
            with allo.meta_if(j < ZN - 1):
                fa[i, j + 1].put(w)
        c[i, j] = acc


def sparse_2_4(rng, shape) -> np.ndarray:
    """A random int8 matrix with exactly two nonzeros per group of four along the rows."""
    A = rng.integers(-100, 100, shape).astype(np.int8)
    A[A == 0] = 1
    for r in range(shape[0]):
        for g in range(shape[1] // 4):
            drop = rng.choice(4, 2, replace=False)
            A[r, g * 4 + drop] = 0
    return A


# ----------------------------------------------------------------------------- custom data movement

XR, XC = 3, 4


@df.region()
def transpose_io(X: int32[XR, XC], Y: int32[XR, XC]):
    """Y = 2 X + 1 through a stream; built with ``wrap_io`` mappings the host keeps X and Y
    column-major and the top's copy loops reorder them (:data:`COLUMN_MAJOR`)."""
    q: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[X])
    def load(x: int32[XR, XC]):
        for i, j in allo.grid(XR, XC):
            q.put(x[i, j] * 2)

    @df.kernel(mapping=[1], args=[Y])
    def store(y: int32[XR, XC]):
        for i, j in allo.grid(XR, XC):
            y[i, j] = q.get() + 1


# element (i1, i0) of an on-chip array is word i0 * XR + i1 of the host's column-major array
# (a parameter's mapping is written in the copy-in direction; the write-back reverses it)
COLUMN_MAJOR = {k: ([XC, XR], f"i0 * {XR} + i1", "i1, i0") for k in (0, 1)}
