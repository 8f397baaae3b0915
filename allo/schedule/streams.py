"""``s.to(target, dst, axis=None, depth=-1)``: streaming FIFOs (``schedule.md`` §4.1, §4.2).

A local buffer ``X`` of function ``F`` becomes a FIFO from its producer (the one process of
``F`` writing it: a stage or a call) to ``dst`` (a stage of ``F`` or a function called from
``F``). In the IR the buffer's memref type moves to memory space ``"stream:<depth>"``; the
type is applied to ``X``'s whole alias class (``analysis.layout``), so every callee parameter
receiving ``X`` becomes a stream parameter. The alloc records its consumers in
``allo.stream_to``; ``F`` gets the ``dataflow`` attribute.

Fork: another ``to`` of the same buffer to another reader adds one FIFO per consumer,
``X_1``, ``X_2``, ... The producer stage writes each element to every FIFO; a producer that is
a function writes a new FIFO ``X_src`` and a splitter stage ``X_split`` copies it into
``X``, ``X_1``, ... A reader of ``X`` that is not streamed yet is allowed between the two
calls (it is the next fork's consumer) but refused at build time.

:func:`plan_stream` is the pure legality check; :func:`apply_stream` the only mutation.
Systolic mode (``axis`` given) lives in :mod:`allo.schedule.systolic`.

>>> # s.to(s.Q, "consume", depth=4); s.to(s.B, "C"); s.to(s.C, "D"); s.to(s.C, "E")
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .._mlir import ir, memref_d
from ..analysis.fifo_depth import DepthDecision, fallback_depth, fifo_depth
from ..analysis.layout import (CALL_RESULT, FUNC_RESULT, GLOBAL, LOCAL, PARAM, VIEW,
                               AliasGraph, decode_layout, is_stream_type, retype_class)
from ..analysis.stream_access import (Access, Timing, before, process_accesses,
                                      processes)
from ..errors import LoopNotFoundError, ScheduleError
from ..mlir_utils import fresh_name
from . import rewrite as tf
from .args import BufferRef, FuncRef, alias_graph, forget, resolve_buffer, resolve_function
from .diagnostics import schedule_error
from .handles import MockBuffer
from .processors import ArgScope, Buffer, Processor
from .stream_results import check_call_result, result_to_parameter
from .stream_fork import (SPLIT_ATTR, build_splitter, is_splitter_call, producer_param_tags,
                          splitter_name, splitter_tags)
from .registry import primitive

PRIM = "to"
CONSUMERS_ATTR = "allo.stream_to"  # on a FIFO's alloc: the dst names it was streamed to
ORIGIN_ATTR = "allo.stream_of"  # on a fork FIFO X_k / X_src: the buffer it was forked from


@dataclass(eq=False)
class StreamPlan:
    """Everything :func:`apply_stream` needs; built without changing the IR."""

    func: FuncRef
    buffer: BufferRef
    dst: str
    producer: tuple  # (Process, Access)
    consumer: tuple  # (Process, Access)
    depth: DepthDecision
    fork: bool  # the buffer is already a FIFO: add one for this consumer
    inits: list = field(default_factory=list)  # initializers made dead by the stream
    name: str = ""  # name of the FIFO this call creates (fork) or turns ``X`` into


def stream_depth(mtype) -> int | None:
    """The depth of a ``"stream:<d>"`` memref type, else ``None``."""
    if not is_stream_type(mtype):
        return None
    return int(ir.StringAttr(ir.MemRefType(mtype).memory_space).value.split(":")[1])


def stream_type(mtype, depth: int) -> ir.MemRefType:
    """``mtype`` (identity layout) in memory space ``"stream:<depth>"``."""
    mtype = ir.MemRefType(mtype)
    space = ir.Attribute.parse(f'"stream:{depth}"')
    return ir.MemRefType.get(list(mtype.shape), mtype.element_type, None, space)


def consumers_of(alloc) -> list[str]:
    """The ``dst`` names a FIFO alloc was streamed to."""
    attrs = alloc.operation.attributes
    if CONSUMERS_ATTR not in attrs:
        return []
    return [ir.StringAttr(a).value for a in ir.ArrayAttr(attrs[CONSUMERS_ATTR])]


# --------------------------------------------------------------------------- checks


def _check_depth(depth, label: str):
    if depth == "auto":
        return depth
    if isinstance(depth, bool) or not isinstance(depth, int):
        raise schedule_error(ScheduleError, PRIM, f"depth must be an integer or \"auto\", got "
                             f"{type(depth).__name__} {depth!r}", buffer=label)
    if depth == 0 or depth < -1:
        raise schedule_error(ScheduleError, PRIM, f"depth must be positive, -1 (the element "
                             f"count) or \"auto\", got {depth}", buffer=label)
    return depth


def _fail(message: str, label: str, cls=ScheduleError) -> ScheduleError:
    return schedule_error(cls, PRIM, message, buffer=label)


def _check_buffer(ref: BufferRef, label: str) -> None:
    if ref.is_param:
        raise _fail(f"{label} is a parameter of {ref.func}; only a local buffer can become a "
                    f"FIFO (stream it in the function that allocates it)", label)
    if ref.owner is None or ref.owner.name not in ("memref.alloc", "memref.alloca"):
        what = ref.owner.name if ref.owner is not None else "?"
        raise _fail(f"{label} is not a local buffer (it comes from {what}); only a buffer "
                    f"allocated in the function can become a FIFO", label)
    mtype = ir.MemRefType(ref.value.type)
    if any(d is not None for d in decode_layout(mtype)):
        raise _fail(f"cannot stream {label}: it is partitioned", label)
    if any(d < 0 for d in mtype.shape):
        raise _fail(f"cannot stream {label}: its shape is not static", label)


def _find_dst(func: FuncRef, procs: list, dst, label: str) -> tuple:
    if not isinstance(dst, str):
        raise _fail(f"dst must be a stage name or a function name (str), got "
                    f"{type(dst).__name__} {dst!r}", label)
    matches = [(p, a) for p, a in procs if p.name == dst and p.kind in ("stage", "call")]
    if len(matches) > 1:
        raise _fail(f"{dst} names {len(matches)} processes of {func.name} that access "
                    f"{label}; give the calls separate instances (a template id)", label)
    if matches:
        return matches[0]
    names = [p.name for p in processes(func.op) if p.kind in ("stage", "call")]
    if dst in names:
        raise _fail(f"{dst} does not access {label}", label)
    raise schedule_error(LoopNotFoundError, PRIM,
                         f"no stage or called function named {dst} in {func.name}; "
                         f"stages and calls: {', '.join(names) or '(none)'}"
                         f"{_instance_hint(dst, names)}", buffer=label)


def _instance_hint(dst: str, names: list) -> str:
    """Name the instances of ``dst`` (``consume_k0`` for ``consume``) a call site uses:
    instances are addressed by their own name (schedule.md §1.3, §6.2)."""
    if ":" in dst:  # "k0:drain": an id spelled as a prefix; the instance is drain_k0
        ident, _, base = dst.partition(":")
        if f"{base}_{ident}" in names:
            return f"; the instance of {base} with id {ident} is named {base}_{ident}"
    instances = [n for n in dict.fromkeys(names) if n.startswith(f"{dst}_")]
    if not instances:
        return ""
    return f"; instances of {dst} are addressed by their names: {', '.join(instances)}"


def _fifo_values(func: FuncRef, base) -> list:
    """``base`` and every FIFO forked from it (``X_1``, ``X_src``, ...) in ``func``."""
    name = _alloc_name(base.owner)
    out = [base.value]
    block = func.op.operation.regions[0].blocks[0]
    for op in block.operations:
        op = op.operation
        if ORIGIN_ATTR in op.attributes and ir.StringAttr(op.attributes[ORIGIN_ATTR]).value == name:
            out.append(op.results[0])
    return out


def plan_stream(state, ref: BufferRef, dst, depth) -> StreamPlan:
    """Check ``to(ref, dst, depth=depth)`` (§4.1); raises before any change."""
    label = f"{ref.func}:{ref.name}"
    depth = _check_depth(depth, label)
    _check_buffer(ref, label)
    func = resolve_function(state, ref.func, PRIM)
    timing = Timing()
    fork = is_stream_type(ref.value.type)
    if fork and ORIGIN_ATTR in ref.owner.attributes:
        origin = ir.StringAttr(ref.owner.attributes[ORIGIN_ATTR]).value
        raise _fail(f"{label} is a FIFO forked from {origin}; stream {origin} instead", label)
    procs = process_accesses(func.op, ref.value, timing)
    streamed = consumers_of(ref.owner)
    for value in _fifo_values(func, ref)[1:] if fork else []:
        streamed += consumers_of(value.owner)
    if dst in streamed:
        raise _fail(f"{label} is already streamed to {dst}", label)
    inits = [p for p, a in procs if p.kind == "op" and p.op.name == "linalg.fill"]
    writers = [(p, a) for p, a in procs if a.mode != "read" and p not in inits]
    if fork:
        producer = _fork_producer(func, ref, timing, label)
    else:
        producer = _single_producer(writers, label)
    consumer = _find_dst(func, procs, dst, label)
    proc, acc = consumer
    if acc.mode != "read" or not acc.in_order:
        raise _fail(f"the consumer {_who_does(dst, acc.reason or 'writes it')}; a FIFO must "
                    f"be read exactly once per element, in row-major order", label)
    if before(proc, producer[0]):
        raise _fail(f"the consumer {dst} runs before the producer {producer[0].name}", label)
    for other, oacc in procs:
        if other.op == proc.op or other.op == producer[0].op or other in inits \
                or other.name in streamed:
            continue
        if oacc.mode != "read" or not oacc.in_order or before(other, producer[0]):
            why = oacc.reason or ("writes it" if oacc.mode != "read" else "runs before the producer")
            raise _fail(f"{label} is also accessed by {other.name}, which {why}; it cannot "
                        f"be streamed", label)
    if inits and before(producer[0], inits[0]):
        raise _fail(f"{label} is re-initialized after its producer", label)
    _check_class(state, ref, label)
    elements = math.prod(ir.MemRefType(ref.value.type).shape)
    decision = _decide_depth(depth, producer[1], acc, elements)
    name = _fork_name(state, ref) if fork else ref.name
    return StreamPlan(func, ref, dst, producer, consumer, decision, fork, inits, name)


def _single_producer(writers: list, label: str) -> tuple:
    if not writers:
        raise _fail(f"{label} is never written, so it has no producer to stream from", label)
    if len(writers) > 1:
        names = ", ".join(p.name for p, _ in writers)
        raise _fail(f"{label} is written by {len(writers)} processes ({names}); a FIFO has "
                    f"one producer", label)
    proc, acc = writers[0]
    if acc.mode != "write" or not acc.in_order:
        why = acc.reason or "also reads it"
        raise _fail(f"the producer {_who_does(proc.name, why)}; a FIFO must be written "
                    f"exactly once per element, in row-major order", label)
    return writers[0]


def _fork_producer(func: FuncRef, ref: BufferRef, timing: Timing, label: str) -> tuple:
    """The producer of an already streamed buffer: its writer stage, or the splitter."""
    for value in _fifo_values(func, ref):
        for proc, acc in process_accesses(func.op, value, timing):
            if acc.mode == "write" and acc.in_order:
                return proc, acc
    raise _fail(f"the producer of {label} is not found", label)


def _who_does(name: str, why: str) -> str:
    """``"<name> <why>"``, or ``why`` alone when it already starts with ``"<name>: "`` (the
    reason a callee gives names it)."""
    return why if why.startswith(f"{name}: ") else f"{name} {why}"


def _check_class(state, ref: BufferRef, label: str) -> None:
    """The stream type may only reach ``ref`` itself and callee parameters on its paths."""
    if not _passed_to_calls(ref.value):
        return  # its class is the buffer alone: no need to look at the rest of the module
    graph = alias_graph(state)
    node = graph.node_of_value(ref.value)
    for member in graph.class_of(node):
        if member is node or member.kind == PARAM:
            continue
        if member.kind == VIEW:
            raise _fail(f"{label} is accessed through a view in function {member.func}", label)
        if member.kind == FUNC_RESULT and member.func == ref.func:
            raise _fail(f"{label} is returned by {ref.func}; a FIFO cannot leave the "
                        f"function that declares it (return a copy)", label)
        what = {LOCAL: "the buffer", CALL_RESULT: "the call result",
                FUNC_RESULT: "the result", GLOBAL: "the global"}.get(member.kind, "")
        raise _fail(f"{label} shares its function parameters with {what} {member.display}, "
                    f"which would become a stream too; give the calls separate instances "
                    f"(a template id)", label)


def _decide_depth(depth, producer: Access, consumer: Access, elements: int) -> DepthDecision:
    if depth == -1:
        return DepthDecision(elements, elements, reason=f"depth=-1: the element count "
                                                        f"{elements}")
    if depth != "auto":
        return DepthDecision(depth, elements, reason=f"depth={depth} as requested")
    if not (producer.timed and consumer.timed):
        return fallback_depth(elements, "an endpoint has no static timing")
    return fifo_depth(producer.times(), consumer.times(), elements)


def _alloc_name(op) -> str:
    return ir.StringAttr(op.attributes["name"]).value if "name" in op.attributes else "?"


def _fork_name(state, ref: BufferRef) -> str:
    return fresh_name(ref.name, set(state.buffers(ref.func)))


# --------------------------------------------------------------------------- rewrite


def apply_stream(state, plan: StreamPlan) -> MockBuffer:
    """Commit a plan (the only mutation); returns the handle of the FIFO it made."""
    ref = plan.buffer
    for proc in plan.inits:
        proc.op.erase()
    if plan.fork:  # new buffers and redirected accesses: cached classes are stale
        forget(state, "alias")
        forget(state, "buffers")
        _apply_fork(state, plan)
    elif not _passed_to_calls(ref.value):
        ref.value.set_type(stream_type(ref.value.type, plan.depth.depth))
        _add_consumer(ref.owner, plan.dst)
    else:  # a retype keeps the alias classes: the cached graph stays valid
        graph = alias_graph(state)
        members = graph.class_of(graph.node_of_value(ref.value))
        retype_class(graph, members, lambda t: stream_type(t, plan.depth.depth))
        _add_consumer(ref.owner, plan.dst)
    plan.func.op.operation.attributes["dataflow"] = tf.unit_attr()
    return MockBuffer(ref.func, plan.name)


def _passed_to_calls(value) -> bool:
    return any((u.owner.operation if hasattr(u.owner, "operation") else u.owner).name
               in ("func.call", "func.return") for u in value.uses)


def _add_consumer(alloc, dst: str) -> None:
    names = consumers_of(alloc) + [dst]
    alloc.attributes[CONSUMERS_ATTR] = ir.ArrayAttr.get([ir.StringAttr.get(n) for n in names])


def _new_fifo(ref: BufferRef, name: str, depth: int, origin: str):
    """A new FIFO alloc right after ``ref``'s, with its element-type tags."""
    with ir.InsertionPoint(ref.owner), ref.owner.location:
        op = memref_d.AllocOp(stream_type(ref.value.type, depth), [], [])
    op.operation.move_after(ref.owner)
    for key in ref.owner.attributes:  # element-type tags (docs/ir.md)
        if key not in ("name", CONSUMERS_ATTR, ORIGIN_ATTR):
            op.attributes[key] = ref.owner.attributes[key]
    op.attributes["name"] = ir.StringAttr.get(name)
    op.attributes[ORIGIN_ATTR] = ir.StringAttr.get(origin)
    return op


