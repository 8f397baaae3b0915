"""Checked heap allocations in the CPU build: a failed ``malloc`` raises, never crashes.

Local arrays too large for the stack stay ``memref.alloc`` (``buffer_lifetime``), which LLVM
lowers to ``malloc``. When that fails (an ``int32[100000, 100000, 100000]`` needs 4 PB) the
pointer is null and the first store would kill the process. :func:`add_allocation_checks`
puts a bounds-check marker (``allo.backend.llvm.bounds_checks``) after every such
allocation that "indexes" 1 with a null pointer and 0 otherwise, against size 1, so the
kernel takes the error exit of the bounds checks and the call raises
:class:`allo.AllocationError` naming the array. A static size whose byte count does not fit
in 64 bits (the lowering's size computation would wrap) always takes that exit.
"""

from __future__ import annotations

import linecache
from dataclasses import dataclass

from ..._mlir import arith_d, ir, memref_d
from ...diagnostics import SourceLoc
from ...errors import AllocationError
from ...mlir_utils import func_name, ops_named, string_attr
from . import arith_builder as ab
from .buffer_lifetime import static_bytes

_MAX_BYTES = (1 << 63) - 1  # the size the lowering computes is a signed 64-bit value


@dataclass(frozen=True)
class AllocationSite:
    """One checked heap allocation: the array, its size and where it is declared."""

    array: str
    nbytes: int | None  # None if the shape is dynamic
    filename: str | None
    lineno: int | None
    func_name: str

    def error(self, index: int, size: int) -> AllocationError:
        """The error raised when this allocation failed (the check's words are unused)."""
        del index, size
        amount = f"{self.nbytes} bytes" if self.nbytes is not None else "its run-time size"
        message = (f"cannot allocate local array '{self.array}' of {self.func_name} "
                   f"({amount}): out of memory")
        source = linecache.getline(self.filename, self.lineno) if self.lineno else None
        loc = None if self.lineno is None else SourceLoc(
            self.filename or "<unknown>", self.lineno, function=self.func_name, source=source)
        return AllocationError(message, loc=loc)


def add_allocation_checks(f, sites: list, marker_name: str, locate) -> bool:
    """A check marker after every ``memref.alloc`` of ``f``; whether any was added.

    ``locate(op)`` gives ``(filename, lineno)`` of an op; each site is appended to ``sites``.
    """
    allocs = ops_named(f, "memref.alloc")
    for alloc in allocs:
        nbytes = static_bytes(ir.MemRefType(alloc.results[0].type))
        with ir.InsertionPoint(alloc), alloc.location:
            if nbytes is not None and nbytes > _MAX_BYTES:
                failed = ab.const_index(1)
                first = failed.owner
            else:
                pointer = memref_d.ExtractAlignedPointerAsIndexOp(alloc.results[0])
                first = pointer.operation
                is_null = ab.cmp("eq", pointer.result, ab.const_index(0))
                failed = arith_d.SelectOp(is_null, ab.const_index(1), ab.const_index(0)).result
            site = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), len(sites))
            ir.Operation.create(marker_name, operands=[failed, ab.const_index(1)],
                                attributes={"site": site})
        alloc.move_before(first)
        filename, lineno = locate(alloc)
        name = string_attr(alloc, "name") or "<array>"
        sites.append(AllocationSite(name, nbytes, filename, lineno, func_name(f)))
    return bool(allocs)
