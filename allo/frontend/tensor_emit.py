"""Emission helpers shared by the whole-array built-in operations (language.md §6.2).

An :class:`OpEmitter` stands for one call such as ``allo.matmul(A, B)``: it owns the op's name
(``op_name = "<op>_<k>"`` or the user's ``name=``), allocates its fresh result, and emits either
a ``linalg`` named op tagged with that name or an explicit affine loop nest. A loop nest is
one *stage* (schedule.md §1.3): its outermost loop carries ``op_name`` and its loops are named
``L_0``, ``L_1``, ... in pre-order, so ``customize(..., lower_linalg=True)`` yields nests that
primitives can address as ``"<op_name>.L_1"``.

>>> # inside a function being built, at the statement's insertion point (ops: its Operators):
>>> # em = OpEmitter(ops, "relu"); out = em.fresh(float32, (4,))
>>> # em.nest((4,), lambda ivs: mem.store(..., out, ivs))
"""

from __future__ import annotations

from typing import Callable

from .._mlir import affine_d, arith_d, ir, linalg_d, memref_d
from ..errors import AlloTypeError
from . import memory as mem
from .memory import index_const
from .casting import cast, constant, raw_int_attr_value, tag
from .scalars import materialize
from .types import AlloType, Fixed, Float, Index, Int, UFixed, UInt, index as index_t
from .values import Affine, Val


def next_op_name(ctx, kind: str) -> str:
    """``"<kind>_<k>"`` with ``k`` counting the unnamed whole-array ops of ``ctx``'s function.

    >>> from types import SimpleNamespace
    >>> ctx = SimpleNamespace(tensor_op_count=0)
    >>> next_op_name(ctx, "matmul"), next_op_name(ctx, "add")
    ('matmul_0', 'add_1')
    """
    k = ctx.tensor_op_count
    ctx.tensor_op_count = k + 1
    return f"{kind}_{k}"


def lowered(ctx) -> bool:
    """Whether ``customize(..., lower_linalg=True)`` asked for loop nests instead of linalg."""
    return bool(ctx.module_builder.options.get("lower_linalg"))


def index_add(v: Val, k) -> Val:
    """``v + k`` for an index Val and an int or index Val (kept affine)."""
    other = index_const(k) if isinstance(k, int) else k
    return mem.add_index(v, other)


def raw_constant(raw: int, t: AlloType):
    """An ``arith.constant`` holding the raw bit pattern ``raw`` of integer/fixed type ``t``."""
    ty = ir.IntegerType.get_signless(t.bits)
    op = arith_d.ConstantOp(ty, ir.IntegerAttr.get(ty, raw_int_attr_value(raw, t.bits)))
    tag(op, t)
    return op.result


def lowest_value(t: AlloType):
    """The smallest value of ``t`` (the start of a true max): ``-inf`` for floats."""
    if isinstance(t, Float):
        return constant(float("-inf"), t)
    if isinstance(t, (UInt, UFixed)):
        return raw_constant(0, t)
    if isinstance(t, (Int, Fixed)):
        return raw_constant(-(1 << (t.bits - 1)), t)
    if isinstance(t, Index):
        return constant(-(1 << 63), t)
    raise AlloTypeError(f"no ordering for type {t}")


def max_value(x, y, t: AlloType):
    """``max(x, y)`` of two MLIR values of type ``t`` (NaN propagates for floats)."""
    if isinstance(t, Float):
        return arith_d.MaximumFOp(x, y).result
    cls = arith_d.MaxUIOp if isinstance(t, (UInt, UFixed)) else arith_d.MaxSIOp
    return tag(cls(x, y), t).result


