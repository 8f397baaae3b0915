"""Expression visitors of the frontend: names, constants, operators, subscripts, calls."""

from __future__ import annotations

import ast
import operator

import numpy as np

from .._mlir import arith_d, ir, math_d
from ..diagnostics import message_of
from ..errors import AlloSyntaxError, AlloTypeError
from ..mlir_utils import LinearForm
from . import memory as mem
from .annotations import eval_compile_time
from .casting import cast, constant, tag
from .symbols import is_usable_global
from .tensor_emit import operator_nest
from .types import (AlloType, Fixed, Index, Int, UFixed, UInt, bool as bool_t,
                    float32, index as index_t, int32)
from .typing_rules import common_type, cpp_style_result_type, neg_type, result_type
from .values import Affine, Val, linear_form

_BIN = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
        ast.Mod: "%", ast.Pow: "**", ast.LShift: "<<", ast.RShift: ">>",
        ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^"}
_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_SIGNED_PRED = {"==": 0, "!=": 1, "<": 2, "<=": 3, ">": 4, ">=": 5}
_UNSIGNED_PRED = {"==": 0, "!=": 1, "<": 6, "<=": 7, ">": 8, ">=": 9}
_FLOAT_PRED = {"==": 1, ">": 2, ">=": 3, "<": 4, "<=": 5, "!=": 13}  # oeq ogt oge olt ole une


def literal_type(value) -> AlloType:
    """Type of a Python literal (language.md §4.1)."""
    if isinstance(value, (bool, np.bool_)):
        return bool_t
    if isinstance(value, (int, np.integer)):
        v = int(value)
        if -(1 << 31) <= v < (1 << 31):
            return int32
        if -(1 << 63) <= v < (1 << 63):
            return Int(64)
        bits = max(v.bit_length(), (-v - 1).bit_length()) + 1
        return Int(bits)
    if isinstance(value, (float, np.floating)):
        return float32
    raise AlloTypeError(f"unsupported constant {value!r}")


def operand_types(a: Val, b: Val):
    """Operand types for the typing rules: an int literal next to a float takes the float
    type (``float16 + 1`` is ``float16``)."""
    ta, tb = a.dtype, b.dtype
    if a.is_const and isinstance(a.const, int) and tb.is_float:
        ta = tb
    if b.is_const and isinstance(b.const, int) and ta.is_float:
        tb = ta
    return ta, tb


def const_val(value) -> Val:
    if isinstance(value, np.generic):
        value = value.item()
    v = Val(None, literal_type(value), const=value)
    if isinstance(value, int) and not isinstance(value, bool):
        v.affine = Affine.const(value)
    return v


def _res(op):
    return op.result if hasattr(op, "result") else op.results[0]


