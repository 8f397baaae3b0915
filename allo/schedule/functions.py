"""Function-level primitives: ``inline`` and ``dataflow`` (``schedule.md`` §2.9, §2.10)."""

from __future__ import annotations

from typing import Any

from ..analysis.dependence import collect_accesses
from ..errors import LoopNotFoundError, ScheduleError, warn
from . import rewrite as tf
from .handles import LoopBand, LoopHandle
from .args import resolve_function, resolve_loop
from .diagnostics import schedule_error
from .registry import primitive


@primitive("inline")
def inline(sched, axis: str | None = None) -> None:
    """Mark function ``axis`` (``None`` = top) to be inlined: unit attribute ``inline``.

    >>> # s.inline("helper")
    """
    if axis is not None and not isinstance(axis, str):
        raise schedule_error(ScheduleError, "inline",
                             f"expected a function name (str) or None, got "
                             f"{type(axis).__name__} {axis!r}")
    fref = resolve_function(sched, axis, "inline")
    fref.op.operation.attributes["inline"] = tf.unit_attr()


@primitive("dataflow")
def dataflow(sched, axis: Any) -> None:
    """Mark a function (by name) or every loop of a handle's name in its stage ``dataflow``.

    >>> # s.dataflow("top"); s.dataflow(s.get_loops()["S_i_0"]["i"])
    """
    if isinstance(axis, str):
        fref = resolve_function(sched, axis, "dataflow")
        fref.op.operation.attributes["dataflow"] = tf.unit_attr()
        _warn_multiple_writers(fref.name, fref.op)
        return
    if isinstance(axis, LoopBand) and axis.stage is not None:
        axis = LoopHandle(axis.func, axis.stage, resolve_loop(sched, axis, "dataflow").name, None)
    if not isinstance(axis, LoopHandle):
        raise schedule_error(ScheduleError, "dataflow",
                             f"expected a function name or a loop handle, got "
                             f"{type(axis).__name__} {axis!r}")
    nest = sched._function_loops(axis.func)
    stage = nest.stage(axis.band) if nest is not None else None
    targets = stage.find(axis.loop_name) if stage is not None else []
    if not targets:
        raise schedule_error(LoopNotFoundError, "dataflow",
                             f"dataflow loop {axis.band}.{axis.loop_name} not found",
                             func=axis.func)
    for node in targets:
        node.op.attributes["dataflow"] = tf.unit_attr()


def _warn_multiple_writers(func_name: str, func_op) -> None:
    """Warn (not fail) when one buffer is written by two processes of a dataflow function."""
    writers: dict = {}
    body = func_op.operation.regions[0].blocks[0]
    for index, op in enumerate(tf.body_ops(body)):
        if not len(op.regions) and op.name != "func.call":
            continue
        for acc in collect_accesses(op):
            if acc.is_write:
                writers.setdefault(acc.memref, set()).add(index)
    shared = [m for m, procs in writers.items() if len(procs) > 1]
    if shared:
        warn(f"dataflow: in function {func_name}, {len(shared)} buffer(s) are written by more "
             f"than one process; Vitis canonical dataflow expects a single writer")
