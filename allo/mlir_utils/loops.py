"""Loop facts every layer asks: constant bounds, trip counts, induction variable, body.

>>> from allo._mlir import ir, new_context
>>> with new_context():
...     m = ir.Module.parse('''func.func @f() {
...       affine.for %i = 2 to 11 step 3 { }
...       return }''')
...     loop = m.body.operations[0].regions[0].blocks[0].operations[0]
...     bounds = constant_bounds(loop)
>>> bounds, trip_count(*bounds)
((2, 11, 3), 3)
"""

from __future__ import annotations

from .._mlir import ir


def constant_bounds(loop) -> tuple[int, int, int] | None:
    """``(lower, upper, step)`` of an ``affine.for`` with constant bounds, else ``None``."""
    op = loop.operation
    if op.name != "affine.for" or len(op.operands) != 0:
        return None
    bounds = []
    for key in ("lowerBoundMap", "upperBoundMap"):
        amap = ir.AffineMapAttr(op.attributes[key]).value
        if len(amap.results) != 1:
            return None
        expr = amap.results[0].maybe_downcast()
        if not isinstance(expr, ir.AffineConstantExpr):
            return None
        bounds.append(expr.value)
    return bounds[0], bounds[1], ir.IntegerAttr(op.attributes["step"]).value


def trip_count(lower: int, upper: int, step: int) -> int:
    """Number of iterations of ``for (x = lower; x < upper; x += step)``."""
    return max(0, -(-(upper - lower) // step))


def loop_iv(loop) -> ir.Value:
    """The induction variable of a loop op (first argument of its body)."""
    return loop.operation.regions[0].blocks[0].arguments[0]


def loop_body(loop) -> ir.Block:
    """The body block of a loop op."""
    return loop.operation.regions[0].blocks[0]
