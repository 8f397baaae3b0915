"""Set the depths of a dataflow design's streams (``df.customize(region, fifo_depths=...)``).

Streams are named as the simulator names them: the region's stream elements by their
declared names (``fifo_A_1_2``), those of a sub-region run by an instance prefixed with the
sub-region's function (``echo_pair_0.q``). A stream's depth is part of its memref type
(memory space ``"stream:<depth>"``), so the allocation and every instance parameter it is
passed to are retyped; the HLS backends then declare ``#pragma HLS stream ... depth=<d>``
and the simulator bounds the FIFO by it.

>>> import allo.dataflow as df                                   # doctest: +SKIP
>>> s = df.customize(region, fifo_depths={"a": 7, "b": 1})       # doctest: +SKIP
"""

from __future__ import annotations

from .._mlir import ir
from ..analysis.processes import is_region_like, stream_depth
from ..errors import BuildError
from ..mlir_utils import find_func


def stream_allocations(module, top: str) -> dict:
    """``{stream name: its memref.alloc op}`` of the design rooted at ``top``."""
    out: dict = {}
    top_op = find_func(module, top)
    if top_op is not None and top_op.regions[0].blocks and is_region_like(top_op):
        _collect(module, top_op, "", out, {top})
    return out


def _collect(module, func_op, prefix: str, out: dict, active: set) -> None:
    for op in func_op.regions[0].blocks[0].operations:
        op = op.operation
        if op.name in ("memref.alloc", "memref.alloca") and stream_depth(op.result.type):
            name = ir.StringAttr(op.attributes["name"]).value if "name" in op.attributes \
                else f"buf{len(out)}"
            out[prefix + name] = op
        elif op.name == "func.call":
            callee = ir.FlatSymbolRefAttr(op.attributes["callee"]).value
            callee_op = find_func(module, callee)
            if callee_op is None or not callee_op.regions[0].blocks or callee in active \
                    or not is_region_like(callee_op):
                continue
            nested = f"{callee}." if "allo.region" in callee_op.attributes else prefix
            _collect(module, callee_op, nested, out, active | {callee})


def stream_extents(module, top: str) -> dict:
    """``{stream name: (declared depth, elements its writer puts)}``."""
    return {name: (stream_depth(op.result.type), ir.MemRefType(op.result.type).shape[0])
            for name, op in stream_allocations(module, top).items()}


def set_stream_depths(module, top: str, depths: dict) -> None:
    """Give each stream named in ``depths`` its new depth (a positive int)."""
    allocs = stream_allocations(module, top)
    unknown = sorted(set(depths) - set(allocs))
    if unknown:
        raise BuildError(f"fifo_depths names unknown stream(s) {', '.join(unknown)}; the "
                         f"design's streams are {', '.join(sorted(allocs)) or 'none'}")
    with module.context, ir.Location.unknown():
        for name, depth in depths.items():
            if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
                raise BuildError(f"stream '{name}': depth must be a positive int, got "
                                 f"{depth!r}")
            op = allocs[name]
            mtype = ir.MemRefType(op.result.type)
            new = ir.MemRefType.get(list(mtype.shape), mtype.element_type, mtype.layout,
                                    ir.Attribute.parse(f'"stream:{depth}"'))
            _retype(module, op.result, new, name)


def _retype(module, value, new_type, name: str) -> None:
    value.set_type(new_type)
    for use in list(value.uses):
        owner = use.owner.operation if hasattr(use.owner, "operation") else use.owner
        if owner.name != "func.call":
            continue
        callee = find_func(module, ir.FlatSymbolRefAttr(owner.attributes["callee"]).value)
        if callee is None or not callee.regions[0].blocks:
            continue
        arg = callee.regions[0].blocks[0].arguments[use.operand_number]
        if str(arg.type) == str(new_type):
            continue
        _retype(module, arg, new_type, name)
        ftype = ir.FunctionType(ir.TypeAttr(callee.attributes["function_type"]).value)
        callee.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(
            [a.type for a in callee.regions[0].blocks[0].arguments], list(ftype.results)))
