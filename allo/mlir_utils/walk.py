"""Walking MLIR operations from Python (collect first, rewrite after).

>>> from allo.backend.llvm import invoke_mlir_parser
>>> m = invoke_mlir_parser("func.func @f() { return }")
>>> [op.name for op in collect_ops(m.operation, lambda op: True)]
['builtin.module', 'func.func', 'func.return']
"""

from __future__ import annotations

from typing import Callable, Iterator

from .._mlir import ir


def collect_ops(root: "ir.Operation", keep: Callable[["ir.Operation"], bool]) -> list:
    """Every operation nested in ``root`` (``root`` included, pre-order) for which ``keep`` holds."""
    found = []

    def visit(op):
        op = op.operation if hasattr(op, "operation") else op
        if keep(op):
            found.append(op)
        return ir.WalkResult.ADVANCE

    root.walk(visit, ir.WalkOrder.PRE_ORDER)
    return found


def ops_named(root: "ir.Operation", *names: str) -> list:
    """Operations nested in ``root`` whose name is one of ``names``."""
    wanted = set(names)
    return collect_ops(root, lambda op: op.name in wanted)


def func_ops(module: "ir.Module") -> list:
    """The ``func.func`` operations at the top level of ``module``."""
    return [op.operation for op in module.body.operations if op.operation.name == "func.func"]


def find_func(module: "ir.Module", name: str):
    """The top-level ``func.func`` named ``name`` or ``None``."""
    for op in func_ops(module):
        if ir.StringAttr(op.attributes["sym_name"]).value == name:
            return op
    return None


def func_name(op: "ir.Operation") -> str:
    return ir.StringAttr(op.attributes["sym_name"]).value


def block_ops(block: "ir.Block") -> Iterator["ir.Operation"]:
    """The operations of ``block`` as ``ir.Operation`` objects."""
    for op in block.operations:
        yield op.operation


def string_attr(op: "ir.Operation", name: str, default=None):
    """The value of string attribute ``name`` on ``op`` (``default`` when absent)."""
    if name not in op.attributes:
        return default
    return ir.StringAttr(op.attributes[name]).value


def constant_int(value: "ir.Value"):
    """The integer held by ``value`` if an ``arith.constant`` defines it, else ``None``."""
    owner = value.owner
    if not isinstance(owner, ir.Operation) and hasattr(owner, "operation"):
        owner = owner.operation
    if not isinstance(owner, ir.Operation) or owner.name != "arith.constant":
        return None
    attr = owner.attributes["value"]
    if not isinstance(attr, ir.IntegerAttr) and not isinstance(attr, ir.IntegerAttr):
        return None
    text = str(attr).split(":")[0].strip()
    if text in ("true", "false"):
        return 1 if text == "true" else 0
    return int(text)
