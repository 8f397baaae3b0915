"""Demanded-bits narrowing of integer arithmetic for the CPU build.

The typing rules make ``+ - *`` exact in a wide enough type (``int16 + int16`` is ``i17``,
``4 * a`` on ``int16`` is ``i48``), and the store truncates back to the declared width. The
low ``N`` bits of a sum, difference or product depend only on the low ``N`` bits of the
operands, so ``trunci(addi(extsi(a), extsi(b)))`` to ``iN`` equals ``addi`` computed directly
at ``iN`` on the operands resized to ``N`` bits. Doing so keeps LLVM's vectorizer on native
widths. Results are bit-identical; only single-use wide values are rewritten, so no work is
duplicated.

>>> # trunci(addi(extsi(a: i16) to i17, extsi(b: i16) to i17)) to i16  ==>  addi(a, b) : i16
"""

from __future__ import annotations

from ..._mlir import arith_d, ir
from ...mlir_utils import collect_ops

_RING_OPS = {"arith.addi": arith_d.AddIOp, "arith.subi": arith_d.SubIOp,
             "arith.muli": arith_d.MulIOp}
_EXTS = ("arith.extsi", "arith.extui")


def _width(value) -> int | None:
    t = value.type
    return ir.IntegerType(t).width if isinstance(t, ir.IntegerType) else None


def _owner(value):
    owner = value.owner
    if isinstance(owner, ir.Block):
        return None
    return owner.operation if hasattr(owner, "operation") else owner


def _single_use(value) -> bool:
    uses = iter(value.uses)
    return next(uses, None) is not None and next(uses, None) is None


def _resize(value, width: int):
    """``value`` as an ``i<width>`` holding its low bits (new ops inserted at the cursor)."""
    src = _width(value)
    target = ir.IntegerType.get_signless(width)
    if src == width:
        return value
    op = _owner(value)
    if op is not None and op.name in _EXTS:
        inner = op.operands[0]
        iw = _width(inner)
        if iw == width:
            return inner
        if iw < width:
            cls = arith_d.ExtSIOp if op.name == "arith.extsi" else arith_d.ExtUIOp
            return cls(target, inner).result
        return _resize(inner, width)
    if op is not None and op.name == "arith.constant" and src <= 64:
        attr = ir.IntegerAttr(op.attributes["value"])
        raw = attr.value & ((1 << width) - 1)
        if width > 1 and raw >= 1 << (width - 1):
            raw -= 1 << width
        return arith_d.ConstantOp(target, ir.IntegerAttr.get(target, raw)).result
    if op is not None and op.name in _RING_OPS and _single_use(value):
        a = _resize(op.operands[0], width)
        b = _resize(op.operands[1], width)
        return _RING_OPS[op.name](a, b).result
    if src < width:
        return arith_d.ExtSIOp(target, value).result
    return arith_d.TruncIOp(target, value).result


def narrow_integer_arithmetic(module: "ir.Module") -> int:
    """Rewrite every ``trunci`` of a single-use add/sub/mul chain; returns the count."""
    count = 0
    with module.context, ir.Location.unknown():
        truncs = collect_ops(module.operation, lambda o: o.name == "arith.trunci")
        for trunc in truncs:
            source = trunc.operands[0]
            width = _width(trunc.results[0])
            op = _owner(source)
            if width is None or op is None or op.name not in _RING_OPS or not _single_use(source):
                continue
            with ir.InsertionPoint(trunc), trunc.location:
                narrow = _resize(source, width)
            trunc.results[0].replace_all_uses_with(narrow)
            trunc.erase()
            count += 1
    return count
