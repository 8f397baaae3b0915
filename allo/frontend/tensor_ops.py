"""Whole-array built-in operations ``allo.<op>(...)`` inside kernels (language.md §6.2).

The frontend's call visitor hands every array builtin to :func:`build_tensor_op` with the
positional arguments already compiled to :class:`Val` and the keyword arguments as AST nodes.
This module binds the arguments to the op's signature (run-time array parameters are compiled,
compile-time ones such as shapes, axes, ``eps``, ``dtype`` and ``name`` are evaluated by Python)
and dispatches to the implementation modules:

* :mod:`allo.frontend.tensor_contract` — ``matmul``, ``bmm``, ``linear``, ``conv2d``, pools;
* :mod:`allo.frontend.tensor_elementwise` — ``add/sub/mul/div/power``, math functions, ``abs``,
  ``relu``, ``gelu``;
* :mod:`allo.frontend.tensor_layout` — ``transpose``, ``view``, ``concat``, ``copy``, ``tril``,
  ``ones``/``zeros``;
* :mod:`allo.frontend.tensor_norm` — ``softmax``, ``layernorm``.

Every op returns a fresh array (``extra["fresh"]``), so ``T = allo.matmul(A, B)`` names the
result buffer ``T``. The IR follows docs/ir.md ("Whole-array operations").

>>> sorted(OP_SIGNATURES)[:4]
['abs', 'add', 'bmm', 'concat']
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import message_of
from ..errors import AlloSyntaxError, AlloTypeError
from . import tensor_contract, tensor_elementwise, tensor_layout, tensor_norm
from .annotations import eval_compile_time
from .values import Val

_NO_DEFAULT = object()


@dataclass(frozen=True)
class OpSignature:
    """Parameters of one builtin: names in order, which are run-time values, defaults."""

    params: tuple
    runtime: frozenset
    defaults: dict = field(default_factory=dict)
    aliases: dict = field(default_factory=dict)  # keyword alias -> parameter
    varargs: str | None = None  # a parameter that also collects extra positional ints


def _sig(params, runtime, defaults=None, aliases=None, varargs=None) -> OpSignature:
    return OpSignature(tuple(params), frozenset(runtime), dict(defaults or {}),
                       dict(aliases or {}), varargs)


_UNARY = _sig(["x"], ["x"])
_BINARY = _sig(["x", "y"], ["x", "y"])

OP_SIGNATURES: dict[str, OpSignature] = {
    "matmul": _sig(["A", "B"], ["A", "B"]),
    "bmm": _sig(["A", "B"], ["A", "B"]),
    "linear": _sig(["X", "W", "bias"], ["X", "W", "bias"], {"bias": None}),
    "conv2d": _sig(["X", "W"], ["X", "W"]),
    "maxpool": _sig(["X", "win"], ["X", "win"]),
    "sumpool": _sig(["X", "win"], ["X", "win"]),
    "add": _BINARY, "sub": _BINARY, "mul": _BINARY, "div": _BINARY, "power": _BINARY,
    "exp": _UNARY, "log": _UNARY, "log2": _UNARY, "log10": _UNARY, "sqrt": _UNARY,
    "sin": _UNARY, "cos": _UNARY, "tan": _UNARY, "tanh": _UNARY, "abs": _UNARY,
    "relu": _UNARY, "gelu": _UNARY, "softmax": _UNARY, "tril": _UNARY, "copy": _UNARY,
    "layernorm": _sig(["x", "gamma", "beta", "eps"], ["x", "gamma", "beta"], {"eps": 1e-5}),
    "transpose": _sig(["x", "axes"], ["x"], {"axes": None}, {"permutation": "axes"}, "axes"),
    "view": _sig(["x", "shape"], ["x"], varargs="shape"),
    "concat": _sig(["x", "y", "axis"], ["x", "y"], {"axis": 0}),
    "ones": _sig(["shape", "dtype"], [], {"dtype": None}),
    "zeros": _sig(["shape", "dtype"], [], {"dtype": None}),
}


def _python_value(v: Val, op: str, param: str) -> Any:
    """The compile-time Python value of an already compiled positional argument."""
    if v.value is None and v.const is not None:
        return v.const
    if v.value is None and v.affine is not None and v.affine.const_value() is not None:
        return v.affine.const_value()
    raise AlloTypeError(f"argument '{param}' of allo.{op} must be a compile-time constant")


def bind_arguments(exprs, op: str, args: list, kwargs: dict) -> dict:
    """Bind ``args`` (Vals) and ``kwargs`` (AST nodes, compiled by the expression visitor
    ``exprs``) to ``op``'s parameters.

    Returns ``{param: Val or Python value}`` plus ``"name"`` (the ``name=`` keyword or None).
    """
    sig = OP_SIGNATURES[op]
    bound: dict = {}
    params = list(sig.params)
    extra = list(args[len(params):])
    if extra and sig.varargs is None:
        raise AlloTypeError(f"allo.{op} takes {len(params)} positional arguments, got {len(args)}")
    for p, v in zip(params, args):
        bound[p] = v if p in sig.runtime else _python_value(v, op, p)
    if extra:
        # transpose(x, 1, 0) / view(x, 4, 5): trailing ints form the tuple parameter
        first = bound.get(sig.varargs)
        items = [first] + [_python_value(v, op, sig.varargs) for v in extra]
        bound[sig.varargs] = tuple(items)
    name = None
    for key, node in kwargs.items():
        if key == "name":
            name = _compile_time(exprs, node, op, key)
            if not isinstance(name, str) or not name:
                raise AlloTypeError(f"name= of allo.{op} must be a non-empty string")
            continue
        param = sig.aliases.get(key, key)
        if param not in params:
            raise AlloSyntaxError(f"allo.{op} got an unexpected keyword argument '{key}'")
        if param in bound:
            raise AlloSyntaxError(f"allo.{op} got multiple values for argument '{param}'")
        bound[param] = exprs.visit_expr(node) if param in sig.runtime else _compile_time(exprs, node, op, key)
    for p in params:
        if p not in bound:
            if p not in sig.defaults:
                raise AlloTypeError(f"allo.{op} missing required argument '{p}'")
            bound[p] = sig.defaults[p]
    bound["name"] = name
    return bound


def _compile_time(exprs, node: ast.expr, op: str, key: str):
    try:
        return eval_compile_time(node, exprs.ctx.compile_env())
    except Exception as err:  # noqa: BLE001 - any failure means "not a compile-time value"
        raise AlloTypeError(
            f"argument '{key}' of allo.{op} must be a compile-time constant ({message_of(err)})") from err


def build_tensor_op(exprs, name: str, args: list, kwargs: dict) -> Val:
    """Compile ``allo.<name>(*args, **kwargs)`` into the current function; returns its result.

    ``exprs`` is the function's expression visitor, ``args`` are compiled Vals, ``kwargs``
    AST nodes. Raises ``AlloTypeError`` for shape and
    type errors (language.md §6.2), ``AlloSyntaxError`` for unknown keywords.

    >>> # the call visitor routes allo.matmul(A, B) here:
    >>> # C = build_tensor_op(self.exprs, "matmul", [A, B], {})
    """
    if name not in OP_SIGNATURES:
        raise AlloSyntaxError(f"Unsupported function call or attribute method `.{name}`")
    bound = bind_arguments(exprs, name, args, kwargs)
    for p in OP_SIGNATURES[name].runtime:
        v = bound.get(p)
        if isinstance(v, Val) and v.dtype is None:
            raise AlloTypeError(f"argument '{p}' of allo.{name} must be an array or a scalar value")
        if isinstance(v, Val) and v.is_array and -1 in tuple(v.shape):
            raise AlloTypeError(f"allo.{name} does not support arrays of dynamic shape")
    for module in (tensor_contract, tensor_elementwise, tensor_layout, tensor_norm):
        impl = module.OPS.get(name)
        if impl is not None:
            result = impl(exprs.ops, name, bound)
            if result.is_array:
                result.extra["fresh"] = True
            return result
    raise AlloSyntaxError(f"Unsupported function call or attribute method `.{name}`")
