"""Typed values of the frontend and the small affine-expression form used for indices.

A :class:`Val` is what every expression visit returns: an MLIR value (or a Python constant
not yet materialised), its Allo type and shape, and, for index expressions built from
``affine.for`` induction variables and constants, an :class:`Affine` form so that accesses
become ``affine.load``/``affine.store``. :class:`Affine` is an expression tree (it keeps
``floordiv`` and ``mod``); where only a linear view is needed it becomes the shared
:class:`~allo.mlir_utils.LinearForm`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._mlir import ir
from ..mlir_utils import LinearForm


class Affine:
    """A tiny affine expression tree over ``affine.for`` induction variables.

    kinds: ``iv`` (value), ``const`` (int), ``add`` (a, b), ``mul`` (a, int), ``floordiv``
    (a, int > 0), ``mod`` (a, int > 0).
    """

    __slots__ = ("kind", "args")

    def __init__(self, kind: str, *args):
        self.kind = kind
        self.args = args

    @staticmethod
    def const(c: int) -> "Affine":
        return Affine("const", int(c))

    @staticmethod
    def iv(value) -> "Affine":
        return Affine("iv", value)

    def ivs(self, out: list) -> list:
        """Append the distinct induction variables used, in first-use order."""
        if self.kind == "iv":
            if not any(v == self.args[0] for v in out):
                out.append(self.args[0])
        elif self.kind != "const":
            for a in self.args:
                if isinstance(a, Affine):
                    a.ivs(out)
        return out

    def to_expr(self, dims: list):
        """The ``ir.AffineExpr`` with ``dims[k]`` as ``d<k>``."""
        k = self.kind
        if k == "const":
            return ir.AffineConstantExpr.get(self.args[0])
        if k == "iv":
            for pos, v in enumerate(dims):
                if v == self.args[0]:
                    return ir.AffineDimExpr.get(pos)
            raise KeyError("induction variable not in dims")
        a = self.args[0].to_expr(dims)
        if k == "add":
            return a + self.args[1].to_expr(dims)
        if k == "mul":
            return a * ir.AffineConstantExpr.get(self.args[1])
        if k == "floordiv":
            return ir.AffineFloorDivExpr.get(a, ir.AffineConstantExpr.get(self.args[1]))
        if k == "mod":
            return ir.AffineModExpr.get(a, ir.AffineConstantExpr.get(self.args[1]))
        raise ValueError(k)

    def const_value(self):
        """The integer value if the expression has no induction variable, else ``None``."""
        k = self.kind
        if k == "const":
            return self.args[0]
        if k == "iv":
            return None
        a = self.args[0].const_value()
        if a is None:
            return None
        if k == "add":
            b = self.args[1].const_value()
            return None if b is None else a + b
        if k == "mul":
            return a * self.args[1]
        if k == "floordiv":
            return a // self.args[1]
        return a % self.args[1]


@dataclass
class Val:
    """A typed frontend value.

    ``value``: MLIR SSA value (scalar) or memref (array); ``None`` for an unmaterialised
    compile-time constant held in ``const``. ``shape`` is ``()`` for scalars.
    ``affine``: an :class:`Affine` form for index values. ``name``: source name of an array
    (used for ``from``/``to`` attributes and buffer naming).
    """

    value: Any
    dtype: Any
    shape: tuple = ()
    const: Any = None
    affine: Affine | None = None
    name: str | None = None
    # an array view: the memref plus per-dim (offset Val|int, size, step) description
    extra: dict = field(default_factory=dict)

    @property
    def is_array(self) -> bool:
        return len(self.shape) > 0

    @property
    def is_const(self) -> bool:
        return self.value is None and self.const is not None


def linear_form(v: "Val") -> LinearForm | None:
    """``v`` as a linear combination of index values (affine induction variables or opaque
    index values), or ``None``. Used where only a difference must be known (bit-slice
    widths)."""
    if "linear" in v.extra:
        return v.extra["linear"]
    if v.affine is not None:
        return _affine_linear(v.affine)
    if v.value is None and isinstance(v.const, int):
        return LinearForm(const=int(v.const))
    if v.value is not None and (str(v.value.type) == "index"
                                or isinstance(v.value.type, ir.IntegerType)):
        return LinearForm({v.value: 1})
    return None


def _affine_linear(e: Affine) -> LinearForm | None:
    k = e.kind
    if k == "const":
        return LinearForm(const=e.args[0])
    if k == "iv":
        return LinearForm({e.args[0]: 1})
    if k == "add":
        a, b = _affine_linear(e.args[0]), _affine_linear(e.args[1])
        return None if a is None or b is None else a + b
    if k == "mul":
        a = _affine_linear(e.args[0])
        return None if a is None else a.scaled(e.args[1])
    return None
