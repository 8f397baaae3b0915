"""Conversions between Allo scalar types, emitted as MLIR (language.md §5.4).

Fixed-point conversions become ``allo.cast`` ops (docs/ir.md); everything else is plain
``arith``. All functions insert at the current ``ir.InsertionPoint`` and ``ir.Location``.
"""

from __future__ import annotations

import math

from .._mlir import arith_d, ir
from ..errors import AlloTypeError
from .types import AlloType, Fixed, Float, Index, Int, UFixed, UInt


def needs_tag(t: AlloType) -> bool:
    """Whether values of ``t`` need an ``allo.type`` tag (non-default integer types)."""
    if isinstance(t, (UInt, Fixed, UFixed)):
        return not (isinstance(t, UInt) and t.bits == 1)
    if isinstance(t, Int):
        return t.bits == 1
    return False


def tag(op, t: AlloType):
    """Attach ``allo.type`` to ``op`` when ``t`` is not the default for its MLIR type."""
    if needs_tag(t):
        op.attributes["allo.type"] = ir.StringAttr.get(t.name)
    return op


def tag_buffer(op, t: AlloType):
    """Tags for allocs/globals: ``allo.type`` plus ``unsigned`` for unsigned kinds."""
    if isinstance(t, (UInt, Fixed, UFixed)) or (isinstance(t, Int) and t.bits == 1):
        op.attributes["allo.type"] = ir.StringAttr.get(t.name)
        if isinstance(t, (UInt, UFixed)):
            op.attributes["unsigned"] = ir.UnitAttr.get()
    return op


def op_result(op):
    """The single result of what an op builder returns (an op view or an operation)."""
    return op.result if hasattr(op, "result") else op.results[0]


def wrap_int(value: int, t: AlloType) -> int:
    """``value`` wrapped into the range of integer type ``t`` (two's complement)."""
    bits = t.bits
    value &= (1 << bits) - 1
    if isinstance(t, (Int, Fixed)) and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def raw_int_attr_value(value: int, bits: int) -> int:
    """An integer fitting a signless ``i<bits>`` attribute (signed representation)."""
    value &= (1 << bits) - 1
    if bits > 1 and value >= 1 << (bits - 1):
        value -= 1 << bits
    if bits == 1:
        return -value if value else 0
    return value


def constant(py_value, t: AlloType):
    """Materialise a Python constant converted to ``t`` (compile-time §5.4 conversion)."""
    if isinstance(t, Index):
        return op_result(arith_d.ConstantOp(ir.IndexType.get(), ir.IntegerAttr.get(ir.IndexType.get(), int(py_value))))
    if isinstance(t, Float):
        ty = t.build()
        return op_result(arith_d.ConstantOp(ty, ir.FloatAttr.get(ty, float(py_value))))
    if isinstance(t, (Int, UInt)):
        if isinstance(py_value, float):
            py_value = math.trunc(py_value)
        raw = wrap_int(int(py_value), t)
    elif isinstance(t, (Fixed, UFixed)):
        raw = wrap_int(math.floor(py_value * (1 << t.fracs)) if isinstance(py_value, float)
                       else int(py_value) << t.fracs, t)
    else:
        raise AlloTypeError(f"cannot make a constant of type {t}")
    ty = ir.IntegerType.get_signless(t.bits)
    op = arith_d.ConstantOp(ty, ir.IntegerAttr.get(ty, raw_int_attr_value(raw, t.bits)))
    tag(op, t)
    return op_result(op)


def _allo_cast(value, src: AlloType, dst: AlloType):
    op = ir.Operation.create(
        "allo.cast",
        results=[dst.build()],
        operands=[value],
        attributes={"src": ir.StringAttr.get(src.name), "dst": ir.StringAttr.get(dst.name)},
    )
    tag(op, dst)
    return op.results[0]


def _int_resize(value, src: AlloType, dst: AlloType):
    sb, db = src.bits, dst.bits
    dty = ir.IntegerType.get_signless(db)
    if sb == db:
        return value
    if sb < db:
        cls = arith_d.ExtUIOp if isinstance(src, UInt) else arith_d.ExtSIOp
        op = cls(dty, value)
    else:
        op = arith_d.TruncIOp(dty, value)
    tag(op, dst)
    return op_result(op)


def cast(value, src: AlloType, dst: AlloType):
    """Convert MLIR ``value`` of Allo type ``src`` to ``dst``; returns the new MLIR value."""
    if src.name == dst.name:
        return value
    if src.is_fixed or dst.is_fixed:
        return _allo_cast(value, src, dst)
    if isinstance(src, (Int, UInt)) and isinstance(dst, (Int, UInt)):
        return _int_resize(value, src, dst)
    if isinstance(src, Index) and isinstance(dst, (Int, UInt)):
        i64 = op_result(arith_d.IndexCastOp(ir.IntegerType.get_signless(64), value))
        return _int_resize(i64, Int(64), dst) if dst.bits != 64 else _retag(i64, dst)
    if isinstance(src, (Int, UInt)) and isinstance(dst, Index):
        cls = arith_d.IndexCastUIOp if isinstance(src, UInt) else arith_d.IndexCastOp
        return op_result(cls(ir.IndexType.get(), value))
    if isinstance(src, Float) and isinstance(dst, Float):
        if src.bits < dst.bits:
            return op_result(arith_d.ExtFOp(dst.build(), value))
        if src.bits > dst.bits:
            return op_result(arith_d.TruncFOp(dst.build(), value))
        wide = op_result(arith_d.ExtFOp(ir.F32Type.get(), value))
        return op_result(arith_d.TruncFOp(dst.build(), wide))
    if isinstance(src, (Int, UInt)) and isinstance(dst, Float):
        cls = arith_d.UIToFPOp if isinstance(src, UInt) else arith_d.SIToFPOp
        return op_result(cls(dst.build(), value))
    if isinstance(src, Index) and isinstance(dst, Float):
        i64 = op_result(arith_d.IndexCastOp(ir.IntegerType.get_signless(64), value))
        return op_result(arith_d.SIToFPOp(dst.build(), i64))
    if isinstance(src, Float) and isinstance(dst, (Int, UInt, Index)):
        wide_bits = max(64, dst.bits if not isinstance(dst, Index) else 64)
        wide = op_result(arith_d.FPToSIOp(ir.IntegerType.get_signless(wide_bits), value))
        if isinstance(dst, Index):
            return op_result(arith_d.IndexCastOp(ir.IndexType.get(), wide))
        return _int_resize(wide, Int(wide_bits), dst) if dst.bits != wide_bits else _retag(wide, dst)
    raise AlloTypeError(f"cannot convert {src} to {dst}")


def _retag(value, dst):
    """Same bits, new Allo type (no op needed unless a tag must be visible)."""
    if needs_tag(dst):
        op = value.owner
        tag(op, dst)
    return value
