"""Allo's type system: ``Int``, ``UInt``, ``Index``, ``Float``, ``Fixed``, ``UFixed``, ...

>>> from allo.frontend.types import Int, int8, Fixed
>>> Int(8) == int8, str(Fixed(8, 3)), str(int8[4, 5])
(True, 'fixed(8, 3)', 'i8[4, 5]')
"""

# pylint: disable=redefined-builtin
from __future__ import annotations

import copy
import numbers

import numpy as np

from .._mlir import ir
from ..diagnostics import public_entry
from ..errors import DTypeError, DTypeWarning, warn

__all__ = [
    "AlloType", "Int", "UInt", "Index", "Float", "Fixed", "UFixed", "Struct", "Stream",
    "TypeAnnotation", "ConstExpr", "Stateful", "allo_type_from_mlir_type", "type_from_str",
    "bool", "index", "float16", "float32", "float64", "bfloat16",
]


class TypeAnnotation:
    """``dtype[shape]``: an array annotation; ``@`` refinements are read from the AST."""

    def __init__(self, dtype: "AlloType", shape: tuple):
        self.dtype = dtype
        self.shape = tuple(shape)

    def __matmul__(self, other):
        return self

    def __repr__(self):
        dims = ", ".join("..." if d is Ellipsis else str(d) for d in self.shape)
        return f"{self.dtype}[{dims}]"

    __str__ = __repr__

    def __eq__(self, other):
        return (
            isinstance(other, TypeAnnotation)
            and self.dtype == other.dtype
            and self.shape == other.shape
        )

    def __hash__(self):
        return hash((self.dtype, self.shape))


class AlloType:
    """Base of every Allo scalar type: ``bits``, ``fracs`` and a printable ``name``."""

    def __init__(self, bits: int, fracs: int, name: str):
        self.bits = bits
        self.fracs = fracs
        self.name = name
        self.stateful = False

    def __getitem__(self, shape):
        if not isinstance(shape, tuple):
            shape = (shape,)
        return TypeAnnotation(self, shape)

    def __iter__(self):
        # ``__getitem__`` builds array annotations (``int32[4]``); without this, Python would
        # treat every type as an endless sequence (``list(int32)`` never returns)
        raise DTypeError(f"Allo type {self!r} is not iterable; write [{self!r}] for a list "
                         "holding it")

    def __matmul__(self, other):
        if other is Stateful or isinstance(other, type) and issubclass(other, Stateful):
            return self.stateful_copy()
        return self

    def stateful_copy(self) -> "AlloType":
        t = copy.copy(self)
        t.stateful = True
        return t

    def __repr__(self):
        return f"stateful({self.name})" if self.stateful else self.name

    __str__ = __repr__

    def __eq__(self, other):
        if not isinstance(other, AlloType):
            return False
        return self.name == other.name and self.stateful == other.stateful

    def __hash__(self):
        return hash((self.name, self.stateful))

    # ---------------------------------------------------------------- classification
    @property
    def is_int(self) -> bool:
        return isinstance(self, (Int, UInt))

    @property
    def is_fixed(self) -> bool:
        return isinstance(self, (Fixed, UFixed))

    @property
    def is_float(self) -> bool:
        return isinstance(self, Float)

    @property
    def is_index(self) -> bool:
        return isinstance(self, Index)

    @property
    def is_unsigned(self) -> bool:
        return isinstance(self, (UInt, UFixed))

    def build(self):
        """The MLIR type of this Allo type (an active MLIR context is needed)."""
        if isinstance(self, Index):
            return ir.IndexType.get()
        if isinstance(self, Float):
            return {
                "f16": ir.F16Type.get, "bf16": ir.BF16Type.get,
                "f32": ir.F32Type.get, "f64": ir.F64Type.get,
            }[self.name]()
        if isinstance(self, (Int, UInt, Fixed, UFixed)):
            return ir.IntegerType.get_signless(self.bits)
        raise DTypeError(f"type {self} has no MLIR scalar type")

    @staticmethod
    def isinstance(value) -> bool:  # overridden per class
        return False


