"""The memories a QoR estimate sees: what each buffer is built from, and which bank an
access reaches.

A buffer is a *register* bank set (scalars, one-element buffers, and arrays partitioned
completely in every dimension: any number of accesses per cycle), a *stream* (an
``hls::stream`` FIFO: one read and one write per cycle), or block RAM (two ports per bank,
``array_partition`` splitting it into banks). Partitioning is read from the memref layout
map (``schedule.md`` §10) by :func:`allo.analysis.layout.decode_layout`, as the HLS
emitter's pragmas are.

>>> from allo._mlir import ir, new_context
>>> with new_context():
...     layout = "affine_map<(d0, d1) -> (d0 mod 2, 0, d0 floordiv 2, d1)>"
...     t = ir.Type.parse(f"memref<64x16xf32, {layout}>")
...     info = memory_of_type(t, "A")
>>> info.kind, info.banks, info.partitions
('bram', 2, [('cyclic', 2), (None, 1)])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..._mlir import ir
from ...mlir_utils import LinearForm
from ..layout import BLOCK, COMPLETE, DimLayout, decode_layout
from ..processes import stream_depth

LUTRAM_MAX_BITS = 1024  # Vitis keeps arrays this small in LUTs / registers, not block RAM
# block RAM 18K aspect ratios: (depth, width)
BRAM18K_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36))


@dataclass
class MemoryInfo:
    """One buffer as hardware: ``kind`` is ``register``, ``stream``, ``bram`` or ``lutram``."""

    name: str
    kind: str
    shape: tuple
    width: int
    partitions: list = field(default_factory=list)  # per dim (kind | None, factor)
    depth: int | None = None  # FIFO depth of a stream
    interface: bool = False  # an argument of the top function: memory outside the design

    @property
    def elements(self) -> int:
        return math.prod(self.shape) if self.shape else 1

    @property
    def banks(self) -> int:
        out = 1
        for (kind, factor), extent in zip(self.partitions, self.shape):
            out *= extent if kind == "complete" else (factor if kind else 1)
        return out

    @property
    def ports(self) -> int | None:
        """Accesses per bank per cycle (``None``: unlimited)."""
        return None if self.kind == "register" else (1 if self.kind == "stream" else 2)

    def bram18k(self) -> int:
        """Block RAMs of this buffer: per bank, the cheapest BRAM18K aspect ratio."""
        if self.kind == "stream":
            bits = (self.depth or 2) * self.width
            return 0 if bits <= LUTRAM_MAX_BITS else _bram_for(self.depth or 2, self.width)
        if self.kind != "bram" or self.interface:
            return 0
        words = math.ceil(self.elements / self.banks)
        return self.banks * _bram_for(words, self.width)

    def bank_key(self, forms: list) -> tuple | None:
        """The bank an access with subscripts ``forms`` reaches: a hashable key, equal keys
        meaning the same bank in the same cycle; ``None`` when it cannot be told (any bank)."""
        key = []
        for (kind, factor), extent, form in zip(self.partitions, self.shape, forms):
            if kind is None:
                continue
            if form is None:
                return None
            key.append(_dim_bank(kind, factor, extent, form))
        return tuple(key)


def _bram_for(words: int, width: int) -> int:
    return min(math.ceil(words / d) * math.ceil(width / w) for d, w in BRAM18K_SHAPES)


def _dim_bank(kind: str, factor: int, extent: int, form: LinearForm):
    if kind == "complete":
        return form.const if not form.coeffs else ("dyn", form.key())
    if kind == "cyclic":
        if all(c % factor == 0 for c in form.coeffs.values()):
            return form.const % factor
        return ("dyn", frozenset((a, c % factor) for a, c in form.coeffs.items()),
                form.const % factor)
    size = math.ceil(extent / factor)
    return form.const // size if not form.coeffs else ("dyn", form.key())


def element_width(elem) -> int:
    """Bits of a memref element type (index: 32)."""
    text = str(elem)
    if text == "index":
        return 32
    try:
        return ir.IntegerType(elem).width
    except (ValueError, TypeError):
        pass
    for prefix, bits in (("f64", 64), ("f32", 32), ("f16", 16), ("bf16", 16)):
        if text == prefix:
            return bits
    return 32


def read_partitions(mt) -> list:
    """Per dimension ``(kind, factor)`` from the layout map of memref type ``mt``: ``(None, 1)``
    where the dimension stays one bank (untouched, one-element, or factor below 2)."""
    try:
        dims = decode_layout(mt)
    except ValueError:
        dims = (None,) * len(mt.shape)  # a view's layout, not a partition
    return [_bank_split(dim, extent) for dim, extent in zip(dims, mt.shape)]


def _bank_split(dim: DimLayout | None, extent: int) -> tuple:
    if dim is None:
        return (None, 1)
    if dim.kind == COMPLETE:
        return ("complete", extent) if extent > 1 else (None, 1)
    if dim.kind == BLOCK:
        return ("block", dim.factor) if dim.factor >= 1 else (None, 1)
    return ("cyclic", dim.factor) if dim.factor > 1 else (None, 1)


def memory_of_type(mtype, name: str, interface: bool = False) -> MemoryInfo:
    """The :class:`MemoryInfo` of a buffer of memref type ``mtype``."""
    mt = ir.MemRefType(mtype)
    shape = tuple(mt.shape)
    width = element_width(mt.element_type)
    depth = stream_depth(mtype)
    if depth is not None:
        return MemoryInfo(name, "stream", shape, width, [(None, 1)] * len(shape), depth)
    parts = read_partitions(mt)
    info = MemoryInfo(name, "bram", shape, width, parts, interface=interface)
    complete = all(kind == "complete" or extent == 1
                   for (kind, _), extent in zip(parts, shape))
    if not shape or info.elements == 1 or complete:
        info.kind = "register"
    elif not interface and info.elements * width <= LUTRAM_MAX_BITS * info.banks:
        info.kind = "lutram"
    return info
