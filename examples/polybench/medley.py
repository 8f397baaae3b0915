"""PolyBench medley: deriche (recursive edge filter), floyd-warshall, nussinov.

floyd-warshall and nussinov work on integers (as in PolyBench 4.2), so they are checked bit
for bit. deriche's four recursive passes are independent pairs (left/right, then up/down): the
expert schedule pipelines each scan, and interchanges the column scans to walk rows.
"""

from __future__ import annotations

import math

import numpy as np

import allo
from allo.ir.types import int32

from .common import PolyKernel

# deriche's filter coefficients for alpha = 0.25, evaluated once in double precision (PolyBench
# computes them inside the kernel from the same formulas).
_ALPHA = 0.25
_K = ((1.0 - math.exp(-_ALPHA)) ** 2
      / (1.0 + 2.0 * _ALPHA * math.exp(-_ALPHA) - math.exp(2.0 * _ALPHA)))
A1 = _K
A2 = _K * math.exp(-_ALPHA) * (_ALPHA - 1.0)
A3 = _K * math.exp(-_ALPHA) * (_ALPHA + 1.0)
A4 = -_K * math.exp(-2.0 * _ALPHA)
B1 = 2.0 ** (-_ALPHA)
B2 = -math.exp(-2.0 * _ALPHA)


# -------------------------------------------------------------------------------- deriche

def deriche[T, W, H](imgIn: "T[W, H]", imgOut: "T[W, H]", y1: "T[W, H]", y2: "T[W, H]"):
    for i in range(W, name="left"):
        ym1: T = 0.0
        ym2: T = 0.0
        xm1: T = 0.0
        for j in range(H):
            y1[i, j] = A1 * imgIn[i, j] + A2 * xm1 + B1 * ym1 + B2 * ym2
            xm1 = imgIn[i, j]
            ym2 = ym1
            ym1 = y1[i, j]
    for i1 in range(W, name="right"):
        yp1: T = 0.0
        yp2: T = 0.0
        xp1: T = 0.0
        xp2: T = 0.0
        for t1 in range(H):
            y2[i1, H - 1 - t1] = A3 * xp1 + A4 * xp2 + B1 * yp1 + B2 * yp2
            xp2 = xp1
            xp1 = imgIn[i1, H - 1 - t1]
            yp2 = yp1
            yp1 = y2[i1, H - 1 - t1]
    for i2, j2 in allo.grid(W, H, name="sum_h"):
        imgOut[i2, j2] = y1[i2, j2] + y2[i2, j2]
    for j3 in range(H, name="down"):
        tm1: T = 0.0
        zm1: T = 0.0
        zm2: T = 0.0
        for i3 in range(W):
            y1[i3, j3] = A1 * imgOut[i3, j3] + A2 * tm1 + B1 * zm1 + B2 * zm2
            tm1 = imgOut[i3, j3]
            zm2 = zm1
            zm1 = y1[i3, j3]
    for j4 in range(H, name="up"):
        tp1: T = 0.0
        tp2: T = 0.0
        zp1: T = 0.0
        zp2: T = 0.0
        for t4 in range(W):
            y2[W - 1 - t4, j4] = A3 * tp1 + A4 * tp2 + B1 * zp1 + B2 * zp2
            tp2 = tp1
            tp1 = imgOut[W - 1 - t4, j4]
            zp2 = zp1
            zp1 = y2[W - 1 - t4, j4]
    for i5, j5 in allo.grid(W, H, name="sum_v"):
        imgOut[i5, j5] = y1[i5, j5] + y2[i5, j5]


def _causal(x, a_cur, a_prev, axis_len):
    """y[j] = a_cur*x[j] + a_prev*x[j-1] + B1*y[j-1] + B2*y[j-2] along the last axis."""
    y = np.zeros_like(x)
    xm1 = np.zeros(x.shape[:-1])
    ym1 = np.zeros(x.shape[:-1])
    ym2 = np.zeros(x.shape[:-1])
    for j in range(axis_len):
        y[..., j] = a_cur * x[..., j] + a_prev * xm1 + B1 * ym1 + B2 * ym2
        xm1, ym2, ym1 = x[..., j], ym1, y[..., j]
    return y


def _anticausal(x, axis_len):
    y = np.zeros_like(x)
    xp1 = xp2 = yp1 = yp2 = np.zeros(x.shape[:-1])
    for j in range(axis_len - 1, -1, -1):
        y[..., j] = A3 * xp1 + A4 * xp2 + B1 * yp1 + B2 * yp2
        xp2, xp1, yp2, yp1 = xp1, x[..., j], yp1, y[..., j]
    return y


