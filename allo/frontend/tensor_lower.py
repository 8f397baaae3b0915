"""Back from tensor-level IR to buffers, for builds of an ``enable_tensor=True`` schedule.

Every backend (CPU, HLS C++, csim) reads buffer IR; :func:`bufferize_copy` gives it a copy of
the tensor-level module after upstream ``one-shot-bufferize`` (function boundaries included,
identity layouts), so a tensor schedule builds to the same results as its buffer twin. The
user's names survive where they can: ``tensor.empty`` and the ops that fill a declared array
carry the array's ``name``, and the buffer bufferization creates for it gets it back.

>>> import allo, numpy as np
>>> from allo.ir.types import int32
>>> def add(A: int32[4], B: int32[4]) -> int32[4]:
...     return A + B
>>> add.__module__ = "my_kernels"  # a user's kernel (those of allo.* are library ones)
>>> s = allo.customize(add, enable_tensor=True)
>>> "tensor<4xi32>" in str(s.module), "memref<4xi32>" in str(bufferize_copy(s.module, s.context))
(True, True)
"""

from __future__ import annotations

from .._mlir import ir, linalg_d, passmanager
from ..errors import BuildError

BUFFERIZE = ("builtin.module(one-shot-bufferize{bufferize-function-boundaries "
             "function-boundary-type-conversion=identity-layout-map})")


def bufferize_copy(module, context):
    """A buffer-IR copy of tensor-level ``module`` (the original is not changed)."""
    with context, ir.Location.unknown():
        text = module.operation.get_asm(enable_debug_info=True)
        copy = ir.Module.parse(text)
        try:
            passmanager.PassManager.parse(BUFFERIZE).run(copy.operation)
        except ir.MLIRError as err:
            first = str(err).splitlines()[0] if str(err) else "bufferization failed"
            raise BuildError(f"cannot lower the enable_tensor=True program to buffers "
                             f"({first})") from err
        strided_copies_as_linalg(copy)
        restore_names(copy)
    return copy


def restore_names(module) -> None:
    """Give each unnamed ``memref.alloc`` the ``name`` of the op that first writes it."""

    def visit(op):
        if op.name == "memref.alloc" and "name" not in op.attributes:
            for use in op.results[0].uses:
                owner = use.owner.operation
                if "name" in owner.attributes and owner.name.startswith("linalg."):
                    op.attributes["name"] = owner.attributes["name"]
                    del owner.attributes["name"]
                    break
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)


def strided_copies_as_linalg(module) -> None:
    """``memref.copy`` from or into a strided view (a slice of a tensor, bufferized) becomes
    ``linalg.copy``: the CPU lowering would otherwise call a runtime copy routine that the
    execution engine does not link."""
    copies = [op for op in all_ops(module.operation)
              if op.name == "memref.copy" and any(not plain(v.type) for v in op.operands)]
    for op in copies:
        src, dst = op.operands
        new = linalg_d.CopyOp([], [src], [dst], loc=op.location, ip=ir.InsertionPoint(op))
        linalg_d.fill_builtin_region(new.operation)
        op.erase()


def plain(t) -> bool:
    """Whether memref type ``t`` has the identity layout (no strides or offset)."""
    shaped = ir.MemRefType(t)
    return t == ir.MemRefType.get(shaped.shape, shaped.element_type,
                                  memory_space=shaped.memory_space)


def all_ops(root) -> list:
    """Every operation nested in ``root``, in pre-order (a list: safe to rewrite after)."""
    found = []
    for region in root.regions:
        for block in region.blocks:
            for op in block.operations:
                found.append(op.operation)
                found.extend(all_ops(op.operation))
    return found
