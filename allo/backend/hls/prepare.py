"""The HLS-ready private copy of a module (``backends.md`` B1, §4.1).

The user's module is never touched: it is printed (with locations) and parsed into a fresh
context. On the copy, ``wrap_io`` buffers are generated when the platform asks for them and
linalg named ops are lowered to affine loops (upstream ``convert-linalg-to-affine-loops``).
The loops made for a linalg op carry its ``op_name`` as stage name and ``L_0``, ``L_1``, ...
as loop names, as ``customize(..., lower_linalg=True)`` would name them.
"""

from __future__ import annotations

from ..._mlir import ir, new_context, passmanager
from ...diagnostics import SourceLoc
from ...errors import BuildError
from ...mlir_utils import walk_ops
from .io_buffers import generate_input_output_buffers
from .stream_counters import drop_stream_counters

_MARKER = "allo.hls_stage_marker"


def private_copy(mod):
    """A copy of ``mod`` (an ``ir.Module`` or MLIR text) in a fresh context."""
    if isinstance(mod, str):
        text = mod
    else:
        op = mod.operation if hasattr(mod, "operation") else mod
        text = op.get_asm(enable_debug_info=True)
    ctx = new_context()
    try:
        with ctx:
            return ir.Module.parse(text)
    except ir.MLIRError as e:  # pragma: no cover - depends on the caller's text
        raise BuildError(f"cannot parse the module: {e}") from e


def lower_linalg(module) -> None:
    """Lower linalg ops of ``module`` to named affine loop nests, in place."""
    linalg_ops = [op for op in walk_ops(module) if op.operation.name.startswith("linalg.")]
    if not linalg_ops:
        return
    with module.context, ir.Location.unknown():
        for op in linalg_ops:
            attrs = op.operation.attributes
            name = ir.StringAttr(attrs["op_name"]).value if "op_name" in attrs else None
            if name is None:
                continue
            ir.Operation.create(_MARKER, attributes={"op_name": ir.StringAttr.get(name)},
                                ip=ir.InsertionPoint(op))
        try:
            pm = passmanager.PassManager.parse(
                "builtin.module(func.func(convert-linalg-to-affine-loops))")
            pm.run(module.operation)
        except ir.MLIRError as e:
            raise BuildError(f"cannot lower linalg operations for HLS: {e}",
                             loc=SourceLoc.of_diagnostics(e)) from e
        for marker in [op for op in walk_ops(module) if op.operation.name == _MARKER]:
            stage = ir.StringAttr(marker.operation.attributes["op_name"]).value
            nxt = _next_op(marker)
            if nxt is not None and nxt.operation.name == "affine.for":
                _name_nest(nxt, stage)
            marker.operation.erase()


def _next_op(op):
    block = op.operation.block
    found = False
    for other in block.operations:
        if found:
            return other
        if other.operation == op.operation:
            found = True
    return None


def _name_nest(loop, stage: str) -> None:
    loop.operation.attributes["op_name"] = ir.StringAttr.get(stage)
    depth = 0
    while loop is not None and loop.operation.name == "affine.for":
        if "loop_name" not in loop.operation.attributes:
            loop.operation.attributes["loop_name"] = ir.StringAttr.get(f"L_{depth}")
        depth += 1
        body = [o for o in loop.operation.regions[0].blocks[0].operations
                if o.operation.name != "affine.yield"]
        loop = body[0] if len(body) == 1 else None


def prepare_module(mod, top: str, wrap_io: bool, mappings=None):
    """The HLS-ready copy of ``mod`` and, with ``wrap_io``, the I/O buffer description."""
    module = private_copy(mod)
    buffers = None
    if wrap_io:
        buffers = generate_input_output_buffers(module, top, flatten=True, mappings=mappings)
    lower_linalg(module)
    drop_stream_counters(module)
    return module, buffers
