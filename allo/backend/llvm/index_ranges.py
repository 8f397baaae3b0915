"""Static ranges of array subscripts: which accesses are provably inside their array.

The CPU build checks every subscript it cannot prove in bounds (:mod:`allo.backend.llvm.bounds_checks`).
A subscript is turned into a :class:`~allo.analysis.access.LinearForm` over *atoms*: loop
induction variables, other SSA values, and non-linear affine sub-expressions (``floordiv``,
``ceildiv``, ``mod``, products). Its smallest and largest values are found by eliminating
the innermost induction variable first, replacing it by each of its loop's bound expressions
(``iv <= ub_k - 1`` for every result of a ``min`` upper bound, ``iv >= lb_k`` for every
result of a ``max`` lower bound) and keeping the tightest result. This proves the usual
triangular nests and the ``min`` tails of split/tiled loops, which plain interval arithmetic
cannot (``3*i + j`` with ``j < min(3, 10 - 3*i)``). Any other atom contributes its interval:
the value range of the op defining it (constants, casts of narrow integers, ``andi`` with a
mask, remainders and divisions by constants, shifts, ``select``...), else its type's range.

Soundness: index (64-bit) arithmetic wraps modulo 2^64, and a linear form computes its value
exactly modulo 2^64, so a mathematical range inside ``[0, size)`` is the true range. Narrow
integer arithmetic is tracked with its own width: a result whose interval leaves the width's
signed range is given the whole range (it may have wrapped).

>>> from allo._mlir import ir, new_context
>>> with new_context():
...     m = ir.Module.parse('''func.func @f(%A: memref<10xf32>) {
...       affine.for %i = 0 to 4 {
...         affine.for %j = 0 to min affine_map<(d0) -> (3, d0 * -3 + 10)>(%i) {
...           %v = affine.load %A[%i * 3 + %j] : memref<10xf32>
...         }
...       }
...       return }''')
...     load = [op for op in walk_ops(m.body.operations[0]) if op.name == "affine.load"][0]
...     ranges = IndexRanges()
...     ranges.subscript_range(load, 0)
(0, 9)
"""

from __future__ import annotations

import math
from fractions import Fraction

from ..._mlir import ir
from ...mlir_utils import (  # noqa: F401  (walk_ops: doctest)
    LinearForm, constant_int, fold_affine_expr, operand_leaf, walk_ops,
)
from .index_guards import Guarded

__all__ = ["IndexRanges", "type_width", "full_range"]

_LOOPS = ("affine.for", "scf.for")
_SUBSTITUTION_BUDGET = 4096  # bound-expression substitutions per subscript (nests are small)


def type_width(type_: "ir.Type") -> int | None:
    """Bits of an integer or ``index`` type (index: 64), else ``None``."""
    if isinstance(type_, ir.IndexType) or str(type_) == "index":
        return 64
    if isinstance(type_, ir.IntegerType):
        return ir.IntegerType(type_).width
    return None


def full_range(width: int) -> tuple[int, int]:
    """The signed range of a ``width``-bit integer (i1: ``[-1, 0]``)."""
    return -(1 << (width - 1)), (1 << (width - 1)) - 1


def _fit(lo: int, hi: int, width: int) -> tuple[int, int]:
    """``(lo, hi)`` if it fits the signed range of ``width`` bits, else the whole range."""
    smallest, largest = full_range(width)
    if smallest <= lo <= hi <= largest:
        return lo, hi
    return smallest, largest


def _unsigned(rng: tuple[int, int], width: int) -> tuple[int, int]:
    """The range of the same bits read as an unsigned ``width``-bit number."""
    lo, hi = rng
    return (lo, hi) if lo >= 0 else (0, (1 << width) - 1)


def _owner_op(value: "ir.Value"):
    owner = value.owner
    return owner.operation if isinstance(owner, ir.OpView) else owner


def loop_of_iv(value: "ir.Value"):
    """The ``affine.for``/``scf.for`` whose induction variable ``value`` is, else ``None``."""
    if not isinstance(value, ir.BlockArgument) or value.arg_number != 0:
        return None
    parent = value.owner.owner
    parent = parent.operation if isinstance(parent, ir.OpView) else parent
    if parent is None or parent.name not in _LOOPS:
        return None
    if parent.regions[0].blocks[0] != value.owner:
        return None
    return parent


def _depth(op) -> int:
    depth = 0
    while op is not None and op.name != "func.func":
        op = op.parent
        depth += 1
    return depth


