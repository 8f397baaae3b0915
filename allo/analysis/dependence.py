"""Affine dependence tests used by reorder, fuse (distribution) and compute_at.

An :class:`Access` is one read or write of a buffer: affine subscripts are kept as linear
forms over loop induction variables and loop-invariant values; any other access
(``memref.load`` with computed indices, calls and library ops taking the buffer) is a
whole-buffer access. :func:`direction_feasible` asks whether two accesses can touch the same
element for a given direction vector over pairs of loops, with the Banerjee bounds test
plus a GCD test on every subscript (conservative: "feasible" may be a false alarm, never a
miss).

Directions compare the first access's iteration ``x`` with the second's ``y`` for each loop
pair: ``"<"`` means ``x < y``, ``"="`` equal, ``">"`` ``x > y``, ``"*"`` anything.

>>> sorted(_pair_vertices("<", 0, 3))
[(0, 1), (0, 3), (2, 3)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

from .._mlir import ir
from ..mlir_utils import LinearForm, fold_affine_expr, linear_form_of, operand_leaf
from .loops import LOOP_OPS

INF = math.inf

_READ_OPS = {"affine.load": (0, 1), "memref.load": (0, 1), "affine.vector_load": (0, 1)}
_WRITE_OPS = {"affine.store": (1, 2), "memref.store": (1, 2), "affine.vector_store": (1, 2)}
_AFFINE_ACCESS = {"affine.load", "affine.store", "affine.vector_load", "affine.vector_store"}


@dataclass(eq=False)
class Access:
    """One access of ``memref`` by ``op`` inside loops ``loops`` (outermost first)."""

    op: ir.Operation
    memref: ir.Value
    is_write: bool
    loops: list
    subscripts: list | None  # list[LinearForm | None]; None = whole buffer
    order: int


# --------------------------------------------------------------------------- collection


def collect_accesses(root: ir.Operation, outer_loops: Sequence = ()) -> list[Access]:
    """Every buffer access inside ``root`` (included), in program order.

    ``outer_loops`` are the loop ops enclosing ``root`` (outermost first).
    """
    accesses: list[Access] = []
    counter = [0]

    def visit(op, loops):
        op = op.operation
        counter[0] += 1
        _record(op, loops, counter[0], accesses)
        inner = loops + [op] if op.name in LOOP_OPS else loops
        for region in op.regions:
            for block in region.blocks:
                for child in block.operations:
                    visit(child, inner)

    visit(root, list(outer_loops))
    return accesses


def _record(op: ir.Operation, loops: list, order: int, out: list[Access]) -> None:
    name = op.name
    if name in _READ_OPS or name in _WRITE_OPS:
        is_write = name in _WRITE_OPS
        mem_pos = _WRITE_OPS[name][0] if is_write else 0
        memref, is_view = root_buffer(op.operands[mem_pos])
        if is_view:
            out.append(Access(op, memref, is_write, loops, None, order))
            return
        if name in _AFFINE_ACCESS:
            subs = _affine_subscripts(op, mem_pos + 1)
        else:
            subs = [_linearize_value(v) for v in list(op.operands)[mem_pos + 1:]]
        out.append(Access(op, memref, is_write, loops, subs, order))
        return
    if name in ("affine.yield", "scf.yield") or name in LOOP_OPS:
        return
    for value in op.operands:
        if isinstance(value.type, ir.MemRefType):
            # Calls, copies, fills, library ops: the whole buffer, possibly written.
            out.append(Access(op, root_buffer(value)[0], True, loops, None, order))


_VIEW_OPS = frozenset({"memref.subview", "memref.cast", "memref.reinterpret_cast",
                       "memref.collapse_shape", "memref.expand_shape", "memref.view",
                       "memref.reshape", "memref.transpose"})


def root_buffer(value: ir.Value) -> tuple[ir.Value, bool]:
    """The buffer ``value`` is a view of (through subview/cast/reshape ops), and whether it
    was a view at all."""
    is_view = False
    while not isinstance(value, ir.BlockArgument) and value.owner.name in _VIEW_OPS:
        value = value.owner.operands[0]
        is_view = True
    return value, is_view


def _affine_subscripts(op: ir.Operation, first: int) -> list:
    amap = op.attributes["map"].value
    operands = list(op.operands)[first:]
    dims = [_linearize_value(v) for v in operands[:amap.n_dims]]
    syms = [_linearize_value(v) for v in operands[amap.n_dims:]]
    return [linear_form_of(e, dims, syms) for e in amap.results]


def _linearize_value(value: ir.Value) -> LinearForm | None:
    """A value used as an index: an IV, an ``affine.apply`` of such, a constant, or opaque."""
    if isinstance(value, ir.BlockArgument):
        owner = value.owner.owner
        if owner is not None and owner.name in LOOP_OPS and value.arg_number == 0:
            return LinearForm({owner.operation: 1})
        return LinearForm({value: 1})
    op = value.owner
    if op.name == "affine.apply":
        amap = op.attributes["map"].value
        operands = list(op.operands)
        dims = [_linearize_value(v) for v in operands[:amap.n_dims]]
        syms = [_linearize_value(v) for v in operands[amap.n_dims:]]
        return linear_form_of(amap.results[0], dims, syms)
    if op.name == "arith.constant" and isinstance(op.attributes["value"], ir.IntegerAttr):
        return LinearForm({}, op.attributes["value"].value)
    if op.name == "arith.index_cast":
        return _linearize_value(op.operands[0])
    return LinearForm({value: 1})


# --------------------------------------------------------------------------- loop ranges


def loop_range(loop: ir.Operation, ranges: dict) -> tuple[float, float]:
    """Conservative inclusive ``[min, max]`` of the IV of ``loop``.

    ``ranges`` maps enclosing loop ops to their ranges (filled outermost first).
    """
    if loop in ranges:
        return ranges[loop]
    if loop.name != "affine.for":
        lo = _const_value(loop.operands[0])
        hi = _const_value(loop.operands[1])
        result = (lo if lo is not None else -INF, hi - 1 if hi is not None else INF)
        ranges[loop] = result
        return result
    lb_map = loop.attributes["lowerBoundMap"].value
    ub_map = loop.attributes["upperBoundMap"].value
    n_lb = lb_map.n_inputs
    operands = list(loop.operands)
    lb_ops, ub_ops = operands[:n_lb], operands[n_lb:n_lb + ub_map.n_inputs]
    lb_intervals = [_map_interval(e, lb_map, lb_ops, ranges) for e in lb_map.results]
    ub_intervals = [_map_interval(e, ub_map, ub_ops, ranges) for e in ub_map.results]
    lo = max(iv[0] for iv in lb_intervals)  # lower bound = max of results
    hi = min(iv[1] for iv in ub_intervals) - 1  # upper bound = min of results, exclusive
    ranges[loop] = (lo, hi)
    return lo, hi


def _const_value(value: ir.Value):
    if isinstance(value, ir.BlockArgument):
        return None
    op = value.owner
    if op.name == "arith.constant" and isinstance(op.attributes["value"], ir.IntegerAttr):
        return op.attributes["value"].value
    return None


def _map_interval(expr, amap, operands, ranges) -> tuple[float, float]:
    intervals = []
    for v in operands:
        lin = _linearize_value(v)
        intervals.append(linear_interval(lin, ranges) if lin is not None else (-INF, INF))
    return expr_interval(expr, intervals[:amap.n_dims], intervals[amap.n_dims:])


def linear_interval(lin: LinearForm, ranges: dict) -> tuple[float, float]:
    lo = hi = lin.const
    for key, c in lin.coeffs.items():
        if isinstance(key, ir.Operation) and key.name in LOOP_OPS:
            klo, khi = loop_range(key, ranges)
        else:
            klo, khi = _const_or_unbounded(key)
        a, b = _mul_interval((klo, khi), c)
        lo, hi = lo + a, hi + b
    return lo, hi


def _const_or_unbounded(value) -> tuple[float, float]:
    c = _const_value(value) if isinstance(value, ir.Value) else None
    return (c, c) if c is not None else (-INF, INF)


def _mul_interval(iv, c):
    if c == 0:
        return 0, 0
    a, b = iv[0] * c, iv[1] * c
    return (min(a, b), max(a, b))


def expr_interval(expr, dims, syms) -> tuple[float, float]:
    """Interval of an affine expression given intervals of its dims and symbols."""
    leaf = operand_leaf(dims, syms, lambda e: (e.value, e.value))
    return fold_affine_expr(expr, leaf, _combine_intervals)


def _combine_intervals(kind: str, lhs, rhs) -> tuple[float, float]:
    if kind == "add":
        return lhs[0] + rhs[0], lhs[1] + rhs[1]
    if kind == "mul":
        if rhs[0] == rhs[1]:
            return _mul_interval(lhs, rhs[0])
        if lhs[0] == lhs[1]:
            return _mul_interval(rhs, lhs[0])
        return -INF, INF
    if rhs[0] != rhs[1] or rhs[0] <= 0:
        return -INF, INF
    c = rhs[0]
    if kind == "mod":
        return 0, c - 1
    if kind == "floordiv":
        return _floor(lhs[0], c), _floor(lhs[1], c)
    return _ceil(lhs[0], c), _ceil(lhs[1], c)


def _floor(x, c):
    return x if x in (INF, -INF) else x // c


def _ceil(x, c):
    return x if x in (INF, -INF) else -((-x) // c)


# --------------------------------------------------------------------------- the test


def _pair_vertices(direction: str, lo, hi) -> list[tuple]:
    """Vertices of the region of ``(x, y)`` in ``[lo, hi]^2`` with the given direction."""
    if direction == "=":
        return [(lo, lo), (hi, hi)]
    if direction == "<":
        return [] if hi < lo + 1 else [(lo, lo + 1), (lo, hi), (hi - 1, hi)]
    if direction == ">":
        return [] if hi < lo + 1 else [(lo + 1, lo), (hi, lo), (hi, hi - 1)]
    return [(lo, lo), (lo, hi), (hi, lo), (hi, hi)]


def _extremes(values: Iterable[float]) -> tuple[float, float]:
    vals = [v for v in values if not (isinstance(v, float) and math.isnan(v))]
    if not vals:
        return -INF, INF
    return min(vals), max(vals)


def _term_range(ca: int, cb: int, direction: str, lo, hi) -> tuple[float, float] | None:
    """Range of ``ca*x - cb*y`` over the direction region; None when the region is empty."""
    if lo in (INF, -INF) or hi in (INF, -INF):
        if direction == "=" and ca == cb:
            return 0, 0
        if ca == 0 and cb == 0:
            return 0, 0
        return -INF, INF
    verts = _pair_vertices(direction, lo, hi)
    if not verts:
        return None
    return _extremes(ca * x - cb * y for x, y in verts)


def direction_feasible(a: Access, b: Access, pairs: Sequence[tuple], directions: Sequence[str],
                       ranges: dict | None = None) -> bool:
    """Can ``a`` at iteration ``x`` and ``b`` at ``y`` touch one element with ``directions``?

    ``pairs[k] = (loop_of_a, loop_of_b)`` are the loops whose IVs are compared with
    ``directions[k]``; every other loop of ``a`` or ``b`` varies freely and independently.
    """
    if a.memref != b.memref:
        return False
    ranges = {} if ranges is None else ranges
    for (pa, pb), direction in zip(pairs, directions):
        if pa not in a.loops or pb not in b.loops:
            continue
        lo_a, hi_a = loop_range(pa, ranges)
        lo_b, hi_b = loop_range(pb, ranges)
        # Both IVs live in the union range of the pair.
        if _term_range(1, 1, direction, min(lo_a, lo_b), max(hi_a, hi_b)) is None:
            return False
    private = defining_loops(a.memref)
    for (pa, pb), direction in zip(pairs, directions):
        if pa == pb and pa in private and direction not in ("=", "*"):
            return False  # a buffer allocated inside the loop is fresh per iteration
    if a.subscripts is None or b.subscripts is None:
        return True
    for sa, sb in zip(a.subscripts, b.subscripts):
        if sa is None or sb is None:
            continue
        if not _equation_feasible(sa, sb, a, b, pairs, directions, ranges):
            return False
    return True


def _equation_feasible(sa: LinearForm, sb: LinearForm, a: Access, b: Access, pairs, directions,
                       ranges) -> bool:
    ca, cb = dict(sa.coeffs), dict(sb.coeffs)
    lo = hi = 0.0
    gcd = 0
    for (pa, pb), direction in zip(pairs, directions):
        xa, xb = ca.pop(pa, 0), cb.pop(pb, 0)
        if xa == 0 and xb == 0:
            continue
        rlo_a, rhi_a = loop_range(pa, ranges)
        rlo_b, rhi_b = loop_range(pb, ranges)
        span = _term_range(xa, xb, direction, min(rlo_a, rlo_b), max(rhi_a, rhi_b))
        if span is None:
            return False
        lo, hi = lo + span[0], hi + span[1]
        gcd = math.gcd(gcd, abs(xa - xb)) if direction == "=" else math.gcd(gcd, math.gcd(xa, xb))
    for key in set(ca) | set(cb):
        xa, xb = ca.get(key, 0), cb.get(key, 0)
        if not (isinstance(key, ir.Operation) and key.name in LOOP_OPS):
            # An opaque index value: equal on both sides only when it cannot change
            # between the two iterations; anything else makes the subscript unbounded.
            if xa == xb and _is_invariant(key, a.loops + b.loops):
                continue
            return True
        rlo, rhi = loop_range(key, ranges)
        sa_lo, sa_hi = _mul_interval((rlo, rhi), xa)
        sb_lo, sb_hi = _mul_interval((rlo, rhi), xb)
        lo, hi = lo + sa_lo - sb_hi, hi + sa_hi - sb_lo
        gcd = math.gcd(gcd, math.gcd(abs(xa), abs(xb)))
    rhs = sb.const - sa.const
    if not (lo <= rhs <= hi):
        return False
    if gcd and rhs % gcd != 0:
        return False
    return True


def _is_invariant(value: ir.Value, loops: Sequence) -> bool:
    """True when ``value`` is defined outside every loop in ``loops``."""
    owner = value.owner.owner if isinstance(value, ir.BlockArgument) else value.owner
    owner = owner.operation if owner is not None else None
    while owner is not None and owner.name != "func.func":
        if owner in loops:
            return False
        owner = owner.parent
    return True


def defining_loops(value: ir.Value) -> list:
    """Loop ops enclosing the definition of ``value`` (a buffer), innermost first."""
    owner = value.owner.owner if isinstance(value, ir.BlockArgument) else value.owner
    owner = owner.operation if owner is not None else None
    out = []
    while owner is not None and owner.name != "func.func":
        if owner.name in LOOP_OPS:
            out.append(owner)
        owner = owner.parent
    return out


def feasible_directions(a: Access, b: Access, pairs: Sequence[tuple],
                        ranges: dict | None = None) -> list[tuple[str, ...]]:
    """Every direction vector over ``pairs`` (each ``<``, ``=``, ``>``) that is feasible."""
    ranges = {} if ranges is None else ranges
    out: list[tuple[str, ...]] = []

    def refine(prefix: tuple):
        rest = ("*",) * (len(pairs) - len(prefix))
        if not direction_feasible(a, b, pairs, prefix + rest, ranges):
            return
        if len(prefix) == len(pairs):
            out.append(prefix)
            return
        for d in "<=>":
            refine(prefix + (d,))

    refine(())
    return out


def reversed_direction(a: Access, b: Access, band: Sequence, order: Sequence[int],
                       fixed: int = 0, ranges: dict | None = None) -> tuple[str, ...] | None:
    """A dependence between ``a`` and ``b`` that the loop permutation ``order`` reverses.

    ``band`` lists the loops enclosing both accesses, outermost first; ``order[d]`` is the
    position in ``band`` of the loop placed at depth ``d`` by the permutation. Returns a
    feasible direction vector over ``band``, oriented so that it is lexicographically
    positive (the source iteration first), whose permuted vector is negative; ``None`` when
    every dependence keeps its sign. The first ``fixed`` loops of ``band`` keep their depth,
    so a vector whose first non-``=`` entry is among them is never reversed and is not
    refined further.

    >>> _reverses(("<", ">"), (1, 0)), _reverses(("=", "<"), (1, 0))
    (True, False)
    """
    ranges = {} if ranges is None else ranges
    pairs = [(loop, loop) for loop in band]

    def search(prefix: tuple) -> tuple[str, ...] | None:
        rest = ("*",) * (len(pairs) - len(prefix))
        if not direction_feasible(a, b, pairs, prefix + rest, ranges):
            return None
        if prefix and prefix[-1] != "=" and len(prefix) <= fixed:
            return None
        if len(prefix) == len(pairs):
            oriented = prefix if lex_sign(prefix) >= 0 else tuple(_FLIP[d] for d in prefix)
            return oriented if _reverses(oriented, order) else None
        for d in "<=>":
            found = search(prefix + (d,))
            if found is not None:
                return found
        return None

    return search(())


_FLIP = {"<": ">", ">": "<", "=": "=", "*": "*"}


def _reverses(vector: Sequence[str], order: Sequence[int]) -> bool:
    return lex_sign(vector) > 0 and lex_sign([vector[k] for k in order]) < 0


def lex_sign(vector: Sequence[str]) -> int:
    """+1 if the first non-``=`` entry is ``<`` (x before y), -1 if ``>``, 0 if all equal."""
    for d in vector:
        if d == "<":
            return 1
        if d == ">":
            return -1
    return 0


def conflicting_pairs(accesses: Sequence[Access]) -> Iterable[tuple[Access, Access]]:
    """Pairs of accesses (a before b in program order) of one buffer, at least one a write."""
    by_buffer: dict = {}
    for acc in accesses:
        by_buffer.setdefault(acc.memref, []).append(acc)
    for group in by_buffer.values():
        if not any(acc.is_write for acc in group):
            continue
        for i, a in enumerate(group):
            for b in group[i:]:
                if a.is_write or b.is_write:
                    yield a, b
