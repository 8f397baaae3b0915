"""Which array parameters a function may write (decides write-back of converted arguments).

Conservative where the IR is opaque: a use the analysis does not understand counts as a write.
Calls are followed into callees (bodiless callees are assumed to write).

>>> from allo.backend.llvm import invoke_mlir_parser
>>> m = invoke_mlir_parser('''func.func @k(%A: memref<4xf32>, %B: memref<4xf32>) {
...   %c0 = arith.constant 0 : index
...   %v = memref.load %A[%c0] : memref<4xf32>
...   memref.store %v, %B[%c0] : memref<4xf32>
...   return }''')
>>> params_maybe_written(m, "k")
[False, True]
"""

from __future__ import annotations

from ..._mlir import ir
from ...mlir_utils import find_func

_READS = {"affine.load", "memref.load", "memref.dim", "affine.vector_load", "vector.load",
          "memref.extract_strided_metadata", "memref.extract_aligned_pointer_as_index",
          "func.return", "memref.dealloc"}
_STORES = {"affine.store": 1, "memref.store": 1, "affine.vector_store": 1, "vector.store": 1}
_VIEWS = {"memref.subview", "memref.cast", "memref.reinterpret_cast", "memref.collapse_shape",
          "memref.expand_shape", "memref.transpose", "memref.view", "memref.assume_alignment"}


def _owner(use):
    owner = use.owner
    return owner.operation if hasattr(owner, "operation") else owner


def _linalg_reads_only(op, number: int) -> bool:
    view = op.opview
    inputs = getattr(view, "inputs", None)
    if inputs is None:
        return False
    return number < len(list(inputs))


def params_maybe_written(module: "ir.Module", func: str) -> list:
    """One bool per parameter of ``func``: True when the function may write through it."""
    memo: dict = {}

    def param_written(name, index, visiting):
        key = (name, index)
        if key in memo:
            return memo[key]
        if key in visiting:
            return False  # a cycle adds no new writes
        f = find_func(module, name)
        if f is None or not f.regions[0].blocks:
            return True
        arg = f.regions[0].blocks[0].arguments[index]
        answer = value_written(arg, visiting | {key})
        memo[key] = answer
        return answer

    def value_written(value, visiting):
        for use in value.uses:
            op, number = _owner(use), use.operand_number
            if op.name in _READS:
                continue
            if op.name in _STORES:
                if number == _STORES[op.name]:
                    return True
                continue
            if op.name in _VIEWS:
                if any(value_written(r, visiting) for r in op.results):
                    return True
                continue
            if op.name == "memref.copy":
                if number == 1:
                    return True
                continue
            if op.name == "func.call":
                callee = ir.FlatSymbolRefAttr(op.attributes["callee"]).value
                if param_written(callee, number, visiting):
                    return True
                continue
            if op.name.startswith("linalg.") and _linalg_reads_only(op, number):
                continue
            return True
        return False

    f = find_func(module, func)
    count = len(f.regions[0].blocks[0].arguments) if f.regions[0].blocks else 0
    return [param_written(func, i, frozenset()) for i in range(count)]
