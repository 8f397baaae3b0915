"""Value encodings at the numpy boundary: fixed point raw bits, wide integers, wrapping.

Fixed point crosses as real values: an input becomes ``raw = trunc(x · 2^F)`` wrapped to W
bits (backends.md §2.2; unlike the in-kernel floor), a result comes back as ``raw / 2^F`` in
``float64``. Integers wider than 64 bits cross as structured byte arrays
(:func:`allo.utils.get_np_struct_type`, ``f0`` least significant).

>>> import numpy as np
>>> from allo.frontend.types import Fixed
>>> fixed_to_raw(np.array([1.3, -1.3]), Fixed(8, 3)).tolist()
[10, -10]
>>> raw_to_fixed(np.array([10, -10], np.int8), Fixed(8, 3))
array([ 1.25, -1.25])
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from fractions import Fraction

import numpy as np

from ..frontend.types import (AlloType, Fixed, Index, Int, UFixed, UInt, container_bits,
                              numpy_dtype)


def is_signed(t: AlloType) -> bool:
    return not isinstance(t, (UInt, UFixed))


def int_range(t: AlloType) -> tuple[int, int]:
    """``(least, greatest)`` value of the integer type ``t`` (``index``: 64-bit signed; a
    fixed-point type: of its raw integer; ``bool``, which is ``UInt(1)``: 0 and 1).

    >>> from allo.frontend.types import Int, UInt
    >>> int_range(Int(8)), int_range(UInt(8)), int_range(UInt(1)), int_range(Fixed(8, 3))
    ((-128, 127), (0, 255), (0, 1), (-128, 127))
    """
    bits = 64 if isinstance(t, Index) else t.bits
    if not is_signed(t):
        return 0, (1 << bits) - 1
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def wrap_int(value: int, bits: int, signed: bool) -> int:
    """``value`` modulo ``2**bits``, in the signed or unsigned range."""
    value &= (1 << bits) - 1
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


# --------------------------------------------------------------------------- wide integers


def int_to_bytes_array(values, bits: int, signed: bool, dtype: np.dtype) -> np.ndarray:
    """Python ints (nested sequence or array of objects) → structured array of ``dtype``."""
    flat = np.asarray(values, dtype=object).reshape(-1)
    nbytes = dtype.itemsize
    raw = bytearray()
    for v in flat:
        raw += (wrap_int(int(v), bits, signed) & ((1 << (8 * nbytes)) - 1)).to_bytes(
            nbytes, "little")
    return np.frombuffer(bytes(raw), dtype=dtype).reshape(np.shape(values)).copy()


def bytes_array_to_ints(arr: np.ndarray, signed: bool) -> list:
    """Structured (or void) array → flat list of Python ints of its full container width."""
    nbytes = arr.dtype.itemsize
    data = np.ascontiguousarray(arr).view(np.uint8).reshape(-1, nbytes) if arr.size else []
    out = []
    for row in data:
        out.append(int.from_bytes(bytes(row), "little", signed=signed))
    return out


def wide_int_array_from_ints(arr: np.ndarray, bits: int, signed: bool,
                             dtype: np.dtype) -> np.ndarray:
    """An integer/bool numpy array → structured container array (values wrapped to ``bits``).

    Vectorized for ``bits > 64``: the 8 bytes of each value, then its sign (0x00 or 0xFF) in
    the higher bytes, then the bytes above ``bits`` cleared when the type is unsigned.

    >>> from allo.utils import get_np_struct_type
    >>> out = wide_int_array_from_ints(np.array([-2, 3]), 72, False, get_np_struct_type(72))
    >>> bytes_array_to_ints(out, False) == [2**72 - 2, 3]
    True
    """
    nbytes = dtype.itemsize
    if bits <= 64 or arr.dtype.kind not in "biu" or sys.byteorder != "little":
        return int_to_bytes_array(arr.astype(object), bits, signed, dtype)
    wide = np.ascontiguousarray(arr, dtype=np.uint64 if arr.dtype.kind == "u" else np.int64)
    out = np.empty(wide.shape + (nbytes,), np.uint8)
    out[..., :8] = wide.reshape(wide.shape + (1,)).view(np.uint8)
    if wide.dtype.kind == "i":  # 0xFF for negative values, else 0
        out[..., 8:] = (wide < 0).view(np.uint8)[..., None] * np.uint8(0xFF)
    else:
        out[..., 8:] = 0
    if not signed:  # values modulo 2**bits: clear the bits above
        keep = np.array([max(0, min(8, bits - 8 * k)) for k in range(nbytes)])
        out &= ((1 << keep) - 1).astype(np.uint8)
    return out.view(dtype).reshape(wide.shape)


# --------------------------------------------------------------------------- fixed point


def fixed_scalar_to_raw(value, t: AlloType) -> int:
    """A real number → the wrapped raw integer of ``t`` (truncation toward zero)."""
    scaled = Fraction(value) * (1 << t.fracs)
    raw = int(scaled)  # int() of a Fraction truncates toward zero
    return wrap_int(raw, t.bits, is_signed(t))


def _wrap_float_integers(raw: np.ndarray, bits: int, signed: bool, dtype: np.dtype):
    """Integral float64 values → their two's complement ``bits``-bit wrap, as ``dtype``."""
    reduced = np.fmod(raw, 2.0 ** bits) if bits < 1024 else raw
    high = np.floor(reduced / 2.0 ** 32)
    low = reduced - high * 2.0 ** 32  # exact: both parts fit in 53 bits
    combined = (high.astype(np.int64).astype(np.uint64) << np.uint64(32)) + \
        low.astype(np.uint64)
    full = (1 << 64) - 1
    mask = (1 << bits) - 1 if bits < 64 else full
    combined = np.asarray(combined & np.uint64(mask), dtype=np.uint64)
    if signed and bits < 64:
        negative = (combined & np.uint64(1 << (bits - 1))) != 0
        combined = np.where(negative, combined | np.uint64(full ^ mask), combined)
    if signed:
        return np.asarray(combined, dtype=np.uint64).view(np.int64).astype(dtype)
    return combined.astype(dtype)


