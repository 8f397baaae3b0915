"""Struct locals (language.md §10.1, P2): one rank-0 buffer per field (``<var>.<field>``)."""

from __future__ import annotations

import ast

from .._mlir import ir
from ..errors import AlloTypeError
from . import memory as mem
from .casting import tag
from .context import Part
from .scalars import materialize
from .symbols import Sym
from .types import Int, Struct, UInt
from .values import Val


class StructLowering(Part):
    """Struct locals: declared from a dict of fields or a packed integer; fields read and written
    through ``s["x"]``."""

    def declare_struct(self, name: str, ptype, value_node) -> None:
        """Declare struct local ``name`` of ``ptype``, initialised from ``value_node`` if any."""
        stype = ptype.dtype
        if ptype.shape:
            raise AlloTypeError("struct arrays are not supported")
        fields = {}
        for field, ftype in stype.dtype_dict.items():
            fields[field] = Val(mem.alloc(ftype, (), f"{name}.{field}"), ftype, (), name=f"{name}.{field}")
        self.ctx.scopes.declare(name, Sym("struct", Val(None, stype, extra={"fields": fields})))
        if value_node is None:
            return
        if isinstance(value_node, ast.Dict):
            for key, value in zip(value_node.keys, value_node.values):
                field = self._field_name(key, stype)
                mem.store(materialize(self.exprs.visit_expr(value), stype.dtype_dict[field]), fields[field], [])
            return
        self._unpack_int_into_struct(self.exprs.visit_expr(value_node), stype, fields)

    def _unpack_int_into_struct(self, v: Val, stype: Struct, fields: dict):
        """An integer of the struct's total width: first field = lowest bits."""
        if not all(isinstance(t, (Int, UInt)) for t in stype.dtype_dict.values()):
            raise AlloTypeError("only an all-integer struct can be built from an integer")
        if v.is_array or not isinstance(v.dtype, (Int, UInt)):
            raise AlloTypeError(f"cannot initialise a struct from {v.dtype}")
        raw = materialize(v, UInt(stype.bits))
        lo = 0
        for field, ftype in stype.dtype_dict.items():
            lo_v = mem.index_value(mem.index_const(lo))
            op = ir.Operation.create("allo.get_slice", results=[ir.IntegerType.get_signless(ftype.bits)],
                                     operands=[raw, lo_v])
            tag(op, UInt(ftype.bits))
            mem.store(op.results[0], fields[field], [])
            lo += ftype.bits

    def _field_name(self, key_node, stype: Struct) -> str:
        if not (isinstance(key_node, ast.Constant) and isinstance(key_node.value, str)):
            raise AlloTypeError("struct fields are selected with string literals")
        if key_node.value not in stype.dtype_dict:
            raise AlloTypeError(f"{key_node.value} is not in struct")
        return key_node.value

    def struct_field(self, base: Val, slice_node) -> Val:
        """The field buffer selected by ``pt["x"]``."""
        field = self._field_name(slice_node, base.dtype)
        return base.extra["fields"][field]

    def read_struct_field(self, base: Val, slice_node) -> Val:
        """The value of the field selected by ``pt["x"]``."""
        buf = self.struct_field(base, slice_node)
        return Val(mem.load(buf, [], buf.dtype), buf.dtype)
