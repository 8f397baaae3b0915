"""Compiling one kernel function (its signature, parameters, body and return)."""

from __future__ import annotations

import ast

from .._mlir import func_d, ir
from ..errors import AlloSyntaxError, AlloTypeError
from . import memory as mem
from .access import AccessLowering
from .annotations import ParsedType, parse_annotation
from .calls import CallLowering
from .context import FunctionContext, FunctionInfo
from .expressions import ExpressionVisitor
from .loops import LoopLowering
from .operators import Operators
from .scalars import materialize
from .statements import StatementMixin
from .streams import StreamLowering
from .structs import StructLowering
from .symbols import NestedKernel, Sym
from .types import Fixed, Int, Struct, UFixed, UInt
from .values import Val


def _sign_char(t) -> str:
    if isinstance(t, (Int, Fixed)):
        return "s"
    if isinstance(t, (UInt, UFixed)):
        return "u"
    return "_"


class FunctionBuilder(StatementMixin):
    """Builds one ``func.func`` from a kernel's AST (see docs/ir.md for the output)."""

    def __init__(self, module_builder, src, env, func_name, fn_object=None, suffix="",
                 runtime_forbidden=()):
        self.ctx = FunctionContext(
            module_builder, src, env, func_name, fn_object, suffix, frozenset(runtime_forbidden),
            module_builder.options.get("typing_rule_set", "default"))
        # parts still mixed into this class stand for themselves
        self.stmts = self.assigns = self
        self.exprs = ExpressionVisitor(self.ctx, self)
        self.ops = Operators(self.ctx, self)
        self.calls = CallLowering(self.ctx, self)
        self.structs = StructLowering(self.ctx, self)
        self.streams = StreamLowering(self.ctx, self)
        self.loops = LoopLowering(self.ctx, self)
        self.access = AccessLowering(self.ctx, self)

    # ---------------------------------------------------------------- signature
    def signature(self) -> FunctionInfo:
        tree = self.ctx.src.tree
        try:
            a = tree.args
            if a.vararg or a.kwarg or a.kwonlyargs or a.defaults or a.kw_defaults or a.posonlyargs:
                raise AlloSyntaxError("kernel parameters must be plain positional parameters "
                                      "(no defaults, *args or **kwargs)")
            env = self.ctx.compile_env()
            params = []
            for arg in a.args:
                if arg.annotation is None:
                    raise AlloTypeError(f"missing type annotation for parameter '{arg.arg}'")
                pt = self._parse_located(arg.annotation, env, arg)
                if isinstance(pt.dtype, Struct):
                    raise AlloTypeError("structs are not supported at the function boundary")
                if pt.stateful:
                    raise AlloSyntaxError(f"Function parameter '{arg.arg}' cannot be Stateful")
                params.append((arg.arg, pt))
            results = []
            if tree.returns is not None and not (isinstance(tree.returns, ast.Constant) and tree.returns.value is None):
                ret = tree.returns
                if isinstance(ret, ast.Tuple):
                    results = [self._parse_located(e, env, e) for e in ret.elts]
                else:
                    results = [self._parse_located(ret, env, ret)]
        except Exception as err:  # noqa: BLE001
            raise self.ctx.src.locate(err, tree, self.ctx.func_name) from None
        self.ctx.params_names = [p for p, _ in params]
        info = FunctionInfo(self.ctx.func_name, params, results)
        info.arg_types = [self._mlir_type(pt) for _, pt in params]
        info.result_types = [self._mlir_type(pt) for pt in results]
        self.ctx.info = info
        return info

    def _parse_located(self, annotation, env, node) -> ParsedType:
        """``parse_annotation`` with errors located at ``node`` (a parameter may sit on its
        own line of a multi-line signature)."""
        try:
            return parse_annotation(annotation, env)
        except Exception as err:  # noqa: BLE001
            raise self.ctx.src.locate(err, node, self.ctx.func_name) from None

    def _mlir_type(self, pt: ParsedType):
        if pt.shape:
            return mem.memref_type(pt.dtype, pt.shape, self.memory_space(pt))
        return pt.dtype.build()

    # ---------------------------------------------------------------- body
    def build(self, insertion_point) -> FunctionInfo:
        info = self.ctx.info
        with insertion_point, ir.Location.file(self.ctx.src.filename, self.ctx.src.abs_line(self.ctx.src.tree), 1):
            ftype = ir.FunctionType.get(info.arg_types, info.result_types)
            func = func_d.FuncOp(self.ctx.func_name, ftype)
            self.ctx.func_op = func
            info.func_op = func
            attrs = func.attributes
            attrs["itypes"] = ir.StringAttr.get("".join(_sign_char(p.dtype) for _, p in info.params))
            attrs["otypes"] = ir.StringAttr.get("".join(_sign_char(r.dtype) for r in info.results))
            attrs["allo.itypes"] = ir.ArrayAttr.get([ir.StringAttr.get(p.dtype.name) for _, p in info.params])
            attrs["allo.otypes"] = ir.ArrayAttr.get([ir.StringAttr.get(r.dtype.name) for r in info.results])
            entry = func.add_entry_block()
        assigned = _assigned_names(self.ctx.src.tree)
        with ir.InsertionPoint(entry), ir.Location.file(self.ctx.src.filename, self.ctx.src.abs_line(self.ctx.src.tree), 1):
            for (pname, pt), arg in zip(info.params, entry.arguments):
                v = Val(arg, pt.dtype, pt.shape, name=pname, extra={"param": True})
                if not pt.shape and pname in assigned:
                    buf = Val(mem.alloc(pt.dtype, (), pname), pt.dtype, (), name=pname)
                    mem.store(arg, buf, [])
                    self.ctx.scopes.declare(pname, Sym("var", buf, in_memory=True))
                else:
                    self.ctx.scopes.declare(pname, Sym("param", v))
        with ir.InsertionPoint(entry):
            self.visit_block(self.ctx.src.tree.body, new_scope=True)
            self.streams.finalize_streams()
            if not self.ctx.returned:
                if info.results:
                    raise AlloTypeError("Missing return statement", self.ctx.src.filename,
                                        self.ctx.src.abs_line(self.ctx.src.tree), self.ctx.func_name,
                                        self.ctx.src.source_line(self.ctx.src.tree))
                with ir.Location.file(self.ctx.src.filename, self.ctx.src.abs_line(self.ctx.src.tree), 1):
                    func_d.ReturnOp([])
        return info

    def visit_block(self, stmts, new_scope=True):
        self.ctx.meta_stack.append(None)
        try:
            StatementMixin.visit_block(self, stmts, new_scope)
        finally:
            self.ctx.meta_stack.pop()

    def emit_return(self, value_node):
        info = self.ctx.info
        is_none = value_node is None or (isinstance(value_node, ast.Constant) and value_node.value is None)
        if not info.results:
            if not is_none:
                raise AlloTypeError("Return value should have a dtype in function signature")
            func_d.ReturnOp([])
            return
        if is_none:
            raise AlloTypeError("Mismatch in function signature")
        if len(info.results) > 1:
            if not isinstance(value_node, ast.Tuple) or len(value_node.elts) != len(info.results):
                raise AlloTypeError("Mismatch in function signature: wrong number of return values")
            nodes = value_node.elts
        else:
            nodes = [value_node]
        out = []
        for node, (rt, mty) in zip(nodes, zip(info.results, info.result_types)):
            v = self.exprs.visit_expr(node)
            out.append(self._return_value(v, rt, mty))
        func_d.ReturnOp(out)

    def _return_value(self, v: Val, rt: ParsedType, mty):
        if rt.shape:
            if not v.is_array:
                raise AlloTypeError(f"return shape mismatch, got () and {tuple(rt.shape)}")
            if tuple(v.shape) != tuple(rt.shape):
                raise AlloTypeError(f"return shape mismatch, got {tuple(v.shape)} and {tuple(rt.shape)}")
            direct = (mem.is_plain(v) and v.dtype == rt.dtype and v.value.type == mty
                      and not v.extra.get("param") and not v.extra.get("global"))
            if direct:
                return v.value
            buf = Val(mem.alloc(rt.dtype, rt.shape, None, self.memory_space(rt)), rt.dtype, rt.shape)
            mem.copy_converted(v, buf, materialize) if v.dtype != rt.dtype or not mem.is_plain(v) \
                else self.copy_into(buf, v)
            return buf.value
        if v.is_array:
            raise AlloTypeError(f"return shape mismatch, got {tuple(v.shape)} and ()")
        return materialize(v, rt.dtype)

    # ---------------------------------------------------------------- nested defs
    def stmt_FunctionDef(self, node):
        if self.ctx.scopes.visible(node.name) and self.ctx.scopes.lookup(node.name).kind != "func":
            raise AlloSyntaxError(f"Function name '{node.name}' conflicts with an existing symbol")
        for arg in node.args.args:
            if self.ctx.scopes.visible(arg.arg):
                raise AlloSyntaxError(f"Argument name '{arg.arg}' conflicts with an existing symbol")
        runtime = {n for scope in self.ctx.scopes.stack for n, s in scope.items() if s.kind != "const" and s.kind != "func"}
        consts = {n: s.py for scope in self.ctx.scopes.stack for n, s in scope.items() if s.kind in ("const", "func")}
        env = self.ctx.env.child(self.ctx.env.fn, extra={**self.ctx.env.extra, **consts})
        nested = NestedKernel(self.ctx.src.nested(node), env, runtime, node.name)
        self.ctx.scopes.declare(node.name, Sym("func", py=nested))


def _assigned_names(tree) -> set:
    """Names stored to anywhere in a function body (to copy assigned scalar parameters)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                while isinstance(t, ast.Subscript):
                    t = t.value
                if isinstance(t, ast.Name):
                    names.add(t.id)
    return names
