"""Lowering of our ``allo.*`` ops to ``arith`` (docs/ir.md), and the trap guards of the CPU build.

``lower_allo_ops(module)`` rewrites, in place, every conversion involving fixed point, fixed
division and bit operation into integer/float ``arith`` code with the semantics of
language.md §5.4 and §4.4, then calls :func:`insert_arith_guards`, which makes every shift by
an amount ≥ the width and every integer division/remainder by zero (or ``MIN / -1``) well
defined, so LLVM never sees poison shifts or a trapping ``idiv``::

    >>> from allo.backend.llvm import invoke_mlir_parser
    >>> m = invoke_mlir_parser('''
    ... func.func @f(%x: i8) -> i12 {
    ...   %y = "allo.cast"(%x) {src = "i8", dst = "fixed(12, 4)"} : (i8) -> i12
    ...   return %y : i12
    ... }''')
    >>> lower_allo_ops(m)
    >>> "allo.cast" in str(m)
    False
"""

from __future__ import annotations

from ..._mlir import arith_d, ir, llvm_d, math_d
from ...diagnostics import SourceLoc
from ...errors import BuildError
from ...frontend.types import AlloType, Fixed, Float, Index, Int, UFixed, type_from_str
from ...mlir_utils import collect_ops, constant_int, string_attr
from . import arith_builder as ab

__all__ = ["lower_allo_ops", "insert_arith_guards"]


# --------------------------------------------------------------------------- type helpers


class _Num:
    """An integer-like Allo type seen as (width, fraction bits, signed, is_index)."""

    def __init__(self, t: AlloType):
        self.is_index = isinstance(t, Index)
        self.width = 64 if self.is_index else t.bits
        self.fracs = t.fracs if isinstance(t, (Fixed, UFixed)) else 0
        self.signed = self.is_index or isinstance(t, (Int, Fixed))
        self.is_fixed = isinstance(t, (Fixed, UFixed))


def _allo_type(op: "ir.Operation", attr: str) -> AlloType:
    text = string_attr(op, attr)
    if text is None:
        raise BuildError(f"'{op.name}' lacks its '{attr}' attribute", loc=SourceLoc.of_op(op))
    return type_from_str(text)


def _float_type(name: str) -> "ir.Type":
    return {"f16": ir.F16Type.get, "bf16": ir.BF16Type.get,
            "f32": ir.F32Type.get, "f64": ir.F64Type.get}[name]()


def _fconst(type_: "ir.Type", value: float) -> "ir.Value":
    return arith_d.ConstantOp(type_, ir.FloatAttr.get(type_, value)).result


# --------------------------------------------------------------------------- conversions


def _int_like_to_int_like(x, src: _Num, dst: _Num):
    """Integer/fixed/index → integer/fixed/index (language.md §5.4)."""
    if src.fracs <= dst.fracs:  # exact scaling up, then wrap
        up = dst.fracs - src.fracs
        width = max(src.width + up, dst.width)
        v = ab.resize(x, width, src.signed)
        if up:
            v = ab.shl(v, ab.const(width, up))
        return ab.resize(v, dst.width, src.signed)
    down = src.fracs - dst.fracs
    if not dst.is_fixed:  # fixed → integer: truncate toward zero
        if src.signed:
            width = max(src.width, dst.width, down + 2)
            v = ab.resize(x, width, True)
            q = ab.div(v, ab.const(width, 1 << down), signed=True)
            q.owner.attributes[ab.GUARDED_ATTR] = ir.UnitAttr.get()
        else:
            width = max(src.width, dst.width)
            v = ab.resize(x, width, False)
            q = ab.const(width, 0) if down >= width else ab.shr(v, ab.const(width, down), False)
        return ab.resize(q, dst.width, src.signed)
    width = max(src.width, dst.width)  # fixed → fixed: floor
    v = ab.resize(x, width, src.signed)
    if down >= width:
        q = ab.shr(v, ab.const(width, width - 1), True) if src.signed else ab.const(width, 0)
    else:
        q = ab.shr(v, ab.const(width, down), src.signed)
    return ab.resize(q, dst.width, src.signed)


