"""Expression visitor of the frontend: names, constants, operators, subscripts, calls."""

from __future__ import annotations

import ast
import operator

import numpy as np

from .._mlir import arith_d
from ..diagnostics import message_of
from ..errors import AlloSyntaxError, AlloTypeError
from ..mlir_utils import LinearForm
from . import memory as mem
from .annotations import eval_compile_time
from .casting import constant, op_result, tag
from .context import Part
from .scalars import const_val, materialize, operand_types
from .symbols import is_usable_global
from .tensor_ops import build_tensor_op
from .types import Index, bool as bool_t, index as index_t
from .typing_rules import common_type, neg_type
from .values import Affine, Val

BINARY_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
        ast.Mod: "%", ast.Pow: "**", ast.LShift: "<<", ast.RShift: ">>",
        ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^"}
_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


class ExpressionVisitor(Part):
    """Expressions of one function: ``visit_expr(node)`` returns the :class:`Val` of ``node``.

    Names, constants and Python objects are read here; operators are computed by the
    ``ops`` part, subscripts by ``access``, calls by ``calls``.
    """

    # ---------------------------------------------------------------- entry points
    def visit_expr(self, node: ast.expr) -> Val:
        """The value of expression ``node`` (emitting the ops that compute it)."""
        method = getattr(self, f"expr_{type(node).__name__}", None)
        if method is None:
            raise AlloSyntaxError(f'Unsupported node "{type(node).__name__}"')
        return method(node)

    def expr_Subscript(self, node):
        return self.access.subscript(node)

    def expr_Call(self, node):
        return self.calls.call(node)

    # ---------------------------------------------------------------- leaves
    def expr_Constant(self, node):
        if isinstance(node.value, (bool, int, float)):
            return const_val(node.value)
        if isinstance(node.value, str):
            return Val(None, None, const=node.value)
        raise AlloSyntaxError(f"Unsupported constant {node.value!r}")

    def expr_Name(self, node):
        sym = self.ctx.scopes.lookup(node.id)
        if sym is not None:
            return self.read_symbol(node.id, sym)
        if node.id in self.ctx.runtime_forbidden:
            raise AlloSyntaxError(
                f"nested function '{self.ctx.func_name}' cannot capture run-time variable '{node.id}'")
        try:
            obj = self.ctx.env.lookup(node.id)
        except KeyError as err:
            raise AlloSyntaxError(f"name '{node.id}' is not defined in this scope") from err
        return self.python_value(node.id, obj)

    def python_value(self, name: str, obj) -> Val:
        """A Python object a kernel names: a constant, a global array, or a compile-time object."""
        if isinstance(obj, (bool, int, float, np.number)) and not isinstance(obj, np.ndarray):
            return const_val(obj)
        if isinstance(obj, np.ndarray):
            return self.ctx.global_array(name, obj)
        if not is_usable_global(obj) and not callable(obj):
            raise AlloSyntaxError(f"Unsupported global variable `{name}`")
        # usable at compile time (np.float32, a loop name, ...), but not as a run-time value
        return Val(None, None, const=obj, extra={"python_name": name})

    def read_symbol(self, name: str, sym) -> Val:
        """The value of kernel symbol ``sym`` (a scalar variable is loaded from its buffer)."""
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
        op = BINARY_OPS.get(type(node.op))
        if op is None:
            raise AlloSyntaxError("use allo.matmul for matrix products (A @ B)")
        lhs, rhs = self.visit_expr(node.left), self.visit_expr(node.right)
        return self.ops.binary(op, lhs, rhs)

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
        return self.ops.scalar_binary(opn, a, b)

    def expr_BoolOp(self, node):
        vals = [self.ops.truth(self.visit_expr(v)) for v in node.values]
        acc = vals[0]
        for nxt in vals[1:]:
            acc = op_result(arith_d.AndIOp(acc, nxt) if isinstance(node.op, ast.And) else arith_d.OrIOp(acc, nxt))
        return Val(acc, bool_t)

    def expr_UnaryOp(self, node):
        v = self.visit_expr(node.operand)
        if isinstance(node.op, ast.Not):
            if v.is_const:
                return const_val(not v.const)
            t = self.ops.truth(v)
            return Val(op_result(arith_d.XOrIOp(t, constant(True, bool_t))), bool_t)
        if isinstance(node.op, ast.UAdd):
            return v
        if v.is_array:
            if isinstance(node.op, ast.USub):
                return self.ops.array_binary("-", const_val(0), v)
            raise AlloTypeError("unary operator not supported on arrays")
        if isinstance(node.op, ast.USub):
            if v.is_const and isinstance(v.const, (int, float)):
                return const_val(-v.const)
            if isinstance(v.dtype, Index):
                f = mem.affine_of(v)
                if f is not None:
                    return Val(None, index_t, affine=Affine("mul", f, -1))
                return Val(op_result(arith_d.SubIOp(constant(0, index_t), v.value)), index_t)
            rt = neg_type(v.dtype)
            if rt.is_float:
                return Val(op_result(arith_d.NegFOp(materialize(v))), rt)
            x = materialize(v, rt)
            return Val(op_result(tag(arith_d.SubIOp(constant(0, rt), x), rt)), rt)
        if isinstance(node.op, ast.Invert):
            if v.dtype.is_float or v.dtype.is_fixed:
                raise AlloTypeError(f"operator '~' is not defined for type {v.dtype}")
            if v.is_const:
                return const_val(~int(v.const))
            x = materialize(v)
            ones = constant(-1, v.dtype) if not isinstance(v.dtype, Index) else constant(-1, index_t)
            return Val(op_result(tag(arith_d.XOrIOp(x, ones), v.dtype)), v.dtype)
        raise AlloSyntaxError(f'Unsupported node "{type(node.op).__name__}"')

    def expr_IfExp(self, node):
        cond = self.ops.truth(self.visit_expr(node.test))
        a, b = self.visit_expr(node.body), self.visit_expr(node.orelse)
        ta, tb = operand_types(a, b)
        rt = common_type(ta, tb)
        x, y = materialize(a, rt), materialize(b, rt)
        return Val(op_result(tag(arith_d.SelectOp(cond, x, y), rt)), rt)

    def expr_Attribute(self, node):
        if isinstance(node.value, ast.Name) and self.ctx.scopes.lookup(node.value.id) is None:
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
            return build_tensor_op(self, "transpose", [base], {})
        if node.attr == "reverse":
            return self.access.bit_reverse(base)
        raise AlloSyntaxError(f"Unsupported attribute `.{node.attr}`")

    def expr_List(self, node):
        try:
            value = eval_compile_time(node, self.ctx.compile_env())
        except Exception as err:  # noqa: BLE001
            raise AlloSyntaxError(f"list must be a compile-time constant ({message_of(err)})") from err
        try:
            return Val(None, None, const=np.array(value))
        except ValueError as err:  # numpy's "inhomogeneous shape"
            raise AlloTypeError(f"ragged nested list: {_ragged_rows(value)}; an array "
                                f"initialiser needs rows of one length") from err

    expr_Tuple = expr_List


def _ragged_rows(value) -> str:
    """Describe the first nesting level whose rows differ in length (or mix rows and numbers)."""
    level = list(value)
    while level:
        rows = [item for item in level if isinstance(item, (list, tuple))]
        if rows and len(rows) != len(level):
            return "it mixes nested lists and numbers"
        lengths = sorted({len(row) for row in rows})
        if len(lengths) > 1:
            return f"its rows have lengths {', '.join(map(str, lengths))}"
        level = [item for row in rows for item in row]
    return "its rows have different lengths"
