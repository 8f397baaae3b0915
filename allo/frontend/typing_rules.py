"""The default typing rules of language.md §5 (and the ``cpp-style`` set of §5.5).

>>> from allo.frontend.types import int8, uint8, Fixed
>>> str(result_type("+", int8, uint8)), str(result_type("*", Fixed(8, 3), Fixed(12, 6)))
('i10', 'fixed(20, 9)')
"""

from __future__ import annotations

from ..errors import AlloTypeError
from .types import AlloType, Fixed, Float, Index, Int, UFixed, UInt, float32, float64

RULE_SETS = ("default", "cpp-style")  # customize(..., typing_rule_set=...)
ARITH_OPS = {"+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^"}
CMP_OPS = {"==", "!=", "<", "<=", ">", ">="}


def _sif(t: AlloType, mixed_with_other: bool):
    """(signed, integer bits, fraction bits); ``index`` mixed with other types is UInt(32)."""
    if isinstance(t, Index):
        return (0, 32, 0) if mixed_with_other else (1, 32, 0)
    if isinstance(t, Int):
        return (1, t.bits, 0)
    if isinstance(t, UInt):
        return (0, t.bits, 0)
    if isinstance(t, Fixed):
        return (1, t.bits - t.fracs, t.fracs)
    if isinstance(t, UFixed):
        return (0, t.bits - t.fracs, t.fracs)
    raise AlloTypeError(f"type {t} has no integer representation")


def _make(signed: int, ibits: int, fbits: int, fixed: bool) -> AlloType:
    if fixed:
        return Fixed(ibits + fbits, fbits) if signed else UFixed(ibits + fbits, fbits)
    return Int(ibits) if signed else UInt(ibits)


def float_rule(a: AlloType, b: AlloType) -> Float:
    """Result float type when at least one operand is a float."""
    fa, fb = isinstance(a, Float), isinstance(b, Float)
    if fa and fb:
        if a == b:
            return a
        if {a.name, b.name} == {"f16", "bf16"}:
            return float32
        return a if a.bits >= b.bits else b
    return a if fa else b


def _common(a: AlloType, b: AlloType, grow: int) -> AlloType:
    """R-CMP (grow=0) and R-ADD (grow=1) for integer/fixed operands."""
    mixed = not (isinstance(a, Index) and isinstance(b, Index))
    s1, i1, f1 = _sif(a, mixed)
    s2, i2, f2 = _sif(b, mixed)
    fixed = a.is_fixed or b.is_fixed
    if not s1 and not s2:
        return _make(0, max(i1, i2) + grow, max(f1, f2), fixed)
    return _make(1, max(i1 + (1 - s1), i2 + (1 - s2)) + grow, max(f1, f2), fixed)


def _check_numeric(op: str, a: AlloType, b: AlloType):
    for t in (a, b):
        if not isinstance(t, (Int, UInt, Index, Fixed, UFixed, Float)):
            raise AlloTypeError(f"operator '{op}' is not defined for types {a} and {b}")


def result_type(op: str, a: AlloType, b: AlloType) -> AlloType:
    """Result type of ``a op b`` under the default rule set (comparisons: the operand type)."""
    _check_numeric(op, a, b)
    if isinstance(a, Index) and isinstance(b, Index) and op not in ("**",):
        return a
    any_float = a.is_float or b.is_float
    if op in ("<<", ">>"):
        if any_float:
            raise AlloTypeError(f"operator '{op}' is not defined for types {a} and {b}")
        if b.is_fixed:
            raise AlloTypeError(f"operator '{op}' is not defined for types {a} and {b}")
        return a
    if op in ("&", "|", "^"):
        if any_float or a.is_fixed or b.is_fixed:
            raise AlloTypeError(f"operator '{op}' is not defined for types {a} and {b}")
        mixed = True
        s1, w1, _ = _sif(a, mixed)
        s2, w2, _ = _sif(b, mixed)
        if isinstance(a, Index):
            w1 = 32
        if isinstance(b, Index):
            w2 = 32
        return Int(max(w1, w2)) if (s1 or s2) else UInt(max(w1, w2))
    if op == "**":
        if any_float:
            return float_rule(a, b)
        return float32 if a.bits <= 32 and b.bits <= 32 else float64
    if any_float:
        if op == "%" and (a.is_fixed or b.is_fixed):
            pass
        return float_rule(a, b)
    if op in ("+", "-"):
        return _common(a, b, 1)
    if op == "*":
        mixed = True
        s1, i1, f1 = _sif(a, mixed)
        s2, i2, f2 = _sif(b, mixed)
        w1, w2 = i1 + f1, i2 + f2
        signed = s1 or s2
        fixed = a.is_fixed or b.is_fixed
        return _make(signed, w1 + w2 - (f1 + f2), f1 + f2, fixed)
    if op in ("/", "//"):
        if a.is_fixed or b.is_fixed:
            if op == "//":
                raise AlloTypeError(f"operator '{op}' is not defined for types {a} and {b}")
            s1, i1, f1 = _sif(a, True)
            s2, i2, f2 = _sif(b, True)
            signed = s1 or s2
            width = i1 + f1 + i2 + f2 + (1 if s1 != s2 else 0)
            fracs = f1 + i2
            return Fixed(width, fracs) if signed else UFixed(width, fracs)
        return _common(a, b, 0)
    if op == "%":
        if a.is_fixed or b.is_fixed:
            raise AlloTypeError(f"operator '{op}' is not defined for types {a} and {b}")
        return _common(a, b, 0)
    if op in CMP_OPS or op in ("min", "max", "select"):
        return _common(a, b, 0)
    raise AlloTypeError(f"operator '{op}' is not defined for types {a} and {b}")


def common_type(a: AlloType, b: AlloType) -> AlloType:
    """R-CMP: the common type of comparisons, ternaries, min/max, allo.add/sub/mul/div."""
    _check_numeric("compare", a, b)
    if a.is_float or b.is_float:
        return float_rule(a, b)
    if isinstance(a, Index) and isinstance(b, Index):
        return a
    return _common(a, b, 0)


def neg_type(t: AlloType) -> AlloType:
    """R-NEG."""
    if isinstance(t, (Int, UInt)):
        return Int(t.bits + 1)
    if isinstance(t, (Fixed, UFixed)):
        return Fixed(t.bits + 1, t.fracs)
    if isinstance(t, (Index, Float)):
        return t
    raise AlloTypeError(f"operator '-' is not defined for type {t}")


_CPP_WIDTHS = {8, 16, 32, 64}


def cpp_style_result_type(op: str, a: AlloType, b: AlloType) -> AlloType | None:
    """language.md §5.5; ``None`` when the operator falls back to the default rules."""
    if op not in {"+", "-", "*", "/", "//", "%"} | CMP_OPS:
        return None
    if a.is_float or b.is_float:
        return float_rule(a, b)
    for t in (a, b):
        if t.is_fixed or (isinstance(t, (Int, UInt)) and t.bits not in _CPP_WIDTHS):
            raise AlloTypeError(f"{a}, {b} fail binary arithmetic rule")
    if isinstance(a, Index) and isinstance(b, Index):
        return a
    if isinstance(b, Index):
        a, b = b, a
    if isinstance(a, Index):
        if isinstance(b, Int):
            return Int(max(b.bits, 32))
        return b if b.bits >= 32 else a
    if type(a) is type(b):
        return type(a)(max(a.bits, b.bits))
    sa, ua = (a, b) if isinstance(a, Int) else (b, a)
    return ua if ua.bits >= sa.bits else sa
