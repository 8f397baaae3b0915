"""CPU benchmark: allo's LLVM backend against numpy, numba and gcc -O3 on eight small kernels.

Every kernel is written four or five times -- as an ordinary Allo kernel, with numpy, as a
numba ``@njit`` loop nest (when numba is importable: ``pip install -e ".[bench]"``), and as C
compiled with ``gcc -O3 -march=native`` and called through ctypes on the same numpy buffers.
The loop nests of the Allo, numba and C versions are written identically (allo's CPU lowering
may still permute a loop band for locality, keeping every result bit-identical; gcc and numba
keep the written order); numpy uses its own library routines (BLAS for the matrix products). Before anything is timed, every implementation's
result is checked against numpy: integers and fixed point bit for bit, floats with
``allclose``. Each timing is the best of N calls after a warm-up, N chosen so that one
measurement takes about ``--target-seconds``.

Run: ``python benchmarks/cpu_kernels.py`` (about 20 seconds on two cores); ``--kernels gemm atax``
runs a subset.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import sys
import time

# Every other implementation runs on one core; keep numpy's BLAS on one thread too (unless the
# caller chose otherwise), which also keeps its timings stable on a busy machine.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (COLUMNS, Benchmark, CFunctions, array_address,  # noqa: E402
                     format_seconds, machine_summary, measure, render_table, table_cells,
                     wrap_signed)

import allo  # noqa: E402
from allo.ir.types import Fixed, float32, int8, int16, int32  # noqa: E402

try:
    import numba
except ImportError:  # numba is optional (the "bench" extra); its column then reads "-"
    numba = None

# Fixed-point dot product: Fixed(16, 8) inputs, products Fixed(32, 16), accumulated in
# Fixed(ACC_BITS, 16). Sums wrap to ACC_BITS bits like the Allo accumulator does.
ACC_BITS = 48
ACC_FRACS = 16

C_SOURCE = r"""
#include <stdint.h>
#include <stdlib.h>

void gemm(int n, const float *restrict A, const float *restrict B, float *restrict C) {
    for (int i = 0; i < n * n; i++) C[i] = 0.0f;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            for (int k = 0; k < n; k++)
                C[i * n + j] += A[i * n + k] * B[k * n + j];
}

void mm2(int n, const float *restrict A, const float *restrict B, const float *restrict C,
         float *restrict D) {
    float *tmp = malloc(sizeof(float) * n * n);
    for (int i = 0; i < n * n; i++) tmp[i] = 0.0f;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            for (int k = 0; k < n; k++)
                tmp[i * n + j] += A[i * n + k] * B[k * n + j];
    for (int i = 0; i < n * n; i++) D[i] = 0.0f;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            for (int k = 0; k < n; k++)
                D[i * n + j] += tmp[i * n + k] * C[k * n + j];
    free(tmp);
}

void atax(int m, int n, const float *restrict A, const float *restrict x, float *restrict y) {
    float *tmp = malloc(sizeof(float) * m);
    for (int j = 0; j < n; j++) y[j] = 0.0f;
    for (int i = 0; i < m; i++) tmp[i] = 0.0f;
    for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) tmp[i] += A[i * n + j] * x[j];
        for (int j = 0; j < n; j++) y[j] += A[i * n + j] * tmp[i];
    }
    free(tmp);
}

void jacobi2d(int n, int steps, float *restrict A, float *restrict B) {
    for (int t = 0; t < steps; t++) {
        for (int i = 1; i < n - 1; i++)
            for (int j = 1; j < n - 1; j++)
                B[i * n + j] = 0.2f * (A[i * n + j] + A[i * n + j - 1] + A[i * n + j + 1]
                                       + A[(i + 1) * n + j] + A[(i - 1) * n + j]);
        for (int i = 1; i < n - 1; i++)
            for (int j = 1; j < n - 1; j++)
                A[i * n + j] = 0.2f * (B[i * n + j] + B[i * n + j - 1] + B[i * n + j + 1]
                                       + B[(i + 1) * n + j] + B[(i - 1) * n + j]);
    }
}

