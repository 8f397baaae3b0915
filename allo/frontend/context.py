"""What the parts lowering one kernel function share: a :class:`FunctionContext` (the state)
and the :class:`Part` base every part derives from (the state plus its sibling parts).

One function is lowered by a handful of parts, each in its own module with one job:

=================  ======================  =============================================
part               module                  lowers
=================  ======================  =============================================
``stmts``          statements.py           blocks, if/while, return, nested ``def``
``assigns``        assignments.py          declarations and assignments
``exprs``          expressions.py          names, constants, expression dispatch
``ops``            operators.py            operators on scalars and arrays, min/max/abs
``access``         access.py               subscripts, views, bits
``calls``          calls.py                built-ins, methods, kernel and IP calls
``loops``          loops.py                ``for`` loops, ``with allo.meta_*`` blocks
``streams``        streams.py              stream locals, put/get
``structs``        structs.py              struct locals and fields
=================  ======================  =============================================

The whole-array built-ins (``allo.matmul``, ...) are functions of tensor_ops.py given the
expression visitor. A part keeps only state nobody else reads (the loop counter that names
stages, the put counts of streams); everything two parts read or write lives in the context,
so who changes what is visible at each use (``self.ctx.runtime_depth += 1``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._mlir import ir
from .source import KernelSource
from .symbols import PyEnv, Scopes
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


@dataclass
class FunctionContext:
    """The state of one function being lowered, shared by all its parts.

    ``module_builder`` owns the module (other functions, globals, options); ``src`` and
    ``func_name`` locate errors; ``scopes`` are the kernel's block scopes and ``env`` its
    compile-time Python environment. The counters say where the statement being lowered sits:
    ``runtime_depth`` (inside run-time loops or ifs: no ``return``), ``loop_depth`` (inside a
    loop: no new stage), ``trip_counts`` (static trip counts of the enclosing loops, ``None``
    when unknown: the capacity of streams), ``meta_stack`` (the ``meta_if`` chain of each open
    block).
    """

    module_builder: Any
    src: KernelSource
    env: PyEnv
    func_name: str
    fn_object: Any = None
    suffix: str = ""
    runtime_forbidden: frozenset = frozenset()  # outer run-time names a nested def may not read
    typing_rule_set: str = "default"
    scopes: Scopes = field(default_factory=Scopes)
    info: FunctionInfo | None = None  # the signature, once parsed
    func_op: Any = None  # the func.func, once created
    params_names: list = field(default_factory=list)
    returned: bool = False
    runtime_depth: int = 0
    loop_depth: int = 0
    trip_counts: list = field(default_factory=list)
    meta_stack: list = field(default_factory=lambda: [None])
    tensor_op_count: int = 0  # numbers the unnamed whole-array ops (``matmul_0``, ``add_1``)

    def compile_env(self) -> dict:
        """The names compile-time expressions see: Python's, then the kernel's constants."""
        env = self.env.as_dict()
        for scope in self.scopes.stack:
            for name, sym in scope.items():
                if sym.kind == "const":
                    env[name] = sym.py
        return env

    def location(self, node, column: int | None = None) -> ir.Location:
        """The MLIR location of ``node`` (its column, or ``column``) in the kernel's file."""
        col = node.col_offset + 1 if column is None else column
        return ir.Location.file(self.src.filename, self.src.abs_line(node), col)

    def global_array(self, name, array, dtype=None) -> Val:
        """A constant global holding ``array`` (converted to ``dtype``) and its memref."""
        return self.module_builder.global_constant(name, array, dtype)


def _sibling(name: str, kind: str) -> property:
    return property(lambda self: getattr(self._parts, name), doc=f"The function's {kind}.")


class Part:
    """A part of one function's lowering: the shared context and the sibling parts.

    ``parts`` is the :class:`~allo.frontend.function.FunctionBuilder` that created them; the
    properties below name the siblings a part may call, so each call site says which part does
    the work (``self.exprs.visit_expr(node)``).
    """

    stmts = _sibling("stmts", "StatementVisitor")
    assigns = _sibling("assigns", "Assignments")
    exprs = _sibling("exprs", "ExpressionVisitor")
    ops = _sibling("ops", "Operators")
    access = _sibling("access", "AccessLowering")
    calls = _sibling("calls", "CallLowering")
    loops = _sibling("loops", "LoopLowering")
    streams = _sibling("streams", "StreamLowering")
    structs = _sibling("structs", "StructLowering")

    def __init__(self, ctx: FunctionContext, parts):
        self.ctx = ctx
        self._parts = parts
