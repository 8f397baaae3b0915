"""Reference interpreter for :mod:`fuzz_program` programs (language.md §3-§5 semantics).

Arrays are numpy object arrays of raw values (see :mod:`fuzz_semantics`); arrays are passed to
called kernels by reference, scalars by value after conversion to the parameter type, results
are converted to the declared result type.
"""

from __future__ import annotations

import itertools

import numpy as np

from fuzz_program import (AssignScalar, Bin, Call, CallArray, CallProc, Cast, DeclArray, DeclScalar, If,
                          Kernel,
                          Lit, Load, Logic, Loop, MinMax, Name, Neg, Program, Store, Ternary,
                          literal_type, stays_index)
from fuzz_semantics import (BOOL, FLOAT32, INDEX, INT32, Ty, binary, convert, negate, select_common,
                            truthy)


class Frame:
    """Run-time state of one kernel invocation."""

    def __init__(self):
        self.arrays: dict[str, tuple[np.ndarray, Ty]] = {}
        self.scalars: dict[str, tuple[object, Ty]] = {}
        self.loops: dict[str, int] = {}


class Interpreter:
    def __init__(self, program: Program):
        self.program = program

    # ------------------------------------------------------------------ kernels

    def run_top(self, args: dict) -> tuple[list, dict]:
        """Run the top kernel on raw arguments; returns (results, final arrays by name)."""
        top = self.program.top
        frame = Frame()
        for param in top.params:
            value = args[param.name]
            if param.shape:
                frame.arrays[param.name] = (value, param.ty)
            else:
                frame.scalars[param.name] = (value, param.ty)
        result = self.run_body(top, frame)
        return result, {p.name: frame.arrays[p.name][0] for p in top.params if p.shape}

    def run_body(self, kernel: Kernel, frame: Frame) -> list:
        """Run the statements; the results (fresh arrays, converted to the declared types)."""
        self.block(kernel.body, frame)
        results = []
        for declared in kernel.results:
            array, ty = frame.arrays[declared.name]
            out = np.empty(array.shape, dtype=object)
            out.flat[:] = [convert(v, ty, declared.ty) for v in array.flat]
            results.append(out)
        return results

    def call_scalar(self, kernel: Kernel, values: list) -> tuple[object, Ty]:
        frame = Frame()
        for param, (value, ty) in zip(kernel.params, values):
            frame.scalars[param.name] = (convert(value, ty, param.ty), param.ty)
        value, ty = self.expr(kernel.scalar_expr, frame)
        declared = kernel.results[0].ty
        return convert(value, ty, declared), declared

    def call_array(self, kernel: Kernel, arrays: list) -> np.ndarray:
        frame = Frame()
        for param, (array, ty) in zip(kernel.params, arrays):
            assert ty == param.ty, "array arguments must have the parameter's element type"
            frame.arrays[param.name] = (array, ty)
        return self.run_body(kernel, frame)[0]

    # ------------------------------------------------------------------ statements

    def block(self, stmts: list, frame: Frame) -> None:
        declared = []
        for stmt in stmts:
            self.stmt(stmt, frame, declared)
        for name in declared:  # block scoping (language.md §3.2)
            frame.scalars.pop(name, None)

    def stmt(self, stmt, frame: Frame, declared: list) -> None:
        if isinstance(stmt, Store):
            array, ty = frame.arrays[stmt.array]
            position = self.position(stmt.index, frame)
            value, vty = self.expr(stmt.value, frame)
            if stmt.aug:
                value, vty = binary(stmt.aug, array[position], ty, value, vty)
            array[position] = convert(value, vty, ty)
        elif isinstance(stmt, DeclScalar):
            value, vty = self.expr(stmt.value, frame)
            frame.scalars[stmt.name] = (convert(value, vty, stmt.ty), stmt.ty)
            declared.append(stmt.name)
        elif isinstance(stmt, AssignScalar):
            current, ty = frame.scalars[stmt.name]
            value, vty = self.expr(stmt.value, frame)
            if stmt.aug:
                value, vty = binary(stmt.aug, current, ty, value, vty)
            frame.scalars[stmt.name] = (convert(value, vty, ty), ty)
        elif isinstance(stmt, DeclArray):
            array = np.empty(stmt.shape, dtype=object)
            array.fill(convert(stmt.init, literal_type(stmt.init), stmt.ty))
            frame.arrays[stmt.name] = (array, stmt.ty)
        elif isinstance(stmt, If):
            value, ty = self.expr(stmt.cond, frame)
            self.block(stmt.then if truthy(value, ty) else stmt.other, frame)
        elif isinstance(stmt, Loop):
            self.loop(stmt, frame)
        elif isinstance(stmt, CallArray):
            callee = self.program.kernel(stmt.fn)
            result = self.call_array(callee, [frame.arrays[a] for a in stmt.args])
            frame.arrays[stmt.target] = (result, callee.results[0].ty)
        elif isinstance(stmt, CallProc):
            self.call_proc(self.program.kernel(stmt.fn), stmt.args, frame)
        else:
            raise TypeError(stmt)

    def call_proc(self, kernel: Kernel, args: tuple, caller: Frame) -> None:
        """Arrays by reference (the callee's writes are the caller's), scalars by value."""
        frame = Frame()
        for param, name in zip(kernel.params, args):
            if param.shape:
                array, ty = caller.arrays[name]
                assert ty == param.ty, "array arguments must have the parameter's element type"
                frame.arrays[param.name] = (array, ty)
            else:
                value, ty = caller.scalars[name]
                frame.scalars[param.name] = (convert(value, ty, param.ty), param.ty)
        self.block(kernel.body, frame)

    def loop(self, loop: Loop, frame: Frame) -> None:
        if loop.kind == "range":
            ranges = [range(loop.lower, loop.extents[0])]
        else:
            ranges = [range(e) for e in loop.extents]
        for values in itertools.product(*ranges):
            frame.loops.update(zip(loop.variables, values))
            self.block(loop.body, frame)
        for name in loop.variables:
            frame.loops.pop(name, None)

    def position(self, index: tuple, frame: Frame) -> tuple:
        return tuple(frame.loops[var] + offset for var, offset in index)

    # ------------------------------------------------------------------ expressions

    def expr(self, expr, frame: Frame) -> tuple[object, Ty]:
        if isinstance(expr, Load):
            array, ty = frame.arrays[expr.array]
            return array[self.position(expr.index, frame)], ty
        if isinstance(expr, Name):
            if expr.name in frame.loops:
                return frame.loops[expr.name], INDEX
            return frame.scalars[expr.name]
        if isinstance(expr, Lit):
            if isinstance(expr.value, float):
                return np.float64(expr.value), FLOAT32  # materialised at the target precision
            return expr.value, literal_type(expr.value)
        if isinstance(expr, Bin):
            left = self.expr(expr.left, frame)
            right = self.expr(expr.right, frame)
            if stays_index(expr, left[1], right[1]):
                return binary(expr.op, left[0], INDEX, right[0], INDEX)
            return binary(expr.op, left[0], left[1], right[0], right[1])
        if isinstance(expr, Neg):
            return negate(*self.expr(expr.operand, frame))
        if isinstance(expr, Logic):
            left = truthy(*self.expr(expr.left, frame))
            if expr.right is None:
                return int(not left), BOOL
            right = truthy(*self.expr(expr.right, frame))  # both sides always evaluated
            return int(left and right if expr.op == "and" else left or right), BOOL
        if isinstance(expr, Ternary):
            cond = truthy(*self.expr(expr.cond, frame))
            then, other = self.expr(expr.then, frame), self.expr(expr.other, frame)
            common = select_common(then[1], other[1])
            chosen = then if cond else other
            return convert(chosen[0], chosen[1], common), common
        if isinstance(expr, MinMax):
            left, right = self.expr(expr.left, frame), self.expr(expr.right, frame)
            common = select_common(left[1], right[1])
            u, v = convert(left[0], left[1], common), convert(right[0], right[1], common)
            if expr.fn == "min":
                return (v if v < u else u), common
            return (v if v > u else u), common
        if isinstance(expr, Cast):
            value, ty = self.expr(expr.operand, frame)
            target = FLOAT32 if expr.fn == "float" else INT32
            return convert(value, ty, target), target
        if isinstance(expr, Call):
            values = [self.expr(a, frame) for a in expr.args]
            return self.call_scalar(self.program.kernel(expr.fn), values)
        raise TypeError(expr)
