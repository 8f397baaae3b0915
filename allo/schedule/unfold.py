"""``s.unfold(band_name, axes)``: spatial replication of loops (``schedule.md`` §2.8).

Each selected loop (innermost first) is replaced by ``ub`` copies of its body with the
induction variable replaced by the constant copy index. Loops copied out of a body are
labelled ``<label>_<idx>`` (their own ``op_name`` if any, else the stage name), so unfolding a
stage root makes new stages ``<stage>_<idx>``. Calls directly in an unfolded body go to
per-copy clones of the callee named ``<callee>_<idx>``; callees no longer called are removed.
"""

from __future__ import annotations

from typing import Any

from .._mlir import arith_d, ir
from ..errors import LoopNotFoundError, ScheduleError
from ..mlir_utils import constant_bounds, loop_body, loop_iv
from . import rewrite as tf
from .handles import LoopBand
from .args import split_function_prefix
from .diagnostics import schedule_error
from .registry import primitive

PRIM = "unfold"


@primitive("unfold")
def unfold(sched, band_name: str, axes: Any) -> list[int]:
    """Replicate the loops ``axes`` (0-based indices into the stage's loops) of a stage.

    >>> # pe = s.unfold("PE", [0, 1])   # calls become kernel_0_0 ... kernel_1_1
    """
    func, stage, nodes, sorted_axes = _plan(sched, band_name, axes)
    sym_table: dict[tuple[str, int], str] = {}
    for node in reversed(nodes):  # innermost selected axis first
        label_base = stage.name
        _unfold_loop(sched, node.op, label_base, sym_table)
    _remove_uncalled(sched, {callee for callee, _ in sym_table})
    return sorted_axes


def _plan(sched, band_name: Any, axes: Any):
    if isinstance(band_name, LoopBand) and band_name.stage is not None:
        band_name = f"{band_name.func}:{band_name.stage}"  # a stage from get_loops()
    if not isinstance(band_name, str):
        raise schedule_error(ScheduleError, PRIM,
                             f"band_name must be a stage name string, got {band_name!r}")
    func, stage_name = split_function_prefix(band_name, sched.top_func_name)
    nest = sched._function_loops(func)
    if nest is None:
        raise schedule_error(LoopNotFoundError, PRIM, f"function {func} not found; functions: "
                             f"{', '.join(sched._function_names())}")
    stage = nest.stage(stage_name)
    if stage is None:
        raise schedule_error(LoopNotFoundError, PRIM,
                             f"stage {stage_name} not found; stages: "
                             f"{', '.join(nest.stage_names())}", func=func)
    if isinstance(axes, int) and not isinstance(axes, bool):
        axes = [axes]
    if not isinstance(axes, (list, tuple)) or not axes or not all(
            isinstance(a, int) and not isinstance(a, bool) for a in axes):
        raise schedule_error(ScheduleError, PRIM,
                             f"axes must be a non-empty list of loop indices, got {axes!r}",
                             func=func)
    sorted_axes = sorted(axes)
    if len(set(sorted_axes)) != len(sorted_axes) or any(
            b != a + 1 for a, b in zip(sorted_axes, sorted_axes[1:])):
        raise schedule_error(ScheduleError, PRIM,
                             f"axes must be consecutive, got {list(axes)}", func=func)
    if sorted_axes[0] < 0 or sorted_axes[-1] >= len(stage.loops):
        raise schedule_error(ScheduleError, PRIM,
                             f"axis out of range: stage {stage.name} has {len(stage.loops)} "
                             f"loops, got {list(axes)}", func=func)
    nodes = [stage.loops[a] for a in sorted_axes]
    for outer, inner in zip(nodes, nodes[1:]):
        if inner.parent is not outer:
            raise schedule_error(ScheduleError, PRIM,
                                 f"loop {inner.name} is not directly nested in {outer.name}",
                                 func=func, loop=f"{stage.name}.{inner.name}")
    for node in nodes:
        bounds = constant_bounds(node.op)
        if bounds is None or bounds[0] != 0 or bounds[2] != 1 or len(node.op.results):
            raise schedule_error(ScheduleError, PRIM,
                                 "the loop needs lower bound 0, step 1 and a constant upper "
                                 "bound", func=func, loop=f"{stage.name}.{node.name}")
    return func, stage, nodes, sorted_axes


def _unfold_loop(sched, loop: ir.Operation, stage_name: str, sym_table: dict) -> None:
    _, ub, _ = constant_bounds(loop)
    for idx in range(ub):
        copy = loop.clone(ip=ir.InsertionPoint(loop))
        with ir.InsertionPoint(copy), copy.location:
            index = arith_d.ConstantOp(ir.IndexType.get(), idx).result
        loop_iv(copy).replace_all_uses_with(index)
        for op in tf.body_ops(loop_body(copy)):
            op.move_before(copy)
            _relabel(sched, op, stage_name, idx, sym_table)
        copy.erase()
    loop.erase()


def _relabel(sched, op: ir.Operation, stage_name: str, idx: int, sym_table: dict) -> None:
    if op.name in ("affine.for", "scf.for"):
        label = op.attributes["op_name"].value if "op_name" in op.attributes else stage_name
        op.attributes["op_name"] = tf.str_attr(f"{label}_{idx}")
    elif op.name == "func.call":
        callee = op.attributes["callee"].value
        op.attributes["callee"] = ir.FlatSymbolRefAttr.get(_clone_callee(sched, callee, idx,
                                                                         sym_table))


def _clone_callee(sched, callee: str, idx: int, sym_table: dict) -> str:
    key = (callee, idx)
    if key not in sym_table:
        name = f"{callee}_{idx}"
        if sched._func_op(name) is None:
            original = sched._func_op(callee)
            clone = original.operation.clone(ip=ir.InsertionPoint(original))
            clone.attributes["sym_name"] = tf.str_attr(name)
            sched.func_args[name] = list(sched.func_args.get(callee, []))
        sym_table[key] = name
    return sym_table[key]


def _remove_uncalled(sched, callees: set[str]) -> None:
    called = set()
    for func in sched.module.body.operations:
        func.operation.walk(lambda op: _note_call(op, called))
    for callee in callees:
        if callee != sched.top_func_name and callee not in called:
            op = sched._func_op(callee)
            if op is not None:
                op.operation.erase()
                sched.func_args.pop(callee, None)


def _note_call(op, called: set):
    if op.name == "func.call":
        called.add(op.attributes["callee"].value)
    return ir.WalkResult.ADVANCE
