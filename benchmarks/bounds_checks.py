"""Cost of the CPU build's run-time bounds checks on kernels with dynamic subscripts.

Each kernel is built twice -- with the checks (the default) and with ``ALLO_BOUNDS_CHECKS=0``
set while building, which exists only for this measurement -- and run beside numpy doing the
same thing. Both builds are verified bit for bit against numpy before anything is timed. The
"checks" column is how many subscripts the compiler could not prove in bounds (each costs a
compare and a never-taken branch per execution); the static stencil is a control: all of its
subscripts are proven, so both builds are the same code.

Run: ``python benchmarks/bounds_checks.py`` (about 15 seconds on two cores).
"""

from __future__ import annotations

import argparse
import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (best_time, format_ratio, format_seconds, machine_summary,  # noqa: E402
                     render_table)

import allo  # noqa: E402
from allo.backend.llvm.module import BOUNDS_CHECKS_ENV  # noqa: E402
from allo.ir.types import float32, int32  # noqa: E402

N_GATHER = 1 << 18
N_TABLE = 1 << 16
N_SAMPLES = 1 << 18
N_BINS = 256
M, K, N, R = 128, 128, 128, 512  # indirect GEMM: C = A @ B[rows], B has R rows
ROWS, COLS, NNZ_PER_ROW = 4096, 4096, 16  # CSR sparse matrix-vector product
S = 512  # stencil side


def gather(A: float32[N_TABLE], idx: int32[N_GATHER]) -> float32[N_GATHER]:
    B: float32[N_GATHER] = 0.0
    for i in range(N_GATHER):
        B[i] = A[idx[i]]
    return B


def histogram(x: int32[N_SAMPLES]) -> int32[N_BINS]:
    H: int32[N_BINS] = 0
    for i in range(N_SAMPLES):
        H[x[i]] += 1
    return H


def indirect_gemm(A: float32[M, K], B: float32[R, N], rows: int32[K]) -> float32[M, N]:
    C: float32[M, N] = 0.0
    for i, k, j in allo.grid(M, K, N):
        C[i, j] += A[i, k] * B[rows[k], j]
    return C


def indirect_gemm_hoisted(A: float32[M, K], B: float32[R, N], rows: int32[K]) -> float32[M, N]:
    C: float32[M, N] = 0.0
    for i in range(M):
        for k in range(K):
            r: int32 = rows[k]  # a local: stores to C cannot change it, so j vectorises
            a: float32 = A[i, k]
            for j in range(N):
                C[i, j] += a * B[r, j]
    return C


def spmv_csr(ptr: int32[ROWS + 1], col: int32[ROWS * NNZ_PER_ROW],
             val: float32[ROWS * NNZ_PER_ROW], x: float32[COLS]) -> float32[ROWS]:
    y: float32[ROWS] = 0.0
    for i in range(ROWS):
        acc: float32 = 0.0
        for k in range(ptr[i], ptr[i + 1]):
            acc += val[k] * x[col[k]]
        y[i] = acc
    return y


def stencil(A: float32[S, S]) -> float32[S, S]:
    B: float32[S, S] = 0.0
    for i, j in allo.grid(S - 2, S - 2):
        B[i + 1, j + 1] = A[i, j + 1] + A[i + 2, j + 1] + A[i + 1, j] + A[i + 1, j + 2]
    return B


def _spmv_numpy(ptr, col, val, x):
    products = val * x[col]
    sums = np.add.reduceat(products, ptr[:-1]).astype(np.float32)
    # reduceat returns the element itself for empty rows; every row here has entries
    return sums


def _stencil_numpy(A):
    B = np.zeros_like(A)
    B[1:-1, 1:-1] = A[:-2, 1:-1] + A[2:, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:]
    return B


