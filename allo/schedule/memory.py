"""``partition`` and ``reshape`` (``schedule.md`` §3.1, §3.2, §7).

Both act on a buffer's whole alias class (:class:`allo.analysis.layout.AliasGraph`): the
buffer, callee parameters it is passed to, caller arguments, returned buffers, every call
result of the callee and global constants. Each is a pure check (:func:`plan_partition`,
:func:`plan_reshape`) that raises before anything changes, followed by one commit.

>>> # s.partition(s.A, allo.Partition.Cyclic, dim=1, factor=2); s.reshape(s.B, (2, 5, 2, 5))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._mlir import affine_d, arith_d, ir
from ..analysis import access
from ..analysis.layout import (BLOCK, COMPLETE, CYCLIC, GLOBAL, KIND_NAMES, PARAM, VIEW,
                               AliasGraph, BufferNode, LayoutRecords, PartitionRecord,
                               decode_layout, dims_of_records, is_stream_type, layout_map,
                               layout_str, retype_class, with_layout)
from ..errors import LayoutConflictError, ScheduleArgumentError, ScheduleError, warn
from ..mlir_utils import func_name
from .args import BufferRef
from .diagnostics import schedule_error
from .processors import Buffer, Choice, NonNegativeInt, Shape
from .registry import primitive

CONFLICT_HINT = "use a template id to give the calls separate instances"


def class_members(graph: AliasGraph, node: BufferNode, primitive_name: str) -> list[BufferNode]:
    """``node``'s class, refusing classes a retyping cannot handle (views, mixed shapes)."""
    members = graph.class_of(node)
    shape = tuple(node.type(graph).shape)
    for m in members:
        mtype = m.type(graph)
        if m.kind == VIEW:
            raise schedule_error(
                ScheduleError, primitive_name,
                f"{node.display} is accessed through a view ({m.op.name}) in function "
                f"{m.func}; its layout cannot change", buffer=node.display)
        if isinstance(mtype, ir.MemRefType) and tuple(mtype.shape) != shape:
            raise schedule_error(
                ScheduleError, primitive_name,
                f"{node.display} shares memory with {m.display} of another shape "
                f"{tuple(mtype.shape)}", buffer=node.display)
    return members


# --------------------------------------------------------------------------- partition


@dataclass
class PartitionPlan:
    """What a legal partition changes: the class and its new per-dimension layout."""

    members: list
    dims: list
    record: tuple  # (kind, dim, factor) as requested


def check_partition_dim(label: str, rank: int, dim: int) -> None:
    """``dim`` (0 = every dimension) must be a dimension of the buffer (§3.1)."""
    if dim > rank:
        raise schedule_error(ScheduleArgumentError, "partition",
                             f"Invalid dimension {dim}: {label} has only {rank} "
                             f"dimension{'s' if rank != 1 else ''}", buffer=label)


def _existing_records(graph: AliasGraph, records: LayoutRecords, node: BufferNode) -> list:
    """Records of ``node`` (propagated ones included); a layout present in the IR without
    records (e.g. made by another tool) counts as per-dimension entries of unknown origin."""
    found = records.entries(node.display)
    mtype = node.type(graph)
    try:
        current = decode_layout(mtype)
    except ValueError as err:
        raise schedule_error(ScheduleError, "partition",
                             f"{node.display} has a layout map that is not a partition: "
                             f"{ir.MemRefType(mtype).layout}", buffer=node.display) from err
    recorded = dims_of_records(found, len(current))
    if recorded == list(current) or _same_map(mtype, recorded):
        return found
    return [PartitionRecord(d.kind, k + 1, d.factor, "an existing layout")
            for k, d in enumerate(current) if d is not None]


def _same_map(mtype, dims) -> bool:
    """True when the memref's layout map is the map ``dims`` encode (a block factor that
    does not divide the extent decodes to another factor with the same banks)."""
    mtype = ir.MemRefType(mtype)
    if all(d is None for d in dims):
        return False
    return str(mtype.layout) == str(ir.AffineMapAttr.get(layout_map(list(mtype.shape), dims)))


def _conflict(label, old_source, old_dims, new_dims, rule_text="") -> LayoutConflictError:
    text = (f"{rule_text}{'; ' if rule_text else ''}conflicting layouts in one alias class: "
            f"{old_source} has {layout_str(old_dims)} and {label} requests "
            f"{layout_str(new_dims)}; {CONFLICT_HINT}")
    return schedule_error(LayoutConflictError, "partition", text, buffer=label)


