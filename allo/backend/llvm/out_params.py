"""Array results of the top function become caller-provided output buffers.

The CPU entry point receives one numpy buffer per array result. Writing the result straight
into it avoids a full copy after the kernel: a returned buffer that the top function allocates
itself (the usual ``B: int32[4] = 0 ... return B``) is replaced by the new parameter; anything
else (a parameter, a view, a global) is copied into it element by element before returning.

The new parameters are appended after the original ones and inherit the result's type tags
(``itypes``/``allo.itypes`` grow, ``otypes``/``allo.otypes`` shrink), so the odd-width
legalisation that runs later extends stores with the declared signedness.

>>> from allo.backend.llvm import invoke_mlir_parser
>>> m = invoke_mlir_parser('''func.func @k(%a: memref<4xi32>) -> memref<4xi32> {
...   %r = memref.alloc() : memref<4xi32>
...   return %r : memref<4xi32> }''')
>>> results_to_out_params(m, "k")
[('out', 1)]
>>> "memref.alloc" in str(m)
False
"""

from __future__ import annotations

from ..._mlir import ir, memref_d, scf_d
from ...diagnostics import SourceLoc
from ...errors import BuildError
from ...mlir_utils import collect_ops, find_func
from . import arith_builder as ab

__all__ = ["results_to_out_params", "copy_elements"]


def copy_elements(src: "ir.Value", dst: "ir.Value") -> None:
    """Element-wise copy at the current insertion point (any layout; no runtime library)."""
    rank = ir.MemRefType(src.type).rank
    zero, one = ab.const_index(0), ab.const_index(1)

    def nest(indices):
        if len(indices) == rank:
            memref_d.StoreOp(memref_d.LoadOp(src, indices).result, dst, indices)
            return
        bound = memref_d.DimOp(src, ab.const_index(len(indices))).result
        loop = scf_d.ForOp(zero, bound, one)
        with ir.InsertionPoint(loop.body):
            nest(indices + [loop.induction_variable])
            scf_d.YieldOp([])

    nest([])


def _op_of(value):
    owner = value.owner
    return owner.operation if hasattr(owner, "operation") else owner


def _retag(func_op, moved: list, kept: list, n_params: int) -> None:
    """Move the type tags of the results in ``moved`` to the new trailing parameters."""
    if "otypes" in func_op.attributes:
        otypes = ir.StringAttr(func_op.attributes["otypes"]).value
        itypes = ir.StringAttr(func_op.attributes["itypes"]).value \
            if "itypes" in func_op.attributes else "_" * n_params
        itypes = itypes.ljust(n_params, "_")
        pick = [otypes[i] if i < len(otypes) else "_" for i in moved]
        func_op.attributes["itypes"] = ir.StringAttr.get(itypes + "".join(pick))
        func_op.attributes["otypes"] = ir.StringAttr.get(
            "".join(otypes[i] if i < len(otypes) else "_" for i in kept))
    if "allo.otypes" in func_op.attributes:
        onames = [ir.StringAttr(a).value for a in ir.ArrayAttr(func_op.attributes["allo.otypes"])]
        inames = [ir.StringAttr(a).value for a in ir.ArrayAttr(func_op.attributes["allo.itypes"])] \
            if "allo.itypes" in func_op.attributes else []
        inames += [""] * (n_params - len(inames))

        def strings(names):
            return ir.ArrayAttr.get([ir.StringAttr.get(n) for n in names])

        func_op.attributes["allo.itypes"] = strings(
            inames + [onames[i] if i < len(onames) else "" for i in moved])
        func_op.attributes["allo.otypes"] = strings(
            [onames[i] if i < len(onames) else "" for i in kept])


def _hoistable_allocs(returns, moved, new_args) -> dict:
    """``{slot: alloc op}`` for results that are plain allocations returned once."""
    if len(returns) != 1:
        return {}
    operands = list(returns[0].operands)
    hoisted = {}
    for slot, i in enumerate(moved):
        value = operands[i]
        if isinstance(value, ir.BlockArgument) or _op_of(value).name != "memref.alloc":
            continue
        if value.type != new_args[slot].type or sum(value == v for v in operands) != 1:
            continue
        hoisted[slot] = _op_of(value)
    return hoisted


def results_to_out_params(module: "ir.Module", top: str) -> list:
    """Rewrite ``top`` (module doc); returns, per original result, ``("out", param index)``
    or ``("result", new result index)``."""
    with module.context, ir.Location.unknown():
        return _convert(module, top)


def _convert(module, top):
    func_op = find_func(module, top)
    if func_op is None:
        raise BuildError(f"Top function '{top}' not found in the module")
    ftype = ir.FunctionType(ir.TypeAttr(func_op.attributes["function_type"]).value)
    params, results = list(ftype.inputs), list(ftype.results)
    moved = [i for i, t in enumerate(results) if isinstance(t, ir.MemRefType)]
    kept = [i for i in range(len(results)) if i not in moved]
    if not moved or not func_op.regions[0].blocks:
        return [("result", i) for i in range(len(results))]
    for i in moved:
        if not ir.MemRefType(results[i]).has_static_shape:
            raise BuildError("the CPU backend cannot return an array of dynamic shape",
                             loc=SourceLoc.of_op(func_op))
    block = func_op.regions[0].blocks[0]
    new_args = []
    for i in moved:
        mtype = ir.MemRefType(results[i])
        plain = ir.MemRefType.get(mtype.shape, mtype.element_type)
        new_args.append(block.add_argument(plain, func_op.location))
    returns = collect_ops(func_op, lambda o: o.name == "func.return")
    hoisted = _hoistable_allocs(returns, moved, new_args)
    for ret in returns:
        with ir.InsertionPoint(ret), ret.location:
            for slot, i in enumerate(moved):
                if slot not in hoisted:
                    copy_elements(ret.operands[i], new_args[slot])
            ir.Operation.create("func.return", operands=[ret.operands[i] for i in kept])
        ret.erase()
    for slot, alloc in hoisted.items():
        alloc.results[0].replace_all_uses_with(new_args[slot])
        alloc.erase()
    if "arg_attrs" in func_op.attributes:
        attrs = list(ir.ArrayAttr(func_op.attributes["arg_attrs"]))
        empty = ir.DictAttr.get({})
        func_op.attributes["arg_attrs"] = ir.ArrayAttr.get(attrs + [empty] * len(new_args))
    new_type = ir.FunctionType.get(params + [a.type for a in new_args],
                                   [results[i] for i in kept])
    func_op.attributes["function_type"] = ir.TypeAttr.get(new_type)
    _retag(func_op, moved, kept, len(params))
    mapping = []
    for i in range(len(results)):
        if i in moved:
            mapping.append(("out", len(params) + moved.index(i)))
        else:
            mapping.append(("result", kept.index(i)))
    return mapping
