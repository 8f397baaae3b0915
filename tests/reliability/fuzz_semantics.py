"""Reference semantics of allo's scalar types (language.md §5), written independently.

Values are plain Python numbers: integers and fixed point are their raw two's-complement integer
(already wrapped to the type, signed or unsigned interpretation), floats are ``numpy.float32`` /
``numpy.float64``. Every operation computes the exact mathematical result and then applies the
rounding or wrap-around the language prescribes, so the reference does not depend on any
machine integer width.

Operations whose result the language leaves unspecified (division by zero, ``MIN / -1``,
negative shift amounts, float-to-integer conversion of NaN or values beyond ±2^63) raise
:class:`Unspecified`; the fuzzer discards such inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np


class Unspecified(Exception):
    """The program hit behaviour the language leaves unspecified (not a library bug)."""


@dataclass(frozen=True)
class Ty:
    """A scalar type: ``kind`` is ``int`` (Int/UInt/bool), ``fixed``, ``float`` or ``index``."""

    kind: str
    signed: bool
    width: int
    frac: int = 0

    @property
    def integer_bits(self) -> int:
        return self.width - self.frac

    @property
    def is_float(self) -> bool:
        return self.kind == "float"

    def source(self) -> str:
        """Spelling in kernel source."""
        if self.kind == "float":
            return f"float{self.width}"
        if self.kind == "index":
            return "index"
        if self.kind == "fixed":
            return f"{'' if self.signed else 'U'}Fixed({self.width}, {self.frac})"
        if self.width in (8, 16, 32, 64):
            return f"{'' if self.signed else 'u'}int{self.width}"
        return f"{'' if self.signed else 'U'}Int({self.width})"

    def __str__(self) -> str:
        return self.source()


def Int(n: int) -> Ty:  # noqa: N802 (mirrors allo's constructor names)
    """``Int(...)`` as in ``allo.ir.types``."""
    return Ty("int", True, n)


def UInt(n: int) -> Ty:  # noqa: N802
    """``UInt(...)`` as in ``allo.ir.types``."""
    return Ty("int", False, n)


def Fixed(w: int, f: int) -> Ty:  # noqa: N802
    """``Fixed(...)`` as in ``allo.ir.types``."""
    return Ty("fixed", True, w, f)


def UFixed(w: int, f: int) -> Ty:  # noqa: N802
    """``UFixed(...)`` as in ``allo.ir.types``."""
    return Ty("fixed", False, w, f)


FLOAT32 = Ty("float", True, 32, 23)
FLOAT64 = Ty("float", True, 64, 52)
INDEX = Ty("index", True, 64)
BOOL = UInt(1)
INT32 = Int(32)

FLOAT_MANTISSA = {32: 24, 64: 53}
FLOAT_MIN_EXP = {32: -126, 64: -1022}
FLOAT_MAX_EXP = {32: 127, 64: 1023}
NUMPY_FLOAT = {32: np.float32, 64: np.float64}


# ----------------------------------------------------------------------------- wrap and values


def wrap(raw: int, ty: Ty) -> int:
    """Keep the low ``width`` bits of ``raw`` and read them with ``ty``'s signedness."""
    if ty.kind == "index":
        return raw
    mask = (1 << ty.width) - 1
    raw &= mask
    if ty.signed and raw >> (ty.width - 1):
        raw -= 1 << ty.width
    return raw


def exact_value(value, ty: Ty) -> Fraction:
    """The exact rational value held by ``value`` of type ``ty``."""
    if ty.is_float:
        return Fraction(float(value))
    return Fraction(value, 1 << ty.frac) if ty.frac else Fraction(value)


