"""Recognising reductions into a buffer: ``acc += x``, ``C[i] = max(C[i], x)``, ``h ^= x``.

A buffer is a *reduction* inside a region when every access of it there is an *update*
``X[s] = X[s] ⊕ v``:

* a load of ``X[s]`` whose value has one use, flowing through width changes only into one
  combining op ``⊕`` (as its left operand for ``-``), whose result flows the same way into a
  store to the same element ``X[s]`` later in the same block;
* no other access of ``X`` lies between that load and that store;
* every update of ``X`` in the region uses the same ``⊕`` (``+`` and ``-`` count as one).

Nothing else in the region reads ``X``, so each element ends as its initial value combined
with the multiset of contributions ``v`` in some order. When ``⊕`` is associative and
commutative on the stored bits, every order gives the same bits and the loops may run in any
order (as far as ``X`` is concerned). That holds for integer (two's complement, wrapping)
``+ - * & | ^`` when every value on the load → store path is at least as wide as ``X``'s
element (the low bits of a sum, product or bitwise result depend only on the low bits of the
operands; fixed point is the same raw integer arithmetic when casts keep the fraction bits),
and for integer ``min``/``max`` applied directly to the element type. Floating-point
reductions are recognised too, but marked inexact: reassociating them changes rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .._mlir import ir
from ..frontend.types import Fixed, Float, Index, UFixed, type_from_str
from .dependence import Access

# combining op -> (family, commutative in its operands)
_INT_COMBINERS = {
    "arith.addi": ("+", True), "arith.subi": ("+", False), "arith.muli": ("*", True),
    "arith.andi": ("&", True), "arith.ori": ("|", True), "arith.xori": ("^", True),
    "arith.maxsi": ("max", True), "arith.maxui": ("max", True),
    "arith.minsi": ("min", True), "arith.minui": ("min", True),
}
_FLOAT_COMBINERS = {
    "arith.addf": ("+", True), "arith.subf": ("+", False), "arith.mulf": ("*", True),
    "arith.maximumf": ("max", True), "arith.maxnumf": ("max", True),
    "arith.minimumf": ("min", True), "arith.minnumf": ("min", True),
}
_INT_RESIZES = frozenset({"arith.extsi", "arith.extui", "arith.trunci"})
_FLOAT_RESIZES = frozenset({"arith.extf", "arith.truncf"})
_LOADS = frozenset({"affine.load", "memref.load"})
_STORES = frozenset({"affine.store", "memref.store"})


@dataclass(frozen=True)
class Reduction:
    """The reduction found on one buffer.

    ``combiner`` is the MLIR op name of one of its updates (``arith.addi``), ``element`` the
    printed element type, ``exact`` whether any order of its updates gives the same bits.
    """

    combiner: str
    element: str
    exact: bool


def find_reduction(accesses: Sequence[Access]) -> Reduction | None:
    """The reduction formed by ``accesses`` (every access of one buffer in a region, in
    program order), or ``None`` when some access is not part of an update."""
    if not accesses or any(a.subscripts is None for a in accesses):
        return None
    loads = [a for a in accesses if a.op.name in _LOADS]
    stores = [a for a in accesses if a.op.name in _STORES]
    if len(loads) != len(stores) or len(loads) + len(stores) != len(accesses):
        return None
    by_op = {a.op: a for a in stores}
    matched: set = set()
    updates = []
    for load in loads:
        update = _trace_update(load)
        if update is None:
            return None
        store_op, combiner, exact = update
        store = by_op.get(store_op)
        if store is None or store_op in matched or not _same_element(load, store):
            return None
        if any(load.order < other.order < store.order for other in accesses):
            return None  # another access of the buffer between the load and its store
        matched.add(store_op)
        updates.append((combiner, exact))
    families = {family_of(name) for name, _ in updates}
    if len(families) != 1:
        return None
    element = str(ir.MemRefType(accesses[0].memref.type).element_type)
    return Reduction(updates[0][0], element, all(exact for _, exact in updates))


def _trace_update(load: Access) -> tuple[ir.Operation, str, bool] | None:
    """Follow the loaded value to its store: ``(store op, combiner name, exact)``."""
    before, combiner, operand_index = _follow_resizes(load.op.results[0])
    if combiner is None:
        return None
    family = _INT_COMBINERS.get(combiner.name) or _FLOAT_COMBINERS.get(combiner.name)
    if family is None or (not family[1] and operand_index != 0):
        return None  # not a combining op, or ``v - acc``
    after, store, store_index = _follow_resizes(combiner.results[0])
    if store is None or store.name not in _STORES or store_index != 0:
        return None  # the result must be the stored value (operand 0), not an index
    if store.operands[1] != load.memref or store.block != load.op.block:
        return None
    element = ir.MemRefType(load.memref.type).element_type
    if combiner.name in _FLOAT_COMBINERS:
        if isinstance(element, ir.IntegerType) or \
                not all(op.name in _FLOAT_RESIZES or _float_cast(op) for op in before + after):
            return None
        return store, combiner.name, False
    if not _exact_integer_path(element, before, combiner, after):
        return None
    return store, combiner.name, True


def _exact_integer_path(element: ir.Type, before: list, combiner: ir.Operation,
                        after: list) -> bool:
    """The stored bits are ``acc ⊕ v`` on ``element``'s width, whatever the path widths."""
    width = _int_width(element)
    if width is None:
        return False
    if family_of(combiner.name) in ("min", "max"):
        return not before and not after  # ordering wider values is not ordering the bits
    if not all(op.name in _INT_RESIZES or _same_fraction_cast(op) for op in before + after):
        return False
    widths = [_int_width(op.results[0].type) for op in before + [combiner] + after]
    return all(w is not None and w >= width for w in widths)


