"""Small builders of ``arith`` integer code at arbitrary widths, used by the CPU lowerings.

Every helper creates ops at the current insertion point and location (the caller opens
``with ir.InsertionPoint(op), op.location:``), so a rewrite reads like the arithmetic it emits::

    with ir.InsertionPoint(op), op.location:
        wide = resize(x, 40, signed=True)      # i12 -> i40, sign-extended
        y = shl(wide, const(40, 3))
"""

from __future__ import annotations

from ..._mlir import arith_d, ir

GUARDED_ATTR = "allo.guarded"  # set on ops whose operands were already made trap-free


def int_type(width: int) -> "ir.Type":
    """``i<width>`` in the current context."""
    return ir.IntegerType.get_signless(width)


def width_of(value: "ir.Value") -> int:
    """Bit width of an integer-typed value (``index`` counts as 64 bits)."""
    if isinstance(value.type, ir.IndexType) or str(value.type) == "index":
        return 64
    return ir.IntegerType(value.type).width


def const_attr(type_: "ir.Type", value: int) -> "ir.Attribute":
    """An integer attribute holding ``value`` wrapped to the width of ``type_``."""
    if str(type_) == "index":
        return ir.IntegerAttr.get(type_, int(value))
    width = ir.IntegerType(type_).width
    value = int(value) & ((1 << width) - 1)
    if width > 1 and value >= 1 << (width - 1):
        value -= 1 << width
    if width == 1:
        return ir.IntegerAttr.get(type_, value)
    if -(1 << 63) <= value < (1 << 63):
        return ir.IntegerAttr.get(type_, value)
    return ir.Attribute.parse(f"{value} : {type_}")


def const(width: int, value: int) -> "ir.Value":
    """An ``arith.constant`` of type ``i<width>`` (``value`` is wrapped)."""
    type_ = int_type(width)
    return arith_d.ConstantOp(type_, const_attr(type_, value)).result


def const_index(value: int) -> "ir.Value":
    """An ``arith.constant`` of type ``index``."""
    return arith_d.ConstantOp(ir.IndexType.get(), ir.IntegerAttr.get(ir.IndexType.get(), value)).result


def resize(value: "ir.Value", width: int, signed: bool) -> "ir.Value":
    """Extend (sign or zero) or truncate an integer value to ``width`` bits."""
    current = width_of(value)
    if str(value.type) == "index":
        value = arith_d.IndexCastOp(int_type(64), value).result
    if width == current:
        return value
    if width < current:
        return arith_d.TruncIOp(int_type(width), value).result
    if signed:
        return arith_d.ExtSIOp(int_type(width), value).result
    return arith_d.ExtUIOp(int_type(width), value).result


def to_index(value: "ir.Value", signed: bool = True) -> "ir.Value":
    """An integer value as ``index`` (64-bit, sign- or zero-extended first)."""
    if str(value.type) == "index":
        return value
    return arith_d.IndexCastOp(ir.IndexType.get(), resize(value, 64, signed)).result


def from_index(value: "ir.Value", width: int) -> "ir.Value":
    """An ``index`` (or integer) value wrapped to ``i<width>``."""
    if str(value.type) != "index":
        return resize(value, width, signed=True)
    as64 = arith_d.IndexCastOp(int_type(64), value).result
    return resize(as64, width, signed=True)


def cmp(predicate: str, lhs: "ir.Value", rhs: "ir.Value") -> "ir.Value":
    """``arith.cmpi`` with a predicate name (``"eq"``, ``"uge"``, ...)."""
    return arith_d.CmpIOp(getattr(arith_d.CmpIPredicate, predicate), lhs, rhs).result


def select(cond: "ir.Value", if_true: "ir.Value", if_false: "ir.Value") -> "ir.Value":
    return arith_d.SelectOp(cond, if_true, if_false).result


def _mark_guarded(value: "ir.Value") -> "ir.Value":
    value.owner.attributes[GUARDED_ATTR] = ir.UnitAttr.get()
    return value


def shl(value: "ir.Value", amount: "ir.Value") -> "ir.Value":
    """Left shift whose amount is known to be below the width (no guard is added later)."""
    return _mark_guarded(arith_d.ShLIOp(value, amount).result)


def shr(value: "ir.Value", amount: "ir.Value", signed: bool) -> "ir.Value":
    """Right shift (arithmetic if ``signed``) whose amount is known to be below the width."""
    op = arith_d.ShRSIOp if signed else arith_d.ShRUIOp
    return _mark_guarded(op(value, amount).result)


def andi(a, b):
    return arith_d.AndIOp(a, b).result


def ori(a, b):
    return arith_d.OrIOp(a, b).result


def xori(a, b):
    return arith_d.XOrIOp(a, b).result


def div(a: "ir.Value", b: "ir.Value", signed: bool) -> "ir.Value":
    """Truncating division; the guard pass later protects a zero divisor."""
    return (arith_d.DivSIOp if signed else arith_d.DivUIOp)(a, b).result


def low_mask(width: int, nbits: int) -> int:
    """The integer with the low ``nbits`` bits set, limited to ``width`` bits."""
    return (1 << min(nbits, width)) - 1