def round_to_float(exact: Fraction, width: int):
    """``exact`` rounded to nearest-even at the precision of float``width`` (IEEE)."""
    kind = NUMPY_FLOAT[width]
    if exact == 0:
        return kind(0.0)
    sign = -1 if exact < 0 else 1
    mag = abs(exact)
    mantissa = FLOAT_MANTISSA[width]
    exponent = mag.numerator.bit_length() - mag.denominator.bit_length()
    if Fraction(2) ** exponent > mag:
        exponent -= 1
    exponent = max(exponent, FLOAT_MIN_EXP[width])  # subnormals keep the minimum exponent
    scale = Fraction(2) ** (mantissa - 1 - exponent)
    scaled = mag * scale
    whole = scaled.numerator // scaled.denominator
    rest = scaled - whole
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2):
        whole += 1
    result = Fraction(whole) / scale
    if result >= Fraction(2) ** (FLOAT_MAX_EXP[width] + 1):
        return kind(sign * math.inf)
    return kind(sign * float(result)) if width == 64 else kind(sign * float(result))


def truncate_toward_zero(q: Fraction) -> int:
    """C-style rounding of a rational to an integer."""
    return q.numerator // q.denominator if q >= 0 else -((-q.numerator) // q.denominator)


def floor_fraction(q: Fraction) -> int:
    """Python-style floor of a rational."""
    return q.numerator // q.denominator


# ----------------------------------------------------------------------------- conversions


def convert(value, src: Ty, dst: Ty):
    """Convert ``value`` of type ``src`` to ``dst`` (language.md §5.4)."""
    if dst.is_float:
        if src.is_float:
            with np.errstate(over="ignore"):
                return NUMPY_FLOAT[dst.width](value)
        return round_to_float(exact_value(value, src), dst.width)
    if src.is_float:
        if not math.isfinite(float(value)):
            raise Unspecified(f"{value} converted to {dst}")
        scaled = Fraction(float(value)) * (1 << dst.frac)
        raw = floor_fraction(scaled) if dst.kind == "fixed" else truncate_toward_zero(scaled)
        if abs(raw) >= 1 << 63:
            raise Unspecified(f"{value} out of range for {dst}")
        return wrap(raw, dst)
    if dst.kind == "fixed":
        if src.frac > dst.frac:
            return wrap(value >> (src.frac - dst.frac), dst)  # floor
        return wrap(value << (dst.frac - src.frac), dst)
    # integer (or index) destination
    if src.frac:
        return wrap(truncate_toward_zero(Fraction(value, 1 << src.frac)), dst)
    return wrap(value, dst)


def truthy(value, ty: Ty) -> bool:
    """Condition semantics: ``value != 0`` (NaN is true)."""
    if ty.is_float:
        return bool(value != 0 or math.isnan(float(value)))
    return value != 0


# ----------------------------------------------------------------------------- typing rules


def _sif(ty: Ty) -> tuple[bool, int, int]:
    """(signed, integer bits, fraction bits); ``index`` and ``bool`` as unsigned integers."""
    if ty.kind == "index":
        return False, 32, 0
    return ty.signed, ty.width - ty.frac, ty.frac


def _make(signed: bool, ibits: int, frac: int, fixed: bool) -> Ty:
    width = ibits + frac
    return Ty("fixed" if fixed else "int", signed, width, frac if fixed else 0)


def _float_rule(a: Ty, b: Ty) -> Ty | None:
    if a.is_float and b.is_float:
        return a if a.width >= b.width else b
    if a.is_float:
        return a
    if b.is_float:
        return b
    return None


def _is_fixed(a: Ty, b: Ty) -> bool:
    return a.kind == "fixed" or b.kind == "fixed"


def rule_add(a: Ty, b: Ty) -> Ty:
    """R-ADD (``+ -``)."""
    if (f := _float_rule(a, b)) is not None:
        return f
    if a.kind == b.kind == "index":
        return INDEX
    (s1, i1, f1), (s2, i2, f2) = _sif(a), _sif(b)
    if not s1 and not s2:
        return _make(False, max(i1, i2) + 1, max(f1, f2), _is_fixed(a, b))
    return _make(True, max(i1 + (not s1), i2 + (not s2)) + 1, max(f1, f2), _is_fixed(a, b))


def rule_mul(a: Ty, b: Ty) -> Ty:
    """R-MUL (``*``)."""
    if (f := _float_rule(a, b)) is not None:
        return f
    if a.kind == b.kind == "index":
        return INDEX
    (s1, i1, f1), (s2, i2, f2) = _sif(a), _sif(b)
    return _make(s1 or s2, i1 + f1 + i2 + f2 - f1 - f2, f1 + f2, _is_fixed(a, b))


