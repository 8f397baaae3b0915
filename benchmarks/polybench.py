"""PolyBench/C 4.2 in Allo: estimated FPGA latency of the plain and the expert-scheduled
design, and CPU speed of our build beside gcc -O3 -march=native and numpy.

For every kernel of examples/polybench at one preset (SMALL by default) the script:

1. customizes the kernel, applies its expert schedule and builds it for the CPU (the
   "customize+build" column); builds the plain kernel too; checks both against the float64
   numpy reference (the same tolerance as the tests) and times both ("allo run" is the plain
   build, the same loops as the C version; "allo expert" the scheduled one, whose
   interchanges also change the CPU loop order);
2. compiles the same loops written in C (benchmarks/polybench_c.py) with gcc -O3
   -march=native, checks them the same way, and times both on identical inputs (best of N);
3. times the numpy version (the reference, run on float32 inputs) where one exists -- not for
   seidel-2d and nussinov, whose only numpy form is a scalar Python loop;
4. when ``HLSModule`` has an ``estimate()`` method, prints the estimated latency (cycles) of the
   plain and the scheduled design, the speedup and the scheduled design's DSP/BRAM18K;
   otherwise those columns read "n/a".

Ratios above 1 mean our build is slower. Geomeans are over the kernels that have both numbers.
Run: ``python benchmarks/polybench.py`` (a few minutes on two cores); ``--kernels gemm atax``
and ``--preset MINI`` shorten it.
"""

from __future__ import annotations

import argparse
import ctypes
import math
import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # everything else runs on one core

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from _common import (best_time, compile_c_library, format_seconds,  # noqa: E402
                     machine_summary, render_table)
from polybench_c import c_source  # noqa: E402

from allo.backend.hls import HLSModule  # noqa: E402
from examples.polybench import KERNELS, dims  # noqa: E402
from examples.polybench import medley  # noqa: E402
from examples.polybench.common import matches  # noqa: E402

NO_NUMPY = {"seidel-2d", "nussinov"}
RESTORE = {"cholesky", "lu", "ludcmp", "gramschmidt"}
C_CONSTANTS = {"deriche": {name: getattr(medley, name)
                           for name in ("A1", "A2", "A3", "A4", "B1", "B2")}}
HEADERS = ["kernel", "category", "size", "customize+build", "allo run", "allo expert", "gcc -O3",
           "allo/gcc",
           "numpy", "allo/numpy", "est. plain", "est. expert", "est. speedup", "DSP",
           "BRAM18K"]


def copies(args: tuple) -> list:
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def c_function(name: str, d: dict, args: tuple):
    """The gcc -O3 build of kernel ``name`` as a Python callable on numpy arguments."""
    lib = compile_c_library(c_source(name, d, C_CONSTANTS.get(name)),
                            flags=("-O3", "-march=native"))
    argtypes = [ctypes.c_void_p if isinstance(a, np.ndarray) else ctypes.c_float for a in args]
    fn = lib.function("kernel", argtypes)

    def call(*values):
        fn(*[v.ctypes.data if isinstance(v, np.ndarray) else v for v in values])

    call.library = lib  # keep the shared object alive as long as the callable
    return call


def estimate(schedule):
    """``(cycles, report)`` of the HLS estimate, or ``(None, "n/a")`` when unavailable."""
    if not hasattr(HLSModule, "estimate"):
        return None, None
    try:
        report = schedule.build(target="vhls").estimate()
        return float(report.total_cycles), report
    except Exception as exc:  # shown in the table, never fatal
        return None, f"failed: {type(exc).__name__}"


def timed(fn, args, target, restore: bool):
    """Best seconds per call of ``fn(*args)``.

    The kernels update their arguments in place. Running one again on its own output is
    harmless to the timing (values may grow to inf, which costs nothing on x86), except for
    the factorisations (``RESTORE``): numpy's cholesky rejects a matrix that is no longer
    positive definite. Those restore their inputs before every call, and the restore's own
    best time is subtracted (it is small beside an O(n^3) factorisation).
    """
    if not restore:
        with np.errstate(all="ignore"):
            return best_time(lambda: fn(*args), target_seconds=target)
    arrays = [a for a in args if isinstance(a, np.ndarray)]
    saved = [a.copy() for a in arrays]

    def restore_inputs():
        for dst, src in zip(arrays, saved):
            np.copyto(dst, src)

    def call():
        restore_inputs()
        fn(*args)

    total = best_time(call, target_seconds=target)
    return max(total - best_time(restore_inputs, target_seconds=target / 4), 1e-9)


