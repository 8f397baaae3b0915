"""Rewriting memref types for the CPU: drop HLS-only annotations, legalise odd integer widths.

Both rewrites change types in place on a private copy of the module:

- :func:`strip_memref_annotations` removes partition layout maps, memory spaces (storage
  hints, ``"stream:<depth>"``) — they are HLS intent only (schedule.md §10);
- :func:`legalize_memref_int_widths` stores ``i<n>`` elements (n ∉ {8, 16, 32, 64}) in the
  container width of :func:`allo.ir.types.container_bits` (``i5`` → ``i8``, ``i65`` →
  ``i128``), so memory matches the numpy arrays the caller passes: loads truncate, stores
  sign- or zero-extend according to the memref's Allo type.
"""

from __future__ import annotations

import re
from typing import Callable

from ..._mlir import arith_d, ir
from ...diagnostics import SourceLoc
from ...errors import BuildError
from ...frontend.types import container_bits
from ...mlir_utils import collect_ops
from ...analysis.memref_roots import element_is_signed, signed_from_tags

__all__ = ["strip_memref_annotations", "legalize_memref_int_widths", "map_memref_types"]


def _is_partition_map(layout, rank: int) -> bool:
    if not isinstance(layout, ir.AffineMapAttr) and not isinstance(layout, ir.AffineMapAttr):
        return False
    amap = ir.AffineMapAttr(layout).value
    return amap == ir.AffineMap.get_identity(rank) or len(amap.results) == 2 * rank


def _clean_memref(type_: "ir.MemRefType") -> "ir.Type":
    layout = type_.layout
    keep_layout = layout is not None and not _is_partition_map(layout, type_.rank)
    if not keep_layout and type_.memory_space is None and _is_identity_layout(type_):
        return type_
    return ir.MemRefType.get(type_.shape, type_.element_type,
                             layout if keep_layout else None, None)


def _is_identity_layout(type_) -> bool:
    return "affine_map" not in str(type_) and "strided" not in str(type_)


def map_memref_types(module: "ir.Module", convert: Callable[["ir.MemRefType"], "ir.Type"],
                     keep: frozenset = frozenset()) -> None:
    """Apply ``convert`` to every memref type in ``module`` (values, signatures, globals).

    Results of the operations in ``keep`` are left unchanged.
    """

    def fix(type_):
        if isinstance(type_, ir.MemRefType):
            return convert(ir.MemRefType(type_))
        if isinstance(type_, ir.FunctionType):
            ft = ir.FunctionType(type_)
            return ir.FunctionType.get([fix(t) for t in ft.inputs], [fix(t) for t in ft.results])
        return type_

    def visit(op):
        op = op.operation
        for result in ([] if op in keep else op.results):
            new = fix(result.type)
            if new != result.type:
                result.set_type(new)
        for region in op.regions:
            for block in region.blocks:
                for arg in block.arguments:
                    new = fix(arg.type)
                    if new != arg.type:
                        arg.set_type(new)
        for attr_name in ("function_type", "type"):
            if attr_name in op.attributes and isinstance(op.attributes[attr_name], ir.TypeAttr):
                old = ir.TypeAttr(op.attributes[attr_name]).value
                new = fix(old)
                if new != old:
                    op.attributes[attr_name] = ir.TypeAttr.get(new)
        return ir.WalkResult.ADVANCE

    with module.context, ir.Location.unknown():
        module.operation.walk(visit, ir.WalkOrder.PRE_ORDER)


def strip_memref_annotations(module: "ir.Module") -> None:
    """Remove partition layout maps and memory spaces from every memref type of ``module``."""
    map_memref_types(module, _clean_memref)


# --------------------------------------------------------------------------- odd widths

_LOADS = {"affine.load", "memref.load"}
_STORES = {"affine.store", "memref.store"}
_PASSIVE_USERS = {
    "memref.subview", "memref.cast", "memref.reinterpret_cast", "memref.collapse_shape",
    "memref.expand_shape", "memref.transpose", "memref.copy", "memref.dealloc", "memref.dim",
    "func.call", "func.return", "scf.yield", "affine.yield", "memref.extract_strided_metadata",
    "memref.extract_aligned_pointer_as_index", "memref.assume_alignment", "memref.view",
}


def _needs_container(element: "ir.Type") -> int | None:
    if not isinstance(element, ir.IntegerType):
        return None
    width = ir.IntegerType(element).width
    container = container_bits(width)
    return container if container != width else None


def legalize_memref_int_widths(module: "ir.Module") -> None:
    """Store every odd-width integer memref element in its container width (see module doc)."""
    with module.context, ir.Location.unknown():
        _legalize(module)


def _private_buffers(module) -> frozenset:
    """Local buffers only loaded, stored and freed: their layout is nobody else's business,
    so they keep the exact width (LLVM then sees plain ``i48`` reductions, say)."""
    private = []
    for op in collect_ops(module.operation,
                          lambda o: o.name in ("memref.alloc", "memref.alloca")):
        uses = list(op.results[0].uses)
        if all(_use_is_access(u) for u in uses):
            private.append(op)
    return frozenset(private)


