"""Which array parameters a function reads and writes (``backends.md`` §11.1).

Directions: ``"in"`` (only read), ``"out"`` (only written), ``"both"``, ``"scalar"`` (not an
array) and ``"func"`` (no access of its own and only passed to callees of unknown direction).
Accesses are followed through views (subview, cast, reshape) and calls.

>>> from allo._mlir import ir, new_context
>>> text = '''
... func.func @k(%p: memref<4xi32>, %q: memref<4xi32>, %r: memref<4xi32>) {
...   affine.for %i = 0 to 4 {
...     %a = affine.load %p[%i] : memref<4xi32>
...     %b = affine.load %q[%i] : memref<4xi32>
...     %c = arith.subi %a, %b : i32
...     affine.store %c, %r[%i] : memref<4xi32>
...   }
...   return
... }'''
>>> with new_context():
...     m = ir.Module.parse(text)
...     analyze_arg_load_store(m)
{'k': ['in', 'in', 'out']}
"""

from __future__ import annotations

from .._mlir import ir
from ..mlir_utils import func_name, func_ops

_VIEW_OPS = {"memref.subview", "memref.cast", "memref.expand_shape", "memref.collapse_shape",
             "memref.reinterpret_cast", "memref.view"}
_READ_ONLY_LINALG_OUTS = {"linalg.fill", "linalg.copy", "linalg.transpose", "linalg.broadcast"}


def _is_memref(value) -> bool:
    return str(value.type).startswith("memref<")


def _uses(value):
    """The (owner op, operand number) pairs using ``value``."""
    for use in value.uses:
        yield use.owner, use.operand_number


def _access(value, mapping: dict, seen: set) -> tuple[bool, bool, bool]:
    """(read, write, unknown-call) of a memref value, following views and calls."""
    read = write = unknown = False
    for owner, idx in _uses(value):
        name = owner.operation.name if hasattr(owner, "operation") else owner.name
        op = owner.operation if hasattr(owner, "operation") else owner
        if name in ("affine.load", "memref.load"):
            read = True
        elif name in ("affine.store", "memref.store"):
            if idx >= 1:
                write = True
        elif name == "memref.copy":
            if idx == 0:
                read = True
            else:
                write = True
        elif name in _VIEW_OPS:
            key = (id(op), 0)
            if key in seen:
                continue
            seen.add(key)
            r, w, u = _access(op.results[0], mapping, seen)
            read, write, unknown = read or r, write or w, unknown or u
        elif name == "func.call":
            callee = ir.FlatSymbolRefAttr(op.attributes["callee"]).value
            dirs = mapping.get(callee)
            if dirs is None or idx >= len(dirs) or dirs[idx] == "func":
                unknown = True
            else:
                d = dirs[idx]
                read = read or d in ("in", "both")
                write = write or d in ("out", "both")
        elif name.startswith("linalg."):
            n_inputs = _linalg_inputs(op)
            if idx < n_inputs:
                read = True
            else:
                write = True
                if name not in _READ_ONLY_LINALG_OUTS:
                    read = True
    return read, write, unknown


def _linalg_inputs(op) -> int:
    attrs = op.attributes
    if "operandSegmentSizes" in attrs:
        return list(ir.DenseI32ArrayAttr(attrs["operandSegmentSizes"]))[0]
    return len(op.operands) - 1


def _direction(read: bool, write: bool, unknown: bool) -> str:
    if read and write:
        return "both"
    if write:
        return "out"
    if read:
        return "in"
    return "func" if unknown else "in"


def analyze_arg_load_store_in_func(func_op, mapping: dict | None = None) -> list[str]:
    """Direction of each parameter of ``func_op``; calls use ``mapping[callee]``.

    Bodiless (external) functions report every parameter as ``"in"``.
    """
    mapping = mapping or {}
    ftype = ir.FunctionType(ir.TypeAttr(func_op.attributes["function_type"]).value)
    if len(func_op.regions[0].blocks) == 0:
        return ["in"] * len(ftype.inputs)
    out = []
    for arg in func_op.regions[0].blocks[0].arguments:
        if not _is_memref(arg):
            out.append("scalar")
            continue
        out.append(_direction(*_access(arg, mapping, set())))
    return out


def analyze_arg_load_store(module) -> dict[str, list[str]]:
    """Directions for every function of ``module``, iterated to a fixed point."""
    funcs = func_ops(module)
    mapping: dict[str, list[str]] = {}
    while True:
        new = {func_name(f): analyze_arg_load_store_in_func(f, mapping) for f in funcs}
        if new == mapping:
            return new
        mapping = new