def deriche_ref(imgIn, imgOut, y1, y2):
    w, h = imgIn.shape
    y1[:] = _causal(imgIn, A1, A2, h)
    y2[:] = _anticausal(imgIn, h)
    imgOut[:] = y1 + y2
    y1[:] = _causal(imgOut.T, A1, A2, w).T
    y2[:] = _anticausal(imgOut.T, w).T
    imgOut[:] = y1 + y2


def deriche_inputs(d):
    w, h = d["W"], d["H"]
    img = np.fromfunction(lambda i, j: ((313 * i + 991 * j) % 65536) / 65535.0, (w, h),
                          dtype=np.float64)
    return img, np.zeros((w, h)), np.zeros((w, h)), np.zeros((w, h))


def schedule_deriche(s, d):
    # The row filters recur along j (II bound by the multiply-add chain); the column filters
    # are pipelined over the image columns instead, which carry no dependence.
    s.pipeline("left.j")
    s.pipeline("right.t1")
    s.pipeline("sum_h.j2")
    s.pipeline("down.i3")
    s.pipeline("up.t4")
    s.pipeline("sum_v.j5")


# ------------------------------------------------------------------------- floyd-warshall

def floyd_warshall[T, N](path: "T[N, N]"):
    for k, i, j in allo.grid(N, N, N, name="relax"):
        path[i, j] = min(path[i, j], path[i, k] + path[k, j])


def floyd_warshall_ref(path):
    for k in range(path.shape[0]):
        np.minimum(path, path[:, k:k + 1] + path[k:k + 1, :], out=path)


def floyd_warshall_inputs(d):
    n = d["N"]
    i, j = np.indices((n, n))
    path = i * j % 7 + 1
    far = ((i + j) % 13 == 0) | ((i + j) % 7 == 0) | ((i + j) % 11 == 0)
    return (np.where(far, 999, path).astype(np.int64),)


def schedule_floyd_warshall(s, d):
    # Row k and column k do not change during step k, so the j loop has no carried dependence.
    s.pipeline("j")


# ------------------------------------------------------------------------------- nussinov

def nussinov[T, N](seq: "T[N]", table: "T[N, N]"):
    for t in range(N, name="span"):
        for j in range(N - t, N):
            if j - 1 >= 0:
                table[N - 1 - t, j] = max(table[N - 1 - t, j], table[N - 1 - t, j - 1])
            if N - t < N:
                table[N - 1 - t, j] = max(table[N - 1 - t, j], table[N - t, j])
            if j - 1 >= 0 and N - t < N:
                if N - 1 - t < j - 1:
                    pair: T = 1 if seq[N - 1 - t] + seq[j] == 3 else 0
                    table[N - 1 - t, j] = max(table[N - 1 - t, j], table[N - t, j - 1] + pair)
                else:
                    table[N - 1 - t, j] = max(table[N - 1 - t, j], table[N - t, j - 1])
            for k in range(N - t, j):
                table[N - 1 - t, j] = max(table[N - 1 - t, j], table[N - 1 - t, k]
                                          + table[k + 1, j])


def nussinov_ref(seq, table):
    n = len(seq)
    for i in range(n - 1, -1, -1):
        for j in range(i + 1, n):
            best = table[i, j]
            best = max(best, table[i, j - 1])
            if i + 1 < n:
                best = max(best, table[i + 1, j])
                pair = 1 if seq[i] + seq[j] == 3 else 0
                best = max(best, table[i + 1, j - 1] + (pair if i < j - 1 else 0))
            if j > i + 1:
                best = max(best, int((table[i, i + 1:j] + table[i + 2:j + 1, j]).max()))
            table[i, j] = best


def schedule_nussinov(s, d):
    # The split-point loop k is a max-reduction into table[i, j].
    s.pipeline("k")


ENTRIES = [
    PolyKernel("deriche", "medley", deriche, lambda d, T: [T, d["W"], d["H"]], deriche_inputs,
               deriche_ref, schedule_deriche, outputs=(1, 2, 3), rtol=1e-4),
    PolyKernel("floyd-warshall", "medley", floyd_warshall, lambda d, T: [int32, d["N"]],
               floyd_warshall_inputs, floyd_warshall_ref, schedule_floyd_warshall,
               outputs=(0,), integer=True),
    PolyKernel("nussinov", "medley", nussinov, lambda d, T: [int32, d["N"]],
               lambda d: ((np.arange(d["N"]) + 1) % 4, np.zeros((d["N"], d["N"]), np.int64)),
               nussinov_ref, schedule_nussinov, outputs=(1,), integer=True),
]
