"""PolyBench linear algebra, solvers: cholesky, durbin, gramschmidt, lu, ludcmp, trisolv.

Triangular loop nests (bounds depend on outer loop variables) carry true dependences between
outer iterations, so the expert schedule pipelines the inner loops, keeps running sums in
registers and banks the arrays the pipelined loop reads twice per iteration.
"""

from __future__ import annotations

import numpy as np

import allo

from .common import PolyKernel


def _spd(n: int) -> np.ndarray:
    """A well-conditioned symmetric positive definite matrix (PolyBench builds one as B·Bᵀ)."""
    base = np.fromfunction(lambda i, j: ((i * j) % n + 1) / n, (n, n), dtype=np.float64)
    lower = np.tril(base)
    return lower @ lower.T / n + np.eye(n)


# ------------------------------------------------------------------------------- cholesky

def cholesky[T, N](A: "T[N, N]"):
    for i in range(N, name="row"):
        for j in range(i):
            for k in range(j):
                A[i, j] -= A[i, k] * A[j, k]
            A[i, j] /= A[j, j]
        for k1 in range(i):
            A[i, i] -= A[i, k1] * A[i, k1]
        A[i, i] = allo.sqrt(A[i, i])


def cholesky_ref(A):
    lower = np.linalg.cholesky(A)
    A[:] = np.where(np.tril(np.ones_like(A)) > 0, lower, A)


def schedule_cholesky(s, d):
    # The dot products over k read two elements of A per iteration, which the two ports of
    # one memory serve; the subtraction into A[i, j] is the loop-carried recurrence.
    s.pipeline("k")
    s.pipeline("k1")


# --------------------------------------------------------------------------------- durbin

def durbin[T, N](r: "T[N]", y: "T[N]"):
    z: T[N] = 0.0
    y[0] = -r[0]
    beta: T = 1.0
    alpha: T = -r[0]
    for k in range(1, N, name="order"):
        beta = (1.0 - alpha * alpha) * beta
        acc: T = 0.0
        for i in range(k):
            acc += r[k - i - 1] * y[i]
        alpha = -(r[k] + acc) / beta
        for i1 in range(k):
            z[i1] = y[i1] + alpha * y[k - i1 - 1]
        for i2 in range(k):
            y[i2] = z[i2]
        y[k] = alpha


def durbin_ref(r, y):
    n = len(r)
    y[0] = -r[0]
    beta, alpha = 1.0, -r[0]
    for k in range(1, n):
        beta = (1 - alpha * alpha) * beta
        alpha = -(r[k] + r[k - 1::-1] @ y[:k]) / beta
        y[:k] = y[:k] + alpha * y[k - 1::-1]
        y[k] = alpha


def durbin_inputs(d):
    n = d["N"]
    return (0.5 ** (1 + np.arange(n, dtype=np.float64)) * (1 + np.arange(n) % 3) / 3, np.zeros(n))


def schedule_durbin(s, d):
    # The update loop reads y twice (y[i1] and y[k-i1-1]): the two ports of one memory.
    for loop in ("i", "i1", "i2"):
        s.pipeline(loop)


# ---------------------------------------------------------------------------- gramschmidt

def gramschmidt[T, M, N](A: "T[M, N]", R: "T[N, N]", Q: "T[M, N]"):
    for k in range(N, name="col"):
        nrm: T = 0.0
        for i in range(M):
            nrm += A[i, k] * A[i, k]
        R[k, k] = allo.sqrt(nrm)
        for i1 in range(M):
            Q[i1, k] = A[i1, k] / R[k, k]
        for j in range(k + 1, N):
            R[k, j] = 0.0
            for i2 in range(M):
                R[k, j] += Q[i2, k] * A[i2, j]
            for i3 in range(M):
                A[i3, j] = A[i3, j] - Q[i3, k] * R[k, j]


def gramschmidt_ref(A, R, Q):
    m, n = A.shape
    for k in range(n):
        R[k, k] = np.sqrt(A[:, k] @ A[:, k])
        Q[:, k] = A[:, k] / R[k, k]
        R[k, k + 1:] = Q[:, k] @ A[:, k + 1:]
        A[:, k + 1:] -= np.outer(Q[:, k], R[k, k + 1:])


def gramschmidt_inputs(d):
    m, n = d["M"], d["N"]
    A = np.fromfunction(lambda i, j: ((i * j) % m) / m * 100 + 10, (m, n), dtype=np.float64)
    A += np.eye(m, n) * 50  # keeps the columns independent
    return A, np.zeros((n, n)), np.zeros((m, n))


def _gramschmidt_defined(d):
    """The parts of A, R, Q that are defined: with M < N rows, columns k >= M have a zero norm
    in exact arithmetic, and PolyBench then divides rounding noise by rounding noise."""
    m = d["M"]
    return ((slice(None), slice(0, m)), (slice(0, m), slice(None)), (slice(None), slice(0, m)))


