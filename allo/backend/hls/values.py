"""What the emitter knows about each SSA value: a scalar expression or an array (view).

>>> from allo.ir.types import int32
>>> a = Array("C", CType.of(int32), (6, 10))
>>> a.access(["i", "j"]), a.declaration()
('C[i][j]', 'int32_t C[6][10]')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from ...errors import BuildError
from .cpp_types import CType


@dataclass
class Scalar:
    """A scalar value: the C++ expression naming it and its C++ view."""

    expr: str
    ctype: CType


@dataclass
class Array:
    """A memref value as the C++ code sees it.

    ``form``: ``array`` (``T a[d0][d1]``), ``flat`` (a pointer whose multi-dimensional
    accesses are linearized over ``shape``), ``local_scalar`` (rank-0 local ``T x;``),
    ``pointer_scalar`` (rank-0 parameter ``T *v``), ``stream`` (``hls::stream< T >``).
    A *view* (subview, reshape) has ``base`` set and ``remap`` turning its indices into the
    base's indices; ``pass_expr`` is how the view is handed to a callee, if it can be.
    """

    name: str
    elem: CType
    shape: tuple
    form: str = "array"
    base: Optional["Array"] = None
    remap: Optional[Callable[[list], list]] = None
    pass_expr: Optional[str] = None
    stream_depth: Optional[int] = None
    extra: dict = field(default_factory=dict)

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def block(self) -> tuple:
        """Element shape of a block stream (``Stream[T[n], d]``), ``()`` otherwise."""
        return tuple(self.root.extra.get("block", ()))

    @property
    def spatial(self) -> int:
        """Leading dimensions of an array of FIFOs (systolic ``to``), 0 for one FIFO."""
        return int(self.root.extra.get("spatial", 0))

    def stream_ref(self, indices: list) -> str:
        """The FIFO an access goes through: ``q``, or ``fifo[p][q]`` in an array of FIFOs."""
        root = self.root
        if self.base is not None:
            indices = self.remap(list(indices))
            return self.base.stream_ref(indices)
        return root.name + "".join(f"[{i}]" for i in list(indices)[:root.spatial])

    @property
    def is_stream(self) -> bool:
        root = self.root
        return root.form == "stream"

    @property
    def root(self) -> "Array":
        node = self
        while node.base is not None:
            node = node.base
        return node

    def access(self, indices: list) -> str:
        """The C++ lvalue of element ``indices`` (index expressions as text)."""
        if self.base is not None:
            return self.base.access(self.remap(list(indices)))
        if self.form == "local_scalar":
            return self.name
        if self.form == "pointer_scalar":
            return f"*{self.name}"
        if self.form == "stream":
            raise BuildError(f"stream {self.name} cannot be indexed")
        if self.form == "flat":
            return f"{self.name}[{linearize(indices, self.shape)}]"
        return self.name + "".join(f"[{i}]" for i in indices)

    def argument(self) -> str:
        """How this array is passed to a callee's array parameter."""
        if self.base is not None:
            if self.pass_expr is None:
                raise BuildError(
                    f"a strided or reshaped view of '{self.root.name}' cannot be passed to a "
                    "function in the HLS backend; copy it into a local array first")
            return self.pass_expr
        if self.form == "local_scalar":
            return f"&{self.name}"
        return self.name

    def declaration(self) -> str:
        """``T name[d0][d1]`` for a local array, ``T name`` for a rank-0 local."""
        if self.form == "stream":
            dims = "".join(f"[{d}]" for d in self.shape[:self.spatial])
            return f"{stream_spelling(self.elem, self.block)} {self.name}{dims}"
        if self.form == "local_scalar":
            return f"{self.elem.spelling} {self.name}"
        return f"{self.elem.spelling} {self.name}" + "".join(f"[{d}]" for d in self.shape)


def stream_spelling(elem: CType, block: tuple = ()) -> str:
    """``hls::stream< T >`` (spaces inside the angle brackets, as Vitis code is written); a
    block stream is ``hls::stream< hls::vector< T, n > >`` with ``n`` the block's size."""
    if block:
        return f"hls::stream< {vector_spelling(elem, block)} >"
    return f"hls::stream< {elem.spelling} >"


def vector_spelling(elem: CType, block: tuple) -> str:
    """``hls::vector< T, n >`` holding one block of a block stream."""
    size = 1
    for d in block:
        size *= d
    return f"hls::vector< {elem.spelling}, {size} >"


def linearize(indices: list, shape: tuple) -> str:
    """Row-major flat index ``(e0) * 5 + (e1)`` (``* 1`` omitted)."""
    if len(indices) == 1:
        return str(indices[0])
    terms = []
    for k, idx in enumerate(indices):
        stride = 1
        for d in shape[k + 1:]:
            if d is None:
                raise BuildError("cannot linearize an access to an array of dynamic shape")
            stride *= d
        terms.append(f"({idx}) * {stride}" if stride != 1 else f"({idx})")
    return " + ".join(terms)
