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
from ..mlir_utils import func_name, func_ops, walk_ops

BUFFERIZE = ("builtin.module(one-shot-bufferize{bufferize-function-boundaries "
             "function-boundary-type-conversion=identity-layout-map})")


def bufferize_copy(module, context, func_args: dict | None = None):
    """A buffer-IR copy of tensor-level ``module`` (the original is not changed).

    ``func_args`` (function name → parameter names) names the loads that bufferization
    makes from parameters (``from = "A"``), as the backends' messages expect."""
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
        restore_access_names(copy, func_args or {})
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


def restore_access_names(module, func_args: dict) -> None:
    """Tag each unnamed load/store of a parameter or named alloc with its array's name."""
    for fop in func_ops(module):
        params = func_args.get(func_name(fop), [])
        for op in walk_ops(fop):
            key = {"memref.load": "from", "affine.load": "from", "memref.store": "to",
                   "affine.store": "to"}.get(op.name)
            if key is None or "from" in op.attributes or "to" in op.attributes:
                continue
            buf = op.operands[0 if key == "from" else 1]
            name = array_name(buf, params)
            if name is not None:
                op.attributes[key] = ir.StringAttr.get(name)


def array_name(buf, params: list) -> str | None:
    """The source name of buffer ``buf``: a parameter's, or its alloc's ``name``."""
    owner = buf.owner
    if isinstance(owner, ir.Block):
        number = buf.arg_number
        in_entry = owner.owner.operation.name == "func.func"
        return params[number] if in_entry and number < len(params) else None
    attrs = owner.operation.attributes
    if owner.operation.name == "memref.alloc" and "name" in attrs:
        return ir.StringAttr(attrs["name"]).value
    return None


def strided_copies_as_linalg(module) -> None:
    """``memref.copy`` from or into a strided view (a slice of a tensor, bufferized) becomes
    ``linalg.copy``: the CPU lowering would otherwise call a runtime copy routine that the
    execution engine does not link."""
    copies = [op for op in walk_ops(module.operation)
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

