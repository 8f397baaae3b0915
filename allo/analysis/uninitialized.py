"""Reads of local buffers that provably happen before anything is written to them.

A local declared without an initializer (``C: float32[4, 4]``) holds undefined memory; a
program whose first touch of it is a read (``C[i, j] += ...``) computes garbage, on the CPU
and in hardware alike. The first use of the buffer in execution order decides: when it is a
load that surely runs (every construct around it between the declaration and the load is a
loop with a constant, positive trip count: no condition, no loop that may not run), the
program reads undefined memory. A load whose value is only stored back into the same buffer
(the shift of a reuse window) moves data without computing with it and is passed over. Any
other first use (a store, a call, a copy, a view, ...)
may define the contents, so nothing is reported.

>>> import allo
>>> from allo.frontend.types import int32
>>> def acc(A: int32[4]) -> int32:
...     s: int32
...     for i in range(4):
...         s += A[i]
...     return s
>>> [r.buffer for r in undefined_reads(allo.customize(acc).module)]
['s']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .._mlir import ir
from ..mlir_utils import constant_bounds, walk_ops
from .loops import str_attr

__all__ = ["UndefinedRead", "undefined_reads"]

_ALLOCS = ("memref.alloc", "memref.alloca")
_LOADS = ("affine.load", "memref.load")
_LOCATION = re.compile(r'"([^"]+)":(\d+):\d+')


@dataclass
class UndefinedRead:
    """One buffer whose first use is a read: where it is declared and read."""

    func: str
    buffer: str
    filename: str | None
    line: int | None

    def message(self) -> str:
        return (f"{self.buffer} (in {self.func}) is read before anything is written to it, so "
                f"the value read is undefined; give its declaration an initializer "
                f"(e.g. `{self.buffer}: T[...] = 0`)")


def undefined_reads(module) -> list[UndefinedRead]:
    """Every local buffer of ``module`` whose first use is a read that surely runs."""
    found = []
    for func in module.body.operations:
        if func.operation.name != "func.func":
            continue
        fname = ir.StringAttr(func.attributes["sym_name"]).value
        for op in walk_ops(func):
            if op.name not in _ALLOCS:
                continue
            load = _first_use_if_read(op)
            if load is not None:
                filename, line = _source_of(load)
                found.append(UndefinedRead(fname, str_attr(op, "name") or "a local buffer",
                                           filename, line))
    return found


def _first_use_if_read(alloc):
    """The load that first uses ``alloc``'s buffer when it surely runs, else None."""
    value = alloc.results[0]
    after = False
    for op in alloc.block.operations:
        op = op.operation
        if op == alloc:
            after = True
            continue
        if not after:
            continue
        for candidate in [op, *walk_ops(op)]:
            if not any(operand == value for operand in candidate.operands):
                continue
            if candidate.name in _LOADS and _only_moved_within(candidate, value):
                continue  # a shift inside the buffer (a reuse window) computes nothing
            if candidate.name in _LOADS and _surely_runs(candidate, alloc.block):
                return candidate
            return None
    return None


def _only_moved_within(load, buffer) -> bool:
    """Is the loaded value only stored back into ``buffer``?"""
    users = [use.owner for use in load.results[0].uses]
    users = [u.operation if hasattr(u, "operation") else u for u in users]
    return bool(users) and all(
        u.name in ("affine.store", "memref.store") and u.operands[1] == buffer
        and u.operands[0] == load.results[0] for u in users)


def _surely_runs(op, block) -> bool:
    """Every op around ``op`` up to ``block`` is a loop that runs at least once."""
    parent = op.parent
    while parent is not None and op.block != block:
        parent_op = parent.operation
        if parent_op.name != "affine.for" or not _runs(parent_op):
            return False
        op = parent_op
        parent = op.parent
    return op.block == block


def _runs(loop) -> bool:
    bounds = constant_bounds(loop)
    return bounds is not None and bounds[1] > bounds[0]


def _source_of(op) -> tuple[str | None, int | None]:
    match = _LOCATION.search(str(op.location))
    return (match.group(1), int(match.group(2))) if match else (None, None)
