"""Loop permutation for locality on the CPU (a private copy; schedules are never changed).

Kernels are written in the order that suits hardware (``for i, j, k: C[i, j] += A[i, k] *
B[k, j]``), where the innermost loop walks ``B`` by columns and cannot be vectorized without
reassociating a float sum. Moving ``j`` innermost makes every access unit-stride or invariant;
LLVM then vectorizes across ``j`` while each ``C[i, j]`` still accumulates in the original ``k``
order, so results stay bit-identical.

Scope (anything else is left alone): a perfect band of ``affine.for`` loops without
``iter_args`` whose bounds do not depend on the band's own induction variables (constants or
values from outside the band, such as an enclosing loop's: permuting such a band keeps its
iteration set), whose innermost body holds only ``affine.load``/``affine.store``
and region-free ``arith``/``math`` ops. Legality uses dependence signs: for every pair of
accesses to the same array (one a store) the per-loop distance is exact (uniform subscripts
``a·iv + c``) or unknown; a permutation is applied only if no realisable dependence changes its
lexicographic direction. Distinct arrays are independent when they are different allocations,
or different parameters of the top function and the caller promised they do not overlap.

>>> from allo.backend.llvm import invoke_mlir_parser
>>> m = invoke_mlir_parser('''func.func @mm(%A: memref<8x8xf32>, %B: memref<8x8xf32>,
...     %C: memref<8x8xf32>) {
...   affine.for %i = 0 to 8 { affine.for %j = 0 to 8 { affine.for %k = 0 to 8 {
...     %a = affine.load %A[%i, %k] : memref<8x8xf32>
...     %b = affine.load %B[%k, %j] : memref<8x8xf32>
...     %c = affine.load %C[%i, %j] : memref<8x8xf32>
...     %p = arith.mulf %a, %b : f32
...     %s = arith.addf %c, %p : f32
...     affine.store %s, %C[%i, %j] : memref<8x8xf32> } } }
...   return }''')
>>> permute_loops_for_locality(m, distinct_args_of="mm")
1
"""

from __future__ import annotations

import itertools
from collections.abc import Collection

from ..._mlir import ir
from ...mlir_utils import LinearForm, block_ops, func_name, func_ops, linear_form_of
from .distinct_params import FRESH_OPS, defining_op, functions_with_distinct_params, memref_root

__all__ = ["permute_loops_for_locality"]

_ACCESSES = {"affine.load", "affine.store"}


def _simple_loop(op) -> bool:
    """An ``affine.for`` with single-result bounds and no ``iter_args``."""
    if op.name != "affine.for" or len(op.results) != 0:
        return False
    bound_maps = [ir.AffineMapAttr(op.attributes[name]).value
                  for name in ("lowerBoundMap", "upperBoundMap")]
    return (all(len(amap.results) == 1 for amap in bound_maps)
            and len(op.operands) == sum(amap.n_inputs for amap in bound_maps))


def _iv(loop):
    return loop.regions[0].blocks[0].arguments[0]


def _body(loop):
    return [o for o in block_ops(loop.regions[0].blocks[0]) if o.name != "affine.yield"]


def _bounded_outside(band, loop) -> bool:
    """True if ``loop``'s bounds use no induction variable of ``band``."""
    ivs = [_iv(outer) for outer in band]
    return not any(operand in ivs for operand in loop.operands)


def _band(loop) -> list:
    band = [loop]
    while True:
        body = _body(band[-1])
        if len(body) == 1 and _simple_loop(body[0]) and _bounded_outside(band, body[0]):
            band.append(body[0])
        else:
            return band


def _band_below(loop, inner) -> list:
    """The band ``loop`` followed by the perfect band from ``inner`` (a loop in its body),
    cut where a bound uses an induction variable of the loops above."""
    band = [loop]
    for candidate in _band(inner):
        if not _bounded_outside(band, candidate):
            break
        band.append(candidate)
    return band


# --------------------------------------------------------------------------- access analysis


