"""Affine access analysis: array subscripts as linear forms over the values they depend on.

The memory primitives (``buffer_at``, ``reuse_at``, ``reshape``) need to know, for every
load/store of a buffer, how each subscript depends on the loop variables around it. A
subscript of an ``affine.load``/``affine.store`` is one result of its affine map applied to
its operands; :func:`subscripts` turns each result into a :class:`LinearForm`
``c_0 + sum(c_v * v)`` over *atoms* (loop induction variables, function arguments, other
SSA values), looking through ``affine.apply`` operands. Results that are not linear (they
use ``mod``/``floordiv``) are reported as ``None``.

>>> from allo._mlir import ir, new_context
>>> from allo.mlir_utils import walk_ops
>>> with new_context():
...     m = ir.Module.parse('''func.func @f(%A: memref<8x8xi32>) {
...       affine.for %i = 0 to 6 {
...         %v = affine.load %A[%i * 2 + 1, 3] : memref<8x8xi32>
...       }
...       return }''')
...     load = [op for op in walk_ops(m.body.operations[0]) if op.name == "affine.load"][0]
...     forms = subscripts(load)
>>> [f.const for f in forms], [sorted(f.coeffs.values()) for f in forms]
([1, 3], [[2], []])
"""

from __future__ import annotations

from .._mlir import ir
from ..frontend.casting import tag, tag_buffer
from ..frontend.types import type_from_str
from ..mlir_utils import LinearForm, find_func, linear_form_of

LOAD_OPS = frozenset({"affine.load", "memref.load"})
STORE_OPS = frozenset({"affine.store", "memref.store"})


def defining_op(value: ir.Value):
    """The operation producing ``value``, or ``None`` for a block argument."""
    owner = value.owner
    return owner.operation if isinstance(owner, (ir.Operation, ir.OpView)) else None


def affine_expr_form(expr, operands: list, n_dims: int) -> LinearForm | None:
    """Linear form of an affine expression whose dims/symbols are ``operands``."""
    forms = [value_form(v) for v in operands]
    return linear_form_of(expr, forms[:n_dims], forms[n_dims:])


def value_form(value: ir.Value) -> LinearForm | None:
    """Linear form of an index value, looking through ``affine.apply`` and constants."""
    op = defining_op(value)
    if op is not None and op.name == "affine.apply":
        amap = ir.AffineMapAttr(op.attributes["map"]).value
        return affine_expr_form(amap.results[0], list(op.operands), amap.n_dims)
    if op is not None and op.name == "arith.constant" and isinstance(value.type, ir.IndexType):
        return LinearForm(const=ir.IntegerAttr(op.attributes["value"]).value)
    return LinearForm({value: 1})


def access_memref(op) -> ir.Value:
    """The buffer operand of a load or store."""
    op = op.operation
    return op.operands[1] if op.name in STORE_OPS else op.operands[0]


def index_operands(op) -> list:
    """The map operands (affine) or index operands (memref) of a load/store."""
    op = op.operation
    start = 2 if op.name in STORE_OPS else 1
    return list(op.operands)[start:]


def access_map(op) -> ir.AffineMap | None:
    """The affine map of an ``affine.load``/``affine.store`` (``None`` for memref ops)."""
    op = op.operation
    if op.name not in ("affine.load", "affine.store"):
        return None
    return ir.AffineMapAttr(op.attributes["map"]).value


def subscripts(op) -> list[LinearForm | None]:
    """One linear form per subscript of a load/store (``None`` where not linear)."""
    amap = access_map(op)
    operands = index_operands(op)
    if amap is None:
        return [value_form(v) for v in operands]
    return [affine_expr_form(e, operands, amap.n_dims) for e in amap.results]


def expr_from_form(form: LinearForm, dim_of: dict) -> ir.AffineExpr:
    """Build ``form`` as an affine expression; ``dim_of`` maps atoms to dim positions."""
    expr = None
    for atom, c in form.coeffs.items():
        term = ir.AffineDimExpr.get(dim_of[atom])
        if c != 1:
            term = ir.AffineExpr.get_mul(term, ir.AffineConstantExpr.get(c))
        expr = term if expr is None else ir.AffineExpr.get_add(expr, term)
    if expr is None:
        return ir.AffineConstantExpr.get(form.const)
    if form.const:
        expr = ir.AffineExpr.get_add(expr, ir.AffineConstantExpr.get(form.const))
    return expr


class OperandList:
    """Collects distinct SSA values as the dims of an affine map being built."""

    def __init__(self):
        self.values: list = []
        self.position: dict = {}

    def dim(self, value: ir.Value) -> int:
        if value not in self.position:
            self.position[value] = len(self.values)
            self.values.append(value)
        return self.position[value]

    def expr(self, form: LinearForm) -> ir.AffineExpr:
        for atom in form.coeffs:
            self.dim(atom)
        return expr_from_form(form, self.position)

    def map(self, results: list) -> ir.AffineMap:
        return ir.AffineMap.get(len(self.values), 0, results)


def element_type_tag(value: ir.Value) -> str | None:
    """The Allo element type string of a buffer (``"ui8"``, ``"fixed(8, 3)"``) when the
    IR carries one (docs/ir.md type tags), else ``None`` (the default for the MLIR type)."""
    owner = value.owner
    if isinstance(owner, ir.Block):
        func = owner.owner.operation if owner.owner is not None else None
        if func is None or func.name != "func.func" or "allo.itypes" not in func.attributes:
            return None
        tags = [ir.StringAttr(a).value for a in ir.ArrayAttr(func.attributes["allo.itypes"])]
        return tags[value.arg_number] if value.arg_number < len(tags) else None
    op = owner.operation
    if "allo.type" in op.attributes:
        return ir.StringAttr(op.attributes["allo.type"]).value
    if op.name == "func.call":
        fop = find_func(op, ir.FlatSymbolRefAttr(op.attributes["callee"]).value)
        if fop is None or "allo.otypes" not in fop.attributes:
            return None
        tags = [ir.StringAttr(a).value for a in ir.ArrayAttr(fop.attributes["allo.otypes"])]
        return tags[value.result_number] if value.result_number < len(tags) else None
    return None


def tag_new_load(op, elem_tag: str | None) -> None:
    """Give a load created by a primitive the ``allo.type`` tag its value needs."""
    if elem_tag is None:
        return
    tag(op, type_from_str(elem_tag))


def tag_new_buffer(op, elem_tag: str | None) -> None:
    """Give a buffer created by a primitive the tags of its element type (docs/ir.md)."""
    if elem_tag is None:
        return
    tag_buffer(op, type_from_str(elem_tag))
