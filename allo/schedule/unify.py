"""``unify(func1, func2, loop_num)``: one function running either body per step (§9.2).

The result is an MLIR module whose function ``<f1>_<f2>_unified`` takes the common
parameters plus an ``int8[loop_num]`` instruction array ``inst``; step ``t`` runs ``func1``'s
body when ``inst[t] == 0`` and ``func2``'s otherwise, on the same buffers, so array
parameters carry state from one step to the next.

The two bodies are merged from the top: while both next operations are loops with the same
constant bounds and step, one loop is kept (``func1``'s attributes and name) and their bodies
are merged in turn; the first operations that differ, and everything after them, become the
two branches of an ``scf.if`` on the step's instruction. Constants are hoisted first so they
do not stop the sharing. Callees of either function are copied along (a callee name defined
differently by both is refused).

>>> from allo.frontend.types import int32
>>> def inc(A: int32[4]):
...     for i in range(4):
...         A[i] = A[i] + 1
>>> def dbl(A: int32[4]):
...     for i in range(4):
...         A[i] = A[i] * 2
>>> mod = unify(inc, dbl, 3)
>>> "func.func @inc_dbl_unified(%arg0: memref<4xi32>, %arg1: memref<3xi8>)" in str(mod)
True
"""

from __future__ import annotations

from typing import Any

from .._mlir import affine_d, arith_d, func_d, ir, new_context, scf_d
from ..diagnostics import public_entry
from ..errors import ScheduleError
from ..mlir_utils import constant_bounds, loop_body, loop_iv
from . import rewrite as tf

__all__ = ["unify"]

_PRIM = "unify"


@public_entry
def unify(func1: Any, func2: Any, loop_num: int) -> "ir.Module":
    """Merge two result-less kernels with identical parameters into one stepped function.

    ``func1``/``func2`` are kernel functions or schedules (``allo.customize`` results, whose
    transformed module is used). Raises ``ScheduleError`` when the parameter lists differ,
    either function returns a value, or ``loop_num`` is not a positive integer.
    """
    if not isinstance(loop_num, int) or isinstance(loop_num, bool) or loop_num < 1:
        raise ScheduleError(f"{_PRIM}: loop_num must be a positive integer, got {loop_num!r}")
    (text1, name1), (text2, name2) = _module_of(func1), _module_of(func2)
    ctx = new_context()
    with ctx, ir.Location.unknown():
        mod1, mod2 = ir.Module.parse(text1), ir.Module.parse(text2)
        f1, f2 = _func(mod1, name1), _func(mod2, name2)
        _check_interfaces(f1, f2, name1, name2)
        _adopt_functions(mod1, mod2, name1, name2)
        unified = _build(mod1, f1, f2, f"{name1}_{name2}_unified", loop_num)
        f1.operation.erase()
        f2.operation.erase()
        unified.operation.verify()
        return mod1


# --------------------------------------------------------------------------- inputs


def _module_of(item: Any) -> tuple[str, str]:
    """The module text and top function name of a kernel function or a schedule."""
    if hasattr(item, "module") and hasattr(item, "top_func_name"):
        return str(item.module), item.top_func_name
    if callable(item):
        from ..frontend.builder import build_module  # noqa: PLC0415 - built on demand

        built = build_module(item)
        return str(built.module), built.top_func_name
    raise ScheduleError(f"{_PRIM}: expected a kernel function or a schedule, got "
                        f"{type(item).__name__}")


def _func(module, name: str):
    for op in module.body.operations:
        if op.operation.name == "func.func" and ir.StringAttr(op.attributes["sym_name"]).value == name:
            return op
    raise ScheduleError(f"{_PRIM}: function {name} not found")


def _signature(func) -> ir.FunctionType:
    return ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)


def _dtypes(func) -> list:
    attr = func.attributes["allo.itypes"] if "allo.itypes" in func.attributes else None
    return [ir.StringAttr(a).value for a in ir.ArrayAttr(attr)] if attr is not None else []


def _check_interfaces(f1, f2, name1: str, name2: str) -> None:
    t1, t2 = _signature(f1), _signature(f2)
    for name, t in ((name1, t1), (name2, t2)):
        if list(t.results):
            raise ScheduleError(f"{_PRIM}: {name} returns a value; unify needs functions "
                                f"without results (write outputs into parameters)")
    if [str(x) for x in t1.inputs] != [str(x) for x in t2.inputs] or _dtypes(f1) != _dtypes(f2):
        raise ScheduleError(
            f"{_PRIM}: {name1} and {name2} have different parameter lists "
            f"({', '.join(map(str, t1.inputs))} vs {', '.join(map(str, t2.inputs))})")