def _float_to_fixed(x, dst: _Num):
    """float → fixed: ``floor(x · 2^F)``, then wrap to W bits."""
    f64 = ir.F64Type.get()
    if str(x.type) != "f64":
        x = arith_d.ExtFOp(f64, x).result
    scaled = arith_d.MulFOp(x, _fconst(f64, float(2.0 ** dst.fracs))).result
    floored = math_d.FloorOp(scaled).result
    width = 64 if dst.width <= 64 else dst.width + 1
    raw = arith_d.FPToSIOp(ab.int_type(width), floored).result
    return ab.resize(raw, dst.width, True)


def _scale_down(value, type_: "ir.Type", fracs: int, max_exp: int):
    """``value · 2^-fracs`` in ``type_``, in steps whose constants stay normal numbers."""
    while fracs > 0:
        step = min(fracs, max_exp)
        value = arith_d.MulFOp(value, _fconst(type_, float(2.0 ** -step))).result
        fracs -= step
    return value


_MAX_NORMAL_EXP = {"f16": 14, "bf16": 126, "f32": 126, "f64": 1022}


def _fixed_to_float(x, src: _Num, dst_name: str):
    """fixed → float: the exact value rounded to nearest even (one rounding when W ≤ 53)."""
    to_float = arith_d.SIToFPOp if src.signed else arith_d.UIToFPOp
    dst_type = _float_type(dst_name)
    if src.width <= 53:  # raw and raw·2^-F are exact in f64: round once at the end
        f64 = ir.F64Type.get()
        exact = _scale_down(to_float(f64, x).result, f64, src.fracs, 1022)
        return exact if dst_name == "f64" else arith_d.TruncFOp(dst_type, exact).result
    converted = to_float(dst_type, x).result
    return _scale_down(converted, dst_type, src.fracs, _MAX_NORMAL_EXP[dst_name])


def _lower_cast(op: "ir.Operation") -> "ir.Value":
    src_t, dst_t = _allo_type(op, "src"), _allo_type(op, "dst")
    x = op.operands[0]
    if isinstance(src_t, Float) and isinstance(dst_t, Float):
        if src_t.bits < dst_t.bits:
            return arith_d.ExtFOp(op.results[0].type, x).result
        if src_t.name == dst_t.name:
            return x
        return arith_d.TruncFOp(op.results[0].type, x).result
    if isinstance(src_t, Float):
        if isinstance(dst_t, (Fixed, UFixed)):
            return _float_to_fixed(x, _Num(dst_t))
        dst = _Num(dst_t)
        raw = arith_d.FPToSIOp(ab.int_type(max(64, dst.width)), x).result
        out = ab.resize(raw, dst.width, True)
        return arith_d.IndexCastOp(ir.IndexType.get(), out).result if dst.is_index else out
    if isinstance(dst_t, Float):
        return _fixed_to_float(ab.resize(x, _Num(src_t).width, True), _Num(src_t), dst_t.name)
    src, dst = _Num(src_t), _Num(dst_t)
    if src.is_index:
        x = arith_d.IndexCastOp(ab.int_type(64), x).result
    out = _int_like_to_int_like(x, src, dst)
    return arith_d.IndexCastOp(ir.IndexType.get(), out).result if dst.is_index else out


def _lower_fixed_div(op: "ir.Operation") -> "ir.Value":
    """Exact quotient of the two values, truncated toward zero to ``res``'s fraction bits."""
    lhs, rhs, res = (_Num(_allo_type(op, k)) for k in ("lhs", "rhs", "res"))
    shift = res.fracs + rhs.fracs - lhs.fracs
    width = lhs.width + rhs.width + abs(shift) + 2
    num = ab.resize(op.operands[0], width, lhs.signed)
    den = ab.resize(op.operands[1], width, rhs.signed)
    if shift > 0:
        num = ab.shl(num, ab.const(width, shift))
    elif shift < 0:
        den = ab.shl(den, ab.const(width, -shift))
    return ab.resize(ab.div(num, den, signed=True), res.width, True)


# --------------------------------------------------------------------------- bit operations


def _amount(index_value, width: int):
    """A run-time bit position as ``i<width>`` (shifts built from it get guarded later)."""
    return ab.from_index(index_value, width)


