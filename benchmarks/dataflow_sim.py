"""Dataflow simulator benchmark: an output-stationary systolic GEMM at several array sizes.

For ``C = A @ B`` (int32, ``N x N`` matrices) computed by ``P x P`` processing elements plus
``2P`` loaders (one thread each in simulation; ``P*P + 2P`` processes), the script measures

* ``numpy``: ``A @ B`` (what a user would otherwise run to get the numbers),
* ``sim build``: ``df.build(region, target="simulator")`` (frontend, CPU lowering, JIT),
* ``sim run``: one call of the simulator (every stream bounded by its depth, 2),
* ``csim build``: ``df.build(region, target="vitis_hls", mode="csim")`` plus g++ (first call
  minus a run),
* ``csim run``: one call of the C simulation (threads and blocking streams),
* ``est. cycles``: the simulator's timing model (``sim.last_cycles.total``, docs/dataflow.md),
  and that many cycles at 300 MHz (``est. time``) — the hardware's time as the model sees it,

and checks both results against numpy. Every PE handles ``(N/P)^2`` output tiles, so the
number of FIFO operations (about ``4 N^3``) does not depend on ``P``.

Run: ``python benchmarks/dataflow_sim.py`` (``--size 256``, default; ``--pes 4 8 16``;
``--no-csim`` skips C simulation). On two busy cores the 256 case takes several minutes;
``--size 128`` runs 8 times fewer FIFO operations.
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
import allo.dataflow as df  # noqa: E402
from allo.backend.hls import is_available  # noqa: E402
from allo.ir.types import Stream, int32  # noqa: E402

from _common import best_time, format_seconds, machine_summary, render_table  # noqa: E402


DEPTH = 2  # of every stream


def systolic_gemm(N: int, P: int):
    """A ``P x P`` output-stationary systolic array computing an ``N x N`` GEMM by tiles."""
    T = N // P

    @df.region()
    def gemm(A: int32[N, N], B: int32[N, N], C: int32[N, N]):
        fa: Stream[int32, DEPTH][P, P]
        fb: Stream[int32, DEPTH][P, P]

        @df.kernel(mapping=[P + 1, P + 1], args=[A, B, C])
        def pe(a: int32[N, N], b: int32[N, N], c: int32[N, N]):
            i, j = df.get_pid()
            with allo.meta_if(i == 0 and j == 0):
                pass
            with allo.meta_elif(j == 0):  # row loader
                for mt, nt in allo.grid(T, T):
                    for k in range(N):
                        fa[i - 1, 0].put(a[mt * P + i - 1, k])
            with allo.meta_elif(i == 0):  # column loader
                for mt, nt in allo.grid(T, T):
                    for k in range(N):
                        fb[0, j - 1].put(b[k, nt * P + j - 1])
            with allo.meta_else():
                for mt, nt in allo.grid(T, T):
                    acc: int32 = 0
                    for k in range(N):
                        x: int32 = fa[i - 1, j - 1].get()
                        y: int32 = fb[i - 1, j - 1].get()
                        acc += x * y
                        with allo.meta_if(j < P):
                            fa[i - 1, j].put(x)
                        with allo.meta_if(i < P):
                            fb[i, j - 1].put(y)
                    c[mt * P + i - 1, nt * P + j - 1] = acc

    return gemm


def measure(N: int, P: int, csim: bool) -> dict:
    rng = np.random.default_rng(0)
    A = rng.integers(-64, 64, (N, N)).astype(np.int32)
    B = rng.integers(-64, 64, (N, N)).astype(np.int32)
    ref = A @ B
    region = systolic_gemm(N, P)
    row = {"PEs": f"{P}x{P}", "processes": P * P + 2 * P,
           "numpy": format_seconds(best_time(lambda: A @ B, target_seconds=0.1))}
    t0 = time.perf_counter()
    sim = df.build(region, target="simulator")
    row["sim build"] = format_seconds(time.perf_counter() - t0)
    C = np.zeros((N, N), np.int32)
    t0 = time.perf_counter()
    sim(A, B, C)
    row["sim run"] = format_seconds(time.perf_counter() - t0)
    cycles = sim.last_cycles.total
    row["est. cycles"] = f"{cycles:,}"
    row["est. time"] = format_seconds(cycles / 300e6)
    ok = np.array_equal(C, ref)
    if csim and is_available("csim"):
        project = tempfile.mkdtemp(prefix="dfsim_")
        try:
            t0 = time.perf_counter()
            mod = df.build(region, target="vitis_hls", mode="csim", project=project)
            C2 = np.zeros((N, N), np.int32)
            mod(A, B, C2)
            first = time.perf_counter() - t0
            C3 = np.zeros((N, N), np.int32)
            t0 = time.perf_counter()
            mod(A, B, C3)
            run = time.perf_counter() - t0
            row["csim build"] = format_seconds(first - run)
            row["csim run"] = format_seconds(run)
            ok = ok and np.array_equal(C2, ref) and np.array_equal(C3, ref)
        finally:
            shutil.rmtree(project, ignore_errors=True)
    else:
        row["csim build"] = row["csim run"] = "-"
    row["matches numpy"] = "yes" if ok else "NO"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--pes", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--no-csim", action="store_true")
    args = parser.parse_args()
    print(machine_summary())
    print(f"systolic GEMM, int32, {args.size}x{args.size} @ {args.size}x{args.size}, "
          f"stream depth 2, ~{4 * args.size ** 3 / 1e6:.0f}M FIFO operations\n")
    rows = []
    for P in args.pes:
        rows.append(measure(args.size, P, not args.no_csim))
        print(f"done {P}x{P}", file=sys.stderr, flush=True)
    columns = ["PEs", "processes", "numpy", "sim build", "sim run", "csim build", "csim run",
               "est. cycles", "est. time", "matches numpy"]
    print(render_table(columns, [[str(r[c]) for c in columns] for r in rows]))


if __name__ == "__main__":
    main()