def fixed_to_raw(values: np.ndarray, t: AlloType) -> np.ndarray:
    """Real values (any real dtype) → raw container array of ``t`` (see module doc).

    Like :func:`fixed_to_raw_checked` without the finiteness verdict, so the conversions
    that find it only by an extra pass over the values (wide types, non-real dtypes) skip it.
    """
    arr = np.asarray(values)
    if _converted_whole(arr, t):
        return _fixed_to_raw_whole(arr, t, is_signed(t), numpy_dtype(t, storage=True))
    return _fixed_to_raw_blocked(arr, t)[0]


# Elements per block of the blocked conversion: the float64 scratch and the input block stay
# in the L2 cache, so main memory sees one read of the input and one write of the output.
_BLOCK = 1 << 15


def truncation_bounds(bits: int, signed: bool) -> tuple:
    """Exclusive bounds of the scaled float64 values whose truncation toward zero lies in
    the range of a ``bits``-bit integer (no wrapping needed).

    >>> truncation_bounds(8, True), truncation_bounds(8, False)
    ((-129.0, 128.0), (-1.0, 256.0))
    """
    if signed:
        return -(2.0 ** (bits - 1)) - 1, 2.0 ** (bits - 1)
    return -1.0, 2.0 ** bits


def fixed_to_raw_checked(values: np.ndarray, t: AlloType) -> tuple:
    """``(fixed_to_raw(values, t), every value finite)`` in one pass over memory.

    Block by block: scale, take the block's min and max (NaN and infinities show there), and
    when every scaled value is inside the type's range cast straight to the container (the
    cast truncates toward zero); other blocks take the wrapping path.

    >>> raw, finite = fixed_to_raw_checked(np.array([1.3, -1.3, np.inf]), Fixed(8, 3))
    >>> raw[:2].tolist(), finite
    ([10, -10], False)
    """
    arr = np.asarray(values)
    if _converted_whole(arr, t):  # no blocks whose min and max tell finiteness: one more pass
        finite = arr.dtype.kind not in "fc" or bool(np.isfinite(arr).all())
        return _fixed_to_raw_whole(arr, t, is_signed(t), numpy_dtype(t, storage=True)), finite
    return _fixed_to_raw_blocked(arr, t)


def _converted_whole(arr: np.ndarray, t: AlloType) -> bool:
    """Whether ``arr`` takes the whole-array conversion (types beyond the exact float64
    fast path, or values that are not integers, bools or reals)."""
    return container_bits(t.bits) > 64 or t.bits > 62 or arr.dtype.kind not in "biuf"


def _fixed_to_raw_blocked(arr: np.ndarray, t: AlloType) -> tuple:
    """The block-by-block conversion of :func:`fixed_to_raw_checked`; finiteness comes from
    each block's min and max, which the range test needs anyway."""
    signed = is_signed(t)
    dtype = numpy_dtype(t, storage=True)
    scale = 2.0 ** t.fracs
    low, high = truncation_bounds(t.bits, signed)
    if 0 < arr.size <= _BLOCK:  # one block: fewer numpy calls (this dominates small calls)
        scaled = np.multiply(arr, scale, dtype=np.float64)
        if low < scaled.min() and scaled.max() < high:
            return scaled.astype(dtype), True
    flat = np.ascontiguousarray(arr).reshape(-1)
    out = np.empty(flat.size, dtype)
    scratch = np.empty(min(flat.size, _BLOCK))
    finite = True
    for start in range(0, flat.size, _BLOCK):
        part = flat[start:start + _BLOCK]
        scaled = scratch[:part.size]
        np.multiply(part, scale, out=scaled)
        smallest, largest = scaled.min(), scaled.max()
        if low < smallest and largest < high:  # False for NaN
            np.copyto(out[start:start + part.size], scaled, casting="unsafe")
            continue
        block_finite = bool(np.isfinite(smallest) and np.isfinite(largest))
        finite = finite and block_finite
        # NaN/inf have no raw value (the boundary rejects them): no cast warnings for them
        with np.errstate(invalid="ignore") if not block_finite else nullcontext():
            out[start:start + part.size] = _wrap_scaled(scaled.copy(), t, signed, dtype)
    return out.reshape(arr.shape), finite


