"""Compiling one kernel function: its signature, then its ``func.func`` (attributes,
parameters, body). The body is lowered by the parts of :mod:`allo.frontend.context`, which the
:class:`FunctionBuilder` creates and holds."""

from __future__ import annotations

import ast

from .._mlir import func_d, ir
from ..errors import AlloSyntaxError, AlloTypeError
from . import memory as mem
from .access import AccessLowering
from .annotations import ParsedType, parse_annotation
from .assignments import Assignments
from .calls import CallLowering
from .context import FunctionContext, FunctionInfo
from .expressions import ExpressionVisitor
from .loops import LoopLowering
from .operators import Operators
from .statements import StatementVisitor
from .streams import StreamLowering
from .structs import StructLowering
from .symbols import Sym
from .types import Fixed, Int, Struct, UFixed, UInt
from .values import Val


def _sign_char(t) -> str:
    if isinstance(t, (Int, Fixed)):
        return "s"
    if isinstance(t, (UInt, UFixed)):
        return "u"
    return "_"


class FunctionBuilder:
    """Builds one ``func.func`` from a kernel's AST (see docs/ir.md for the output).

    ``ctx`` is the state the parts share; the parts are attributes, each reaching the others
    through this builder: ``stmts``, ``assigns``, ``exprs``, ``ops``, ``calls``, ``structs``,
    ``streams``, ``loops``, ``access``.
    """

    def __init__(self, module_builder, src, env, func_name, fn_object=None, suffix="",
                 runtime_forbidden=()):
        self.ctx = FunctionContext(
            module_builder, src, env, func_name, fn_object, suffix, frozenset(runtime_forbidden),
            module_builder.options.get("typing_rule_set", "default"))
        self.stmts = StatementVisitor(self.ctx, self)
        self.assigns = Assignments(self.ctx, self)
        self.exprs = ExpressionVisitor(self.ctx, self)
        self.ops = Operators(self.ctx, self)
        self.calls = CallLowering(self.ctx, self)
        self.structs = StructLowering(self.ctx, self)
        self.streams = StreamLowering(self.ctx, self)
        self.loops = LoopLowering(self.ctx, self)
        self.access = AccessLowering(self.ctx, self)

    # ---------------------------------------------------------------- signature
    def signature(self) -> FunctionInfo:
        """Parse the parameter and result annotations (errors located at each parameter)."""
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
            located = self.ctx.src.locate(err, tree, self.ctx.func_name)
            if located is err:
                raise
            raise located from err
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
            located = self.ctx.src.locate(err, node, self.ctx.func_name)
            if located is err:
                raise
            raise located from err

    def _mlir_type(self, pt: ParsedType):
        if pt.shape:
            return mem.memref_type(pt.dtype, pt.shape, mem.memory_space(pt))
        return pt.dtype.build()

    # ---------------------------------------------------------------- body
    def build(self, insertion_point) -> FunctionInfo:
        """Emit the ``func.func`` at ``insertion_point``: attributes, parameters, body, return."""
        info = self.ctx.info
        tree = self.ctx.src.tree
        with insertion_point, self.ctx.location(tree, column=1):
            entry = self._create_func(info)
        with ir.InsertionPoint(entry), self.ctx.location(tree, column=1):
            self._bind_params(info, entry)
        with ir.InsertionPoint(entry):
            self.stmts.visit_block(tree.body, new_scope=True)
            self.streams.finalize_streams()
            if not self.ctx.returned:
                if info.results:
                    raise AlloTypeError("Missing return statement", self.ctx.src.filename,
                                        self.ctx.src.abs_line(tree), self.ctx.func_name,
                                        self.ctx.src.source_line(tree))
                with self.ctx.location(tree, column=1):
                    func_d.ReturnOp([])
        return info

    def _create_func(self, info: FunctionInfo):
        """The ``func.func`` with its signedness and Allo-type attributes; its entry block."""
        ftype = ir.FunctionType.get(info.arg_types, info.result_types)
        func = func_d.FuncOp(self.ctx.func_name, ftype)
        self.ctx.func_op = func
        info.func_op = func
        attrs = func.attributes
        attrs["itypes"] = ir.StringAttr.get("".join(_sign_char(p.dtype) for _, p in info.params))
        attrs["otypes"] = ir.StringAttr.get("".join(_sign_char(r.dtype) for r in info.results))
        attrs["allo.itypes"] = ir.ArrayAttr.get([ir.StringAttr.get(p.dtype.name) for _, p in info.params])
        attrs["allo.otypes"] = ir.ArrayAttr.get([ir.StringAttr.get(r.dtype.name) for r in info.results])
        return func.add_entry_block()

    def _bind_params(self, info: FunctionInfo, entry) -> None:
        """Declare the parameters; a scalar parameter the body assigns is copied to a buffer."""
        assigned = _assigned_names(self.ctx.src.tree)
        for (pname, pt), arg in zip(info.params, entry.arguments):
            v = Val(arg, pt.dtype, pt.shape, name=pname, extra={"param": True})
            if not pt.shape and pname in assigned:
                buf = Val(mem.alloc(pt.dtype, (), pname), pt.dtype, (), name=pname)
                mem.store(arg, buf, [])
                self.ctx.scopes.declare(pname, Sym("var", buf, in_memory=True))
            else:
                self.ctx.scopes.declare(pname, Sym("param", v))


    def _refuse_scope_declarations(self, node) -> None:
        """``nonlocal``/``global`` in a nested def, even one never called, at their own line."""
        for inner in ast.walk(node):
            if isinstance(inner, (ast.Nonlocal, ast.Global)):
                raise AlloSyntaxError(f'Unsupported node "{type(inner).__name__}"',
                                      self.src.filename, self.src.abs_line(inner), node.name,
                                      self.src.source_line(inner))


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