def _apply_fork(state, plan: StreamPlan) -> None:
    ref = plan.buffer
    proc, acc = plan.producer
    if proc.kind == "call":
        fifo = _fork_function_producer(state, plan, proc.op)
    else:  # a producer stage writes each element to every FIFO itself
        alloc = _new_fifo(ref, plan.name, plan.depth.depth, ref.name)
        _add_consumer(alloc, plan.dst)
        store = acc.ops[0]
        with ir.InsertionPoint(store), store.location:
            clone = store.clone()
        clone.move_after(store)
        clone.operands[1] = alloc.result
        if "to" in clone.attributes:
            clone.attributes["to"] = ir.StringAttr.get(plan.name)
        fifo = alloc.result
    cproc, cacc = plan.consumer
    if cproc.kind == "call":
        for k, operand in enumerate(cproc.op.operands):
            if operand == ref.value:
                cproc.op.operands[k] = fifo
        graph = AliasGraph(state.module, state.func_args)
        members = graph.class_of(graph.node_of_value(fifo))
        retype_class(graph, members, lambda t: fifo.type)
    else:
        load = cacc.ops[0]
        load.operands[0] = fifo
        if "from" in load.attributes:
            load.attributes["from"] = ir.StringAttr.get(plan.name)


def _fork_function_producer(state, plan: StreamPlan, call) -> ir.Value:
    """A function producer: its call writes ``X_src``; the splitter function copies that
    into ``X``, ``X_1``, ... (rebuilt with one more output at each fork). Returns the new
    FIFO ``plan.name``."""
    ref = plan.buffer
    load_type = ref.owner.attributes["allo.type"] if "allo.type" in ref.owner.attributes \
        else None
    if is_splitter_call(call):
        name = ir.FlatSymbolRefAttr(call.attributes["callee"]).value
        tags = splitter_tags(state, call)
        state.erase_function(name)
        src, *outputs = list(call.operands)
    else:
        src = _new_fifo(ref, f"{ref.name}_src", stream_depth(ref.value.type), ref.name).result
        for k, operand in enumerate(call.operands):
            if operand == ref.value:
                call.operands[k] = src
        graph = AliasGraph(state.module, state.func_args)
        retype_class(graph, graph.class_of(graph.node_of_value(src)), lambda t: src.type)
        tags = producer_param_tags(state, call, src)
        name = splitter_name(state, plan.func.name, ref.name)
        outputs = [ref.value]
    fifo = _new_fifo(ref, plan.name, plan.depth.depth, ref.name)
    _add_consumer(fifo, plan.dst)
    build_splitter(state, plan.func.op, ref.name, src, outputs + [fifo.result], tags, name,
                   call, load_type)
    if is_splitter_call(call):
        call.erase()
    return fifo.result