def _use_is_access(use) -> bool:
    owner = use.owner
    owner = owner.operation if hasattr(owner, "operation") else owner
    if owner.name in _LOADS or owner.name == "memref.dealloc":
        return True
    return owner.name in _STORES and use.operand_number == 1


def _legalize(module):
    private = _private_buffers(module)
    private_values = [op.results[0] for op in private]
    fixups = []
    for op in collect_ops(module.operation, lambda o: o.name in _LOADS | _STORES):
        memref = op.operands[0] if op.name in _LOADS else op.operands[1]
        element = ir.MemRefType(memref.type).element_type
        if _needs_container(element) is None or any(memref == v for v in private_values):
            continue
        fixups.append((op, element, element_is_signed(memref)))
    _check_users(module)
    globals_ = [g for g in collect_ops(module.operation, lambda o: o.name == "memref.global")]
    global_signs = {g: _global_is_signed(g) for g in globals_}

    def convert(type_):
        container = _needs_container(type_.element_type)
        if container is None:
            return type_
        return ir.MemRefType.get(type_.shape, ir.IntegerType.get_signless(container),
                                 type_.layout, type_.memory_space)

    map_memref_types(module, convert, keep=private)
    for g, signed in global_signs.items():
        _widen_global_initializer(g, signed)
    for op, element, signed in fixups:
        _fix_access(op, element, signed)


def _check_users(module):
    def odd(value):
        return isinstance(value.type, ir.MemRefType) and \
            _needs_container(ir.MemRefType(value.type).element_type) is not None

    for op in collect_ops(module.operation, lambda o: True):
        if op.name in _LOADS | _STORES | _PASSIVE_USERS:
            continue
        if any(odd(v) for v in op.operands):
            raise BuildError(
                f"the CPU backend cannot lower '{op.name}' on an odd-width integer array",
                loc=SourceLoc.of_op(op))


def _fix_access(op, element, signed):
    with op.location:
        if op.name in _LOADS:
            result = op.results[0]
            container = ir.IntegerType.get_signless(container_bits(ir.IntegerType(element).width))
            result.set_type(container)
            with ir.InsertionPoint(op):
                narrow = arith_d.TruncIOp(element, result)
            narrow.operation.move_after(op)
            result.replace_all_uses_except(narrow.result, narrow.operation)
        else:
            value = op.operands[0]
            container = ir.IntegerType.get_signless(container_bits(ir.IntegerType(element).width))
            with ir.InsertionPoint(op):
                ext = arith_d.ExtSIOp if signed else arith_d.ExtUIOp
                op.operands[0] = ext(container, value).result


def _global_is_signed(op) -> bool:
    return signed_from_tags(op, default_width=_global_width(op))


def _global_width(op) -> int:
    t = ir.MemRefType(ir.TypeAttr(op.attributes["type"]).value)
    el = t.element_type
    return ir.IntegerType(el).width if isinstance(el, ir.IntegerType) else 0


_NUMBER = re.compile(r"-?\d+|true|false")


def dense_int_values(attr, width: int) -> list:
    """The integers of a ``dense<...>`` attribute of ``i<width>`` elements, in row-major order.

    Reads both printed forms (decimal lists and MLIR's raw hex, where each element takes
    ``ceil(width / 8)`` little-endian bytes, or one bit for ``i1``), splats expanded.
    """
    shape = ir.ShapedType(attr.type)
    count = 1
    for d in shape.shape:
        count *= d
    text = str(attr)
    body = text[len("dense<"):text.rindex(">", 0, text.rindex(":"))]
    if body.startswith('"0x'):
        data = bytes.fromhex(body[3:-1])
        if width == 1 and len(data) * 8 >= count and len(data) < count:
            values = [(data[i // 8] >> (i % 8)) & 1 for i in range(count)]
        else:
            size = max(1, (width + 7) // 8)
            values = [int.from_bytes(data[i:i + size], "little")
                      for i in range(0, len(data), size)]
    else:
        values = [1 if t == "true" else 0 if t == "false" else int(t)
                  for t in _NUMBER.findall(body)]
    if len(values) == 1 and count != 1:
        values = values * count
    return values


def _widen_global_initializer(op, signed: bool) -> None:
    """Re-encode a global's ``dense<...>`` initial value at the container width."""
    if "initial_value" not in op.attributes:
        return
    mtype = ir.MemRefType(ir.TypeAttr(op.attributes["type"]).value)
    init = op.attributes["initial_value"]
    if not str(init).startswith("dense<") or not isinstance(mtype.element_type, ir.IntegerType):
        return
    old_width = ir.IntegerType(ir.ShapedType(init.type).element_type).width
    new_width = ir.IntegerType(mtype.element_type).width
    if old_width == new_width:
        return
    size = new_width // 8
    data = bytearray()
    for v in dense_int_values(init, old_width):
        v &= (1 << old_width) - 1
        if signed and v >> (old_width - 1):
            v -= 1 << old_width
        data += (v & ((1 << new_width) - 1)).to_bytes(size, "little")
    shape = "x".join(str(d) for d in mtype.shape)
    tensor = f"tensor<{shape}{'x' if shape else ''}i{new_width}>"
    op.attributes["initial_value"] = ir.Attribute.parse(f'dense<"0x{data.hex().upper()}"> : {tensor}')
