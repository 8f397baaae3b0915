"""Operators on scalar and array values (language.md §5, §6.1): arithmetic, shifts,
comparisons, truth values, ``min``/``max``/``abs``, and element-wise operators on arrays.

Integer constants fold at compile time, ``index`` arithmetic stays affine where it can, and
every other operation is typed by the typing rules of the function (``typing_rule_set``).
"""

from __future__ import annotations

import operator

from .._mlir import arith_d, ir, math_d
from ..errors import AlloTypeError
from . import memory as mem
from .casting import cast, constant, op_result, tag
from .context import Part
from .scalars import const_val, materialize, operand_types
from .tensor_emit import operator_nest
from .tensor_ops import build_tensor_op
from .types import Fixed, Index, Int, UFixed, UInt, bool as bool_t, float32, float64, index as index_t
from .typing_rules import common_type, cpp_style_result_type, result_type
from .values import Affine, Val, linear_form

_SIGNED_PRED = {"==": 0, "!=": 1, "<": 2, "<=": 3, ">": 4, ">=": 5}
_UNSIGNED_PRED = {"==": 0, "!=": 1, "<": 6, "<=": 7, ">": 8, ">=": 9}
_FLOAT_PRED = {"==": 1, ">": 2, ">=": 3, "<": 4, "<=": 5, "!=": 13}  # oeq ogt oge olt ole une


def _array_elem_type(op, a: Val, b: Val):
    return result_type(op, *operand_types(a, b))


