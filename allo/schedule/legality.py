"""Legality checks shared by the loop primitives (pure: they never change the IR)."""

from __future__ import annotations

from ..analysis.dependence import (collect_accesses, conflicting_pairs, feasible_directions,
                                   lex_sign)
from ..analysis.loops import LoopNode, enclosing_loops
from ..errors import ScheduleError
from .args import LoopRef
from .diagnostics import schedule_error


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
    """Rules 2 and 3 of ``schedule.md`` §2.2 for a perfect ``chain`` permuted to ``new_order``."""
    position = {id(n): k for k, n in enumerate(new_order)}
    ivs = {n.iv: n for n in chain}
    for node in chain:
        for operand in node.op.operands:
            dep = ivs.get(operand)
            if dep is not None and position[id(dep)] > position[id(node)]:
                raise schedule_error(
                    ScheduleError, prim,
                    f"the bounds of loop {node.name} depend on loop {dep.name}, which must "
                    f"stay outside it", func=ref.func, loop=f"{ref.stage.name}.{node.name}")
    if [id(n) for n in chain] == [id(n) for n in new_order]:
        return
    # Every access of a perfect chain (or of the part that continues it after
    # distribution) is inside the innermost chain loop.
    accesses = collect_accesses(chain[-1].op, enclosing_loops(chain[-1].op))
    pairs = [(n.op, n.op) for n in chain]
    perm = [chain.index(n) for n in new_order]
    ranges: dict = {}
    for a, b in conflicting_pairs(accesses):
        for vec in feasible_directions(a, b, pairs, ranges):
            for oriented in (vec, tuple(_flip(d) for d in vec)):
                if lex_sign(oriented) <= 0:
                    continue
                if lex_sign([oriented[k] for k in perm]) < 0:
                    raise schedule_error(
                        ScheduleError, prim,
                        f"the new loop order would reverse a dependence on buffer "
                        f"{_buffer_name(a)} (direction {''.join(oriented)} over loops "
                        f"{', '.join(n.name for n in chain)})",
                        func=ref.func, loop=f"{ref.stage.name}.{chain[0].name}")


def _flip(direction: str) -> str:
    return {"<": ">", ">": "<"}.get(direction, direction)


def _buffer_name(access) -> str:
    for key in ("from", "to"):
        if key in access.op.attributes:
            return access.op.attributes[key].value
    owner = access.memref.owner
    if hasattr(owner, "attributes") and "name" in owner.attributes:
        return owner.attributes["name"].value
    return "<unnamed>"
