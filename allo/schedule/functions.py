"""Function-level primitives: ``inline`` and ``dataflow`` (``schedule.md`` §2.9, §2.10)."""

from __future__ import annotations

from .._mlir import ir
from ..analysis.dependence import collect_accesses, root_buffer
from ..errors import warn
from ..frontend.arg_directions import analyze_arg_load_store
from ..mlir_utils import func_name, func_ops, walk_ops
from . import rewrite as tf
from .args import FuncRef
from .processors import Either, Function, LoopsNamed
from .registry import primitive


@primitive("inline", args=dict(axis=Function(none_is_top=True)))
def inline(state, axis: FuncRef = None) -> None:
    """Mark function ``axis`` (``None`` = top) to be inlined: unit attribute ``inline``.

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def helper(V: int32[4]) -> int32[4]:
    ...     return V + 1
    >>> def top(V: int32[4]) -> int32[4]:
    ...     return helper(V)
    >>> s = allo.customize(top)
    >>> s.inline("helper")
    >>> "#pragma HLS inline" in s.build(target="vhls").hls_code
    True
    """
    axis.op.operation.attributes["inline"] = tf.unit_attr()


@primitive("dataflow", args=dict(axis=Either(
    Function(none_is_top=False), LoopsNamed,
    message="expected a function name or a loop handle, got {type} {value!r}")))
def dataflow(state, axis) -> None:
    """Let the processes inside ``axis`` run concurrently (``#pragma HLS dataflow``):
    ``axis`` is a function name, or a loop handle (every loop of that name in its stage).

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def top(A: int32[4]) -> int32[4]:
    ...     B: int32[4]
    ...     for i in range(4):
    ...         B[i] = A[i] + 1
    ...     return B
    >>> s = allo.customize(top)
    >>> s.dataflow("top")
    >>> "#pragma HLS dataflow" in s.build(target="vhls").hls_code
    True
    """
    if isinstance(axis, FuncRef):
        axis.op.operation.attributes["dataflow"] = tf.unit_attr()
        _warn_multiple_writers(axis.name, axis.op, _defined_directions(state.module))
        return
    for node in axis:  # every loop carrying the handle's name in its stage
        node.op.attributes["dataflow"] = tf.unit_attr()


def _warn_multiple_writers(func_name: str, func_op, directions: dict[str, list[str]]) -> None:
    """Warn (not fail) when one buffer is written by two processes of a dataflow function.

    ``directions`` maps each function to its parameters' access directions, so an array
    passed to a call counts as written only when the callee writes that parameter.
    """
    writers: dict = {}
    body = func_op.operation.regions[0].blocks[0]
    for index, op in enumerate(tf.body_ops(body)):
        if not len(op.regions) and op.name != "func.call":
            continue
        for buffer in _written_buffers(op, directions):
            writers.setdefault(buffer, set()).add(index)
    shared = [m for m, procs in writers.items() if len(procs) > 1]
    if shared:
        warn(f"dataflow: in function {func_name}, {len(shared)} buffer(s) are written by more "
             f"than one process; Vitis canonical dataflow expects a single writer")


def _defined_directions(module) -> dict[str, list[str]]:
    """Parameter directions of the functions with a body; external ones stay unknown."""
    directions = analyze_arg_load_store(module)
    return {func_name(op): directions[func_name(op)] for op in func_ops(module)
            if len(op.regions[0].blocks)}


def _written_buffers(process, directions: dict[str, list[str]]) -> list:
    """The buffers ``process`` (an op of a dataflow body, itself included) may write."""
    written = [acc.memref for acc in collect_accesses(process)
               if acc.is_write and acc.op.name != "func.call"]
    calls = [op for op in [process.operation, *walk_ops(process)] if op.name == "func.call"]
    for call in calls:
        callee_dirs = directions.get(ir.FlatSymbolRefAttr(call.attributes["callee"]).value)
        for index, value in enumerate(call.operands):
            if _callee_may_write(callee_dirs, index, value):
                written.append(root_buffer(value)[0])
    return written


def _callee_may_write(callee_dirs: list[str] | None, index: int, value) -> bool:
    """Whether a call writes its operand ``index``; unknown callees are assumed to."""
    if not str(value.type).startswith("memref<"):
        return False
    if callee_dirs is None or index >= len(callee_dirs):
        return True
    return callee_dirs[index] not in ("in", "scalar")
