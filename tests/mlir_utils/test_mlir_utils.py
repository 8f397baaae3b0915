"""The shared MLIR utilities: affine folds and linear forms checked against evaluation,
function lookup, loop bounds."""

import itertools
import random

import pytest

from allo._mlir import ir, new_context
from allo.mlir_utils import (LinearForm, constant_bounds, find_func, find_symbol, fold_affine_expr,
                             func_name, linear_form_of, loop_body, loop_iv, ops_named,
                             substitute_expr, trip_count)


def _random_linear_expr(rng, n_dims: int, n_syms: int, depth: int):
    """A random linear affine expression over d0.., s0.. (products only by constants)."""
    if depth == 0 or rng.random() < 0.3:
        choice = rng.randrange(3)
        if choice == 0 and n_dims:
            return ir.AffineDimExpr.get(rng.randrange(n_dims))
        if choice == 1 and n_syms:
            return ir.AffineSymbolExpr.get(rng.randrange(n_syms))
        return ir.AffineConstantExpr.get(rng.randint(-5, 5))
    lhs = _random_linear_expr(rng, n_dims, n_syms, depth - 1)
    if rng.random() < 0.5:
        return lhs + _random_linear_expr(rng, n_dims, n_syms, depth - 1)
    return lhs * ir.AffineConstantExpr.get(rng.randint(-3, 3))


def _evaluate(expr, dims, syms) -> int:
    """Integer value of ``expr`` by MLIR itself: substitute constants, then simplify."""
    consts = [ir.AffineConstantExpr.get(v) for v in dims]
    sym_consts = [ir.AffineConstantExpr.get(v) for v in syms]
    folded = ir.AffineExpr.simplify_affine_expr(substitute_expr(expr, consts, sym_consts), 0, 0)
    assert isinstance(folded.maybe_downcast(), ir.AffineConstantExpr), str(folded)
    return folded.maybe_downcast().value


def test_linear_forms_of_random_expressions_evaluate_like_mlir():
    rng = random.Random(7)
    with new_context():
        for _ in range(200):
            expr = _random_linear_expr(rng, 2, 1, 4)
            form = linear_form_of(expr, [LinearForm({"d0": 1}), LinearForm({"d1": 1})],
                                  [LinearForm({"s0": 1})])
            assert form is not None, str(expr)
            for point in itertools.product((-2, 0, 3), repeat=3):
                env = dict(zip(("d0", "d1", "s0"), point))
                value = form.const + sum(c * env[a] for a, c in form.coeffs.items())
                assert value == _evaluate(expr, point[:2], point[2:]), str(expr)


def test_mod_floordiv_and_products_of_variables_have_no_linear_form():
    with new_context():
        d0, d1 = ir.AffineDimExpr.get(0), ir.AffineDimExpr.get(1)
        dims = [LinearForm({"i": 1}), LinearForm({"j": 1})]
        assert linear_form_of(d0 % 4, dims, []) is None
        assert linear_form_of(ir.AffineExpr.get_floor_div(d0, 2) + d1, dims, []) is None
        assert linear_form_of(d0 * d1, dims, []) is None
        assert linear_form_of(d0 + d1, [None, LinearForm({"j": 1})], []) is None


def test_fold_sees_every_node_kind():
    with new_context():
        d0, s0 = ir.AffineDimExpr.get(0), ir.AffineSymbolExpr.get(0)
        expr = ir.AffineExpr.get_ceil_div(d0 % 3 + s0 * 2, 4) + ir.AffineExpr.get_floor_div(d0, 5)
        kinds = []
        fold_affine_expr(expr, lambda e: None, lambda kind, a, b: kinds.append(kind))
        assert sorted(kinds) == ["add", "add", "ceildiv", "floordiv", "mod", "mul"]


def test_linear_form_arithmetic_drops_zero_terms():
    a = LinearForm({"i": 2, "j": 1}, 3)
    assert a - a == LinearForm()
    assert (a + LinearForm({"j": -1})).coeffs == {"i": 2}
    assert a.scaled(0) == LinearForm() and a.scaled(-1).const == -3
    assert a.split(lambda atom: atom == "i") == (LinearForm({"i": 2}), LinearForm({"j": 1}, 3))
    assert len({a, LinearForm({"j": 1, "i": 2}, 3)}) == 1


_MODULE = '''
memref.global "private" @g : memref<4xi32> = dense<0>
func.func @helper(%x: index) -> index { return %x : index }
func.func @top() {
  affine.for %i = 2 to 11 step 3 {
    %r = func.call @helper(%i) : (index) -> index
  }
  affine.for %j = 0 to %i0 { }
  return
}'''


def test_function_and_symbol_lookup_from_a_module_or_any_op_inside():
    with new_context():
        m = ir.Module.parse(_MODULE.replace("%i0", "4"))
        call = ops_named(m.operation, "func.call")[0]
        assert func_name(find_func(m, "helper")) == "helper"
        assert func_name(find_func(call, "top")) == "top"
        assert find_func(m, "missing") is None
        assert find_func(m, "g") is None  # a global is not a function
        assert func_name(find_symbol(call, "g", "memref.global")) == "g"


def test_constant_bounds_and_trip_counts():
    with new_context():
        m = ir.Module.parse(_MODULE.replace("affine.for %j = 0 to %i0 { }", ""))
        loop = ops_named(m.operation, "affine.for")[0]
        assert constant_bounds(loop) == (2, 11, 3)
        assert trip_count(*constant_bounds(loop)) == 3
        assert loop_iv(loop) == loop_body(loop).arguments[0]
        m2 = ir.Module.parse('''func.func @f(%n: index) {
          affine.for %j = 0 to %n { }
          return }''')
        assert constant_bounds(ops_named(m2.operation, "affine.for")[0]) is None


@pytest.mark.parametrize("bounds, expected", [((0, 10, 1), 10), ((0, 10, 3), 4), ((5, 5, 1), 0),
                                              ((7, 2, 1), 0), ((-4, 4, 4), 2)])
def test_trip_count(bounds, expected):
    assert trip_count(*bounds) == expected
