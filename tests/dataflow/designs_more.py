"""More dataflow designs (weight-stationary, daisy chain, ping-pong, cooperative GEMV,
Smith-Waterman), each with its numpy meaning."""

from __future__ import annotations

import numpy as np

import allo
import allo.dataflow as df
from allo.ir.types import Stream, int8, int16, int32, uint32

# ----------------------------------------------------------------------------- weight-stationary

WM, WK, WN = 6, 4, 3


@df.region()
def weight_stationary(A: int32[WM, WK], B: int32[WK, WN], C: int32[WM, WN]):
    """PE (k, j) keeps B[k, j]; rows of A flow right, partial sums flow down."""
    fa: Stream[int32, 2][WK, WN]
    fp: Stream[int32, 2][WK + 1, WN]

    @df.kernel(mapping=[WK], args=[A])
    def feed(a: int32[WM, WK]):
        k = df.get_pid()
        for m in range(WM):
            fa[k, 0].put(a[m, k])

    @df.kernel(mapping=[WK, WN], args=[B])
    def pe(b: int32[WK, WN]):
        k, j = df.get_pid()
        w: int32 = b[k, j]
        for m in range(WM):
            x: int32 = fa[k, j].get()
            with allo.meta_if(j < WN - 1):
                fa[k, j + 1].put(x)
            with allo.meta_if(k == 0):
                fp[k + 1, j].put(x * w)
            with allo.meta_else():
                fp[k + 1, j].put(fp[k, j].get() + x * w)

    @df.kernel(mapping=[WN], args=[C])
    def collect(c: int32[WM, WN]):
        j = df.get_pid()
        for m in range(WM):
            c[m, j] = fp[WK, j].get()


# ----------------------------------------------------------------------------- daisy chain

DM, DK, DN = 5, 6, 4


@df.region()
def daisy_chain(A: int32[DM, DK], B: int32[DK, DN], C: int32[DM, DN]):
    """Rows of A travel as blocks along a chain of PEs; PE j computes column j of C."""
    chain: Stream[int32[DK], 2][DN]

    @df.kernel(mapping=[1], args=[A])
    def rows(a: int32[DM, DK]):
        for m in range(DM):
            chain[0].put(a[m])

    @df.kernel(mapping=[DN], args=[B, C])
    def column(b: int32[DK, DN], c: int32[DM, DN]):
        j = df.get_pid()
        for m in range(DM):
            row: int32[DK] = chain[j].get()
            with allo.meta_if(j < DN - 1):
                chain[j + 1].put(row)
            acc: int32 = 0
            for k in range(DK):
                acc += row[k] * b[k, j]
            c[m, j] = acc


# ----------------------------------------------------------------------------- ping-pong

PT, PS = 6, 4  # tiles of PS x PS