class IndexRanges:
    """Range queries on index values of one module (results are cached per value)."""

    def __init__(self):
        self._forms: dict = {}
        self._ranges: dict = {}
        self._depths: dict = {}
        self._budget = 0
        self._nesting = 0  # > 0 while a query runs: nested queries share its budget
        self._guards: list = []  # (form, is_equality) of the affine.if around the access
        self._guarded_ranges: dict = {}  # value ranges under the current guards

    # ------------------------------------------------------------------ accesses
    def in_bounds(self, access, dim: int, size: LinearForm) -> bool:
        """Whether subscript ``dim`` of ``access`` always lies in ``[0, size)``."""
        with Guarded(self, access):
            form = self.subscript_form(access, dim)
            return (self._query(form, upper=False) >= 0
                    and self._query(size + form.scaled(-1), upper=False) >= 1)

    # ------------------------------------------------------------------ public queries
    def subscript_form(self, access, dim: int) -> LinearForm:
        """Subscript ``dim`` of a load/store (affine or memref) as a linear form."""
        access = access.operation
        operands = list(access.operands)[2 if access.name.endswith("store") else 1:]
        if access.name.startswith("affine."):
            amap = ir.AffineMapAttr(access.attributes["map"]).value
            return self.expr_form(amap.results[dim], operands, amap.n_dims)
        return self.form(operands[dim])

    def subscript_range(self, access, dim: int) -> tuple[int, int]:
        """Smallest and largest value subscript ``dim`` of ``access`` can take."""
        with Guarded(self, access):
            return self.form_range(self.subscript_form(access, dim))

    def form_range(self, form: LinearForm) -> tuple[int, int]:
        """Smallest and largest value of ``form`` (64-bit; the whole range when unknown)."""
        return _fit(self._query(form, upper=False), self._query(form, upper=True), 64)

    def _query(self, form: LinearForm, upper: bool) -> int:
        if self._nesting == 0:
            self._budget = _SUBSTITUTION_BUDGET
        self._nesting += 1
        try:
            return self._extreme(form, upper)
        finally:
            self._nesting -= 1

    def value_range(self, value: "ir.Value") -> tuple[int, int]:
        """The signed range of an integer or index value."""
        key = value
        memo = self._guarded_ranges if self._guards else self._ranges
        if key in memo:
            return memo[key]
        if not self._guards and key in self._ranges:
            return self._ranges[key]
        width = type_width(value.type) or 64
        memo[key] = full_range(width)  # a cycle (loop-carried) gets the full range
        if width == 64 and str(value.type) == "index":
            form = self.form(value)
            if form.coeffs == {value: 1} and form.const == 0:
                rng = self._op_range(value, width)
            else:
                rng = self.form_range(form)
        else:
            rng = self._op_range(value, width)
        memo[key] = rng
        return rng

    # ------------------------------------------------------------------ linear forms
    def form(self, value: "ir.Value") -> LinearForm:
        """``value`` (of type ``index``) as a linear form, looking through index arithmetic."""
        if value in self._forms:
            return self._forms[value]
        form = LinearForm({value: 1})
        op = _owner_op(value)
        if isinstance(op, ir.Operation) and str(value.type) == "index":
            form = self._op_form(op, value) or form
        self._forms[value] = form
        return form

    def _op_form(self, op, value) -> LinearForm | None:
        name = op.name
        if name == "arith.constant":
            c = constant_int(value)
            return None if c is None else LinearForm(const=c)
        if name == "affine.apply":
            amap = ir.AffineMapAttr(op.attributes["map"]).value
            return self.expr_form(amap.results[0], list(op.operands), amap.n_dims)
        if name in ("arith.addi", "arith.subi"):
            a, b = (self.form(v) for v in op.operands)
            return a + b.scaled(1 if name == "arith.addi" else -1)
        if name == "memref.dim" and constant_int(op.operands[1]) is not None:
            # one atom per (buffer, dimension), so a loop bound and a subscript's limit cancel
            return LinearForm({("dim", op.operands[0], constant_int(op.operands[1])): 1})
        if name == "arith.muli":
            a, b = (self.form(v) for v in op.operands)
            if not a.coeffs:
                return b.scaled(a.const)
            if not b.coeffs:
                return a.scaled(b.const)
        return None

    def expr_form(self, expr, operands: list, n_dims: int) -> LinearForm:
        """An affine expression over ``operands`` (dims then symbols) as a linear form."""
        forms = [self.form(v) for v in operands]
        leaf = operand_leaf(forms[:n_dims], forms[n_dims:], lambda e: LinearForm(const=e.value))
        return fold_affine_expr(expr, leaf, _combine_forms)

    # ------------------------------------------------------------------ extremes
    def _extreme(self, form: LinearForm, upper: bool) -> int:
        """The largest (``upper``) or smallest value of ``form`` (the type range if unknown)."""
        form = _fold_mods(form)
        if not form.coeffs:
            return form.const
        atom = self._pick(form)
        coeff = form.coeffs[atom]
        rest = LinearForm({a: c for a, c in form.coeffs.items() if a is not atom}, form.const)
        alternatives = self._atom_bounds(atom, upper=(coeff > 0) == upper)
        numbers = [alt for alt in alternatives if isinstance(alt, int)]
        results = []
        if numbers:  # the tightest constant bound, applied to the rest's own extreme
            best = min(numbers) if (coeff > 0) == upper else max(numbers)
            results.append(self._extreme(rest, upper) + coeff * best)
        for alt in alternatives:
            if not isinstance(alt, int) and self._budget > 0:
                self._budget -= 1
                results.append(self._extreme(rest + alt.scaled(coeff), upper))
        if not results:
            smallest, largest = full_range(64)
            bound = largest if (coeff > 0) == upper else smallest
            return self._extreme(rest, upper) + coeff * bound
        return min(results) if upper else max(results)

    def _pick(self, form: LinearForm):
        """The innermost loop variable of ``form`` (eliminated first), else any atom."""
        best, best_depth = None, -1
        for atom in form.coeffs:
            loop = loop_of_iv(atom) if isinstance(atom, ir.Value) else None
            if loop is None:
                continue
            if atom not in self._depths:
                self._depths[atom] = _depth(loop)
            if self._depths[atom] > best_depth:
                best, best_depth = atom, self._depths[atom]
        return best if best is not None else next(iter(form.coeffs))

    def _atom_bounds(self, atom, upper: bool) -> list:
        """Upper (or lower) bounds of ``atom``: ints or linear forms; each one is valid."""
        if isinstance(atom, tuple):
            lo, hi = self._compound_range(atom)
            return self._guard_bounds(atom, upper) + [hi if upper else lo]
        loop = loop_of_iv(atom)
        if loop is not None:
            return self._iv_bounds(loop, upper)
        op = _owner_op(atom)
        if isinstance(op, ir.Operation) and op.name in ("affine.min", "affine.max"):
            amap = ir.AffineMapAttr(op.attributes["map"]).value
            forms = [self.expr_form(e, list(op.operands), amap.n_dims) for e in amap.results]
            if (op.name == "affine.min") == upper:
                return forms
        lo, hi = self.value_range(atom)
        return self._guard_bounds(atom, upper) + [hi if upper else lo]

    def _iv_bounds(self, loop, upper: bool) -> list:
        """``iv <= ub_k - 1`` for each upper bound, ``iv >= lb_k`` for each lower bound."""
        operands = list(loop.operands)
        guards = self._guard_bounds(loop.regions[0].blocks[0].arguments[0], upper)
        if loop.name == "scf.for":
            if upper:
                return guards + [self.form(operands[1]) + LinearForm(const=-1)]
            return guards + [self.form(operands[0])]
        lb = ir.AffineMapAttr(loop.attributes["lowerBoundMap"]).value
        ub = ir.AffineMapAttr(loop.attributes["upperBoundMap"]).value
        if upper:
            args = operands[lb.n_inputs: lb.n_inputs + ub.n_inputs]
            return guards + [self.expr_form(e, args, ub.n_dims) + LinearForm(const=-1)
                             for e in ub.results]
        args = operands[: lb.n_inputs]
        return guards + [self.expr_form(e, args, lb.n_dims) for e in lb.results]

    def _guard_bounds(self, atom, upper: bool) -> list:
        """Bounds of ``atom`` from the conditions of the ``if`` ops around the access.

        A loop variable may be bounded by forms over strictly outer loop variables (also
        inside ``floordiv``/``mod``/product atoms) and other values; any other atom only by
        constants. Eliminating an atom then never brings it back, so the search ends: a guard
        such as ``3 - i + 5*(i floordiv 5) >= 0`` (what a fused loop's ``i mod 5 <= 3``
        becomes) is first folded to ``3 - (i mod 5) >= 0``, a bound of the ``mod`` atom."""
        loop = loop_of_iv(atom) if isinstance(atom, ir.Value) else None
        depth = _depth(loop) if loop is not None else None
        found = []
        for form, is_eq in self._guards:
            form = _fold_mods(form)
            a = form.coeffs.get(atom, 0)
            if a == 0 or (not is_eq and (a > 0) == upper):
                continue  # a*atom + rest >= 0 bounds atom from below when a > 0
            rest = LinearForm({k: c for k, c in form.coeffs.items() if k != atom}, form.const)
            if loop is None and rest.coeffs:
                continue
            if any(self._mentions_iv_within(k, depth) for k in rest.coeffs):
                continue
            if a in (1, -1):
                found.append(rest.scaled(-a))  # atom (>= or <=) -rest / a
            elif not rest.coeffs:
                q = Fraction(-rest.const, a)
                found.append(math.floor(q) if upper else math.ceil(q))
        return found

    def _mentions_iv_within(self, atom, depth: int) -> bool:
        """Whether ``atom`` is, or contains, the variable of a loop at ``depth`` or deeper."""
        if isinstance(atom, tuple):
            return any(isinstance(part, LinearForm)
                       and any(self._mentions_iv_within(k, depth) for k in part.coeffs)
                       for part in atom[1:])
        loop = loop_of_iv(atom) if isinstance(atom, ir.Value) else None
        if loop is None:
            return False
        if atom not in self._depths:
            self._depths[atom] = _depth(loop)
        return self._depths[atom] >= depth

    def _compound_range(self, atom: tuple) -> tuple[int, int]:
        kind, lhs, rhs = atom
        if kind == "dim":
            return 0, full_range(64)[1]
        lo, hi = self.form_range(lhs)
        if kind == "floordiv":
            return lo // rhs, hi // rhs
        if kind == "ceildiv":
            return -(-lo // rhs), -(-hi // rhs)
        if kind == "mod":
            if lo >= 0 and hi < rhs:
                return lo, hi
            return 0, rhs - 1
        if kind == "mul":
            rlo, rhi = self.form_range(rhs)
            corners = [lo * rlo, lo * rhi, hi * rlo, hi * rhi]
            return _fit(min(corners), max(corners), 64)
        return full_range(64)

    # ------------------------------------------------------------------ op ranges
    def _op_range(self, value: "ir.Value", width: int) -> tuple[int, int]:
        op = _owner_op(value)
        if not isinstance(op, ir.Operation):
            return full_range(width)
        rule = _RULES.get(op.name)
        if rule is None:
            return full_range(width)
        rng = rule(self, op, width)
        return full_range(width) if rng is None else _fit(rng[0], rng[1], width)

    def operand_range(self, op, i: int) -> tuple[int, int]:
        return self.value_range(op.operands[i])

    def operand_const(self, op, i: int):
        return constant_int(op.operands[i])


def _combine_forms(kind: str, lhs: LinearForm, rhs: LinearForm) -> LinearForm:
    """An affine node as a linear form: products, quotients and remainders that are not
    linear become atoms (``("mul", a, b)``, ``(kind, a, divisor)`` or ``("opaque", a, b)``)."""
    if kind == "add":
        return lhs + rhs
    if kind == "mul":
        if not rhs.coeffs:
            return lhs.scaled(rhs.const)
        if not lhs.coeffs:
            return rhs.scaled(lhs.const)
        return LinearForm({("mul", lhs, rhs): 1})
    if rhs.coeffs or rhs.const <= 0:
        return LinearForm({("opaque", lhs, rhs): 1})
    return LinearForm({(kind, lhs, rhs.const): 1})


def _fold_mods(form: LinearForm) -> LinearForm:
    """Rewrite ``c*L - c*k*(L floordiv k)`` inside ``form`` as ``c*(L mod k)``."""
    for atom, d in list(form.coeffs.items()):
        if not (isinstance(atom, tuple) and atom[0] == "floordiv") or d % atom[2]:
            continue
        _, lin, k = atom
        c = -d // k
        if not lin.coeffs or any(form.coeffs.get(a) != c * v for a, v in lin.coeffs.items()):
            continue
        coeffs = {a: v for a, v in form.coeffs.items() if a is not atom and a not in lin.coeffs}
        coeffs[("mod", lin, k)] = coeffs.get(("mod", lin, k), 0) + c
        return _fold_mods(LinearForm(coeffs, form.const - c * lin.const))
    return form


# ---------------------------------------------------------------------- per-op range rules


def _r_constant(r, op, width):
    c = constant_int(op.results[0])
    return None if c is None else (c, c)


def _in_width(op, i) -> int:
    return type_width(op.operands[i].type) or 64


def _r_cast_signed(r, op, width):  # index_cast, extsi, trunci: same value when it fits
    return r.operand_range(op, 0)


def _r_cast_unsigned(r, op, width):  # index_castui, extui
    return _unsigned(r.operand_range(op, 0), _in_width(op, 0))


def _r_add(r, op, width):
    (a, b), (c, d) = r.operand_range(op, 0), r.operand_range(op, 1)
    return a + c, b + d


def _r_sub(r, op, width):
    (a, b), (c, d) = r.operand_range(op, 0), r.operand_range(op, 1)
    return a - d, b - c


def _r_mul(r, op, width):
    (a, b), (c, d) = r.operand_range(op, 0), r.operand_range(op, 1)
    corners = [a * c, a * d, b * c, b * d]
    return min(corners), max(corners)


def _positive_divisor(r, op):
    k = r.operand_const(op, 1)
    return k if k is not None and k > 0 else None


def _trunc_div(a: int, k: int) -> int:
    return -(-a // k) if a < 0 else a // k


def _r_div(r, op, width):
    k = _positive_divisor(r, op)
    if k is None:
        return None
    lo, hi = r.operand_range(op, 0)
    if op.name == "arith.divui":
        lo, hi = _unsigned((lo, hi), width)
        return lo // k, hi // k
    if op.name == "arith.ceildivsi":
        return -(-lo // k), -(-hi // k)
    if op.name == "arith.divsi":  # truncates toward zero
        return _trunc_div(lo, k), _trunc_div(hi, k)
    return lo // k, hi // k  # floordivsi


def _r_rem(r, op, width):
    k = _positive_divisor(r, op)
    if k is None:
        return None
    lo, hi = r.operand_range(op, 0)
    if op.name == "arith.remui":
        lo, hi = _unsigned((lo, hi), width)
        return (lo, hi) if hi < k else (0, k - 1)
    if lo >= 0:
        return (lo, hi) if hi < k else (0, k - 1)
    return -(k - 1), (k - 1 if hi > 0 else 0)


def _r_and(r, op, width):
    ranges = [r.operand_range(op, 0), r.operand_range(op, 1)]
    highs = [hi for lo, hi in ranges if lo >= 0]
    return (0, min(highs)) if highs else None


def _r_or(r, op, width):
    ranges = [r.operand_range(op, 0), r.operand_range(op, 1)]
    if any(lo < 0 for lo, _ in ranges):
        return None
    bits = max(hi for _, hi in ranges).bit_length()
    return 0, (1 << bits) - 1


def _r_shift(r, op, width):
    k = r.operand_const(op, 1)
    if k is None or not 0 <= k < width:
        return None
    lo, hi = r.operand_range(op, 0)
    if op.name == "arith.shli":
        return lo << k, hi << k
    if op.name == "arith.shrui":
        lo, hi = _unsigned((lo, hi), width)
    return lo >> k, hi >> k


def _r_select(r, op, width):
    (a, b), (c, d) = r.operand_range(op, 1), r.operand_range(op, 2)
    return min(a, c), max(b, d)


def _r_minmax(r, op, width):
    (a, b), (c, d) = r.operand_range(op, 0), r.operand_range(op, 1)
    if op.name.endswith("ui") and (a < 0 or c < 0):
        return None
    if op.name.startswith("arith.min"):
        return min(a, c), min(b, d)
    return max(a, c), max(b, d)


def _r_affine_minmax(r, op, width):
    amap = ir.AffineMapAttr(op.attributes["map"]).value
    ranges = [r.form_range(r.expr_form(e, list(op.operands), amap.n_dims))
              for e in amap.results]
    pick = min if op.name == "affine.min" else max
    return pick(lo for lo, _ in ranges), pick(hi for _, hi in ranges)


def _r_dim(r, op, width):
    return 0, full_range(64)[1]


_RULES = {
    "arith.constant": _r_constant,
    "arith.index_cast": _r_cast_signed, "arith.extsi": _r_cast_signed,
    "arith.trunci": _r_cast_signed,
    "arith.index_castui": _r_cast_unsigned, "arith.extui": _r_cast_unsigned,
    "arith.addi": _r_add, "arith.subi": _r_sub, "arith.muli": _r_mul,
    "arith.divsi": _r_div, "arith.divui": _r_div, "arith.floordivsi": _r_div,
    "arith.ceildivsi": _r_div,
    "arith.remsi": _r_rem, "arith.remui": _r_rem,
    "arith.andi": _r_and, "arith.ori": _r_or, "arith.xori": _r_or,
    "arith.shli": _r_shift, "arith.shrui": _r_shift, "arith.shrsi": _r_shift,
    "arith.select": _r_select,
    "arith.minsi": _r_minmax, "arith.maxsi": _r_minmax, "arith.minui": _r_minmax,
    "arith.maxui": _r_minmax,
    "affine.min": _r_affine_minmax, "affine.max": _r_affine_minmax,
    "memref.dim": _r_dim,
}