def _inputs(rng):
    ptr = np.arange(ROWS + 1, dtype=np.int32) * NNZ_PER_ROW
    return {
        "gather": (rng.random(N_TABLE, dtype=np.float32),
                   rng.integers(0, N_TABLE, N_GATHER, dtype=np.int32)),
        "histogram": (rng.integers(0, N_BINS, N_SAMPLES, dtype=np.int32),),
        "indirect gemm": (rng.random((M, K), dtype=np.float32),
                          rng.random((R, N), dtype=np.float32),
                          rng.integers(0, R, K, dtype=np.int32)),
        "indirect gemm, row hoisted": (rng.random((M, K), dtype=np.float32),
                                       rng.random((R, N), dtype=np.float32),
                                       rng.integers(0, R, K, dtype=np.int32)),
        "spmv csr": (ptr, rng.integers(0, COLS, ROWS * NNZ_PER_ROW, dtype=np.int32),
                     rng.random(ROWS * NNZ_PER_ROW, dtype=np.float32),
                     rng.random(COLS, dtype=np.float32)),
        "stencil (control)": (rng.random((S, S), dtype=np.float32),),
    }


KERNELS = {
    # name: (kernel, numpy version, size label, exact comparison)
    "gather": (gather, lambda A, idx: A[idx], f"{N_GATHER} of {N_TABLE}", True),
    "histogram": (histogram, lambda x: np.bincount(x, minlength=N_BINS).astype(np.int32),
                  f"{N_SAMPLES} -> {N_BINS}", True),
    "indirect gemm": (indirect_gemm, lambda A, B, rows: A @ B[rows], f"{M}x{K}x{N}", False),
    "indirect gemm, row hoisted": (indirect_gemm_hoisted, lambda A, B, rows: A @ B[rows],
                                   f"{M}x{K}x{N}", False),
    "spmv csr": (spmv_csr, _spmv_numpy, f"{ROWS}x{COLS}, {NNZ_PER_ROW}/row", False),
    "stencil (control)": (stencil, _stencil_numpy, f"{S}x{S}", True),
}


def build(kernel, checks: bool):
    """``allo.customize(kernel).build()`` with or without the bounds checks."""
    previous = os.environ.get(BOUNDS_CHECKS_ENV)
    os.environ[BOUNDS_CHECKS_ENV] = "1" if checks else "0"
    try:
        return allo.customize(kernel).build()
    finally:
        if previous is None:
            del os.environ[BOUNDS_CHECKS_ENV]
        else:
            os.environ[BOUNDS_CHECKS_ENV] = previous


def verify(name: str, got, expected, exact: bool) -> None:
    if exact:
        if not np.array_equal(got, expected):
            raise AssertionError(f"{name}: differs from numpy")
    elif not np.allclose(got, expected, rtol=1e-4, atol=1e-4):
        raise AssertionError(f"{name}: max error {np.abs(got - expected).max()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target-seconds", type=float, default=0.2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kernels", nargs="*", default=list(KERNELS))
    args = parser.parse_args()
    inputs = _inputs(np.random.default_rng(0))
    rows = []
    for name in args.kernels:
        kernel, reference, label, exact = KERNELS[name]
        data = inputs[name]
        checked, unchecked = build(kernel, True), build(kernel, False)
        expected = reference(*data)
        for mod in (checked, unchecked):
            verify(name, mod(*data), expected, exact)
        count = str(checked.intermediate_module).count('"allo.bounds_check"')
        # alternate the measurements so that load from other processes hits all of them
        t_on = t_off = t_np = float("inf")
        for _ in range(args.rounds):
            t_on = min(t_on, best_time(lambda: checked(*data), args.target_seconds))
            t_off = min(t_off, best_time(lambda: unchecked(*data), args.target_seconds))
            t_np = min(t_np, best_time(lambda: reference(*data), args.target_seconds))
        rows.append([name, label, str(count), format_seconds(t_on), format_seconds(t_off),
                     format_ratio(t_on, t_off), format_seconds(t_np), format_ratio(t_on, t_np)])
    print(machine_summary())
    print(render_table(["kernel", "size", "checks", "allo checked", "allo unchecked",
                        "checked/unchecked", "numpy", "checked/numpy"], rows))


if __name__ == "__main__":
    main()