@df.region()
def ping_pong(A: int32[PT, PS, PS], B: int32[PS, PS], C: int32[PT, PS, PS]):
    """Tiles alternate between two block streams; the consumer multiplies each by B."""
    ping: Stream[int32[PS, PS], 1]
    pong: Stream[int32[PS, PS], 1]

    @df.kernel(mapping=[1], args=[A])
    def load(a: int32[PT, PS, PS]):
        for t in range(PT // 2):
            ping.put(a[2 * t])
            pong.put(a[2 * t + 1])

    @df.kernel(mapping=[1], args=[B, C])
    def compute(b: int32[PS, PS], c: int32[PT, PS, PS]):
        for t in range(PT // 2):
            with allo.meta_for(2) as half:
                tile: int32[PS, PS] = 0
                with allo.meta_if(half == 0):
                    tile = ping.get()
                with allo.meta_else():
                    tile = pong.get()
                for i, j in allo.grid(PS, PS):
                    acc: int32 = 0
                    for k in range(PS):
                        acc += tile[i, k] * b[k, j]
                    c[2 * t + half, i, j] = acc


# ----------------------------------------------------------------------------- cooperative GEMV

GR, GC, GP = 8, 12, 3  # y[GR] = A[GR, GC] x[GC] by GP PEs of GC / GP columns each


@df.region()
def coop_gemv(A: int32[GR, GC], X: int32[GC], Y: int32[GR]):
    """Each PE adds its column block's partial products to the vector passed along."""
    part: Stream[int32[GR], 1][GP + 1]

    @df.kernel(mapping=[GP], args=[A, X])
    def pe(a: int32[GR, GC], x: int32[GC]):
        p = df.get_pid()
        acc: int32[GR] = 0
        with allo.meta_if(p > 0):
            acc = part[p].get()
        for r in range(GR):
            for c in range(GC // GP):
                acc[r] += a[r, p * (GC // GP) + c] * x[p * (GC // GP) + c]
        part[p + 1].put(acc)

    @df.kernel(mapping=[1], args=[Y])
    def store(y: int32[GR]):
        y[:] = part[GP].get()


# ----------------------------------------------------------------------------- Smith-Waterman

NQ, ND = 5, 9
MATCH, MISMATCH, GAP = 3, -3, 2


@df.region()
def smith_waterman(Q: int8[NQ], D: int8[ND], S: int32[1]):
    """Local alignment score: PE i computes row i of the DP table as the database streams by
    (H of the row above and the characters flow down the chain); a collector takes the max."""
    chars: Stream[int8, 2][NQ + 1]
    above: Stream[int32, 2][NQ + 1]
    best: Stream[int32, 1][NQ]

    @df.kernel(mapping=[1], args=[D])
    def source(d: int8[ND]):
        for j in range(ND):
            chars[0].put(d[j])
            above[0].put(0)

    @df.kernel(mapping=[NQ], args=[Q])
    def row(q: int8[NQ]):
        i = df.get_pid()
        mine: int8 = q[i]
        left: int32 = 0  # H(i, j - 1)
        diag: int32 = 0  # H(i - 1, j - 1)
        top: int32 = 0
        score: int32 = 0
        for j in range(ND):
            c: int8 = chars[i].get()
            top = above[i].get()
            s: int32 = MISMATCH
            if c == mine:
                s = MATCH
            h: int32 = max(0, max(diag + s, max(top - GAP, left - GAP)))
            score = max(score, h)
            diag = top
            left = h
            with allo.meta_if(i < NQ - 1):
                chars[i + 1].put(c)
                above[i + 1].put(h)
        best[i].put(score)

    @df.kernel(mapping=[1], args=[S])
    def collect(s: int32[1]):
        m: int32 = 0
        with allo.meta_for(NQ) as i:
            m = max(m, best[i].get())
        s[0] = m


def smith_waterman_ref(Q, D):
    H = np.zeros((len(Q) + 1, len(D) + 1), dtype=np.int64)
    for i in range(1, len(Q) + 1):
        for j in range(1, len(D) + 1):
            s = MATCH if Q[i - 1] == D[j - 1] else MISMATCH
            H[i, j] = max(0, H[i - 1, j - 1] + s, H[i - 1, j] - GAP, H[i, j - 1] - GAP)
    return int(H.max())


# ----------------------------------------------------------------------------- tiled systolic

TN, TP = 8, 2  # an 8x8 GEMM on a 2x2 array: every PE computes 16 outputs, tile by tile
TT = TN // TP


@df.region()
def tiled_systolic(A: int32[TN, TN], B: int32[TN, TN], C: int32[TN, TN]):
    fa: Stream[int32, 2][TP, TP]
    fb: Stream[int32, 2][TP, TP]

    @df.kernel(mapping=[TP + 1, TP + 1], args=[A, B, C])
    def pe(a: int32[TN, TN], b: int32[TN, TN], c: int32[TN, TN]):
        i, j = df.get_pid()
        with allo.meta_if(i == 0 and j == 0):
            pass
        with allo.meta_elif(j == 0):
            for mt, nt in allo.grid(TT, TT):
                for k in range(TN):
                    fa[i - 1, 0].put(a[mt * TP + i - 1, k])
        with allo.meta_elif(i == 0):
            for mt, nt in allo.grid(TT, TT):
                for k in range(TN):
                    fb[0, j - 1].put(b[k, nt * TP + j - 1])
        with allo.meta_else():
            for mt, nt in allo.grid(TT, TT):
                acc: int32 = 0
                for k in range(TN):
                    x: int32 = fa[i - 1, j - 1].get()
                    y: int32 = fb[i - 1, j - 1].get()
                    acc += x * y
                    with allo.meta_if(j < TP):
                        fa[i - 1, j].put(x)
                    with allo.meta_if(i < TP):
                        fb[i, j - 1].put(y)
                c[mt * TP + i - 1, nt * TP + j - 1] = acc


# ----------------------------------------------------------------------------- packed systolic

KM, KN, KK = 4, 2, 5  # rows of A travel in pairs: two int16 lanes packed in one uint32


@df.region()
def packed_systolic(A: int16[KM, KK], B: int16[KK, KN], C: int32[KM, KN]):
    fa: Stream[uint32, 2][KM // 2, KN + 1]
    fb: Stream[int16, 2][KM // 2 + 1, KN]

    @df.kernel(mapping=[KM // 2], args=[A])
    def pack_rows(a: int16[KM, KK]):
        r = df.get_pid()
        for k in range(KK):
            w: uint32 = 0
            w[0:16] = a[2 * r, k]
            w[16:32] = a[2 * r + 1, k]
            fa[r, 0].put(w)

    @df.kernel(mapping=[KN], args=[B])
    def cols(b: int16[KK, KN]):
        j = df.get_pid()
        for k in range(KK):
            fb[0, j].put(b[k, j])

    @df.kernel(mapping=[KM // 2, KN], args=[C])
    def pe(c: int32[KM, KN]):
        r, j = df.get_pid()
        lo: int32 = 0
        hi: int32 = 0
        for k in range(KK):
            w: uint32 = fa[r, j].get()
            y: int16 = fb[r, j].get()
            x0: int16 = w[0:16]
            x1: int16 = w[16:32]
            lo += x0 * y
            hi += x1 * y
            with allo.meta_if(j < KN - 1):
                fa[r, j + 1].put(w)
            with allo.meta_if(r < KM // 2 - 1):
                fb[r + 1, j].put(y)
        c[2 * r, j] = lo
        c[2 * r + 1, j] = hi


# ----------------------------------------------------------------------------- systolic convolution

CH, CW, CKK = 7, 9, 3  # input rows x columns, 3x3 kernel, "valid" output
COH, COW = CH - CKK + 1, CW - CKK + 1
CONV_W = np.array([[1, 0, -1], [2, 3, -2], [1, -1, 1]], dtype=np.int32)


@df.region()
def systolic_conv(X: int32[CH, CW], Y: int32[COH, COW]):
    """Row-stationary: PE r holds kernel row r and adds its 1-D convolution of input row
    o + r to output row o, which travels down the chain as a block."""
    rows: Stream[int32[COW], 2][CKK + 1]

    @df.kernel(mapping=[CKK], args=[X])
    def kernel_row(x: int32[CH, CW]):
        r = df.get_pid()
        for o in range(COH):
            acc: int32[COW] = 0
            with allo.meta_if(r > 0):
                acc = rows[r].get()
            for c in range(COW):
                for t in range(CKK):
                    acc[c] += x[o + r, c + t] * CONV_W[r, t]
            rows[r + 1].put(acc)

    @df.kernel(mapping=[1], args=[Y])
    def store(y: int32[COH, COW]):
        for o in range(COH):
            y[o] = rows[CKK].get()


def systolic_conv_ref(X):
    Y = np.zeros((COH, COW), dtype=np.int64)
    for o in range(COH):
        for c in range(COW):
            Y[o, c] = np.sum(X[o:o + CKK, c:c + CKK] * CONV_W)
    return Y.astype(np.int32)
