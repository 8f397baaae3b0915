"""Transposed copies of read-only matrices read column-wise (CPU only; a private copy).

``Z = X·Wᵀ`` written with a row buffer (``buf[j] += X[i, k] * W[j, k]``, the torch ``Linear``
layout of ``allo.library.nn.linear2d``) can vectorize only along ``j`` (a loop over ``k``
innermost would reassociate a float sum), and along ``j`` it walks ``W`` down a column: every
access lands on another cache line. When a 2-D array parameter (or constant global) of a
function is only ever read, and every read ``W[f(j), g]`` sits beside a store whose last
subscript is ``j`` while ``g`` does not use ``j``, this pass copies the array once, transposed,
at the start of the function and redirects the reads: the ``j`` loop then walks the copy with
unit stride (loop permutation, which runs next, keeps it innermost) and LLVM vectorizes it.
Only loads move, so results are bit-identical.

The copy costs one pass over the array; it is made only when the reads outnumber the array's
elements by :data:`MIN_REUSE` or more (the loops around the reads have constant trip counts).

>>> from allo.backend.llvm import invoke_mlir_parser
>>> m = invoke_mlir_parser('''func.func @lin(%X: memref<64x32xf32>, %W: memref<16x32xf32>) {
...   %buf = memref.alloc() : memref<16xf32>
...   affine.for %i = 0 to 64 { affine.for %k = 0 to 32 { affine.for %j = 0 to 16 {
...     %x = affine.load %X[%i, %k] : memref<64x32xf32>
...     %w = affine.load %W[%j, %k] : memref<16x32xf32>
...     %b = affine.load %buf[%j] : memref<16xf32>
...     %p = arith.mulf %x, %w : f32
...     %s = arith.addf %b, %p : f32
...     affine.store %s, %buf[%j] : memref<16xf32> } } }
...   return }''')
>>> transpose_column_reads(m)
1
>>> "memref<32x16xf32>" in str(m)
True
"""

from __future__ import annotations

import math
from collections.abc import Collection

from ..._mlir import affine_d, ir, memref_d
from ...analysis.qor.trips import nest_trip_counts
from ...mlir_utils import LinearForm, collect_ops, find_symbol, func_name, func_ops, linear_form_of
from .distinct_params import functions_with_distinct_params

__all__ = ["transpose_column_reads", "MIN_REUSE"]

MIN_REUSE = 4  # reads per element at least this many times the array size


def _owner(use):
    owner = use.owner
    return owner.operation if hasattr(owner, "operation") else owner


def _parent_op(op):
    parent = op.parent
    return parent.operation if hasattr(parent, "operation") else parent


def _subscript_forms(load):
    """Per subscript: ``{index operand position: coefficient}`` (None when not linear)."""
    amap = ir.AffineMapAttr(load.attributes["map"]).value
    positions = [LinearForm({k: 1}) for k in range(amap.n_inputs)]
    forms = []
    for expr in amap.results:
        lin = linear_form_of(expr, positions[:amap.n_dims], positions[amap.n_dims:])
        forms.append(None if lin is None else dict(lin.coeffs))
    return forms


def _uses_value(form: dict, operands: list, value) -> bool:
    return any(coeff != 0 and operands[pos] == value for pos, coeff in form.items())


def _reads(load) -> float | None:
    """Executions of ``load``: the product of the enclosing loops' (average) trip counts."""
    loops, op = [], _parent_op(load)
    while op is not None and op.name != "func.func":
        if op.name == "affine.for":
            loops.append(op)
        elif op.name not in ("affine.if", "scf.if"):
            return None
        op = _parent_op(op)
    counts = nest_trip_counts(loops[::-1])
    return None if counts is None else math.prod(counts)


def _store_lanes(block) -> list:
    """Loop variables that are the whole last subscript of a store in ``block``: the loops
    along which those stores are unit-stride (and vectorize without reassociation)."""
    lanes = []
    for op in block.operations:
        op = op.operation if hasattr(op, "operation") else op
        if op.name != "affine.store":
            continue
        forms = _subscript_forms(op)
        if not forms or forms[-1] is None or len(forms[-1]) != 1:
            continue
        (position, coeff), = forms[-1].items()
        if abs(coeff) == 1:
            lanes.append(list(op.operands)[2:][position])
    return lanes


def _qualifies(load) -> bool:
    """A read ``W[f(j), g]`` next to a store ``Z[..., j]``: ``j`` is the loop to vectorize, and
    it walks ``W`` down a column (``g`` does not use ``j``)."""
    forms = _subscript_forms(load)
    if len(forms) != 2 or None in forms:
        return False
    operands = list(load.operands)[1:]
    return any(_uses_value(forms[0], operands, lane) and not _uses_value(forms[1], operands, lane)
               for lane in _store_lanes(load.block))


def _candidate_loads(value) -> list | None:
    """The loads of ``value`` when it is only ever read by affine loads, one of which at
    least qualifies (the others, e.g. ``A[i, k]`` beside ``A[j, k]``, move to the copy too)."""
    loads = []
    for use in value.uses:
        owner = _owner(use)
        if owner.name != "affine.load" or use.operand_number != 0:
            return None
        loads.append(owner)
    return loads if any(_qualifies(load) for load in loads) else None


