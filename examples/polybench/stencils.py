"""PolyBench stencils: adi, fdtd-2d, heat-3d, jacobi-1d, jacobi-2d, seidel-2d.

Every stencil has an outer time loop carrying the whole state from one step to the next, so the
expert schedule works inside a time step: pipeline the innermost spatial loop at II=1 and bank
the arrays whose neighbouring rows the pipeline reads in the same cycle. seidel-2d updates in
place (each point needs its freshly updated neighbours), so its pipeline is bound by the
recurrence; adi's tridiagonal sweeps recur along j and are pipelined over j.
"""

from __future__ import annotations

import numpy as np

import allo

from .common import PolyKernel


def _grid(shape, fn):
    return np.fromfunction(fn, shape, dtype=np.float64)


# ------------------------------------------------------------------------------------ adi

def adi[T, TSTEPS, N](u: "T[N, N]", v: "T[N, N]", p: "T[N, N]", q: "T[N, N]"):
    DX: T = 1.0 / N
    DY: T = 1.0 / N
    DT: T = 1.0 / TSTEPS
    mul1: T = 2.0 * DT / (DX * DX)
    mul2: T = 1.0 * DT / (DY * DY)
    a: T = -mul1 / 2.0
    b: T = 1.0 + mul1
    c: T = a
    d: T = -mul2 / 2.0
    e: T = 1.0 + mul2
    f: T = d
    for t in range(1, TSTEPS + 1, name="step"):
        for i in range(1, N - 1):
            v[0, i] = 1.0
            p[i, 0] = 0.0
            q[i, 0] = v[0, i]
            for j in range(1, N - 1):
                p[i, j] = -c / (a * p[i, j - 1] + b)
                q[i, j] = (-d * u[j, i - 1] + (1.0 + 2.0 * d) * u[j, i] - f * u[j, i + 1]
                           - a * q[i, j - 1]) / (a * p[i, j - 1] + b)
            v[N - 1, i] = 1.0
            for j1 in range(1, N - 1):
                v[N - 1 - j1, i] = p[i, N - 1 - j1] * v[N - j1, i] + q[i, N - 1 - j1]
        for i2 in range(1, N - 1):
            u[i2, 0] = 1.0
            p[i2, 0] = 0.0
            q[i2, 0] = u[i2, 0]
            for j2 in range(1, N - 1):
                p[i2, j2] = -f / (d * p[i2, j2 - 1] + e)
                q[i2, j2] = (-a * v[i2 - 1, j2] + (1.0 + 2.0 * a) * v[i2, j2]
                             - c * v[i2 + 1, j2] - d * q[i2, j2 - 1]) / (d * p[i2, j2 - 1] + e)
            u[i2, N - 1] = 1.0
            for j3 in range(1, N - 1):
                u[i2, N - 1 - j3] = p[i2, N - 1 - j3] * u[i2, N - j3] + q[i2, N - 1 - j3]


def adi_ref_for(tsteps):
    """The numpy reference of adi for ``tsteps`` time steps (a scalar loop: the sweeps recur)."""
    def adi_ref(u, v, p, q):
        n = u.shape[0]
        dx = dy = 1.0 / n
        dt = 1.0 / tsteps
        mul1, mul2 = 2.0 * dt / (dx * dx), 1.0 * dt / (dy * dy)
        a, b, d, e = -mul1 / 2.0, 1.0 + mul1, -mul2 / 2.0, 1.0 + mul2
        c, f = a, d
        inner = slice(1, n - 1)
        for _ in range(tsteps):
            v[0, inner], p[inner, 0], q[inner, 0] = 1.0, 0.0, 1.0
            for j in range(1, n - 1):
                den = a * p[inner, j - 1] + b
                p[inner, j] = -c / den
                q[inner, j] = (-d * u[j, 0:n - 2] + (1 + 2 * d) * u[j, inner] - f * u[j, 2:n]
                               - a * q[inner, j - 1]) / den
            v[n - 1, inner] = 1.0
            for j in range(n - 2, 0, -1):
                v[j, inner] = p[inner, j] * v[j + 1, inner] + q[inner, j]
            u[inner, 0], p[inner, 0], q[inner, 0] = 1.0, 0.0, 1.0
            for j in range(1, n - 1):
                den = d * p[inner, j - 1] + e
                p[inner, j] = -f / den
                q[inner, j] = (-a * v[0:n - 2, j] + (1 + 2 * a) * v[inner, j] - c * v[2:n, j]
                               - d * q[inner, j - 1]) / den
            u[inner, n - 1] = 1.0
            for j in range(n - 2, 0, -1):
                u[inner, j] = p[inner, j] * u[inner, j + 1] + q[inner, j]
    return adi_ref