def plan_partition(graph: AliasGraph, records: LayoutRecords, node: BufferNode, kind: int,
                   dim: int, factor: int, replay: bool = False) -> PartitionPlan | None:
    """Apply the re-partition rules of §3.1 and the meet of §7; ``None`` = nothing to do.

    ``replay`` (composition) lets the same request arriving twice be a no-op even on the
    buffer that carries it.
    """
    label = node.display
    members = class_members(graph, node, "partition")
    for m in members:
        mtype = m.type(graph)
        if isinstance(mtype, ir.MemRefType) and is_stream_type(mtype):
            raise schedule_error(ScheduleError, "partition",
                                 f"cannot partition {label}: {m.display} is a stream (FIFO)",
                                 buffer=label)
    rank = ir.MemRefType(node.type(graph)).rank
    existing = _existing_records(graph, records, node)
    old_dims = dims_of_records(existing, rank)
    request = PartitionRecord(kind, dim, factor if kind != COMPLETE else 0, label)
    new_dims = dims_of_records(existing + [request], rank)
    if any(r.dim == 0 and r.kind == COMPLETE for r in existing):  # rule 1
        if (kind, dim) != (COMPLETE, 0):
            warn(f"partition: {label} is already completely partitioned on every dimension; "
                 f"the request ({KIND_NAMES[kind]}, dim={dim}, factor={factor}) is ignored")
        return None
    same = [r for r in existing
            if (r.kind, r.dim, r.dim_layout()) == (kind, dim, request.dim_layout())]
    if same and (replay or all(r.source != label for r in same)):
        return None  # the same layout arriving twice
    if existing and (dim == 0 or any(r.dim == 0 for r in existing)):  # rule 2
        text = (f"Cannot mix all-dim partitioning (dim=0) with per-dimension partitions "
                f"for array {label}")
        others = [r for r in existing if r.source != label]
        if others:
            raise _conflict(label, others[0].source, old_dims, new_dims, text)
        raise schedule_error(ScheduleError, "partition", text, buffer=label)
    for r in existing:  # rule 3
        if r.dim == dim:
            if r.source == label:
                raise schedule_error(
                    ScheduleError, "partition",
                    f"Cannot partition the same array on dimension {dim} twice: {label}",
                    buffer=label)
            raise _conflict(label, r.source, old_dims, new_dims,
                            f"dimension {dim} of {label} is already partitioned")
    return PartitionPlan(members, new_dims, (kind, dim, factor))


def apply_partition(graph: AliasGraph, records: LayoutRecords, node: BufferNode,
                    plan: PartitionPlan) -> None:
    """Commit a plan: retype the class and record the partition on every named member."""
    shape = list(ir.MemRefType(node.type(graph)).shape)
    amap = None if all(d is None for d in plan.dims) else layout_map(shape, plan.dims)
    retype_class(graph, plan.members, lambda t: with_layout(t, amap))
    labels = []
    for m in plan.members:
        if (m.name or m.kind == PARAM) and m.kind != GLOBAL and m.display not in labels:
            labels.append(m.display)
    records.add(labels, *plan.record, source=node.display)


@primitive("partition", args=dict(
    target=Buffer(array=True),
    partition_type=Choice(COMPLETE, BLOCK, CYCLIC, message=(
        "Invalid partition type {value!r} (expected allo.Partition.Complete/Block/Cyclic = "
        "0/1/2)")),
    dim=NonNegativeInt(below="Invalid dimension {value}"),
    factor=NonNegativeInt(below="Invalid factor {value}")))