class OpEmitter:
    """One whole-array op being emitted (name, result buffers, named loop nests)."""

    def __init__(self, ops, kind: str, name: str | None = None):
        self.ops = ops
        self.kind = kind
        self.op_name = name if name is not None else next_op_name(ops.ctx, kind)
        self.lowered = lowered(ops.ctx)
        self._loops = 0
        self._depth = 0
        self._staged = False

    # ------------------------------------------------------------------ buffers
    def fresh(self, dtype: AlloType, shape: tuple) -> Val:
        """A fresh ``memref.alloc`` for the op's result (named later if bound to a name)."""
        out = Val(mem.alloc(dtype, tuple(shape)), dtype, tuple(shape))
        out.extra["fresh"] = True
        return out

    def scalar_buffer(self, dtype: AlloType) -> Val:
        """An unnamed rank-0 buffer for a running value (max, sum) of the op."""
        return Val(mem.alloc(dtype, ()), dtype, ())

    def fill(self, buf: Val, scalar) -> None:
        """``linalg.fill`` of a whole fresh buffer (the zero/lowest start of accumulations)."""
        op = linalg_d.FillOp([], [scalar], [buf.value])
        linalg_d.fill_builtin_region(op.operation)

    def name_linalg(self, op, dtype: AlloType | None = None):
        """Tag a linalg named op with ``op_name`` (and ``allo.type`` for non-default types)."""
        op.attributes["op_name"] = ir.StringAttr.get(self.op_name)
        if dtype is not None:
            tag(op, dtype)
        return op

    # ------------------------------------------------------------------ loop nests
    def nest(self, extents, body: Callable[[list], None], reduction: bool = False) -> list:
        """Emit perfectly nested ``affine.for`` loops over ``extents`` and call ``body(ivs)``.

        The first loop the op creates outside any user loop is the stage root and carries
        ``op_name``; every loop is named ``L_<k>`` in creation (pre-)order. Nested calls (from
        inside ``body``) continue the numbering, so an op with several phases stays one stage.
        """
        extents = [int(e) for e in extents]
        if not extents:
            body([])
            return []
        loops: list = []
        ivs: list = []

        def rec(d: int):
            loop = affine_d.AffineForOp(0, extents[d], 1)
            attrs = loop.attributes
            attrs["loop_name"] = ir.StringAttr.get(f"L_{self._loops}")
            self._loops += 1
            if self._depth == 0 and not self._staged and self.ops.ctx.loop_depth == 0:
                attrs["op_name"] = ir.StringAttr.get(self.op_name)
                self._staged = True
            if reduction:
                attrs["reduction"] = ir.UnitAttr.get()
            loops.append(loop)
            iv = loop.induction_variable
            ivs.append(Val(iv, index_t, affine=Affine.iv(iv)))
            self._depth += 1
            try:
                with ir.InsertionPoint(loop.body):
                    if d + 1 < len(extents):
                        rec(d + 1)
                    else:
                        body(list(ivs))
                    affine_d.AffineYieldOp([])
            finally:
                self._depth -= 1

        rec(0)
        return loops

    # ------------------------------------------------------------------ element access
    def load(self, v: Val, idx: list):
        """The element ``v[idx]`` (an MLIR value of ``v.dtype``); views are mapped to their base."""
        return mem.load(v, mem.base_indices(v, idx), v.dtype)

    def load_as(self, v: Val, idx: list, dtype: AlloType):
        """``v[idx]`` (or the scalar ``v``) converted to ``dtype``."""
        if not v.is_array:
            return materialize(v, dtype)
        return cast(self.load(v, idx), v.dtype, dtype)

    def load_broadcast(self, v: Val, full_shape: tuple, ivs: list, dtype: AlloType):
        """Element of ``v`` for position ``ivs`` of the broadcast ``full_shape``, as ``dtype``."""
        if not v.is_array:
            return materialize(v, dtype)
        idx = mem.broadcast_indices(tuple(v.shape), tuple(full_shape), ivs)
        return self.load_as(v, idx, dtype)

    def store(self, value, buf: Val, idx: list):
        """``buf[idx] = value`` (``value`` already of ``buf.dtype``)."""
        return mem.store(value, buf, mem.base_indices(buf, idx))

    def read_scalar(self, buf: Val):
        return mem.load(buf, [], buf.dtype)

    def write_scalar(self, value, buf: Val):
        mem.store(value, buf, [])


def copy_plain(src: Val, dst: Val, op_name: str):
    """``memref.copy`` between two plain buffers of one type, tagged with ``op_name``."""
    op = memref_d.CopyOp(src.value, dst.value)
    op.attributes["op_name"] = ir.StringAttr.get(op_name)
    return op


_OPERATOR_KINDS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "//": "floordiv", "%": "mod",
                   "**": "power", "<<": "shl", ">>": "shr", "&": "and", "|": "or", "^": "xor"}


def operator_nest(ops, op: str, shape: tuple, body: Callable[[list], None]) -> list:
    """The loop nest of an array operator (``A + B``): a stage named like ``allo.add``'s.

    >>> # ops.array_binary("+", A, B) emits its loops through operator_nest(ops, "+", shape, body)
    """
    return OpEmitter(ops, _OPERATOR_KINDS.get(op, "elementwise")).nest(shape, body)
