"""``noalias`` on the data pointers of ``allo_entry`` when its arrays are known to be distinct.

The numpy boundary calls the "distinct arguments" build only with arrays that do not overlap
(``np.may_share_memory``; scalar and result slots are the boundary's own buffers). Telling LLVM
so lets it keep values loaded from one array in registers across stores to another: the row
``C[i, :]`` of the PolyBench ``gemm`` nest (``C[i, j] += alpha * A[i, k] * B[k, j]``) then
stays in vector registers for the whole ``k`` loop instead of being reloaded after every store,
as gcc does with ``restrict`` pointers.

Upstream's ``llvm.noalias`` on a memref argument does not do this: the function lowering moves
it to the descriptor pointers of the ``_mlir_ciface_`` wrapper, not to the data pointers the
kernel loads and stores through. So the attribute is set here, after the conversion, on the
aligned pointer of each memref argument of the LLVM function (a memref of rank ``r`` becomes
``3 + 2r`` arguments: allocated pointer, aligned pointer, offset, sizes, strides). When the
wrapper inlines ``allo_entry``, LLVM turns these attributes into scoped alias metadata.

>>> from allo.backend.llvm.module import invoke_mlir_parser
>>> from allo.backend.llvm.lower_to_llvm import lower_to_llvm_dialect
>>> m = invoke_mlir_parser('''func.func @allo_entry(%a: memref<4xf32>, %b: memref<2x2xf32>)
...     attributes {llvm.emit_c_interface} { return }''')
>>> lower_to_llvm_dialect(m, distinct_args=True)
>>> [i for i, a in enumerate(aligned_pointer_attrs(m)) if "noalias" in str(a)]
[1, 6]
"""

from __future__ import annotations

from collections.abc import Collection

from ..._mlir import ir
from ...mlir_utils import func_name, func_ops
from .entry_wrapper import ENTRY_NAME

__all__ = ["entry_memref_ranks", "mark_entry_args_noalias", "aligned_pointer_attrs",
           "distinct_param_ranks", "mark_params_noalias"]


def _llvm_entry(module: "ir.Module", op_name: str):
    for op in module.body.operations:
        if op.operation.name == op_name and \
                ir.StringAttr(op.attributes["sym_name"]).value == ENTRY_NAME:
            return op
    return None


def entry_memref_ranks(module: "ir.Module") -> list[int] | None:
    """Ranks of ``allo_entry``'s memref parameters (before LLVM lowering), ``None`` if absent
    or if a parameter is not a ranked memref."""
    entry = _llvm_entry(module, "func.func")
    if entry is None:
        return None
    inputs = ir.FunctionType(ir.TypeAttr(entry.attributes["function_type"]).value).inputs
    if not all(isinstance(t, ir.MemRefType) for t in inputs):
        return None
    return [ir.MemRefType(t).rank for t in inputs]


def mark_entry_args_noalias(module: "ir.Module", ranks: list[int]) -> None:
    """Set ``llvm.noalias`` on the aligned pointer of every memref argument of the lowered
    ``allo_entry`` (``ranks`` from :func:`entry_memref_ranks` before the lowering)."""
    entry = _llvm_entry(module, "llvm.func")
    if entry is None:
        return
    with module.context:
        _mark_aligned_pointers(entry, ranks)


def distinct_param_ranks(module: "ir.Module", distinct: Collection[str]) -> dict:
    """Per function named in ``distinct`` (those whose array parameters never overlap: the
    top function and the sub-kernels that inherit the promise,
    :func:`~allo.backend.llvm.distinct_params.functions_with_distinct_params`): the rank of
    each parameter, ``None`` for a scalar. Taken before the LLVM lowering.

    A sub-kernel the optimiser does not inline into ``allo_entry`` would otherwise lose the
    promise: its loops then reload an output row after every store and guard the vector
    code with run-time overlap tests (PolyBench ``2mm``'s ``mm``)."""
    ranks = {}
    for f in func_ops(module):
        name = func_name(f)
        if name in distinct and name != ENTRY_NAME and f.regions[0].blocks:
            inputs = ir.FunctionType(ir.TypeAttr(f.attributes["function_type"]).value).inputs
            ranks[name] = [ir.MemRefType(t).rank if isinstance(t, ir.MemRefType) else None
                           for t in inputs]
    return ranks


def _llvm_arg_count(rank: int | None) -> int:
    return 1 if rank is None else 3 + 2 * rank


def mark_params_noalias(module: "ir.Module", ranks_by_function: dict) -> None:
    """Set ``llvm.noalias`` on the aligned pointer of every memref parameter of the lowered
    functions in ``ranks_by_function`` (from :func:`distinct_param_ranks`)."""
    with module.context:
        for op in module.body.operations:
            if op.operation.name != "llvm.func":
                continue
            ranks = ranks_by_function.get(ir.StringAttr(op.attributes["sym_name"]).value)
            if ranks is not None:
                _mark_aligned_pointers(op, ranks)


def _mark_aligned_pointers(func, ranks: list) -> None:
    count = sum(_llvm_arg_count(r) for r in ranks)
    old = func.attributes["arg_attrs"] if "arg_attrs" in func.attributes else None
    attrs = [old[i] if old is not None else ir.DictAttr.get({}) for i in range(count)]
    position = 0
    for rank in ranks:
        if rank is not None:
            values = {a.name: a.attr for a in ir.DictAttr(attrs[position + 1])}
            values["llvm.noalias"] = ir.UnitAttr.get()
            attrs[position + 1] = ir.DictAttr.get(values)
        position += _llvm_arg_count(rank)
    func.attributes["arg_attrs"] = ir.ArrayAttr.get(attrs)


def aligned_pointer_attrs(module: "ir.Module") -> list:
    """The argument attributes of the lowered ``allo_entry`` (one per LLVM argument)."""
    entry = _llvm_entry(module, "llvm.func")
    if entry is None or "arg_attrs" not in entry.attributes:
        return []
    return list(ir.ArrayAttr(entry.attributes["arg_attrs"]))
