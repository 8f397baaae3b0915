"""Systolic mode of ``s.to(buf, pe, axis=k, depth=d)`` (``schedule.md`` §4.3).

``buf`` is a 3-D local ``X[I, J, T]`` of the function whose PE nest was unfolded (``pe`` is
what ``unfold`` returned); ``axis`` (0 or 1) is the spatial dimension along which data moves
from PE to PE. The two spatial dimensions become an array of FIFOs ``X[I][J]``, the last one
is streamed in time: element ``X[p, q, t]`` is the ``t``-th value through FIFO ``X[p][q]``.
In the IR the buffer's memref moves to memory space ``"stream:<d>"`` and its alloc carries
``allo.stream_spatial = 2``; the HLS code declares ``hls::stream< T > X[I][J];`` with one
depth pragma and accesses ``X[p][q].read()`` / ``X[p][q].write(v)``.

Legality (checked before any change): every access to ``X`` indexes the spatial dimensions
with constants or loop variables and the time dimension with one loop of ``T`` iterations
(so every FIFO it touches sees times ``0..T-1`` in order); every FIFO has exactly one writing
and one reading process, the writer first. ``unfold`` passes ``X[p, q]`` to each PE by
copying it in and back out; the copy-in of a view the PE only writes (its output FIFO) reads
nothing the PE uses and is removed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from .._mlir import ir
from ..analysis.access import LOAD_OPS, STORE_OPS, access_memref, subscripts
from ..analysis.stream_access import Timing, processes, process_accesses, uses_in
from ..errors import ScheduleError
from ..mlir_utils import constant_bounds, find_func, trip_count
from . import rewrite as tf
from .args import BufferRef, resolve_function
from .diagnostics import schedule_error
from .handles import MockBuffer
from .streams import _check_buffer, stream_type

PRIM = "to"
SPATIAL_ATTR = "allo.stream_spatial"


@dataclass(eq=False)
class SystolicPlan:
    buffer: BufferRef
    func: object
    depth: int
    dead_copies: list = field(default_factory=list)  # copy-in loops of output views


def _fail(message: str, label: str) -> ScheduleError:
    return schedule_error(ScheduleError, PRIM, message, buffer=label)


def plan_systolic(state, ref: BufferRef, pe, axis, depth) -> SystolicPlan:
    """Check a systolic ``to`` (module docstring); raises before any change."""
    label = f"{ref.func}:{ref.name}"
    if not isinstance(pe, (list, tuple)) or len(pe) != 2 or not all(
            isinstance(a, int) and not isinstance(a, bool) for a in pe):
        raise _fail(f"systolic mode needs the two unfolded axes returned by unfold as dst, got "
                    f"{pe!r}", label)
    if isinstance(axis, bool) or axis not in (0, 1):
        raise _fail(f"axis must be 0 or 1 (the spatial dimension data moves along), got "
                    f"{axis!r}", label)
    _check_buffer(ref, label)
    shape = list(ir.MemRefType(ref.value.type).shape)
    if len(shape) != 3:
        raise _fail(f"systolic mode needs a 3-D buffer [I, J, time], {label} has shape "
                    f"{shape}", label)
    if ir.MemRefType(ref.value.type).memory_space is not None:
        raise _fail(f"{label} is already a stream", label)
    if depth == -1:
        depth = shape[2]
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise _fail(f"depth must be a positive integer or -1 in systolic mode, got "
                    f"{depth!r}", label)
    func = resolve_function(state, ref.func, PRIM)
    dead = _dead_copy_ins(func.op, ref.value)
    writers, readers = {}, {}
    for proc in processes(func.op):
        for op in uses_in(proc.op, ref.value):
            if any(op == d for d in dead):
                continue
            if op.name in STORE_OPS and access_memref(op) == ref.value:
                table = writers
            elif op.name in LOAD_OPS:
                table = readers
            elif op.name in ("memref.dealloc",) or proc.op.name == "linalg.fill":
                continue
            else:
                raise _fail(f"{label} is used by {op.name} in {proc.name}", label)
            for elem in _fifos_of(op, shape, label, proc.name):
                table.setdefault(elem, []).append(proc)
    _check_pairs(writers, readers, label)
    return SystolicPlan(ref, func, depth, [_loop_of(d) for d in dead])


def _dead_copy_ins(func_op, value) -> list:
    """Loads of ``value`` in copy-in loops feeding a temp that a callee only writes."""
    dead = []
    for use in list(value.uses):
        load = use.owner.operation if hasattr(use.owner, "operation") else use.owner
        if load.name not in LOAD_OPS:
            continue
        users = [u.owner for u in load.results[0].uses]
        if len(users) != 1 or users[0].operation.name not in STORE_OPS:
            continue
        temp = access_memref(users[0].operation)
        if temp.owner is None or isinstance(temp.owner, ir.Block) or \
                temp.owner.operation.name != "memref.alloc" or "name" in temp.owner.attributes:
            continue
        if _only_written_by_callee(temp, func_op):
            dead.append(load)
    return dead


def _only_written_by_callee(temp, func_op) -> bool:
    calls = [u.owner.operation for u in temp.uses if u.owner.operation.name == "func.call"]
    if len(calls) != 1:
        return False
    call = calls[0]
    callee = find_func(func_op, ir.FlatSymbolRefAttr(call.attributes["callee"]).value)
    if callee is None or not callee.regions[0].blocks:
        return False
    k = [i for i, v in enumerate(call.operands) if v == temp]
    if len(k) != 1:
        return False
    inner = process_accesses(callee, callee.regions[0].blocks[0].arguments[k[0]], Timing())
    return len(inner) == 1 and inner[0][1].mode == "write" and inner[0][1].in_order


def _loop_of(load):
    parent = load.parent.operation
    while parent.parent is not None and parent.parent.operation.name != "func.func":
        parent = parent.parent.operation
    return parent


def _fifos_of(op, shape, label: str, where: str) -> list:
    """The spatial elements ``(p, q)`` an access touches, each in time order."""
    forms = subscripts(op)
    if any(f is None for f in forms):
        raise _fail(f"{where} accesses {label} with a non-affine subscript", label)
    loops, parent = {}, op.parent.operation
    while parent.name != "func.func":
        if parent.name in ("affine.for", "scf.for"):
            bounds = constant_bounds(parent)
            if bounds is None:
                raise _fail(f"{where} accesses {label} in a loop with run-time bounds", label)
            loops[parent.regions[0].blocks[0].arguments[0]] = bounds
        parent = parent.parent.operation
    time = forms[2]
    tvars = list(time.coeffs)
    ok = (len(tvars) == 1 and time.coeff(tvars[0]) * loops.get(tvars[0], (0, 0, 0))[2] == 1
          and time.const + time.coeff(tvars[0]) * loops.get(tvars[0], (0, 0, 0))[0] == 0
          and trip_count(*loops.get(tvars[0], (0, 0, 1))) == shape[2])
    spatial_vars = set(forms[0].coeffs) | set(forms[1].coeffs)
    if not ok or tvars[0] in spatial_vars or any(
            v not in loops for v in spatial_vars) or set(loops) - spatial_vars - {tvars[0]}:
        raise _fail(f"{where} does not stream {label} in time order (the last dimension "
                    f"must be indexed by one loop of {shape[2]} iterations, and no other "
                    f"loop may repeat it)", label)
    names = list(spatial_vars)
    ranges = [range(*loops[v]) for v in names]
    out = []
    for point in itertools.product(*ranges):
        env = dict(zip(names, point))
        elem = tuple(f.const + sum(c * env[a] for a, c in f.coeffs.items()) for f in forms[:2])
        if not (0 <= elem[0] < shape[0] and 0 <= elem[1] < shape[1]):
            raise _fail(f"{where} accesses {label}{list(elem)} out of bounds", label)
        out.append(elem)
    if len(set(out)) != len(out):
        raise _fail(f"{where} streams one FIFO of {label} more than once", label)
    return out


def _check_pairs(writers: dict, readers: dict, label: str) -> None:
    for elem in sorted(set(writers) | set(readers)):
        name = f"{label.split(':')[1]}[{elem[0]}][{elem[1]}]"
        w, r = writers.get(elem, []), readers.get(elem, [])
        if len(w) != 1:
            raise _fail(f"FIFO {name} is written by {len(w)} processes; each FIFO needs "
                        f"exactly one writer", label)
        if len(r) != 1:
            what = "never read (drain it)" if not r else f"read by {len(r)} processes"
            raise _fail(f"FIFO {name} is {what}; each FIFO needs exactly one reader", label)
        if r[0].index <= w[0].index:
            raise _fail(f"FIFO {name} is read by {r[0].name} before {w[0].name} writes it",
                        label)


def apply_systolic(state, plan: SystolicPlan) -> MockBuffer:
    """Commit: drop dead copy-ins, retype the buffer as an array of FIFOs, mark F dataflow."""
    for loop in plan.dead_copies:
        loop.erase()
    ref = plan.buffer
    ref.value.set_type(stream_type(ref.value.type, plan.depth))
    ref.owner.attributes[SPATIAL_ATTR] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), 2)
    plan.func.op.operation.attributes["dataflow"] = tf.unit_attr()
    return MockBuffer(ref.func, ref.name)


__all__ = ["plan_systolic", "apply_systolic", "SystolicPlan", "SPATIAL_ATTR"]
