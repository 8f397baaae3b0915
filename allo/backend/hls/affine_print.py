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


def print_expr(expr, dims: list[str], syms: list[str]) -> str:
    """C++ text of ``expr`` with ``d<k>`` → ``dims[k]`` and ``s<k>`` → ``syms[k]``.

    ``(a + b)``, ``(a * 4)``, ``x + (-c)`` → ``(x - c)``, ``x * -1`` → ``(-x)``, floordiv
    ``/``, mod ``%``, ceildiv ``((a + b - 1) / b)``.
    """
    if isinstance(expr, ir.AffineConstantExpr):
        return str(expr.value)
    if isinstance(expr, ir.AffineDimExpr):
        return dims[expr.position]
    if isinstance(expr, ir.AffineSymbolExpr):
        return syms[expr.position]
    if isinstance(expr, ir.AffineAddExpr):
        lhs = print_expr(expr.lhs, dims, syms)
        rhs = expr.rhs
        if isinstance(rhs, ir.AffineConstantExpr) and rhs.value < 0:
            return f"({lhs} - {-rhs.value})"
        if (isinstance(rhs, ir.AffineMulExpr) and isinstance(rhs.rhs, ir.AffineConstantExpr)
                and rhs.rhs.value == -1):
            return f"({lhs} - {print_expr(rhs.lhs, dims, syms)})"
        return f"({lhs} + {print_expr(rhs, dims, syms)})"
    if isinstance(expr, ir.AffineMulExpr):
        rhs = expr.rhs
        if isinstance(rhs, ir.AffineConstantExpr) and rhs.value == -1:
            return f"(-{print_expr(expr.lhs, dims, syms)})"
        return f"({print_expr(expr.lhs, dims, syms)} * {print_expr(rhs, dims, syms)})"
    if isinstance(expr, ir.AffineFloorDivExpr):
        return f"({print_expr(expr.lhs, dims, syms)} / {print_expr(expr.rhs, dims, syms)})"
    if isinstance(expr, ir.AffineModExpr):
        return f"({print_expr(expr.lhs, dims, syms)} % {print_expr(expr.rhs, dims, syms)})"
    if isinstance(expr, ir.AffineCeilDivExpr):
        a = print_expr(expr.lhs, dims, syms)
        b = print_expr(expr.rhs, dims, syms)
        return f"(({a} + {b} - 1) / {b})"
    raise BuildError(f"unsupported affine expression {expr}")


def map_operands(amap, operands: list[str]) -> tuple[list[str], list[str]]:
    """Split an affine op's operand texts into the map's dims and symbols."""
    n_dims = amap.n_dims
    return operands[:n_dims], operands[n_dims:]


def print_map_results(amap, operands: list[str]) -> list[str]:
    """One C++ expression per result of ``amap`` applied to ``operands``."""
    dims, syms = map_operands(amap, operands)
    return [print_expr(e, dims, syms) for e in amap.results]


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
