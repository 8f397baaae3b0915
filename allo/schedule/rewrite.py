"""In-place IR rewriting utilities shared by the schedule primitives.

The primitives rebuild loops with the MLIR Python bindings: new ``affine.for`` ops are
created next to the old ones, the old body is moved into them, and every use of an old
induction variable is rewritten as an affine expression of the new ones
(:func:`replace_iv`). Affine accesses get their maps composed (``A[i]`` becomes
``A[o * 4 + t]``); any other user reads an ``affine.apply`` placed right before it.
Locations and attributes of every moved op are kept (``schedule.md`` G6).

>>> from allo._mlir import ir, new_context
>>> from allo.mlir_utils import substitute_expr
>>> with new_context():
...     d0, d1 = ir.AffineExpr.get_dim(0), ir.AffineExpr.get_dim(1)
...     e = substitute_expr(d0 * 2 + 1, [d1 * 4 + d0], [])
...     str(ir.AffineExpr.simplify_affine_expr(e, 2, 0))
'd0 * 2 + d1 * 8 + 1'
"""

from __future__ import annotations

from typing import Any, Sequence

from .._mlir import affine_d, ir
from ..analysis.loops import collect_function_loops
from ..errors import LoopNotFoundError
from ..mlir_utils import substitute_expr

# op name -> number of leading operands that are not map operands
MAP_OPERAND_PREFIX = {
    "affine.load": 1, "affine.store": 2, "affine.apply": 0, "affine.min": 0,
    "affine.max": 0, "affine.vector_load": 1, "affine.vector_store": 2, "affine.prefetch": 1,
}

# Attributes that describe a loop's bounds (inherent to affine.for) rather than its schedule.
BOUND_ATTRS = frozenset({"lowerBoundMap", "upperBoundMap", "step", "operandSegmentSizes"})


# --------------------------------------------------------------------------- expressions


def const_expr(value: int):
    return ir.AffineConstantExpr.get(value)


def dim_expr(pos: int):
    return ir.AffineDimExpr.get(pos)


# --------------------------------------------------------------------------- loops


def schedule_attributes(loop_op) -> dict[str, Any]:
    """The loop's non-bound attributes (names, reduction, pipeline_ii, ...)."""
    op = loop_op.operation
    return {name: op.attributes[name] for name in op.attributes if name not in BOUND_ATTRS}


def new_affine_for(lb_map, lb_operands, ub_map, ub_operands, step: int,
                   attributes: dict[str, Any], loc, ip) -> ir.Operation:
    """Create an empty ``affine.for`` (with its ``affine.yield``) at ``ip``."""
    with ip, loc:
        loop = affine_d.AffineForOp(lb_map, ub_map, step,
                                    lower_bound_operands=list(lb_operands),
                                    upper_bound_operands=list(ub_operands))
        with ir.InsertionPoint(loop.body):
            affine_d.AffineYieldOp([])
    op = loop.operation
    for name, attr in attributes.items():
        op.attributes[name] = attr
    return op


def body_ops(block: ir.Block) -> list[ir.Operation]:
    """The ops of ``block`` without its terminator (a loop body's ``affine.yield``)."""
    ops = [op.operation for op in block.operations]
    if ops and ops[-1].name in ("affine.yield", "scf.yield"):
        ops.pop()
    return ops


def move_body(src: ir.Block, dst: ir.Block) -> None:
    """Move every non-terminator op of ``src`` before the terminator of ``dst``."""
    terminator = dst.operations[len(dst.operations) - 1].operation
    for op in body_ops(src):
        op.move_before(terminator)


def unit_attr():
    return ir.UnitAttr.get()


def ui32_attr(value: int):
    return ir.IntegerAttr.get(ir.IntegerType.get_unsigned(32), value)


def str_attr(value: str):
    return ir.StringAttr.get(value)


# --------------------------------------------------------------------------- IV rewriting


