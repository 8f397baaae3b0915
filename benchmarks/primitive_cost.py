"""Cost of applying schedule primitives as programs and schedules grow.

Builds kernels with 1, 10 and 100 loop nests (each a 2-deep nest named ``n<k>``), applies
1, 10 and 100 primitives (split, reorder, unroll, pipeline in turn, each on the next nest),
and prints the time per configuration and per primitive. The cost of one primitive should
grow roughly linearly with the size of the function it rewrites, and the total linearly with
the number of primitives.

Run: ``python benchmarks/primitive_cost.py``
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import time

import allo

NESTS = (1, 10, 100)
PRIMITIVES = (1, 10, 100)


def kernel_source(n_nests: int) -> str:
    lines = [
        "import allo",
        "from allo.ir.types import int32",
        "",
        "def many(A: int32[16, 16]) -> int32[16, 16]:",
        "    B: int32[16, 16] = 0",
    ]
    for k in range(n_nests):
        lines += [
            f"    for i, j in allo.grid(16, 16, name=\"n{k}\"):",
            f"        B[i, j] += A[i, j] * {k + 1}",
        ]
    lines.append("    return B")
    return "\n".join(lines) + "\n"


def load_kernel(n_nests: int, directory: str):
    path = os.path.join(directory, f"many_{n_nests}.py")
    with open(path, "w") as handle:
        handle.write(kernel_source(n_nests))
    spec = importlib.util.spec_from_file_location(f"many_{n_nests}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.many


def apply_primitives(s, n_nests: int, n_prims: int) -> None:
    """The p-th primitive acts on nest p mod n_nests; each nest sees a legal sequence."""
    for p in range(n_prims):
        nest = f"n{p % n_nests}"
        round_ = p // n_nests  # how many primitives this nest has already received
        kind = round_ if round_ < 4 else 2 + round_ % 2  # split/reorder once per nest
        if kind == 0:
            s.split(f"{nest}.j", 4)
        elif kind == 1:
            s.reorder(f"{nest}.j.outer", f"{nest}.i")
        elif kind == 2:
            s.unroll(f"{nest}.j.inner", 2)
        else:
            s.pipeline(f"{nest}.i")


def measure(kernel, n_nests: int, n_prims: int, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        s = allo.customize(kernel)
        start = time.perf_counter()
        apply_primitives(s, n_nests, n_prims)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    with tempfile.TemporaryDirectory() as directory:
        kernels = {n: load_kernel(n, directory) for n in NESTS}
        rows = []
        for n_nests in NESTS:
            for n_prims in PRIMITIVES:
                total = measure(kernels[n_nests], n_nests, n_prims)
                rows.append((n_nests, n_prims, total, total / n_prims))
    print(f"{'nests':>6} {'primitives':>11} {'total [ms]':>11} {'per primitive [ms]':>19}")
    for n_nests, n_prims, total, per in rows:
        print(f"{n_nests:>6} {n_prims:>11} {total * 1e3:>11.2f} {per * 1e3:>19.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