def _profitable(loads: list, shape: tuple) -> bool:
    reads = 0
    for load in loads:
        count = _reads(load)
        if count is None:
            return False
        reads += count
    return reads >= MIN_REUSE * shape[0] * shape[1]


def _transposed_copy(value, shape: tuple, element, point) -> "ir.Value":
    copy = memref_d.AllocOp(ir.MemRefType.get([shape[1], shape[0]], element), [], [], ip=point)
    rows = affine_d.AffineForOp(0, shape[0], 1, ip=point)
    with ir.InsertionPoint(rows.body):
        cols = affine_d.AffineForOp(0, shape[1], 1)
        with ir.InsertionPoint(cols.body):
            r, c = rows.induction_variable, cols.induction_variable
            identity = ir.AffineMap.get_identity(2)
            swap = ir.AffineMap.get(2, 0, [ir.AffineDimExpr.get(1), ir.AffineDimExpr.get(0)])
            v = affine_d.AffineLoadOp(element, value, [r, c], identity)
            affine_d.AffineStoreOp(v.result, copy.result, [r, c], swap)
            affine_d.AffineYieldOp([])
        affine_d.AffineYieldOp([])
    return copy.result


def _redirect(load, copy) -> None:
    amap = ir.AffineMapAttr(load.attributes["map"]).value
    swapped = ir.AffineMap.get(amap.n_dims, amap.n_symbols, [amap.results[1], amap.results[0]])
    with ir.InsertionPoint(load), load.location:
        new = affine_d.AffineLoadOp(load.results[0].type, copy, list(load.operands)[1:], swapped)
    for name in ("from", "name"):
        if name in load.attributes:
            new.operation.attributes[name] = load.attributes[name]
    load.results[0].replace_all_uses_with(new.result)
    load.erase()


_VIEWS = {"memref.subview", "memref.cast", "memref.reinterpret_cast", "memref.collapse_shape",
          "memref.expand_shape", "memref.transpose", "memref.view"}
_READS = {"affine.load", "memref.load", "memref.dim"}


def _may_write(value) -> bool:
    """Whether any user of ``value`` (through views) may write it or pass it on."""
    for use in value.uses:
        owner = _owner(use)
        if owner.name in _VIEWS:
            if _may_write(owner.results[0]):
                return True
        elif owner.name not in _READS:
            return True
    return False


def _matrices(module, func, entry, distinct: bool) -> list:
    """``(values, global name or None)`` per 2-D static memref a function only reads: each
    parameter it does not write when its parameters are ``distinct``, else each parameter when
    it writes none of them (one may alias another the caller passed), and each constant global
    it reads (all its ``get_global`` results together)."""
    args = [a for a in entry.arguments if isinstance(a.type, ir.MemRefType)]
    if distinct:
        found = [([a], None) for a in args if not _may_write(a)]
    else:
        found = [] if any(_may_write(a) for a in args) else [([a], None) for a in args]
    by_global: dict = {}
    for op in collect_ops(func, lambda o: o.name == "memref.get_global"):
        name = ir.FlatSymbolRefAttr(op.attributes["name"]).value
        glob = find_symbol(module, name, "memref.global")
        if glob is not None and "constant" in glob.attributes:
            by_global.setdefault(name, []).append(op.results[0])
    found += [(values, name) for name, values in by_global.items()]
    out = []
    for values, name in found:
        mtype = ir.MemRefType(values[0].type)
        if mtype.rank == 2 and mtype.has_static_shape and str(mtype.layout) in (
                "affine_map<(d0, d1) -> (d0, d1)>", ""):
            out.append((values, name))
    return out


def _all_loads(values) -> list | None:
    loads = []
    for value in values:
        found = _candidate_loads(value)
        if found is None:
            return None
        loads += found
    return loads or None


def transpose_column_reads(module: "ir.Module", distinct_args_of: str | None = None, *,
                           distinct_functions: Collection[str] | None = None) -> int:
    """Apply the rewrite (module docstring) to every function; returns how many arrays.

    ``distinct_args_of`` names the function whose array parameters never overlap (the top
    function; callees inherit it, :mod:`allo.backend.llvm.distinct_params`): there a matrix
    parameter that is only read qualifies even though the function writes another one.
    ``distinct_functions``, when given, is that analysis already done (the CPU pipeline does
    it once per build) and replaces it.
    """
    count = 0
    with module.context, ir.Location.unknown():
        distinct = distinct_functions if distinct_functions is not None else \
            functions_with_distinct_params(module, distinct_args_of)
        for func in func_ops(module):
            if not func.regions[0].blocks:
                continue
            entry = func.regions[0].blocks[0]
            for values, global_name in _matrices(module, func, entry,
                                                 func_name(func) in distinct):
                mtype = ir.MemRefType(values[0].type)
                shape = tuple(mtype.shape)
                loads = _all_loads(values)
                if loads is None or shape[0] == 1 or not _profitable(loads, shape):
                    continue
                point = ir.InsertionPoint.at_block_begin(entry)
                source = values[0] if global_name is None else \
                    memref_d.GetGlobalOp(mtype, global_name, ip=point).result
                copy = _transposed_copy(source, shape, mtype.element_type, point)
                for load in loads:
                    _redirect(load, copy)
                count += 1
    return count
