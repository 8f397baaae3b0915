"""The systolic-array library on an int8 GEMM: plain, cascaded, packed, int8 DSP-packed.

For each kernel (scheduled with its library schedule) the script measures the CPU build and
one CPU run (best of N), the C simulation's g++ build + first run and one further run, checks
every result bit for bit against numpy's ``A @ B`` (int64, then the kernel's output type),
and counts the data multiplies in one PE of the emitted HLS C++ per product it computes
(the DSP-packed PE makes two products per multiply). numpy's int64 matmul is the row a user
would otherwise write.

Run: ``python benchmarks/systolic_kernels.py`` (about a minute on two cores); ``--size 16``
shrinks the problem.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import allo  # noqa: E402
from allo.backend.hls import is_available  # noqa: E402
from allo.ir.types import int8, int16, int32  # noqa: E402
from allo.library import systolic as S  # noqa: E402
from allo.library import systolic_packed as SP  # noqa: E402

from _common import best_time, format_seconds, machine_summary, render_table  # noqa: E402

TILE, LANES = 4, 4


def pack_lanes(X: np.ndarray, axis: int) -> np.ndarray:
    """int8 ``X`` packed ``LANES`` per int32 word along ``axis`` (lane p = bits 8p..8p+7)."""
    X = np.moveaxis(X.astype(np.int64), axis, 0)
    groups = X.reshape(X.shape[0] // LANES, LANES, *X.shape[1:]) & 0xFF
    word = sum(groups[:, p] << (8 * p) for p in range(LANES)).astype(np.uint32)
    return np.ascontiguousarray(np.moveaxis(word.view(np.int32), 0, axis))


def pack_pairs(X: np.ndarray, width: int) -> np.ndarray:
    """Adjacent columns ``2j, 2j+1`` of ``X`` as one word of two ``width``-bit lanes."""
    lanes = X.astype(np.int64) & ((1 << width) - 1)
    word = (lanes[:, 0::2] | (lanes[:, 1::2] << width)).astype(np.uint64)
    signed = {8: (np.uint16, np.int16), 16: (np.uint32, np.int32)}[width]
    return word.astype(signed[0]).view(signed[1])


def _cases(n: int, A: np.ndarray, B: np.ndarray) -> dict:
    exact = A.astype(np.int64) @ B
    # name: (kernel, instantiation, inputs, output, expected, PE prefix, products per PE step)
    return {
        "systolic": (S.systolic, [int8, int8, int32, n, n, n, TILE, TILE],
                     [A, B], np.zeros((n, n), np.int32), exact.astype(np.int32), "PE_kernel_", 1),
        "systolic int8 x int16 pairs -> int32": (
            S.systolic, [int8, int16, int32, n, n, n // 2, TILE, TILE // 2],
            [A, pack_pairs(B, 8)], np.zeros((n, n // 2), np.int32),
            pack_pairs(exact.astype(np.int16), 16), "PE_kernel_", 2),
        "cascaded_systolic": (S.cascaded_systolic, [int8, int8, int32, n, n, n, TILE, TILE,
                                                    n // 2],
                              [A, B], np.zeros((n, n), np.int32), exact.astype(np.int32),
                              "PE_kernel_", 1),
        "packed_systolic (int8 lanes)": (
            SP.packed_systolic, [int8, int8, int8, n, n, n, TILE, TILE, LANES],
            [pack_lanes(A, 0), pack_lanes(B, 1)], np.zeros((n // LANES, n), np.int32),
            pack_lanes(exact.astype(np.int8), 0), "PE_kernel_", 1),
        "packed_int8xint8_systolic": (
            SP.packed_int8xint8_systolic, [n, n, n, TILE, TILE, LANES],
            [pack_lanes(A, 0), pack_lanes(B, 1)], np.zeros((n // LANES, n), np.int32),
            pack_lanes(exact.astype(np.int8), 0), "PE_kernel_", 2),
    }


def _multiplies_per_product(code: str, pe_prefix: str, products: int) -> str:
    body = code.split(f"void {pe_prefix}0_0(")[1].split("\n}\n")[0]
    # data multiplies only: index arithmetic (``int v7 = v6 * v3;``) is not a DSP product
    multiplies = len(re.findall(r"^\s*(?!int )\S+ v\d+ = v\d+ \* v\d+;", body, re.MULTILINE))
    return f"{multiplies}/{products}"


def _measure(name, case, numpy_run, target_seconds):
    kernel, inst, args, out, expected, pe_prefix, products = case
    s = allo.customize(kernel, instantiate=inst)
    allo.library.KERNEL2SCHEDULE[kernel](s)
    t0 = time.perf_counter()
    cpu = s.build()
    cpu_build = time.perf_counter() - t0
    result = out.copy()
    cpu(*args, result)
    if result.tobytes() != expected.tobytes():
        raise SystemExit(f"{name}: the CPU build differs from numpy")
    cpu_run = best_time(lambda: cpu(*args, out.copy()), target_seconds)
    project = tempfile.mkdtemp(prefix="csim_systolic_")
    try:
        t0 = time.perf_counter()
        mod = s.build(target="vhls", mode="csim", project=project)
        sim = out.copy()
        mod(*args, sim)
        csim_build = time.perf_counter() - t0
        if sim.tobytes() != expected.tobytes():
            raise SystemExit(f"{name}: C simulation differs from numpy")
        csim_run = best_time(lambda: mod(*args, out.copy()), target_seconds)
        ratio = _multiplies_per_product(mod.hls_code, pe_prefix, products)
    finally:
        shutil.rmtree(project, ignore_errors=True)
    return [name, format_seconds(cpu_build), format_seconds(cpu_run),
            format_seconds(numpy_run), format_seconds(csim_build), format_seconds(csim_run),
            ratio]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=32, help="M = K = N (a multiple of 8)")
    parser.add_argument("--target-seconds", type=float, default=0.2)
    opts = parser.parse_args()
    if not is_available("csim"):
        raise SystemExit("C simulation needs g++ and the hls4ml package (pip install allo[hls])")
    n = opts.size
    rng = np.random.default_rng(0)
    A = rng.integers(-128, 128, (n, n)).astype(np.int8)
    B = rng.integers(-128, 128, (n, n)).astype(np.int8)
    numpy_run = best_time(lambda: A.astype(np.int64) @ B, opts.target_seconds)
    rows = [_measure(name, case, numpy_run, opts.target_seconds)
            for name, case in _cases(n, A, B).items()]
    print(machine_summary())
    print(f"int8 GEMM {n}x{n}x{n}, {TILE}x{TILE} PE tiles, {LANES} lanes per packed word")
    print(render_table(["kernel", "cpu build", "cpu run", "numpy A@B", "csim build+1st run",
                        "csim run", "multiplies/products per PE step"], rows))


if __name__ == "__main__":
    main()