def _fixed_to_raw_whole(values: np.ndarray, t: AlloType, signed: bool, dtype) -> np.ndarray:
    if container_bits(t.bits) > 64:
        raws = [fixed_scalar_to_raw(float(v) if not isinstance(v, (int, np.integer)) else int(v), t)
                for v in np.asarray(values).reshape(-1).tolist()]
        return int_to_bytes_array(np.array(raws, dtype=object).reshape(np.shape(values)),
                                  t.bits, signed, dtype)
    raw = np.multiply(np.asarray(values, dtype=np.float64), 2.0 ** t.fracs)
    return _wrap_scaled(raw, t, signed, dtype)


def _wrap_scaled(raw: np.ndarray, t: AlloType, signed: bool, dtype) -> np.ndarray:
    """Scaled float64 values (modified in place) → truncated and wrapped raw values."""
    np.trunc(raw, out=raw)
    if t.bits <= 52:  # fast path: every wrapped value is an exact float64 integer
        if raw.size and (raw.min() <= -2.0 ** 62 or raw.max() >= 2.0 ** 62):
            np.fmod(raw, 2.0 ** t.bits, out=raw)
        ints = raw.astype(np.int64)
        mask = (1 << t.bits) - 1
        if signed:
            half = 1 << (t.bits - 1)
            ints += half
            ints &= mask
            ints -= half
        else:
            ints &= mask
        return ints.astype(dtype)
    return _wrap_float_integers(raw, t.bits, signed, dtype)


def raw_to_fixed(raw: np.ndarray, t: AlloType) -> np.ndarray:
    """Raw container array of ``t`` → ``float64`` values ``raw / 2^F``."""
    if raw.dtype.names is not None:
        ints = bytes_array_to_ints(raw, is_signed(t))
        values = np.array([float(Fraction(v, 1 << t.fracs)) for v in ints], dtype=np.float64)
        return values.reshape(raw.shape)
    # one pass: the int → float64 cast happens inside the multiplication's loop (exact: a
    # power-of-two scale of the rounded integer, as ldexp)
    return np.multiply(raw, 2.0 ** -t.fracs, dtype=np.float64)


def wrap_int_array(arr: np.ndarray, t: AlloType, dtype: np.dtype) -> np.ndarray:
    """Integer/bool array → ``dtype`` container array, values wrapped to ``t.bits``."""
    out = arr.astype(dtype, casting="unsafe")
    bits = t.bits
    if dtype == np.bool_ or bits >= dtype.itemsize * 8:
        return out
    unsigned_view = out.view(f"u{dtype.itemsize}")
    unsigned_view &= np.array((1 << bits) - 1, dtype=unsigned_view.dtype)
    if isinstance(t, (Int, Fixed)):  # sign-extend: (x ^ sign) - sign, modulo the container
        sign = np.array(1 << (bits - 1), dtype=unsigned_view.dtype)
        unsigned_view ^= sign
        unsigned_view -= sign
    return out


def conversion_loss(arr: np.ndarray, out: np.ndarray, t) -> str:
    """What converting ``arr`` to ``out`` (Allo type ``t``) lost, with one example.

    ``''`` unless real values went to an integer type and some had a fractional part or were
    not finite.

    >>> a = np.array([1.0, 0.9, 2.5])
    >>> conversion_loss(a, a.astype(np.int32), "i32")
    '; 2 of 3 values lose their fractional part (e.g. 0.9 becomes 0)'
    """
    if arr.dtype.kind not in "fc" or out.dtype.kind not in "iub" or getattr(t, "is_float", False):
        return ""
    real = arr.real if arr.dtype.kind == "c" else arr
    finite = np.isfinite(real)
    fractional = finite & (real != np.trunc(real))
    notes = []
    count = int(np.count_nonzero(fractional))
    if count:
        k = int(np.flatnonzero(fractional)[0])
        notes.append(f"{count} of {arr.size} values lose their fractional part (e.g. "
                     f"{real.flat[k].item()!r} becomes {out.flat[k].item()!r})")
    bad = int(arr.size - np.count_nonzero(finite))
    if bad:
        notes.append(f"{bad} NaN or infinite values have no {t} value")
    return "; " + "; ".join(notes) if notes else ""
