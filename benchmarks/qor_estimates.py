"""Static QoR estimates (docs/qor_estimates.md) of small designs, before and after their
schedules: gemm unscheduled vs the README schedule (split j by 8, reorder, pipeline
j.inner), and a float dot product plain vs pipelined.

Columns: estimated latency in cycles and in ms at the clock (Alveo U280, 300 MHz), the
achieved II of the innermost pipelined loop and its reason, DSP and BRAM18K; then the time
of the estimate (best of 3 after a first call) beside the time of what a user would
otherwise run to learn anything about the design without Vitis: emitting the HLS C++
(``s.build(target="vhls")``) and the C simulation (g++ compile and one run), which checks
results but gives no cycle count.

Run: ``python benchmarks/qor_estimates.py`` (``--size N`` for the gemm side, default 32;
``--no-csim`` to skip the g++ column).
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

import allo
from allo.ir.types import float32, int32

from _common import format_seconds, machine_summary, render_table


def make_gemm(n: int):
    def gemm(A: int32[n, n], B: int32[n, n]) -> int32[n, n]:
        C: int32[n, n] = 0
        for i, j, k in allo.grid(n, n, n):
            C[i, j] += A[i, k] * B[k, j]
        return C
    return gemm


def make_dot(n: int):
    def dot(A: float32[n], B: float32[n]) -> float32:
        acc: float32 = 0.0
        for i in range(n):
            acc += A[i] * B[i]
        return acc
    return dot


def readme_schedule(s) -> None:
    s.split("j", 8)
    s.reorder("j.outer", "k", "j.inner")
    s.pipeline("j.inner")


def designs(n: int):
    gemm, dot = make_gemm(n), make_dot(1024)
    ints = [np.random.randint(-8, 8, (n, n)).astype(np.int32) for _ in range(2)]
    floats = [np.random.rand(1024).astype(np.float32) for _ in range(2)]
    yield f"gemm {n}", "unscheduled", gemm, lambda s: None, ints
    yield f"gemm {n}", "README schedule", gemm, readme_schedule, ints
    yield "dot 1024", "plain", dot, lambda s: None, floats
    yield "dot 1024", "pipelined", dot, lambda s: s.pipeline("i"), floats


def csim_seconds(s, inputs) -> float | None:
    try:
        began = time.perf_counter()
        mod = s.build(target="vhls", mode="csim", project=tempfile.mkdtemp(prefix="qor_bench_"))
        mod(*inputs)
        return time.perf_counter() - began
    except allo.AlloError:
        return None


def row(kernel, label, fn, schedule, inputs, with_csim: bool):
    s = allo.customize(fn)
    schedule(s)
    began = time.perf_counter()
    hls = s.build(target="vhls")
    emit = time.perf_counter() - began
    report = hls.estimate()
    seconds = min(hls.estimate().estimate_seconds for _ in range(3))  # warm: best of 3
    pipelined = [lp for lp in report.loops if lp.pipelined]
    ii = "-" if not pipelined else str(pipelined[-1].achieved_ii)
    why = "" if not pipelined else pipelined[-1].ii_reason.split(":")[0]
    return [kernel, label, str(report.total_cycles), f"{report.latency_ms:.4f}", ii, why,
            str(report.resources["DSP"]), str(report.resources["BRAM18K"]),
            format_seconds(seconds), format_seconds(emit),
            format_seconds(csim_seconds(s, inputs) if with_csim else None)], report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--no-csim", action="store_true")
    args = parser.parse_args()
    rows, reports = [], {}
    for kernel, label, fn, schedule, inputs in designs(args.size):
        cells, report = row(kernel, label, fn, schedule, inputs, not args.no_csim)
        rows.append(cells)
        reports.setdefault(kernel, []).append(report.total_cycles)
    print(machine_summary())
    print("Estimates for Alveo U280 at 300 MHz\n")
    print(render_table(["kernel", "design", "cycles", "ms", "II", "II reason", "DSP", "BRAM18K",
                        "estimate", "emit C++", "csim (g++)"], rows))
    print()
    for kernel, cycles in reports.items():
        print(f"{kernel}: schedule speedup {cycles[0] / cycles[1]:.2f}x (estimated)")


if __name__ == "__main__":
    main()
