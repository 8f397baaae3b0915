"""The only importer of the MLIR provider (the ``torch-mlir`` wheel's upstream bindings).

Every other module imports MLIR through here, so the provider can be swapped in one place::

    from allo._mlir import ir, func_d, affine_d, arith_d
"""

from torch_mlir import ir, passmanager, execution_engine  # noqa: F401
from torch_mlir.dialects import (  # noqa: F401
    affine as affine_d,
    arith as arith_d,
    cf as cf_d,
    builtin as builtin_d,
    func as func_d,
    linalg as linalg_d,
    math as math_d,
    memref as memref_d,
    scf as scf_d,
    tensor as tensor_d,
    bufferization as bufferization_d,
    llvm as llvm_d,
    ub as ub_d,
)
from torch_mlir.runtime import (  # noqa: F401
    get_ranked_memref_descriptor,
    get_unranked_memref_descriptor,
    make_nd_memref_descriptor,
    ranked_memref_to_numpy,
)


def _stub_dialect_module(namespace: str) -> None:
    """Make ``torch_mlir.dialects.<namespace>`` importable as an empty module.

    The bindings look up a Python module for the dialect of every op they wrap; for our
    unregistered ``allo.*`` ops that lookup fails and is retried on every op (a file-system
    search each time, ~0.2 ms). An empty module answers it at once; the ops stay generic."""
    import sys  # noqa: PLC0415 - only here
    import types  # noqa: PLC0415

    name = f"torch_mlir.dialects.{namespace}"
    if name not in sys.modules:
        sys.modules[name] = types.ModuleType(name, "Unregistered allo.* ops (generic OpViews).")


_stub_dialect_module("allo")


def new_context() -> "ir.Context":
    """A fresh MLIR context that accepts the ``allo.*`` ops of docs/ir.md (unregistered)."""
    ctx = ir.Context()
    ctx.allow_unregistered_dialects = True
    return ctx