def _lower_get_bit(op):
    x = op.operands[0]
    width = ab.width_of(x)
    shifted = arith_d.ShRUIOp(x, _amount(op.operands[1], width)).result
    return ab.resize(shifted, 1, False)


def _lower_get_slice(op):
    x = op.operands[0]
    width = ab.width_of(x)
    shifted = arith_d.ShRUIOp(x, _amount(op.operands[1], width)).result
    return ab.resize(shifted, ab.width_of(op.results[0]), False)


def _lower_set_bit(op):
    x, k, v = op.operands[0], op.operands[1], op.operands[2]
    width = ab.width_of(x)
    mask = arith_d.ShLIOp(ab.const(width, 1), _amount(k, width)).result
    with_bit = ab.ori(x, mask)
    without_bit = ab.andi(x, ab.xori(mask, ab.const(width, -1)))
    return ab.select(ab.resize(v, 1, False), with_bit, without_bit)


def _lower_set_slice(op):
    x, lo, v = op.operands[0], op.operands[1], op.operands[2]
    width = ab.width_of(x)
    amount = _amount(lo, width)
    ones = ab.const(width, ab.low_mask(width, ab.width_of(v)))
    mask = arith_d.ShLIOp(ones, amount).result
    placed = arith_d.ShLIOp(ab.resize(v, width, False), amount).result
    kept = ab.andi(x, ab.xori(mask, ab.const(width, -1)))
    return ab.ori(kept, ab.andi(placed, mask))


def _lower_reverse(op):
    x = op.operands[0]
    if ab.width_of(x) == 1:
        return x
    return llvm_d.BitReverseOp(x, results=[x.type]).result


def _lower_bitcast(op):
    x = op.operands[0]
    if x.type == op.results[0].type:
        return x
    return arith_d.BitcastOp(op.results[0].type, x).result


_LOWERINGS = {
    "allo.cast": _lower_cast,
    "allo.fixed_div": _lower_fixed_div,
    "allo.get_bit": _lower_get_bit,
    "allo.get_slice": _lower_get_slice,
    "allo.set_bit": _lower_set_bit,
    "allo.set_slice": _lower_set_slice,
    "allo.reverse": _lower_reverse,
    "allo.bitcast": _lower_bitcast,
}


def lower_allo_ops(module: "ir.Module") -> None:
    """Replace every ``allo.*`` op of ``module`` by ``arith`` code, then insert trap guards.

    Raises ``BuildError`` for an ``allo.*`` op this lowering does not know.

    >>> from allo.backend.llvm import invoke_mlir_parser
    >>> m = invoke_mlir_parser('''func.func @f(%x: i8) -> i1 {
    ...   %c = arith.constant 3 : index
    ...   %b = "allo.get_bit"(%x, %c) : (i8, index) -> i1
    ...   return %b : i1 }''')
    >>> lower_allo_ops(m); "arith.shrui" in str(m)
    True
    """
    with module.context, ir.Location.unknown():
        for op in collect_ops(module.operation, lambda o: o.name.startswith("allo.")):
            lower = _LOWERINGS.get(op.name)
            if lower is None:
                raise BuildError(f"the CPU backend cannot lower operation '{op.name}'",
                                 loc=SourceLoc.of_op(op))
            with ir.InsertionPoint(op), op.location:
                value = lower(op)
            op.results[0].replace_all_uses_with(value)
            op.erase()
    insert_arith_guards(module)


# --------------------------------------------------------------------------- guards

_SHIFTS = {"arith.shli", "arith.shrsi", "arith.shrui"}
_SIGNED_DIVS = {"arith.divsi", "arith.remsi", "arith.floordivsi", "arith.ceildivsi"}
_UNSIGNED_DIVS = {"arith.divui", "arith.remui", "arith.ceildivui"}


def _int_width(type_: "ir.Type"):
    if str(type_) == "index":
        return 64
    if isinstance(type_, ir.IntegerType):
        return ir.IntegerType(type_).width
    return None  # vectors and other shaped types are not produced by our frontend


def _const_of(type_, value):
    if str(type_) == "index":
        return ab.const_index(value)
    return ab.const(ir.IntegerType(type_).width, value)