# --------------------------------------------------------------------------- primitive


class StreamDestination(Processor):
    """``dst`` of ``to``: a stage name (kept by composition), a called function's name
    (renamed by composition like any function, ``consume`` -> ``consume_k0``), or the axes
    ``unfold`` returned (systolic mode: plain values)."""

    def functions(self, value, scope: ArgScope) -> list[str]:
        return [value] if isinstance(value, str) and value in scope.functions else []

    def rename(self, value, mapping: dict, scope: ArgScope):
        return mapping.get(value, value) if isinstance(value, str) else value


@primitive("to", keeps=("alias", "buffers", "functions"), args=dict(
    target=Buffer(array=True), dst=StreamDestination(), axis=Processor(), depth=Processor()))
def to(state, target: BufferRef, dst, axis=None, depth=-1):
    """Stream ``target`` to ``dst`` through a FIFO of ``depth``; the producer and consumer
    then run concurrently.

    ``dst``: a stage of the buffer's function or a function it calls; with ``axis`` it is
    the list ``unfold`` returned (systolic mode). ``depth``: -1 = element count, a positive
    int, or ``"auto"`` (sized from the access rates). Returns the FIFO's buffer handle.

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def produce(P: int32[8], Q: int32[8]):
    ...     for a in range(8):
    ...         Q[a] = P[a] * 5
    >>> def consume(Q: int32[8], R: int32[8]):
    ...     for a in range(8):
    ...         R[a] = Q[a] - 1
    >>> def pipe2(P: int32[8]) -> int32[8]:
    ...     Q: int32[8]
    ...     R: int32[8]
    ...     produce(P, Q)
    ...     consume(Q, R)
    ...     return R
    >>> s = allo.customize(pipe2)
    >>> fifo = s.to(s.Q, "consume", depth=4)
    >>> "#pragma HLS stream variable=Q depth=4" in s.build(target="vhls").hls_code
    True
    """
    ref = target  # resolved by the Buffer processor
    if axis is not None:
        from .systolic import plan_systolic, apply_systolic  # noqa: PLC0415 - optional mode
        plan = plan_systolic(state, ref, dst, axis, depth)
        forget(state, "alias")
        forget(state, "buffers")
        return apply_systolic(state, plan)
    if ref.owner is not None and ref.owner.name == "func.call":
        return _stream_call_result(state, ref, dst, depth)
    plan = plan_stream(state, ref, dst, depth)
    return apply_stream(state, plan)