def _adopt_functions(mod1, mod2, name1: str, name2: str) -> None:
    """Move ``mod2``'s other top-level symbols into ``mod1`` (identical duplicates dropped)."""
    existing = {}
    for op in mod1.body.operations:
        if "sym_name" in op.attributes:
            existing[ir.StringAttr(op.attributes["sym_name"]).value] = op
    for op in list(mod2.body.operations):
        if "sym_name" not in op.attributes:
            continue
        name = ir.StringAttr(op.attributes["sym_name"]).value
        if name == name2:
            op.operation.move_before(_func(mod1, name1).operation)
            continue
        if name in existing:
            if str(existing[name]) != str(op):
                raise ScheduleError(f"{_PRIM}: both modules define a different {name}")
            continue
        op.operation.move_before(_func(mod1, name1).operation)


# --------------------------------------------------------------------------- merging


def _build(module, f1, f2, name: str, loop_num: int):
    inputs = list(_signature(f1).inputs)
    inst_type = ir.MemRefType.get([loop_num], ir.IntegerType.get_signless(8))
    with ir.InsertionPoint(f1.operation):
        unified = func_d.FuncOp(name, ir.FunctionType.get(inputs + [inst_type], []))
    _copy_interface_attributes(f1, unified)
    entry = unified.add_entry_block()
    args = list(entry.arguments)
    with ir.InsertionPoint(entry):
        func_d.ReturnOp([])
    ret = entry.operations[0].operation
    bodies = []
    for f in (f1, f2):
        block = f.regions[0].blocks[0]
        for old, new in zip(block.arguments, args):
            old.replace_all_uses_with(new)
        ops = tf.body_ops(block) if _is_return(_last(block)) else list(block.operations)
        ops = [op.operation for op in ops if op.operation.name != "func.return"]
        for op in [op for op in ops if op.name == "arith.constant"]:
            op.move_before(ret)
        bodies.append([op for op in ops if op.name != "arith.constant"])
    with ir.InsertionPoint(ret):
        step = affine_d.AffineForOp(0, loop_num, 1)
        step.attributes["loop_name"] = ir.StringAttr.get("step")
        with ir.InsertionPoint(step.body):
            yield_op = affine_d.AffineYieldOp([])
    with ir.InsertionPoint(yield_op):
        word = affine_d.AffineLoadOp(ir.IntegerType.get_signless(8), args[-1], [step.induction_variable],
                                     ir.AffineMap.get_identity(1))
        word.attributes["from"] = ir.StringAttr.get("inst")
        zero = arith_d.ConstantOp(ir.IntegerType.get_signless(8), 0)
        first = arith_d.CmpIOp(arith_d.CmpIPredicate.eq, word.result, zero.result)
    _merge(bodies[0], bodies[1], yield_op.operation, first.result)
    return unified


def _copy_interface_attributes(src, dst) -> None:
    for key in ("itypes", "allo.itypes"):
        if key in src.attributes:
            if key == "itypes":
                dst.attributes[key] = ir.StringAttr.get(ir.StringAttr(src.attributes[key]).value + "s")
            else:
                items = list(ir.ArrayAttr(src.attributes[key])) + [ir.StringAttr.get("i8")]
                dst.attributes[key] = ir.ArrayAttr.get(items)
    dst.attributes["otypes"] = ir.StringAttr.get("")
    dst.attributes["allo.otypes"] = ir.ArrayAttr.get([])


def _last(block):
    ops = list(block.operations)
    return ops[-1] if ops else None


def _is_return(op) -> bool:
    return op is not None and op.operation.name == "func.return"


def _shareable(a, b) -> bool:
    if a.name != "affine.for" or b.name != "affine.for" or a.results or b.results:
        return False
    ba, bb = constant_bounds(a), constant_bounds(b)
    return ba is not None and ba == bb


def _merge(ops1: list, ops2: list, before, first) -> None:
    """Place ``ops1``/``ops2`` before ``before``: common loops shared, the rest branched."""
    while ops1 and ops2 and _shareable(ops1[0], ops2[0]):
        loop1, loop2 = ops1.pop(0), ops2.pop(0)
        lb, ub, step = constant_bounds(loop1)
        with ir.InsertionPoint(before), loop1.location:
            shared = affine_d.AffineForOp(lb, ub, step)
            with ir.InsertionPoint(shared.body):
                inner_end = affine_d.AffineYieldOp([])
        for key in tf.schedule_attributes(loop1):
            shared.attributes[key] = loop1.attributes[key]
        inner = []
        for loop in (loop1, loop2):
            loop_iv(loop).replace_all_uses_with(shared.induction_variable)
            inner.append(tf.body_ops(loop_body(loop)))
        _merge(inner[0], inner[1], inner_end.operation, first)
        loop1.erase()
        loop2.erase()
    if not ops1 and not ops2:
        return
    with ir.InsertionPoint(before), before.location:
        branch = scf_d.IfOp(first, [], has_else=True)
        with ir.InsertionPoint(branch.then_block):
            then_end = scf_d.YieldOp([])
        with ir.InsertionPoint(branch.else_block):
            else_end = scf_d.YieldOp([])
    for op in ops1:
        op.move_before(then_end.operation)
    for op in ops2:
        op.move_before(else_end.operation)
