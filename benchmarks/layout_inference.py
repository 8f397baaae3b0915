"""Layout inference cost on call chains of 1, 10, 100 and 1000 calls (``schedule.md`` §7).

Two shapes of program, both with one alias class spanning every call:

* ``sequence``: the top function calls one kernel ``n`` times, each call consuming the
  previous call's result (``T1 = inc(X); T2 = inc(T1); ...``);
* ``nest``: ``n`` distinct functions, each passing its parameter to the next and returning
  the next one's result (a call chain ``n`` deep).

For each, ``partition`` of the innermost kernel's parameter must retype every member of the
class; the time is measured for the whole primitive (alias graph built from scratch, rules
checked, class retyped). Near-linear inference shows as a roughly constant time per call.

Run: ``python benchmarks/layout_inference.py``
"""

from __future__ import annotations

import time

from allo._mlir import ir, new_context
from allo.frontend.module import BuiltModule
from allo.schedule import Partition, Schedule

TYPE = "memref<16xi32>"


def kernel_body(name: str) -> str:
    return f"""
func.func @{name}(%V: {TYPE}) -> {TYPE} {{
  %W = memref.alloc() {{name = "W"}} : {TYPE}
  affine.for %i = 0 to 16 {{
    %v = affine.load %V[%i] {{from = "V"}} : {TYPE}
    %c = arith.constant 1 : i32
    %w = arith.addi %v, %c : i32
    affine.store %w, %W[%i] {{to = "W"}} : {TYPE}
  }} {{loop_name = "i", op_name = "S_i_0"}}
  return %W : {TYPE}
}}"""


def sequence_program(n: int) -> tuple[str, dict, str]:
    """``top`` calls ``inc`` ``n`` times in a row."""
    calls, prev = [], "%X"
    for k in range(n):
        calls.append(f'  %T{k} = call @inc({prev}) {{name = "T{k}"}} : ({TYPE}) -> {TYPE}')
        prev = f"%T{k}"
    text = kernel_body("inc") + f"""
func.func @top(%X: {TYPE}) -> {TYPE} {{
{chr(10).join(calls)}
  return {prev} : {TYPE}
}}"""
    return text, {"inc": ["V"], "top": ["X"]}, "inc:V"


def nest_program(n: int) -> tuple[str, dict, str]:
    """``f0`` calls ``f1`` ... calls ``f{n-1}`` calls the kernel ``leaf``."""
    parts = [kernel_body("leaf")]
    func_args = {"leaf": ["V"]}
    for k in range(n):
        callee = f"f{k + 1}" if k + 1 < n else "leaf"
        parts.append(f"""
func.func @f{k}(%P: {TYPE}) -> {TYPE} {{
  %R = call @{callee}(%P) {{name = "R"}} : ({TYPE}) -> {TYPE}
  return %R : {TYPE}
}}""")
        func_args[f"f{k}"] = ["P"]
    return "".join(parts), func_args, "leaf:V"


def time_partition(program, n: int, repeats: int = 3) -> tuple[float, int]:
    """Best time (seconds) of one ``partition`` on a fresh schedule, and the class size."""
    best, members = float("inf"), 0
    for _ in range(repeats):
        text, func_args, target = program(n)
        ctx = new_context()
        with ctx:
            module = ir.Module.parse(text)
        top = "top" if "top" in func_args else "f0"
        s = Schedule(BuiltModule(module, ctx, top, func_args))
        start = time.perf_counter()
        s.partition(target, Partition.Cyclic, dim=1, factor=4)
        best = min(best, time.perf_counter() - start)
        members = len(s.partitioned_arrays)
        assert str(s.module).count(f"{TYPE[:-1]}, #map>") >= members
    return best, members


def main() -> None:
    print(f"{'program':<10}{'calls':>7}{'buffers in class':>18}{'partition (ms)':>16}"
          f"{'per call (us)':>15}")
    for name, program in (("sequence", sequence_program), ("nest", nest_program)):
        for n in (1, 10, 100, 1000):
            seconds, members = time_partition(program, n)
            print(f"{name:<10}{n:>7}{members:>18}{seconds * 1e3:>16.2f}"
                  f"{seconds / n * 1e6:>15.1f}")


if __name__ == "__main__":
    main()
