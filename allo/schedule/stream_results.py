"""Streaming a call result (``schedule.md`` §4.1): the producer function writes the FIFO.

``Q = make(P)`` returns a buffer ``make`` allocates. A FIFO belongs to the function that
declares it, so ``s.to(s.Q, "consume")`` first turns the result into an *output parameter*
(destination passing): ``make`` gets one more parameter, named like the buffer it returned,
and writes it instead of its own allocation; the caller allocates ``Q`` (same name, same
element-type tags) and passes it: ``Q = alloc; make(P, Q)``. From there ``Q`` is an ordinary
local buffer written by a call, streamed as usual, and the stream type reaches ``make``'s new
parameter like any callee parameter.

:func:`check_call_result` is the pure check of what only this case needs (the rest is the
usual ``to`` check, run on the converted program inside a transaction, so a refusal leaves
the program unchanged); :func:`result_to_parameter` is the rewrite.

>>> # def make(P: int32[4]) -> int32[4]: ...;  Q = make(P); consume(Q, R)
>>> # s.to(s.Q, "consume")  ->  Q = alloc; make(P, Q); consume(Q, R); make(P, Q) writes Q
"""

from __future__ import annotations

from dataclasses import dataclass

from .._mlir import func_d, ir, memref_d
from ..analysis.layout import decode_layout
from ..analysis.stream_access import process_accesses
from ..errors import ScheduleError
from ..mlir_utils import func_name, func_ops, ops_named
from .args import BufferRef, forget
from .diagnostics import schedule_error

PRIM = "to"
ALLOC_OPS = ("memref.alloc", "memref.alloca")


@dataclass(eq=False)
class CallResult:
    """A streamable call result: the call, its callee and the buffer the callee returns."""

    caller: str
    call: object  # the func.call op in the caller's body
    callee: object  # the func.func op
    returned: object  # the callee's alloc op whose buffer the call returns
    inits: list  # initializers of that buffer in the callee (dead once it is written)
    name: str  # the buffer's name in the caller


def _fail(message: str, label: str) -> ScheduleError:
    return schedule_error(ScheduleError, PRIM, message, buffer=label)


def check_call_result(state, ref: BufferRef) -> CallResult:
    """Check that the call result ``ref`` can become an output parameter of its callee."""
    label = f"{ref.func}:{ref.name}"
    call = ref.owner.operation
    callee = ir.FlatSymbolRefAttr(call.attributes["callee"]).value
    caller = state.func_op(ref.func)
    if call.parent is None or call.parent.operation != caller.operation:
        raise _fail(f"{label} is returned by a call to {callee} inside a loop or a branch; "
                    f"only a call at the top level of {ref.func} can produce a FIFO", label)
    if len(call.results) != 1:
        raise _fail(f"{label} is one of {len(call.results)} results of {callee}; only a "
                    f"function returning one buffer can write a FIFO", label)
    fop = state.func_op(callee)
    if fop is None or not fop.regions[0].blocks:
        raise _fail(f"{label} comes from {callee}, which has no body to write a FIFO", label)
    sites = _call_sites(state, callee)
    if sites != 1:
        raise _fail(f"{callee} is called from {sites} places; its result would become a "
                    f"stream at each of them; give the calls separate instances (a "
                    f"template id)", label)
    block = fop.regions[0].blocks[0]
    ret = block.operations[len(block.operations) - 1].operation
    value = ret.operands[0]
    owner = value.owner if isinstance(value, ir.OpResult) else None
    if owner is None or owner.name not in ALLOC_OPS or owner.parent.operation != fop.operation:
        what = "a parameter" if owner is None else f"the result of {owner.name}"
        raise _fail(f"{callee} returns {what}, not a buffer it allocates; only such a "
                    f"buffer can become a FIFO", label)
    mtype = ir.MemRefType(value.type)
    if any(d < 0 for d in mtype.shape):
        raise _fail(f"cannot stream {label}: its shape is not static", label)
    if any(d is not None for d in decode_layout(mtype)):
        raise _fail(f"cannot stream {label}: it is partitioned", label)
    accesses = process_accesses(fop, value)
    inits = [p for p, _ in accesses if p.kind == "op" and p.op.name == "linalg.fill"]
    writers = [(p, a) for p, a in accesses if p not in inits]
    if len(writers) != 1 or writers[0][1].mode != "write" or not writers[0][1].in_order:
        why = ", ".join(f"{p.name} {a.reason or a.mode + 's it'}" for p, a in writers)
        raise _fail(f"{callee} must write the buffer it returns in exactly one process, "
                    f"every element once in row-major order, and not read it "
                    f"({why or 'it is never written'})", label)
    if inits and writers[0][0].op.is_before_in_block(inits[0].op):
        raise _fail(f"{callee} re-initializes the buffer it returns after writing it", label)
    return CallResult(ref.func, call, fop, owner.operation, [p.op for p in inits], ref.name)


