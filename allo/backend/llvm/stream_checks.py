"""Run-time FIFO checks of the CPU build (docs/cpu_backend.md, "Stream checks").

On the CPU a stream (a memref in memory space ``"stream:<depth>"``: a ``Stream`` local, or a
buffer made a FIFO by ``s.to``) is an ordinary array, so a read that has no matching earlier
write would return whatever the memory held. :func:`insert_stream_checks` gives every stream
a pair of ``index`` counters ``memref<2xindex>`` (writes, reads), allocated beside it and
passed along with it to every callee taking the stream (one more parameter per stream
parameter). Each write bumps the first; each read first checks ``reads < writes`` and bumps
the second; before the end of the block that allocates the stream, ``writes == reads`` is
checked (no element left behind). A check is a bounds-check marker
(:mod:`allo.backend.llvm.bounds_checks`) whose site is a :class:`StreamSite`, so a failure
stops the kernel through the same error slot and raises :class:`allo.StreamError` naming the
stream (by its source name), the kernel and the source line.

This runs before the memory spaces are stripped, on the private copy of the module.
"""

from __future__ import annotations

import linecache
import re
from dataclasses import dataclass

from ..._mlir import arith_d, func_d, ir, memref_d
from ...errors import BuildError, StreamError
from ...mlir_utils import collect_ops, func_name, func_ops, string_attr
from .bounds_checks import CHECK_MARKER

__all__ = ["StreamSite", "insert_stream_checks"]

_LOADS = ("affine.load", "memref.load")
_STORES = ("affine.store", "memref.store")
_FILE_LOC = re.compile(r'loc\("((?:[^"\\]|\\.)*)":(\d+):(\d+)')
_WRITES, _READS = 0, 1


@dataclass(frozen=True)
class StreamSite:
    """One checked stream event: an ``empty`` read or ``leftover`` elements at the end."""

    kind: str
    stream: str
    func_name: str
    filename: str | None
    lineno: int | None

    def error(self, first: int, second: int) -> StreamError:
        """The error for the slot words of a failed check (see the module docstring)."""
        source = linecache.getline(self.filename, self.lineno) if self.lineno else None
        if self.kind == "empty":
            text = (f"read from the empty stream '{self.stream}' in kernel {self.func_name}: "
                    f"read #{first + 1} but only {second} element(s) were written before it")
        else:
            written, read = first, second - 1
            text = (f"stream '{self.stream}' of kernel {self.func_name} still holds "
                    f"{written - read} element(s) at the end of {self.func_name} "
                    f"({written} written, {read} read)")
        return StreamError(text, self.stream, self.func_name, self.filename, self.lineno,
                           source)


def _is_stream(value) -> bool:
    t = value.type
    return isinstance(t, ir.MemRefType) and '"stream:' in str(t)


def insert_stream_checks(module: "ir.Module", sites: list) -> int:
    """Counters and check markers for every stream of ``module``; appends to ``sites``.

    Returns the number of streams instrumented."""
    with module.context, ir.Location.unknown():
        counter_type = ir.MemRefType.get([2], ir.IndexType.get())
        bodies = [f for f in func_ops(module) if f.regions[0].blocks]
        takers = {}  # function name -> positions of its stream parameters
        for f in func_ops(module):
            ftype = ir.FunctionType(ir.TypeAttr(f.attributes["function_type"]).value)
            positions = [k for k, t in enumerate(ftype.inputs) if '"stream:' in str(t)]
            if positions:
                takers[func_name(f)] = positions
        count = 0
        for f in bodies:
            counters = _add_counter_params(f, takers.get(func_name(f), []), counter_type)
            for alloc in collect_ops(f, lambda o: o.name in ("memref.alloc", "memref.alloca")
                                     and _is_stream(o.results[0])):
                counters[alloc.results[0]] = _new_counter(alloc, counter_type)
                _leftover_check(f, alloc, counters[alloc.results[0]], sites)
                count += 1
            _pass_counters(f, takers, counters)
            _instrument_accesses(f, counters, sites)
    return count


