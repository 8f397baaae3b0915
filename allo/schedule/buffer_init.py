"""How ``buffer_at`` starts its buffer when the target holds nothing defined yet.

``out: float32[P, R]`` (no initializer) accumulated by ``out[i, j] += ...`` under loop ``L``:
copying the target in would copy undefined memory, and the program is plainly written to
accumulate from nothing. When the slice ``L`` buffers is provably untouched before ``L``
(a local allocation without initializer, no use of it before the stage, and each enclosing
loop selecting its own slice), the buffer starts from the identity of the one reduction every
store performs (``+``/``|``/``^``: 0, ``*``: 1, ``&``: all ones, ``max``: the lowest value,
``min``: the highest). Without such a reduction, the copy-in is dropped: the buffer starts as
undefined as the target, and no read of undefined memory is added.
"""

from __future__ import annotations

import math

from .._mlir import ir
from ..analysis import access
from ..analysis.loops import enclosing_loops
from ..mlir_utils import is_nested_in, loop_iv

__all__ = ["undefined_before", "reduction_identity"]

_CASTS = frozenset({"arith.extsi", "arith.extui", "arith.trunci", "arith.extf", "arith.truncf",
                    "arith.sitofp", "arith.uitofp", "arith.fptosi", "arith.fptoui"})
_IDENTITY = {
    "arith.addi": "zero", "arith.addf": "zero", "arith.ori": "zero", "arith.xori": "zero",
    "arith.muli": "one", "arith.mulf": "one", "arith.andi": "ones",
    "arith.maxsi": "lowest", "arith.maxui": "zero", "arith.maximumf": "lowest",
    "arith.maxnumf": "lowest", "arith.minsi": "highest", "arith.minui": "ones",
    "arith.minimumf": "highest", "arith.minnumf": "highest",
}


def undefined_before(plan, target) -> bool:
    """Is the slice of ``target`` that each ``plan.loop`` iteration buffers undefined then?"""
    owner = target.owner
    if isinstance(owner, ir.Block) or owner.name not in ("memref.alloc", "memref.alloca"):
        return False  # parameters and globals hold the caller's or initial data
    for lp in enclosing_loops(plan.loop):
        iv = loop_iv(lp)
        if not any(f.coeffs == {iv: 1} and f.const == 0 for f in plan.lead):
            return False  # an enclosing loop may revisit the slice: it holds earlier results
    root = plan.stage_root
    block_ops = [op.operation for op in root.block.operations]
    start = next(k for k, op in enumerate(block_ops) if op == root)
    for use in target.uses:
        op = use.owner.operation
        if is_nested_in(op, plan.loop):
            continue
        if op == root or is_nested_in(op, root):
            return False  # touched in the stage outside the loop
        top = _ancestor_in(op, root.block)
        if top is None or next(k for k, o in enumerate(block_ops) if o == top) < start:
            return False
    return True


def _ancestor_in(op, block):
    """The ancestor of ``op`` (or ``op``) whose parent block is ``block``."""
    while op is not None:
        if op.block == block:
            return op
        parent = op.parent
        op = parent.operation if parent is not None else None
    return None


def reduction_identity(plan, target):
    """The identity (an ``ir.Attribute`` of the element type) of the reduction every store
    under the loop performs on ``target``, or ``None`` when there is no single one."""
    kinds = set()
    for op, _ in plan.accesses:
        if op.name != "affine.store":
            continue
        kind = _store_reduction(op, target)
        if kind is None:
            return None
        kinds.add(kind)
    if len(kinds) != 1:
        return None
    (op_name,) = kinds
    return _identity_attr(_IDENTITY[op_name], op_name,
                          ir.MemRefType(target.type).element_type)


def _producer(value):
    """The op defining ``value``, or None for a block argument."""
    owner = value.owner
    if isinstance(owner, ir.Block):
        return None
    return owner.operation if hasattr(owner, "operation") else owner


def _strip(value):
    """``value`` with width and int/float conversions peeled off."""
    op = _producer(value)
    while op is not None and op.name in _CASTS:
        value = op.operands[0]
        op = _producer(value)
    return value


def _store_reduction(store, target):
    """The combining op's name when ``store`` writes ``load(same element) op x``."""
    combine = _producer(_strip(store.operands[0]))
    if combine is None or combine.name not in _IDENTITY:
        return None
    where = [f.key() if f is not None else None for f in access.subscripts(store)]
    for operand in combine.operands:
        load = _producer(_strip(operand))
        if load is not None and load.name == "affine.load" and \
                access.access_memref(load) == target and \
                [f.key() if f is not None else None for f in access.subscripts(load)] == where:
            return combine.name
    return None


def _identity_attr(kind: str, op_name: str, elem):
    if isinstance(elem, ir.FloatType):
        value = {"zero": 0.0, "one": 1.0, "lowest": -math.inf, "highest": math.inf}.get(kind)
        return None if value is None else ir.FloatAttr.get(elem, value)
    if not isinstance(elem, ir.IntegerType):
        return None
    width = ir.IntegerType(elem).width
    signed = op_name.endswith("si")
    value = {"zero": 0, "one": 1, "ones": -1,
             "lowest": -(1 << (width - 1)) if signed else 0,
             "highest": (1 << (width - 1)) - 1 if signed else -1}[kind]
    return ir.IntegerAttr.get(elem, value)
