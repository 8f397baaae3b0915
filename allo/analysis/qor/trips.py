"""Trip counts of loops whose bounds depend on enclosing loops (triangular nests).

HLS reports such loops with a minimum and a maximum latency; an estimate of the total needs
the *average* trip count. Bounds are affine in the enclosing induction variables, so the
average trip count is the trip count at the enclosing variables' mean values (``max`` of
several lower bounds and ``min`` of several upper bounds are taken at those means too).

>>> from allo._mlir import ir, new_context
>>> with new_context():
...     m = ir.Module.parse('''func.func @f() {
...       affine.for %i = 0 to 8 {
...         affine.for %j = 0 to affine_map<(d0) -> (d0)>(%i) { }
...       }
...       return }''')
...     outer = m.body.operations[0].regions[0].blocks[0].operations[0]
...     inner = outer.regions[0].blocks[0].operations[0]
...     iv = outer.regions[0].blocks[0].arguments[0]
...     average_trip_count(inner, {iv: 3.5})
3.5
"""

from __future__ import annotations

import math

from ..._mlir import ir
from ...mlir_utils import constant_bounds, constant_int, fold_affine_map, trip_count

_COMBINE = {
    "add": lambda a, b: a + b,
    "mul": lambda a, b: a * b,
    "mod": lambda a, b: a % b if b else 0.0,
    "floordiv": lambda a, b: a / b if b else 0.0,  # on means: no rounding
    "ceildiv": lambda a, b: a / b if b else 0.0,
}


def _evaluate(amap, values: list) -> list[float]:
    return fold_affine_map(amap, values, lambda kind, a, b: _COMBINE[kind](a, b),
                           lambda e: float(e.value))


def average_trip_count(loop, means: dict) -> float | None:
    """Average iterations of ``affine.for`` ``loop`` given the mean value of each
    enclosing induction variable in ``means`` (``None`` if a bound uses anything else)."""
    op = loop.operation
    if op.name == "scf.for":
        return _scf_trip_count(op, means)
    if op.name != "affine.for":
        return None
    lower_map = ir.AffineMapAttr(op.attributes["lowerBoundMap"]).value
    upper_map = ir.AffineMapAttr(op.attributes["upperBoundMap"]).value
    operands = list(op.operands)
    n_lower = lower_map.n_dims + lower_map.n_symbols
    values = []
    for v in operands:
        if v not in means:
            return None
        values.append(means[v])
    lower = max(_evaluate(lower_map, values[:n_lower]))
    upper = min(_evaluate(upper_map, values[n_lower:]))
    step = ir.IntegerAttr(op.attributes["step"]).value
    return max(0.0, (upper - lower) / step)


def _scalar_value(value, means: dict) -> float | None:
    if value in means:
        return means[value]
    constant = constant_int(value)
    return None if constant is None else float(constant)


def _scf_trip_count(op, means: dict) -> float | None:
    lower, upper, step = (_scalar_value(v, means) for v in list(op.operands)[:3])
    if lower is None or upper is None or not step:
        return None
    return max(0.0, (upper - lower) / step)


def _loop_trip_count(loop, means: dict) -> float | None:
    """Iterations of ``loop``: exact when its bounds are constants, else
    :func:`average_trip_count` at the enclosing induction variables' ``means``."""
    bounds = constant_bounds(loop)
    if bounds is not None:
        return trip_count(*bounds)
    return average_trip_count(loop, means)


def iv_mean(loop, trips: float) -> float | None:
    """Mean value of the induction variable of ``loop`` over its ``trips`` iterations, or
    ``None`` when its lower bound is not a constant.

    >>> from allo._mlir import ir, new_context
    >>> with new_context():
    ...     m = ir.Module.parse('''func.func @f(%n: index) {
    ...       affine.for %i = 2 to %n step 3 { }
    ...       return }''')
    ...     iv_mean(m.body.operations[0].regions[0].blocks[0].operations[0], 4)
    6.5
    """
    op = loop.operation
    bounds = constant_bounds(op)
    if bounds is not None:
        return mean_value(bounds[0], trips, bounds[2])
    if op.name != "affine.for":
        return None
    lower_map = ir.AffineMapAttr(op.attributes["lowerBoundMap"]).value
    if lower_map.n_dims + lower_map.n_symbols or not len(lower_map.results):
        return None
    lower = max(e.maybe_downcast().value for e in lower_map.results)
    return mean_value(lower, trips, ir.IntegerAttr(op.attributes["step"]).value)


def nest_trip_counts(loops) -> list[float] | None:
    """Average iterations of each loop of a nest, outermost first (each per iteration of
    the loops around it), or ``None`` when a bound uses anything but constants and the
    induction variables of enclosing loops.

    >>> from allo._mlir import ir, new_context
    >>> with new_context():
    ...     m = ir.Module.parse('''func.func @f() {
    ...       affine.for %i = 0 to 8 {
    ...         affine.for %j = 0 to affine_map<(d0) -> (d0 + 1)>(%i) { }
    ...       }
    ...       return }''')
    ...     outer = m.body.operations[0].regions[0].blocks[0].operations[0]
    ...     nest_trip_counts([outer, outer.regions[0].blocks[0].operations[0]])
    [8, 4.5]
    """
    means: dict = {}
    counts = []
    for loop in loops:
        trips = _loop_trip_count(loop, means)
        if trips is None:
            return None
        mean = iv_mean(loop, trips)
        if mean is not None:
            means[loop.operation.regions[0].blocks[0].arguments[0]] = mean
        counts.append(trips)
    return counts


def mean_value(lower: float, trips: float, step: int) -> float:
    """Mean of a loop's induction variable over its iterations.

    >>> mean_value(0, 8, 1), mean_value(2, 3, 3)
    (3.5, 5.0)
    """
    return lower + (max(trips, 1) - 1) * step / 2.0


def rounded(trips: float) -> int:
    """An average trip count as the integer the report shows (at least 0)."""
    return max(0, int(math.floor(trips + 0.5)))