def _stream_call_result(state, ref: BufferRef, dst, depth) -> MockBuffer:
    """``Q = make(P)`` streamed: ``make`` first writes ``Q`` as an output parameter
    (:mod:`.stream_results`); the usual check then runs on that program, in a transaction
    so that a refusal leaves the program as it was."""
    _check_depth(depth, f"{ref.func}:{ref.name}")
    result = check_call_result(state, ref)
    with state.transaction():
        result_to_parameter(state, result)
        converted = resolve_buffer(state, MockBuffer(ref.func, ref.name), PRIM)
        plan = plan_stream(state, converted, dst, depth)
        return apply_stream(state, plan)


# --------------------------------------------------------------------------- build check


def check_stream_readers(state) -> None:
    """Refuse a build while a FIFO still has a reader that was not streamed (§4.1)."""
    for fname in state.function_names():
        fop = state.func_op(fname)
        if fop is None or not fop.regions[0].blocks:
            continue
        for op in fop.regions[0].blocks[0].operations:
            op = op.operation
            if CONSUMERS_ATTR not in op.attributes:
                continue
            streamed = consumers_of(op)
            for proc, acc in process_accesses(fop, op.results[0]):
                if proc.kind in ("stage", "call") and acc.mode != "write" and \
                        proc.name not in streamed and SPLIT_ATTR not in proc.op.attributes:
                    name = _alloc_name(op)
                    raise schedule_error(
                        ScheduleError, PRIM,
                        f"{name} is also read by {proc.name}; stream it to that consumer too "
                        f"or not at all", buffer=f"{fname}:{name}")


__all__ = ["to", "plan_stream", "apply_stream", "StreamPlan", "stream_type", "stream_depth",
           "consumers_of", "check_stream_readers", "CONSUMERS_ATTR"]
