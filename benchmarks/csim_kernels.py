"""C simulation benchmark: compile and run time of the emitted HLS C++ beside the CPU build.

For each kernel the script measures
* ``cpu build``: ``s.build()`` (lowering to LLVM and JIT compilation),
* ``cpu run``: one call of the CPU module (best of N),
* ``csim build``: ``s.build(target="vhls", mode="csim")`` plus the first call, which compiles
  the generated C++ with g++ (a fresh project each time, so nothing is cached except the
  precompiled HLS headers, built once beforehand),
* ``csim run``: one further call of the already compiled simulation (best of N; it includes
  writing the inputs to files and reading the outputs back),
and checks that the simulation's results are bit-identical to the CPU build's.

Run: ``python benchmarks/csim_kernels.py`` (about a minute on two cores); ``--kernels gemm``
runs a subset.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import allo  # noqa: E402
from allo.backend.hls import is_available  # noqa: E402
from allo.ir.types import Fixed, Int, float32, int32  # noqa: E402

from _common import best_time, format_seconds, machine_summary, render_table  # noqa: E402

N = 64


def gemm(A: float32[N, N], B: float32[N, N]) -> float32[N, N]:
    C: float32[N, N] = 0.0
    for i, j in allo.grid(N, N):
        for k in allo.reduction(N):
            C[i, j] += A[i, k] * B[k, j]
    return C


def conv3(X: int32[N, N], W: int32[3, 3]) -> int32[N - 2, N - 2]:
    Y: int32[N - 2, N - 2] = 0
    for y, x in allo.grid(N - 2, N - 2):
        for r, c in allo.reduction(3, 3):
            Y[y, x] += X[y + r, x + c] * W[r, c]
    return Y


def fixed_fir(X: Fixed(16, 8)[1024], H: Fixed(12, 10)[16]) -> Fixed(24, 12)[1024]:
    Y: Fixed(24, 12)[1024] = 0.0
    for n in range(15, 1024):
        for t in allo.reduction(16):
            Y[n] += X[n - t] * H[t]
    return Y


def odd_mac(A: Int(13)[4096], B: Int(11)[4096]) -> Int(40)[1]:
    acc: Int(40)[1] = 0
    for i in range(4096):
        acc[0] += A[i] * B[i]
    return acc


def _inputs(rng):
    return {
        "gemm": (gemm, [rng.uniform(-1, 1, (N, N)).astype(np.float32),
                        rng.uniform(-1, 1, (N, N)).astype(np.float32)]),
        "conv3": (conv3, [rng.integers(-100, 100, (N, N)).astype(np.int32),
                          rng.integers(-5, 5, (3, 3)).astype(np.int32)]),
        "fixed_fir": (fixed_fir, [rng.uniform(-100, 100, 1024), rng.uniform(-1, 1, 16)]),
        "odd_mac": (odd_mac, [rng.integers(-4096, 4095, 4096).astype(np.int16),
                              rng.integers(-1024, 1023, 4096).astype(np.int16)]),
    }


def _measure(name, kernel, args, target_seconds):
    s = allo.customize(kernel)
    t0 = time.perf_counter()
    cpu = s.build()
    cpu_build = time.perf_counter() - t0
    ref = cpu(*[a.copy() for a in args])
    cpu_run = best_time(lambda: cpu(*[a.copy() for a in args]), target_seconds)
    project = tempfile.mkdtemp(prefix=f"csim_{name}_")
    try:
        out = np.zeros(ref.shape, ref.dtype)
        t0 = time.perf_counter()
        mod = s.build(target="vhls", mode="csim", project=project)
        mod(*[a.copy() for a in args], out)
        csim_build = time.perf_counter() - t0
        if out.tobytes() != np.asarray(ref).tobytes():
            raise SystemExit(f"{name}: C simulation differs from the CPU build")
        csim_run = best_time(lambda: mod(*[a.copy() for a in args], out), target_seconds)
    finally:
        shutil.rmtree(project, ignore_errors=True)
    return [name, format_seconds(cpu_build), format_seconds(cpu_run),
            format_seconds(csim_build), format_seconds(csim_run), "yes"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", nargs="*", help="subset of kernels to run")
    parser.add_argument("--target-seconds", type=float, default=0.2)
    opts = parser.parse_args()
    if not is_available("csim"):
        raise SystemExit("C simulation needs g++ and the hls4ml package (pip install allo[hls])")
    rng = np.random.default_rng(0)
    cases = _inputs(rng)
    names = opts.kernels or list(cases)
    # warm the shared precompiled header so that every kernel pays only its own compile
    warm = allo.customize(odd_mac).build(target="vhls", mode="csim")
    warm(*[a.copy() for a in cases["odd_mac"][1]], np.zeros(1, np.int64))
    shutil.rmtree(warm.project, ignore_errors=True)
    rows = [_measure(n, *cases[n], opts.target_seconds) for n in names]
    print(machine_summary())
    print(render_table(["kernel", "cpu build", "cpu run", "csim build+1st run", "csim run",
                        "bit-identical"], rows))


if __name__ == "__main__":
    main()