def rule_cmp(a: Ty, b: Ty) -> Ty:
    """Common type of comparisons, ``%``, ternaries, min/max and integer division."""
    if (f := _float_rule(a, b)) is not None:
        return f
    if a.kind == b.kind == "index":
        return INDEX
    (s1, i1, f1), (s2, i2, f2) = _sif(a), _sif(b)
    if not s1 and not s2:
        return _make(False, max(i1, i2), max(f1, f2), _is_fixed(a, b))
    return _make(True, max(i1 + (not s1), i2 + (not s2)), max(f1, f2), _is_fixed(a, b))


def rule_div(a: Ty, b: Ty) -> Ty:
    """R-DIV (``/ //``): the common type for integers, the widened fixed type otherwise."""
    if (f := _float_rule(a, b)) is not None or not _is_fixed(a, b):
        return f if f is not None else rule_cmp(a, b)
    (s1, i1, f1), (s2, i2, f2) = _sif(a), _sif(b)
    width = i1 + f1 + i2 + f2 + (s1 != s2)
    return Ty("fixed", s1 or s2, width, f1 + i2)


def rule_bit(a: Ty, b: Ty) -> Ty:
    """R-BIT (``& | ^``)."""
    if a.kind == b.kind == "index":
        return INDEX
    (s1, i1, _), (s2, i2, _) = _sif(a), _sif(b)
    return Ty("int", s1 or s2, max(i1, i2))


def rule_neg(a: Ty) -> Ty:
    """R-NEG (unary ``-``)."""
    if a.is_float or a.kind == "index":
        return a
    return Ty(a.kind, True, a.width + 1, a.frac)


# ----------------------------------------------------------------------------- operations

ARITH_OPS = ("+", "-", "*", "/", "//", "%")
SHIFT_OPS = ("<<", ">>")
BIT_OPS = ("&", "|", "^")
CMP_OPS = ("<", "<=", ">", ">=", "==", "!=")


def legal_binary(op: str, a: Ty, b: Ty) -> bool:
    """Whether ``a op b`` has a typing rule (else allo raises AlloTypeError)."""
    if op in BIT_OPS:
        return not a.is_float and not b.is_float and a.kind != "fixed" and b.kind != "fixed"
    if op in SHIFT_OPS:
        return not a.is_float and b.kind in ("int", "index")
    if op == "//" or op == "%":
        return a.kind != "fixed" and b.kind != "fixed"
    return True


def result_type(op: str, a: Ty, b: Ty) -> Ty:
    """Result type of ``a op b`` (comparisons give ``bool``)."""
    if op in ("+", "-"):
        return rule_add(a, b)
    if op == "*":
        return rule_mul(a, b)
    if op in ("/", "//"):
        return rule_div(a, b)
    if op in SHIFT_OPS:
        return a
    if op in BIT_OPS:
        return rule_bit(a, b)
    if op in CMP_OPS:
        return BOOL
    return rule_cmp(a, b)  # %


