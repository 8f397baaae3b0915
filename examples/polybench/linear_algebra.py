"""PolyBench linear algebra, kernels category: 2mm, 3mm, atax, bicg, doitgen, mvt.

2mm and 3mm are composed from one matrix-product sub-kernel (``mm``) called as template
instances with ids; its expert schedule is written once and composed into each instance, and
3mm's two independent products run as a dataflow region.
"""

from __future__ import annotations

import numpy as np

import allo
from allo.ir.types import float32

from .common import PolyKernel


def _grid(shape, fn):
    return np.fromfunction(fn, shape, dtype=np.float64)


def mm[T, P, Q, R](alpha: T, beta: T, X: "T[P, R]", Y: "T[R, Q]", Z: "T[P, Q]"):
    """``Z = beta * Z + alpha * X @ Y`` in PolyBench's i, j, k order."""
    for i, j in allo.grid(P, Q, name="out"):
        Z[i, j] *= beta
        for k in allo.reduction(R):
            Z[i, j] += alpha * X[i, k] * Y[k, j]


def mm_schedule(T, p: int, q: int, r: int):
    """The expert schedule of ``mm``: k moved outside j (Y read stride-1, no recurrence on the
    pipelined loop), a row of Z buffered on chip, j pipelined at II=1 and unrolled by 2 with
    Y and the row buffer in two cyclic banks.

    >>> mm_schedule(float32, 4, 5, 6).top_func_name
    'mm'
    """
    s = allo.customize(mm, instantiate=[T, p, q, r])
    s.reorder("k", "j")
    row = s.buffer_at(s.Z, "i")
    s.pipeline("j")
    s.unroll("j", 2)
    s.partition(s.Y, allo.Partition.Cyclic, dim=2, factor=2)
    s.partition(row, allo.Partition.Cyclic, dim=1, factor=2)
    return s


# ------------------------------------------------------------------------------------ 2mm

def kernel_2mm[T, NI, NJ, NK, NL](alpha: T, beta: T, tmp: "T[NI, NJ]", A: "T[NI, NK]",
                                  B: "T[NK, NJ]", C: "T[NJ, NL]", D: "T[NI, NL]"):
    mm[T, NI, NJ, NK, "ab"](alpha, 0.0, A, B, tmp)
    mm[T, NI, NL, NJ, "tc"](1.0, beta, tmp, C, D)


def ref_2mm(alpha, beta, tmp, A, B, C, D):
    tmp[:] = alpha * A @ B
    D[:] = beta * D + tmp @ C


def inputs_2mm(d):
    ni, nj, nk, nl = d["NI"], d["NJ"], d["NK"], d["NL"]
    return (1.5, 1.2, np.zeros((ni, nj)), _grid((ni, nk), lambda i, j: (i * j + 1) % ni / ni),
            _grid((nk, nj), lambda i, j: i * (j + 1) % nj / nj),
            _grid((nj, nl), lambda i, j: (i * (j + 3) + 1) % nl / nl),
            _grid((ni, nl), lambda i, j: i * (j + 2) % nk / nk))


def schedule_2mm(s, d, T=float32):
    s.compose(mm_schedule(T, d["NI"], d["NJ"], d["NK"]), id="ab")
    s.compose(mm_schedule(T, d["NI"], d["NL"], d["NJ"]), id="tc")


# ------------------------------------------------------------------------------------ 3mm

def kernel_3mm[T, NI, NJ, NK, NL, NM](E: "T[NI, NJ]", A: "T[NI, NK]", B: "T[NK, NJ]",
                                      F: "T[NJ, NL]", C: "T[NJ, NM]", D: "T[NM, NL]",
                                      G: "T[NI, NL]"):
    mm[T, NI, NJ, NK, "e"](1.0, 0.0, A, B, E)
    mm[T, NJ, NL, NM, "f"](1.0, 0.0, C, D, F)
    mm[T, NI, NL, NJ, "g"](1.0, 0.0, E, F, G)


def ref_3mm(E, A, B, F, C, D, G):
    E[:] = A @ B
    F[:] = C @ D
    G[:] = E @ F


def inputs_3mm(d):
    ni, nj, nk, nl, nm = d["NI"], d["NJ"], d["NK"], d["NL"], d["NM"]
    return (np.zeros((ni, nj)), _grid((ni, nk), lambda i, j: (i * j + 1) % ni / (5 * ni)),
            _grid((nk, nj), lambda i, j: (i * (j + 1) + 2) % nj / (5 * nj)),
            np.zeros((nj, nl)), _grid((nj, nm), lambda i, j: i * (j + 3) % nl / (5 * nl)),
            _grid((nm, nl), lambda i, j: (i * (j + 2) + 2) % nk / (5 * nk)),
            np.zeros((ni, nl)))


def schedule_3mm(s, d, T=float32):
    s.compose(mm_schedule(T, d["NI"], d["NJ"], d["NK"]), id="e")
    s.compose(mm_schedule(T, d["NJ"], d["NL"], d["NM"]), id="f")
    s.compose(mm_schedule(T, d["NI"], d["NL"], d["NJ"]), id="g")
    # E and F are independent products: as dataflow processes they overlap in hardware.
    s.dataflow(s.top_func_name)


# ----------------------------------------------------------------------------------- atax

def atax[T, M, N](A: "T[M, N]", x: "T[N]", y: "T[N]", tmp: "T[M]"):
    for i0 in range(N, name="clear"):
        y[i0] = 0.0
    for i in range(M, name="row"):
        tmp[i] = 0.0
        for j in allo.reduction(N):
            tmp[i] = tmp[i] + A[i, j] * x[j]
        for j1 in range(N):
            y[j1] = y[j1] + A[i, j1] * tmp[i]


