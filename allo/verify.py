"""``allo.verify(schedule_a, schedule_b) -> bool``: are two designs equivalent? (``schedule.md`` §9.1)

Equivalent means the same interface (parameter count, each parameter's shape and type, the
result types; names may differ) and, for every input, the same returned values and the same
final contents of every array parameter, compared bit for bit (floats by bit pattern, all NaNs
equal). Floating-point arithmetic is not assumed associative.

The check, in order:

1. the interfaces are compared; a mismatch prints the reason and returns ``False``;
2. a proof: two modules whose IR is identical up to the top function's name are equivalent;
3. otherwise differential execution on the CPU backend over :data:`INPUT_SETS` (zeros, ones,
   the type's minimum and maximum, a mix of special values, random small and full-range
   values): the first difference prints the input, the differing output and a unified diff of
   the two generated HLS C++ programs, and returns ``False``.

A one-line report says which kind of ``True`` was reached. Nothing is written to disk.

>>> import allo
>>> from allo.ir.types import int32
>>> def twice(A: int32[8]) -> int32[8]:
...     B: int32[8] = 0
...     for i in range(8):
...         B[i] = A[i] * 2
...     return B
>>> def shifted(A: int32[8]) -> int32[8]:
...     B: int32[8] = 0
...     for i in range(8):
...         B[i] = A[i] << 1
...     return B
>>> allo.verify(allo.customize(twice), allo.customize(shifted))  # doctest: +ELLIPSIS
verify: twice vs shifted: True (differential testing: no difference on 9 input sets...)
True
"""

from __future__ import annotations

import difflib
import random
import re
import types as pytypes
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backend import numpy_codec as codec
from .backend.signature import Port, Signature, read_signature
from .customize import customize
from .diagnostics import as_user_error, message_of, public_entry
from .errors import AlloError
from .frontend.types import Fixed, Float, UFixed
from .schedule import Schedule

__all__ = ["verify", "INPUT_SETS"]

# (name, generator kind, seed): every parameter of one set uses the same kind.
INPUT_SETS = (
    ("all zeros", "zeros", 0),
    ("all ones", "ones", 0),
    ("type minimum", "min", 0),
    ("type maximum", "max", 0),
    ("special values", "special", 1),
    ("random small values (seed 2)", "small", 2),
    ("random small values (seed 3)", "small", 3),
    ("random full-range values (seed 4)", "full", 4),
    ("random full-range values (seed 5)", "full", 5),
)
DYNAMIC_EXTENT = 8  # extent used for a dimension whose size is only known at run time
PRINT_LIMIT = 64  # elements printed per array in a counterexample


@public_entry
def verify(schedule_a, schedule_b) -> bool:
    """``True`` when ``schedule_a`` and ``schedule_b`` (schedules of the same kernel, or
    built modules) are equivalent (see the module docstring).

    >>> # allo.verify(s_reordered, allo.customize(gemm))  -> True
    """
    sa, sb = _as_schedule(schedule_a, "schedule_a"), _as_schedule(schedule_b, "schedule_b")
    title = f"verify: {sa.top_func_name} vs {sb.top_func_name}"
    sig_a, sig_b = _signature(sa), _signature(sb)
    reason = interface_mismatch(sig_a, sig_b)
    if reason is not None:
        print(f"{title}: False (interface mismatch: {reason})")
        return False
    if _same_ir(sa, sb):
        print(f"{title}: True (proven: the two programs have identical IR)")
        return True
    mod_a, mod_b = sa.build(), sb.build()
    for set_name, kind, seed in INPUT_SETS:
        inputs = [_input_value(port, kind, seed * 1000 + k) for k, port in enumerate(sig_a.params)]
        outcome_a = _run(mod_a, sig_a, inputs)
        outcome_b = _run(mod_b, sig_b, inputs)
        difference = _first_difference(outcome_a, outcome_b)
        if difference is not None:
            print(f"{title}: False (counterexample on input set '{set_name}')")
            _print_counterexample(sig_a, inputs, difference)
            print(hls_diff(sa, sb))
            return False
    print(f"{title}: True (differential testing: no difference on {len(INPUT_SETS)} input "
          f"sets of the CPU build; not a formal proof)")
    return True


