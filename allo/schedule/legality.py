"""Legality checks shared by the loop primitives (pure: they never change the IR)."""

from __future__ import annotations

from .._mlir import ir
from ..analysis.dependence import collect_accesses, conflicting_pairs, reversed_direction
from ..analysis.layout import is_stream_type
from ..analysis.loops import LoopNode, enclosing_loops
from ..analysis.reductions import Reduction, family_of, find_reduction
from ..errors import DependenceError
from ..mlir_utils import walk_ops
from .args import LoopRef
from .diagnostics import schedule_error

_ACCESS_OPS = ("affine.load", "affine.store", "memref.load", "memref.store")


def path_between(outer: LoopNode, inner: LoopNode) -> list[LoopNode] | None:
    """Loops from ``outer`` down to ``inner`` (both included), or None if not nested."""
    path = []
    node = inner
    while node is not None:
        path.append(node)
        if node is outer:
            path.reverse()
            return path
        node = node.parent
    return None


def check_permutation_legal(ref: LoopRef, chain: list[LoopNode], new_order: list[LoopNode],
                            prim: str) -> None:
    """Rules 2 and 3 of ``schedule.md`` §2.2 for a perfect ``chain`` permuted to ``new_order``.

    The verdict depends only on the resulting order of the whole band (the loops enclosing
    the chain keep their depth), never on which of the loops the user named: dependence
    directions are taken over every loop from the stage root down to the chain's innermost
    loop, so a dependence carried by an outer loop is seen as such. Dependences that are all
    part of an integer, fixed-point or bitwise reduction (``acc += x``) are ignored, since any
    order of such updates gives the same bits; a floating-point one is refused.
    """
    _check_bound_dependences(ref, chain, new_order, prim)
    if [id(n) for n in chain] == [id(n) for n in new_order]:
        return
    outer = list(reversed(chain[0].parent.chain_to_root())) if chain[0].parent else []
    band = outer + chain
    final = outer + new_order
    order = [band.index(n) for n in final]
    # Every access of a perfect chain (or of the part that continues it after
    # distribution) is inside the innermost chain loop.
    accesses = collect_accesses(chain[-1].op, enclosing_loops(chain[-1].op))
    reductions: dict = {}
    float_reduction = None
    ranges: dict = {}
    for a, b in conflicting_pairs(accesses):
        vector = reversed_direction(a, b, [n.op for n in band], order, len(outer), ranges)
        if vector is None:
            continue
        if a.memref not in reductions:
            reductions[a.memref] = find_reduction([x for x in accesses if x.memref == a.memref])
        reduction = reductions[a.memref]
        if reduction is None:
            raise schedule_error(
                DependenceError, prim,
                f"the new loop order ({_names(final)}) would reverse a dependence on buffer "
                f"{_buffer_name(a)} (direction ({', '.join(vector)}) over loops {_names(band)})",
                func=ref.func, loop=f"{ref.stage.name}.{chain[0].name}")
        if not reduction.exact and float_reduction is None:
            float_reduction = (a, reduction)
    if float_reduction is not None:
        access, reduction = float_reduction
        raise schedule_error(DependenceError, prim, _float_reduction_message(
            _buffer_name(access), reduction, final), func=ref.func,
            loop=f"{ref.stage.name}.{chain[0].name}")


def _check_bound_dependences(ref: LoopRef, chain: list[LoopNode], new_order: list[LoopNode],
                             prim: str) -> None:
    """Rule 2: a loop whose bounds use another loop's variable stays inside that loop."""
    position = {id(n): k for k, n in enumerate(new_order)}
    ivs = {n.iv: n for n in chain}
    for node in chain:
        for operand in node.op.operands:
            dep = ivs.get(operand)
            if dep is not None and position[id(dep)] > position[id(node)]:
                raise schedule_error(
                    DependenceError, prim,
                    f"the bounds of loop {node.name} depend on loop {dep.name}, which must "
                    f"stay outside it", func=ref.func, loop=f"{ref.stage.name}.{node.name}")


_FLOAT_EFFECT = {
    "+": "floating-point addition is not associative, so the sum would round differently",
    "*": "floating-point multiplication is not associative, so the product would round "
         "differently",
    "min": "which NaN a floating-point min/max returns depends on the order of its "
           "operands",
}


def _float_reduction_message(buffer: str, reduction: Reduction, final: list[LoopNode]) -> str:
    family = family_of(reduction.combiner)
    effect = _FLOAT_EFFECT["min" if family in ("min", "max") else family]
    return (f"the new loop order ({_names(final)}) changes the order in which the "
            f"floating-point reduction into buffer {buffer} ({reduction.combiner} on "
            f"{reduction.element}) accumulates; {effect} (results must stay bit-exact). "
            f"Integer, fixed-point and bitwise reductions may be reordered")


def _names(nodes: list[LoopNode]) -> str:
    return ", ".join(n.name for n in nodes)


def _buffer_name(access) -> str:
    for key in ("from", "to"):
        if key in access.op.attributes:
            return access.op.attributes[key].value
    owner = access.memref.owner
    if hasattr(owner, "attributes") and "name" in owner.attributes:
        return owner.attributes["name"].value
    return "<unnamed>"


def fifo_accessed_in(root) -> str | None:
    """The name of a FIFO (stream-typed buffer, §4.1) that a load or store inside ``root``
    accesses, else ``None``. Loop primitives that would change the order of its accesses, or
    merge its producer or consumer into another process, refuse such loops."""
    for op in walk_ops(root):
        if op.name not in _ACCESS_OPS:
            continue
        memref = op.operands[1] if op.name.endswith("store") else op.operands[0]
        if is_stream_type(memref.type):
            key = "from" if op.name.endswith("load") else "to"
            return ir.StringAttr(op.attributes[key]).value if key in op.attributes else "?"
    return None