def binary(op: str, x, a: Ty, y, b: Ty):
    """``x op y`` for operands of types ``a``, ``b``: returns ``(value, type)``."""
    rt = result_type(op, a, b)
    if (a.kind == "index" and x < 0) or (b.kind == "index" and y < 0):
        raise Unspecified("negative index value")  # indices are assumed non-negative
    if op in CMP_OPS:
        common = rule_cmp(a, b)
        u, v = convert(x, a, common), convert(y, b, common)
        return int(_compare(op, u, v)), BOOL
    if op in SHIFT_OPS:
        amount = convert(y, b, INT32) if a.kind == "fixed" else y
        if amount < 0:
            raise Unspecified("negative shift amount")
        if op == "<<":
            return wrap(x << min(amount, a.width + 1), a), a
        return (x >> min(amount, a.width + 1)), a
    if rt.is_float:
        u, v = convert(x, a, rt), convert(y, b, rt)
        return _float_op(op, u, v, rt), rt
    if op == "/" and rt.kind == "fixed":
        if y == 0:
            raise Unspecified("division by zero")
        quotient = exact_value(x, a) / exact_value(y, b)
        return wrap(truncate_toward_zero(quotient * (1 << rt.frac)), rt), rt
    if op in ("+", "-", "*"):
        exact = {"+": lambda p, q: p + q, "-": lambda p, q: p - q,
                 "*": lambda p, q: p * q}[op](exact_value(x, a), exact_value(y, b))
        raw = exact * (1 << rt.frac)
        assert raw.denominator == 1, (op, a, b, rt)
        return wrap(raw.numerator, rt), rt
    u, v = convert(x, a, rt), convert(y, b, rt)
    if op in BIT_OPS:
        return wrap({"&": u & v, "|": u | v, "^": u ^ v}[op], rt), rt
    if v == 0:
        raise Unspecified("division by zero")
    if op == "/":
        q = truncate_toward_zero(Fraction(u, v))
    elif op == "//":
        q = u // v
    else:  # C remainder, sign of the dividend
        q = u - truncate_toward_zero(Fraction(u, v)) * v
    if wrap(q, rt) != q:
        raise Unspecified("quotient overflows (MIN / -1)")
    return q, rt


def _compare(op: str, u, v) -> bool:
    return {"<": u < v, "<=": u <= v, ">": u > v, ">=": u >= v, "==": u == v, "!=": u != v}[op]


def _float_op(op: str, u, v, rt: Ty):
    kind = NUMPY_FLOAT[rt.width]
    with np.errstate(all="ignore"):
        if op == "+":
            return kind(u + v)
        if op == "-":
            return kind(u - v)
        if op == "*":
            return kind(u * v)
        if v == 0:
            raise Unspecified("float division by zero")
        if op == "/":
            return kind(u / v)
        if op == "//":
            return kind(np.floor(kind(u / v)))
        return kind(np.fmod(u, v))


def negate(x, a: Ty):
    """``-x``: exact negation in the R-NEG type."""
    rt = rule_neg(a)
    if a.kind == "index" and x > 0:
        raise Unspecified("negative index value")
    if a.is_float:
        return NUMPY_FLOAT[a.width](-x), rt
    return wrap(-x, rt), rt


def select_common(a: Ty, b: Ty) -> Ty:
    """Type of a ternary / min / max over ``a`` and ``b``."""
    return rule_cmp(a, b)


# ----------------------------------------------------------------------------- numpy boundary


def container_dtype(ty: Ty):
    """numpy dtype that carries ``ty`` across the kernel boundary (backends.md §2.2)."""
    if ty.is_float:
        return np.dtype(NUMPY_FLOAT[ty.width])
    if ty.kind == "fixed":
        return np.dtype(np.float64)
    if ty == BOOL:
        return np.dtype(np.bool_)
    for bits in (8, 16, 32, 64):
        if ty.width <= bits:
            return np.dtype(f"{'int' if ty.signed else 'uint'}{bits}")
    raise ValueError(f"{ty} has no numpy container")


def to_boundary(values: np.ndarray, ty: Ty) -> np.ndarray:
    """Raw reference values (object array) as the numpy array allo returns."""
    if ty.kind == "fixed":
        return np.array([float(Fraction(int(v), 1 << ty.frac)) for v in values.flat],
                        np.float64).reshape(values.shape)
    return np.array([v for v in values.flat], dtype=container_dtype(ty)).reshape(values.shape)


def from_boundary(array: np.ndarray, ty: Ty) -> np.ndarray:
    """A numpy input array as raw reference values (object array)."""
    if ty.kind == "fixed":
        flat = [int(Fraction(float(v)) * (1 << ty.frac)) for v in array.flat]
    elif ty.is_float:
        flat = [NUMPY_FLOAT[ty.width](v) for v in array.flat]
    else:
        flat = [int(v) for v in array.flat]
    out = np.empty(array.shape, dtype=object)
    out.flat[:] = flat
    return out