class Operators(Part):
    """Operators of one function: ``binary`` for ``a op b`` (scalars or arrays), ``truth``
    for conditions, and the scalar built-ins ``min``/``max``/``abs``."""

    def binary(self, op: str, lhs: Val, rhs: Val) -> Val:
        """``lhs op rhs`` as written in a kernel: folded, affine, scalar or element-wise."""
        if lhs.is_array or rhs.is_array:
            return self.array_binary(op, lhs, rhs)
        for v in (lhs, rhs):
            if v.dtype is None:
                raise AlloTypeError(f"operator '{op}' is not defined for {v.const!r}")
        folded = self._fold(op, lhs, rhs)
        if folded is not None:
            return folded
        idx = self._index_arith(op, lhs, rhs)
        if idx is not None:
            return idx
        return self.scalar_binary(op, lhs, rhs)

    def _fold(self, op, a: Val, b: Val):
        if not (a.is_const and b.is_const):
            return None
        x, y = a.const, b.const
        if not all(isinstance(t, (int, bool)) for t in (x, y)):
            return None
        x, y = int(x), int(y)
        try:
            if op in ("/", "%"):
                if y == 0:
                    return None
                q = abs(x) // abs(y)
                q = q if (x >= 0) == (y >= 0) else -q
                r = q if op == "/" else x - q * y
            elif op == "**":
                return None
            elif op in ("<<", ">>") and (y < 0 or y > 4096):
                return None
            else:
                fn = {"+": operator.add, "-": operator.sub, "*": operator.mul,
                      "//": operator.floordiv, "<<": operator.lshift, ">>": operator.rshift,
                      "&": operator.and_, "|": operator.or_, "^": operator.xor}[op]
                r = fn(x, y)
        except ZeroDivisionError:
            return None
        return const_val(r)

    def _index_arith(self, op, a: Val, b: Val):
        """``index op index`` / ``index op int-constant`` stays index (affine when possible)."""
        ai, bi = isinstance(a.dtype, Index), isinstance(b.dtype, Index)
        a_int = a.is_const and isinstance(a.const, int) and not isinstance(a.const, bool)
        b_int = b.is_const and isinstance(b.const, int) and not isinstance(b.const, bool)
        if not ((ai and (bi or b_int)) or (bi and a_int)):
            return None
        if op not in ("+", "-", "*", "//", "%", "/"):
            return None
        fa, fb = mem.affine_of(a), mem.affine_of(b)
        if fa is not None and fb is not None:
            ca, cb = fa.const_value(), fb.const_value()
            if op == "+":
                return Val(None, index_t, affine=Affine("add", fa, fb))
            if op == "-":
                return Val(None, index_t, affine=Affine("add", fa, Affine("mul", fb, -1)))
            if op == "*" and (ca is not None or cb is not None):
                return Val(None, index_t, affine=Affine("mul", fb, ca) if ca is not None else Affine("mul", fa, cb))
            if op in ("//", "%") and cb is not None and cb > 0:
                return Val(None, index_t, affine=Affine("floordiv" if op == "//" else "mod", fa, cb))
            if op == "/" and cb is not None and cb > 0:
                return Val(None, index_t, affine=Affine("floordiv", fa, cb))
        x = mem.index_value(a) if ai else constant(a.const, index_t)
        y = mem.index_value(b) if bi else constant(b.const, index_t)
        cls = {"+": arith_d.AddIOp, "-": arith_d.SubIOp, "*": arith_d.MulIOp,
               "//": arith_d.FloorDivSIOp, "/": arith_d.DivSIOp, "%": arith_d.RemSIOp}[op]
        out = Val(op_result(cls(x, y)), index_t)
        combined = _linear_combination(op, a, b)
        if combined is not None:
            out.extra["linear"] = combined
        return out

    def _rule(self, op, a, b):
        if self.ctx.typing_rule_set == "cpp-style":
            t = cpp_style_result_type(op, a, b)
            if t is not None:
                return t
        return result_type(op, a, b)

    def scalar_binary(self, op: str, a: Val, b: Val) -> Val:
        """``a op b`` of two scalars, typed by the function's typing rules (emits ops)."""
        ta, tb = operand_types(a, b)
        if op in ("==", "!=", "<", "<=", ">", ">="):
            return self.compare(op, a, b, ta, tb)
        rt = self._rule(op, ta, tb)
        if op in ("<<", ">>"):
            return self.shift(op, a, b, rt)
        if rt.is_float:
            return self.float_binary(op, a, b, rt)
        if op == "**":
            return self.float_binary(op, a, b, rt)
        if op == "*":
            out = self.int_mul(a, b, ta, tb, rt)
            combined = None if rt.is_fixed else _linear_combination(op, a, b)
            if combined is not None:
                out.extra["linear"] = combined
            return out
        if op == "/" and rt.is_fixed:
            return self.fixed_div(a, b, ta, tb, rt)
        x, y = materialize(a, rt), materialize(b, rt)
        out = self._int_arith(op, x, y, rt)
        combined = None if rt.is_fixed else _linear_combination(op, a, b)
        if combined is not None:
            out.extra["linear"] = combined
        return out

    def _int_arith(self, op, x, y, rt) -> Val:
        if isinstance(rt, Index):
            cls = {"+": arith_d.AddIOp, "-": arith_d.SubIOp, "/": arith_d.DivSIOp,
                   "//": arith_d.FloorDivSIOp, "%": arith_d.RemSIOp, "&": arith_d.AndIOp,
                   "|": arith_d.OrIOp, "^": arith_d.XOrIOp}[op]
            return Val(op_result(cls(x, y)), rt)
        unsigned = rt.is_unsigned
        cls = {"+": arith_d.AddIOp, "-": arith_d.SubIOp,
               "/": arith_d.DivUIOp if unsigned else arith_d.DivSIOp,
               "//": arith_d.DivUIOp if unsigned else arith_d.FloorDivSIOp,
               "%": arith_d.RemUIOp if unsigned else arith_d.RemSIOp,
               "&": arith_d.AndIOp, "|": arith_d.OrIOp, "^": arith_d.XOrIOp}[op]
        return Val(op_result(tag(cls(x, y), rt)), rt)

    def int_mul(self, a, b, ta, tb, rt):
        """R-MUL: operands widened to the result width keeping their own fraction bits."""
        def widen(v, t):
            if isinstance(t, Index):
                t = UInt(32)
            if isinstance(rt, Index):
                return materialize(v, rt)
            if t.is_fixed or rt.is_fixed:
                wide = (Fixed if not t.is_unsigned else UFixed)(rt.bits, t.fracs)
            else:
                wide = (Int if not t.is_unsigned else UInt)(rt.bits)
            if v.is_const:
                return constant(v.const, wide)
            return cast(materialize(v, t), t, wide)

        x, y = widen(a, ta), widen(b, tb)
        return Val(op_result(tag(arith_d.MulIOp(x, y), rt)), rt)

    def fixed_div(self, a, b, ta, tb, rt):
        """Fixed-point division (``allo.fixed_div``, lowered later with the exact rounding)."""
        if isinstance(ta, Index):
            ta = UInt(32)
        if isinstance(tb, Index):
            tb = UInt(32)
        x, y = materialize(a, ta), materialize(b, tb)
        op = ir.Operation.create(
            "allo.fixed_div", results=[rt.build()], operands=[x, y],
            attributes={"lhs": ir.StringAttr.get(ta.name), "rhs": ir.StringAttr.get(tb.name),
                        "res": ir.StringAttr.get(rt.name)})
        tag(op, rt)
        return Val(op.results[0], rt)

    def float_binary(self, op, a, b, rt):
        """``a op b`` computed in the floating-point type ``rt``."""
        x, y = materialize(a, rt), materialize(b, rt)
        if op == "+":
            r = arith_d.AddFOp(x, y)
        elif op == "-":
            r = arith_d.SubFOp(x, y)
        elif op == "*":
            r = arith_d.MulFOp(x, y)
        elif op == "/":
            r = arith_d.DivFOp(x, y)
        elif op == "//":
            r = math_d.FloorOp(op_result(arith_d.DivFOp(x, y)))
        elif op == "%":
            r = arith_d.RemFOp(x, y)
        elif op == "**":
            r = math_d.PowFOp(x, y)
        else:
            raise AlloTypeError(f"operator '{op}' is not defined for types {a.dtype} and {b.dtype}")
        return Val(op_result(r), rt)

    def shift(self, op, a, b, rt):
        """``a << b`` / ``a >> b`` in ``rt`` (arithmetic right shift when signed); a constant
        or wider amount is clamped to the width."""
        if b.dtype.is_float or b.dtype.is_fixed:
            raise AlloTypeError(f"operator '{op}' is not defined for types {a.dtype} and {b.dtype}")
        x = materialize(a, rt)
        width = 64 if isinstance(rt, Index) else rt.bits
        amount_t = b.dtype if not isinstance(b.dtype, Index) else Int(64)
        if isinstance(rt, Index):
            y = materialize(b, index_t)
        elif b.is_const:
            amt = int(b.const)
            y = constant(min(amt, width) if amt >= 0 else amt, Int(width) if width > 1 else UInt(1))
        else:
            yv = materialize(b, amount_t)
            if amount_t.bits > width:
                big = constant(width, amount_t)
                ge = arith_d.CmpIOp(9, yv, big)  # uge
                yv = op_result(arith_d.SelectOp(op_result(ge), big, yv))
                yv = cast(yv, UInt(amount_t.bits), UInt(width))
            elif amount_t.bits < width:
                yv = cast(yv, UInt(amount_t.bits), UInt(width))
            y = yv
        if op == "<<":
            r = arith_d.ShLIOp(x, y)
        elif rt.is_unsigned:
            r = arith_d.ShRUIOp(x, y)
        else:
            r = arith_d.ShRSIOp(x, y)
        return Val(op_result(tag(r, rt)), rt)

    def compare(self, op, a, b, ta, tb) -> Val:
        """``a op b`` for a comparison ``op``, in the common type of ``ta`` and ``tb``."""
        ct = common_type(ta, tb) if not (isinstance(ta, Index) and isinstance(tb, Index)) else index_t
        if (isinstance(ta, Index) and b.is_const and isinstance(b.const, int)) or \
                (isinstance(tb, Index) and a.is_const and isinstance(a.const, int)):
            ct = index_t
        x, y = materialize(a, ct), materialize(b, ct)
        if ct.is_float:
            r = arith_d.CmpFOp(_FLOAT_PRED[op], x, y)
        else:
            preds = _UNSIGNED_PRED if ct.is_unsigned else _SIGNED_PRED
            r = arith_d.CmpIOp(preds[op], x, y)
        return Val(op_result(r), bool_t)

    def truth(self, v: Val):
        """An ``i1`` for a scalar condition (non-bool: ``value != 0``)."""
        if v.is_array:
            raise AlloTypeError("an array cannot be used as a condition")
        if v.is_const:
            return constant(bool(v.const), bool_t)
        if v.dtype == bool_t:
            return v.value
        if v.dtype.is_float:
            zero = constant(0.0, v.dtype)
            return op_result(arith_d.CmpFOp(13, v.value, zero))  # une: NaN is true
        x = materialize(v)
        zero = constant(0, v.dtype)
        return op_result(arith_d.CmpIOp(1, x, zero))

    def array_binary(self, op: str, a: Val, b: Val) -> Val:
        """``a op b`` element-wise with numpy broadcasting, into a fresh array (one stage)."""
        if op in ("==", "!=", "<", "<=", ">", ">="):
            raise AlloTypeError("comparison of arrays is not supported")
        shape = mem.broadcast_or_raise(tuple(a.shape), tuple(b.shape))
        rt = _array_elem_type(op, a, b)
        out = Val(mem.alloc(rt, shape), rt, shape)

        def element(v: Val, ivs):
            if not v.is_array:
                return v
            idx = mem.base_indices(v, mem.broadcast_indices(tuple(v.shape), shape, ivs))
            return Val(mem.load(v, idx, v.dtype), v.dtype)

        def body(ivs):
            r = self.scalar_binary(op, element(a, ivs), element(b, ivs))
            mem.store(materialize(r, rt), out, ivs)

        operator_nest(self, op, shape, body)  # named stage, like allo.add (schedule.md §1.1)
        out.extra["fresh"] = True
        return out

    # ---------------------------------------------------------------- scalar built-ins
    def min_max(self, which: str, args: list) -> Val:
        """``min(*args)`` or ``max(*args)`` (``which``) of scalars, in their common type."""
        if len(args) < 2:
            raise AlloTypeError(f"{which}() expects at least 2 arguments")
        acc = args[0]
        for nxt in args[1:]:
            if acc.is_array or nxt.is_array:
                raise AlloTypeError(f"{which}() expects scalars")
            ta, tb = operand_types(acc, nxt)
            rt = common_type(ta, tb)
            x, y = materialize(acc, rt), materialize(nxt, rt)
            if rt.is_float:
                cls = arith_d.MinimumFOp if which == "min" else arith_d.MaximumFOp
            elif rt.is_unsigned:
                cls = arith_d.MinUIOp if which == "min" else arith_d.MaxUIOp
            else:
                cls = arith_d.MinSIOp if which == "min" else arith_d.MaxSIOp
            acc = Val(op_result(tag(cls(x, y), rt)), rt)
        return acc

    def abs_(self, v: Val) -> Val:
        """``abs(v)``; of an array, the whole-array ``allo.abs``."""
        if v.is_array:
            return build_tensor_op(self.exprs, "abs", [v], {})
        if v.is_const:
            return const_val(abs(v.const))
        t = v.dtype
        x = materialize(v)
        if t.is_float:
            return Val(op_result(math_d.AbsFOp(x)), t)
        if t.is_unsigned:
            return v
        zero = constant(0, t)
        neg = op_result(tag(arith_d.SubIOp(zero, x), t))
        lt = op_result(arith_d.CmpIOp(2, x, zero))
        return Val(op_result(tag(arith_d.SelectOp(lt, neg, x), t)), t)

    def float_of(self, v: Val):
        """The floating-point type math functions compute ``v`` in (``float32`` up to 32 bits)."""
        t = v.dtype
        if t.is_float:
            return t
        return float32 if (t.bits <= 32 and not isinstance(t, Index)) or isinstance(t, Index) else float64


def _linear_combination(op: str, a: Val, b: Val):
    """The linear form of ``a op b`` for ``+``, ``-`` and ``*`` by a constant, or ``None``.

    It lets a bit slice ``x[p * 8:p * 8 + 8]`` know its width (``hi - lo``) when ``p`` is a
    run-time value: both bounds are ``8·p + c`` over the same key ``p``."""
    la, lb = linear_form(a), linear_form(b)
    if la is None or lb is None:
        return None
    if op == "+":
        return la + lb
    if op == "-":
        return la - lb
    if op == "*" and not lb.coeffs:
        return la.scaled(lb.const)
    if op == "*" and not la.coeffs:
        return lb.scaled(la.const)
    return None