def measure(name: str, preset: str, target: float, problems: list) -> dict:
    entry = KERNELS[name]
    d = dims(name, preset)
    row = {"kernel": name, "category": entry.category,
           "size": "x".join(str(v) for v in d.values())}
    args = entry.arguments(preset)
    reference = entry.expected(preset)

    start = time.perf_counter()
    expert = entry.customize(preset, scheduled=True)
    expert_module = expert.build()
    row["build"] = time.perf_counter() - start
    plain = entry.customize(preset, scheduled=False)
    # "allo run" is the plain build: the same loops as the C version; "allo expert" is the
    # scheduled design on the CPU (its interchanges change the loop order there too).
    for key, module in (("allo", plain.build()), ("expert", expert_module)):
        why = matches(entry, entry.run(module, args, preset), reference)
        if why is None:
            row[key] = timed(module, copies(args), target, name in RESTORE)
        else:
            problems.append(f"{name}: allo {key} build WRONG: {why}")

    try:
        cfn = c_function(name, d, args)
        cargs = copies(args)
        cfn(*cargs)
        why = matches(entry, entry.select(preset, [cargs[k] for k in entry.outputs]), reference)
        if why is None:
            row["gcc"] = timed(cfn, copies(args), target, name in RESTORE)
        else:
            problems.append(f"{name}: gcc WRONG: {why}")
    except (OSError, RuntimeError) as exc:
        problems.append(f"{name}: gcc failed: {exc}")

    if name not in NO_NUMPY:
        row["numpy"] = timed(entry.reference_for(d), copies(args), target, name in RESTORE)

    row["est_plain"], _ = estimate(plain)
    row["est_expert"], report = estimate(expert)
    row["report"] = report
    return row


def cells(row: dict) -> list:
    def ratio(a, b):
        x, y = row.get(a), row.get(b)
        return f"{x / y:.2f}x" if x and y else "-"

    report = row.get("report")
    has_report = report is not None and not isinstance(report, str)
    plain, expert = row.get("est_plain"), row.get("est_expert")
    est = (lambda v: f"{v:.3g}" if v is not None else (report if isinstance(report, str)
                                                       else "n/a"))
    speedup = f"{plain / expert:.1f}x" if plain and expert else "n/a"
    dsp = str(report.resources.get("DSP", "-")) if has_report else "n/a"
    bram = str(report.resources.get("BRAM18K", "-")) if has_report else "n/a"
    return [row["kernel"], row["category"], row["size"], format_seconds(row.get("build")),
            format_seconds(row.get("allo")), format_seconds(row.get("expert")),
            format_seconds(row.get("gcc")),
            ratio("allo", "gcc"), format_seconds(row.get("numpy")), ratio("allo", "numpy"),
            est(plain), est(expert), speedup, dsp, bram]


def geomean(values) -> str:
    values = [v for v in values if v]
    if not values:
        return "n/a"
    return f"{math.exp(sum(math.log(v) for v in values) / len(values)):.2f}x ({len(values)})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="SMALL", help="MINI, SMALL, MEDIUM or LARGE")
    parser.add_argument("--kernels", nargs="*", default=list(KERNELS), help="PolyBench names")
    parser.add_argument("--target-seconds", type=float, default=0.1,
                        help="time spent measuring each implementation of each kernel")
    opts = parser.parse_args(argv)

    print(f"PolyBench/C 4.2, preset {opts.preset.upper()}, float32; {machine_summary()}")
    if not hasattr(HLSModule, "estimate"):
        print("HLSModule.estimate() is not available: the estimate columns read n/a")
    rows, problems = [], []
    for name in opts.kernels:
        rows.append(measure(name, opts.preset, opts.target_seconds, problems))
    print(render_table(HEADERS, [cells(r) for r in rows], left_columns=3))
    both = [(r.get("allo"), r.get("gcc")) for r in rows]
    print(f"geomean allo/gcc -O3: {geomean(a / g for a, g in both if a and g)}")
    print(f"geomean allo/numpy: {geomean(r['allo'] / r['numpy'] for r in rows if r.get('allo') and r.get('numpy'))}")
    print("geomean estimated speedup of the expert schedule: "
          f"{geomean(r['est_plain'] / r['est_expert'] for r in rows if r.get('est_plain') and r.get('est_expert'))}")
    print(f"mean customize+build time: {format_seconds(sum(r['build'] for r in rows) / len(rows))}")
    for problem in problems:
        print("PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
