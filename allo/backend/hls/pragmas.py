"""``#pragma HLS`` lines from schedule attributes and memref types (``schedule.md`` §11).

Partitioning is read back from the memref layout map (``schedule.md`` §10) by
:func:`allo.analysis.layout.decode_layout`, the reading the QoR estimate shares.

>>> from allo._mlir import ir, new_context
>>> with new_context():
...     t = ir.Type.parse("memref<6x12xi32, affine_map<(d0, d1) -> (d0 mod 2, 0, d0 floordiv 2, d1)>>")
...     array_pragmas("v0", t)
['#pragma HLS array_partition variable=v0 cyclic dim=1 factor=2']
"""

from __future__ import annotations

from ..._mlir import ir
from ...analysis.layout import COMPLETE, KIND_NAMES, decode_layout
from ...diagnostics import SourceLoc
from ...errors import BuildError

_RESOURCES = {0: None, 1: "bram", 2: "uram", 3: "lutram", 4: "srl"}
_STORAGES = {0: None, 1: "ram_1p", 2: "ram_2p", 3: "ram_t2p", 4: "ram_1wnr", 5: "ram_s2p",
             6: "rom_1p", 7: "rom_2p", 8: "rom_np"}


def loop_pragmas(op) -> list[str]:
    """Pragmas opening a loop body: dataflow, pipeline (``rewind``), unroll/parallel."""
    attrs = op.operation.attributes
    out = []
    if "dataflow" in attrs:
        out.append("#pragma HLS dataflow")
    if "pipeline_ii" in attrs:
        ii = ir.IntegerAttr(attrs["pipeline_ii"]).value
        out.append(f"#pragma HLS pipeline II={ii}" + (" rewind" if "rewind" in attrs else ""))
    if "unroll" in attrs:
        factor = ir.IntegerAttr(attrs["unroll"]).value
        out.append("#pragma HLS unroll" if factor == 0 else f"#pragma HLS unroll factor={factor}")
    elif "parallel" in attrs:
        out.append("#pragma HLS unroll")
    return out


def function_pragmas(func_op) -> list[str]:
    """``#pragma HLS dataflow`` / ``#pragma HLS inline`` for annotated functions."""
    attrs = func_op.operation.attributes
    out = []
    if "dataflow" in attrs:
        out.append("#pragma HLS dataflow")
    if "inline" in attrs:
        out.append("#pragma HLS inline")
    return out


def array_pragmas(var: str, mtype, is_stream: bool = False) -> list[str]:
    """Stream depth, bind_storage and array_partition pragmas of array ``var``."""
    mt = ir.MemRefType(mtype)
    out = []
    space = mt.memory_space
    if is_stream:
        depth = str(space).strip('"').split(":")[1]
        out.append(f"#pragma HLS stream variable={var} depth={depth}")
    elif space is not None and isinstance(space, ir.IntegerAttr):
        out.extend(_bind_storage(var, ir.IntegerAttr(space).value))
    out.extend(_partitions(var, mt))
    return out


def _bind_storage(var: str, code: int) -> list[str]:
    resource = _RESOURCES.get(code // 16)
    storage = _STORAGES.get(code % 16)
    if code // 16 not in _RESOURCES or code % 16 not in _STORAGES:
        raise BuildError(f"invalid memory space {code} on array {var}")
    if resource is None and storage is None:
        return []
    text = f"#pragma HLS bind_storage variable={var}"
    if storage is not None:
        text += f" type={storage}"
    if resource is not None:
        text += f" impl={resource}"
    return [text]


def _partitions(var: str, mt) -> list[str]:
    try:
        dims = decode_layout(mt)
    except ValueError:
        return []  # a view's layout (a transpose, say), not a partition: nothing to emit
    out = []
    for k, dim in enumerate(dims):
        if dim is None:
            continue
        if dim.kind != COMPLETE and dim.factor < 1:
            # set by s.partition, not written in the kernel: named at the user's build call
            raise BuildError(f"partition factor must be >= 1 (array {var}, dimension {k + 1})",
                             loc=SourceLoc.user_call_site())
        if dim.kind == COMPLETE:
            if mt.shape[k] == 1:
                continue
            out.append(f"#pragma HLS array_partition variable={var} complete dim={k + 1}")
        elif dim.factor != 1:
            out.append(f"#pragma HLS array_partition variable={var} {KIND_NAMES[dim.kind]} "
                       f"dim={k + 1} factor={dim.factor}")
    return out
