"""Evaluating affine expressions and maps over operand values (mlir_utils.affine): the one
leaf every evaluator uses, checked against MLIR's own constant folding."""

import itertools
import random

from allo._mlir import ir, new_context
from allo.mlir_utils import fold_affine_expr, fold_affine_map, operand_leaf, substitute_expr


def _random_expr(rng, n_dims: int, n_syms: int, depth: int):
    """A random affine expression over d0.., s0.., with mod/floordiv/ceildiv by constants."""
    if depth == 0 or rng.random() < 0.25:
        choice = rng.randrange(3)
        if choice == 0:
            return ir.AffineDimExpr.get(rng.randrange(n_dims))
        if choice == 1:
            return ir.AffineSymbolExpr.get(rng.randrange(n_syms))
        return ir.AffineConstantExpr.get(rng.randint(-6, 6))
    lhs = _random_expr(rng, n_dims, n_syms, depth - 1)
    kind = rng.randrange(5)
    if kind == 0:
        return lhs + _random_expr(rng, n_dims, n_syms, depth - 1)
    divisor = ir.AffineConstantExpr.get(rng.randint(1, 5))
    if kind == 1:
        return lhs * ir.AffineConstantExpr.get(rng.randint(-3, 3))
    if kind == 2:
        return ir.AffineExpr.get_mod(lhs, divisor)
    if kind == 3:
        return ir.AffineExpr.get_floor_div(lhs, divisor)
    return ir.AffineExpr.get_ceil_div(lhs, divisor)


def _mlir_value(expr, dims, syms) -> int:
    consts = [ir.AffineConstantExpr.get(v) for v in dims]
    sym_consts = [ir.AffineConstantExpr.get(v) for v in syms]
    folded = ir.AffineExpr.simplify_affine_expr(substitute_expr(expr, consts, sym_consts), 0, 0)
    folded = folded.maybe_downcast()
    assert isinstance(folded, ir.AffineConstantExpr), str(folded)
    return folded.value


def test_integer_map_results_match_mlir_constant_folding():
    rng = random.Random(11)
    with new_context():
        for _ in range(60):
            exprs = [_random_expr(rng, 2, 1, 4) for _ in range(2)]
            amap = ir.AffineMap.get(2, 1, exprs)
            for point in itertools.product((-7, -1, 0, 5), repeat=3):
                expected = [_mlir_value(e, point[:2], point[2:]) for e in exprs]
                assert fold_affine_map(amap, list(point)) == expected, str(amap)


def test_leaf_takes_dims_then_symbols_and_maps_constants():
    with new_context():
        d0, s0 = ir.AffineDimExpr.get(0), ir.AffineSymbolExpr.get(0)
        amap = ir.AffineMap.get(1, 1, [d0 * 2 + s0 + 3])
        # symbolic values: the leaf hands back whatever stands for each operand
        text = fold_affine_map(amap, ["i", "n"], lambda kind, a, b: f"({a} {kind} {b})",
                               constant=lambda e: str(e.value))
        assert text == ["(((i mul 2) add n) add 3)"]
        # intervals, as the dependence test uses them
        leaf = operand_leaf([(0, 4)], [(1, 1)], lambda e: (e.value, e.value))
        add = lambda kind, a, b: (a[0] + b[0], a[1] + b[1])  # noqa: E731
        assert fold_affine_expr(d0 + s0 + 3, leaf, add) == (4, 8)


def test_float_map_results_on_mean_values():
    with new_context():
        d0 = ir.AffineDimExpr.get(0)
        amap = ir.AffineMap.get(1, 0, [d0 + 1, d0 * 3])
        ops = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b}
        result = fold_affine_map(amap, [2.5], lambda kind, a, b: ops[kind](a, b),
                                 constant=lambda e: float(e.value))
        assert result == [3.5, 7.5]