def _check_bits(bits, fracs=0, kind: str | None = None):
    """Validated ``(bits, fracs)``; ``kind`` (``"Fixed"``) prefixes messages with the
    constructor call, so a bad fixed-point type is named as the user wrote it."""
    where = f"{kind}({bits!r}, {fracs!r}): " if kind else ""
    if isinstance(bits, (np.integer,)):
        bits = int(bits)
    if isinstance(fracs, (np.integer,)):
        fracs = int(fracs)
    if not isinstance(bits, int) or isinstance(bits, builtins_bool):
        raise DTypeError(f"{where}Bitwidth must be an integer.")
    if not isinstance(fracs, int) or isinstance(fracs, builtins_bool):
        raise DTypeError(f"{where}Number of fractional bits must be an integer.")
    if bits < 1:
        raise DTypeError(f"{where}Bitwidth must be a positive integer, got {bits}.")
    if fracs < 0:
        raise DTypeError(f"{where}Number of fractional bits must be non-negative, got {fracs}.")
    if fracs > bits:
        raise DTypeError(f"{where}Number of fractional bits ({fracs}) exceeds the bitwidth "
                         f"({bits}).")
    if fracs > 255:
        raise DTypeError(f"{where}Number of fractional bits must be at most 255.")
    if bits > 512:
        # attributed to the user's line that wrote the type
        warn(f"Bitwidth {bits} is larger than 512; numpy cannot simulate it.", DTypeWarning)
    return bits, fracs


builtins_bool = type(True)


class Int(AlloType):
    """Two's complement signed integer of ``bits`` bits: ``Int(5)`` prints ``i5``."""

    @public_entry
    def __init__(self, bits):
        bits, _ = _check_bits(bits)
        super().__init__(bits, 0, f"i{bits}")

    @staticmethod
    def isinstance(value) -> bool:
        return isinstance(value, Int) or (
            isinstance(value, numbers.Integral) and not isinstance(value, AlloType)
        )


class UInt(AlloType):
    """Unsigned integer of ``bits`` bits: ``UInt(5)`` prints ``ui5``; ``bool`` is ``UInt(1)``."""

    @public_entry
    def __init__(self, bits):
        bits, _ = _check_bits(bits)
        super().__init__(bits, 0, f"ui{bits}")

    @staticmethod
    def isinstance(value) -> bool:
        return isinstance(value, UInt) or (
            isinstance(value, numbers.Integral)
            and not isinstance(value, AlloType)
            and value >= 0
        )


class Index(AlloType):
    """The machine index type (values fit in int32)."""

    def __init__(self):
        super().__init__(32, 0, "index")

    @staticmethod
    def isinstance(value) -> bool:
        return isinstance(value, Index) or isinstance(value, numbers.Integral)


_FLOAT_NAMES = {(16, 10): "f16", (16, 7): "bf16", (32, 23): "f32", (64, 52): "f64"}


class Float(AlloType):
    """IEEE-754 float (``f16``, ``f32``, ``f64``) or ``bf16``; ``Float(32, 23) == float32``.

    ``bits`` is the total width, ``fracs`` the mantissa bits (default: IEEE's for ``bits``).
    """

    @public_entry
    def __init__(self, bits, fracs=None):
        if fracs is None:
            fracs = {16: 10, 32: 23, 64: 52}.get(bits, -1)
        if (bits, fracs) not in _FLOAT_NAMES:
            raise DTypeError("Only support bfloat16, float16, float32 and float64")
        super().__init__(bits, fracs, _FLOAT_NAMES[(bits, fracs)])
        self.exponent = bits - fracs - 1

    @staticmethod
    def isinstance(value) -> bool:
        return isinstance(value, Float) or (
            isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral)
        )


class Fixed(AlloType):
    """Signed fixed point ``Fixed(bits, fracs)``: ``bits`` raw bits of which ``fracs`` are
    fractional, value ``raw * 2**-fracs`` (``ap_fixed<bits, bits - fracs>``).

    >>> Fixed(8, 3)
    fixed(8, 3)
    """

    @public_entry
    def __init__(self, bits, fracs):
        bits, fracs = _check_bits(bits, fracs, "Fixed")
        super().__init__(bits, fracs, f"fixed({bits}, {fracs})")

    @staticmethod
    def isinstance(value) -> bool:
        return isinstance(value, Fixed)


