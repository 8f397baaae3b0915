"""``#pragma HLS`` lines from schedule attributes and memref types (``schedule.md`` §11).

Partitioning is read back from the memref layout map (``schedule.md`` §10): per dimension
``k`` the bank/address pair ``(dk, 0)`` is *complete*, ``(dk floordiv s, dk mod s)`` *block*
with factor ``ceil(N / s)``, ``(dk mod f, dk floordiv f)`` *cyclic* with factor ``f``, and
``(0, dk)`` untouched.

>>> from allo._mlir import ir, new_context
>>> with new_context():
...     t = ir.Type.parse("memref<6x12xi32, affine_map<(d0, d1) -> (d0 mod 2, 0, d0 floordiv 2, d1)>>")
...     array_pragmas("v0", t)
['#pragma HLS array_partition variable=v0 cyclic dim=1 factor=2']
"""

from __future__ import annotations

from ..._mlir import ir
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
    layout = mt.layout
    if not isinstance(layout, ir.AffineMapAttr):
        return []
    amap = ir.AffineMapAttr(layout).value
    rank = len(mt.shape)
    results = list(amap.results)
    if amap.n_dims != rank or len(results) != 2 * rank:
        return []
    out = []
    for k in range(rank):
        kind, factor = classify_dim(results[k], results[rank + k], k, mt.shape[k])
        if kind is None:
            continue
        if kind in ("block", "cyclic") and factor < 1:
            # set by s.partition, not written in the kernel: named at the user's build call
            raise BuildError(f"partition factor must be >= 1 (array {var}, dimension {k + 1})",
                             loc=SourceLoc.user_call_site())
        if kind == "complete":
            if mt.shape[k] == 1:
                continue
            out.append(f"#pragma HLS array_partition variable={var} complete dim={k + 1}")
        elif factor != 1:
            out.append(f"#pragma HLS array_partition variable={var} {kind} dim={k + 1} "
                       f"factor={factor}")
    return out


def _is_dim(expr, k: int) -> bool:
    return isinstance(expr, ir.AffineDimExpr) and expr.position == k


def _const(expr):
    return expr.value if isinstance(expr, ir.AffineConstantExpr) else None


def classify_dim(bank, addr, k: int, extent: int):
    """``(kind, factor)`` of dimension ``k`` from its bank and address expressions."""
    if _const(bank) == 0 and _is_dim(addr, k):
        return None, 0
    if _is_dim(bank, k) and _const(addr) == 0:
        return "complete", 0
    if isinstance(bank, ir.AffineFloorDivExpr) and _is_dim(bank.lhs, k):
        size = _const(bank.rhs)
        if size is not None:
            return "block", (-(-extent // size) if size > 0 else 0)
    if isinstance(bank, ir.AffineModExpr) and _is_dim(bank.lhs, k):
        factor = _const(bank.rhs)
        if factor is not None:
            return "cyclic", factor
    return None, 0
