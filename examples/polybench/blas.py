"""PolyBench linear algebra, BLAS category: gemm, gemver, gesummv, symm, syr2k, syrk, trmm.

Each kernel is written as PolyBench writes it (same loop order and statements), generic over the
element type ``T`` and the dimensions. The ``schedule_*`` functions apply what a designer does for
an FPGA: keep the innermost loop stride-1, accumulate in on-chip buffers (``buffer_at``),
pipeline the innermost loop at II=1 and partition the arrays that the pipeline reads in parallel.
"""

from __future__ import annotations

import numpy as np

import allo

from .common import PolyKernel


def _grid(shape, fn):
    """``fn(i, j, ...)`` evaluated on index grids, as float64 (PolyBench's init formulas)."""
    return np.fromfunction(fn, shape, dtype=np.float64)


# ----------------------------------------------------------------------------------- gemm

def gemm[T, NI, NJ, NK](alpha: T, beta: T, C: "T[NI, NJ]", A: "T[NI, NK]", B: "T[NK, NJ]"):
    for i in range(NI, name="row"):
        for j in range(NJ):
            C[i, j] *= beta
        for k in allo.reduction(NK):
            for j1 in range(NJ):
                C[i, j1] += alpha * A[i, k] * B[k, j1]


def gemm_ref(alpha, beta, C, A, B):
    C *= beta
    C += alpha * A @ B


def gemm_inputs(d):
    ni, nj, nk = d["NI"], d["NJ"], d["NK"]
    return (1.5, 1.2, _grid((ni, nj), lambda i, j: (i * j + 1) % ni / ni),
            _grid((ni, nk), lambda i, k: i * (k + 1) % nk / nk),
            _grid((nk, nj), lambda k, j: k * (j + 2) % nj / nj))


def schedule_gemm(s, d):
    # One row of C lives on chip while k sweeps (buffer_at); the j1 loop carries no dependence,
    # so it pipelines at II=1, and unrolled by 4 it reads four B values and updates four row
    # elements a cycle, which four cyclic banks of B and of the row buffer provide.
    row = s.buffer_at(s.C, "i")
    s.pipeline("j")
    s.pipeline("j1")
    s.unroll("j1", 4)
    s.partition(s.B, allo.Partition.Cyclic, dim=2, factor=4)
    s.partition(row, allo.Partition.Cyclic, dim=1, factor=4)


# --------------------------------------------------------------------------------- gemver

def gemver[T, N](alpha: T, beta: T, A: "T[N, N]", u1: "T[N]", v1: "T[N]", u2: "T[N]",
                 v2: "T[N]", w: "T[N]", x: "T[N]", y: "T[N]", z: "T[N]"):
    for i, j in allo.grid(N, N, name="rank2"):
        A[i, j] = A[i, j] + u1[i] * v1[j] + u2[i] * v2[j]
    for i, j in allo.grid(N, N, name="xt"):
        x[i] = x[i] + beta * A[j, i] * y[j]
    for i in range(N, name="xz"):
        x[i] = x[i] + z[i]
    for i, j in allo.grid(N, N, name="wsum"):
        w[i] = w[i] + alpha * A[i, j] * x[j]


def gemver_ref(alpha, beta, A, u1, v1, u2, v2, w, x, y, z):
    A += np.outer(u1, v1) + np.outer(u2, v2)
    x += beta * A.T @ y
    x += z
    w += alpha * A @ x


def gemver_inputs(d):
    n = d["N"]
    idx = np.arange(n, dtype=np.float64)
    fn = float(n)
    return (1.5, 1.2, _grid((n, n), lambda i, j: (i * j % n) / n), idx, (idx + 1) / fn / 2.0,
            (idx + 1) / fn / 4.0, (idx + 1) / fn / 6.0, np.zeros(n), np.zeros(n),
            (idx + 1) / fn / 8.0, (idx + 1) / fn / 9.0)


def schedule_gemver(s, d):
    # Both matrix-vector products accumulate into x[i] / w[i] along j: a pipelined j loop
    # would wait for the adder on every iteration. Interchanged, the inner i loop updates a
    # different element each cycle (no recurrence, II=1), and each element's sum keeps its
    # order, so results stay bit-exact.
    s.reorder("xt.j", "xt.i")
    s.reorder("wsum.j", "wsum.i")
    for loop in ("rank2.j", "xt.i", "xz.i", "wsum.i"):
        s.pipeline(loop)


# -------------------------------------------------------------------------------- gesummv

def gesummv[T, N](alpha: T, beta: T, A: "T[N, N]", B: "T[N, N]", tmp: "T[N]", x: "T[N]",
                  y: "T[N]"):
    for i in range(N, name="row"):
        tmp[i] = 0.0
        y[i] = 0.0
        for j in allo.reduction(N):
            tmp[i] = A[i, j] * x[j] + tmp[i]
            y[i] = B[i, j] * x[j] + y[i]
        y[i] = alpha * tmp[i] + beta * y[i]


def gesummv_ref(alpha, beta, A, B, tmp, x, y):
    tmp[:] = A @ x
    y[:] = alpha * tmp + beta * (B @ x)


def gesummv_inputs(d):
    n = d["N"]
    return (1.5, 1.2, _grid((n, n), lambda i, j: (i * j + 1) % n / n),
            _grid((n, n), lambda i, j: (i * j + 2) % n / n), np.zeros(n),
            np.arange(n) % n / n, np.zeros(n))


def schedule_gesummv(s, d):
    # The two dot products accumulate along j. Interchanging to j outside i distributes the
    # row loop into initialisation, the update nest and the final combination; the inner i
    # loop then updates a different tmp[i], y[i] each cycle (II=1). A and B are separate
    # memories, so one iteration reads both.
    s.reorder("j", "i")
    for loop in ("row_d1.i_d1", "row.i", "row_d2.i_d2"):
        s.pipeline(loop)