class ExprMixin:
    """Mixed into the function builder; ``visit_expr`` returns a :class:`Val`."""

    # ---------------------------------------------------------------- entry points
    def visit_expr(self, node) -> Val:
        method = getattr(self, f"expr_{type(node).__name__}", None)
        if method is None:
            raise AlloSyntaxError(f'Unsupported node "{type(node).__name__}"')
        return method(node)

    def materialize(self, v: Val, dtype: AlloType | None = None):
        """An MLIR scalar value for ``v`` converted to ``dtype`` (default: its own type)."""
        dtype = dtype or v.dtype
        if v.is_array:
            raise AlloTypeError(f"expected a scalar, got an array of shape {v.shape}")
        if v.value is None:
            if v.affine is not None and v.const is None:
                return self.convert(Val(mem.index_value(v), index_t), dtype)
            if not isinstance(v.const, (int, float, bool, np.number)):
                raise AlloTypeError(f"{v.const!r} is not a value")
            return constant(v.const, dtype)
        return cast(v.value, v.dtype, dtype)

    def convert(self, v: Val, dtype: AlloType):
        return self.materialize(v, dtype)

    # ---------------------------------------------------------------- leaves
    def expr_Constant(self, node):
        if isinstance(node.value, (bool, int, float)):
            return const_val(node.value)
        if isinstance(node.value, str):
            return Val(None, None, const=node.value)
        raise AlloSyntaxError(f"Unsupported constant {node.value!r}")

    def expr_Name(self, node):
        sym = self.scopes.lookup(node.id)
        if sym is not None:
            return self.read_symbol(node.id, sym)
        try:
            obj = self.env.lookup(node.id)
        except KeyError as err:
            raise AlloSyntaxError(f"name '{node.id}' is not defined in this scope") from err
        return self.python_value(node.id, obj)

    def python_value(self, name, obj) -> Val:
        if isinstance(obj, (bool, int, float, np.number)) and not isinstance(obj, np.ndarray):
            return const_val(obj)
        if isinstance(obj, np.ndarray):
            return self.global_array(name, obj)
        if not is_usable_global(obj) and not callable(obj):
            raise AlloSyntaxError(f"Unsupported global variable `{name}`")
        return Val(None, None, const=obj)

    def read_symbol(self, name, sym) -> Val:
        if sym.kind == "const":
            if isinstance(sym.py, (int, float, bool, np.number)):
                v = const_val(sym.py)
                if sym.val is not None and sym.val.dtype is not None:
                    v.dtype = sym.val.dtype
                return v
            return Val(None, None, const=sym.py)
        if sym.kind == "iv":
            return sym.val
        if sym.kind in ("func",):
            return Val(None, None, const=sym.py)
        if sym.kind in ("struct", "stream"):
            return sym.val
        v = sym.val
        if v.is_array or not sym.in_memory:
            return v
        loaded = mem.load(Val(v.value, v.dtype, name=v.name), [], v.dtype)
        # reads of one variable in one expression share a linear-form key (its buffer)
        return Val(loaded, v.dtype, extra={"linear": LinearForm({v.value: 1})})

    # ---------------------------------------------------------------- operators
    def expr_BinOp(self, node):
        op = _BIN.get(type(node.op))
        if op is None:
            raise AlloSyntaxError("use allo.matmul for matrix products (A @ B)")
        lhs, rhs = self.visit_expr(node.left), self.visit_expr(node.right)
        return self.binary(op, lhs, rhs)

    def binary(self, op, lhs: Val, rhs: Val) -> Val:
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
        out = Val(_res(cls(x, y)), index_t)
        la, lb = linear_form(a), linear_form(b)
        if op in ("+", "-") and la is not None and lb is not None:
            out.extra["linear"] = la + lb if op == "+" else la - lb
        return out

    def _rule(self, op, a, b):
        if self.typing_rule_set == "cpp-style":
            t = cpp_style_result_type(op, a, b)
            if t is not None:
                return t
        return result_type(op, a, b)

    def scalar_binary(self, op, a: Val, b: Val) -> Val:
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
            return self.int_mul(a, b, ta, tb, rt)
        if op == "/" and rt.is_fixed:
            return self.fixed_div(a, b, ta, tb, rt)
        x, y = self.materialize(a, rt), self.materialize(b, rt)
        out = self._int_arith(op, x, y, rt)
        la, lb = linear_form(a), linear_form(b)
        if op in ("+", "-") and la is not None and lb is not None and not rt.is_fixed:
            out.extra["linear"] = la + lb if op == "+" else la - lb
        return out

    def _int_arith(self, op, x, y, rt) -> Val:
        if isinstance(rt, Index):
            cls = {"+": arith_d.AddIOp, "-": arith_d.SubIOp, "/": arith_d.DivSIOp,
                   "//": arith_d.FloorDivSIOp, "%": arith_d.RemSIOp, "&": arith_d.AndIOp,
                   "|": arith_d.OrIOp, "^": arith_d.XOrIOp}[op]
            return Val(_res(cls(x, y)), rt)
        unsigned = rt.is_unsigned
        cls = {"+": arith_d.AddIOp, "-": arith_d.SubIOp,
               "/": arith_d.DivUIOp if unsigned else arith_d.DivSIOp,
               "//": arith_d.DivUIOp if unsigned else arith_d.FloorDivSIOp,
               "%": arith_d.RemUIOp if unsigned else arith_d.RemSIOp,
               "&": arith_d.AndIOp, "|": arith_d.OrIOp, "^": arith_d.XOrIOp}[op]
        return Val(_res(tag(cls(x, y), rt)), rt)

    def int_mul(self, a, b, ta, tb, rt):
        """R-MUL: operands widened to the result width keeping their own fraction bits."""
        def widen(v, t):
            if isinstance(t, Index):
                t = UInt(32)
            if isinstance(rt, Index):
                return self.materialize(v, rt)
            if t.is_fixed or rt.is_fixed:
                wide = (Fixed if not t.is_unsigned else UFixed)(rt.bits, t.fracs)
            else:
                wide = (Int if not t.is_unsigned else UInt)(rt.bits)
            if v.is_const:
                return constant(v.const, wide)
            return cast(self.materialize(v, t), t, wide)

        x, y = widen(a, ta), widen(b, tb)
        return Val(_res(tag(arith_d.MulIOp(x, y), rt)), rt)

    def fixed_div(self, a, b, ta, tb, rt):
        if isinstance(ta, Index):
            ta = UInt(32)
        if isinstance(tb, Index):
            tb = UInt(32)
        x, y = self.materialize(a, ta), self.materialize(b, tb)
        op = ir.Operation.create(
            "allo.fixed_div", results=[rt.build()], operands=[x, y],
            attributes={"lhs": ir.StringAttr.get(ta.name), "rhs": ir.StringAttr.get(tb.name),
                        "res": ir.StringAttr.get(rt.name)})
        tag(op, rt)
        return Val(op.results[0], rt)

    def float_binary(self, op, a, b, rt):
        x, y = self.materialize(a, rt), self.materialize(b, rt)
        if op == "+":
            r = arith_d.AddFOp(x, y)
        elif op == "-":
            r = arith_d.SubFOp(x, y)
        elif op == "*":
            r = arith_d.MulFOp(x, y)
        elif op == "/":
            r = arith_d.DivFOp(x, y)
        elif op == "//":
            r = math_d.FloorOp(_res(arith_d.DivFOp(x, y)))
        elif op == "%":
            r = arith_d.RemFOp(x, y)
        elif op == "**":
            r = math_d.PowFOp(x, y)
        else:
            raise AlloTypeError(f"operator '{op}' is not defined for types {a.dtype} and {b.dtype}")
        return Val(_res(r), rt)

    def shift(self, op, a, b, rt):
        if b.dtype.is_float or b.dtype.is_fixed:
            raise AlloTypeError(f"operator '{op}' is not defined for types {a.dtype} and {b.dtype}")
        x = self.materialize(a, rt)
        width = 64 if isinstance(rt, Index) else rt.bits
        amount_t = b.dtype if not isinstance(b.dtype, Index) else Int(64)
        if isinstance(rt, Index):
            y = self.materialize(b, index_t)
        elif b.is_const:
            amt = int(b.const)
            y = constant(min(amt, width) if amt >= 0 else amt, Int(width) if width > 1 else UInt(1))
        else:
            yv = self.materialize(b, amount_t)
            if amount_t.bits > width:
                big = constant(width, amount_t)
                ge = arith_d.CmpIOp(9, yv, big)  # uge
                yv = _res(arith_d.SelectOp(_res(ge), big, yv))
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
        return Val(_res(tag(r, rt)), rt)

    def compare(self, op, a, b, ta, tb):
        ct = common_type(ta, tb) if not (isinstance(ta, Index) and isinstance(tb, Index)) else index_t
        if (isinstance(ta, Index) and b.is_const and isinstance(b.const, int)) or \
                (isinstance(tb, Index) and a.is_const and isinstance(a.const, int)):
            ct = index_t
        x, y = self.materialize(a, ct), self.materialize(b, ct)
        if ct.is_float:
            r = arith_d.CmpFOp(_FLOAT_PRED[op], x, y)
        else:
            preds = _UNSIGNED_PRED if ct.is_unsigned else _SIGNED_PRED
            r = arith_d.CmpIOp(preds[op], x, y)
        return Val(_res(r), bool_t)

    def expr_Compare(self, node):
        if len(node.ops) != 1:
            raise AlloSyntaxError("chained comparisons are not supported")
        opn = _CMP.get(type(node.ops[0]))
        if opn is None:
            raise AlloSyntaxError(f'Unsupported node "{type(node.ops[0]).__name__}"')
        a, b = self.visit_expr(node.left), self.visit_expr(node.comparators[0])
        if a.is_array or b.is_array:
            raise AlloTypeError("comparison of arrays is not supported")
        if a.is_const and b.is_const and all(isinstance(v, (int, bool)) for v in (a.const, b.const)):
            res = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
                   ">": operator.gt, ">=": operator.ge}[opn](a.const, b.const)
            return const_val(bool(res))
        return self.scalar_binary(opn, a, b)

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
            return _res(arith_d.CmpFOp(13, v.value, zero))  # une: NaN is true
        x = self.materialize(v)
        zero = constant(0, v.dtype)
        return _res(arith_d.CmpIOp(1, x, zero))

    def expr_BoolOp(self, node):
        vals = [self.truth(self.visit_expr(v)) for v in node.values]
        acc = vals[0]
        for nxt in vals[1:]:
            acc = _res(arith_d.AndIOp(acc, nxt) if isinstance(node.op, ast.And) else arith_d.OrIOp(acc, nxt))
        return Val(acc, bool_t)

    def expr_UnaryOp(self, node):
        v = self.visit_expr(node.operand)
        if isinstance(node.op, ast.Not):
            if v.is_const:
                return const_val(not v.const)
            t = self.truth(v)
            return Val(_res(arith_d.XOrIOp(t, constant(True, bool_t))), bool_t)
        if isinstance(node.op, ast.UAdd):
            return v
        if v.is_array:
            if isinstance(node.op, ast.USub):
                return self.array_binary("-", const_val(0), v)
            raise AlloTypeError("unary operator not supported on arrays")
        if isinstance(node.op, ast.USub):
            if v.is_const and isinstance(v.const, (int, float)):
                return const_val(-v.const)
            if isinstance(v.dtype, Index):
                f = mem.affine_of(v)
                if f is not None:
                    return Val(None, index_t, affine=Affine("mul", f, -1))
                return Val(_res(arith_d.SubIOp(constant(0, index_t), v.value)), index_t)
            rt = neg_type(v.dtype)
            if rt.is_float:
                return Val(_res(arith_d.NegFOp(self.materialize(v))), rt)
            x = self.materialize(v, rt)
            return Val(_res(tag(arith_d.SubIOp(constant(0, rt), x), rt)), rt)
        if isinstance(node.op, ast.Invert):
            if v.dtype.is_float or v.dtype.is_fixed:
                raise AlloTypeError(f"operator '~' is not defined for type {v.dtype}")
            if v.is_const:
                return const_val(~int(v.const))
            x = self.materialize(v)
            ones = constant(-1, v.dtype) if not isinstance(v.dtype, Index) else constant(-1, index_t)
            return Val(_res(tag(arith_d.XOrIOp(x, ones), v.dtype)), v.dtype)
        raise AlloSyntaxError(f'Unsupported node "{type(node.op).__name__}"')

    def expr_IfExp(self, node):
        cond = self.truth(self.visit_expr(node.test))
        a, b = self.visit_expr(node.body), self.visit_expr(node.orelse)
        ta, tb = operand_types(a, b)
        rt = common_type(ta, tb)
        x, y = self.materialize(a, rt), self.materialize(b, rt)
        return Val(_res(tag(arith_d.SelectOp(cond, x, y), rt)), rt)

    def expr_Attribute(self, node):
        if isinstance(node.value, ast.Name) and self.scopes.lookup(node.value.id) is None:
            base = self.expr_Name(node.value)
        else:
            base = self.visit_expr(node.value)
        if base.value is None and base.dtype is None:
            try:
                obj = getattr(base.const, node.attr)
            except AttributeError as err:
                raise AlloSyntaxError(
                    f"Unsupported function call or attribute method `.{node.attr}`") from err
            return self.python_value(node.attr, obj)
        if node.attr in ("bits", "fracs"):
            return const_val(getattr(base.dtype, node.attr))
        if node.attr == "T":
            return self.builtin_op("transpose", [base], {})
        if node.attr == "reverse":
            return self.bit_reverse(base)
        raise AlloSyntaxError(f"Unsupported attribute `.{node.attr}`")

    def expr_List(self, node):
        try:
            value = eval_compile_time(node, self.compile_env())
        except Exception as err:  # noqa: BLE001
            raise AlloSyntaxError(f"list must be a compile-time constant ({message_of(err)})") from err
        return Val(None, None, const=np.array(value))

    expr_Tuple = expr_List


def _array_elem_type(op, a: Val, b: Val):
    return result_type(op, *operand_types(a, b))


class ArrayOpsMixin:
    """Element-wise operators on arrays with numpy broadcasting (language.md §6.1)."""

    def array_binary(self, op, a: Val, b: Val) -> Val:
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
            mem.store(self.materialize(r, rt), out, ivs)

        operator_nest(self, op, shape, body)  # named stage, like allo.add (schedule.md §1.1)
        out.extra["fresh"] = True
        return out
