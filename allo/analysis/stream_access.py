"""How a process accesses a buffer: the facts streaming needs (``schedule.md`` §4.1, §8).

A *process* of a function ``F`` is one top-level op of its body: a stage (a loop nest), a
call, or another op (an initializer such as ``linalg.fill``). For one buffer,
:func:`process_accesses` summarises each process that uses it as an :class:`Access`:

* ``mode``: ``read``, ``write`` or ``both``;
* ``in_order``: it accesses every element exactly once, in row-major order (the condition
  for turning the buffer into a FIFO), else ``reason`` says why not;
* the timing of that one access (§8.2): the normalized loops around it, outermost first,
  each with its trip count and *period* (cycles per iteration), plus the cycle at which the
  first access happens. A loop's period is its ``pipeline_ii`` when pipelined (inner loops
  are unrolled), else the sum of the latencies of the loops in its body (1 when it has none).

A call is followed into the callee (transitively): the callee's parameter must be used by
exactly one of its processes, itself in order.

>>> from allo._mlir import ir, new_context
>>> with new_context():
...     m = ir.Module.parse('''func.func @f(%A: memref<2x3xi32>) {
...       %B = memref.alloc() {name = "B"} : memref<2x3xi32>
...       affine.for %i = 0 to 2 {
...         affine.for %j = 0 to 3 {
...           %v = affine.load %A[%i, %j] : memref<2x3xi32>
...           affine.store %v, %B[%i, %j] : memref<2x3xi32>
...         } {loop_name = "j"}
...       } {loop_name = "i", op_name = "S"}
...       return }''')
...     f = m.body.operations[0]
...     B = f.regions[0].blocks[0].operations[0].result
...     [(p.name, a.mode, a.in_order, a.times().tolist()) for p, a in process_accesses(f, B)]
[('S', 'write', True, [0, 1, 2, 3, 4, 5])]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .._mlir import ir
from ..mlir_utils import (LinearForm, constant_bounds, constant_int, find_func, fold_affine_map,
                          func_name, trip_count)
from .access import LOAD_OPS, STORE_OPS, access_memref, subscripts
from .op_latency import loop_latency

LOOP_OPS = frozenset({"affine.for", "scf.for"})
IF_OPS = frozenset({"affine.if", "scf.if"})
IGNORED_USERS = frozenset({"memref.dealloc"})


@dataclass(eq=False)
class Access:
    """How one process accesses one buffer (see the module docstring)."""

    mode: str  # "read" | "write" | "both"
    in_order: bool
    reason: str | None = None
    loops: list = field(default_factory=list)  # [(trip, period)] outermost first
    start: int | None = 0  # cycle of the first access (None: unknown)
    latency: int | None = None  # cycles the whole process takes (None: unknown)
    ops: list = field(default_factory=list)  # the access ops (possibly in callees)
    path: list = field(default_factory=list)  # functions followed into: ["consume", ...]

    @property
    def count(self) -> int | None:
        """Element accesses made (in-order accesses only)."""
        return math.prod(t for t, _ in self.loops) if self.in_order else None

    @property
    def timed(self) -> bool:
        return self.in_order and self.start is not None and all(
            p is not None for _, p in self.loops)

    @property
    def interval(self) -> int | None:
        """Cycles between two accesses in the innermost accessing loop (its II)."""
        if not self.timed:
            return None
        inner = [p for t, p in self.loops if t > 1]
        return inner[-1] if inner else 1

    def times(self) -> np.ndarray:
        """Cycle of each element access, in element (= row-major) order."""
        if not self.timed:
            raise ValueError(f"access times unknown: {self.reason or 'not statically timed'}")
        times = np.zeros(1, dtype=np.int64) + self.start
        for trip, period in self.loops:
            times = (times[:, None] + np.arange(trip, dtype=np.int64)[None, :] * period).ravel()
        return times


@dataclass(eq=False)
class Process:
    """A top-level op of a function body: a stage, a call or another op."""

    kind: str  # "stage" | "call" | "op"
    name: str  # stage name, callee name, or op name
    op: object
    index: int  # position among the function's top-level ops


# --------------------------------------------------------------------------- timing


class Timing:
    """Latency model of loops and calls (cycles), cached per function."""

    def __init__(self, module=None):
        self.module = module
        self._funcs: dict[str, int | None] = {}

    def op_latency(self, op) -> int | None:
        op = op.operation
        if op.name in LOOP_OPS:
            bounds = constant_bounds(op)
            if bounds is None:
                return None
            period = self.period(op)
            if period is None:
                return None
            # a pipelined loop's iterations are counted at its II, without the drain of the
            # last one (the access times of the model stay periodic): its depth is its II
            ii = period if "pipeline_ii" in op.attributes else None
            return loop_latency(trip_count(*bounds), period, ii)
        if op.name == "func.call":
            return self.function_latency(_callee(op), op)
        if len(op.regions):
            branch = [self.block_latency(b) for r in op.regions for b in r.blocks]
            return None if any(b is None for b in branch) else max(branch, default=0)
        return 0

    def period(self, loop) -> int | None:
        """Cycles of one iteration of ``loop``."""
        attrs = loop.operation.attributes
        if "pipeline_ii" in attrs:
            return ir.IntegerAttr(attrs["pipeline_ii"]).value
        body = self.block_latency(loop.operation.regions[0].blocks[0])
        return None if body is None else max(body, 1)

    def block_latency(self, block) -> int | None:
        total = 0
        for op in block.operations:
            lat = self.op_latency(op)
            if lat is None:
                return None
            total += lat
        return total

    def function_latency(self, name: str, anchor) -> int | None:
        if name not in self._funcs:
            self._funcs[name] = None  # recursion guard
            fop = find_func(anchor, name)
            if fop is None or not fop.regions[0].blocks:
                self._funcs[name] = 0
            else:
                block = fop.regions[0].blocks[0]
                lats = [self.op_latency(op) for op in block.operations]
                if any(lat is None for lat in lats):
                    self._funcs[name] = None
                elif "dataflow" in fop.attributes:
                    self._funcs[name] = max(lats, default=0)
                else:
                    self._funcs[name] = sum(lats)
        return self._funcs[name]


# --------------------------------------------------------------------------- processes


def processes(func_op) -> list[Process]:
    """The top-level ops of a function body that can use a buffer, in program order."""
    out = []
    block = func_op.operation.regions[0].blocks[0]
    for index, op in enumerate(block.operations):
        proc = process_of(op.operation, index)
        if proc is not None:
            out.append(proc)
    return out


def process_of(op, index: int = -1) -> Process | None:
    """``op`` (a top-level op of a function body) as a process, ``None`` for a return."""
    if op.name in LOOP_OPS:
        name = _str_attr(op, "op_name") or _str_attr(op, "loop_name") or f"L{index}"
        return Process("stage", name, op, index)
    if op.name == "func.call":
        return Process("call", _callee(op), op, index)
    if op.name not in ("func.return",) and (len(op.regions) or len(op.operands)):
        return Process("op", op.name, op, index)
    return None


def before(a: Process, b: Process) -> bool:
    """Whether process ``a`` comes before ``b`` in their function body."""
    return a.op != b.op and a.op.is_before_in_block(b.op)


def top_level_users(func_op, value) -> list[Process]:
    """The processes of ``func_op`` that use ``value``, in program order, found from the
    value's uses (no walk of the whole body)."""
    body = func_op.operation.regions[0].blocks[0]
    found = []
    for use in value.uses:
        node = use.owner.operation if hasattr(use.owner, "operation") else use.owner
        while node is not None and node.block != body:
            node = _parent(node)
        if node is not None and not any(node == f for f in found):
            found.append(node)
    procs = [p for p in (process_of(op) for op in found) if p is not None]
    for i in range(1, len(procs)):  # insertion sort: few users, one block
        j = i
        while j > 0 and before(procs[j], procs[j - 1]):
            procs[j], procs[j - 1] = procs[j - 1], procs[j]
            j -= 1
    return procs


