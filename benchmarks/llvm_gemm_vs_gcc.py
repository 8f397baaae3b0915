"""256x256 float32 GEMM: allo's CPU backend on hand-written MLIR against gcc -O3 -march=native.

The MLIR is the textbook ``i, j, k`` nest (``C[i, j] += A[i, k] * B[k, j]``), built with
``allo.LLVMModule``; the C versions are the same nest, compiled with ``gcc -O3 -march=native``
and called through ctypes on the same numpy buffers: once with compile-time sizes (gcc may
then interchange the loops itself) and once with a run-time ``n`` and ``restrict`` pointers.
Results are checked (bit-identical to a k-ordered numpy accumulation for allo) before timing;
each time is the best of N calls.

Run: ``python benchmarks/llvm_gemm_vs_gcc.py [--n 256] [--repeat 30]``.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import subprocess
import tempfile
import time

import numpy as np

import allo

MLIR = """
func.func @gemm(%A: memref<{n}x{n}xf32>, %B: memref<{n}x{n}xf32>) -> memref<{n}x{n}xf32> {{
  %C = memref.alloc() : memref<{n}x{n}xf32>
  %z = arith.constant 0.0 : f32
  affine.for %i = 0 to {n} {{ affine.for %j = 0 to {n} {{
    affine.store %z, %C[%i, %j] : memref<{n}x{n}xf32> }} }}
  affine.for %i = 0 to {n} {{ affine.for %j = 0 to {n} {{ affine.for %k = 0 to {n} {{
    %a = affine.load %A[%i, %k] : memref<{n}x{n}xf32>
    %b = affine.load %B[%k, %j] : memref<{n}x{n}xf32>
    %c = affine.load %C[%i, %j] : memref<{n}x{n}xf32>
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    affine.store %s, %C[%i, %j] : memref<{n}x{n}xf32> }} }} }}
  return %C : memref<{n}x{n}xf32>
}}
"""

C_SOURCE = """
#include <stdlib.h>
#include <string.h>
#define N {n}
void gemm_static(const float A[N][N], const float B[N][N], float C[N][N]) {{
  for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) C[i][j] = 0.0f;
  for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) for (int k = 0; k < N; k++)
    C[i][j] += A[i][k] * B[k][j];
}}
void gemm_dynamic(int n, const float *restrict A, const float *restrict B, float *restrict C) {{
  for (int i = 0; i < n * n; i++) C[i] = 0.0f;
  for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) for (int k = 0; k < n; k++)
    C[i * n + j] += A[i * n + k] * B[k * n + j];
}}
"""


def best(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def compile_c(n: int, folder: str) -> ctypes.CDLL:
    src = os.path.join(folder, "gemm.c")
    lib = os.path.join(folder, "libgemm.so")
    with open(src, "w", encoding="utf-8") as f:
        f.write(C_SOURCE.format(n=n))
    subprocess.run(["gcc", "-O3", "-march=native", "-shared", "-fPIC", src, "-o", lib],
                   check=True)
    return ctypes.CDLL(lib)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    n = args.n
    rng = np.random.default_rng(0)
    A = rng.random((n, n), dtype=np.float32)
    B = rng.random((n, n), dtype=np.float32)
    expect = np.zeros((n, n), np.float32)
    for k in range(n):
        expect += A[:, k:k + 1] * B[k:k + 1, :]

    start = time.perf_counter()
    mod = allo.LLVMModule(MLIR.format(n=n), "gemm")
    build = time.perf_counter() - start
    assert np.array_equal(mod(A, B), expect), "allo result differs"
    t_allo = best(lambda: mod(A, B), args.repeat)

    rows = [("allo (LLVMModule, hand MLIR)", t_allo)]
    if shutil.which("gcc"):
        with tempfile.TemporaryDirectory() as folder:
            lib = compile_c(n, folder)
            C = np.empty((n, n), np.float32)
            ptr = [x.ctypes.data_as(ctypes.c_void_p) for x in (A, B, C)]
            lib.gemm_static(*ptr)
            assert np.allclose(C, expect, rtol=1e-4)
            rows.append(("gcc -O3 -march=native, static N", best(lambda: lib.gemm_static(*ptr),
                                                                  args.repeat)))
            lib.gemm_dynamic(ctypes.c_int(n), *ptr)
            assert np.allclose(C, expect, rtol=1e-4)
            rows.append(("gcc -O3 -march=native, runtime n + restrict",
                         best(lambda: lib.gemm_dynamic(ctypes.c_int(n), *ptr), args.repeat)))
    print(f"{n}x{n} float32 gemm (i, j, k nest); allo build {build * 1e3:.0f} ms")
    for name, seconds in rows:
        print(f"  {name:<46} {seconds * 1e3:8.3f} ms   allo/this = {t_allo / seconds:5.2f}x")


if __name__ == "__main__":
    main()