class _Access:
    """One load/store: its array, whether it writes, and per-dimension linear subscripts."""

    def __init__(self, op, ivs, varying=()):
        self.is_store = op.name == "affine.store"
        self.memref = op.operands[1] if self.is_store else op.operands[0]
        index_operands = list(op.operands)[2:] if self.is_store else list(op.operands)[1:]
        amap = ir.AffineMapAttr(op.attributes["map"]).value
        self.dims = []  # per dim: ({band position: coeff}, [(outer value, coeff)], const) or None
        # a linear form over operand positions (symbol k is operand n_dims + k)
        positions = [LinearForm({k: 1}) for k in range(amap.n_inputs)]
        for expr in amap.results:
            lin = linear_form_of(expr, positions[:amap.n_dims], positions[amap.n_dims:])
            if lin is None:
                self.dims.append(None)
                continue
            band, outer = {}, []
            if any(index_operands[position] in varying for position in lin.coeffs):
                self.dims.append(None)  # an inner loop's index: not fixed across the band
                continue
            for position, coeff in lin.coeffs.items():
                value = index_operands[position]
                slot = next((p for p, iv in enumerate(ivs) if iv == value), None)
                if slot is None:
                    outer.append((value, coeff))
                else:
                    band[slot] = band.get(slot, 0) + coeff
            self.dims.append((band, outer, lin.const))


def _same_outer(a, b) -> bool:
    if len(a) != len(b):
        return False
    return all(any(v == w and c == d for w, d in b) for v, c in a)


def _terms(*weighted) -> list:
    """The sum of ``(terms, weight)`` pairs of ``(outer value, coeff)`` lists, zeros dropped."""
    total = []
    for terms, weight in weighted:
        for value, coeff in terms:
            slot = next((n for n, (v, _) in enumerate(total) if v == value), None)
            if slot is None:
                total.append((value, coeff * weight))
            else:
                total[slot] = (value, total[slot][1] + coeff * weight)
    return [(v, c) for v, c in total if c]


def _pins(x: _Access, y: _Access) -> tuple[dict, dict]:
    """Band loops whose value an equal subscript fixes in terms of outer values: where one
    access has ``±iv + e`` and the other an expression ``f`` without band loops, a common
    element needs ``iv = ±(f - e)``. Per access, ``{slot: (outer terms, const)}``."""
    pins = ({}, {})
    for dx, dy in zip(x.dims, y.dims):
        if dx is None or dy is None:
            continue
        for side, own, other in ((0, dx, dy), (1, dy, dx)):
            if other[0] or len(own[0]) != 1:
                continue
            (slot, coeff), = own[0].items()
            if abs(coeff) == 1:
                terms = _terms((other[1], coeff), (own[1], -coeff))
                pins[side].setdefault(slot, (terms, coeff * (other[2] - own[2])))
    return pins


def _pinned_distances(x: _Access, y: _Access, exact: list) -> None:
    """Fill ``exact[slot]`` where both accesses pin the loop to the same outer terms
    (``corr[i, j]`` against ``corr[j2, i]``: ``j = i = j2``, distance 0)."""
    pins_x, pins_y = _pins(x, y)
    for slot, (terms_x, const_x) in pins_x.items():
        if slot in pins_y and exact[slot] is None:
            terms_y, const_y = pins_y[slot]
            if not _terms((terms_y, 1), (terms_x, -1)):
                exact[slot] = const_y - const_x


def _distance_constraints(x: _Access, y: _Access, depth: int):
    """Per band loop: an exact distance (int), ``None`` (unknown), or ``False`` (independent)."""
    exact = [None] * depth
    if len(x.dims) != len(y.dims):
        return exact
    _pinned_distances(x, y, exact)
    for dx, dy in zip(x.dims, y.dims):
        if dx is None or dy is None or not _same_outer(dx[1], dy[1]) or dx[0] != dy[0]:
            continue  # unknown relation: the loops involved stay unconstrained
        coeffs, delta = dx[0], dx[2] - dy[2]
        if not coeffs:
            if delta != 0:
                return False
            continue
        if len(coeffs) > 1:
            continue
        (slot, coeff), = coeffs.items()
        if delta % coeff:
            return False
        distance = delta // coeff
        if exact[slot] is not None and exact[slot] != distance:
            return False
        exact[slot] = distance
    return exact


def _lex_sign(vector) -> int:
    for v in vector:
        if v:
            return 1 if v > 0 else -1
    return 0


def _preserves(constraints, order) -> bool:
    choices = [(0, 1, -1) if c is None else ((c > 0) - (c < 0),) for c in constraints]
    for signs in itertools.product(*choices):
        before = _lex_sign(signs)
        if before and _lex_sign([signs[p] for p in order]) != before:
            return False
    return True


# --------------------------------------------------------------------------- alias reasoning