def uses_in(op, value) -> list:
    """Ops inside ``op`` (itself included) that take ``value`` as an operand."""
    found = []
    for use in value.uses:
        user = use.owner.operation if hasattr(use.owner, "operation") else use.owner
        if _is_within(user, op):
            found.append(user)
    return list(dict.fromkeys(found))


def process_accesses(func_op, value, timing: Timing | None = None) -> list[tuple]:
    """``[(Process, Access)]`` for every process of ``func_op`` using buffer ``value``."""
    timing = timing or Timing()
    out = []
    for proc in top_level_users(func_op, value):
        users = [u for u in uses_in(proc.op, value) if u.name not in IGNORED_USERS]
        if users:  # the access's ``start`` counts from the start of its process
            out.append((proc, access_of(proc, value, users, timing)))
    return out


def _process_starts(func_op, timing: Timing) -> dict:
    """Cycle at which each top-level op starts when the function runs sequentially."""
    starts, now = {}, 0
    for index, op in enumerate(func_op.operation.regions[0].blocks[0].operations):
        starts[index] = now
        lat = timing.op_latency(op) if now is not None else None
        now = None if lat is None or now is None else now + lat
    return starts


def access_of(proc: Process, value, users: list, timing: Timing, depth: int = 0) -> Access:
    """The :class:`Access` of process ``proc`` to ``value`` given its using ops."""
    reads = [u for u in users if u.name in LOAD_OPS]
    writes = [u for u in users if u.name in STORE_OPS and access_memref(u) == value]
    calls = [u for u in users if u.name == "func.call"]
    others = [u for u in users if u not in reads and u not in writes and u not in calls]
    latency = timing.op_latency(proc.op)
    if proc.kind == "call" and calls == [proc.op] and not others and not reads and not writes:
        return _call_access(proc.op, value, timing, depth)
    mode = _mode(bool(reads) or bool(calls), bool(writes) or bool(calls))
    if proc.op.name == "linalg.fill":
        return Access("write", False, "initializes it", latency=latency, ops=[proc.op])
    if others:
        return Access(mode, False, f"uses it in {others[0].name}", latency=latency, ops=others)
    if calls:
        return Access(mode, False, f"passes it to {_callee(calls[0])} inside a loop",
                      latency=latency, ops=calls)
    if reads and writes:
        return Access("both", False, "both reads and writes it", latency=latency,
                      ops=reads + writes)
    ops = reads or writes
    if len(ops) > 1:
        what = "reads" if reads else "writes"
        return Access(mode, False, f"{what} it in {len(ops)} places (each element must be "
                      f"accessed exactly once)", latency=latency, ops=ops)
    acc = _in_order(ops[0], proc.op, value, timing)
    acc.mode, acc.latency = mode, latency
    return acc


