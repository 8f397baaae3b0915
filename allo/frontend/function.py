"""Compiling one kernel function (its signature, parameters, body and return)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .._mlir import func_d, ir
from ..errors import AlloSyntaxError, AlloTypeError
from . import memory as mem
from .access import AccessMixin
from .annotations import ParsedType, parse_annotation
from .calls import CallMixin
from .expressions import ArrayOpsMixin, ExprMixin
from .loops import LoopMixin
from .statements import StatementMixin
from .streams import StreamMixin
from .structs import StructMixin
from .symbols import NestedKernel, Scopes, Sym
from .types import Fixed, Int, Struct, UFixed, UInt
from .values import Val


@dataclass
class FunctionInfo:
    """A compiled (or in-progress) function: what call sites need to know."""

    name: str
    params: list  # [(name, ParsedType)]
    results: list  # [ParsedType]
    arg_types: list = field(default_factory=list)
    result_types: list = field(default_factory=list)
    func_op: object = None


def _sign_char(t) -> str:
    if isinstance(t, (Int, Fixed)):
        return "s"
    if isinstance(t, (UInt, UFixed)):
        return "u"
    return "_"


class FunctionBuilder(StatementMixin, StructMixin, StreamMixin, LoopMixin, AccessMixin, CallMixin, ArrayOpsMixin, ExprMixin):
    """Builds one ``func.func`` from a kernel's AST (see docs/ir.md for the output)."""

    def __init__(self, module_builder, src, env, func_name, fn_object=None, suffix="",
                 runtime_forbidden=()):
        self.module_builder = module_builder
        self.src = src
        self.env = env
        self.func_name = func_name
        self.fn_object = fn_object
        self.suffix = suffix
        self.runtime_forbidden = set(runtime_forbidden)
        self.typing_rule_set = module_builder.options.get("typing_rule_set", "default")
        self.scopes = Scopes()
        self.returned = False
        self.runtime_depth = 0
        self.loop_depth = 0
        self.for_counter = 0
        self.stream_puts = {}
        self.trip_counts = []
        self.meta_stack = [None]
        self.params_names = []
        self.func_op = None

    # ---------------------------------------------------------------- compile-time env
    def compile_env(self) -> dict:
        env = self.env.as_dict()
        for scope in self.scopes.stack:
            for name, sym in scope.items():
                if sym.kind == "const":
                    env[name] = sym.py
        return env

    def expr_Name(self, node):  # noqa: D401 - adds the nested-capture check
        if self.scopes.lookup(node.id) is None and node.id in self.runtime_forbidden:
            raise AlloSyntaxError(
                f"nested function '{self.func_name}' cannot capture run-time variable '{node.id}'")
        return ExprMixin.expr_Name(self, node)

    def global_array(self, name, array, dtype=None) -> Val:
        return self.module_builder.global_constant(name, array, dtype)

    # ---------------------------------------------------------------- signature
    def signature(self) -> FunctionInfo:
        tree = self.src.tree
        try:
            a = tree.args
            if a.vararg or a.kwarg or a.kwonlyargs or a.defaults or a.kw_defaults or a.posonlyargs:
                raise AlloSyntaxError("kernel parameters must be plain positional parameters "
                                      "(no defaults, *args or **kwargs)")
            env = self.compile_env()
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
            located = self.src.locate(err, tree, self.func_name)
            if located is err:
                raise
            raise located from err
        self.params_names = [p for p, _ in params]
        info = FunctionInfo(self.func_name, params, results)
        info.arg_types = [self._mlir_type(pt) for _, pt in params]
        info.result_types = [self._mlir_type(pt) for pt in results]
        self.info = info
        return info

    def _parse_located(self, annotation, env, node) -> ParsedType:
        """``parse_annotation`` with errors located at ``node`` (a parameter may sit on its
        own line of a multi-line signature)."""
        try:
            return parse_annotation(annotation, env)
        except Exception as err:  # noqa: BLE001
            located = self.src.locate(err, node, self.func_name)
            if located is err:
                raise
            raise located from err

    def _mlir_type(self, pt: ParsedType):
        if pt.shape:
            return mem.memref_type(pt.dtype, pt.shape, self.memory_space(pt))
        return pt.dtype.build()

    # ---------------------------------------------------------------- body
    def build(self, insertion_point) -> FunctionInfo:
        info = self.info
        with insertion_point, ir.Location.file(self.src.filename, self.src.abs_line(self.src.tree), 1):
            ftype = ir.FunctionType.get(info.arg_types, info.result_types)
            func = func_d.FuncOp(self.func_name, ftype)
            self.func_op = func
            info.func_op = func
            attrs = func.attributes
            attrs["itypes"] = ir.StringAttr.get("".join(_sign_char(p.dtype) for _, p in info.params))
            attrs["otypes"] = ir.StringAttr.get("".join(_sign_char(r.dtype) for r in info.results))
            attrs["allo.itypes"] = ir.ArrayAttr.get([ir.StringAttr.get(p.dtype.name) for _, p in info.params])
            attrs["allo.otypes"] = ir.ArrayAttr.get([ir.StringAttr.get(r.dtype.name) for r in info.results])
            entry = func.add_entry_block()
        assigned = _assigned_names(self.src.tree)
        with ir.InsertionPoint(entry), ir.Location.file(self.src.filename, self.src.abs_line(self.src.tree), 1):
            for (pname, pt), arg in zip(info.params, entry.arguments):
                v = Val(arg, pt.dtype, pt.shape, name=pname, extra={"param": True})
                if not pt.shape and pname in assigned:
                    buf = Val(mem.alloc(pt.dtype, (), pname), pt.dtype, (), name=pname)
                    mem.store(arg, buf, [])
                    self.scopes.declare(pname, Sym("var", buf, in_memory=True))
                else:
                    self.scopes.declare(pname, Sym("param", v))
        with ir.InsertionPoint(entry):
            self.visit_block(self.src.tree.body, new_scope=True)
            self.finalize_streams()
            if not self.returned:
                if info.results:
                    raise AlloTypeError("Missing return statement", self.src.filename,
                                        self.src.abs_line(self.src.tree), self.func_name,
                                        self.src.source_line(self.src.tree))
                with ir.Location.file(self.src.filename, self.src.abs_line(self.src.tree), 1):
                    func_d.ReturnOp([])
        return info

    def visit_block(self, stmts, new_scope=True):
        self.meta_stack.append(None)
        try:
            StatementMixin.visit_block(self, stmts, new_scope)
        finally:
            self.meta_stack.pop()

    def emit_return(self, value_node):
        info = self.info
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
            v = self.visit_expr(node)
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
            mem.copy_converted(v, buf, self.convert_val) if v.dtype != rt.dtype or not mem.is_plain(v) \
                else self.copy_into(buf, v)
            return buf.value
        if v.is_array:
            raise AlloTypeError(f"return shape mismatch, got {tuple(v.shape)} and ()")
        return self.materialize(v, rt.dtype)

    # ---------------------------------------------------------------- nested defs
    def stmt_FunctionDef(self, node):
        if self.scopes.visible(node.name) and self.scopes.lookup(node.name).kind != "func":
            raise AlloSyntaxError(f"Function name '{node.name}' conflicts with an existing symbol")
        for arg in node.args.args:
            if self.scopes.visible(arg.arg):
                raise AlloSyntaxError(f"Argument name '{arg.arg}' conflicts with an existing symbol")
        runtime = {n for scope in self.scopes.stack for n, s in scope.items() if s.kind != "const" and s.kind != "func"}
        consts = {n: s.py for scope in self.scopes.stack for n, s in scope.items() if s.kind in ("const", "func")}
        env = self.env.child(self.env.fn, extra={**self.env.extra, **consts})
        nested = NestedKernel(self.src.nested(node), env, runtime, node.name)
        self.scopes.declare(node.name, Sym("func", py=nested))


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