class UFixed(AlloType):
    """Unsigned fixed point ``UFixed(bits, fracs)``; ``fracs`` of the ``bits`` are
    fractional (``ap_ufixed<bits, bits - fracs>``).

    >>> UFixed(12, 4)
    ufixed(12, 4)
    """

    @public_entry
    def __init__(self, bits, fracs):
        bits, fracs = _check_bits(bits, fracs, "UFixed")
        super().__init__(bits, fracs, f"ufixed({bits}, {fracs})")

    @staticmethod
    def isinstance(value) -> bool:
        return isinstance(value, UFixed)


class Struct(AlloType):
    """Ordered named fields; ``dtype_dict`` maps each field name to its type:
    ``Struct({"x": int32, "y": float32})``."""

    @public_entry
    def __init__(self, dtype_dict: dict):
        self.dtype_dict = dict(dtype_dict)
        bits = sum(t.bits for t in self.dtype_dict.values())
        super().__init__(bits, 0, "struct")

    def __getattr__(self, key):
        if key in ("dtype_dict", "bits", "fracs", "name", "stateful"):
            raise AttributeError(key)
        try:
            return self.dtype_dict[key]
        except KeyError as err:
            raise DTypeError(f"{key} is not in struct") from err

    def __getitem__(self, key):
        if isinstance(key, str):
            return self.__getattr__(key)
        return super().__getitem__(key)

    def __eq__(self, other):
        return isinstance(other, Struct) and self.dtype_dict == other.dtype_dict

    def __hash__(self):
        return hash(tuple(self.dtype_dict.items()))

    def __repr__(self):
        return "struct{" + ", ".join(f"{k}: {v}" for k, v in self.dtype_dict.items()) + "}"


class _StreamMeta(type):
    def __getitem__(cls, params):
        if not isinstance(params, tuple):
            params = (params, 2)
        dtype, depth = params[0], params[1] if len(params) > 1 else 2
        if isinstance(dtype, TypeAnnotation):
            return Stream(dtype.dtype, dtype.shape, depth)
        return Stream(dtype, (), depth)


class Stream(AlloType, metaclass=_StreamMeta):
    """A FIFO of ``dtype[shape]`` with capacity ``depth``: ``Stream[int32, 4]``."""

    @public_entry
    def __init__(self, dtype, shape=(), depth=2):
        self.dtype = dtype
        self.shape = tuple(shape)
        self.depth = depth
        super().__init__(0, 0, "stream")

    def __repr__(self):
        inner = f"{self.dtype}[{', '.join(map(str, self.shape))}]" if self.shape else str(self.dtype)
        return f"stream<{inner}>"

    def __eq__(self, other):
        return (
            isinstance(other, Stream)
            and self.dtype == other.dtype
            and self.shape == other.shape
            and self.depth == other.depth
        )

    def __hash__(self):
        return hash(("stream", self.dtype, self.shape, self.depth))


class _ConstExprMeta(type):
    def __getitem__(cls, item):
        return cls


class ConstExpr(metaclass=_ConstExprMeta):
    """Marker: ``n: ConstExpr[int32] = <compile-time expression>``."""


class Stateful:
    """Marker: ``v: int32 @ Stateful = 0`` keeps its value across invocations."""


# --------------------------------------------------------------------------- instances

bool = UInt(1)
index = Index()
float16 = Float(16, 10)
bfloat16 = Float(16, 7)
float32 = Float(32, 23)
float64 = Float(64, 52)

for _w in list(range(1, 17)) + [32, 64, 128, 256, 512]:
    globals()[f"int{_w}"] = Int(_w)
    globals()[f"uint{_w}"] = UInt(_w)
    __all__ += [f"int{_w}", f"uint{_w}"]
del _w


