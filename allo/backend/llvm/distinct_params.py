"""Which functions have array parameters that never overlap, from their call sites.

The numpy boundary promises that the top function's arrays are distinct. A sub-kernel such as
PolyBench's ``mm`` called from ``kernel_2mm`` with ``(A, B, tmp)`` inherits that promise when,
at every one of its call sites, each array argument is rooted at a distinct parameter of a
caller that has the promise or at a fresh allocation, and no two arguments share a root.
Loop permutation (:mod:`allo.backend.llvm.loop_permute`) may then reorder accesses across those
parameters as it does across the top function's.

>>> from allo.backend.llvm import invoke_mlir_parser
>>> m = invoke_mlir_parser('''
... func.func private @mm(%X: memref<4xf32>, %Y: memref<4xf32>) { return }
... func.func @top(%A: memref<4xf32>, %B: memref<4xf32>) {
...   %t = memref.alloc() : memref<4xf32>
...   call @mm(%A, %t) : (memref<4xf32>, memref<4xf32>) -> ()
...   call @mm(%t, %B) : (memref<4xf32>, memref<4xf32>) -> ()
...   call @mm(%B, %B) : (memref<4xf32>, memref<4xf32>) -> ()
...   return }''')
>>> sorted(functions_with_distinct_params(m, "top"))
['top']
"""

from __future__ import annotations

from ..._mlir import ir
from ...mlir_utils import collect_ops, func_name, func_ops

__all__ = ["FRESH_OPS", "defining_op", "functions_with_distinct_params", "memref_root"]

# ops whose result views (part of) their first operand's storage, and ops making new storage
_VIEWS = {"memref.subview", "memref.cast", "memref.reinterpret_cast", "memref.collapse_shape",
          "memref.expand_shape", "memref.transpose", "memref.view"}
FRESH_OPS = {"memref.alloc", "memref.alloca"}


def defining_op(value: "ir.Value") -> "ir.Operation":
    """The operation that defines ``value`` (as an ``Operation``)."""
    owner = value.owner
    return owner.operation if hasattr(owner, "operation") else owner


def memref_root(value: "ir.Value") -> "ir.Value":
    """The memref ``value`` is a view of, through any chain of view ops."""
    while not isinstance(value, ir.BlockArgument) and defining_op(value).name in _VIEWS:
        value = defining_op(value).operands[0]
    return value


def _distinct_root(value, caller_distinct: bool) -> bool:
    """A root the callee may treat as its own, non-overlapping storage."""
    if isinstance(value, ir.BlockArgument):
        return caller_distinct
    return defining_op(value).name in FRESH_OPS


def _site_is_distinct(call, caller_distinct: bool) -> bool:
    roots = [memref_root(v) for v in call.operands if isinstance(v.type, ir.MemRefType)]
    if not all(_distinct_root(r, caller_distinct) for r in roots):
        return False
    return all(a != b for i, a in enumerate(roots) for b in roots[i + 1:])


def _call_sites(module) -> dict:
    """``callee name -> [(caller name, call op)]`` for every ``func.call``."""
    sites: dict = {}
    for f in func_ops(module):
        if not f.regions[0].blocks:
            continue
        for call in collect_ops(f, lambda op: op.name == "func.call"):
            callee = ir.FlatSymbolRefAttr(call.attributes["callee"]).value
            sites.setdefault(callee, []).append((func_name(f), call))
    return sites


def functions_with_distinct_params(module: "ir.Module", top: str | None) -> set:
    """Names of the functions whose array parameters never overlap: ``top`` (when given) and
    every function all of whose call sites pass it distinct roots (module doc)."""
    if top is None:
        return set()
    sites = _call_sites(module)
    distinct = {top}
    changed = True
    while changed:  # a callee qualifies once all of its callers' verdicts are known
        changed = False
        for callee, calls in sites.items():
            if callee in distinct or callee == top:
                continue
            if all(_site_is_distinct(call, caller in distinct) for caller, call in calls):
                distinct.add(callee)
                changed = True
    return distinct
