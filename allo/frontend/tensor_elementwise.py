"""Element-wise whole-array builtins: ``add/sub/mul/div/power``, math functions, ``abs``,
``relu``, ``gelu`` (language.md §6.2, types from §4.3 and §5).

Each op is one affine loop nest over the (broadcast) result shape, named as a stage by the
op's ``op_name``. ``allo.add/sub/mul/div`` compute in the R-CMP type of both operands (an int
literal next to a float array takes the float type, as for operators); integer ``div``
truncates toward zero.

>>> # C = allo.add(A, 1)     # A: int8[4] -> C: int32[4] (R-CMP of int8 and the int32 literal)
"""

from __future__ import annotations

import math

from .._mlir import arith_d, math_d
from ..errors import AlloTypeError
from . import memory as mem
from .casting import constant
from .scalars import operand_types
from .scalars import materialize
from .tensor_arith import binary_in
from .tensor_emit import OpEmitter, max_value
from .types import AlloType, Index
from .typing_rules import common_type, result_type
from .values import Val

MATH_OPS = {"exp": math_d.ExpOp, "log": math_d.LogOp, "log2": math_d.Log2Op,
             "log10": math_d.Log10Op, "sqrt": math_d.SqrtOp, "sin": math_d.SinOp,
             "cos": math_d.CosOp, "tan": math_d.TanOp, "tanh": math_d.TanhOp}
_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
_GELU_C = math.sqrt(2 / math.pi)


def _pointwise(ops, op: str, inputs: list, rt: AlloType, compute, name) -> Val:
    """One loop nest computing ``out[ivs] = compute(*elements as rt)`` over the broadcast shape.

    With no array input the result is a scalar Val (no loops).
    """
    shape: tuple = ()
    for v in inputs:
        shape = mem.broadcast_or_raise(shape, tuple(v.shape))
    if not shape:
        return Val(compute(*[materialize(v, rt) for v in inputs]), rt)
    em = OpEmitter(ops, op, name)
    out = em.fresh(rt, shape)

    def body(ivs):
        values = [em.load_broadcast(v, shape, ivs, rt) for v in inputs]
        em.store(compute(*values), out, ivs)

    em.nest(shape, body)
    return out


def arith_op(ops, op: str, p: dict) -> Val:
    """``allo.add/sub/mul/div(x, y)``: element-wise in R-CMP, broadcasting, scalars allowed."""
    x, y = p["x"], p["y"]
    ta, tb = operand_types(x, y)
    rt = common_type(ta, tb)
    sym = _SYMBOL[op]
    return _pointwise(ops, op, [x, y], rt, lambda a, b: binary_in(ops, sym, a, b, rt), p["name"])


def power_op(ops, op: str, p: dict) -> Val:
    """``allo.power(x, y)``: ``x ** y`` element-wise in the R-POW float type."""
    x, y = p["x"], p["y"]
    ta, tb = operand_types(x, y)
    rt = result_type("**", ta, tb)
    return _pointwise(ops, op, [x, y], rt, lambda a, b: math_d.PowFOp(a, b).result, p["name"])


def math_op(ops, op: str, p: dict) -> Val:
    """``allo.exp/log/.../tanh(x)``: float element type (non-floats converted, §4.3)."""
    x = p["x"]
    rt = ops.float_of(x)
    cls = MATH_OPS[op]
    return _pointwise(ops, op, [x], rt, lambda a: cls(a).result, p["name"])


def abs_op(ops, op: str, p: dict) -> Val:
    """``allo.abs(x)``: absolute value in the type of ``x`` (``abs(MIN)`` wraps)."""
    x = p["x"]
    t = x.dtype
    return _pointwise(ops, op, [x], t, lambda a: ops.abs_(Val(a, t)).value, p["name"])


def relu_op(ops, op: str, p: dict) -> Val:
    """``allo.relu(x)``: ``max(x, 0)`` in the type of ``x``."""
    x = p["x"]
    t = x.dtype
    if isinstance(t, Index):
        raise AlloTypeError("allo.relu is not defined for index arrays")

    def relu(a):
        zero = constant(0.0 if t.is_float else 0, t)
        return max_value(a, zero, t)

    return _pointwise(ops, op, [x], t, relu, p["name"])


def gelu_op(ops, op: str, p: dict) -> Val:
    """``allo.gelu(x)``: ``0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³)))`` in a float type.

    Computed as the identical ``x / (1 + exp(-2·sqrt(2/π)·(x + 0.044715·x³)))``
    (``1 + tanh(u) = 2 / (1 + exp(-2u))``): one ``exp`` is several times cheaper than
    ``tanh`` in libm (docs/pytorch_frontend.md, Performance) and has no cancellation.
    """
    x = p["x"]
    rt = ops.float_of(x)

    def gelu(a):
        def c(v):
            return constant(v, rt)

        cube = arith_d.MulFOp(arith_d.MulFOp(a, a).result, a).result
        inner = arith_d.AddFOp(a, arith_d.MulFOp(c(0.044715), cube).result).result
        e = math_d.ExpOp(arith_d.MulFOp(c(-2.0 * _GELU_C), inner).result).result
        return arith_d.DivFOp(a, arith_d.AddFOp(c(1.0), e).result).result

    return _pointwise(ops, op, [x], rt, gelu, p["name"])


OPS = {"add": arith_op, "sub": arith_op, "mul": arith_op, "div": arith_op, "power": power_op,
       "abs": abs_op, "relu": relu_op, "gelu": gelu_op,
       **{name: math_op for name in MATH_OPS}}