def _kind_of_root(value, distinct_args: bool):
    if isinstance(value, ir.BlockArgument):
        return "arg" if distinct_args else None
    op = defining_op(value)
    if op.name in FRESH_OPS:
        return "fresh"
    if op.name == "memref.get_global":
        return "global:" + ir.FlatSymbolRefAttr(op.attributes["name"]).value
    return None


def _independent(a: _Access, b: _Access, distinct_args: bool) -> bool:
    ra, rb = memref_root(a.memref), memref_root(b.memref)
    if ra == rb:
        return False
    ka, kb = _kind_of_root(ra, distinct_args), _kind_of_root(rb, distinct_args)
    if ka is None or kb is None:
        return False
    return not (ka == kb and ka.startswith("global:"))


# --------------------------------------------------------------------------- the pass


def _score(accesses, slot) -> int:
    total = 0
    for acc in accesses:
        used = [(d, dim) for d, dim in enumerate(acc.dims) if dim is None or slot in dim[0]]
        if not used:
            total += 1
        elif len(used) == 1 and used[0][1] is not None and used[0][0] == len(acc.dims) - 1 \
                and abs(used[0][1][0][slot]) == 1:
            total += 4
        else:
            total -= 4
    return total


def _legal(accesses, order, depth, distinct_args) -> bool:
    for a, b in itertools.combinations_with_replacement(accesses, 2):
        if not (a.is_store or b.is_store):
            continue
        if a.memref != b.memref:
            if _independent(a, b, distinct_args):
                continue
            return False
        constraints = _distance_constraints(a, b, depth)
        if constraints is False:
            continue
        if not _preserves(constraints, order):
            return False
    return True


def _only_accesses_and_arith(ops) -> bool:
    return all(not op.regions and (op.name in _ACCESSES or op.name.startswith(("arith.", "math.")))
               for op in ops)


def _plan_permutation(band, distinct_args):
    """The loop order to apply to ``band`` (a list of band positions), or ``None``."""
    body = _body(band[-1])
    if not _only_accesses_and_arith(body):
        return None
    ivs = [loop.regions[0].blocks[0].arguments[0] for loop in band]
    accesses = [_Access(op, ivs) for op in body if op.name in _ACCESSES]
    depth = len(band)
    current = _score(accesses, depth - 1)
    ranked = sorted(range(depth - 1), key=lambda s: -_score(accesses, s))
    for slot in ranked:
        if _score(accesses, slot) <= current:
            break
        order = [p for p in range(depth) if p != slot] + [slot]
        if _legal(accesses, order, depth, distinct_args):
            return order
    return None


def _try_permute(band, distinct_args) -> bool:
    order = _plan_permutation(band, distinct_args)
    if order is None:
        return False
    _apply(band, order)
    return True


# --------------------------------------------------------------------------- distribution


def _nest_accesses(loop) -> list | None:
    """Every load/store inside a nest of simple loops, or ``None`` if it holds anything else."""
    found = []
    for op in _body(loop):
        if _simple_loop(op):
            inner = _nest_accesses(op)
            if inner is None:
                return None
            found += inner
        elif not _only_accesses_and_arith([op]):
            return None
        elif op.name in _ACCESSES:
            found.append(op)
    return found


def _nest_ivs(loop) -> list:
    ivs = []
    for op in _body(loop):
        if _simple_loop(op):
            ivs += [_iv(op)] + _nest_ivs(op)
    return ivs


def _may_separate(parts, loop, varying, distinct_args) -> bool:
    """True if running each of ``parts`` (lists of access ops, in program order) for every
    iteration of ``loop`` before the next part keeps every dependence: accesses of two parts
    to the same array (one a store) may only meet in the same iteration of ``loop``."""
    iv = [_iv(loop)]
    accesses = [[_Access(op, iv, varying) for op in part] for part in parts]
    for first, second in itertools.combinations(accesses, 2):
        for a, b in itertools.product(first, second):
            if not (a.is_store or b.is_store):
                continue
            if a.memref != b.memref:
                if _independent(a, b, distinct_args):
                    continue
                return False
            constraints = _distance_constraints(a, b, 1)
            if constraints is not False and constraints[0] != 0:
                return False
    return True