def _mode(reads: bool, writes: bool) -> str:
    return "both" if reads and writes else ("read" if reads else "write")


def _call_access(call, value, timing: Timing, depth: int) -> Access:
    callee = _callee(call)
    positions = [i for i, v in enumerate(call.operands) if v == value]
    latency = timing.op_latency(call)
    if len(positions) > 1:
        return Access("both", False, f"passes it twice to {callee}", latency=latency,
                      ops=[call])
    fop = find_func(call, callee)
    if fop is None or not fop.regions[0].blocks or depth > 32:
        return Access("both", False, f"{callee} has no body to analyse", latency=latency,
                      ops=[call])
    param = fop.regions[0].blocks[0].arguments[positions[0]]
    inner = process_accesses(fop, param, timing)
    if not inner:
        return Access("read", False, f"{callee} never accesses it", latency=latency,
                      ops=[call], path=[callee])
    if len(inner) > 1:
        names = ", ".join(p.name for p, _ in inner)
        return Access(_mode(any(a.mode != "write" for _, a in inner),
                            any(a.mode != "read" for _, a in inner)), False,
                      f"{callee} accesses it in {len(inner)} processes ({names})",
                      latency=latency, ops=[call], path=[callee])
    proc, acc = inner[0]
    starts = _process_starts(fop, timing)
    position = [k for k, op in enumerate(fop.regions[0].blocks[0].operations)
                if op.operation == proc.op][0]
    result = Access(acc.mode, acc.in_order, acc.reason, list(acc.loops), acc.start,
                    latency, acc.ops, [callee] + acc.path)
    if result.in_order and acc.start is not None and "dataflow" not in fop.attributes:
        base = starts.get(position)
        result.start = None if base is None else base + acc.start
    if not result.in_order and result.reason and not result.reason.startswith(callee):
        result.reason = f"{callee}: {proc.name} {result.reason}"
    return result


def _in_order(op, root, value, timing: Timing) -> Access:
    """Whether the single access ``op`` visits every element once, in row-major order."""
    shape = list(ir.MemRefType(value.type).shape)
    chain = []
    root = root.operation
    parent = _parent(op)
    while parent is not None:
        if parent.name in IF_OPS:
            return Access("", False, f"accesses it under a condition ({parent.name})", ops=[op])
        if parent.name in LOOP_OPS:
            chain.append(parent)
        if parent == root:
            break
        parent = _parent(parent)
    chain.reverse()
    bounds = [constant_bounds(loop) for loop in chain]
    if any(b is None for b in bounds):
        return _enumerated(op, chain, shape) or Access(
            "", False, "accesses it in a loop whose bounds are not constant (run-time bounds, "
            "or the min() tail of a split)", ops=[op])
    forms = subscripts(op)
    if any(f is None for f in forms) or any(d < 0 for d in shape):
        return _enumerated(op, chain, shape) or Access(
            "", False, "uses a subscript that is not affine", ops=[op])
    flat = LinearForm()
    for form, stride in zip(forms, _strides(shape)):
        flat = flat + form.scaled(stride)
    trips = [trip_count(*b) for b in bounds]
    ivs = [loop.regions[0].blocks[0].arguments[0] for loop in chain]
    if any(atom not in ivs for atom in flat.coeffs):
        return _enumerated(op, chain, shape) or Access(
            "", False, "indexes it with a value other than its loop variables", ops=[op])
    if math.prod(trips) != math.prod(shape):
        return Access("", False, f"makes {math.prod(trips)} accesses for "
                      f"{math.prod(shape)} elements", ops=[op])
    const = flat.const + sum(flat.coeff(iv) * b[0] for iv, b in zip(ivs, bounds))
    weights = [math.prod(trips[k + 1:]) for k in range(len(trips))]
    ordered = const == 0 and all(
        trip <= 1 or flat.coeff(iv) * b[2] == w
        for iv, b, trip, w in zip(ivs, bounds, trips, weights))
    if not ordered:
        return Access("", False, "does not access it in row-major order", ops=[op])
    periods = [timing.period(loop) for loop in chain]
    start = _offset_in(op, root, timing)
    return Access("", True, None, [(t, p) for t, p in zip(trips, periods)], start, ops=[op])


