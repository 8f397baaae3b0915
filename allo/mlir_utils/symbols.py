"""Finding functions and other symbols by name, from a module or from any op inside one.

>>> from allo._mlir import ir, new_context
>>> with new_context():
...     m = ir.Module.parse("func.func @f() { return }")
...     ret = m.body.operations[0].regions[0].blocks[0].operations[0]
...     names = [func_name(find_func(ret, "f")), find_func(m, "g")]
>>> names
['f', None]
"""

from __future__ import annotations

from .._mlir import ir


def fresh_name(stem: str, taken, sep: str = "_") -> str:
    """``stem<sep>1``, ``stem<sep>2``, ...: the first one not in ``taken``.

    >>> fresh_name("A", {"A", "A_1"})
    'A_2'
    """
    k = 1
    while f"{stem}{sep}{k}" in taken:
        k += 1
    return f"{stem}{sep}{k}"


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


def func_name(op: "ir.Operation") -> str:
    """The symbol name of a ``func.func`` (or any symbol) op."""
    return ir.StringAttr(op.attributes["sym_name"]).value


def find_symbol(scope, name: str, op_name: str):
    """The top-level ``op_name`` operation whose symbol is ``name`` in module ``scope`` (an
    ``ir.Module``) or in the module enclosing op ``scope``; ``None`` when there is none."""
    module = scope if isinstance(scope, ir.Module) else module_of(scope)
    if module is None:
        return None
    try:  # the symbol table is built in C++: far faster than a Python scan of the module
        op = ir.SymbolTable(module.operation)[name].operation
    except (KeyError, RuntimeError, ValueError):
        return None
    return op if op.name == op_name and op.parent == module.operation else None


def find_func(scope, name: str):
    """The ``func.func`` named ``name`` (see :func:`find_symbol`), or ``None``."""
    return find_symbol(scope, name, "func.func")
