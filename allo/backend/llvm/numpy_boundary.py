"""The numpy calling convention of CPU modules (backends.md §2.2, rules N1–N8).

:func:`marshal_arguments` validates every argument *before* anything runs (so no input can
crash the process) and turns it into the buffer the compiled code reads: zero-copy for an exact
C-contiguous, aligned array of the container dtype, else a converted copy that is written back
after the call for parameters the kernel may write. :func:`unmarshal_results` converts the
result buffers into what the caller gets (``None``, one value, or a list).

>>> import numpy as np
>>> from allo.backend.signature import Port, Signature
>>> from allo.frontend.types import int32
>>> sig = Signature("k", [Port("A", 0, int32, (2,)), Port("n", 1, int32, None)], [])
>>> frame = marshal_arguments(sig, (np.zeros(2, np.int32), 5), [False, False])
>>> int(frame.buffers[1]), frame.buffers[0].base is None
(5, True)
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from ...errors import ArgumentError, DTypeWarning, warn
from ...frontend.types import Fixed, Float, Index, UFixed
from .. import numpy_codec as codec
from ..signature import Port, Signature
from .fixed_convert import quantize


@dataclass
class CallFrame:
    """Buffers for one call: one per parameter, one per result, plus pending write-backs."""

    buffers: list = field(default_factory=list)
    results: list = field(default_factory=list)
    write_backs: list = field(default_factory=list)  # (caller array, buffer, port)


def _where(sig: Signature, port: Port) -> str:
    return f"argument '{port.name}' (position {port.position}) of {sig.func_name}"


# --------------------------------------------------------------------------- scalars


def _scalar_value(sig, port, value):
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise ArgumentError(f"{_where(sig, port)} expects a scalar, got an array of shape "
                                f"{value.shape}")
        if value.dtype.names is not None:
            return value
        value = value.reshape(()).item() if value.dtype.kind != "f" or \
            value.dtype.itemsize > 2 else float(value.reshape(()))
    elif isinstance(value, np.generic):
        value = value.item() if value.dtype.kind != "f" or value.dtype.itemsize > 2 \
            else float(value)
    if isinstance(value, (bool, numbers.Integral, numbers.Real)) and \
            not isinstance(value, complex):
        return value
    raise ArgumentError(f"{_where(sig, port)} expects a scalar number, got "
                        f"{type(value).__name__}")


def _scalar_buffer(sig, port, value) -> np.ndarray:
    t, dtype = port.allo_type, port.storage_dtype
    value = _scalar_value(sig, port, value)
    if isinstance(value, np.ndarray):  # a one-element structured array for a wide integer
        if value.dtype.itemsize != dtype.itemsize:
            raise ArgumentError(f"{_where(sig, port)}: structured scalar of itemsize "
                                f"{value.dtype.itemsize}, expected {dtype.itemsize}")
        return np.ascontiguousarray(value.reshape(())).view(dtype).copy()
    if isinstance(t, Float):
        return np.array(float(value), dtype=dtype)
    if isinstance(t, (Fixed, UFixed)):
        if isinstance(value, float) and not np.isfinite(value):
            raise ArgumentError(f"{_where(sig, port)}: {value!r} has no fixed-point value")
        raw = codec.fixed_scalar_to_raw(value, t)
    else:
        if isinstance(value, float):
            raise ArgumentError(f"{_where(sig, port)}: passing the float {value!r} to a "
                                f"parameter of type {t} would truncate")
        bits = 64 if isinstance(t, Index) else t.bits
        raw = codec.wrap_int(int(value), bits, codec.is_signed(t))
    if dtype.names is not None:
        return codec.int_to_bytes_array(np.array(raw, dtype=object), t.bits,
                                        codec.is_signed(t), dtype)
    if dtype == np.bool_:
        return np.array(bool(raw & 1), dtype=np.bool_)
    return np.array(raw, dtype=dtype)


# --------------------------------------------------------------------------- arrays


def _check_array(sig, port, value) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        hint = "; convert it with np.asarray(...)" if isinstance(value, (list, tuple)) else ""
        raise ArgumentError(f"{_where(sig, port)} must be a numpy array, got "
                            f"{type(value).__name__}{hint}")
    if value.ndim != len(port.shape) or any(
            d is not None and d != s for d, s in zip(port.shape, value.shape)):
        declared = "[" + ", ".join("..." if d is None else str(d) for d in port.shape) + "]"
        raise ArgumentError(f"{_where(sig, port)} has shape {value.shape}, expected "
                            f"{port.type_str}{declared}")
    if not value.flags.c_contiguous:
        raise ArgumentError(f"{_where(sig, port)} must be C-contiguous; pass "
                            "np.ascontiguousarray(...) instead")
    if value.dtype.kind in "OUSMmc":
        raise ArgumentError(f"{_where(sig, port)} has dtype {value.dtype}, which cannot be "
                            f"converted to {port.type_str}")
    return value


def _converted_copy(sig, port, arr: np.ndarray) -> np.ndarray:
    t, dtype = port.allo_type, port.storage_dtype
    if isinstance(t, (Fixed, UFixed)):
        if arr.dtype.names is not None or arr.dtype.kind not in "biuf":
            raise ArgumentError(f"{_where(sig, port)} needs real values for {t}, got "
                                f"{arr.dtype}")
        raw, finite = quantize(arr, t)  # one pass over memory (fixed_convert.py)
        if not finite:
            raise ArgumentError(f"{_where(sig, port)} contains NaN or infinity, which have "
                                f"no {t} value")
        return raw
    if dtype.names is not None:
        if arr.dtype.names is not None or arr.dtype.kind == "V":
            raise ArgumentError(f"{_where(sig, port)}: structured array of itemsize "
                                f"{arr.dtype.itemsize}, expected {dtype.itemsize} "
                                f"(allo.utils.get_np_struct_type({dtype.itemsize * 8}))")
        if arr.dtype.kind not in "biu":
            raise ArgumentError(f"{_where(sig, port)} has dtype {arr.dtype}; {t} arrays "
                                "take integer or structured arrays")
        warn(f"argument '{port.name}': converting {arr.dtype} to {t}", DTypeWarning)
        return codec.wide_int_array_from_ints(arr, t.bits, codec.is_signed(t), dtype)
    if arr.dtype.names is not None:
        raise ArgumentError(f"{_where(sig, port)} is a structured array; {t} takes "
                            f"{dtype} arrays")
    with np.errstate(all="ignore"):
        if isinstance(t, Float) or isinstance(t, Index) or dtype == np.bool_:
            out = arr.astype(dtype, casting="unsafe")
        else:
            out = codec.wrap_int_array(arr, t, dtype)
    if arr.dtype != dtype:
        warn(f"argument '{port.name}': converting {arr.dtype} to {dtype}"
             f"{codec.conversion_loss(arr, out, t)}", DTypeWarning)
    return out


def _zero_copy_ok(port, arr: np.ndarray) -> bool:
    dtype = port.storage_dtype
    if isinstance(port.allo_type, (Fixed, UFixed)):
        return False
    if dtype.names is not None:
        same = (arr.dtype.names is not None or arr.dtype.kind == "V") and \
            arr.dtype.itemsize == dtype.itemsize
    else:
        same = arr.dtype == dtype
    return same and arr.ctypes.data % port.alignment == 0


def _array_buffer(sig, port, value, may_write, frame):
    if type(value) is np.ndarray and value.dtype == port.storage_dtype and \
            value.flags.c_contiguous and value.shape == port.shape and \
            (value.flags.writeable or not may_write) and \
            (value.flags.aligned and port.alignment <= value.dtype.alignment
             or value.ctypes.data % port.alignment == 0):
        return value  # the common case: zero-copy, checked in one expression
    arr = _check_array(sig, port, value)
    if may_write and not arr.flags.writeable:
        raise ArgumentError(f"{_where(sig, port)} is read-only, but {sig.func_name} writes "
                            "to it; pass a writeable copy")
    if _zero_copy_ok(port, arr):
        if arr.dtype.names is not None or arr.dtype.kind == "V":
            return arr.view(port.storage_dtype) if arr.dtype != port.storage_dtype else arr
        return arr
    dtype = port.storage_dtype
    if dtype.names is not None and (arr.dtype.names is not None or arr.dtype.kind == "V") \
            and arr.dtype.itemsize == dtype.itemsize:  # right bytes, misaligned
        buffer = np.ascontiguousarray(arr).view(dtype).copy()
    elif arr.dtype == dtype:  # right dtype, misaligned memory
        buffer = arr.copy()
    else:
        buffer = _converted_copy(sig, port, arr)
    if may_write:
        frame.write_backs.append((arr, buffer, port))
    return buffer


def marshal_arguments(sig: Signature, args: tuple, may_write: list) -> CallFrame:
    """Validate ``args`` against ``sig`` and build the call's buffers (see module doc)."""
    if len(args) != len(sig.params):
        raise ArgumentError(f"{sig.func_name} expects {len(sig.params)} arguments "
                            f"({sig.describe_params()}), got {len(args)}")
    frame = CallFrame()
    for port, value, writes in zip(sig.params, args, may_write):
        if port.is_array:
            frame.buffers.append(_array_buffer(sig, port, value, writes, frame))
        else:
            frame.buffers.append(_scalar_buffer(sig, port, value))
    for port in sig.results:
        if port.is_array:
            frame.results.append(np.empty(port.shape, dtype=port.storage_dtype))
        else:
            frame.results.append(np.empty((), dtype=port.storage_dtype))
    return frame


