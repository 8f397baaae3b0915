"""Statement visitor: blocks, statement dispatch, ``if``/``while``, ``return``, nested ``def``s.

Declarations and assignments are lowered by :mod:`allo.frontend.assignments`, loops and meta
blocks by :mod:`allo.frontend.loops`.
"""

from __future__ import annotations

import ast

from .._mlir import func_d, ir, scf_d
from ..errors import AlloSyntaxError, AlloTypeError
from . import memory as mem
from .annotations import ParsedType
from .context import Part
from .scalars import materialize
from .symbols import NestedKernel, Sym
from .values import Val


class StatementVisitor(Part):
    """Statements of one function; ``stmt_<Node>`` lowers one statement of kind ``Node``."""

    # ---------------------------------------------------------------- blocks
    def visit_block(self, stmts: list, new_scope: bool = True) -> None:
        """Lower ``stmts`` (in a scope of their own unless ``new_scope`` is false), stopping
        after a ``return``. Every block starts its own ``meta_if`` chain."""
        self.ctx.meta_stack.append(None)
        if new_scope:
            self.ctx.scopes.push()
        try:
            for stmt in stmts:
                if self.ctx.returned:
                    break
                self.visit_stmt(stmt)
        finally:
            if new_scope:
                self.ctx.scopes.pop()
            self.ctx.meta_stack.pop()

    def visit_stmt(self, node: ast.stmt) -> None:
        """Lower one statement at its source location; errors are located at it."""
        method = getattr(self, f"stmt_{type(node).__name__}", None)
        loc = self.ctx.location(node)
        try:
            with loc:
                if method is None:
                    raise AlloSyntaxError(f'Unsupported node "{type(node).__name__}"')
                method(node)
        except Exception as err:  # noqa: BLE001 - located at the innermost statement
            located = self.ctx.src.locate(err, node, self.ctx.func_name)
            if located is err:
                raise
            raise located from err

    # ---------------------------------------------------------------- simple statements
    def stmt_Pass(self, node):
        return None

    def stmt_Expr(self, node):
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return None
        if isinstance(node.value, (ast.Yield, ast.YieldFrom, ast.Await)):
            # generator and coroutine constructs are named like the other unsupported nodes
            raise AlloSyntaxError(f'Unsupported node "{type(node.value).__name__}"')
        if not isinstance(node.value, ast.Call):
            raise AlloSyntaxError("Unsupported expression")
        self.exprs.visit_expr(node.value)
        return None

    def stmt_AnnAssign(self, node):
        self.assigns.annotated_assign(node)

    def stmt_Assign(self, node):
        self.assigns.assign_statement(node)

    def stmt_AugAssign(self, node):
        self.assigns.augmented_assign(node)

    # ---------------------------------------------------------------- unsupported statements
    def _unsupported(self, node):
        raise AlloSyntaxError(f'Unsupported node "{type(node).__name__}"')

    stmt_Break = stmt_Continue = stmt_Try = stmt_Raise = stmt_Assert = _unsupported
    stmt_Import = stmt_ImportFrom = stmt_Global = stmt_Nonlocal = stmt_Delete = _unsupported
    stmt_ClassDef = stmt_AsyncFunctionDef = stmt_AsyncFor = stmt_AsyncWith = _unsupported
    stmt_Match = stmt_TryStar = _unsupported

    # ---------------------------------------------------------------- control flow
    def stmt_If(self, node):
        cond = self.ops.truth(self.exprs.visit_expr(node.test))
        has_else = bool(node.orelse)
        if_op = scf_d.IfOp(cond, [], has_else=has_else)
        self.ctx.runtime_depth += 1
        try:
            with ir.InsertionPoint(if_op.then_block):
                self.visit_block(node.body)
                scf_d.YieldOp([])
            if has_else:
                with ir.InsertionPoint(if_op.else_block):
                    self.visit_block(node.orelse)
                    scf_d.YieldOp([])
        finally:
            self.ctx.runtime_depth -= 1

    def stmt_For(self, node):
        self.loops.for_loop(node)

    def stmt_With(self, node):
        self.loops.meta_block(node)

    def stmt_While(self, node):
        if node.orelse:
            raise AlloSyntaxError("'else' clause for 'while' not supported in Allo kernels")
        w = scf_d.WhileOp([], [])
        before = w.before.blocks.append()
        after = w.after.blocks.append()
        with ir.InsertionPoint(before):
            cond = self.ops.truth(self.exprs.visit_expr(node.test))
            scf_d.ConditionOp(cond, [])
        self.ctx.runtime_depth += 1
        self.ctx.trip_counts.append(None)
        try:
            with ir.InsertionPoint(after):
                self.visit_block(node.body)
                scf_d.YieldOp([])
        finally:
            self.ctx.trip_counts.pop()
            self.ctx.runtime_depth -= 1

    def stmt_Return(self, node):
        if self.ctx.runtime_depth > 0:
            raise AlloSyntaxError("return inside a loop or a run-time 'if' is not supported")
        self.emit_return(node.value)
        self.ctx.returned = True

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
            buf = Val(mem.alloc(rt.dtype, rt.shape, None, mem.memory_space(rt)), rt.dtype, rt.shape)
            mem.copy_converted(v, buf, materialize) if v.dtype != rt.dtype or not mem.is_plain(v) \
                else self.assigns.copy_into(buf, v)
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
        self._refuse_scope_declarations(node)
        runtime = {n for scope in self.ctx.scopes.stack for n, s in scope.items() if s.kind != "const" and s.kind != "func"}
        consts = {n: s.py for scope in self.ctx.scopes.stack for n, s in scope.items() if s.kind in ("const", "func")}
        env = self.ctx.env.child(self.ctx.env.fn, extra={**self.ctx.env.extra, **consts})
        nested = NestedKernel(self.ctx.src.nested(node), env, runtime, node.name)
        self.ctx.scopes.declare(node.name, Sym("func", py=nested))

    def _refuse_scope_declarations(self, node) -> None:
        """``nonlocal``/``global`` in a nested def, even one never called, at their own line."""
        src = self.ctx.src
        for inner in ast.walk(node):
            if isinstance(inner, (ast.Nonlocal, ast.Global)):
                raise AlloSyntaxError(f'Unsupported node "{type(inner).__name__}"',
                                      src.filename, src.abs_line(inner), node.name,
                                      src.source_line(inner))