def adi_inputs(d):
    n = d["N"]
    return (_grid((n, n), lambda i, j: (i + n - j) / n), np.zeros((n, n)), np.zeros((n, n)),
            np.zeros((n, n)))


def schedule_adi(s, d):
    # Each sweep recurs along j (p[i, j] needs p[i, j-1]) but the rows i are independent:
    # interchanging every sweep to put i innermost (the row loops are distributed around their
    # boundary statements) removes the divider's latency from the pipeline's II. p and q are
    # read at j and j-1 in the same cycle (two cyclic banks along j); the sweeps read three
    # neighbours u[j, i-1..i+1] and v[i-1..i+1, j] (three cyclic banks along those dims).
    s.reorder("j", "i")
    s.reorder("j1", "i_d2")
    s.reorder("j2", "i2")
    s.reorder("j3", "i2_d2")
    for loop in ("i_d1", "i", "i_d2", "i2_d1", "i2", "i2_d2"):
        s.pipeline(loop)
    s.partition(s.p, allo.Partition.Cyclic, dim=2, factor=2)
    s.partition(s.q, allo.Partition.Cyclic, dim=2, factor=2)
    s.partition(s.u, allo.Partition.Cyclic, dim=2, factor=3)
    s.partition(s.v, allo.Partition.Cyclic, dim=1, factor=3)


# -------------------------------------------------------------------------------- fdtd-2d

def fdtd_2d[T, TMAX, NX, NY](ex: "T[NX, NY]", ey: "T[NX, NY]", hz: "T[NX, NY]",
                             fict: "T[TMAX]"):
    for t in range(TMAX, name="step"):
        for j in range(NY):
            ey[0, j] = fict[t]
        for i1, j1 in allo.grid(NX - 1, NY):
            ey[i1 + 1, j1] = ey[i1 + 1, j1] - 0.5 * (hz[i1 + 1, j1] - hz[i1, j1])
        for i2, j2 in allo.grid(NX, NY - 1):
            ex[i2, j2 + 1] = ex[i2, j2 + 1] - 0.5 * (hz[i2, j2 + 1] - hz[i2, j2])
        for i3, j3 in allo.grid(NX - 1, NY - 1):
            hz[i3, j3] = hz[i3, j3] - 0.7 * (ex[i3, j3 + 1] - ex[i3, j3] + ey[i3 + 1, j3]
                                             - ey[i3, j3])


def fdtd_2d_ref(ex, ey, hz, fict):
    for t in range(len(fict)):
        ey[0, :] = fict[t]
        ey[1:, :] -= 0.5 * (hz[1:, :] - hz[:-1, :])
        ex[:, 1:] -= 0.5 * (hz[:, 1:] - hz[:, :-1])
        hz[:-1, :-1] -= 0.7 * (ex[:-1, 1:] - ex[:-1, :-1] + ey[1:, :-1] - ey[:-1, :-1])


def fdtd_2d_inputs(d):
    tmax, nx, ny = d["TMAX"], d["NX"], d["NY"]
    return (_grid((nx, ny), lambda i, j: i * (j + 1) / nx),
            _grid((nx, ny), lambda i, j: i * (j + 2) / ny),
            _grid((nx, ny), lambda i, j: i * (j + 3) / nx), np.arange(tmax, dtype=np.float64))


def schedule_fdtd_2d(s, d):
    # hz reads two rows of ey and two columns of ex per point: cyclic banks serve them together.
    for loop in ("j", "j1", "j2", "j3"):
        s.pipeline(loop)
    s.partition(s.ey, allo.Partition.Cyclic, dim=1, factor=2)
    s.partition(s.ex, allo.Partition.Cyclic, dim=2, factor=2)


# -------------------------------------------------------------------------------- heat-3d