def atax_ref(A, x, y, tmp):
    tmp[:] = A @ x
    y[:] = A.T @ tmp


def atax_inputs(d):
    m, n = d["M"], d["N"]
    return (_grid((m, n), lambda i, j: (i + j) % n / (5 * m)), 1 + np.arange(n) / n,
            np.zeros(n), np.zeros(m))


def schedule_atax(s, d):
    # tmp[i] becomes a register (its reduction over j), and both inner loops pipeline.
    s.buffer_at(s.tmp, "i")
    s.pipeline("j")
    s.pipeline("j1")
    s.pipeline("clear.i0")


# ----------------------------------------------------------------------------------- bicg

def bicg[T, M, N](A: "T[N, M]", s: "T[M]", q: "T[N]", p: "T[M]", r: "T[N]"):
    for i0 in range(M, name="clear"):
        s[i0] = 0.0
    for i in range(N, name="row"):
        q[i] = 0.0
        for j in range(M):
            s[j] = s[j] + r[i] * A[i, j]
            q[i] = q[i] + A[i, j] * p[j]


def bicg_ref(A, s, q, p, r):
    s[:] = r @ A
    q[:] = A @ p


def bicg_inputs(d):
    m, n = d["M"], d["N"]
    return (_grid((n, m), lambda i, j: i * (j + 1) % n / n), np.zeros(m), np.zeros(n),
            np.arange(m) % m / m, np.arange(n) % n / n)


def schedule_bicg(s, d):
    s.pipeline("j")
    s.pipeline("clear.i0")


# -------------------------------------------------------------------------------- doitgen

def doitgen[T, NQ, NR, NP](A: "T[NR, NQ, NP]", C4: "T[NP, NP]"):
    acc: T[NP] = 0.0
    for r, q in allo.grid(NR, NQ, name="slab"):
        for p in range(NP):
            acc[p] = 0.0
            for s in allo.reduction(NP):
                acc[p] += A[r, q, s] * C4[s, p]
        for p1 in range(NP):
            A[r, q, p1] = acc[p1]


def doitgen_ref(A, C4):
    A[:] = A @ C4


def doitgen_inputs(d):
    nq, nr, np_ = d["NQ"], d["NR"], d["NP"]
    return (_grid((nr, nq, np_), lambda i, j, k: (i * j + k) % np_ / np_),
            _grid((np_, np_), lambda i, j: i * j % np_ / np_))


def schedule_doitgen(s, d):
    # The reduction over s accumulated into acc[p] waits for the adder each iteration:
    # interchanged (the initialisation of acc is distributed into its own loop), the inner p
    # loop updates a different acc[p] each cycle and reads C4 along a row.
    s.reorder("s", "p")
    for loop in ("p_d1", "p", "p1"):
        s.pipeline(loop)


# ------------------------------------------------------------------------------------ mvt

def mvt[T, N](x1: "T[N]", x2: "T[N]", y_1: "T[N]", y_2: "T[N]", A: "T[N, N]"):
    for i, j in allo.grid(N, N, name="ax"):
        x1[i] = x1[i] + A[i, j] * y_1[j]
    for i, j in allo.grid(N, N, name="atx"):
        x2[i] = x2[i] + A[j, i] * y_2[j]


def mvt_ref(x1, x2, y_1, y_2, A):
    x1 += A @ y_1
    x2 += A.T @ y_2


def mvt_inputs(d):
    n = d["N"]
    idx = np.arange(n, dtype=np.float64)
    return (idx % n / n, (idx + 1) % n / n, (idx + 3) % n / n, (idx + 4) % n / n,
            _grid((n, n), lambda i, j: i * j % n / n))


def schedule_mvt(s, d):
    # Both products accumulate along j. Interchanged, the inner i loop updates a different
    # x[i] each cycle (no adder recurrence, II=1); every x[i] still sums in the same order.
    # For the transposed product this also makes the accesses to A stride-1.
    s.reorder("ax.j", "ax.i")
    s.reorder("atx.j", "atx.i")
    s.pipeline("ax.i")
    s.pipeline("atx.i")


ENTRIES = [
    PolyKernel("2mm", "blas", kernel_2mm,
               lambda d, T: [T, d["NI"], d["NJ"], d["NK"], d["NL"]], inputs_2mm, ref_2mm,
               schedule_2mm, outputs=(2, 6)),
    PolyKernel("3mm", "blas", kernel_3mm,
               lambda d, T: [T, d["NI"], d["NJ"], d["NK"], d["NL"], d["NM"]], inputs_3mm,
               ref_3mm, schedule_3mm, outputs=(0, 3, 6)),
    PolyKernel("atax", "blas", atax, lambda d, T: [T, d["M"], d["N"]], atax_inputs, atax_ref,
               schedule_atax, outputs=(2, 3)),
    PolyKernel("bicg", "blas", bicg, lambda d, T: [T, d["M"], d["N"]], bicg_inputs, bicg_ref,
               schedule_bicg, outputs=(1, 2)),
    PolyKernel("doitgen", "blas", doitgen, lambda d, T: [T, d["NQ"], d["NR"], d["NP"]],
               doitgen_inputs, doitgen_ref, schedule_doitgen, outputs=(0,)),
    PolyKernel("mvt", "blas", mvt, lambda d, T: [T, d["N"]], mvt_inputs, mvt_ref, schedule_mvt,
               outputs=(0, 1)),
]
