"""``s.unfold(band_name, axes)``: spatial replication of loops (``schedule.md`` §2.8).

Each selected loop (innermost first) is replaced by ``ub`` copies of its body with the
induction variable replaced by the constant copy index. Loops copied out of a body are
labelled ``<label>_<idx>`` (their own ``op_name`` if any, else the stage name), so unfolding a
stage root makes new stages ``<stage>_<idx>``. Calls directly in an unfolded body go to
per-copy clones of the callee named ``<callee>_<idx>``; callees no longer called are removed.
"""

from __future__ import annotations

from .._mlir import arith_d, ir
from ..errors import ImperfectNestError, NotAffineError, ScheduleArgumentError
from ..mlir_utils import constant_bounds, loop_body, loop_iv
from . import rewrite as tf
from .diagnostics import schedule_error
from .processors import Indices, Stage, StageRef
from .registry import primitive

PRIM = "unfold"


@primitive("unfold", args=dict(band_name=Stage, axes=Indices(consecutive=True)))
def unfold(state, band_name: StageRef, axes: list[int]) -> list[int]:
    """Replicate the loops ``axes`` (consecutive 0-based indices into the loops of stage
    ``band_name``, a stage name or ``"fn:stage"``) into one copy of the body per iteration.

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def rows(A: int32[2, 4]) -> int32[2, 4]:
    ...     B: int32[2, 4] = 0
    ...     for i, j in allo.grid(2, 4, name="pe"):
    ...         B[i, j] = A[i, j] + i
    ...     return B
    >>> s = allo.customize(rows)
    >>> pes = s.unfold("pe", [0])       # one copy of the j loop per i
    >>> code = s.build(target="vhls").hls_code
    >>> "l_pe_0_j" in code and "l_pe_1_j1" in code
    True
    """
    nodes, sorted_axes = _plan(band_name, axes)
    sym_table: dict[tuple[str, int], str] = {}
    for node in reversed(nodes):  # innermost selected axis first
        _unfold_loop(state, node.op, band_name.stage.name, sym_table)
    _remove_uncalled(state, {callee for callee, _ in sym_table})
    return sorted_axes


def _plan(ref: StageRef, axes: list[int]):
    func, stage = ref.func, ref.stage
    sorted_axes = sorted(axes)
    if sorted_axes[0] < 0 or sorted_axes[-1] >= len(stage.loops):
        raise schedule_error(ScheduleArgumentError, PRIM,
                             f"axis out of range: stage {stage.name} has {len(stage.loops)} "
                             f"loops, got {list(axes)}", func=func)
    nodes = [stage.loops[a] for a in sorted_axes]
    for outer, inner in zip(nodes, nodes[1:]):
        if inner.parent is not outer:
            raise schedule_error(ImperfectNestError, PRIM,
                                 f"loop {inner.name} is not directly nested in {outer.name}",
                                 func=func, loop=f"{stage.name}.{inner.name}")
    for node in nodes:
        bounds = constant_bounds(node.op)
        if bounds is None or bounds[0] != 0 or bounds[2] != 1 or len(node.op.results):
            raise schedule_error(NotAffineError, PRIM,
                                 "the loop needs lower bound 0, step 1 and a constant upper "
                                 "bound", func=func, loop=f"{stage.name}.{node.name}")
    return nodes, sorted_axes


def _unfold_loop(state, loop: ir.Operation, stage_name: str, sym_table: dict) -> None:
    _, ub, _ = constant_bounds(loop)
    for idx in range(ub):
        copy = loop.clone(ip=ir.InsertionPoint(loop))
        with ir.InsertionPoint(copy), copy.location:
            index = arith_d.ConstantOp(ir.IndexType.get(), idx).result
        loop_iv(copy).replace_all_uses_with(index)
        for op in tf.body_ops(loop_body(copy)):
            op.move_before(copy)
            _relabel(state, op, stage_name, idx, sym_table)
        copy.erase()
    loop.erase()


def _relabel(state, op: ir.Operation, stage_name: str, idx: int, sym_table: dict) -> None:
    if op.name in ("affine.for", "scf.for"):
        label = op.attributes["op_name"].value if "op_name" in op.attributes else stage_name
        op.attributes["op_name"] = tf.str_attr(f"{label}_{idx}")
    elif op.name == "func.call":
        callee = op.attributes["callee"].value
        op.attributes["callee"] = ir.FlatSymbolRefAttr.get(_clone_callee(state, callee, idx,
                                                                         sym_table))


def _clone_callee(state, callee: str, idx: int, sym_table: dict) -> str:
    key = (callee, idx)
    if key not in sym_table:
        name = f"{callee}_{idx}"
        if state.func_op(name) is None:
            state.clone_function(callee, name)
        sym_table[key] = name
    return sym_table[key]


def _remove_uncalled(state, callees: set[str]) -> None:
    called = set()
    for func in state.module.body.operations:
        func.operation.walk(lambda op: _note_call(op, called))
    for callee in callees:
        if callee != state.top_func_name and callee not in called:
            state.erase_function(callee)


def _note_call(op, called: set):
    if op.name == "func.call":
        called.add(op.attributes["callee"].value)
    return ir.WalkResult.ADVANCE
