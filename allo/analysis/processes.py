"""Which functions are dataflow *regions*: bodies that only allocate buffers and call.

A region-like function runs its calls as concurrent processes (the simulator gives each a
thread; the C simulation of a region spawns one thread per call that takes a stream). It is
a dataflow region built by ``allo.dataflow`` (``allo.region``), a function marked
``dataflow`` whose body is nothing but allocations and calls with them, or a function whose
only work is one such call (a kernel instance calling a sub-region).

>>> from allo.backend.llvm import invoke_mlir_parser
>>> m = invoke_mlir_parser('''
... func.func @p(%a: memref<4xi32, "stream:2">) { return }
... func.func @top() attributes {dataflow} {
...   %q = memref.alloc() : memref<4xi32, "stream:2">
...   call @p(%q) : (memref<4xi32, "stream:2">) -> ()
...   return }''')
>>> from allo.mlir_utils import find_func
>>> p = find_func(m, "p").regions[0].blocks[0]
>>> is_region_like(find_func(m, "top")), stream_depth(p.arguments[0].type)
(True, 2)
"""

from __future__ import annotations

import re

from .._mlir import ir

__all__ = ["is_region_like", "stream_depth", "REGION_OPS"]

REGION_OPS = ("memref.alloc", "memref.alloca", "func.call", "func.return", "arith.constant",
              "memref.dealloc")


def stream_depth(mtype) -> int | None:
    """The depth of a memref in memory space ``"stream:<depth>"``, else ``None``."""
    if not str(mtype).startswith("memref<"):
        return None
    space = ir.MemRefType(mtype).memory_space
    m = re.match(r'"stream:(-?\d+)"', str(space)) if space is not None else None
    return int(m.group(1)) if m else None


def is_region_like(func_op) -> bool:
    """Whether the body of ``func_op`` only allocates buffers and calls with them (module
    doc): ``dataflow``-marked, or a single call."""
    blocks = func_op.regions[0].blocks
    if len(blocks) != 1:
        return False
    args = set(blocks[0].arguments)
    allocated = set()
    calls = 0
    for op in blocks[0].operations:
        name = op.operation.name
        if name not in REGION_OPS:
            return False
        if name in ("memref.alloc", "memref.alloca"):
            allocated.add(op.result)
        elif name == "func.call":
            if op.operation.results or not all(v in args or v in allocated
                                               for v in op.operation.operands):
                return False
            calls += 1
        elif name == "func.return" and op.operation.operands:
            return False
    if calls == 0:
        return False
    return "dataflow" in func_op.attributes or calls == 1
