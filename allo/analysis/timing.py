"""Cycle estimates of loop nests, and the clock plan of a dataflow process (docs/dataflow.md).

Costs come from :mod:`allo.analysis.op_latency`. Within a block, an operation starts when its
operands are ready (critical path); loops, conditionals and calls run in program order, each
after everything before it. A loop costs :func:`~allo.analysis.op_latency.loop_latency` of its
trip count, body and ``pipeline_ii`` (``n * body``, or ``(n - 1) * II + body`` when pipelined),
with no entry overhead; a conditional the cost of its longer branch; a call ``func.call`` plus
its callee.

:func:`clock_plan` prepares the timing model the simulator runs alongside a process: the
loops and conditionals that contain FIFO accesses (or have run-time bounds) cannot be costed
statically, so the process advances a clock at run time, by the statically known cycles of
each straight-line segment (``increments``); each FIFO access happens at its segment's start
plus its offset in the segment (``offsets``), where the simulator makes it wait for the other
side of the FIFO.

>>> from allo._mlir import ir, new_context
>>> with new_context():
...     m = ir.Module.parse('''func.func @f(%A: memref<8xi32>) {
...       affine.for %i = 0 to 8 {
...         %v = affine.load %A[%i] : memref<8xi32>
...         affine.store %v, %A[%i] : memref<8xi32>
...       } {pipeline_ii = 1 : ui32}
...       return }''')
...     function_cycles(m, m.body.operations[0])
10
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._mlir import ir
from ..mlir_utils import constant_bounds, constant_int, find_func
from ..mlir_utils import trip_count as constant_trip_count
from .op_latency import loop_latency, op_latency

_LOOPS = ("affine.for", "scf.for")
_IFS = ("affine.if", "scf.if")
_ACCESSES = ("memref.load", "memref.store", "affine.load", "affine.store")
_BLOCK_TAGS = ("allo.stream_put", "allo.stream_get")


def trip_count(loop) -> int | None:
    """Iterations of an ``affine.for``/``scf.for`` with constant bounds, else ``None``."""
    if loop.name == "affine.for":
        bounds = constant_bounds(loop)
    else:
        bounds = tuple(constant_int(v) for v in list(loop.operands)[:3])
        if None in bounds or bounds[2] <= 0:
            return None
    return None if bounds is None else constant_trip_count(*bounds)


def pipeline_ii(loop) -> int | None:
    """The initiation interval the loop is pipelined at, else ``None``."""
    if "pipeline_ii" not in loop.attributes:
        return None
    return max(1, int(ir.IntegerAttr(loop.attributes["pipeline_ii"]).value))


@dataclass
class _Context:
    module: object
    streams: set = field(default_factory=set)   # the FIFO parameters of the process
    counters: set = field(default_factory=set)  # stream bookkeeping buffers (free)
    calls: dict = field(default_factory=dict)   # callee name -> cycles or None


def _op(value_owner):
    return value_owner.operation if hasattr(value_owner, "operation") else value_owner


def _accessed_memref(op):
    if op.name not in _ACCESSES:
        return None
    return op.operands[1 if op.name.endswith("store") else 0]


def _is_fifo_op(op, ctx: _Context) -> bool:
    if any(tag in op.attributes for tag in _BLOCK_TAGS):
        return True
    memref = _accessed_memref(op)
    return memref is not None and memref in ctx.streams


def _is_counter_access(op, ctx: _Context) -> bool:
    memref = _accessed_memref(op)
    if memref is None or isinstance(memref.owner, ir.Block):
        return False
    return "allo.stream_counter" in _op(memref.owner).attributes


def _has_fifo_op(op, ctx: _Context) -> bool:
    for region in op.regions:
        for block in region.blocks:
            for inner in block.operations:
                inner = _op(inner)
                if _is_fifo_op(inner, ctx) or _has_fifo_op(inner, ctx):
                    return True
    return False


def op_cycles(op, ctx: _Context) -> int | None:
    """Cycles of ``op`` run to completion, or ``None`` if not statically known."""
    name = op.name
    if _is_fifo_op(op, ctx):
        return op_latency("fifo.put" if name.endswith("store") or "allo.stream_put"
                          in op.attributes else "fifo.get")
    if _is_counter_access(op, ctx):
        return 0
    if name in _LOOPS:
        trip = trip_count(op)
        body = block_cycles(op.regions[0].blocks[0], ctx)
        if trip is None or body is None:
            return None
        return loop_latency(trip, body, pipeline_ii(op))
    if name == "func.call":
        return _call_cycles(op, ctx)
    if name == "scf.while":
        return None
    if len(op.regions):
        costs = [block_cycles(b, ctx) for r in op.regions for b in r.blocks]
        if None in costs:
            return None
        return max(costs, default=0) if name in _IFS else sum(costs)
    return op_latency(name)


def _call_cycles(op, ctx: _Context) -> int | None:
    callee = ir.FlatSymbolRefAttr(op.attributes["callee"]).value
    if callee not in ctx.calls:
        ctx.calls[callee] = None  # recursion guard
        fop = find_func(ctx.module, callee)
        if fop is None or not fop.regions[0].blocks:
            ctx.calls[callee] = 0
        else:
            inner = _Context(ctx.module, set(), set(), ctx.calls)
            ctx.calls[callee] = block_cycles(fop.regions[0].blocks[0], inner)
    body = ctx.calls[callee]
    return None if body is None else body + op_latency("func.call")


def _fifo_of(op, ctx: _Context):
    """The FIFO parameter a FIFO access (or block nest) uses."""
    memref = _accessed_memref(op)
    if memref is not None and memref in ctx.streams:
        return memref
    for region in op.regions:
        for block in region.blocks:
            for inner in block.operations:
                found = _fifo_of(_op(inner), ctx)
                if found is not None:
                    return found
    return None


def _schedule(ops, ctx: _Context, cost_of) -> tuple[int, list]:
    """Critical-path schedule of ``ops``: (length, [(op, start)]). Accesses to one FIFO
    keep their program order, one per cycle (a FIFO has one port per side)."""
    finish: dict = {}
    last_access: dict = {}
    barrier, length, starts = 0, 0, []
    for op in ops:
        start = barrier
        fifo = _fifo_of(op, ctx) if _is_fifo_op(op, ctx) else None
        if fifo is not None and fifo in last_access:
            start = max(start, last_access[fifo] + 1)
        for value in op.operands:
            owner = value.owner
            if not isinstance(owner, ir.Block):
                start = max(start, finish.get(_op(owner), 0))
        sequential = len(op.regions) > 0 or op.name == "func.call"
        if sequential:
            start = max(start, length)
        cost = cost_of(op) or 0
        end = start + cost
        if fifo is not None:
            last_access[fifo] = start
        for result in op.results:
            finish[_op(result.owner)] = end
        starts.append((op, start))
        length = max(length, end)
        if sequential:
            barrier = end
    return length, starts


def block_cycles(block, ctx: _Context) -> int | None:
    """Cycles of one execution of ``block`` (``None`` if some part is not static)."""
    ops = [_op(o) for o in block.operations]
    # nested ops are costed once here and reused by the schedule (costing them again there
    # would double the work at every level of a nest)
    nested = {}
    for op in ops:
        if len(op.regions) or op.name == "func.call":
            nested[op] = op_cycles(op, ctx)
            if nested[op] is None:
                return None
    return _schedule(ops, ctx, lambda op: nested[op] if op in nested else op_cycles(op, ctx))[0]


def function_cycles(module, func_op) -> int | None:
    """Estimated cycles of one call of ``func_op`` (``None`` if not statically known)."""
    if not func_op.regions[0].blocks:
        return None
    return block_cycles(func_op.regions[0].blocks[0], _Context(module))


@dataclass
class ClockPlan:
    """Where a process advances its clock, and when its FIFO accesses happen."""

    # (op, cycles, "before" | "after" | "drain"); "drain": after loop ``op`` if it ran at all
    # (its clock moved), possibly negative: ``(n - 1) * II + depth`` after ``n`` steps of II
    increments: list = field(default_factory=list)
    offsets: list = field(default_factory=list)     # (FIFO access or block nest, cycles)


def clock_plan(module, func_op, stream_args) -> ClockPlan:
    """The :class:`ClockPlan` of process ``func_op`` whose FIFOs are ``stream_args``."""
    block = func_op.regions[0].blocks[0]
    counters = set()
    for op in block.operations:
        op = _op(op)
        if "allo.stream_counter" in op.attributes:
            counters.add(op)
    ctx = _Context(module, set(stream_args), counters)
    plan = ClockPlan()
    _plan_block(block, ctx, plan)
    return plan


def _dynamic(op, ctx: _Context) -> bool:
    if op.name not in _LOOPS + _IFS + ("scf.while",) or _is_fifo_op(op, ctx):
        return False
    return _has_fifo_op(op, ctx) or op_cycles(op, ctx) is None


def _plan_block(block, ctx: _Context, plan: ClockPlan, minimum: int = 0) -> None:
    """Segments of ``block`` between its dynamic ops each advance the clock by their length."""
    ops = [_op(o) for o in block.operations]
    terminator, body = ops[-1], ops[:-1]
    segment: list = []
    for op in body + [terminator]:
        if op is terminator or _dynamic(op, ctx):
            length = _plan_segment(segment, ctx, plan)
            if op is terminator:
                length = max(length, minimum)
            if length:
                plan.increments.append((op, length, "before"))
            segment = []
            if op is not terminator:
                _plan_dynamic(op, ctx, plan)
        else:
            segment.append(op)


def _plan_segment(ops: list, ctx: _Context, plan: ClockPlan) -> int:
    length, starts = _schedule(ops, ctx, lambda op: op_cycles(op, ctx))
    plan.offsets += [(op, start) for op, start in starts if _is_fifo_op(op, ctx)]
    return length


def _plan_dynamic(op, ctx: _Context, plan: ClockPlan) -> None:
    ii = pipeline_ii(op) if op.name in _LOOPS else None
    if ii is None:
        for region in op.regions:
            for block in region.blocks:
                _plan_block(block, ctx, plan, minimum=1 if op.name in _LOOPS else 0)
        return
    # pipelined: one iteration starts every II cycles; the last one ends ``depth`` cycles
    # after its start, i.e. ``depth - II`` after the loop's clock (shorter when depth < II)
    body = op.regions[0].blocks[0]
    ops = [_op(o) for o in body.operations]
    depth = _plan_flat(ops, ctx, plan)
    plan.increments.append((ops[-1], ii, "before"))
    drain = max(depth, 1) - ii
    if drain != 0:
        plan.increments.append((op, drain, "drain"))


def _plan_flat(ops: list, ctx: _Context, plan: ClockPlan, base: int = 0) -> int:
    """Offsets (from ``base``) of the FIFO accesses of a pipelined body, whose nested loops
    are unrolled in hardware and count as one iteration; returns the iteration latency."""
    def inner_blocks(op):
        return [[_op(o) for o in block.operations] for region in op.regions
                for block in region.blocks]

    def cost(op):
        if _dynamic(op, ctx):
            return max((_plan_flat(b, ctx, ClockPlan()) for b in inner_blocks(op)), default=0)
        return op_cycles(op, ctx)
    length, starts = _schedule(ops, ctx, cost)
    for op, start in starts:
        if _is_fifo_op(op, ctx):
            plan.offsets.append((op, base + start))
        elif _dynamic(op, ctx):
            for block_ops in inner_blocks(op):
                _plan_flat(block_ops, ctx, plan, base + start)
    return length