def schedule_gramschmidt(s, d):
    for loop in ("i", "i1", "i2", "i3"):
        s.pipeline(loop)


# ------------------------------------------------------------------------------------- lu

def lu[T, N](A: "T[N, N]"):
    for i in range(N, name="row"):
        for j in range(i):
            for k in range(j):
                A[i, j] -= A[i, k] * A[k, j]
            A[i, j] /= A[j, j]
        for j1 in range(i, N):
            for k1 in range(i):
                A[i, j1] -= A[i, k1] * A[k1, j1]


def lu_ref(A):
    n = A.shape[0]
    for i in range(n):
        for j in range(i):
            A[i, j] = (A[i, j] - A[i, :j] @ A[:j, j]) / A[j, j]
        A[i, i:] -= A[i, :i] @ A[:i, i:]


def schedule_lu(s, d):
    s.pipeline("k")
    s.pipeline("k1")


# --------------------------------------------------------------------------------- ludcmp

def ludcmp[T, N](A: "T[N, N]", b: "T[N]", x: "T[N]", y: "T[N]"):
    for i in range(N, name="factor"):
        for j in range(i):
            w: T = A[i, j]
            for k in range(j):
                w -= A[i, k] * A[k, j]
            A[i, j] = w / A[j, j]
        for j1 in range(i, N):
            w1: T = A[i, j1]
            for k1 in range(i):
                w1 -= A[i, k1] * A[k1, j1]
            A[i, j1] = w1
    for i1 in range(N, name="forward"):
        w2: T = b[i1]
        for j2 in range(i1):
            w2 -= A[i1, j2] * y[j2]
        y[i1] = w2
    for t in range(N, name="backward"):
        w3: T = y[N - 1 - t]
        for j3 in range(N - t, N):
            w3 -= A[N - 1 - t, j3] * x[j3]
        x[N - 1 - t] = w3 / A[N - 1 - t, N - 1 - t]


def ludcmp_ref(A, b, x, y):
    lu_ref(A)
    n = A.shape[0]
    for i in range(n):
        y[i] = b[i] - A[i, :i] @ y[:i]
    for i in range(n - 1, -1, -1):
        x[i] = (y[i] - A[i, i + 1:] @ x[i + 1:]) / A[i, i]


def ludcmp_inputs(d):
    n = d["N"]
    b = (1 + np.arange(n, dtype=np.float64)) / n / 2.0 + 4
    return _spd(n), b, np.zeros(n), np.zeros(n)


def schedule_ludcmp(s, d):
    for loop in ("k", "k1", "j2", "j3"):
        s.pipeline(loop)


# -------------------------------------------------------------------------------- trisolv

def trisolv[T, N](L: "T[N, N]", x: "T[N]", b: "T[N]"):
    for i in range(N, name="row"):
        x[i] = b[i]
        for j in range(i):
            x[i] -= L[i, j] * x[j]
        x[i] = x[i] / L[i, i]


def trisolv_ref(L, x, b):
    for i in range(len(b)):
        x[i] = (b[i] - L[i, :i] @ x[:i]) / L[i, i]


def trisolv_inputs(d):
    n = d["N"]
    L = np.fromfunction(lambda i, j: (i + n - j + 1) * 2 / n, (n, n), dtype=np.float64)
    return np.tril(L) + np.eye(n) * n / 4, np.zeros(n), np.arange(n, dtype=np.float64)


def schedule_trisolv(s, d):
    # x[i] is read-modify-written by every j while x[j] is read: the loop pipelines with the
    # adder's latency on the recurrence.
    s.pipeline("j")


ENTRIES = [
    PolyKernel("cholesky", "solvers", cholesky, lambda d, T: [T, d["N"]],
               lambda d: (_spd(d["N"]),), cholesky_ref, schedule_cholesky, outputs=(0,),
               rtol=1e-4),
    PolyKernel("durbin", "solvers", durbin, lambda d, T: [T, d["N"]], durbin_inputs,
               durbin_ref, schedule_durbin, outputs=(1,), rtol=1e-4),
    PolyKernel("gramschmidt", "solvers", gramschmidt, lambda d, T: [T, d["M"], d["N"]],
               gramschmidt_inputs, gramschmidt_ref, schedule_gramschmidt, outputs=(0, 1, 2),
               rtol=1e-3, defined=_gramschmidt_defined),
    PolyKernel("lu", "solvers", lu, lambda d, T: [T, d["N"]], lambda d: (_spd(d["N"]),),
               lu_ref, schedule_lu, outputs=(0,), rtol=1e-4),
    PolyKernel("ludcmp", "solvers", ludcmp, lambda d, T: [T, d["N"]], ludcmp_inputs,
               ludcmp_ref, schedule_ludcmp, outputs=(0, 2, 3), rtol=1e-4),
    PolyKernel("trisolv", "solvers", trisolv, lambda d, T: [T, d["N"]], trisolv_inputs,
               trisolv_ref, schedule_trisolv, outputs=(1,), rtol=1e-4),
]