# --------------------------------------------------------------------------- interface


def _as_schedule(value: Any, what: str):
    if isinstance(value, Schedule):
        return value
    if isinstance(value, pytypes.FunctionType):
        return customize(value)
    raise as_user_error(TypeError(f"verify: {what} must be a Schedule (or a kernel function), "
                                  f"got {type(value).__name__}"))


def _signature(sched) -> Signature:
    top = sched.built.find_func(sched.top_func_name)
    return read_signature(top, sched.func_args.get(sched.top_func_name))


def _port_text(port: Port) -> str:
    if not port.is_array:
        return port.type_str
    dims = ", ".join("?" if d is None else str(d) for d in port.shape)
    return f"{port.type_str}[{dims}]"


def interface_mismatch(sig_a: Signature, sig_b: Signature) -> str | None:
    """Why two signatures differ (``None`` when they are the same up to names).

    >>> from allo.ir.types import int32, float32
    >>> a = Signature("f", [Port("A", 0, int32, (4,))], [])
    >>> b = Signature("g", [Port("B", 0, float32, (4,))], [])
    >>> interface_mismatch(a, b)
    'parameter 0: i32[4] (A) vs f32[4] (B)'
    """
    if len(sig_a.params) != len(sig_b.params):
        return (f"{sig_a.func_name} has {len(sig_a.params)} parameters, "
                f"{sig_b.func_name} has {len(sig_b.params)}")
    for pa, pb in zip(sig_a.params, sig_b.params):
        if _port_text(pa) != _port_text(pb):
            return (f"parameter {pa.position}: {_port_text(pa)} ({pa.name}) vs "
                    f"{_port_text(pb)} ({pb.name})")
    if len(sig_a.results) != len(sig_b.results):
        return (f"{sig_a.func_name} returns {len(sig_a.results)} values, "
                f"{sig_b.func_name} returns {len(sig_b.results)}")
    for ra, rb in zip(sig_a.results, sig_b.results):
        if _port_text(ra) != _port_text(rb):
            return f"result {ra.position}: {_port_text(ra)} vs {_port_text(rb)}"
    return None


def _same_ir(sa, sb) -> bool:
    """The modules print identically once the top functions carry the same name."""
    text_a, text_b = str(sa.module), str(sb.module)
    if sa.top_func_name != sb.top_func_name:
        pattern = re.compile(r"@" + re.escape(sb.top_func_name) + r"\b")
        text_b = pattern.sub("@" + sa.top_func_name, text_b)
    return text_a == text_b


# --------------------------------------------------------------------------- inputs


def _shape(port: Port) -> tuple:
    if not port.is_array:
        return ()
    return tuple(DYNAMIC_EXTENT if d is None else d for d in port.shape)


def _input_value(port: Port, kind: str, seed: int):
    """The value passed for ``port`` in an input set of ``kind`` (array or Python scalar)."""
    shape = _shape(port)
    if isinstance(port.allo_type, Float):
        values = _float_values(port, kind, shape, seed)
    else:
        values = _integer_input(port, kind, shape, seed)
    if port.is_array:
        return values
    return values.reshape(()).item() if values.dtype.kind in "biuf" or \
        values.dtype == object else values.reshape(1)


def _float_values(port: Port, kind: str, shape: tuple, seed: int) -> np.ndarray:
    dtype = port.storage_dtype
    rng = np.random.default_rng(seed)
    count = int(np.prod(shape, dtype=np.int64))
    biggest = float(_finfo_max(dtype))
    if kind in ("zeros", "ones", "min", "max"):
        value = {"zeros": 0.0, "ones": 1.0, "min": -biggest, "max": biggest}[kind]
        return np.full(shape, value, dtype=dtype)
    if kind == "small":
        return rng.uniform(-4.0, 4.0, size=shape).astype(dtype)
    if kind == "special":
        specials = np.array([0.0, -0.0, 1.0, -1.0, 0.5, biggest, -biggest, np.inf, -np.inf,
                             np.nan, 1e-30], dtype=np.float64)
        with np.errstate(all="ignore"):
            return rng.choice(specials, size=shape).astype(dtype)
    raw = rng.integers(0, 256, size=count * dtype.itemsize, dtype=np.uint8)  # every bit pattern
    return raw.view(dtype).reshape(shape).copy()