def write_back(frame: CallFrame) -> None:
    """Copy converted buffers back into the caller's arrays (cast to the caller's dtype)."""
    for caller, buffer, port in frame.write_backs:
        if isinstance(port.allo_type, (Fixed, UFixed)):
            values = codec.raw_to_fixed(buffer, port.allo_type)
        elif buffer.dtype.names is not None and caller.dtype.names is None:
            values = np.array(codec.bytes_array_to_ints(buffer, codec.is_signed(port.allo_type)),
                              dtype=object).reshape(buffer.shape)
        else:
            values = buffer
        if caller.dtype.names is not None or caller.dtype.kind == "V":
            caller.view(np.uint8)[...] = np.ascontiguousarray(values).view(np.uint8)
            continue
        with np.errstate(all="ignore"):
            np.copyto(caller, np.asarray(values).astype(caller.dtype, casting="unsafe"),
                      casting="unsafe")


def _scalar_result(port: Port, buffer: np.ndarray):
    t = port.allo_type
    if isinstance(t, (Fixed, UFixed)):
        return float(codec.raw_to_fixed(buffer, t))
    if buffer.dtype.names is not None:
        return codec.bytes_array_to_ints(buffer.reshape(1), codec.is_signed(t))[0]
    if isinstance(t, Float):
        if t.name in ("f16", "bf16"):
            return buffer.reshape(())[()]
        return float(buffer)
    if buffer.dtype == np.bool_:
        return bool(buffer)
    return int(buffer)


def unmarshal_results(sig: Signature, frame: CallFrame):
    """``None``, the single result, or a list of results (arrays fresh, scalars Python)."""
    values = []
    for port, buffer in zip(sig.results, frame.results):
        if not port.is_array:
            values.append(_scalar_result(port, buffer))
        elif isinstance(port.allo_type, (Fixed, UFixed)):
            values.append(codec.raw_to_fixed(buffer, port.allo_type))
        else:
            values.append(buffer)
    if not values:
        return None
    return values[0] if len(values) == 1 else values