_ENUMERATION_LIMIT = 1 << 15  # loop iterations walked when the order is not linear


def _enumerated(op, chain: list, shape: list) -> Access | None:
    """In-order access proven by running the nest: split tails (``min`` bounds over outer loop
    variables) and fused loops (``floordiv``/``mod`` subscripts) visit the elements in row-major
    order although no linear form says so. ``None`` when the nest cannot be run statically
    (run-time values, non-affine ops, too many iterations) or its order is another."""
    if not op.name.startswith("affine.") or any(loop.name != "affine.for" for loop in chain):
        return None
    ivs = [loop.regions[0].blocks[0].arguments[0] for loop in chain]
    amap = ir.AffineMapAttr(op.attributes["map"]).value
    operands = list(op.operands)[2 if op.name in STORE_OPS else 1:]
    if any(v not in ivs and constant_int(v) is None for v in operands):
        return None
    visits = _walk_nest(chain, ivs, lambda env: _affine_values(amap, operands, env))
    if visits is None or any(d < 0 for d in shape):
        return None
    strides = _strides(shape)
    expected = 0
    for index in visits:
        if index is None or sum(i * k for i, k in zip(index, strides)) != expected:
            return None
        expected += 1
        if expected > _ENUMERATION_LIMIT:
            return None
    if expected != math.prod(shape):
        return None
    return Access("", True, None, [(expected, None)], None, ops=[op])


def _walk_nest(chain: list, ivs: list, visit):
    """``visit(values of the loop variables)`` for every iteration of ``chain``, lazily;
    ``None`` if a bound depends on something other than outer loop variables."""
    env: dict = {}
    ranges = []
    for loop in chain:
        lb = ir.AffineMapAttr(loop.attributes["lowerBoundMap"]).value
        ub = ir.AffineMapAttr(loop.attributes["upperBoundMap"]).value
        operands = list(loop.operands)
        if any(v not in ivs[:len(ranges)] and constant_int(v) is None for v in operands):
            return None
        step = ir.IntegerAttr(loop.attributes["step"]).value
        ranges.append((lb, operands[:lb.n_inputs], ub, operands[lb.n_inputs:], step))

    def level(depth: int):
        if depth == len(ranges):
            yield visit(env)
            return
        lb, lb_args, ub, ub_args, step = ranges[depth]
        low = max(_affine_values(lb, lb_args, env))
        high = min(_affine_values(ub, ub_args, env))
        for value in range(low, high, step):
            env[ivs[depth]] = value
            yield from level(depth + 1)

    return level(0)


def _affine_values(amap, operands: list, env: dict) -> list:
    """The results of ``amap`` for operands bound in ``env`` (loop variables) or constants."""
    return fold_affine_map(amap, [env[v] if v in env else constant_int(v) for v in operands])


def _offset_in(op, root, timing: Timing) -> int | None:
    """Cycles from the start of ``root`` to the first execution of ``op``: the latency of
    the ops before it in each enclosing block (first iterations of every loop)."""
    total = 0
    node, root = op.operation, root.operation
    while node is not None and node != root:
        for sibling in node.block.operations:
            sibling = sibling.operation
            if sibling == node:
                break
            lat = timing.op_latency(sibling)
            if lat is None:
                return None
            total += lat
        node = _parent(node)
    return total


def _parent(op):
    parent = op.operation.parent
    return None if parent is None else parent.operation


def _strides(shape) -> list[int]:
    return [math.prod(shape[k + 1:]) for k in range(len(shape))]


def _is_within(op, ancestor) -> bool:
    node, ancestor = op.operation, ancestor.operation
    while node is not None:
        if node == ancestor:
            return True
        node = _parent(node)
    return False


def _callee(call) -> str:
    return ir.FlatSymbolRefAttr(call.operation.attributes["callee"]).value


def _str_attr(op, name: str) -> str | None:
    attrs = op.attributes
    return ir.StringAttr(attrs[name]).value if name in attrs and isinstance(
        attrs[name], ir.StringAttr) else None


__all__ = ["Access", "Process", "Timing", "processes", "process_of", "process_accesses",
           "access_of", "uses_in", "before", "top_level_users", "func_name"]
