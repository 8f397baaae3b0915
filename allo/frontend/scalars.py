"""Scalar values: the types of Python literals, constants as values, and the conversion of a
value to an MLIR scalar of a given type (``materialize``)."""

from __future__ import annotations

import numpy as np

from ..errors import AlloTypeError
from . import memory as mem
from .casting import cast, constant
from .symbols import unsupported_global
from .types import AlloType, Int, bool as bool_t, float32, index as index_t, int32
from .values import Affine, Val


def literal_type(value) -> AlloType:
    """Type of a Python literal (language.md §4.1)."""
    if isinstance(value, (bool, np.bool_)):
        return bool_t
    if isinstance(value, (int, np.integer)):
        v = int(value)
        if -(1 << 31) <= v < (1 << 31):
            return int32
        if -(1 << 63) <= v < (1 << 63):
            return Int(64)
        bits = max(v.bit_length(), (-v - 1).bit_length()) + 1
        return Int(bits)
    if isinstance(value, (float, np.floating)):
        return float32
    raise AlloTypeError(f"unsupported constant {value!r}")


def operand_types(a: Val, b: Val):
    """Operand types for the typing rules: an int literal next to a float takes the float
    type (``float16 + 1`` is ``float16``)."""
    ta, tb = a.dtype, b.dtype
    if a.is_const and isinstance(a.const, int) and tb.is_float:
        ta = tb
    if b.is_const and isinstance(b.const, int) and ta.is_float:
        tb = ta
    return ta, tb


def const_val(value) -> Val:
    if isinstance(value, np.generic):
        value = value.item()
    v = Val(None, literal_type(value), const=value)
    if isinstance(value, int) and not isinstance(value, bool):
        v.affine = Affine.const(value)
    return v


def materialize(v: Val, dtype: AlloType | None = None):
    """An MLIR scalar value for ``v`` converted to ``dtype`` (default: its own type)."""
    dtype = dtype or v.dtype
    if v.is_array:
        raise AlloTypeError(f"expected a scalar, got an array of shape {v.shape}")
    if v.value is None:
        if v.affine is not None and v.const is None:
            return materialize(Val(mem.index_value(v), index_t), dtype)
        if not isinstance(v.const, (int, float, bool, np.number)):
            if "python_name" in v.extra:  # a module-level string, module, list, ...
                raise unsupported_global(v.extra["python_name"])
            raise AlloTypeError(f"{v.const!r} is not a value")
        return constant(v.const, dtype)
    return cast(v.value, v.dtype, dtype)
