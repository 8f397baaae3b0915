"""Walking MLIR operations from Python (collect first, rewrite after).

>>> from allo._mlir import ir, new_context
>>> with new_context():
...     m = ir.Module.parse("func.func @f() { return }")
...     names = [op.name for op in collect_ops(m.operation, lambda op: True)]
>>> names
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
