"""Buffer lifetimes for the CPU build: small locals on the stack, the others freed.

The frontend allocates every local (scalars too) with ``memref.alloc`` and never frees. On the
CPU that would leak on every call and put ``malloc`` in inner loops, so:

- a static-shape alloc of at most :data:`STACK_LIMIT_BYTES` that does not escape its function
  becomes a ``memref.alloca`` at the top of the function (LLVM then promotes scalars to
  registers);
- any other non-escaping alloc gets a ``memref.dealloc`` at the end of its block;
- a function result that is always a fresh allocation is *owned* by the caller, which frees it
  (:func:`owned_results`); the CPU entry wrapper relies on that for the top function.

A value escapes when it (or a view of it) is returned, yielded, or passed to a call that may
hand it back: one returning a memref that is not always a fresh allocation of its own. (A
buffer passed to a sub-kernel whose array results are all fresh is still freed here: otherwise
every such call in a loop would leak.)
"""

from __future__ import annotations

from ..._mlir import ir, memref_d
from ...mlir_utils import block_ops, collect_ops, func_name, func_ops

STACK_LIMIT_BYTES = 16 * 1024

_VIEWS = {
    "memref.subview", "memref.cast", "memref.reinterpret_cast", "memref.collapse_shape",
    "memref.expand_shape", "memref.transpose", "memref.view", "memref.assume_alignment",
}


def _escapes(value: "ir.Value", returns_arguments: set) -> bool:
    for use in value.uses:
        user = use.owner
        user = user.operation if hasattr(user, "operation") else user
        if user.name in ("func.return", "scf.yield", "affine.yield", "scf.condition",
                         "cf.br", "cf.cond_br"):
            return True
        if user.name in _VIEWS:
            if any(_escapes(r, returns_arguments) for r in user.results):
                return True
        if user.name == "func.call":
            callee = ir.FlatSymbolRefAttr(user.attributes["callee"]).value
            if callee in returns_arguments:
                return True
        if user.name in ("scf.for", "affine.for", "scf.while", "scf.if", "affine.if"):
            return True  # carried through a loop/branch: ownership becomes unclear
    return False


def _funcs_returning_arguments(module, owned: dict) -> set:
    """Functions with a memref result that may be one of their arguments (or a view of one):
    any memref result not always a fresh allocation (``owned``, :func:`owned_results`)."""
    out = set()
    for f in func_ops(module):
        name = func_name(f)
        ft = ir.FunctionType(ir.TypeAttr(f.attributes["function_type"]).value)
        if any(isinstance(t, ir.MemRefType) and not fresh
               for t, fresh in zip(ft.results, owned.get(name, [False] * len(ft.results)))):
            out.add(name)
    return out


def owned_results(module: "ir.Module") -> dict:
    """``{function name: [bool per result]}``: True when that result is always a fresh alloc."""
    funcs = {func_name(f): f for f in func_ops(module)}
    memo: dict = {}

    def owned(name, index, visiting):
        key = (name, index)
        if key in memo:
            return memo[key]
        if key in visiting or name not in funcs or not funcs[name].regions[0].blocks:
            return False
        visiting = visiting | {key}
        returns = collect_ops(funcs[name], lambda o: o.name == "func.return")
        answer = bool(returns)
        for ret in returns:
            value = ret.operands[index]
            if any(value == ret.operands[j] for j in range(index)):
                answer = False  # the same buffer returned twice is freed once, via the first
                break
            if not isinstance(value.type, ir.MemRefType) or isinstance(value, ir.BlockArgument):
                answer = False
                break
            op = value.owner.operation if hasattr(value.owner, "operation") else value.owner
            if op.name == "memref.alloc":
                continue
            if op.name == "func.call":
                callee = ir.FlatSymbolRefAttr(op.attributes["callee"]).value
                if owned(callee, list(op.results).index(value), visiting):
                    continue
            answer = False
            break
        memo[key] = answer
        return answer

    out = {}
    for name, f in funcs.items():
        ft = ir.FunctionType(ir.TypeAttr(f.attributes["function_type"]).value)
        out[name] = [owned(name, i, frozenset()) for i in range(len(ft.results))]
    return out


def static_bytes(type_: "ir.MemRefType") -> int | None:
    """Bytes of a static-shape memref of integers, index or floats (else None)."""
    if not type_.has_static_shape:
        return None
    element = type_.element_type
    if isinstance(element, ir.IntegerType):
        size = max(1, (ir.IntegerType(element).width + 7) // 8)
    elif str(element) == "index":
        size = 8
    elif isinstance(element, ir.FloatType):
        size = ir.FloatType(element).width // 8
    else:
        return None
    count = 1
    for d in type_.shape:
        count *= d
    return count * size


def manage_buffer_lifetimes(module: "ir.Module") -> None:
    """Promote small local buffers to the stack and free the other local buffers (module doc)."""
    with module.context, ir.Location.unknown():
        _manage(module)


def _manage(module):
    owned = owned_results(module)
    returns_arguments = _funcs_returning_arguments(module, owned)
    for f in func_ops(module):
        if not f.regions[0].blocks:
            continue
        entry = f.regions[0].blocks[0]
        candidates = collect_ops(f, lambda o: o.name in ("memref.alloc", "func.call"))
        for op in candidates:
            if op.name == "func.call":
                callee = ir.FlatSymbolRefAttr(op.attributes["callee"]).value
                flags = owned.get(callee, [])
                values = [r for r, mine in zip(op.results, flags) if mine]
            else:
                values = [op.results[0]]
            for value in values:
                if _escapes(value, returns_arguments):
                    continue
                mtype = ir.MemRefType(value.type)
                size = static_bytes(mtype)
                frees = _deallocs_of(value)
                if op.name == "memref.alloc" and size is not None and size <= STACK_LIMIT_BYTES:
                    # a stack buffer must not reach free(): drop the program's own deallocs
                    for dealloc in frees:
                        dealloc.erase()
                    _to_stack(op, entry)
                elif not frees:  # a program that frees its buffer itself keeps doing so
                    _free_at_block_end(op, value)


def _deallocs_of(value: "ir.Value") -> list:
    """The ``memref.dealloc`` ops freeing ``value`` (hand-written MLIR may free its buffers)."""
    out = []
    for use in value.uses:
        user = use.owner
        user = user.operation if hasattr(user, "operation") else user
        if user.name == "memref.dealloc":
            out.append(user)
    return out


def _to_stack(alloc: "ir.Operation", entry: "ir.Block") -> None:
    # insert at the entry block's start, looked up afresh: the previous first op may be an
    # alloc this pass has just replaced and erased
    with ir.InsertionPoint.at_block_begin(entry), alloc.location:
        alloca = memref_d.AllocaOp(alloc.results[0].type, [], [])
    for name in ("name", "allo.type", "unsigned"):
        if name in alloc.attributes:
            alloca.operation.attributes[name] = alloc.attributes[name]
    alloc.results[0].replace_all_uses_with(alloca.result)
    alloc.erase()


def _free_at_block_end(op: "ir.Operation", value: "ir.Value") -> None:
    block = op.block
    terminator = list(block_ops(block))[-1]
    with ir.InsertionPoint(terminator), op.location:
        memref_d.DeallocOp(value)