def partition(state, target: BufferRef, partition_type: int = COMPLETE, dim: int = 0,
              factor: int = 0) -> None:
    """Partition ``target`` (and every array it is passed as) into banks.

    ``partition_type``: ``allo.Partition.Complete`` (one register per element; ``factor``
    is ignored, with a warning when given), ``Block`` (``factor`` contiguous blocks) or
    ``Cyclic`` (``factor`` interleaved banks); ``dim``: the 1-based dimension, ``0`` for
    every dimension.

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def vsum(A: int32[8, 4]) -> int32[8]:
    ...     S: int32[8] = 0
    ...     for i, j in allo.grid(8, 4):
    ...         S[i] += A[i, j]
    ...     return S
    >>> s = allo.customize(vsum)
    >>> s.partition(s.A, allo.Partition.Block, dim=1, factor=2)
    >>> "array_partition variable=v0 block dim=1 factor=2" in s.build(target="vhls").hls_code
    True
    """
    kind = partition_type
    graph = AliasGraph(state.module, state.func_args)
    node = graph.node_of_value(target.value)
    label = node.display
    check_partition_dim(label, target.rank, dim)
    records = state.layout_records()
    plan = plan_partition(graph, records, node, kind, dim, factor, replay=state.replaying)
    if kind == COMPLETE and factor not in (0, 1) and not state.replaying:
        warn(f"partition: factor={factor} is ignored for a complete partition of {label} "
             f"(every element becomes its own register); pass partition_type="
             f"allo.Partition.Block or allo.Partition.Cyclic to split it into {factor} banks")
    if kind in (BLOCK, CYCLIC) and factor == 0:
        warn(f"partition: factor 0 for a {KIND_NAMES[kind]} partition of {label} is "
             f"recorded as is; an HLS build will refuse it (factor must be >= 1)")
    if plan is not None:
        apply_partition(graph, records, node, plan)


# --------------------------------------------------------------------------- reshape

_SHAPE_NEUTRAL_USERS = frozenset({"func.call", "func.return", "linalg.fill", "memref.dealloc"})
_ACCESS_OPS = frozenset({"affine.load", "affine.store", "memref.load", "memref.store"})


@dataclass
class ReshapePlan:
    members: list
    old_shape: tuple
    new_shape: tuple
    copies: list  # memref.copy ops to expand into element loops


def plan_reshape(graph: AliasGraph, node: BufferNode, new_shape: tuple) -> ReshapePlan:
    """Check a reshape of ``node``'s class to ``new_shape`` (§3.2)."""
    label = node.display
    members = class_members(graph, node, "reshape")
    old_shape = tuple(ir.MemRefType(node.type(graph)).shape)
    if math.prod(old_shape) != math.prod(new_shape):
        raise schedule_error(
            ScheduleError, "reshape",
            f"element count mismatch: {label} has shape {old_shape} "
            f"({math.prod(old_shape)} elements) but {new_shape} has {math.prod(new_shape)}",
            buffer=label)
    values = set()
    for m in members:
        if m.kind == GLOBAL:
            raise schedule_error(ScheduleError, "reshape",
                                 f"cannot reshape {label}: it is the global constant "
                                 f"{m.display} (copy it into a local first)", buffer=label)
        mtype = m.type(graph)
        if not isinstance(mtype, ir.MemRefType):
            continue
        if is_stream_type(mtype):
            raise schedule_error(ScheduleError, "reshape",
                                 f"cannot reshape {label}: {m.display} is a stream (FIFO)",
                                 buffer=label)
        if any(d is not None for d in decode_layout(mtype)):
            raise schedule_error(ScheduleError, "reshape",
                                 f"cannot reshape {label}: {m.display} is partitioned "
                                 f"(reshape first, then partition)", buffer=label)
        if m.value is not None:
            values.add(m.value)
    copies = []
    for value in values:
        for use in value.uses:
            user = use.owner.operation if hasattr(use.owner, "operation") else use.owner
            if user.name in _ACCESS_OPS or user.name in _SHAPE_NEUTRAL_USERS:
                continue
            if user.name == "memref.copy":
                if not all(v in values for v in user.operands):
                    copies.append(user)
                continue
            raise schedule_error(ScheduleError, "reshape",
                                 f"cannot reshape {label}: it is used by {user.name} in "
                                 f"function {_func_of(user)}", buffer=label)
    return ReshapePlan(members, old_shape, new_shape, list(dict.fromkeys(copies)))


def _func_of(op) -> str:
    parent = op.parent
    while parent is not None and parent.name != "func.func":
        parent = parent.parent
    return func_name(parent) if parent is not None else "?"


def _strides(shape) -> list[int]:
    out, acc = [], 1
    for d in reversed(shape):
        out.append(acc)
        acc *= d
    return list(reversed(out))


def reindex_exprs(exprs, old_shape, new_shape) -> list:
    """Subscripts of the new shape addressing the same row-major element as ``exprs``."""
    linear = None
    for e, s in zip(exprs, _strides(old_shape)):
        term = e if s == 1 else ir.AffineExpr.get_mul(e, ir.AffineConstantExpr.get(s))
        linear = term if linear is None else ir.AffineExpr.get_add(linear, term)
    if linear is None:
        linear = ir.AffineConstantExpr.get(0)
    out = []
    for k, (extent, stride) in enumerate(zip(new_shape, _strides(new_shape))):
        e = linear if stride == 1 else ir.AffineExpr.get_floor_div(
            linear, ir.AffineConstantExpr.get(stride))
        if k > 0:
            e = ir.AffineExpr.get_mod(e, ir.AffineConstantExpr.get(extent))
        out.append(e)
    return out


