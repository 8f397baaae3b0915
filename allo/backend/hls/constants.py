"""Exact C++ literals for integer, fixed-point and floating-point constants.

Floats print ``(float)`` + 9 significant digits, ``(double)`` + 17, ``(half)`` + the exact
value, so the literal converts back to the very same bits; ``INFINITY``/``NAN`` are named.

>>> from allo.ir.types import float32, Int, Fixed
>>> import numpy as np
>>> float_literal(float(np.float32(0.1)), CType.of(float32)), int_literal(-5, CType.of(Int(40)))
('(float)0.100000001', '-5')
>>> fixed_literal(-43, CType.of(Fixed(8, 3)))
'-5.375'
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

from ..._mlir import ir
from .cpp_types import CType


def wrap(raw: int, width: int, signed: bool) -> int:
    """``raw`` reduced modulo ``2**width`` into the signed or unsigned range."""
    raw &= (1 << width) - 1
    if signed and width > 0 and raw >= 1 << (width - 1):
        raw -= 1 << width
    return raw


def int_literal(raw: int, ct: CType) -> str:
    """A decimal literal of the value the raw bits ``raw`` have in ``ct`` (int/bool/index)."""
    if ct.kind == "bool":
        return "1" if raw & 1 else "0"
    value = wrap(raw, ct.width, ct.signed)
    if ct.width > 64:
        return f'{ct.spelling}("{value}", 10)'
    if value == -(1 << 63):
        return "(-9223372036854775807LL - 1)"
    if value >= 1 << 63:
        return f"{value}ULL"
    if value >= 1 << 31 or value < -(1 << 31):
        return f"{value}LL"
    return str(value)


def fixed_literal(raw: int, ct: CType) -> str:
    """The exact value ``raw * 2**-F`` as a decimal literal (a string constructor if wide)."""
    value = wrap(raw, ct.width, ct.signed)
    if ct.width <= 53:
        return repr(value / (1 << ct.frac)) if ct.frac else f"{value}.0"
    with localcontext() as ctx:
        ctx.prec = ct.width + 10
        text = str(Decimal(value) / (Decimal(2) ** ct.frac))
    return f'{ct.spelling}("{text}")'


def float_literal(value: float, ct: CType) -> str:
    """``(float)0.100000001``, ``(double)0.10000000000000001``, ``(half)0.0999755859375``."""
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INFINITY" if value > 0 else "-INFINITY"
    if ct.name == "f32":
        return f"(float){value:.9g}"
    if ct.name == "f64":
        return f"(double){value:.17g}"
    return f"(half){value!r}"


def scalar_literal(raw_or_float, ct: CType) -> str:
    """Literal for a raw integer (int/bool/index/fixed) or a float value."""
    if ct.kind == "float":
        return float_literal(float(raw_or_float), ct)
    if ct.kind == "fixed":
        return fixed_literal(int(raw_or_float), ct)
    return int_literal(int(raw_or_float), ct)


def attr_scalar(attr):
    """The Python value of an ``IntegerAttr``/``FloatAttr``/``BoolAttr`` (raw integer bits)."""
    if isinstance(attr, ir.FloatAttr) or isinstance(attr, ir.FloatAttr):
        return ir.FloatAttr(attr).value
    text = str(attr)
    if text in ("true", "false"):
        return 1 if text == "true" else 0
    head = text.split(":")[0].strip()
    if head in ("true", "false"):
        return 1 if head == "true" else 0
    return int(head)


def dense_values(attr, count: int) -> list:
    """The ``count`` flat elements of a dense elements attribute (splats expanded)."""
    if isinstance(attr, ir.DenseFPElementsAttr):
        dense = ir.DenseFPElementsAttr(attr)
        if dense.is_splat:
            return [attr_scalar(dense.get_splat_value())] * count
        return [float(dense[i]) for i in range(count)]
    if isinstance(attr, ir.DenseIntElementsAttr):
        dense = ir.DenseIntElementsAttr(attr)
        if dense.is_splat:
            return [attr_scalar(dense.get_splat_value())] * count
        try:
            return [int(dense[i]) for i in range(count)]
        except (ValueError, TypeError, OverflowError):
            return _parse_dense_text(str(attr), count)
    raise ValueError(f"unsupported initializer {attr}")


def _parse_dense_text(text: str, count: int) -> list:
    body = text[text.index("<") + 1: text.rindex(">")]
    body = body.replace("[", " ").replace("]", " ").replace(",", " ")
    vals = [int(tok) if tok not in ("true", "false") else int(tok == "true")
            for tok in body.split()]
    if len(vals) == 1:
        vals = vals * count
    return vals
