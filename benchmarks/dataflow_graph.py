"""Streaming at scale: compose + ``to`` + build, and FIFO sizing, on chains and trees of
1, 10, 100 and 1000 kernels (``schedule.md`` §4, §8).

Each kernel is a function with two stages and a local buffer ``T`` between them; its own
schedule streams ``T`` (``to("k:T", "second")``) and is composed into the top. The top
connects the kernels through buffers that are streamed with ``depth="auto"``:

* ``chain``: ``k0 -> k1 -> ... -> k{n-1}``;
* ``tree``: leaves ``k*`` feed a binary tree of join kernels ``j*`` (2 inputs each).

Columns: kernels, FIFOs; the time of ``compose`` (all sub-schedules in one call), of the
top-level ``to`` calls, of the CPU build and of the HLS C++ emission; building the dataflow
graph; sizing every FIFO with the §8.2 model (closed form over numpy arrays) and, side by
side, with a cycle-by-cycle simulation of the same model (what one would otherwise write).
Near-linear growth shows as a roughly constant time per kernel.

Run: ``python benchmarks/dataflow_graph.py`` (``--max 100`` to stop earlier).
"""

from __future__ import annotations

import argparse
import time

from allo._mlir import ir, new_context
from allo.frontend.module import BuiltModule
from allo.schedule import Schedule

from _common import format_seconds, machine_summary, render_table

SHAPE = (8, 16)
TYPE = f"memref<{SHAPE[0]}x{SHAPE[1]}xi32>"


def kernel_text(name: str, k: int) -> str:
    return f"""
func.func @{name}(%P: {TYPE}, %Q: {TYPE}) {{
  %T = memref.alloc() {{name = "T"}} : {TYPE}
  affine.for %a = 0 to {SHAPE[0]} {{
    affine.for %b = 0 to {SHAPE[1]} {{
      %v = affine.load %P[%a, %b] {{from = "P"}} : {TYPE}
      %c = arith.constant {k + 1} : i32
      %w = arith.addi %v, %c : i32
      affine.store %w, %T[%a, %b] {{to = "T"}} : {TYPE}
    }} {{loop_name = "b"}}
  }} {{loop_name = "a", op_name = "first"}}
  affine.for %a = 0 to {SHAPE[0]} {{
    affine.for %b = 0 to {SHAPE[1]} {{
      %v = affine.load %T[%a, %b] {{from = "T"}} : {TYPE}
      %c = arith.constant 3 : i32
      %w = arith.muli %v, %c : i32
      affine.store %w, %Q[%a, %b] {{to = "Q"}} : {TYPE}
    }} {{loop_name = "b"}}
  }} {{loop_name = "a", op_name = "second"}}
  return
}}"""


def join_text(name: str) -> str:
    return f"""
func.func @{name}(%Y: {TYPE}, %Z: {TYPE}, %R: {TYPE}) {{
  affine.for %a = 0 to {SHAPE[0]} {{
    affine.for %b = 0 to {SHAPE[1]} {{
      %y = affine.load %Y[%a, %b] {{from = "Y"}} : {TYPE}
      %z = affine.load %Z[%a, %b] {{from = "Z"}} : {TYPE}
      %w = arith.addi %y, %z : i32
      affine.store %w, %R[%a, %b] {{to = "R"}} : {TYPE}
    }} {{loop_name = "b"}}
  }} {{loop_name = "a", op_name = "join"}}
  return
}}"""


def chain_program(n: int):
    funcs, body, args = [], [], {"top": ["P"]}
    prev = "%P"
    fifos = []
    for k in range(n):
        funcs.append(kernel_text(f"k{k}", k))
        args[f"k{k}"] = ["P", "Q"]
        body.append(f'  %X{k} = memref.alloc() {{name = "X{k}"}} : {TYPE}')
        body.append(f"  call @k{k}({prev}, %X{k}) : ({TYPE}, {TYPE}) -> ()")
        if k + 1 < n:
            fifos.append((f"top:X{k}", f"k{k + 1}"))
        prev = f"%X{k}"
    top = f"""
func.func @top(%P: {TYPE}) -> {TYPE} {{
{chr(10).join(body)}
  return {prev} : {TYPE}
}}"""
    return "".join(funcs) + top, args, [f"k{k}" for k in range(n)], fifos