def _expand_copy(copy_op, shape) -> None:
    """Replace ``memref.copy`` by an element loop nest (so either side can be reshaped)."""
    src, dst = copy_op.operands[0], copy_op.operands[1]
    with copy_op.location:
        point = ir.InsertionPoint(copy_op)
        ivs = []
        for extent in shape:
            loop = affine_d.AffineForOp(0, extent, 1, ip=point)
            with ir.InsertionPoint(loop.body):
                affine_d.AffineYieldOp([])
            ivs.append(loop.induction_variable)
            point = ir.InsertionPoint.at_block_terminator(loop.body)
        ident = ir.AffineMap.get_identity(len(shape))
        load = affine_d.AffineLoadOp(ir.MemRefType(src.type).element_type, src, ivs, ident,
                                     ip=point)
        access.tag_new_load(load, access.element_type_tag(src))
        affine_d.AffineStoreOp(load.result, dst, ivs, ident, ip=point)
    copy_op.erase()


def _rewrite_access(op, old_shape, new_shape) -> None:
    amap = access.access_map(op)
    if amap is not None:
        results = reindex_exprs(list(amap.results), old_shape, new_shape)
        op.attributes["map"] = ir.AffineMapAttr.get(
            ir.AffineMap.get(amap.n_dims, amap.n_symbols, results))
        return
    # memref.load/store: index arithmetic with arith ops (valid for any index operands)
    start = 2 if op.name == "memref.store" else 1
    indices = list(op.operands)[start:]
    with op.location, ir.InsertionPoint(op):
        def const(v):
            return arith_d.ConstantOp(ir.IndexType.get(), v).result

        linear = None
        for v, s in zip(indices, _strides(old_shape)):
            term = v if s == 1 else arith_d.MulIOp(v, const(s)).result
            linear = term if linear is None else arith_d.AddIOp(linear, term).result
        if linear is None:
            linear = const(0)
        new_indices = []
        for k, (extent, stride) in enumerate(zip(new_shape, _strides(new_shape))):
            e = linear if stride == 1 else arith_d.DivUIOp(linear, const(stride)).result
            if k > 0:
                e = arith_d.RemUIOp(e, const(extent)).result
            new_indices.append(e)
    head = list(op.operands)[:start]
    new_op = ir.Operation.create(op.name, results=[r.type for r in op.results],
                                 operands=head + new_indices,
                                 attributes={k: op.attributes[k] for k in op.attributes},
                                 loc=op.location, ip=ir.InsertionPoint(op))
    for old, new in zip(op.results, new_op.results):
        old.replace_all_uses_with(new)
    op.erase()


def apply_reshape(graph: AliasGraph, plan: ReshapePlan) -> None:
    """Commit: expand foreign copies, re-index every access, retype the class."""
    for copy_op in plan.copies:
        _expand_copy(copy_op, plan.old_shape)
    for m in plan.members:
        if m.value is None or not isinstance(m.value.type, ir.MemRefType):
            continue
        users = []
        for use in m.value.uses:
            user = use.owner.operation if hasattr(use.owner, "operation") else use.owner
            if user.name in _ACCESS_OPS and access.access_memref(user) == m.value:
                users.append(user)
        for user in dict.fromkeys(users):
            _rewrite_access(user, plan.old_shape, plan.new_shape)
    retype_class(graph, plan.members, lambda t: with_layout(t, None, plan.new_shape))


@primitive("reshape", args=dict(target=Buffer(array=True), shape=Shape))
def reshape(state, target: BufferRef, shape: tuple) -> None:
    """Give ``target`` (and its alias class) a new shape with the same row-major data.

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def inc(A: int32[8]) -> int32[8]:
    ...     B: int32[8] = 0
    ...     for i in range(8):
    ...         B[i] = A[i] + 1
    ...     return B
    >>> s = allo.customize(inc)
    >>> s.reshape(s.B, (2, 4))
    >>> "int32_t v1[2][4]" in s.build(target="vhls").hls_code
    True
    """
    graph = AliasGraph(state.module, state.func_args)
    node = graph.node_of_value(target.value)
    plan = plan_reshape(graph, node, shape)
    apply_reshape(graph, plan)