def _add_counter_params(f, positions: list, counter_type) -> dict:
    counters = {}
    if not positions:
        return counters
    block = f.regions[0].blocks[0] if f.regions[0].blocks else None
    ftype = ir.FunctionType(ir.TypeAttr(f.attributes["function_type"]).value)
    f.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(
        list(ftype.inputs) + [counter_type] * len(positions), list(ftype.results)))
    if block is not None:
        for k in positions:
            counters[block.arguments[k]] = block.add_argument(counter_type, f.location)
    return counters


def _new_counter(alloc, counter_type):
    with ir.InsertionPoint(alloc), alloc.location:
        counter = memref_d.AllocOp(counter_type, [], [])
        zero = _index(0)
        for word in (_WRITES, _READS):
            memref_d.StoreOp(zero, counter.result, [_index(word)])
    return counter.result


def _index(value: int):
    return arith_d.ConstantOp(ir.IndexType.get(), ir.IntegerAttr.get(ir.IndexType.get(), value)
                              ).result


def _pass_counters(f, takers: dict, counters: dict) -> None:
    for call in collect_ops(f, lambda o: o.name == "func.call"):
        callee = ir.FlatSymbolRefAttr(call.attributes["callee"]).value
        if callee not in takers:
            continue
        extra = []
        for k in takers[callee]:
            operand = call.operands[k]
            if operand not in counters:
                raise BuildError(f"stream argument {k} of the call to {callee} in "
                                 f"{func_name(f)} is not a stream the CPU build can follow")
            extra.append(counters[operand])
        with ir.InsertionPoint(call), call.location:
            new = func_d.CallOp([r.type for r in call.results], ir.FlatSymbolRefAttr.get(callee),
                                list(call.operands) + extra)
            for key in call.attributes:
                if key != "callee":
                    new.attributes[key] = call.attributes[key]
        for old, fresh in zip(call.results, new.results):
            old.replace_all_uses_with(fresh)
        call.erase()


def _instrument_accesses(f, counters: dict, sites: list) -> None:
    for access in collect_ops(f, lambda o: o.name in _LOADS + _STORES):
        is_store = access.name in _STORES
        memref = access.operands[1 if is_store else 0]
        counter = counters.get(memref)
        if counter is None:
            continue
        with ir.InsertionPoint(access), access.location:
            writes = memref_d.LoadOp(counter, [_index(_WRITES)]).result
            if is_store:
                memref_d.StoreOp(arith_d.AddIOp(writes, _index(1)).result, counter,
                                 [_index(_WRITES)])
                continue
            reads = memref_d.LoadOp(counter, [_index(_READS)]).result
            _marker(reads, writes, _site("empty", access, memref, f), sites)
            memref_d.StoreOp(arith_d.AddIOp(reads, _index(1)).result, counter, [_index(_READS)])


def _leftover_check(f, alloc, counter, sites: list) -> None:
    block = alloc.block
    end = block.operations[len(block.operations) - 1]
    with ir.InsertionPoint(end), end.location:
        writes = memref_d.LoadOp(counter, [_index(_WRITES)]).result
        reads = memref_d.LoadOp(counter, [_index(_READS)]).result
        _marker(writes, arith_d.AddIOp(reads, _index(1)).result,
                _site("leftover", alloc, alloc.results[0], f), sites)


def _marker(index, size, site: StreamSite, sites: list) -> None:
    attr = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), len(sites))
    ir.Operation.create(CHECK_MARKER, operands=[index, size], attributes={"site": attr})
    sites.append(site)


def _site(kind: str, op, memref, f) -> StreamSite:
    match = _FILE_LOC.search(str(op.location))
    filename, lineno = (match.group(1), int(match.group(2))) if match else (None, None)
    if filename == "-":
        filename, lineno = None, None
    return StreamSite(kind, _stream_name(op, memref, f), func_name(f), filename, lineno)


def _stream_name(op, memref, f) -> str:
    name = string_attr(op, "from") or string_attr(op, "to") or string_attr(op, "name")
    if name:
        return name
    owner = memref.owner
    if isinstance(owner, ir.Block):
        return f"argument {memref.arg_number} of {func_name(f)}"
    return string_attr(owner.operation, "name") or "stream"
