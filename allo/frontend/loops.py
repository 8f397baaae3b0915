"""``for`` loops (range / allo.grid / allo.reduction) and compile-time ``with`` blocks."""

from __future__ import annotations

import ast

from .._mlir import affine_d, arith_d, ir, scf_d
from .. import language as lang
from ..errors import AlloSyntaxError
from . import memory as mem
from .annotations import eval_compile_time
from .casting import constant
from .context import Part
from .scalars import materialize
from .streams import static_trip_count
from .symbols import Sym
from .types import index as index_t
from .values import Affine, Val


def _ui32(v: int):
    return ir.IntegerAttr.get(ir.IntegerType.get_unsigned(32), int(v))


class LoopLowering(Part):
    """``for`` loops and compile-time ``with allo.meta_*`` blocks of one function.

    ``for_counter`` numbers the loop statements, for the default stage names ``S_<ivs>_<k>``.
    """

    def __init__(self, ctx, parts):
        super().__init__(ctx, parts)
        self.for_counter = 0

    def _loop_kind(self, call):
        if not isinstance(call, ast.Call):
            return None

        # a bare ``range`` is the builtin even if a caller's frame happens to bind the name
        if isinstance(call.func, ast.Name) and call.func.id == "range" \
                and self.ctx.scopes.lookup("range") is None:
            target = range
        else:
            target = self.exprs.visit_expr(call.func).const
        if target is range:
            return "range"
        if target is lang.grid:
            return "grid"
        if target is lang.reduction:
            return "reduction"
        return None

    def for_loop(self, node: ast.For) -> list:
        """Lower a ``for`` over ``range``/``allo.grid``/``allo.reduction``; returns its loops."""
        if node.orelse:
            raise AlloSyntaxError("'else' clause for 'for' not supported in Allo kernels")
        kind = self._loop_kind(node.iter)
        if kind is None:
            raise AlloSyntaxError("Unsupported for loop")
        call = node.iter
        kwargs = {}
        for kw in call.keywords:
            if kw.arg not in ("name", "pipeline", "unroll"):
                raise AlloSyntaxError(f"Unsupported keyword '{kw.arg}' in a loop")
            kwargs[kw.arg] = eval_compile_time(kw.value, self.ctx.compile_env())
        targets = node.target.elts if isinstance(node.target, ast.Tuple) else [node.target]
        if not all(isinstance(t, ast.Name) for t in targets):
            raise AlloSyntaxError("loop variables must be names")
        names = [t.id for t in targets]
        for n in names:
            if self.ctx.scopes.visible(n) or n in self.ctx.params_names:
                raise AlloSyntaxError("Please choose a different name for the loop iterator")
        if kind == "range":
            if len(names) != 1:
                raise AlloSyntaxError("range expects 1 loop variable")
            bounds = [self._range_bounds(call.args)]
        else:
            if len(names) != len(call.args):
                raise AlloSyntaxError(f"grid expects {len(call.args)} loop variables")
            bounds = [(mem.index_const(0), self.exprs.visit_expr(a), 1) for a in call.args]
        is_stage = self.ctx.loop_depth == 0
        stage = None
        if is_stage:
            stage = kwargs.get("name") or "S_" + "_".join(names) + f"_{self.for_counter}"
        self.ctx.loop_depth += 1
        self.ctx.runtime_depth += 1
        self.ctx.scopes.push()
        try:
            loops = self._emit_nest(names, bounds, kind == "reduction", stage, kwargs, node)
        finally:
            self.ctx.scopes.pop()
            self.ctx.runtime_depth -= 1
            self.ctx.loop_depth -= 1
        self.for_counter += 1
        return loops

    def _range_bounds(self, args):
        vals = [self.exprs.visit_expr(a) for a in args]
        if len(vals) == 1:
            lo, hi, step = mem.index_const(0), vals[0], mem.index_const(1)
        elif len(vals) == 2:
            lo, hi, step = vals[0], vals[1], mem.index_const(1)
        elif len(vals) == 3:
            lo, hi, step = vals
        else:
            raise AlloSyntaxError("range expects 1 to 3 arguments")
        if step.is_const:
            if not isinstance(step.const, int) or step.const <= 0:
                raise AlloSyntaxError(f"Step in for loop range should be positive, got: {step.const}")
            step = int(step.const)
        return lo, hi, step

    def _emit_nest(self, names, bounds, reduction, stage, kwargs, node):
        pipelines = _per_loop(kwargs.get("pipeline"), len(names), true_value=1)
        unrolls = _per_loop(kwargs.get("unroll"), len(names), true_value=0)
        loops = []

        def rec(d):
            lo, hi, step = bounds[d]
            loop, iv = self._emit_loop(lo, hi, step)
            attrs = loop.attributes
            attrs["loop_name"] = ir.StringAttr.get(names[d])
            if d == 0 and stage is not None:
                attrs["op_name"] = ir.StringAttr.get(stage)
            if reduction:
                attrs["reduction"] = ir.UnitAttr.get()
            if pipelines[d] is not None:
                attrs["pipeline_ii"] = _ui32(pipelines[d])
            if unrolls[d] is not None:
                attrs["unroll"] = _ui32(unrolls[d])
            loops.append(loop)
            self.ctx.scopes.declare(names[d], Sym("iv", iv))
            self.ctx.trip_counts.append(static_trip_count(lo, hi, step))
            with ir.InsertionPoint(loop.body):
                if d + 1 < len(names):
                    rec(d + 1)
                else:
                    self.stmts.visit_block(node.body, new_scope=True)
                if isinstance(loop, affine_d.AffineForOp):
                    affine_d.AffineYieldOp([])
                else:
                    scf_d.YieldOp([])
            self.ctx.trip_counts.pop()

        rec(0)
        return loops

    def _emit_loop(self, lo: Val, hi: Val, step):
        lo_i = mem.as_index(lo, materialize)
        hi_i = mem.as_index(hi, materialize)
        flo, fhi = mem.affine_of(lo_i), mem.affine_of(hi_i)
        if isinstance(step, int) and flo is not None and fhi is not None:
            ivs = []
            flo.ivs(ivs)
            fhi.ivs(ivs)
            lmap = ir.AffineMap.get(len(ivs), 0, [flo.to_expr(ivs)])
            umap = ir.AffineMap.get(len(ivs), 0, [fhi.to_expr(ivs)])
            if not ivs:
                loop = affine_d.AffineForOp(flo.const_value(), fhi.const_value(), step)
            else:
                loop = affine_d.AffineForOp(lmap, umap, step, lower_bound_operands=ivs,
                                            upper_bound_operands=ivs)
            iv = loop.induction_variable
            return loop, Val(iv, index_t, affine=Affine.iv(iv))
        lo_v, hi_v = mem.index_value(lo_i), mem.index_value(hi_i)
        if isinstance(step, int):
            step_v = constant(step, index_t)
        else:
            raw = mem.index_value(mem.as_index(step, materialize))
            zero = constant(0, index_t)
            positive = arith_d.CmpIOp(4, raw, zero).result  # sgt
            # a non-positive run-time step runs zero iterations (decision)
            hi_v = arith_d.SelectOp(positive, hi_v, lo_v).result
            step_v = arith_d.SelectOp(positive, raw, constant(1, index_t)).result
        loop = scf_d.ForOp(lo_v, hi_v, step_v)
        return loop, Val(loop.induction_variable, index_t)

    # ---------------------------------------------------------------- meta blocks
    def meta_block(self, node: ast.With) -> None:
        """Lower ``with allo.meta_if/meta_elif/meta_else/meta_for(...)``: expand at compile time."""
        if len(node.items) != 1:
            raise AlloSyntaxError("Unsupported meta function")
        item = node.items[0]
        call = item.context_expr
        if not isinstance(call, ast.Call):
            raise AlloSyntaxError("Unsupported meta function")
        fname = call.func.attr if isinstance(call.func, ast.Attribute) else (
            call.func.id if isinstance(call.func, ast.Name) else None)

        try:
            target = eval_compile_time(call.func, self.ctx.compile_env())
        except Exception:  # noqa: BLE001
            target = None
        if target is lang.meta_if or fname == "meta_if" and target is None:
            return self.meta_if(node, call)
        if target is lang.meta_elif or (fname == "meta_elif" and target is None):
            return self.meta_elif(node, call)
        if target is lang.meta_else or (fname == "meta_else" and target is None):
            return self.meta_else(node)
        if target is lang.meta_for or (fname == "meta_for" and target is None):
            return self.meta_for(node, call, item)
        raise AlloSyntaxError("Unsupported meta function")

    def _meta_cond(self, call):
        if len(call.args) != 1:
            raise AlloSyntaxError("meta_if expects one condition")
        try:
            value = eval_compile_time(call.args[0], self.ctx.compile_env())
        except Exception as err:  # noqa: BLE001
            raise AlloSyntaxError("meta_if condition must be a compile-time constant") from err
        return bool(value)

    def meta_if(self, node, call):
        """``with allo.meta_if(cond)``: the body if ``cond`` holds; starts a chain."""
        taken = self._meta_cond(call)
        self.ctx.meta_stack[-1] = {"done": taken}
        if taken:
            self.stmts.visit_block(node.body)

    def meta_elif(self, node, call):
        """``with allo.meta_elif(cond)``: the body if no earlier branch of the chain was taken."""
        state = self.ctx.meta_stack[-1]
        if state is None:
            raise AlloSyntaxError("Unmatched allo.meta_elif()")
        if state["done"]:
            return
        taken = self._meta_cond(call)
        state["done"] = taken
        if taken:
            self.stmts.visit_block(node.body)

    def meta_else(self, node):
        """``with allo.meta_else()``: the body if no branch of the chain was taken."""
        state = self.ctx.meta_stack[-1]
        if state is None:
            raise AlloSyntaxError("Unmatched allo.meta_else()")
        self.ctx.meta_stack[-1] = None
        if not state["done"]:
            self.stmts.visit_block(node.body)

    def meta_for(self, node, call, item):
        """``with allo.meta_for(...) as i``: the body once per value, ``i`` a constant."""
        try:
            args = [int(eval_compile_time(a, self.ctx.compile_env())) for a in call.args]
        except Exception as err:  # noqa: BLE001
            raise AlloSyntaxError("meta_for bounds must be compile-time integers") from err
        if not isinstance(item.optional_vars, ast.Name):
            raise AlloSyntaxError("meta_for needs 'as <name>'")
        var = item.optional_vars.id
        for value in range(*args):
            self.ctx.scopes.push()
            self.ctx.scopes.declare(var, Sym("const", Val(None, None, const=value), py=value))
            try:
                self.stmts.visit_block(node.body)
            finally:
                self.ctx.scopes.pop()
            if self.ctx.returned:
                break


def _per_loop(spec, n, true_value):
    """Expand a ``pipeline=``/``unroll=`` keyword into one entry per loop (schedule.md §1.6).

    ``True`` means II 1 for pipeline and a full unroll (0) for unroll.
    """
    out = [None] * n
    if spec is None or spec is False or (isinstance(spec, int) and spec == 0):
        return out
    if isinstance(spec, (list, tuple)):
        for k, s in enumerate(spec[:n]):
            if s is True:
                out[k] = true_value
            elif s and isinstance(s, int) and s > 0:
                out[k] = int(s)
        return out
    out[-1] = true_value if spec is True else int(spec)
    return out