def tree_program(n: int):
    leaves = max(1, (n + 1) // 2)
    funcs, body, args, fifos = [], [], {"top": ["P"]}, []
    level = []
    for k in range(leaves):
        funcs.append(kernel_text(f"k{k}", k))
        args[f"k{k}"] = ["P", "Q"]
        body.append(f'  %Y{k} = memref.alloc() {{name = "Y{k}"}} : {TYPE}')
        body.append(f"  call @k{k}(%P, %Y{k}) : ({TYPE}, {TYPE}) -> ()")
        level.append(f"Y{k}")
    joins = 0
    while len(level) > 1:
        nxt = []
        for a, b in zip(level[0::2], level[1::2]):
            name, out = f"j{joins}", f"J{joins}"
            funcs.append(join_text(name))
            args[name] = ["Y", "Z", "R"]
            body.append(f'  %{out} = memref.alloc() {{name = "{out}"}} : {TYPE}')
            body.append(f"  call @{name}(%{a}, %{b}, %{out}) : ({TYPE}, {TYPE}, {TYPE}) -> ()")
            fifos += [(f"top:{a}", name), (f"top:{b}", name)]
            nxt.append(out)
            joins += 1
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    top = f"""
func.func @top(%P: {TYPE}) -> {TYPE} {{
{chr(10).join(body)}
  return %{level[0]} : {TYPE}
}}"""
    return "".join(funcs) + top, args, [f"k{k}" for k in range(leaves)], fifos


def schedule_of(text: str, args: dict, top: str) -> Schedule:
    ctx = new_context()
    with ctx:
        module = ir.Module.parse(text)
    return Schedule(BuiltModule(module, ctx, top, args))


def simulate_depth(write, read) -> int:
    """The §8.2 model cycle by cycle (the straightforward alternative to the closed form)."""
    n, t, written, read_count, most, waiting_for = len(write), 0, 0, 0, 0, 0
    next_read = int(read[0])
    while read_count < n:
        while written < n and write[written] <= t:
            written += 1
        if read_count < written and t >= next_read and write[read_count] < t:
            read_count += 1
            if read_count < n:
                next_read = t + int(read[read_count] - read[read_count - 1])
        most = max(most, written - read_count)
        t += 1
    return min(max(most + 1, 2), n)


def measure(program, n: int) -> list[str]:
    text, args, kernels, fifos = program(n)
    s = schedule_of(text, args, "top")
    subs = []
    for name in kernels:
        sub = schedule_of(kernel_text(name, int(name[1:])), {name: ["P", "Q"]}, name)
        sub.to(f"{name}:T", "second")
        subs.append(sub)
    start = time.perf_counter()
    s.compose(subs)
    t_compose = time.perf_counter() - start
    start = time.perf_counter()
    for buf, dst in fifos:
        s.to(buf, dst, depth="auto")
    t_to = time.perf_counter() - start
    start = time.perf_counter()
    s.build()
    t_cpu = time.perf_counter() - start
    start = time.perf_counter()
    s.build(target="vhls")
    t_hls = time.perf_counter() - start
    start = time.perf_counter()
    graph = s.dataflow_graph()
    t_graph = time.perf_counter() - start
    start = time.perf_counter()
    depths = graph.auto_depths()
    t_size = time.perf_counter() - start
    start = time.perf_counter()
    for edge in graph.fifos():
        assert simulate_depth(edge.src.access.times(), edge.dst.access.times()) == \
            depths[edge.label].depth
    t_sim = time.perf_counter() - start
    return [str(len(args) - 1), str(len(depths)), format_seconds(t_compose),
            format_seconds(t_to), format_seconds(t_cpu), format_seconds(t_hls),
            format_seconds(t_graph), format_seconds(t_size), format_seconds(t_sim),
            format_seconds((t_compose + t_to + t_cpu) / (len(args) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=1000)
    options = parser.parse_args()
    print(machine_summary())
    headers = ["program", "n", "kernels", "FIFOs", "compose", "to (top)", "CPU build",
               "HLS emit", "graph", "sizing §8.2", "sizing by cycle sim",
               "(compose+to+build)/kernel"]
    rows = []
    for name, program in (("chain", chain_program), ("tree", tree_program)):
        for n in (1, 10, 100, 1000):
            if n <= options.max:
                rows.append([name, str(n)] + measure(program, n))
                print(render_table(headers, rows[-1:]).splitlines()[-1], flush=True)
    print()
    print(render_table(headers, rows))


if __name__ == "__main__":
    main()
