"""Subscripts: array elements, views/slices, and bit access on integers (language.md §4.4-4.5)."""

from __future__ import annotations

import ast

import numpy as np

from .._mlir import arith_d, ir
from ..errors import AlloTypeError
from . import memory as mem
from .annotations import eval_compile_time
from .casting import constant, op_result, tag
from .context import Part
from .scalars import materialize
from .types import Float, Index, Int, Struct, UInt, bool as bool_t, float16, float32, float64
from .values import Val, linear_form


class AccessLowering(Part):
    """Subscripts of one function: elements and views of arrays, compile-time subscripts,
    struct fields and stream arrays (handed to their parts), and bits of integers."""

    # ---------------------------------------------------------------- arrays
    def subscript_items(self, node: ast.Subscript) -> list:
        """The index expressions of ``node`` (one per subscripted dimension)."""
        sl = node.slice
        return list(sl.elts) if isinstance(sl, ast.Tuple) else [sl]

    def subscript(self, node: ast.Subscript) -> Val:
        """The value of ``base[...]`` read in an expression."""
        base = self.exprs.visit_expr(node.value)
        if base.value is None and base.dtype is None:
            return self.compile_time_subscript(base, node)
        if isinstance(base.dtype, Struct):
            return self.structs.read_struct_field(base, node.slice)
        if "streams" in base.extra:
            return self.streams.stream_element(base, self.subscript_items(node))
        if base.is_array:
            return self._element_or_view(base, node)
        return self.bit_get(base, node.slice)

    def compile_time_subscript(self, base, node):
        """``k[int32, 4](...)`` template reference or numpy-constant indexing."""
        if isinstance(base.const, np.ndarray):
            try:
                idx = eval_compile_time(node.slice, self.ctx.compile_env())
            except Exception:  # noqa: BLE001
                arr = self.ctx.global_array(getattr(node.value, "id", "const"), base.const)
                return self._element_or_view(arr, node)
            return self.exprs.python_value("const", base.const[idx])
        return Val(None, None, const=("template", base.const, node.slice))

    def _element_or_view(self, arr: Val, node):
        view = self.index_array(arr, self.subscript_items(node))
        if view.is_array:
            return view
        return Val(mem.load(view, view.extra["indices"], arr.dtype), arr.dtype)

    def _const_index(self, v: Val):
        f = mem.affine_of(v)
        return None if f is None else f.const_value()

    def index_array(self, arr: Val, items: list) -> Val:
        """Apply subscript ``items`` to array ``arr``: an element (``extra["indices"]``) or a view."""
        entries = list(mem.view_entries(arr))
        shape = list(arr.shape)
        if len(items) > len(shape):
            raise AlloTypeError(f"too many indices for an array of shape {tuple(arr.shape)}")
        free = [k for k, e in enumerate(entries) if e[0] == "slice"]
        new_entries = list(entries)
        new_shape = []
        for pos, item in enumerate(items):
            dim = free[pos]
            extent = shape[pos]
            _, start, step = entries[dim]
            if isinstance(item, ast.Slice):
                lo, hi, st = self._slice_bounds(item, extent)
                new_entries[dim] = ("slice", mem.add_index(start, mem.mul_index(mem.index_const(lo), step)), step * st)
                new_shape.append(max(0, -(-(hi - lo) // st)))
            else:
                iv = mem.as_index(self.exprs.visit_expr(item), materialize)
                c = self._const_index(iv)
                if c is not None:
                    if c < 0:
                        raise AlloTypeError("Unsupported negative index")
                    if extent != -1 and c >= extent:
                        raise AlloTypeError(f"Index out of range: {c} >= {extent}")
                new_entries[dim] = ("idx", mem.add_index(start, mem.mul_index(iv, step)))
        new_shape += shape[len(items):]
        out = Val(arr.value, arr.dtype, tuple(new_shape), name=arr.name)
        out.extra = {"view": new_entries}
        if not new_shape:
            out.extra["indices"] = [e[1] for e in new_entries]
        elif all(e[0] == "slice" and mem.affine_of(e[1]) is not None and mem.affine_of(e[1]).const_value() == 0 and e[2] == 1 for e in new_entries) and tuple(new_shape) == tuple(arr.shape):
            out.extra = dict(arr.extra)
        return out

    def _slice_bounds(self, item: ast.Slice, extent: int):
        def ev(n, default):
            if n is None:
                return default
            v = self.exprs.visit_expr(n)
            if not (v.is_const and isinstance(v.const, int)):
                raise AlloTypeError("slice bounds must be compile-time constants")
            return int(v.const)

        lo, hi, st = ev(item.lower, 0), ev(item.upper, extent), ev(item.step, 1)
        if st <= 0:
            raise AlloTypeError("Unsupported negative step")
        if lo < 0 or hi < 0:
            raise AlloTypeError("Unsupported negative index")
        if hi > extent or lo > extent:
            raise AlloTypeError(f"Index out of range: slice {lo}:{hi} of extent {extent}")
        return lo, hi, st

    # ---------------------------------------------------------------- bits
    def _check_bit_target(self, v: Val):
        if v.is_array or not isinstance(v.dtype, (Int, UInt)):
            raise AlloTypeError("Can only access bit (slice) for integers")

    def _bit_index(self, node, width):
        idx = mem.as_index(self.exprs.visit_expr(node), materialize)
        c = self._const_index(idx)
        if c is not None and (c < 0 or c >= width):
            raise AlloTypeError(f"bit index {c} out of range for a {width}-bit integer")
        return idx

    def _slice_width(self, sl: ast.Slice, width):
        lo_v = self.exprs.visit_expr(sl.lower) if sl.lower is not None else mem.index_const(0)
        hi_v = self.exprs.visit_expr(sl.upper) if sl.upper is not None else mem.index_const(width)
        diff = None
        # the width is hi - lo on the source values, before their conversion to index
        fl, fh = linear_form(lo_v), linear_form(hi_v)
        if fl is not None and fh is not None:
            width_form = fh - fl
            diff = None if width_form.coeffs else width_form.const
        if diff is None:
            raise AlloTypeError("cannot infer the width of the bit slice")
        if diff <= 0:
            raise AlloTypeError("upper bound must be greater than lower bound")
        lo = mem.as_index(lo_v, materialize)
        clo = self._const_index(lo)
        if clo is not None and clo + diff > width:
            raise AlloTypeError(f"bit slice exceeds the {width}-bit integer")
        return lo, diff

    def bit_get(self, v: Val, sl):
        """``v[k]`` or ``v[lo:hi]`` of an integer: one bit or a bit slice."""
        self._check_bit_target(v)
        x = materialize(v)
        if isinstance(sl, ast.Slice):
            lo, w = self._slice_width(sl, v.dtype.bits)
            op = ir.Operation.create("allo.get_slice", results=[ir.IntegerType.get_signless(w)],
                                     operands=[x, mem.index_value(lo)])
            rt = UInt(w)
            tag(op, rt)
            return Val(op.results[0], rt)
        k = self._bit_index(sl, v.dtype.bits)
        op = ir.Operation.create("allo.get_bit", results=[ir.IntegerType.get_signless(1)],
                                 operands=[x, mem.index_value(k)])
        return Val(op.results[0], bool_t)

    def bit_set(self, current: Val, sl, new: Val) -> Val:
        """``current`` with a bit or bit range replaced by ``new``."""
        self._check_bit_target(current)
        x = materialize(current)
        if isinstance(sl, ast.Slice):
            lo, w = self._slice_width(sl, current.dtype.bits)
            y = materialize(new, UInt(w))
            name, idx = "allo.set_slice", lo
        else:
            idx = self._bit_index(sl, current.dtype.bits)
            y = self._lowest_bit(new)
            name = "allo.set_bit"
        op = ir.Operation.create(name, results=[current.dtype.build()],
                                 operands=[x, mem.index_value(idx), y])
        tag(op, current.dtype)
        return Val(op.results[0], current.dtype)

    def _lowest_bit(self, v: Val):
        if v.is_const:
            return constant(int(v.const) & 1, bool_t)
        if v.dtype == bool_t:
            return v.value
        if isinstance(v.dtype, (Int, UInt)):
            return op_result(arith_d.TruncIOp(ir.IntegerType.get_signless(1), materialize(v)))
        return materialize(v, bool_t)

    def bit_reverse(self, v: Val) -> Val:
        """``v.reverse()``: the bits of integer ``v`` in reverse order."""
        if v.is_array or not isinstance(v.dtype, (Int, UInt)):
            raise AlloTypeError("Can only reverse integers")
        op = ir.Operation.create("allo.reverse", results=[v.dtype.build()], operands=[materialize(v)])
        tag(op, v.dtype)
        return Val(op.results[0], v.dtype)

    def bitcast(self, v: Val) -> Val:
        """``v.bitcast()``: the same bits as an unsigned integer (of a float or fixed-point value)
        or a float (of an integer)."""
        t = v.dtype
        if v.is_array:
            raise AlloTypeError("bitcast expects a scalar")
        if isinstance(t, (Int, UInt)):
            target = {16: float16, 32: float32, 64: float64}.get(t.bits)
            if target is None:
                raise AlloTypeError(f"Unsupported bitwidth {t.bits}")
            return Val(op_result(arith_d.BitcastOp(target.build(), materialize(v))), target)
        if isinstance(t, Float):
            rt = UInt(t.bits)
            return Val(op_result(tag(arith_d.BitcastOp(rt.build(), materialize(v)), rt)), rt)
        if t.is_fixed:
            rt = UInt(t.bits)
            op = ir.Operation.create("allo.bitcast", results=[rt.build()], operands=[materialize(v)],
                                     attributes={"src": ir.StringAttr.get(t.name), "dst": ir.StringAttr.get(rt.name)})
            tag(op, rt)
            return Val(op.results[0], rt)
        if isinstance(t, Index):
            raise AlloTypeError("Unsupported bitwidth for index")
        raise AlloTypeError(f"cannot bitcast {t}")

