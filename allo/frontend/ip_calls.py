"""Calls of external C++ IP (``allo.IPModule``) inside a kernel (``backends.md`` §8).

The call becomes a ``func.call`` of a bodiless declaration of the IP's top function, typed
from the signature the IP module parsed; the declaration carries the C interface the CPU
build links against and the argument kinds the HLS emitter prints. The IP module object is
only read here (``top`` and ``args``: name, Allo ``dtype``, ``shape``, ``kind``), so the
frontend does not depend on the HLS backend that defines it.
"""

from __future__ import annotations

from .._mlir import func_d, ir
from ..errors import AlloTypeError
from ..mlir_utils import find_func
from . import memory as mem
from .scalars import materialize
from .types import Int, UInt
from .values import Val


def emit_ip_call(module_builder, ip, args: list) -> Val:
    """The ``func.call`` of IP module ``ip`` with the compiled arguments ``args`` (type-checked)."""
    if len(args) != len(ip.args):
        raise AlloTypeError(f"{ip.top} expects {len(ip.args)} arguments, got {len(args)}")
    operands, types = [], []
    for k, (arg, spec) in enumerate(zip(args, ip.args)):
        if spec.kind == "scalar":
            if arg.is_array:
                raise AlloTypeError(f"Argument {k} of {ip.top} shape mismatch, got "
                                    f"{tuple(arg.shape)} and ()")
            operands.append(materialize(arg, spec.dtype))
            types.append(spec.dtype.build())
            continue
        if not arg.is_array:
            raise AlloTypeError(f"Argument {k} of {ip.top} shape mismatch, got () and "
                                f"{spec.shape or '(pointer)'}")
        if arg.dtype != spec.dtype:
            raise AlloTypeError(f"Argument {k} of {ip.top} dtype mismatch, got {arg.dtype} "
                                f"and {spec.dtype}")
        if spec.kind == "array" and tuple(arg.shape) != tuple(spec.shape):
            raise AlloTypeError(f"Argument {k} of {ip.top} shape mismatch, got "
                                f"{tuple(arg.shape)} and {spec.shape}")
        if not mem.is_plain(arg):
            raise AlloTypeError(f"Argument {k} of {ip.top}: pass a whole array, not a view")
        operands.append(arg.value)
        types.append(arg.value.type)
    _declare(module_builder, ip, types)
    func_d.CallOp([], ir.FlatSymbolRefAttr.get(ip.top), operands)
    if ip not in module_builder.ext_libs:
        module_builder.ext_libs.append(ip)
    return Val(None, None, const=None, extra={"void": True})


def _declare(module_builder, ip, types: list) -> None:
    module = module_builder.module
    existing = find_func(module, ip.top)
    if existing is not None:
        ftype = ir.FunctionType(ir.TypeAttr(existing.attributes["function_type"]).value)
        if len(existing.regions[0].blocks) or list(ftype.inputs) != types:
            raise AlloTypeError(f"IP function '{ip.top}' is called with different array "
                                "shapes, or clashes with a kernel of the same name")
        return
    with ir.InsertionPoint.at_block_begin(module.body):
        decl = func_d.FuncOp(ip.top, ir.FunctionType.get(types, []), visibility="private")
    decl.attributes["llvm.emit_c_interface"] = ir.UnitAttr.get()
    decl.attributes["allo.itypes"] = ir.ArrayAttr.get(
        [ir.StringAttr.get(a.dtype.name) for a in ip.args])
    decl.attributes["itypes"] = ir.StringAttr.get("".join(
        "u" if isinstance(a.dtype, UInt) else "s" if isinstance(a.dtype, Int) else "_"
        for a in ip.args))
    decl.attributes["allo.ip_args"] = ir.ArrayAttr.get(
        [ir.StringAttr.get(a.kind) for a in ip.args])