# ----------------------------------------------------------------------------------- symm

def symm[T, M, N](alpha: T, beta: T, C: "T[M, N]", A: "T[M, M]", B: "T[M, N]"):
    for i, j in allo.grid(M, N, name="sweep"):
        temp2: T = 0.0
        for k in range(i):
            C[k, j] += alpha * B[i, j] * A[i, k]
            temp2 += B[k, j] * A[i, k]
        C[i, j] = beta * C[i, j] + alpha * B[i, j] * A[i, i] + alpha * temp2


def symm_ref(alpha, beta, C, A, B):
    full = np.tril(A) + np.tril(A, -1).T  # PolyBench reads only the lower triangle of A
    C[:] = alpha * full @ B + beta * C


def symm_inputs(d):
    m, n = d["M"], d["N"]
    return (1.5, 1.2, _grid((m, n), lambda i, j: (i + j) % 100 / m),
            _grid((m, m), lambda i, j: (i + j) % 100 / m),
            _grid((m, n), lambda i, j: (n + i - j) % 100 / m))


def schedule_symm(s, d):
    # The triangular k loop updates a column of C and accumulates temp2: pipelined, it issues
    # one read and one write of C per cycle, which a dual-port memory serves.
    s.pipeline("k")


# ---------------------------------------------------------------------------------- syr2k

def syr2k[T, M, N](alpha: T, beta: T, C: "T[N, N]", A: "T[N, M]", B: "T[N, M]"):
    for i in range(N, name="row"):
        for j in range(i + 1):
            C[i, j] *= beta
        for k in allo.reduction(M):
            for j1 in range(i + 1):
                C[i, j1] += A[j1, k] * alpha * B[i, k] + B[j1, k] * alpha * A[i, k]


def syr2k_ref(alpha, beta, C, A, B):
    full = alpha * (A @ B.T + B @ A.T) + beta * C
    C[:] = np.where(np.tril(np.ones_like(C)) > 0, full, C)


def syr2k_inputs(d):
    m, n = d["M"], d["N"]
    return (1.5, 1.2, _grid((n, n), lambda i, j: (i * j + 3) % n / m),
            _grid((n, m), lambda i, j: (i * j + 1) % n / n),
            _grid((n, m), lambda i, j: (i * j + 2) % m / m))


def schedule_syr2k(s, d):
    s.pipeline("j1")
    s.pipeline("j")


# ----------------------------------------------------------------------------------- syrk

def syrk[T, M, N](alpha: T, beta: T, C: "T[N, N]", A: "T[N, M]"):
    for i in range(N, name="row"):
        for j in range(i + 1):
            C[i, j] *= beta
        for k in allo.reduction(M):
            for j1 in range(i + 1):
                C[i, j1] += alpha * A[i, k] * A[j1, k]


def syrk_ref(alpha, beta, C, A):
    full = alpha * A @ A.T + beta * C
    C[:] = np.where(np.tril(np.ones_like(C)) > 0, full, C)


def syrk_inputs(d):
    m, n = d["M"], d["N"]
    return (1.5, 1.2, _grid((n, n), lambda i, j: (i * j + 2) % m / m),
            _grid((n, m), lambda i, j: (i * j + 1) % n / n))


def schedule_syrk(s, d):
    s.pipeline("j1")
    s.pipeline("j")


# ----------------------------------------------------------------------------------- trmm

def trmm[T, M, N](alpha: T, A: "T[M, M]", B: "T[M, N]"):
    for i, j in allo.grid(M, N, name="sweep"):
        for k in range(i + 1, M):
            B[i, j] += A[k, i] * B[k, j]
        B[i, j] = alpha * B[i, j]


def trmm_ref(alpha, A, B):
    B[:] = alpha * (np.tril(A, -1).T @ B + B)


def trmm_inputs(d):
    m, n = d["M"], d["N"]
    return (1.5, _grid((m, m), lambda i, j: (i + j) % m / m),
            _grid((m, n), lambda i, j: (n + (i - j)) % n / n))


def schedule_trmm(s, d):
    # The triangular k loop accumulates into B[i, j] while reading B[k, j]: pipelined, the
    # float adder's latency on the accumulation bounds its II.
    s.pipeline("k")


ENTRIES = [
    PolyKernel("gemm", "blas", gemm, lambda d, T: [T, d["NI"], d["NJ"], d["NK"]], gemm_inputs,
               gemm_ref, schedule_gemm, outputs=(2,)),
    PolyKernel("gemver", "blas", gemver, lambda d, T: [T, d["N"]], gemver_inputs, gemver_ref,
               schedule_gemver, outputs=(2, 7, 8)),
    PolyKernel("gesummv", "blas", gesummv, lambda d, T: [T, d["N"]], gesummv_inputs,
               gesummv_ref, schedule_gesummv, outputs=(4, 6)),
    PolyKernel("symm", "blas", symm, lambda d, T: [T, d["M"], d["N"]], symm_inputs, symm_ref,
               schedule_symm, outputs=(2,)),
    PolyKernel("syr2k", "blas", syr2k, lambda d, T: [T, d["M"], d["N"]], syr2k_inputs,
               syr2k_ref, schedule_syr2k, outputs=(2,)),
    PolyKernel("syrk", "blas", syrk, lambda d, T: [T, d["M"], d["N"]], syrk_inputs, syrk_ref,
               schedule_syrk, outputs=(2,)),
    PolyKernel("trmm", "blas", trmm, lambda d, T: [T, d["M"], d["N"]], trmm_inputs, trmm_ref,
               schedule_trmm, outputs=(2,)),
]