def type_from_str(text: str) -> AlloType:
    """Parse ``text``, a printed Allo type name (``"i8"``, ``"ui3"``, ``"fixed(8, 3)"``,
    ``"f32"``).

    >>> type_from_str("ufixed(12, 4)")
    ufixed(12, 4)
    """
    text = text.strip()
    if text.startswith("stateful(") and text.endswith(")"):
        return type_from_str(text[len("stateful(") : -1]).stateful_copy()
    if text == "index":
        return Index()
    for name, (b, f) in {"f16": (16, 10), "bf16": (16, 7), "f32": (32, 23), "f64": (64, 52)}.items():
        if text == name:
            return Float(b, f)
    if text.startswith("ui") and text[2:].isdigit():
        return UInt(int(text[2:]))
    if text.startswith("i") and text[1:].isdigit():
        return Int(int(text[1:]))
    for prefix, cls in (("ufixed(", UFixed), ("fixed(", Fixed)):
        if text.startswith(prefix) and text.endswith(")"):
            w, f = text[len(prefix) : -1].split(",")
            return cls(int(w), int(f))
    raise DTypeError(f"unknown type string {text!r}")


def allo_type_from_mlir_type(mlir_type) -> AlloType:
    """The Allo type of the MLIR type ``mlir_type`` (inverse of ``AlloType.build``) for
    index, integers (as ``Int``) and floats."""
    if isinstance(mlir_type, ir.IndexType) or str(mlir_type) == "index":
        return Index()
    text = str(mlir_type)
    if isinstance(mlir_type, ir.IntegerType):
        return Int(ir.IntegerType(mlir_type).width)
    if text in ("f16", "bf16", "f32", "f64"):
        return type_from_str(text)
    raise TypeError(f"Unsupported MLIR type {text}")


def numpy_dtype(t: AlloType, storage: bool = False) -> np.dtype:
    """The numpy dtype of Allo scalar type ``t`` at the numpy boundary.

    ``storage=False``: the dtype a caller passes and receives (fixed point as ``float64``
    values); ``storage=True``: the dtype of the memory compiled code reads and writes (fixed
    point as its raw integer container). Integers wider than 64 bits are byte structs
    (:func:`get_np_struct_type`), ``bf16`` is ``ml_dtypes.bfloat16`` when installed.

    >>> numpy_dtype(UFixed(12, 4)), numpy_dtype(UFixed(12, 4), storage=True)
    (dtype('float64'), dtype('uint16'))
    """
    if isinstance(t, Index):
        return np.dtype(np.int64)
    if isinstance(t, Float):
        if t.name == "bf16":
            try:
                import ml_dtypes

                return np.dtype(ml_dtypes.bfloat16)
            except ImportError:  # pragma: no cover - depends on optional package
                return np.dtype(np.uint16)
        return np.dtype({"f16": np.float16, "f32": np.float32, "f64": np.float64}[t.name])
    if isinstance(t, (Fixed, UFixed)) and not storage:
        return np.dtype(np.float64)
    if isinstance(t, UInt) and t.bits == 1:
        return np.dtype(np.bool_)
    if isinstance(t, (Int, UInt, Fixed, UFixed)):
        width = container_bits(t.bits)
        if width > 64:
            return get_np_struct_type(width)
        return np.dtype(f"{'u' if t.is_unsigned else ''}int{width}")
    raise DTypeError(f"type {t} cannot cross the numpy boundary")


def get_np_struct_type(bits: int) -> np.dtype:
    """Structured dtype of ``ceil(bits / 8)`` one-byte fields ``f0, f1, ...`` (f0 least significant).

    >>> get_np_struct_type(16)
    dtype([('f0', 'u1'), ('f1', 'u1')])
    """
    n_bytes = (bits + 7) // 8
    return np.dtype({"names": [f"f{i}" for i in range(n_bytes)],
                     "formats": ["u1"] * n_bytes,
                     "offsets": list(range(n_bytes)),
                     "itemsize": n_bytes})


def container_bits(bits: int) -> int:
    """Storage width of an ``bits``-bit integer: the next power of two, at least 8."""
    width = 8
    while width < bits:
        width *= 2
    return width
