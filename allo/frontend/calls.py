"""Calls inside kernels: Python builtins, ``allo.*`` scalar functions, methods, kernel calls."""

from __future__ import annotations

import ast
import types as pytypes

from .._mlir import func_d, ir, math_d
from ..errors import AlloSyntaxError, AlloTypeError
from .. import language as lang
from . import memory as mem
from .arg_directions import analyze_arg_load_store
from .casting import op_result
from .context import Part
from .ip_calls import emit_ip_call
from .scalars import const_val, materialize
from .symbols import NestedKernel
from .tensor_elementwise import MATH_OPS
from .tensor_ops import build_tensor_op
from .types import AlloType, float32, int32
from .typing_rules import result_type
from .values import Val



class CallLowering(Part):
    """Calls inside one function: Python and ``allo.*`` built-ins, methods of values (streams,
    bits, ``copy``), other kernels (one ``func.func`` per callee instance) and IP modules."""

    def call(self, node: ast.Call) -> Val:
        """The value of the call ``node`` (a ``void`` Val for calls without results)."""
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise AlloSyntaxError('Unsupported node "Starred"')
        func = node.func
        # methods on values: x.reverse(), x.bitcast(), A.copy(), stream.put(v)
        if isinstance(func, ast.Attribute):
            owner = self._method_owner(func.value)
            if owner is not None:
                return self.call_method(owner, func.attr, node)
        callee = self.exprs.visit_expr(func)
        target = callee.const
        if isinstance(target, tuple) and len(target) == 3 and target[0] == "template":
            return self.call_kernel(target[1], node, template_slice=target[2])
        name = getattr(target, "__name__", None)
        if target is None or callee.value is not None:
            raise AlloSyntaxError("Unsupported function call")

        if target in (float, int):
            (arg,) = self._args(node)
            dst = float32 if target is float else int32
            return Val(materialize(arg, dst) if not arg.is_const else None, dst,
                       const=None if not arg.is_const else target(arg.const))
        if target in (min, max):
            return self.ops.min_max("min" if target is min else "max", self._args(node))
        if target is abs or target is getattr(lang, "abs", None):
            return self.ops.abs_(self._args(node)[0])
        if isinstance(target, pytypes.FunctionType) and getattr(target, "__module__", "") == "allo.language":
            return self.call_allo_builtin(name, node)
        if target is getattr(lang, "grid", None) or target is getattr(lang, "reduction", None):
            raise AlloSyntaxError("allo.grid/allo.reduction can only be used as for-loop iterables")

        if isinstance(target, NestedKernel):
            return self.call_kernel(target, node)
        if self._is_ip(target):
            return self.call_ip(target, node)
        if isinstance(target, pytypes.FunctionType):
            if getattr(target, "__module__", "").startswith(("numpy", "math")):
                raise AlloSyntaxError(f"Unsupported function call `{name}`")
            return self.call_kernel(target, node)
        if isinstance(target, AlloType):
            (arg,) = self._args(node)
            return Val(materialize(arg, target), target)
        label = name or type(target).__name__
        raise AlloSyntaxError(f"Unsupported function call `{label}`")

    def _is_ip(self, target):
        return type(target).__name__ == "IPModule"

    def _method_owner(self, node):
        if isinstance(node, ast.Name):
            if self.ctx.scopes.lookup(node.id) is not None:
                return self.exprs.visit_expr(node)
            return None
        if isinstance(node, (ast.Subscript, ast.BinOp, ast.Call)):
            v = self.exprs.visit_expr(node)
            return v if v.dtype is not None else None
        return None

    def call_method(self, owner: Val, attr: str, node):
        """``owner.attr(...)``: ``put``/``get`` of streams, ``reverse``, ``bitcast``, ``copy``."""
        if "stream" in owner.extra or "streams" in owner.extra:
            if node.keywords:
                raise AlloSyntaxError("keyword arguments are not supported here")
            if attr == "put":
                return self.streams.stream_put(owner, node.args)
            if attr == "get":
                return self.streams.stream_get(owner, node.args)
            raise AlloSyntaxError(f"Unsupported function call or attribute method `.{attr}`")
        if attr == "reverse":
            return self.access.bit_reverse(owner)
        if attr == "bitcast":
            return self.access.bitcast(owner)
        if attr == "copy":
            return build_tensor_op(self.exprs, "copy", [owner], {})
        raise AlloSyntaxError(f"Unsupported function call or attribute method `.{attr}`")

    def _args(self, node):
        if node.keywords:
            raise AlloSyntaxError("keyword arguments are not supported here")
        return [self.exprs.visit_expr(a) for a in node.args]

    def call_allo_builtin(self, name, node):
        """``allo.<name>(...)``: scalar math here, whole-array built-ins in tensor_ops."""
        kwargs = {k.arg: k.value for k in node.keywords}
        args = [self.exprs.visit_expr(a) for a in node.args]
        if name in MATH_OPS and args and not args[0].is_array:
            v = args[0]
            ft = self.ops.float_of(v) if not v.is_const else float32
            x = materialize(v, ft)
            return Val(op_result(MATH_OPS[name](x)), ft)
        if name == "power" and not any(a.is_array for a in args):
            a, b = args
            rt = result_type("**", a.dtype, b.dtype)
            return Val(op_result(math_d.PowFOp(materialize(a, rt), materialize(b, rt))), rt)
        if name == "abs" and not args[0].is_array:
            return self.ops.abs_(args[0])
        if name == "relu" and not args[0].is_array:
            return self.ops.min_max("max", [args[0], const_val(0)]) if not args[0].dtype.is_float else \
                self.ops.min_max("max", [args[0], const_val(0.0)])
        return build_tensor_op(self.exprs, name, args, kwargs)  # raises for unknown names

    # ---------------------------------------------------------------- kernel calls
    def call_kernel(self, fn, node, template_slice=None) -> Val:
        """Call kernel ``fn`` (compiled on first use; a template instance for ``fn[...]``)."""
        if node.keywords:
            raise AlloSyntaxError("keyword arguments are not supported in kernel calls")
        if fn is self.ctx.fn_object and template_slice is None:
            raise AlloSyntaxError(f"recursive call to '{fn.__name__}'")
        args = [self.exprs.visit_expr(a) for a in node.args]
        callee = self.ctx.module_builder.get_function(fn, self.ctx, template_slice, node, args)
        if len(args) != len(callee.params):
            raise AlloTypeError(
                f"{callee.name} expects {len(callee.params)} arguments, got {len(args)}")
        operands, copy_back = self._kernel_operands(callee, args)
        call = func_d.CallOp(callee.result_types, ir.FlatSymbolRefAttr.get(callee.name), operands)
        if copy_back:
            directions = self._param_directions(callee)
            for k, tmp, arg in copy_back:
                if directions[k] != "in":  # the callee may write it: write the view back
                    mem.copy_converted(tmp, arg, materialize)
        results = [Val(r, t.dtype, t.shape, extra={"fresh": bool(t.shape)})
                   for r, t in zip(call.results, callee.results)]
        if not results:
            return Val(None, None, const=None, extra={"call": call, "void": True})
        if len(results) == 1:
            results[0].extra["call"] = call
            return results[0]
        return Val(None, None, const=tuple(results), extra={"call": call, "tuple": True})

    def _kernel_operands(self, callee, args: list):
        """The call's operands, type-checked against ``callee``'s parameters, and the
        ``(k, copy, view)`` of array arguments passed as converted copies (views)."""
        operands, copy_back = [], []
        for k, (arg, (pname, ptype)) in enumerate(zip(args, callee.params)):
            if ptype.shape:
                if not arg.is_array:
                    raise AlloTypeError(f"Argument {k} of {callee.name} shape mismatch, got () and {ptype.shape}")
                if tuple(arg.shape) != tuple(ptype.shape) and -1 not in ptype.shape:
                    raise AlloTypeError(
                        f"Argument {k} of {callee.name} shape mismatch, got {tuple(arg.shape)} and {tuple(ptype.shape)}")
                if arg.dtype != ptype.dtype:
                    raise AlloTypeError(
                        f"Argument {k} of {callee.name} dtype mismatch, got {arg.dtype} and {ptype.dtype}")
                if mem.is_plain(arg) and arg.value.type == callee.arg_types[k]:
                    operands.append(arg.value)
                else:
                    tmp = Val(mem.alloc(arg.dtype, arg.shape), arg.dtype, arg.shape)
                    mem.copy_converted(arg, tmp, materialize)
                    operands.append(tmp.value)
                    copy_back.append((k, tmp, arg))
            else:
                if arg.is_array:
                    raise AlloTypeError(f"Argument {k} of {callee.name} shape mismatch, got {arg.shape} and ()")
                operands.append(materialize(arg, ptype.dtype))
        return operands, copy_back

    def _param_directions(self, callee) -> list:
        """``"in"``/``"out"``/``"both"``/... per parameter of a compiled callee.

        A callee is complete once called, so its directions are computed once per module.
        """
        cache = self.ctx.module_builder.param_directions
        if callee.name not in cache:
            cache[callee.name] = analyze_arg_load_store(self.ctx.module_builder.module).get(callee.name, [])
        return cache[callee.name]

    def call_ip(self, ip, node) -> Val:
        """The call of IP module ``ip`` (an ``allo.IPModule``)."""
        return emit_ip_call(self.ctx.module_builder, ip, [self.exprs.visit_expr(a) for a in node.args])
