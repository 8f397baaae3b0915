"""Walking MLIR operations from Python (collect first, rewrite after) and finding functions.

>>> from allo._mlir import ir, new_context
>>> with new_context():
...     m = ir.Module.parse("func.func @f() { return }")
...     names = [op.name for op in collect_ops(m.operation, lambda op: True)]
...     ret = ops_named(m.operation, "func.return")[0]
...     found = func_name(find_func(ret, "f"))
>>> names, found
(['builtin.module', 'func.func', 'func.return'], 'f')
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


def walk_ops(root) -> Iterator["ir.Operation"]:
    """Every operation nested in ``root`` (not ``root`` itself), in program pre-order."""
    for region in root.operation.regions:
        for block in region.blocks:
            for op in block.operations:
                op = op.operation
                yield op
                yield from walk_ops(op)


def is_nested_in(op, ancestor) -> bool:
    """True when ``op`` lies (strictly) inside ``ancestor``'s regions (within one function)."""
    target = ancestor.operation
    parent = op.operation.parent
    while parent is not None:
        if parent == target:
            return True
        if parent.name == "func.func":
            return False
        parent = parent.parent
    return False


def module_of(op) -> "ir.Operation | None":
    """The ``builtin.module`` operation enclosing ``op`` (``op`` itself when it is one)."""
    op = op.operation
    while op is not None and op.name != "builtin.module":
        op = op.parent
    return op


def top_level_ops(module, op_name: str) -> list:
    """The ``op_name`` operations at the top level of ``module`` (an ``ir.Module`` or the
    ``builtin.module`` op)."""
    body = module.body if isinstance(module, ir.Module) else module.regions[0].blocks[0]
    return [op.operation for op in body.operations if op.operation.name == op_name]


def func_ops(module) -> list:
    """The ``func.func`` operations at the top level of ``module``."""
    return top_level_ops(module, "func.func")


def find_symbol(scope, name: str, op_name: str):
    """The top-level ``op_name`` operation whose symbol is ``name`` in module ``scope`` (an
    ``ir.Module``) or in the module enclosing op ``scope``; ``None`` when there is none."""
    module = scope if isinstance(scope, ir.Module) else module_of(scope)
    if module is None:
        return None
    for op in top_level_ops(module, op_name):
        if func_name(op) == name:
            return op
    return None


def find_func(scope, name: str):
    """The ``func.func`` named ``name`` (see :func:`find_symbol`), or ``None``."""
    return find_symbol(scope, name, "func.func")


def func_name(op: "ir.Operation") -> str:
    """The symbol name of a ``func.func`` (or any symbol) op."""
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