def _call_sites(state, callee: str) -> int:
    return sum(ir.FlatSymbolRefAttr(call.attributes["callee"]).value == callee
               for fop in func_ops(state.module) for call in ops_named(fop, "func.call"))


def result_to_parameter(state, plan: CallResult) -> None:
    """The rewrite: the callee writes a new last parameter, the caller allocates it."""
    fop, alloc, call = plan.callee, plan.returned, plan.call
    block = fop.regions[0].blocks[0]
    mtype = alloc.results[0].type
    param = block.add_argument(mtype, alloc.location)
    for init in plan.inits:
        inputs = [v.owner for v in init.operands if isinstance(v, ir.OpResult)]
        init.erase()
        for op in inputs:  # the fill value, now dead
            if op.name == "arith.constant" and not list(op.results[0].uses):
                op.erase()
    alloc.results[0].replace_all_uses_with(param)
    inner_name = ir.StringAttr(alloc.attributes["name"]).value \
        if "name" in alloc.attributes else plan.name
    tags = {key: alloc.attributes[key] for key in alloc.attributes if key != "name"}
    alloc.erase()
    ret = block.operations[len(block.operations) - 1].operation
    with ir.InsertionPoint(ret), ret.location:
        func_d.ReturnOp([])
    ret.erase()
    inputs = list(ir.FunctionType(ir.TypeAttr(fop.attributes["function_type"]).value).inputs)
    fop.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(inputs + [mtype], []))
    _move_result_tags(fop)
    callee = func_name(fop)
    state.func_args[callee] = list(state.func_args.get(callee, [])) + [inner_name]
    with ir.InsertionPoint(call), call.location:
        buffer = memref_d.AllocOp(mtype, [], [])
        new_call = func_d.CallOp([], ir.FlatSymbolRefAttr.get(callee),
                                 list(call.operands) + [buffer.result])
    for key, attr in tags.items():
        buffer.operation.attributes[key] = attr
    buffer.operation.attributes["name"] = ir.StringAttr.get(plan.name)
    for key in call.attributes:
        if key not in ("callee", "name"):
            new_call.operation.attributes[key] = call.attributes[key]
    call.results[0].replace_all_uses_with(buffer.result)
    call.erase()
    for kind in ("alias", "buffers", "loops"):
        forget(state, kind)


def _move_result_tags(fop) -> None:
    """The element-type tags of the (only) result move to the new last parameter."""
    attrs = fop.attributes
    if "allo.otypes" in attrs:
        tags = list(ir.ArrayAttr(attrs["allo.itypes"])) if "allo.itypes" in attrs else []
        out = list(ir.ArrayAttr(attrs["allo.otypes"]))
        attrs["allo.itypes"] = ir.ArrayAttr.get(tags + out[:1])
        attrs["allo.otypes"] = ir.ArrayAttr.get([])
    if "otypes" in attrs:
        letters = ir.StringAttr(attrs["itypes"]).value if "itypes" in attrs else ""
        attrs["itypes"] = ir.StringAttr.get(letters + ir.StringAttr(attrs["otypes"]).value[:1])
        attrs["otypes"] = ir.StringAttr.get("")


__all__ = ["CallResult", "check_call_result", "result_to_parameter"]
