"""Affine expressions: one bottom-up fold, substitution, and the one linear-form type.

Every analysis that reads an affine expression (subscripts, dependence tests, loop
permutation, interval bounds) and every rewrite that composes one (``replace_iv``) goes
through :func:`fold_affine_expr`, taking the values of dimensions and symbols from
:func:`operand_leaf` (:func:`fold_affine_map` evaluates every result of a map); linear
views of subscripts are :class:`LinearForm` ``const + sum(coeff * atom)`` whatever the
atoms are (SSA values, loop ops, positions).

>>> from allo._mlir import ir, new_context
>>> with new_context():
...     d0, d1 = ir.AffineDimExpr.get(0), ir.AffineDimExpr.get(1)
...     form = linear_form_of(d0 * 2 + d1 + 3, [LinearForm({"i": 1}), LinearForm({"j": 1})], [])
...     moved = str(ir.AffineExpr.simplify_affine_expr(substitute_expr(d0 * 2 + 1, [d1 * 4 + d0], []), 2, 0))
>>> form, moved
(2*<i> + 1*<j> + 3, 'd0 * 2 + d1 * 8 + 1')
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from .._mlir import ir

# binary expression class -> the kind name given to ``combine``
_BINARY_KINDS = (
    (ir.AffineAddExpr, "add"), (ir.AffineMulExpr, "mul"), (ir.AffineModExpr, "mod"),
    (ir.AffineFloorDivExpr, "floordiv"), (ir.AffineCeilDivExpr, "ceildiv"),
)


class LinearForm:
    """``const + sum(coeff * atom)`` with integer coefficients over hashable atoms.

    Zero coefficients are dropped, so two forms are equal exactly when they are the same
    function of their atoms.

    >>> LinearForm({"i": 2}, 1) + LinearForm({"i": -2, "j": 1}) == LinearForm({"j": 1}, 1)
    True
    """

    __slots__ = ("coeffs", "const")

    def __init__(self, coeffs: dict | None = None, const: int = 0):
        self.coeffs = {k: c for k, c in (coeffs or {}).items() if c != 0}
        self.const = const

    def __add__(self, other: "LinearForm") -> "LinearForm":
        coeffs = dict(self.coeffs)
        for atom, c in other.coeffs.items():
            coeffs[atom] = coeffs.get(atom, 0) + c
        return LinearForm(coeffs, self.const + other.const)

    def __sub__(self, other: "LinearForm") -> "LinearForm":
        return self + other.scaled(-1)

    def scaled(self, k: int) -> "LinearForm":
        return LinearForm({a: c * k for a, c in self.coeffs.items()}, self.const * k)

    def split(self, pred: Callable[[Any], bool]) -> tuple["LinearForm", "LinearForm"]:
        """``(part over atoms satisfying pred, the rest including the constant)``."""
        yes = {a: c for a, c in self.coeffs.items() if pred(a)}
        no = {a: c for a, c in self.coeffs.items() if not pred(a)}
        return LinearForm(yes), LinearForm(no, self.const)

    def coeff(self, atom) -> int:
        return self.coeffs.get(atom, 0)

    def key(self) -> tuple:
        """A hashable identity: two forms with equal keys are the same function."""
        return (frozenset(self.coeffs.items()), self.const)

    def __eq__(self, other):
        return isinstance(other, LinearForm) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())

    def __repr__(self):
        names = [a.get_name() if isinstance(a, ir.Value) else a for a in self.coeffs]
        terms = [f"{c}*<{name}>" for name, c in zip(names, self.coeffs.values())]
        return " + ".join(terms + [str(self.const)])


def fold_affine_expr(expr, leaf: Callable[[Any], Any], combine: Callable[[str, Any, Any], Any]):
    """Fold ``expr`` bottom-up.

    ``leaf(e)`` is the value of a dimension, symbol or constant expression ``e``;
    ``combine(kind, lhs, rhs)`` the value of a binary node from its operands' values, with
    ``kind`` one of ``"add"``, ``"mul"``, ``"mod"``, ``"floordiv"``, ``"ceildiv"``.
    """
    # The bindings may label a simplified expression with the builder's class.
    expr = expr.maybe_downcast()
    if isinstance(expr, (ir.AffineDimExpr, ir.AffineSymbolExpr, ir.AffineConstantExpr)):
        return leaf(expr)
    for cls, kind in _BINARY_KINDS:
        if isinstance(expr, cls):
            return combine(kind, fold_affine_expr(expr.lhs, leaf, combine),
                           fold_affine_expr(expr.rhs, leaf, combine))
    raise TypeError(f"unknown affine expression {expr}")


def operand_leaf(dims: Sequence, syms: Sequence,
                 constant: Callable[[Any], Any] = lambda e: e.value) -> Callable[[Any], Any]:
    """A ``leaf`` for :func:`fold_affine_expr`: dimension ``k`` is ``dims[k]``, symbol ``k``
    is ``syms[k]`` and a constant expression ``e`` is ``constant(e)`` (its value by default).

    Every fold of an expression over the values of its operands takes its leaves from here.

    >>> from allo._mlir import ir, new_context
    >>> with new_context():
    ...     e = ir.AffineDimExpr.get(0) * 3 + ir.AffineSymbolExpr.get(0) + 1
    ...     add_mul = lambda kind, a, b: a + b if kind == "add" else a * b
    ...     fold_affine_expr(e, operand_leaf([5], [10]), add_mul)
    26
    """

    def leaf(e):
        if isinstance(e, ir.AffineDimExpr):
            return dims[e.position]
        if isinstance(e, ir.AffineSymbolExpr):
            return syms[e.position]
        return constant(e)

    return leaf


# the integer semantics of affine expressions (floor division and a non-negative modulo)
_INTEGER = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b,
            "mod": lambda a, b: a % b, "floordiv": lambda a, b: a // b,
            "ceildiv": lambda a, b: -(-a // b)}


def fold_affine_map(amap, values: Sequence, combine: Callable[[str, Any, Any], Any] | None = None,
                    constant: Callable[[Any], Any] = lambda e: e.value) -> list:
    """Each result of ``amap`` folded over ``values`` (its dims, then its symbols):
    :func:`fold_affine_expr` with :func:`operand_leaf`. ``combine`` defaults to integer
    arithmetic (``floordiv``/``ceildiv`` round toward minus/plus infinity, ``mod`` is
    non-negative for a positive divisor), so integer operands give the map's exact results.

    >>> from allo._mlir import ir, new_context
    >>> with new_context():
    ...     d0, d1 = ir.AffineDimExpr.get(0), ir.AffineDimExpr.get(1)
    ...     m = ir.AffineMap.get(2, 0, [ir.AffineExpr.get_floor_div(d0 - 7, 2), d0 % 4 + d1])
    ...     fold_affine_map(m, [1, 10])
    [-3, 11]
    """
    if combine is None:
        combine = _integer_combine
    leaf = operand_leaf(values[:amap.n_dims], values[amap.n_dims:], constant)
    return [fold_affine_expr(e, leaf, combine) for e in amap.results]


def _integer_combine(kind: str, lhs: int, rhs: int) -> int:
    return _INTEGER[kind](lhs, rhs)


_REBUILD = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "mod": lambda a, b: a % b,
    "floordiv": ir.AffineExpr.get_floor_div,
    "ceildiv": ir.AffineExpr.get_ceil_div,
}


def substitute_expr(expr, dims: Sequence, syms: Sequence):
    """``expr`` with dimension ``k`` replaced by ``dims[k]`` and symbol ``k`` by ``syms[k]``."""
    return fold_affine_expr(expr, operand_leaf(dims, syms, lambda e: e),
                            lambda kind, a, b: _REBUILD[kind](a, b))


def _linear_combine(kind: str, lhs: LinearForm | None, rhs: LinearForm | None):
    if lhs is None or rhs is None:
        return None
    if kind == "add":
        return lhs + rhs
    if kind == "mul":
        if not rhs.coeffs:
            return lhs.scaled(rhs.const)
        if not lhs.coeffs:
            return rhs.scaled(lhs.const)
    return None  # mod / div / non-linear products


def linear_form_of(expr, dims: Sequence, syms: Sequence) -> LinearForm | None:
    """Linear form of ``expr`` whose dims/symbols have the forms ``dims``/``syms`` (``None``
    entries for operands that are not linear), or ``None`` when ``expr`` is not linear."""
    leaf = operand_leaf(dims, syms, lambda e: LinearForm(const=e.value))
    return fold_affine_expr(expr, leaf, _linear_combine)