def _guard_shift(op, width):
    amount = op.operands[1]
    known = constant_int(amount)
    if known is not None and 0 <= known < width:
        return
    type_ = op.results[0].type
    with ir.InsertionPoint(op), op.location:
        too_far = ab.cmp("uge", amount, _const_of(type_, width))
        if op.name == "arith.shrsi":
            limit = _const_of(type_, width - 1)
            fallback = ab.shr(op.operands[0], limit, True)
        else:
            fallback = _const_of(type_, 0)
        chosen = arith_d.SelectOp(too_far, fallback, op.results[0])
    chosen.operation.move_after(op)
    op.results[0].replace_all_uses_except(chosen.result, chosen.operation)


def _guard_division(op, width, signed):
    dividend, divisor = op.operands[0], op.operands[1]
    known = constant_int(divisor)
    if known is not None and known != 0 and not (signed and known == -1):
        return
    type_ = divisor.type
    with ir.InsertionPoint(op), op.location:
        if signed and width == 1:  # i1 holds 0 and -1 only: a / -1 == a, a % -1 == 0
            value = _const_of(type_, 0) if op.name == "arith.remsi" else dividend
            op.results[0].replace_all_uses_with(value)
            op.erase()
            return
        bad = ab.cmp("eq", divisor, _const_of(type_, 0))
        if signed:
            is_min = ab.cmp("eq", dividend, _const_of(type_, -(1 << (width - 1))))
            is_minus_one = ab.cmp("eq", divisor, _const_of(type_, -1))
            bad = ab.ori(bad, ab.andi(is_min, is_minus_one))
        safe = ab.select(bad, _const_of(type_, 1), divisor)
    op.operands[1] = safe


def _expand_wide_floordiv(op) -> None:
    """``floordivsi`` wider than 64 bits as ``q = a / b; q - (a != q*b and sign(a) != sign(b))``.

    Upstream's ``arith-expand`` builds its ``-1`` from a 64-bit value, so above 64 bits it adds
    ``2**64 - 1`` instead of subtracting one. The divisor is already trap-free here.
    """
    dividend, divisor = op.operands[0], op.operands[1]
    width = ab.width_of(dividend)
    with ir.InsertionPoint(op), op.location:
        quotient = arith_d.DivSIOp(dividend, divisor)
        quotient.operation.attributes[ab.GUARDED_ATTR] = ir.UnitAttr.get()
        inexact = ab.cmp("ne", dividend, arith_d.MulIOp(quotient.result, divisor).result)
        zero = ab.const(width, 0)
        signs_differ = ab.xori(ab.cmp("slt", dividend, zero), ab.cmp("slt", divisor, zero))
        lowered = arith_d.AddIOp(quotient.result, ab.const(width, -1)).result
        value = ab.select(ab.andi(inexact, signs_differ), lowered, quotient.result)
    op.results[0].replace_all_uses_with(value)
    op.erase()


def insert_arith_guards(module: "ir.Module") -> None:
    """Make shifts by ≥ width and integer division by zero / ``MIN / -1`` trap-free (docs/ir.md).

    Shifts by an amount ≥ the width give 0 (``shli``, ``shrui``) or the sign fill (``shrsi``);
    a zero divisor (and ``-1`` with a ``MIN`` dividend) is replaced by 1. Ops already handled
    carry the unit attribute ``allo.guarded``; constant safe operands need no guard. A
    ``floordivsi`` wider than 64 bits is expanded here (:func:`_expand_wide_floordiv`).
    """
    names = _SHIFTS | _SIGNED_DIVS | _UNSIGNED_DIVS
    with module.context, ir.Location.unknown():
        for op in collect_ops(module.operation, lambda o: o.name in names):
            if ab.GUARDED_ATTR in op.attributes:
                continue
            width = _int_width(op.results[0].type)
            if width is None:
                continue
            op.attributes[ab.GUARDED_ATTR] = ir.UnitAttr.get()
            if op.name in _SHIFTS:
                _guard_shift(op, width)
            else:
                _guard_division(op, width, op.name in _SIGNED_DIVS)
                if op.name == "arith.floordivsi" and width > 64:
                    _expand_wide_floordiv(op)
