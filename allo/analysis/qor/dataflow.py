"""Dataflow regions (``#pragma HLS dataflow``): stages that overlap.

The stages of a region are its top-level loops and calls, in program order. A buffer
written by one stage and read by a later one is a channel: through a stream (FIFO) the
reader starts as soon as the writer's first element is out (the writer's *fill*: the
latency of its first innermost iteration) and ends no earlier than one cycle after the
writer; through an array (a ping-pong buffer) the reader starts when the writer is done.
Stages with no channel between them start together. The region's latency is the last
finish plus the start/join overhead; its interval (the time between two runs of the
region) is the slowest stage's latency.
"""

from __future__ import annotations

from ..._mlir import ir
from ...mlir_utils import find_func, walk_ops
from ..access import LOAD_OPS, STORE_OPS, access_memref
from ..processes import stream_depth
from .body import LOOP_OPS
from .report import DataflowEstimate, StageEstimate


def _touched(est, op) -> tuple[set, set]:
    """Buffers (region-level values) a stage reads and writes."""
    reads, writes = set(), set()
    ops = [op] if op.operation.name == "func.call" else list(walk_ops(op))
    for inner in ops:
        name = inner.operation.name
        if name in LOAD_OPS:
            reads.add(access_memref(inner))
        elif name in STORE_OPS:
            writes.add(access_memref(inner))
        elif name == "func.call":
            r, w = _call_touched(est, inner)
            reads |= r
            writes |= w
    return reads, writes


def _call_touched(est, call) -> tuple[set, set]:
    callee = find_func(est.module, ir.FlatSymbolRefAttr(call.operation.attributes["callee"]).value)
    operands = list(call.operation.operands)
    if callee is None:
        return set(operands), set(operands)
    args = list(callee.regions[0].blocks[0].arguments)
    reads, writes = set(), set()
    for inner in walk_ops(callee):
        name = inner.operation.name
        if name in LOAD_OPS or name in STORE_OPS:
            root = access_memref(inner)
            if root in args:
                (writes if name in STORE_OPS else reads).add(operands[args.index(root)])
        elif name == "func.call":  # buffers passed on further: assume both ways
            for v in inner.operation.operands:
                if v in args:
                    reads.add(operands[args.index(v)])
                    writes.add(operands[args.index(v)])
    return reads, writes


def _stage_name(est, op) -> str:
    attrs = op.operation.attributes
    if op.operation.name == "func.call":
        return ir.FlatSymbolRefAttr(attrs["callee"]).value
    if "op_name" in attrs:
        return ir.StringAttr(attrs["op_name"]).value
    return est.name_of(op)


def _call_fill(est, op, latency: int) -> int:
    """Cycles until a called process's first output (its own first stage's fill)."""
    callee = ir.FlatSymbolRefAttr(op.operation.attributes["callee"]).value
    return min(latency, est.first_output.get(callee, latency))


def estimate_region(est, func, label: str | None = None) -> DataflowEstimate:
    """The :class:`DataflowEstimate` of the dataflow body of ``func`` (a function, or a loop
    marked ``dataflow``: one iteration of its body), named ``label``."""
    stages, channels = [], {}
    for op in func.regions[0].blocks[0].operations:
        name = op.operation.name
        if name not in LOOP_OPS and name != "func.call":
            continue
        before = len(est.loops)
        latency = est.nested_loop_cycles(op, {}) if name in LOOP_OPS else est.call_cycles(op)
        mark = est.loops[before:]
        fill = fill_of(mark, latency) if name in LOOP_OPS else _call_fill(est, op, latency)
        reads, writes = _touched(est, op)
        stages.append((_stage_name(est, op), latency, fill, reads, writes))
    start, finish = [], []
    for k, (_, latency, _, reads, _) in enumerate(stages):
        s, f_min = 0, 0
        for p in range(k):
            shared = stages[p][4] & reads
            if not shared:
                continue
            if any(stream_depth(v.type) is not None for v in shared):
                s = max(s, start[p] + stages[p][2])
                f_min = max(f_min, finish[p] + 1)
            else:
                s = max(s, finish[p])
        start.append(s)
        finish.append(max(s + latency, f_min))
    for v in _stream_allocs(func):
        attrs = v.owner.attributes
        label = ir.StringAttr(attrs["name"]).value if "name" in attrs else v.get_name()
        channels[label] = stream_depth(v.type)
    results = [StageEstimate(n, lat, s, f) for (n, lat, *_), s, f in zip(stages, start, finish)]
    latency = (max(finish) if finish else 0) + est.lib.DATAFLOW_OVERHEAD
    interval = max((st.latency for st in results), default=1)
    slowest = max(results, key=lambda st: st.latency).name if results else ""
    overlapped = sum(1 for a in results if any(
        b is not a and a.start < b.finish and b.start < a.finish for b in results))
    est.first_output[est._function] = min((st.start + fill for st, (_, _, fill, _, _) in
                                           zip(results, stages)), default=latency)
    return DataflowEstimate(label or est._function, results, latency, interval,
                            sum(st.latency for st in results), overlapped, slowest, channels)


def fill_of(new_loops: list, latency: int) -> int:
    """Fill of a loop stage from the loops it recorded: the innermost one's iteration
    latency plus one cycle per enclosing loop level.

    >>> from allo.analysis.qor.report import LoopEstimate
    >>> outer = LoopEstimate("f", "i", 1, 6, 186, 31)
    >>> inner = LoopEstimate("f", "j", 2, 10, 30, 3)
    >>> fill_of([outer, inner], 186)
    4
    """
    real = [lp for lp in new_loops if lp.iteration_latency]
    if not real:
        return latency
    inner = max(real, key=lambda lp: lp.level)
    return min(latency, inner.iteration_latency + inner.level - real[0].level)


def _stream_allocs(func) -> list:
    out = []
    for op in func.regions[0].blocks[0].operations:
        if op.operation.name in ("memref.alloc", "memref.alloca") and \
                stream_depth(op.operation.results[0].type) is not None:
            out.append(op.operation.results[0])
    return out