def family_of(combiner: str) -> str:
    """``"+"``, ``"*"``, ``"&"``, ``"|"``, ``"^"``, ``"min"`` or ``"max"``."""
    return (_INT_COMBINERS.get(combiner) or _FLOAT_COMBINERS[combiner])[0]


def _follow_resizes(value: ir.Value) -> tuple[list, ir.Operation | None, int]:
    """From ``value``, walk single uses through width-changing ops.

    Returns the width-changing ops passed, the first other user (``None`` when a value has
    more or fewer than one use) and the operand position ``value``'s descendant takes in it.
    """
    passed = []
    while True:
        uses = list(value.uses)
        if len(uses) != 1:
            return passed, None, -1
        user = uses[0].owner
        user = user.operation if hasattr(user, "operation") else user
        index = uses[0].operand_number
        if user.name in _INT_RESIZES or user.name in _FLOAT_RESIZES or user.name == "allo.cast":
            passed.append(user)
            value = user.results[0]
            continue
        return passed, user, index


def _int_width(type_: ir.Type) -> int | None:
    return ir.IntegerType(type_).width if isinstance(type_, ir.IntegerType) else None


def _cast_types(op: ir.Operation) -> tuple[str, str] | None:
    if op.name != "allo.cast" or "src" not in op.attributes or "dst" not in op.attributes:
        return None
    return op.attributes["src"].value, op.attributes["dst"].value


def _same_fraction_cast(op: ir.Operation) -> bool:
    """An ``allo.cast`` between integer/fixed types that keeps the fraction bits: a resize."""
    types = _cast_types(op)
    if types is None:
        return False
    src, dst = (type_from_str(t) for t in types)
    if any(isinstance(t, (Float, Index)) for t in (src, dst)):
        return False
    fracs = [t.fracs if isinstance(t, (Fixed, UFixed)) else 0 for t in (src, dst)]
    return fracs[0] == fracs[1]


def _float_cast(op: ir.Operation) -> bool:
    types = _cast_types(op)
    return types is not None and all(isinstance(type_from_str(t), Float) for t in types)


def _same_element(load: Access, store: Access) -> bool:
    """The load and the store address the same element in every iteration."""
    if None not in load.subscripts and load.subscripts == store.subscripts:
        return True
    load_indices = list(load.op.operands)[1:]
    store_indices = list(store.op.operands)[2:]
    if load.op.name != store.op.name.replace("store", "load"):
        return False
    if "map" in load.op.attributes and \
            str(load.op.attributes["map"]) != str(store.op.attributes["map"]):
        return False
    return load_indices == store_indices