void conv2d(int n, const float *restrict X, const float *restrict K, float *restrict Y) {
    int m = n - 2;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) {
            float acc = 0.0f;
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 3; c++)
                    acc += X[(i + r) * n + j + c] * K[r * 3 + c];
            Y[i * m + j] = acc;
        }
}

void stencil5(int n, const int16_t *restrict X, int32_t *restrict Y) {
    int m = n - 2;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++)
            Y[i * m + j] = 4 * X[(i + 1) * n + j + 1] - X[i * n + j + 1] - X[(i + 2) * n + j + 1]
                           - X[(i + 1) * n + j] - X[(i + 1) * n + j + 2];
}

/* Raw fixed-point dot product: returns the accumulator's raw bits, wrapped to acc_bits. */
int64_t fixed_dot(int n, const int16_t *restrict a, const int16_t *restrict b, int acc_bits) {
    int64_t acc = 0;
    for (int i = 0; i < n; i++) acc += (int32_t)a[i] * (int32_t)b[i];
    int shift = 64 - acc_bits;
    return (int64_t)((uint64_t)acc << shift) >> shift;
}

int32_t int8_sum(int n, const int8_t *restrict a) {
    int32_t acc = 0;
    for (int i = 0; i < n; i++) acc += a[i];
    return acc;
}
"""


def build_allo(kernel):
    """``allo.customize(kernel).build()``: the CPU module the benchmark times.

    Sizes reach the kernel as locals of the caller's frame (``N = n`` before the ``def``),
    which ``allo.customize`` resolves like any enclosing Python name.

    >>> # mod = build_allo(gemm); mod(A, B)
    """
    return allo.customize(kernel).build()


# --------------------------------------------------------------------------- numba loop nests
# Plain Python mirrors of the Allo loop nests; jitted with numba.njit below when available.

def _gemm_loops(A, B):
    n = A.shape[0]
    C = np.zeros((n, n), dtype=np.float32)
    for i in range(n):
        for j in range(n):
            for k in range(n):
                C[i, j] += A[i, k] * B[k, j]
    return C


def _mm2_loops(A, B, C):
    n = A.shape[0]
    tmp = np.zeros((n, n), dtype=np.float32)
    for i in range(n):
        for j in range(n):
            for k in range(n):
                tmp[i, j] += A[i, k] * B[k, j]
    D = np.zeros((n, n), dtype=np.float32)
    for i in range(n):
        for j in range(n):
            for k in range(n):
                D[i, j] += tmp[i, k] * C[k, j]
    return D


def _atax_loops(A, x):
    m, n = A.shape
    y = np.zeros(n, dtype=np.float32)
    tmp = np.zeros(m, dtype=np.float32)
    for i in range(m):
        for j in range(n):
            tmp[i] += A[i, j] * x[j]
        for j in range(n):
            y[j] += A[i, j] * tmp[i]
    return y


def _jacobi_loops(A, B, steps):
    n = A.shape[0]
    c = np.float32(0.2)
    for _ in range(steps):
        for i in range(1, n - 1):
            for j in range(1, n - 1):
                B[i, j] = c * (A[i, j] + A[i, j - 1] + A[i, j + 1] + A[i + 1, j] + A[i - 1, j])
        for i in range(1, n - 1):
            for j in range(1, n - 1):
                A[i, j] = c * (B[i, j] + B[i, j - 1] + B[i, j + 1] + B[i + 1, j] + B[i - 1, j])


def _conv2d_loops(X, K):
    m = X.shape[0] - 2
    Y = np.zeros((m, m), dtype=np.float32)
    for i in range(m):
        for j in range(m):
            acc = np.float32(0.0)
            for r in range(3):
                for c in range(3):
                    acc += X[i + r, j + c] * K[r, c]
            Y[i, j] = acc
    return Y


def _stencil_loops(X):
    m = X.shape[0] - 2
    Y = np.zeros((m, m), dtype=np.int32)
    for i in range(m):
        for j in range(m):
            Y[i, j] = (4 * np.int32(X[i + 1, j + 1]) - np.int32(X[i, j + 1])
                       - np.int32(X[i + 2, j + 1]) - np.int32(X[i + 1, j])
                       - np.int32(X[i + 1, j + 2]))
    return Y


def _fixed_dot_loops(a, b):
    acc = np.int64(0)
    for i in range(a.shape[0]):
        acc += np.int64(a[i]) * np.int64(b[i])
    return acc


def _int8_sum_loops(a):
    # numba widens the sum to int64; with the sizes used here (at most 2**20 int8 terms) it
    # can never leave the int32 range, so it equals the int32 accumulation of the others.
    acc = 0
    for i in range(a.shape[0]):
        acc += a[i]
    return acc


def _jit(fn):
    return numba.njit(cache=False)(fn) if numba is not None else None


NUMBA = {name: _jit(fn) for name, fn in {
    "gemm": _gemm_loops, "mm2": _mm2_loops, "atax": _atax_loops, "jacobi": _jacobi_loops,
    "conv2d": _conv2d_loops, "stencil": _stencil_loops, "fixed_dot": _fixed_dot_loops,
    "int8_sum": _int8_sum_loops}.items()}


# --------------------------------------------------------------------------- benchmarks

class Gemm(Benchmark):
    name, sizes = "gemm", (64, 256)

    def inputs(self, n, rng):
        return (rng.uniform(-1, 1, (n, n)).astype(np.float32),
                rng.uniform(-1, 1, (n, n)).astype(np.float32))

    def allo_module(self, n):
        N = n

        def gemm(A: float32[N, N], B: float32[N, N]) -> float32[N, N]:
            C: float32[N, N] = 0.0
            for i, j, k in allo.grid(N, N, N):
                C[i, j] += A[i, k] * B[k, j]
            return C
        return build_allo(gemm)

    def run_allo(self, mod, A, B):
        return mod(A, B)

    def run_numpy(self, A, B):
        return A @ B

    def run_numba(self, A, B):
        return NUMBA["gemm"](A, B)

    def run_c(self, lib, A, B):
        C = np.empty_like(A)
        lib.gemm(A.shape[0], array_address(A), array_address(B), array_address(C))
        return C


class TwoMM(Benchmark):
    name, sizes = "2mm", (64, 192)

    def inputs(self, n, rng):
        return tuple(rng.uniform(-1, 1, (n, n)).astype(np.float32) for _ in range(3))

    def allo_module(self, n):
        N = n

        def mm2(A: float32[N, N], B: float32[N, N], C: float32[N, N]) -> float32[N, N]:
            tmp: float32[N, N] = 0.0
            for i, j, k in allo.grid(N, N, N):
                tmp[i, j] += A[i, k] * B[k, j]
            D: float32[N, N] = 0.0
            for i, j, k in allo.grid(N, N, N):
                D[i, j] += tmp[i, k] * C[k, j]
            return D
        return build_allo(mm2)

    def run_allo(self, mod, A, B, C):
        return mod(A, B, C)

    def run_numpy(self, A, B, C):
        return (A @ B) @ C

    def run_numba(self, A, B, C):
        return NUMBA["mm2"](A, B, C)

    def run_c(self, lib, A, B, C):
        D = np.empty_like(A)
        lib.mm2(A.shape[0], array_address(A), array_address(B), array_address(C),
                array_address(D))
        return D


class Atax(Benchmark):
    name, sizes = "atax", (256, 2048)

    def inputs(self, n, rng):
        return (rng.uniform(-1, 1, (n, n)).astype(np.float32),
                rng.uniform(-1, 1, n).astype(np.float32))

    def allo_module(self, n):
        M = N = n

        def atax(A: float32[M, N], x: float32[N]) -> float32[N]:
            y: float32[N] = 0.0
            tmp: float32[M] = 0.0
            for i in range(M):
                for j in range(N):
                    tmp[i] += A[i, j] * x[j]
                for j in range(N):
                    y[j] += A[i, j] * tmp[i]
            return y
        return build_allo(atax)

    def run_allo(self, mod, A, x):
        return mod(A, x)

    def run_numpy(self, A, x):
        return A.T @ (A @ x)

    def run_numba(self, A, x):
        return NUMBA["atax"](A, x)

    def run_c(self, lib, A, x):
        y = np.empty(A.shape[1], dtype=np.float32)
        lib.atax(A.shape[0], A.shape[1], array_address(A), array_address(x), array_address(y))
        return y


class Jacobi2D(Benchmark):
    """PolyBench jacobi-2d: ``STEPS`` time steps of two 5-point sweeps, updating A and B."""

    name, sizes = "jacobi-2d", (64, 512)
    STEPS = 8

    def label(self, n):
        return f"{n}x{n} T={self.STEPS}"

    def inputs(self, n, rng):
        A = rng.uniform(0, 1, (n, n)).astype(np.float32)
        return A, A.copy()

    def allo_module(self, n):
        N, T = n, self.STEPS

        def jacobi(A: float32[N, N], B: float32[N, N]):
            for t in range(T):
                for i, j in allo.grid(N - 2, N - 2):
                    B[i + 1, j + 1] = 0.2 * (A[i + 1, j + 1] + A[i + 1, j] + A[i + 1, j + 2]
                                             + A[i + 2, j + 1] + A[i, j + 1])
                for i, j in allo.grid(N - 2, N - 2):
                    A[i + 1, j + 1] = 0.2 * (B[i + 1, j + 1] + B[i + 1, j] + B[i + 1, j + 2]
                                             + B[i + 2, j + 1] + B[i, j + 1])
        return build_allo(jacobi)

    def run_allo(self, mod, A, B):
        mod(A, B)
        return A, B

    def run_numpy(self, A, B):
        c = np.float32(0.2)
        for _ in range(self.STEPS):
            B[1:-1, 1:-1] = c * (A[1:-1, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] + A[2:, 1:-1]
                                 + A[:-2, 1:-1])
            A[1:-1, 1:-1] = c * (B[1:-1, 1:-1] + B[1:-1, :-2] + B[1:-1, 2:] + B[2:, 1:-1]
                                 + B[:-2, 1:-1])
        return A, B

    def run_numba(self, A, B):
        NUMBA["jacobi"](A, B, self.STEPS)
        return A, B

    def run_c(self, lib, A, B):
        lib.jacobi2d(A.shape[0], self.STEPS, array_address(A), array_address(B))
        return A, B


class Conv2D(Benchmark):
    """Single-channel 2-D convolution, 3x3 window, stride 1, no padding (output n-2 x n-2)."""

    name, sizes = "conv2d 3x3", (64, 512)

    def inputs(self, n, rng):
        return (rng.uniform(-1, 1, (n, n)).astype(np.float32),
                rng.uniform(-1, 1, (3, 3)).astype(np.float32))

    def allo_module(self, n):
        N = n

        def conv2d(X: float32[N, N], K: float32[3, 3]) -> float32[N - 2, N - 2]:
            Y: float32[N - 2, N - 2]  # every element is written below, as in the C version
            for i, j in allo.grid(N - 2, N - 2):
                acc: float32 = 0.0
                for r, c in allo.reduction(3, 3):
                    acc += X[i + r, j + c] * K[r, c]
                Y[i, j] = acc
            return Y
        return build_allo(conv2d)

    def run_allo(self, mod, X, K):
        return mod(X, K)

    def run_numpy(self, X, K):
        m = X.shape[0] - 2
        Y = np.zeros((m, m), dtype=np.float32)
        for r in range(3):
            for c in range(3):
                Y += X[r:r + m, c:c + m] * K[r, c]
        return Y

    def run_numba(self, X, K):
        return NUMBA["conv2d"](X, K)

    def run_c(self, lib, X, K):
        m = X.shape[0] - 2
        Y = np.empty((m, m), dtype=np.float32)
        lib.conv2d(X.shape[0], array_address(X), array_address(K), array_address(Y))
        return Y


class Stencil5(Benchmark):
    """Integer 5-point Laplacian: int16 image in, int32 ``4c - n - s - w - e`` out."""

    name, sizes, exact = "stencil5 i16->i32", (64, 1024), True

    def inputs(self, n, rng):
        return (rng.integers(-2**15, 2**15, (n, n)).astype(np.int16),)

    def allo_module(self, n):
        N = n

        def stencil5(X: int16[N, N]) -> int32[N - 2, N - 2]:
            Y: int32[N - 2, N - 2]  # every element is written below, as in the C version
            for i, j in allo.grid(N - 2, N - 2):
                Y[i, j] = (4 * X[i + 1, j + 1] - X[i, j + 1] - X[i + 2, j + 1] - X[i + 1, j]
                           - X[i + 1, j + 2])
            return Y
        return build_allo(stencil5)

    def run_allo(self, mod, X):
        return mod(X)

    def run_numpy(self, X):
        Xi = X.astype(np.int32)
        return 4 * Xi[1:-1, 1:-1] - Xi[:-2, 1:-1] - Xi[2:, 1:-1] - Xi[1:-1, :-2] - Xi[1:-1, 2:]

    def run_numba(self, X):
        return NUMBA["stencil"](X)

    def run_c(self, lib, X):
        m = X.shape[0] - 2
        Y = np.empty((m, m), dtype=np.int32)
        lib.stencil5(X.shape[0], array_address(X), array_address(Y))
        return Y


class FixedDot(Benchmark):
    """Dot product of two ``Fixed(16, 8)`` vectors accumulated in ``Fixed(48, 16)``.

    numpy, numba and C work on the raw int16 bits and scale the wrapped raw sum by 2**-16;
    the Allo module takes the real values (float64) and quantises them at its boundary.
    """

    name, sizes, exact = "fixed dot 16.8", (4096, 1 << 20), True

    def label(self, n):
        return f"n={n}"

    def inputs(self, n, rng):
        return (rng.integers(-2**15, 2**15, n).astype(np.int16),
                rng.integers(-2**15, 2**15, n).astype(np.int16))

    def allo_args(self, inputs):
        return tuple(raw.astype(np.float64) / 2**8 for raw in inputs)

    def allo_module(self, n):
        N = n

        def fixed_dot(A: Fixed(16, 8)[N], B: Fixed(16, 8)[N]) -> Fixed(48, 16):
            acc: Fixed(48, 16) = 0
            for i in range(N):
                acc += A[i] * B[i]
            return acc
        return build_allo(fixed_dot)

    def run_allo(self, mod, A, B):
        return mod(A, B)

    def run_numpy(self, a, b):
        raw = np.dot(a.astype(np.int64), b.astype(np.int64))
        return wrap_signed(raw, ACC_BITS) / 2**ACC_FRACS

    def run_numba(self, a, b):
        return wrap_signed(NUMBA["fixed_dot"](a, b), ACC_BITS) / 2**ACC_FRACS

    def run_c(self, lib, a, b):
        raw = lib.fixed_dot(a.shape[0], array_address(a), array_address(b), ACC_BITS)
        return raw / 2**ACC_FRACS


class Int8Sum(Benchmark):
    name, sizes, exact = "int8 sum -> i32", (4096, 1 << 20), True

    def label(self, n):
        return f"n={n}"

    def inputs(self, n, rng):
        return (rng.integers(-128, 128, n).astype(np.int8),)

    def allo_module(self, n):
        N = n

        def int8_sum(A: int8[N]) -> int32:
            total: int32 = 0
            for i in range(N):
                total += A[i]
            return total
        return build_allo(int8_sum)

    def run_allo(self, mod, A):
        return mod(A)

    def run_numpy(self, A):
        return int(A.sum(dtype=np.int32))

    def run_numba(self, A):
        return int(NUMBA["int8_sum"](A))

    def run_c(self, lib, A):
        return int(lib.int8_sum(A.shape[0], array_address(A)))


BENCHMARKS = [Gemm(), TwoMM(), Atax(), Jacobi2D(), Conv2D(), Stencil5(), FixedDot(), Int8Sum()]


# --------------------------------------------------------------------------- the C library

_P = ctypes.c_void_p
_I = ctypes.c_int
C_SIGNATURES = {
    "gemm": ([_I, _P, _P, _P], None),
    "mm2": ([_I, _P, _P, _P, _P], None),
    "atax": ([_I, _I, _P, _P, _P], None),
    "jacobi2d": ([_I, _I, _P, _P], None),
    "conv2d": ([_I, _P, _P, _P], None),
    "stencil5": ([_I, _P, _P], None),
    "fixed_dot": ([_I, _P, _P, _I], ctypes.c_int64),
    "int8_sum": ([_I, _P], ctypes.c_int32),
}


def main(argv: list | None = None) -> int:
    """Run the selected benchmarks and print the table; exit status 1 if anything failed.

    >>> # main(["--kernels", "gemm", "--target-seconds", "0.05"])
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-seconds", type=float, default=0.2,
                        help="approximate duration of one timing measurement (default 0.2)")
    parser.add_argument("--kernels", nargs="*", default=None,
                        help="run only the kernels whose name starts with one of these")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    print(f"machine: {machine_summary()}")
    print(f"numba: {numba.__version__ if numba is not None else 'not installed'}; "
          f"numpy BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}")
    try:
        ckernels = CFunctions(C_SOURCE, C_SIGNATURES)
        print(f"gcc -O3 -march=native: compiled the C kernels in "
              f"{format_seconds(ckernels.library.seconds)}")
    except (FileNotFoundError, RuntimeError) as exc:
        ckernels = None
        print(f"gcc: unavailable ({exc}); the gcc column is empty")

    selected = [b for b in BENCHMARKS
                if not args.kernels or any(b.name.startswith(k) for k in args.kernels)]
    if not selected:
        parser.error(f"no kernel matches {args.kernels}; kernels: "
                     f"{', '.join(b.name for b in BENCHMARKS)}")
    rng = np.random.default_rng(2024)
    rows, problems = [], []
    for bench in selected:
        for size in bench.sizes:
            rows.append(measure(bench, size, ckernels, rng, args.target_seconds, problems,
                                with_numba=numba is not None))
            print(f"  done: {bench.name} {bench.label(size)}", file=sys.stderr, flush=True)

    print()
    print(render_table(COLUMNS, [table_cells(r) for r in rows]))
    print()
    print("allo build = allo.customize + s.build() (IR construction, lowering, LLVM JIT).")
    print("Run times are best-of-N seconds per call, including each library's call overhead")
    print("and the allocation of the result; the fixed-point allo time includes quantising")
    print("the float64 inputs at the module boundary. allo/gcc = allo run / gcc run.")
    print("allo's CPU lowering may interchange loops for locality (gemm, 2mm); gcc and numba")
    print("run the loop nests as written.")
    if problems:
        print("\nProblems (not timed):")
        for p in problems:
            print(f"  {p.kernel} {p.size} [{p.implementation}]: {p.detail}")
    print(f"\ntotal {time.perf_counter() - started:.1f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
