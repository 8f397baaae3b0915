"""More dataflow designs (weight-stationary, daisy chain, ping-pong, cooperative GEMV,
Smith-Waterman), each with its numpy meaning."""

from __future__ import annotations

import numpy as np

import allo
import allo.dataflow as df
from allo.ir.types import Stream, int8, int32

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