def heat_3d[T, TSTEPS, N](A: "T[N, N, N]", B: "T[N, N, N]"):
    for t in range(1, TSTEPS + 1, name="step"):
        for i, j, k in allo.grid(N - 2, N - 2, N - 2):
            B[i + 1, j + 1, k + 1] = (
                0.125 * (A[i + 2, j + 1, k + 1] - 2.0 * A[i + 1, j + 1, k + 1] + A[i, j + 1, k + 1])
                + 0.125 * (A[i + 1, j + 2, k + 1] - 2.0 * A[i + 1, j + 1, k + 1]
                           + A[i + 1, j, k + 1])
                + 0.125 * (A[i + 1, j + 1, k + 2] - 2.0 * A[i + 1, j + 1, k + 1]
                           + A[i + 1, j + 1, k])
                + A[i + 1, j + 1, k + 1])
        for i1, j1, k1 in allo.grid(N - 2, N - 2, N - 2):
            A[i1 + 1, j1 + 1, k1 + 1] = (
                0.125 * (B[i1 + 2, j1 + 1, k1 + 1] - 2.0 * B[i1 + 1, j1 + 1, k1 + 1]
                         + B[i1, j1 + 1, k1 + 1])
                + 0.125 * (B[i1 + 1, j1 + 2, k1 + 1] - 2.0 * B[i1 + 1, j1 + 1, k1 + 1]
                           + B[i1 + 1, j1, k1 + 1])
                + 0.125 * (B[i1 + 1, j1 + 1, k1 + 2] - 2.0 * B[i1 + 1, j1 + 1, k1 + 1]
                           + B[i1 + 1, j1 + 1, k1])
                + B[i1 + 1, j1 + 1, k1 + 1])


def _heat_step(src, dst):
    c = src[1:-1, 1:-1, 1:-1]
    dst[1:-1, 1:-1, 1:-1] = (0.125 * (src[2:, 1:-1, 1:-1] - 2.0 * c + src[:-2, 1:-1, 1:-1])
                             + 0.125 * (src[1:-1, 2:, 1:-1] - 2.0 * c + src[1:-1, :-2, 1:-1])
                             + 0.125 * (src[1:-1, 1:-1, 2:] - 2.0 * c + src[1:-1, 1:-1, :-2])
                             + c)


def heat_3d_ref_for(tsteps):
    """The numpy reference of heat-3d for ``tsteps`` time steps."""
    def heat_3d_ref(A, B):
        for _ in range(tsteps):
            _heat_step(A, B)
            _heat_step(B, A)
    return heat_3d_ref


def heat_3d_inputs(d):
    n = d["N"]
    a = _grid((n, n, n), lambda i, j, k: (i + j + (n - k)) * 10 / n)
    return a, a.copy()


def schedule_heat_3d(s, d):
    # Each point reads planes i-1, i, i+1: three cyclic banks along i, each dual-ported.
    for loop in ("k", "k1"):
        s.pipeline(loop)
    s.partition(s.A, allo.Partition.Cyclic, dim=1, factor=3)
    s.partition(s.B, allo.Partition.Cyclic, dim=1, factor=3)


# ------------------------------------------------------------------------------ jacobi-1d

def jacobi_1d[T, TSTEPS, N](A: "T[N]", B: "T[N]"):
    for t in range(TSTEPS, name="step"):
        for i in range(1, N - 1):
            B[i] = 0.33333 * (A[i - 1] + A[i] + A[i + 1])
        for i1 in range(1, N - 1):
            A[i1] = 0.33333 * (B[i1 - 1] + B[i1] + B[i1 + 1])


def jacobi_1d_ref_for(tsteps):
    """The numpy reference of jacobi-1d for ``tsteps`` time steps."""
    def jacobi_1d_ref(A, B):
        for _ in range(tsteps):
            B[1:-1] = 0.33333 * (A[:-2] + A[1:-1] + A[2:])
            A[1:-1] = 0.33333 * (B[:-2] + B[1:-1] + B[2:])
    return jacobi_1d_ref


def schedule_jacobi_1d(s, d):
    # Three neighbours per output: a cyclic factor-3 split gives one read port per neighbour.
    s.pipeline("i")
    s.pipeline("i1")
    s.partition(s.A, allo.Partition.Cyclic, dim=1, factor=3)
    s.partition(s.B, allo.Partition.Cyclic, dim=1, factor=3)


# ------------------------------------------------------------------------------ jacobi-2d

def jacobi_2d[T, TSTEPS, N](A: "T[N, N]", B: "T[N, N]"):
    for t in range(TSTEPS, name="step"):
        for i, j in allo.grid(N - 2, N - 2):
            B[i + 1, j + 1] = 0.2 * (A[i + 1, j + 1] + A[i + 1, j] + A[i + 1, j + 2]
                                     + A[i + 2, j + 1] + A[i, j + 1])
        for i1, j1 in allo.grid(N - 2, N - 2):
            A[i1 + 1, j1 + 1] = 0.2 * (B[i1 + 1, j1 + 1] + B[i1 + 1, j1] + B[i1 + 1, j1 + 2]
                                       + B[i1 + 2, j1 + 1] + B[i1, j1 + 1])


