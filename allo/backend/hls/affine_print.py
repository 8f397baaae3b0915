"""Affine expressions and maps printed as fully parenthesized C++ (``backends.md`` §3.5).

>>> from allo._mlir import ir
>>> with ir.Context():
...     e = ir.AffineDimExpr.get(0) * 4 + ir.AffineDimExpr.get(1)
...     print_expr(e, ["i", "j"], [])
'((i * 4) + j)'
"""

from __future__ import annotations

from ..._mlir import ir
from ...errors import BuildError
from ...mlir_utils import fold_affine_expr, operand_leaf


def print_expr(expr, dims: list[str], syms: list[str], nonneg=frozenset()) -> str:
    """C++ text of ``expr`` with ``d<k>`` → ``dims[k]`` and ``s<k>`` → ``syms[k]``.

    ``(a + b)``, ``(a * 4)``, ``x + (-c)`` → ``(x - c)``, ``x * -1`` → ``(-x)``, floordiv
    ``/``, mod ``%``, ceildiv ``((a + b - 1) / b)``. C++ division truncates toward zero while
    affine ``floordiv``/``mod``/``ceildiv`` round toward minus infinity, so those short forms
    are used only when the dividend is provably non-negative (its operands are non-negative
    literals or texts listed in ``nonneg``, such as loop variables counting up from 0); any
    other dividend gets an exact form, e.g. ``(((i - 2) % 4) + 4) % 4`` for ``(i - 2) mod 4``.

    >>> from allo._mlir import ir
    >>> with ir.Context():
    ...     d0 = ir.AffineDimExpr.get(0)
    ...     e = ir.AffineExpr.get_mod(d0 - 2, ir.AffineConstantExpr.get(4))
    ...     print_expr(e, ["i"], []), print_expr(ir.AffineExpr.get_mod(d0, 4), ["i"], [], {"i"})
    ('((((i - 2) % 4) + 4) % 4)', '(i % 4)')
    """
    def text(e):
        return print_expr(e, dims, syms, nonneg)

    def provably_nonneg(e):
        return is_nonneg(e, dims, syms, nonneg)

    if isinstance(expr, ir.AffineConstantExpr):
        return str(expr.value)
    if isinstance(expr, ir.AffineDimExpr):
        return dims[expr.position]
    if isinstance(expr, ir.AffineSymbolExpr):
        return syms[expr.position]
    if isinstance(expr, ir.AffineAddExpr):
        lhs = text(expr.lhs)
        rhs = expr.rhs
        if isinstance(rhs, ir.AffineConstantExpr) and rhs.value < 0:
            return f"({lhs} - {-rhs.value})"
        if (isinstance(rhs, ir.AffineMulExpr) and isinstance(rhs.rhs, ir.AffineConstantExpr)
                and rhs.rhs.value == -1):
            return f"({lhs} - {text(rhs.lhs)})"
        return f"({lhs} + {text(rhs)})"
    if isinstance(expr, ir.AffineMulExpr):
        rhs = expr.rhs
        if isinstance(rhs, ir.AffineConstantExpr) and rhs.value == -1:
            return f"(-{text(expr.lhs)})"
        return f"({text(expr.lhs)} * {text(rhs)})"
    if isinstance(expr, (ir.AffineFloorDivExpr, ir.AffineModExpr, ir.AffineCeilDivExpr)):
        a, b = text(expr.lhs), text(expr.rhs)
        exact = not provably_nonneg(expr.lhs)
        if isinstance(expr, ir.AffineFloorDivExpr):
            if exact:
                return f"(({a} < 0) ? (({a} - {_minus_one(expr.rhs, b)}) / {b}) : ({a} / {b}))"
            return f"({a} / {b})"
        if isinstance(expr, ir.AffineModExpr):
            if exact:
                return f"((({a} % {b}) + {b}) % {b})"
            return f"({a} % {b})"
        if exact:
            return f"(({a} > 0) ? (({a} + {b} - 1) / {b}) : ({a} / {b}))"
        return f"(({a} + {b} - 1) / {b})"
    raise BuildError(f"unsupported affine expression {expr}")


def _minus_one(rhs, text: str) -> str:
    """``rhs - 1`` as text (folded for a constant divisor)."""
    if isinstance(rhs, ir.AffineConstantExpr):
        return str(rhs.value - 1)
    return f"({text} - 1)"


def _nonneg_text(text: str, nonneg) -> bool:
    return text in nonneg or text.isdigit()


def is_nonneg(expr, dims: list[str], syms: list[str], nonneg=frozenset()) -> bool:
    """Whether ``expr`` is provably >= 0 when the operand texts in ``nonneg`` are.

    Conservative: ``False`` means "not proven". ``mod`` by a positive divisor is always
    non-negative under the affine (floor) semantics the printer implements.
    """
    leaf = operand_leaf([_nonneg_text(text, nonneg) for text in dims],
                        [_nonneg_text(text, nonneg) for text in syms], lambda e: e.value >= 0)
    return fold_affine_expr(expr, leaf, lambda kind, a, b: kind == "mod" or (a and b))


def map_operands(amap, operands: list[str]) -> tuple[list[str], list[str]]:
    """Split an affine op's operand texts into the map's dims and symbols."""
    n_dims = amap.n_dims
    return operands[:n_dims], operands[n_dims:]


def print_map_results(amap, operands: list[str], nonneg=frozenset()) -> list[str]:
    """One C++ expression per result of ``amap`` applied to ``operands``."""
    dims, syms = map_operands(amap, operands)
    return [print_expr(e, dims, syms, nonneg) for e in amap.results]


def map_results_nonneg(amap, operands: list[str], nonneg=frozenset()) -> list[bool]:
    """Per result of ``amap``: whether it is provably non-negative (see :func:`is_nonneg`)."""
    dims, syms = map_operands(amap, operands)
    return [is_nonneg(e, dims, syms, nonneg) for e in amap.results]


def fold_minmax(kind: str, exprs: list[str]) -> str:
    """``min(a, min(b, c))`` for several results; the expression itself for one."""
    if len(exprs) == 1:
        return exprs[0]
    return f"{kind}({exprs[0]}, {fold_minmax(kind, exprs[1:])})"


def constant_value(expr):
    """The integer value of a constant affine expression, else ``None``."""
    if isinstance(expr, ir.AffineConstantExpr):
        return expr.value
    return None
