"""Random producer/consumer programs connected by ``s.to`` FIFOs (schedule.md §4).

A program is a chain (or a small DAG) of *processes* over ``[M, N]`` arrays of one type family:
each process is a stage of the top kernel (``for ik, jk in allo.grid(M, N, name="Sk")``) or a
called function ``fk(sources..., Tk)`` (which may hold the loops itself or pass its arrays on
to a leaf function ``gk``), reads one or two earlier arrays at ``[i, j]`` and writes
its array ``Tk`` once per element, in row-major order. Arrays nobody reads are returned.

The schedule streams intermediate arrays to their consumers with random depths (``-1``, small
positive ones, the element count, ``"auto"``) and mixes in loop and memory primitives that may
make a stream illegal (``reorder``, ``partition``) or change the rates (``pipeline``, ``unroll``,
``split``). Some programs are illegal on purpose: a consumer that reads its source twice, or a
schedule that streams an array to only one of its two consumers. Whatever the library does must
be one of: refuse with a ScheduleError that leaves the IR unchanged (at the primitive or, for a
consumer left out, at build time), or give the reference's results on the CPU and in C
simulation.

:func:`generate_stream_case` builds a case from a :class:`fuzz_gen.Chooser`;
:func:`run_stream_case` checks it and returns a :class:`fuzz_check.Outcome`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import allo
from fuzz_check import Outcome, run_case
from fuzz_gen import FAMILIES, Chooser, ExprGen
from fuzz_program import (Bin, CallProc, DeclArray, Kernel, Lit, Load, Loop, MinMax, Param,
                          Program, Store, TypeEnv)
from fuzz_semantics import INT32, legal_binary


@dataclass
class Process:
    """One producer: a stage ``S<k>`` of the top kernel or a called function ``f<k>``."""

    name: str  # what ``s.to`` names as the consumer: the stage or function name
    kind: str  # "stage", "func", or "nested" (f<k> calls the leaf g<k> holding the loops)
    loops: tuple  # loop names as the schedule addresses them
    output: str
    sources: list  # arrays read, in order (a repeated name is read twice)


@dataclass
class StreamCase:
    family: str
    program: Program
    processes: list
    schedule: list
    input_seed: int
    partial: bool = False  # an array is streamed to only some of its consumers
    consumers: dict = field(default_factory=dict)  # array -> consuming process names
    is_stream_case = True

    def primitives(self) -> list[str]:
        """Primitive name of each schedule line."""
        return [line.split("(")[0].split(".", 1)[1] for line in self.schedule]


# ----------------------------------------------------------------------------- programs


def generate_stream_case(ch: Chooser, families=None) -> StreamCase:
    """A random producer/consumer program and a schedule streaming its arrays."""
    family = ch.choice(families or list(FAMILIES))
    shape = (ch.integer(2, 4), ch.integer(2, 5))
    scalar_ty = ch.choice(FAMILIES[family]) if ch.chance(70) else INT32
    params = [Param("A", ch.choice(FAMILIES[family]), shape),
              Param("B", ch.choice(FAMILIES[family]), shape), Param("c", scalar_ty)]
    top = Kernel("top", params, [], [])
    kernels, processes = [], []
    env = TypeEnv(Program([top]), top)
    for k in range(ch.integer(2, 4)):
        available = ["A", "B"] + [p.output for p in processes]
        sources = _pick_sources(ch, available, processes)
        kind = ch.choice(["stage", "stage", "func", "func", "nested"])
        out_ty = ch.choice(FAMILIES[family])
        target = f"T{k}"
        top.body.append(DeclArray(target, out_ty, shape))
        if kind == "stage":
            i, j = f"i{k}", f"j{k}"
            value = _value(ch, family, env, sources, (i, j), ("c",))
            top.body.append(Loop("grid", (i, j), shape, [Store(target, ((i, 0), (j, 0)), value)],
                                 name=f"S{k}"))
            processes.append(Process(f"S{k}", kind, (i, j), target, sources))
        else:
            kernel = _function(ch, family, env, f"f{k}", sources, out_ty, shape)
            kernels.append(kernel)
            leaf = kernel.name
            if kind == "nested":  # f<k> only passes its arrays on to the leaf g<k>
                kernel.name = leaf = f"g{k}"
                names = tuple(p.name for p in kernel.params)
                kernels.append(Kernel(f"f{k}", kernel.params, [], [CallProc(leaf, names)]))
            top.body.append(CallProc(f"f{k}", tuple(dict.fromkeys(sources)) + (target,)))
            processes.append(Process(f"f{k}", kind, (f"{leaf}:a", f"{leaf}:b"), target,
                                     sources))
        env.arrays[target] = (out_ty, shape)
    consumers = {p.output: [q.name for q in processes if p.output in q.sources]
                 for p in processes}
    top.results = [Param(p.output, env.arrays[p.output][0], shape)
                   for p in processes if not consumers[p.output]]
    program = Program(kernels + [top])
    case = StreamCase(family, program, processes, [], ch.integer(0, 2**31 - 1),
                      consumers={a: c for a, c in consumers.items() if c})
    case.schedule = _schedule(ch, case, shape)
    return case


def _pick_sources(ch: Chooser, available: list, processes: list) -> list:
    """One or two arrays, usually the newest one; now and then one array read twice."""
    newest = processes[-1].output if processes else ch.choice(available)
    first = newest if ch.chance(75) else ch.choice(available)
    if ch.chance(8):
        return [first, first]  # illegal to stream: read in two places
    if ch.chance(45):
        others = [a for a in available if a != first]
        return [first, ch.choice(others)]
    return [first]


def _value(ch: Chooser, family: str, env: TypeEnv, sources: list, loops: tuple, scalars):
    """An expression reading each listed source once at ``[i, j]``."""
    index = ((loops[0], 0), (loops[1], 0))
    loads = [Load(src, index) for src in sources]
    value = loads[0]
    for load in loads[1:]:
        value = _combine(ch, env, value, load)
    if ch.chance(70):
        gen = ExprGen(ch, env, family, [], [], list(loops), None, ch.integer(0, 2),
                      scalars=scalars)
        tail = gen.expr()
        value = (MinMax(ch.choice(["min", "max"]), value, tail) if ch.chance(15)
                 else _combine(ch, env, value, tail))
    return value


def _combine(ch: Chooser, env: TypeEnv, left, right):
    """``left op right`` for an operator legal on their types (``>>`` by a small literal)."""
    op = ch.choice(["+", "-", "*", "+", "&", "^", ">>"])
    if op == ">>":  # a data-dependent shift amount could exceed the width
        shift = Lit(ch.integer(0, 3))
        shifted = left if ch.chance(50) else Bin("+", left, right)
        if legal_binary(op, env.type_of(shifted), env.type_of(shift)):
            if shifted is left:
                return Bin("+", Bin(op, left, shift), right)
            return Bin(op, shifted, shift)
        op = "+"
    if not legal_binary(op, env.type_of(left), env.type_of(right)):
        op = ch.choice(["+", "-", "*"])
    return Bin(op, left, right)


def _function(ch, family, env, name, sources, out_ty, shape) -> Kernel:
    """``def name(X0, [X1,] Y)`` writing ``Y[a, b]`` from its inputs."""
    distinct = list(dict.fromkeys(sources))
    params = [Param(f"X{n}", env.arrays[src][0], shape) for n, src in enumerate(distinct)]
    params.append(Param("Y", out_ty, shape))
    kernel = Kernel(name, params, [], [])
    local = TypeEnv(Program([kernel]), kernel)
    renamed = [f"X{distinct.index(src)}" for src in sources]
    value = _value(ch, family, local, renamed, ("a", "b"), ())
    kernel.body = [Loop("grid", ("a", "b"), shape, [Store("Y", (("a", 0), ("b", 0)), value)])]
    return kernel


# ----------------------------------------------------------------------------- schedules


def _schedule(ch: Chooser, case: StreamCase, shape: tuple) -> list[str]:
    """``s.to`` lines for most consumed arrays, mixed with other primitives."""
    count = shape[0] * shape[1]
    lines = []
    for array, readers in case.consumers.items():
        if not ch.chance(80):
            continue
        chosen = list(readers)
        if len(chosen) > 1 and ch.chance(12):
            chosen.pop(ch.integer(0, len(chosen) - 1))
            case.partial = True
        for reader in chosen:
            depth = ch.choice([-1, -1, 1, 2, count, ch.integer(1, count), '"auto"', None])
            extra = "" if depth is None else f", depth={depth}"
            lines.append(f's.to(s.{array}, "{reader}"{extra})')
    stages = [p for p in case.processes if p.kind == "stage"]
    for _ in range(ch.integer(0, 2)):
        process = ch.choice(case.processes)
        outer, inner = process.loops
        if len(stages) >= 2 and ch.chance(15):
            first = ch.integer(0, len(stages) - 2)
            second = ch.integer(first + 1, len(stages) - 1)
            depth = ch.integer(0, 1)
            lines.insert(ch.integer(0, len(lines)), f's.compute_at("{stages[first].loops[depth]}", '
                                                     f'"{stages[second].loops[depth]}")')
            continue
        line = ch.choice([f's.pipeline("{inner}", initiation_interval={ch.integer(1, 3)})',
                          f's.pipeline("{outer}")', f's.unroll("{inner}", 2)',
                          f's.split("{inner}", 2)', f's.reorder("{inner}", "{outer}")',
                          f's.partition(s.{ch.choice(list(case.consumers) or ["A"])}, '
                          f'allo.Partition.Cyclic, dim=2, factor=2)'])
        lines.insert(ch.integer(0, len(lines)), line)
    return lines


# ----------------------------------------------------------------------------- checking


def run_stream_case(case: StreamCase, tag: str, workdir: str | None = None,
                    csim: bool = False) -> Outcome:
    """Reference vs CPU build, before and after the schedule, and (on request) csim."""
    return run_case(case, tag, workdir, csim, build_after=_build_unless_refused)


def _build_unless_refused(outcome: Outcome, s, case: StreamCase):
    """The CPU build, or ``None`` when refused. A build refused for an array streamed to only
    some of its readers (§4.1: left out by the generator, or its ``to`` was refused) is
    expected; any other refusal should have come earlier, from the primitive."""
    text = str(s.module)
    try:
        return s.build()
    except allo.ScheduleError as exc:
        if str(s.module) != text:
            outcome.errors.append(("build", f"refused build changed the IR: {exc}"))
        elif not ((case.partial or "to" in outcome.refused)
                  and "stream it to that consumer too" in str(exc)):
            outcome.errors.append(("build", f"refused at build, not by a primitive: {exc}"))
        outcome.refused.append("build")
        return None