def _segments(loop) -> list | None:
    """``loop``'s body cut into parts: each loop nest alone, each run of statements between
    them together; ``None`` if a value crosses parts or a statement is not a plain access or
    arithmetic op."""
    parts = []
    for op in _body(loop):
        if op.regions:
            if not _simple_loop(op):
                return None
            parts.append([op])
        elif not _only_accesses_and_arith([op]):
            return None
        elif parts and not parts[-1][0].regions:
            parts[-1].append(op)
        else:
            parts.append([op])
    for part in parts:
        users = [use.owner for op in part for result in op.results for use in result.uses]
        if any(getattr(user, "operation", user) not in part for user in users):
            return None  # a value crosses parts: the statements cannot be separated
    return parts


def _keep_only(loop, kept) -> None:
    """Erase every statement of ``loop``'s body except the positions in ``kept``."""
    body = _body(loop)
    for n in reversed(range(len(body))):
        if n not in kept:
            body[n].erase()


def _segment_accesses(part) -> list | None:
    if part[0].regions:
        return _nest_accesses(part[0])
    return [op for op in part if op.name in _ACCESSES]


def _distribute_and_permute(loop, distinct_args) -> bool:
    """``for j: S(j); for k: T(j, k); U(j)`` whose ``j, k`` nest would be permuted becomes
    ``for j: S(j)``, the permuted nest, then ``for j: U(j)`` (PolyBench's ``C[i, j] *= beta``
    before the reduction over ``k``, correlation's symmetric copy after it); likewise with
    several nests (gramschmidt). Only when legal (:func:`_may_separate`)."""
    parts = _segments(loop)
    if parts is None or len(parts) < 2:
        return False
    accesses = [_segment_accesses(part) for part in parts]
    if any(found is None for found in accesses):
        return False
    orders = [_plan_permutation(_band_below(loop, part[0]), distinct_args)
              if part[0].regions else None for part in parts]
    if all(order is None for order in orders) \
            or not _may_separate(accesses, loop, _nest_ivs(loop), distinct_args):
        return False
    start = 0
    for part, order in zip(parts, orders):
        piece = loop.clone(ir.InsertionPoint(loop))
        _keep_only(piece, range(start, start + len(part)))
        start += len(part)
        if order is not None:
            _apply(_band_below(piece, _body(piece)[0]), order)
    loop.erase()
    return True


def _yield_of(loop):
    return list(block_ops(loop.regions[0].blocks[0]))[-1]


def _apply(band, order) -> None:
    """Re-nest the loops of ``band`` so position p holds loop ``order[p]``. The loops move
    whole (bounds, attributes, induction variable), so bounds taken from outside the band
    stay valid."""
    body = _body(band[-1])
    anchor = band[0]
    for op in body:
        op.move_before(anchor)
    for loop in reversed(band[1:]):
        loop.move_before(anchor)
    outermost = band[order[0]]
    if outermost is not anchor:
        outermost.move_before(anchor)
    for outer, inner in zip(order, order[1:]):
        band[inner].move_before(_yield_of(band[outer]))
    for op in body:
        op.move_before(_yield_of(band[order[-1]]))


def _visit_block(block, distinct_args, counter) -> None:
    for op in list(block_ops(block)):
        if _simple_loop(op):
            band = _band(op)
            if len(band) > 1 and _try_permute(band, distinct_args):
                counter[0] += 1
                continue
            if _distribute_and_permute(band[-1], distinct_args):
                counter[0] += 1
                continue
            inner = band[-1]
            for region in inner.regions:
                for b in region.blocks:
                    _visit_block(b, distinct_args, counter)
        else:
            for region in op.regions:
                for b in region.blocks:
                    _visit_block(b, distinct_args, counter)


def permute_loops_for_locality(module: "ir.Module", distinct_args_of: str | None = None, *,
                               distinct_functions: Collection[str] | None = None) -> int:
    """Permute perfect affine bands so the innermost loop is unit-stride; returns the count.

    ``distinct_args_of`` names the function whose array parameters are known not to overlap
    (the top function when the numpy boundary checked its arguments); functions it calls
    inherit the promise where their call sites allow it
    (:mod:`allo.backend.llvm.distinct_params`). ``distinct_functions``, when given, is that
    analysis already done (the CPU pipeline does it once per build) and replaces it.
    """
    counter = [0]
    with module.context, ir.Location.unknown():
        if distinct_functions is None:
            distinct_functions = functions_with_distinct_params(module, distinct_args_of)
        _permute_all(module, distinct_functions, counter)
    return counter[0]


def _permute_all(module, with_distinct_params, counter):
    for f in func_ops(module):
        if not f.regions[0].blocks:
            continue
        distinct = func_name(f) in with_distinct_params
        _visit_block(f.regions[0].blocks[0], distinct, counter)