def replace_iv(old_iv: ir.Value, new_values: Sequence[ir.Value], expr) -> None:
    """Replace every use of ``old_iv`` by ``expr`` over ``new_values`` (dims ``d0..``).

    Users with an affine map get the expression composed into their map; every other user
    reads an ``affine.apply`` placed right before it (so loop bodies stay perfectly nested
    wherever the induction variable is only used deeper inside).
    """
    if isinstance(expr.maybe_downcast(), ir.AffineDimExpr):
        old_iv.replace_all_uses_with(new_values[expr.maybe_downcast().position])
        return
    owners: list[ir.Operation] = []
    for use in old_iv.uses:
        owner = use.owner.operation
        if owner not in owners:
            owners.append(owner)
    amap = ir.AffineMap.get(len(new_values), 0, [expr])
    for owner in owners:
        if owner.name in MAP_OPERAND_PREFIX:
            _compose_into_map_op(owner, old_iv, new_values, expr)
            continue
        with ir.InsertionPoint(owner), owner.location:
            value = affine_d.AffineApplyOp(amap, list(new_values)).result
        owner.replace_uses_of_with(old_iv, value)


def _compose_into_map_op(op: ir.Operation, old_iv, new_values, expr) -> ir.Operation:
    """Recreate affine op ``op`` with ``old_iv`` replaced by ``expr(new_values)`` in its map."""
    prefix = MAP_OPERAND_PREFIX[op.name]
    amap = op.attributes["map"].value
    operands = list(op.operands)
    lead, dims, syms = (operands[:prefix], operands[prefix:prefix + amap.n_dims],
                        operands[prefix + amap.n_dims:])
    new_dims: list[ir.Value] = [v for v in dims if v != old_iv]
    positions = {}
    for v in new_values:
        for pos, existing in enumerate(new_dims):
            if existing == v:
                positions[id(v)] = pos
                break
        else:
            positions[id(v)] = len(new_dims)
            new_dims.append(v)
    moved = substitute_expr(expr, [dim_expr(positions[id(v)]) for v in new_values], [])
    replacement, kept = [], 0
    for v in dims:
        if v == old_iv:
            replacement.append(moved)
        else:
            replacement.append(dim_expr(new_dims.index(v)))
            kept += 1
    sym_exprs = [ir.AffineSymbolExpr.get(k) for k in range(amap.n_symbols)]
    results = [ir.AffineExpr.simplify_affine_expr(
        substitute_expr(e, replacement, sym_exprs), len(new_dims), amap.n_symbols)
        for e in amap.results]
    new_map = ir.AffineMap.get(len(new_dims), amap.n_symbols, results)
    return recreate_op(op, lead + new_dims + syms, {"map": ir.AffineMapAttr.get(new_map)})


def recreate_op(op: ir.Operation, operands: list, new_attrs: dict[str, Any]) -> ir.Operation:
    """Replace region-free ``op`` by an op of the same name with new operands/attributes."""
    attrs = {name: op.attributes[name] for name in op.attributes}
    attrs.update(new_attrs)
    new_op = ir.Operation.create(op.name, results=[r.type for r in op.results],
                                 operands=operands, attributes=attrs, loc=op.location,
                                 ip=ir.InsertionPoint(op))
    for old, new in zip(op.results, new_op.results):
        old.replace_all_uses_with(new)
    op.erase()
    return new_op


# --------------------------------------------------------------------------- queries


def find_loop_in_bands(func_op, loop_name: str) -> tuple[str, str]:
    """``(stage, loop)`` of the first loop called ``loop_name`` in ``func_op``.

    ``schedule.md`` §9.4. Unknown name → ``LoopNotFoundError``.

    >>> # stage, loop = find_loop_in_bands(s.top_func, "j")   # ("S_i_j_0", "j")
    """
    nest = collect_function_loops(func_op)
    found = nest.find(loop_name)
    if not found:
        raise LoopNotFoundError(f"loop {loop_name} not found in function {nest.func_name}")
    return found[0].stage, found[0].name
