"""The C entry point of a CPU build: every argument and result passed as a memref.

For a top function ``@k(%A: memref<4x6xi12>, %n: i12) -> (memref<4x6xi12>, i32)`` this first
turns the array result into an output parameter (:mod:`allo.backend.llvm.out_params`), then adds::

    func.func @allo_entry(%A: memref<4x6xi12>, %n: memref<i16>,
                          %r0: memref<4x6xi12>, %r1: memref<i32>)
        attributes {llvm.emit_c_interface}

which loads scalar arguments from rank-0 memrefs of their container type (truncating), calls
``@k`` with the caller's result buffers, and stores scalar results (sign- or zero-extended to
their container). Ctypes then passes only memref descriptors: no struct returns and no
odd-width scalars in the ABI. (Array element types are legalised to containers afterwards,
consistently for the wrapper and the kernel.) Every other defined function becomes private.
"""

from __future__ import annotations

from ..._mlir import arith_d, func_d, ir, memref_d
from ...diagnostics import SourceLoc
from ...errors import BuildError
from ...frontend.types import container_bits
from ...mlir_utils import find_func, func_ops
from ...analysis.memref_roots import is_unsigned_type, result_allo_types
from . import arith_builder as ab
from .out_params import results_to_out_params

ENTRY_NAME = "allo_entry"

__all__ = ["ENTRY_NAME", "add_entry_wrapper", "container_type"]


def container_type(type_: "ir.Type") -> "ir.Type":
    """The storage type of a scalar at the boundary (``i12`` → ``i16``, ``index`` → ``i64``)."""
    if str(type_) == "index":
        return ir.IntegerType.get_signless(64)
    if isinstance(type_, ir.IntegerType):
        return ir.IntegerType.get_signless(container_bits(ir.IntegerType(type_).width))
    return type_


def _scalar_in(slot: "ir.Value", param_type: "ir.Type") -> "ir.Value":
    value = memref_d.LoadOp(slot, []).result
    if str(param_type) == "index":
        return arith_d.IndexCastOp(param_type, value).result
    if value.type != param_type:
        return arith_d.TruncIOp(param_type, value).result
    return value


def _scalar_out(value: "ir.Value", slot: "ir.Value", unsigned: bool) -> None:
    container = ir.MemRefType(slot.type).element_type
    if str(value.type) == "index":
        value = arith_d.IndexCastOp(container, value).result
    elif value.type != container:
        value = ab.resize(value, ir.IntegerType(container).width, not unsigned)
    memref_d.StoreOp(value, slot, [])


def _check_param(t: "ir.Type", top_op) -> None:
    if isinstance(t, ir.MemRefType) and ("strided" in str(t) or "affine_map" in str(t)):
        raise BuildError(f"the CPU backend cannot pass an argument of type {t}",
                         loc=SourceLoc.of_op(top_op))


def add_entry_wrapper(module: "ir.Module", top: str) -> None:
    """Add :data:`ENTRY_NAME` calling ``top`` (module doc) and make other functions private."""
    with module.context, ir.Location.unknown():
        _add_entry(module, top)


def _add_entry(module, top):
    top_op = find_func(module, top)
    if top_op is None:
        raise BuildError(f"Top function '{top}' not found in the module")
    original = ir.FunctionType(ir.TypeAttr(top_op.attributes["function_type"]).value)
    params, results = list(original.inputs), list(original.results)
    for t in params:
        _check_param(t, top_op)
    result_types = result_allo_types(top_op)
    mapping = results_to_out_params(module, top)
    converted = ir.FunctionType(ir.TypeAttr(top_op.attributes["function_type"]).value)
    in_types = [t if isinstance(t, ir.MemRefType) else ir.MemRefType.get([], container_type(t))
                for t in params]
    out_types = []
    for i, (kind, index) in enumerate(mapping):
        if kind == "out":
            out_types.append(converted.inputs[index])
        else:
            out_types.append(ir.MemRefType.get([], container_type(results[i])))
    for f in func_ops(module):
        if f.regions[0].blocks:  # declarations (external IP) keep their C interface
            f.attributes["sym_visibility"] = ir.StringAttr.get("private")
            if "llvm.emit_c_interface" in f.attributes:
                del f.attributes["llvm.emit_c_interface"]
    with ir.InsertionPoint(module.body), top_op.location:
        entry = func_d.FuncOp(ENTRY_NAME, ir.FunctionType.get(in_types + out_types, []))
        entry.attributes["llvm.emit_c_interface"] = ir.UnitAttr.get()
        block = entry.add_entry_block()
        with ir.InsertionPoint(block):
            slots = list(block.arguments)
            outs = slots[len(params):]
            args = [slot if isinstance(t, ir.MemRefType) else _scalar_in(slot, t)
                    for slot, t in zip(slots[: len(params)], params)]
            args += [outs[i] for i, (kind, _) in enumerate(mapping) if kind == "out"]
            call = func_d.CallOp(list(converted.results), ir.FlatSymbolRefAttr.get(top), args)
            for i, (kind, index) in enumerate(mapping):
                if kind == "result":
                    unsigned = i < len(result_types) and is_unsigned_type(result_types[i])
                    _scalar_out(call.results[index], outs[i], unsigned)
            func_d.ReturnOp([])
