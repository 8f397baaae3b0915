"""The fuzzer's small program representation: expressions, statements, kernels.

A :class:`Program` renders to Allo kernel source (:meth:`Program.source`) and is executed by the
reference interpreter in :mod:`fuzz_interp`. Expression types are computed here with the rules
of :mod:`fuzz_semantics`, so the generator only builds well-typed programs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from fuzz_semantics import (BOOL, CMP_OPS, FLOAT32, INDEX, INT32, Int, Ty, result_type,
                            rule_neg, select_common)

# ----------------------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Load:
    """``array[v0 + o0, v1 + o1, ...]`` with loop variables and constant offsets."""

    array: str
    index: tuple  # of (loop variable, offset)


@dataclass(frozen=True)
class Name:
    """A scalar parameter, scalar local or loop variable."""

    name: str


@dataclass(frozen=True)
class Lit:
    value: Union[int, float]


@dataclass(frozen=True)
class Bin:
    op: str
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Neg:
    operand: "Expr"


@dataclass(frozen=True)
class Logic:
    """``and`` / ``or`` of two conditions, or ``not`` (``right`` is None)."""

    op: str
    left: "Expr"
    right: "Expr | None" = None


@dataclass(frozen=True)
class Ternary:
    cond: "Expr"
    then: "Expr"
    other: "Expr"


@dataclass(frozen=True)
class MinMax:
    fn: str
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Cast:
    """``float(x)`` (to float32) or ``int(x)`` (to int32)."""

    fn: str
    operand: "Expr"


@dataclass(frozen=True)
class Call:
    """A call of a scalar kernel ``fn(args...)``."""

    fn: str
    args: tuple


Expr = Union[Load, Name, Lit, Bin, Neg, Logic, Ternary, MinMax, Cast, Call]


# ----------------------------------------------------------------------------- statements


@dataclass
class Store:
    """``array[index] = value`` or, with ``aug``, ``array[index] <aug>= value``."""

    array: str
    index: tuple
    value: Expr
    aug: str = ""


@dataclass
class DeclScalar:
    name: str
    ty: Ty
    value: Expr


@dataclass
class AssignScalar:
    """``name = value`` / ``name <aug>= value`` on a declared scalar local."""

    name: str
    value: Expr
    aug: str = ""


@dataclass
class DeclArray:
    name: str
    ty: Ty
    shape: tuple
    init: int = 0


@dataclass
class If:
    cond: Expr
    then: list
    other: list = field(default_factory=list)


@dataclass
class Loop:
    """``for v0, v1 in allo.grid(e0, e1, name=...)`` (``kind`` ``grid``, ``range`` or
    ``reduction``); ``range`` loops have one variable and may start at ``lower``."""

    kind: str
    variables: tuple
    extents: tuple
    body: list
    name: str = ""
    lower: int = 0


@dataclass
class CallArray:
    """``target = fn(args...)`` where ``fn`` is an array kernel returning a new array."""

    target: str
    fn: str
    args: tuple


@dataclass
class CallProc:
    """``fn(args...)`` as a statement: ``fn`` writes into array arguments (passed by reference)."""

    fn: str
    args: tuple


Stmt = Union[Store, DeclScalar, AssignScalar, DeclArray, If, Loop, CallArray, CallProc]


@dataclass
class Param:
    name: str
    ty: Ty
    shape: tuple = ()  # () for scalars


@dataclass
class Kernel:
    name: str
    params: list
    results: list  # Params naming the returned variables (empty: no result)
    body: list
    scalar_expr: Expr | None = None  # scalar kernels: ``return <expr>``

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass
class Program:
    """Kernels in definition order; the last one is the top."""

    kernels: list

    @property
    def top(self) -> Kernel:
        return self.kernels[-1]

    def kernel(self, name: str) -> Kernel:
        return next(k for k in self.kernels if k.name == name)

    def source(self) -> str:
        """The program as a Python module of Allo kernels."""
        lines = ["import allo", "from allo.ir.types import *", ""]
        for kernel in self.kernels:
            lines += render_kernel(kernel) + [""]
        return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- typing


class TypeEnv:
    """Types of the names visible in one kernel: arrays, scalars, loop variables, callees."""

    def __init__(self, program: Program, kernel: Kernel):
        self.program = program
        self.arrays: dict[str, tuple[Ty, tuple]] = {}
        self.scalars: dict[str, Ty] = {}
        for param in kernel.params:
            if param.shape:
                self.arrays[param.name] = (param.ty, param.shape)
            else:
                self.scalars[param.name] = param.ty

    def type_of(self, expr: Expr) -> Ty:
        if isinstance(expr, Load):
            return self.arrays[expr.array][0]
        if isinstance(expr, Name):
            return self.scalars.get(expr.name, INDEX)
        if isinstance(expr, Lit):
            return literal_type(expr.value)
        if isinstance(expr, Bin):
            left, right = self.type_of(expr.left), self.type_of(expr.right)
            if stays_index(expr, left, right):
                return INDEX
            return result_type(expr.op, left, right)
        if isinstance(expr, Neg):
            return rule_neg(self.type_of(expr.operand))
        if isinstance(expr, Logic):
            return BOOL
        if isinstance(expr, (Ternary,)):
            return select_common(self.type_of(expr.then), self.type_of(expr.other))
        if isinstance(expr, MinMax):
            return select_common(self.type_of(expr.left), self.type_of(expr.right))
        if isinstance(expr, Cast):
            return FLOAT32 if expr.fn == "float" else INT32
        if isinstance(expr, Call):
            return self.program.kernel(expr.fn).results[0].ty
        raise TypeError(expr)


INDEX_ARITH = ("+", "-", "*", "/", "//", "%")


def stays_index(expr: Bin, left: Ty, right: Ty) -> bool:
    """``index op index`` and ``index op <int literal>`` (either side) are ``index`` for
    ``+ - * / // %``: the frontend keeps loop-variable arithmetic affine (an ``int32``
    variable instead of the literal gives ``Int(34)``, language.md §5.3)."""
    if expr.op not in INDEX_ARITH:
        return False
    return ((left.kind == "index" and (right.kind == "index" or is_int_constant(expr.right)))
            or (right.kind == "index" and is_int_constant(expr.left)))


def is_int_constant(expr) -> bool:
    """An integer literal, or arithmetic of them (folded by the frontend to one constant)."""
    if isinstance(expr, Lit):
        return isinstance(expr.value, int) and not isinstance(expr.value, bool)
    if isinstance(expr, Neg):
        return is_int_constant(expr.operand)
    if isinstance(expr, Bin) and expr.op in INDEX_ARITH + ("<<", ">>", "&", "|", "^"):
        return is_int_constant(expr.left) and is_int_constant(expr.right)
    if isinstance(expr, Cast) and expr.fn == "int":  # int(-11), int(2.5): folded as well
        operand = expr.operand.operand if isinstance(expr.operand, Neg) else expr.operand
        return isinstance(operand, Lit) or is_int_constant(expr.operand)
    return False


def literal_type(value) -> Ty:
    """int literals are int32 (int64, then the minimal Int(n) when larger); floats float32."""
    if isinstance(value, float):
        return FLOAT32
    if -(1 << 31) <= value < 1 << 31:
        return INT32
    if -(1 << 63) <= value < 1 << 63:
        return Int(64)
    return Int(value.bit_length() + 1)


# ----------------------------------------------------------------------------- rendering


def render_index(index: tuple) -> str:
    """``i, j + 1``"""
    parts = []
    for var, offset in index:
        parts.append(var if offset == 0 else f"{var} + {offset}")
    return ", ".join(parts)


def render_expr(expr: Expr) -> str:
    """Source text of an expression (fully parenthesised)."""
    if isinstance(expr, Load):
        return f"{expr.array}[{render_index(expr.index)}]"
    if isinstance(expr, Name):
        return expr.name
    if isinstance(expr, Lit):
        return f"({expr.value!r})" if expr.value < 0 else repr(expr.value)
    if isinstance(expr, Bin):
        return f"({render_expr(expr.left)} {expr.op} {render_expr(expr.right)})"
    if isinstance(expr, Neg):
        return f"(-{render_expr(expr.operand)})"
    if isinstance(expr, Logic):
        if expr.right is None:
            return f"(not {render_expr(expr.left)})"
        return f"({render_expr(expr.left)} {expr.op} {render_expr(expr.right)})"
    if isinstance(expr, Ternary):
        return (f"({render_expr(expr.then)} if {render_expr(expr.cond)} "
                f"else {render_expr(expr.other)})")
    if isinstance(expr, MinMax):
        return f"{expr.fn}({render_expr(expr.left)}, {render_expr(expr.right)})"
    if isinstance(expr, Cast):
        return f"{expr.fn}({render_expr(expr.operand)})"
    if isinstance(expr, Call):
        return f"{expr.fn}({', '.join(render_expr(a) for a in expr.args)})"
    raise TypeError(expr)


def render_annotation(ty: Ty, shape: tuple) -> str:
    """``Int(5)[4, 6]`` / ``float32``."""
    if not shape:
        return ty.source()
    return f"{ty.source()}[{', '.join(str(d) for d in shape)}]"


def render_stmt(stmt: Stmt, indent: str) -> list[str]:
    """Source lines of one statement."""
    if isinstance(stmt, Store):
        target = f"{stmt.array}[{render_index(stmt.index)}]"
        return [f"{indent}{target} {stmt.aug}= {render_expr(stmt.value)}"]
    if isinstance(stmt, DeclScalar):
        return [f"{indent}{stmt.name}: {stmt.ty.source()} = {render_expr(stmt.value)}"]
    if isinstance(stmt, AssignScalar):
        return [f"{indent}{stmt.name} {stmt.aug}= {render_expr(stmt.value)}"]
    if isinstance(stmt, DeclArray):
        return [f"{indent}{stmt.name}: {render_annotation(stmt.ty, stmt.shape)} = {stmt.init}"]
    if isinstance(stmt, CallArray):
        return [f"{indent}{stmt.target} = {stmt.fn}({', '.join(stmt.args)})"]
    if isinstance(stmt, CallProc):
        return [f"{indent}{stmt.fn}({', '.join(stmt.args)})"]
    if isinstance(stmt, If):
        lines = [f"{indent}if {render_expr(stmt.cond)}:"]
        lines += render_block(stmt.then, indent + "    ")
        if stmt.other:
            lines += [f"{indent}else:"] + render_block(stmt.other, indent + "    ")
        return lines
    if isinstance(stmt, Loop):
        return render_loop(stmt, indent)
    raise TypeError(stmt)


def render_loop(loop: Loop, indent: str) -> list[str]:
    """``for`` header over ``range``/``allo.grid``/``allo.reduction`` and the body."""
    named = f', name="{loop.name}"' if loop.name else ""
    variables = ", ".join(loop.variables)
    if loop.kind == "range":
        bounds = f"{loop.lower}, {loop.extents[0]}" if loop.lower else f"{loop.extents[0]}"
        header = f"for {variables} in range({bounds}{named}):"
    else:
        extents = ", ".join(str(e) for e in loop.extents)
        header = f"for {variables} in allo.{loop.kind}({extents}{named}):"
    return [indent + header] + render_block(loop.body, indent + "    ")


def render_block(stmts: list, indent: str) -> list[str]:
    """Lines of a block (``pass`` when empty)."""
    lines = []
    for stmt in stmts:
        lines += render_stmt(stmt, indent)
    return lines or [indent + "pass"]


def render_kernel(kernel: Kernel) -> list[str]:
    """The ``def`` of one kernel."""
    params = ", ".join(f"{p.name}: {render_annotation(p.ty, p.shape)}" for p in kernel.params)
    result = ""
    if len(kernel.results) == 1:
        result = f" -> {render_annotation(kernel.results[0].ty, kernel.results[0].shape)}"
    elif kernel.results:
        types = ", ".join(render_annotation(r.ty, r.shape) for r in kernel.results)
        result = f" -> ({types})"
    lines = [f"def {kernel.name}({params}){result}:"]
    lines += render_block(kernel.body, "    ") if kernel.body else []
    if kernel.scalar_expr is not None:
        lines.append(f"    return {render_expr(kernel.scalar_expr)}")
    elif kernel.results:
        lines.append(f"    return {', '.join(r.name for r in kernel.results)}")
    return lines


def is_comparison(expr: Expr) -> bool:
    """Whether ``expr`` is a comparison."""
    return isinstance(expr, Bin) and expr.op in CMP_OPS
