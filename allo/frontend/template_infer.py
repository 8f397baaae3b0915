"""Template arguments of a call written without ``[...]``, inferred from the arguments.

``inner(A, r)`` where ``inner`` is ``def inner[T, M, N](A: "T[N, M]", r: "T")`` binds each
type parameter that appears *bare* in a parameter annotation: ``T`` to the element type of
the array (or the type of a scalar), ``N``/``M`` to the array's extents. A parameter that no
argument determines takes the caller's compile-time binding of the same name (the enclosing
template's ``T``, a ``meta_for`` variable, ...). Python constants and ``index`` values (loop
variables) carry no definite Allo type, so they bind nothing; they are converted at the call
as with explicit arguments.

Two arguments that bind one parameter to different values, or a parameter that nothing
determines, raise ``AlloTypeError`` (located at the call by the caller's statement visitor).

>>> import ast
>>> from allo.frontend.types import int32
>>> class _Arg:
...     def __init__(self, dtype, shape, const=False):
...         self.dtype, self.shape, self.is_const = dtype, shape, const
...     is_array = property(lambda self: bool(self.shape))
>>> tree = ast.parse('def k(A: "T[N, M]", r: "T"): pass').body[0]
>>> infer_bindings(tree, ["T", "M", "N"], [_Arg(int32, (4, 8)), _Arg(int32, ())], {})
{'T': i32, 'M': 8, 'N': 4}
"""

from __future__ import annotations

import ast

from ..errors import AlloTypeError
from .types import Index

__all__ = ["infer_bindings"]


def infer_bindings(tree: ast.FunctionDef, names: list, args: list, caller_env: dict) -> dict:
    """``{parameter name: value}`` for every template parameter ``names`` of ``tree``.

    ``args`` are the call's evaluated arguments (``dtype``, ``shape``, ``is_const``);
    ``caller_env`` the caller's compile-time bindings, consulted for parameters that no
    argument determines.
    """
    wanted = set(names)
    found: dict = {}
    origin: dict = {}
    for k, (param, arg) in enumerate(zip(tree.args.args, args)):
        pattern = _annotation_expr(param.annotation)
        for name, value in _match(pattern, arg, wanted):
            if name in found and not _same(found[name], value):
                raise AlloTypeError(
                    f"template kernel '{tree.name}': cannot infer {name}: argument "
                    f"{origin[name]} gives {found[name]} but argument {k} gives {value}")
            if name not in found:
                found[name], origin[name] = value, k
    out = {}
    for name in names:
        if name in found:
            out[name] = found[name]
        elif name in caller_env:
            out[name] = caller_env[name]
        else:
            raise AlloTypeError(
                f"template kernel '{tree.name}' called without type arguments: cannot infer "
                f"{name} from the arguments or the caller's template arguments")
    return out


def _annotation_expr(node):
    """The annotation as an expression tree (string annotations parsed), refinements dropped."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        node = node.left  # ``T[N] @ Layout(...)``: the layout binds nothing
    return node


def _match(pattern, arg, wanted: set):
    """The ``(name, value)`` pairs that matching ``arg`` against ``pattern`` determines."""
    if pattern is None or arg.dtype is None:
        return
    shape = tuple(arg.shape or ())
    if isinstance(pattern, ast.Subscript):
        dims = pattern.slice.elts if isinstance(pattern.slice, ast.Tuple) else [pattern.slice]
        if len(dims) != len(shape):
            return  # a rank mismatch is reported by the call's argument check
        if isinstance(pattern.value, ast.Name) and pattern.value.id in wanted:
            yield pattern.value.id, arg.dtype
        for dim, extent in zip(dims, shape):
            if isinstance(dim, ast.Name) and dim.id in wanted:
                yield dim.id, int(extent)
    elif isinstance(pattern, ast.Name) and pattern.id in wanted and not shape:
        # constants and index values (loop variables) have no definite Allo type
        if not arg.is_const and not isinstance(arg.dtype, Index):
            yield pattern.id, arg.dtype


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b
