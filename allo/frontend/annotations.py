"""Compile-time evaluation of type annotations (language.md §2.2)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from ..diagnostics import message_of
from ..errors import AlloSyntaxError, AlloTypeError, DTypeError
from ..language import Memory
from . import types as _types
from .types import AlloType, ConstExpr, Stateful, Stream, TypeAnnotation


@dataclass
class ParsedType:
    """A resolved annotation: element type, shape, and refinements."""

    dtype: AlloType
    shape: tuple = ()
    memory: Any = None  # allo.Memory
    stateful: bool = False
    constexpr: bool = False
    layout: Any = None
    dynamic: bool = False  # float32[...]


def _base_node(node):
    """The type name an annotation starts from: ``int32`` in ``int32[N, M] @ Stateful``."""
    while isinstance(node, (ast.Subscript, ast.Call, ast.BinOp)):
        node = node.value if isinstance(node, ast.Subscript) else (
            node.func if isinstance(node, ast.Call) else node.left)
    return node


def _base_name(node) -> str:
    node = _base_node(node)
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ast.unparse(node) if hasattr(ast, "unparse") else "?"


def eval_compile_time(node, env: dict, filename: str = "<kernel>"):
    """Evaluate an AST expression with Python at compile time."""
    expr = ast.Expression(body=node)
    ast.fix_missing_locations(expr)
    return eval(compile(expr, filename, "eval"), env)  # noqa: S307 - kernel compile-time items


def parse_annotation(node, env: dict) -> ParsedType:
    """Resolve an annotation AST node to a :class:`ParsedType`.

    Raises ``AlloTypeError("Unsupported type `Name`")`` for unknown names.
    """
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            inner = ast.parse(node.value, mode="eval").body
        except SyntaxError as err:
            raise AlloTypeError(f"Unsupported type `{node.value}`") from err
        return parse_annotation(inner, env)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        base = parse_annotation(node.left, env)
        refinement = _eval(node.right, env, node)

        if refinement is Stateful or isinstance(refinement, Stateful):
            base.stateful = True
        elif isinstance(refinement, Memory):
            base.memory = refinement
        else:
            base.layout = refinement
        return base
    if isinstance(node, ast.Subscript) and _base_name(node.value) == "ConstExpr":
        inner = parse_annotation(node.slice, env)
        if inner.shape:
            raise AlloTypeError("ConstExpr only supports scalar types")
        inner.constexpr = True
        return inner
    value = _eval(node, env, node)
    # decision: Python's builtin scalar names work as annotations
    value = {bool: _types.bool, int: _types.int32, float: _types.float32}.get(value, value) \
        if isinstance(value, type) else value
    if isinstance(value, Stream):
        return ParsedType(value, ())
    if isinstance(value, TypeAnnotation):
        shape = []
        dynamic = False
        for d in value.shape:
            if d is Ellipsis:
                dynamic = True
                shape.append(-1)
                continue
            if hasattr(d, "__index__") and not isinstance(d, bool):
                d = int(d)
            if not isinstance(d, int):
                raise AlloTypeError(f"array dimension {d!r} is not a compile-time integer")
            if d < 1:
                raise AlloTypeError(f"array dimension must be a positive integer, got {d}")
            shape.append(d)
        if not isinstance(value.dtype, AlloType):
            raise AlloTypeError(f"Unsupported type `{_base_name(node)}`")
        return ParsedType(value.dtype, tuple(shape), dynamic=dynamic, stateful=value.dtype.stateful)
    if isinstance(value, AlloType):
        return ParsedType(value, (), stateful=value.stateful)
    if value is ConstExpr:
        raise AlloTypeError("ConstExpr needs a scalar type: ConstExpr[int32]")
    raise AlloTypeError(f"Unsupported type `{_base_name(node)}`")


def _eval(node, env, whole):
    try:
        return eval_compile_time(node, env)
    except DTypeError:
        raise
    except (NameError, AttributeError, KeyError) as err:
        raise _lookup_error(err, env, whole) from err
    except (AlloTypeError, AlloSyntaxError):
        raise
    except Exception as err:  # noqa: BLE001 - any evaluation failure is a type error here
        raise AlloTypeError(f"Unsupported type `{_base_name(whole)}` ({message_of(err)})") from err


def _lookup_error(err: Exception, env: dict, whole) -> Exception:
    """A name that does not resolve: the type itself (``Unsupported type `Q```), or a name in
    its shape or arguments, which is named (``int32[QQ]`` → ``name 'QQ' is not defined``)."""
    try:
        eval_compile_time(_base_node(whole), env)
    except Exception:  # noqa: BLE001 - the type name itself does not resolve
        return AlloTypeError(f"Unsupported type `{_base_name(whole)}`")
    text = ast.unparse(whole)
    # the compile-time environment is a mapping that raises KeyError for unknown names
    name = getattr(err, "name", None) if isinstance(err, NameError) else \
        err.args[0] if isinstance(err, KeyError) and err.args else None
    if isinstance(name, str):
        return AlloSyntaxError(f"name '{name}' is not defined (in the type annotation "
                               f"`{text}`)")
    return AlloTypeError(f"{message_of(err)} (in the type annotation `{text}`)")