def _finfo_max(dtype: np.dtype):
    try:
        return np.finfo(dtype).max
    except (TypeError, ValueError):  # ml_dtypes types register their own finfo
        import ml_dtypes  # noqa: PLC0415

        return ml_dtypes.finfo(dtype).max


def _integer_input(port: Port, kind: str, shape: tuple, seed: int) -> np.ndarray:
    """Integers, booleans and fixed point: raw values in the type's range, then encoded."""
    t = port.allo_type
    lo, hi = codec.int_range(t)  # raw range: fixed point too; bool (UInt(1)) is 0..1
    count = int(np.prod(shape, dtype=np.int64))
    one = (1 << t.fracs) if isinstance(t, (Fixed, UFixed)) else 1
    if kind in ("zeros", "ones", "min", "max"):
        value = {"zeros": 0, "ones": min(one, hi), "min": lo, "max": hi}[kind]
        return _encode(port, _int_array([value] * count), shape)
    if kind == "small":
        lo, hi = max(lo, -8 * one), min(hi, 8 * one)
    if kind == "special":
        pool = sorted({lo, hi, 0, min(one, hi), max(-one, lo), lo + 1, hi - 1, hi // 2})
        picks = np.random.default_rng(seed).integers(0, len(pool), size=count)
        return _encode(port, _int_array([pool[p] for p in picks]), shape)
    if -(1 << 63) <= lo and hi < (1 << 64):  # numpy draws it directly (fast for big arrays)
        dtype = np.uint64 if lo >= 0 else np.int64
        raws = np.random.default_rng(seed).integers(lo, hi, size=count, dtype=dtype,
                                                    endpoint=True)
        return _encode(port, raws, shape)
    rand = random.Random(seed)
    return _encode(port, _int_array([rand.randint(lo, hi) for _ in range(count)]), shape)


def _int_array(values: list) -> np.ndarray:
    """Python ints as an int64/uint64 array when they fit, else an object array."""
    if all(-(1 << 63) <= v < (1 << 63) for v in values):
        return np.array(values, dtype=np.int64)
    if all(0 <= v < (1 << 64) for v in values):
        return np.array(values, dtype=np.uint64)
    return np.array(values, dtype=object)


def _encode(port: Port, raws: np.ndarray, shape: tuple) -> np.ndarray:
    t, dtype = port.allo_type, port.storage_dtype
    if isinstance(t, (Fixed, UFixed)):  # crosses the boundary as real values
        return (raws.astype(np.float64) / float(1 << t.fracs)).reshape(shape)
    if dtype.names is not None:  # wide integers: structured byte containers
        if not port.is_array:
            return np.array(int(raws[0]), dtype=object)
        return codec.int_to_bytes_array(raws.astype(object).reshape(shape),
                                        t.bits, codec.is_signed(t), dtype)
    if dtype == np.bool_:
        return (raws.astype(object) % 2).astype(np.bool_).reshape(shape)
    return raws.astype(dtype).reshape(shape)


# --------------------------------------------------------------------------- execution


@dataclass
class Outcome:
    """What one call produced: named outputs, or the error it raised."""

    outputs: list  # (label, np.ndarray)
    error: str | None = None


def _run(module, sig: Signature, inputs: list) -> Outcome:
    args = [np.array(v, copy=True) if isinstance(v, np.ndarray) else v for v in inputs]
    try:
        returned = module(*args)
    except AlloError as err:
        return Outcome([], f"{type(err).__name__}: {err}")
    values = [] if returned is None else (returned if len(sig.results) > 1 else [returned])
    outputs = [(f"result {k}", _as_array(v)) for k, v in enumerate(values)]
    for k, (port, arg) in enumerate(zip(sig.params, args)):
        if isinstance(arg, np.ndarray) and port.is_array:
            outputs.append((f"parameter {k} after the call", arg))
    return Outcome(outputs)


def _as_array(value) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and not -(1 << 63) <= value < (1 << 63):
        return np.array(value, dtype=object)
    return np.asarray(value)


def _first_difference(a: Outcome, b: Outcome):
    """``None``, or ``(label, index, value_a, value_b)`` for the first differing element."""
    if a.error or b.error:
        if a.error == b.error:
            return None
        return ("outcome", (), a.error or "returned normally", b.error or "returned normally")
    for (label, xa), (_, xb) in zip(a.outputs, b.outputs):
        index = _first_differing_index(xa, xb)
        if index is not None:
            va = xa[index] if xa.shape == xb.shape else xa
            vb = xb[index] if xa.shape == xb.shape else xb
            return label, index, va, vb
    return None


def _is_float(dtype: np.dtype) -> bool:
    return dtype.kind == "f" or dtype.name in ("bfloat16", "float8_e4m3fn", "float8_e5m2")


def _first_differing_index(xa: np.ndarray, xb: np.ndarray):
    """Index of the first element whose bits differ (NaNs all equal), else ``None``."""
    if xa.shape != xb.shape or xa.dtype != xb.dtype:
        return ()
    if xa.size == 0:
        return None
    if xa.dtype == object:
        differs = np.array([p != q for p, q in zip(xa.reshape(-1), xb.reshape(-1))])
    else:
        bytes_a = np.ascontiguousarray(xa).reshape(-1).view(np.uint8).reshape(xa.size, -1)
        bytes_b = np.ascontiguousarray(xb).reshape(-1).view(np.uint8).reshape(xb.size, -1)
        differs = np.any(bytes_a != bytes_b, axis=1)
        if _is_float(xa.dtype):
            both_nan = np.isnan(xa.reshape(-1).astype(np.float64)) & \
                np.isnan(xb.reshape(-1).astype(np.float64))
            differs &= ~both_nan
    hits = np.flatnonzero(differs)
    if not hits.size:
        return None
    return np.unravel_index(int(hits[0]), xa.shape) if xa.ndim else ()


# --------------------------------------------------------------------------- report


def _print_counterexample(sig: Signature, inputs: list, difference) -> None:
    label, index, value_a, value_b = difference
    print("  input:")
    for port, value in zip(sig.params, inputs):
        if isinstance(value, np.ndarray):
            text = np.array2string(value, threshold=PRINT_LIMIT, separator=", ")
        else:
            text = repr(value)
        print(f"    {port.name} = " + text.replace("\n", "\n      "))
    where = f" at index {tuple(int(i) for i in index)}" if index != () else ""
    print(f"  differing output: {label}{where}: {_show(value_a)} vs {_show(value_b)}")


def _show(value) -> str:
    if isinstance(value, np.ndarray) and value.ndim:
        return np.array2string(value, threshold=PRINT_LIMIT, separator=", ")
    return repr(value.item() if isinstance(value, np.generic) else value)


_SOURCE_LINE_COMMENT = re.compile(r"\t//( L\d+)?\s*$")


def hls_diff(schedule_a, schedule_b) -> str:
    """A unified diff of the HLS C++ of two schedules (code generation only, no files).

    >>> # print(hls_diff(s1, s2))
    """
    codes = []
    for sched in (schedule_a, schedule_b):
        try:
            code = str(sched.build(target="vhls"))
            # drop the "// L<line>" source comments: they differ whenever the kernels
            # sit at different places in a file and would drown the real differences
            codes.append([_SOURCE_LINE_COMMENT.sub("", line) for line in code.splitlines()])
        except AlloError as err:
            codes.append([f"// HLS code unavailable: {type(err).__name__}: {message_of(err)}"])
    diff = difflib.unified_diff(codes[0], codes[1], lineterm="",
                                fromfile=f"{schedule_a.top_func_name} (schedule_a).cpp",
                                tofile=f"{schedule_b.top_func_name} (schedule_b).cpp")
    text = "\n".join(diff)
    return text or "(the generated HLS C++ programs are identical)"
