"""C++ spellings of Allo scalar types and the raw-bit view of emitted values.

Every SSA value the emitter prints has a :class:`CType`: the Allo type the value carries (from
``allo.type`` tags and function attributes, docs/ir.md) together with its C++ spelling. MLIR's
integer ops are *signless* and work on raw bits; a ``CType`` records how the C++ variable
interprets those bits (signed or not, how many fraction bits), so that the emitter can insert a
reinterpretation whenever an op needs another view (``arith.shrui`` on a signed value, a raw
integer op on fixed-point bits, ...).

>>> from allo.ir.types import Int, UInt, Fixed
>>> CType.of(UInt(17)).spelling, CType.of(Int(32)).spelling, CType.of(Fixed(8, 3)).spelling
('ap_uint<17>', 'int32_t', 'ap_fixed<8, 5>')
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import BuildError
from ...frontend.types import AlloType, Fixed, Float, Index, Int, UFixed, UInt, type_from_str

_NATIVE_WIDTHS = (8, 16, 32, 64)
_FLOAT_SPELLING = {"f16": "half", "f32": "float", "f64": "double"}


@dataclass(frozen=True)
class CType:
    """A scalar type as the emitted C++ sees it.

    ``kind`` is one of ``int``, ``fixed``, ``bool``, ``float``, ``index``; ``width`` the number
    of raw bits; ``signed`` how those bits are read; ``frac`` the fraction bits (fixed only).
    """

    kind: str
    width: int
    signed: bool
    frac: int = 0
    name: str = ""

    # ------------------------------------------------------------------ construction
    @staticmethod
    def of(t: AlloType) -> "CType":
        """The C++ view of an Allo scalar type (``bfloat16`` raises ``BuildError``)."""
        if isinstance(t, Index):
            return CType("index", 32, True, 0, "index")
        if isinstance(t, Float):
            if t.name == "bf16":
                raise BuildError("bfloat16 is not supported by the HLS backends")
            return CType("float", t.bits, True, 0, t.name)
        if isinstance(t, UInt) and t.bits == 1:
            return CType("bool", 1, False, 0, "ui1")
        if isinstance(t, (Int, UInt)):
            return CType("int", t.bits, isinstance(t, Int), 0, t.name)
        if isinstance(t, (Fixed, UFixed)):
            return CType("fixed", t.bits, isinstance(t, Fixed), t.fracs, t.name)
        raise BuildError(f"type {t} has no C++ scalar spelling")

    @staticmethod
    def from_tag(tag: str) -> "CType":
        """The view of a printed Allo type (``"ui8"``, ``"fixed(8, 3)"``)."""
        return CType.of(type_from_str(tag))

    @staticmethod
    def default_for(mlir_type) -> "CType":
        """The view of an untagged MLIR scalar type (docs/ir.md defaults)."""
        text = str(mlir_type)
        if text == "index":
            return CType("index", 32, True, 0, "index")
        if text in _FLOAT_SPELLING or text == "bf16":
            return CType.of(type_from_str(text))
        if text == "i1":
            return CType("bool", 1, False, 0, "ui1")
        if text.startswith("i") and text[1:].isdigit():
            return CType("int", int(text[1:]), True, 0, text)
        raise BuildError(f"the HLS backend cannot emit values of MLIR type {text}")

    # ------------------------------------------------------------------ properties
    @property
    def is_float(self) -> bool:
        return self.kind == "float"

    @property
    def is_integer_like(self) -> bool:
        """Raw-bit types: integers, bool, fixed point and index."""
        return self.kind in ("int", "fixed", "bool", "index")

    @property
    def spelling(self) -> str:
        """The C++ type name."""
        if self.kind == "index":
            return "int"
        if self.kind == "float":
            return _FLOAT_SPELLING[self.name]
        if self.kind == "bool":
            return "bool"
        if self.kind == "fixed":
            prefix = "ap_fixed" if self.signed else "ap_ufixed"
            return f"{prefix}<{self.width}, {self.width - self.frac}>"
        return int_spelling(self.width, self.signed)

    @property
    def is_native_int(self) -> bool:
        """Whether the spelling is a plain C integer (``int8_t`` .. ``uint64_t``, ``int``)."""
        return self.kind == "index" or (self.kind == "int" and self.width in _NATIVE_WIDTHS)

    def with_view(self, signed: bool, frac: int = 0) -> "CType":
        """The integer/fixed type of the same width read as ``signed`` with ``frac`` bits."""
        if frac:
            return CType("fixed", self.width, signed, frac,
                         f"{'' if signed else 'u'}fixed({self.width}, {frac})")
        if self.width == 1 and not signed:
            return CType("bool", 1, False, 0, "ui1")
        return CType("int", self.width, signed, 0, f"{'' if signed else 'u'}i{self.width}")


def int_spelling(width: int, signed: bool) -> str:
    """``int8_t``/``uint32_t`` for native widths, else ``ap_int<W>``/``ap_uint<W>``."""
    if width in _NATIVE_WIDTHS:
        return f"{'' if signed else 'u'}int{width}_t"
    return f"ap_{'' if signed else 'u'}int<{width}>"


def ap_int_spelling(width: int, signed: bool) -> str:
    """Always an arbitrary-precision spelling (needed for bit access)."""
    return f"ap_{'' if signed else 'u'}int<{width}>"