def jacobi_2d_ref_for(tsteps):
    """The numpy reference of jacobi-2d for ``tsteps`` time steps."""
    def jacobi_2d_ref(A, B):
        for _ in range(tsteps):
            B[1:-1, 1:-1] = 0.2 * (A[1:-1, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] + A[2:, 1:-1]
                                   + A[:-2, 1:-1])
            A[1:-1, 1:-1] = 0.2 * (B[1:-1, 1:-1] + B[1:-1, :-2] + B[1:-1, 2:] + B[2:, 1:-1]
                                   + B[:-2, 1:-1])
    return jacobi_2d_ref


def schedule_jacobi_2d(s, d):
    # Rows i-1, i, i+1 are read together: three cyclic banks of rows.
    s.pipeline("j")
    s.pipeline("j1")
    s.partition(s.A, allo.Partition.Cyclic, dim=1, factor=3)
    s.partition(s.B, allo.Partition.Cyclic, dim=1, factor=3)


# ------------------------------------------------------------------------------ seidel-2d

def seidel_2d[T, TSTEPS, N](A: "T[N, N]"):
    for t, i, j in allo.grid(TSTEPS, N - 2, N - 2, name="sweep"):
        A[i + 1, j + 1] = (A[i, j] + A[i, j + 1] + A[i, j + 2] + A[i + 1, j] + A[i + 1, j + 1]
                           + A[i + 1, j + 2] + A[i + 2, j] + A[i + 2, j + 1]
                           + A[i + 2, j + 2]) / 9.0


def seidel_2d_ref_for(tsteps):
    """The numpy reference of seidel-2d (row sweeps vectorised where no value is reused)."""
    def seidel_2d_ref(A):
        n = A.shape[0]
        for _ in range(tsteps):
            for i in range(1, n - 1):
                for j in range(1, n - 1):
                    A[i, j] = A[i - 1:i + 2, j - 1:j + 2].sum() / 9.0
    return seidel_2d_ref


def schedule_seidel_2d(s, d):
    s.pipeline("j")
    s.partition(s.A, allo.Partition.Cyclic, dim=1, factor=3)


def _pair(a):
    return a, a.copy()


ENTRIES = [
    PolyKernel("adi", "stencils", adi, lambda d, T: [T, d["TSTEPS"], d["N"]], adi_inputs,
               adi_ref_for, schedule_adi, outputs=(0, 1, 2, 3), rtol=1e-3, steps="TSTEPS"),
    PolyKernel("fdtd-2d", "stencils", fdtd_2d, lambda d, T: [T, d["TMAX"], d["NX"], d["NY"]],
               fdtd_2d_inputs, fdtd_2d_ref, schedule_fdtd_2d, outputs=(0, 1, 2), rtol=1e-4),
    PolyKernel("heat-3d", "stencils", heat_3d, lambda d, T: [T, d["TSTEPS"], d["N"]],
               heat_3d_inputs, heat_3d_ref_for, schedule_heat_3d, outputs=(0, 1), rtol=1e-4,
               steps="TSTEPS"),
    PolyKernel("jacobi-1d", "stencils", jacobi_1d, lambda d, T: [T, d["TSTEPS"], d["N"]],
               lambda d: _pair(_grid((d["N"],), lambda i: (i + 2) / d["N"])),
               jacobi_1d_ref_for, schedule_jacobi_1d, outputs=(0, 1), rtol=1e-4,
               steps="TSTEPS"),
    PolyKernel("jacobi-2d", "stencils", jacobi_2d, lambda d, T: [T, d["TSTEPS"], d["N"]],
               lambda d: _pair(_grid((d["N"], d["N"]), lambda i, j: i * (j + 2) / d["N"])),
               jacobi_2d_ref_for, schedule_jacobi_2d, outputs=(0, 1), rtol=1e-4,
               steps="TSTEPS"),
    PolyKernel("seidel-2d", "stencils", seidel_2d, lambda d, T: [T, d["TSTEPS"], d["N"]],
               lambda d: (_grid((d["N"], d["N"]), lambda i, j: (i * (j + 2) + 2) / d["N"]),),
               seidel_2d_ref_for, schedule_seidel_2d, outputs=(0,), rtol=1e-4,
               steps="TSTEPS"),
]
