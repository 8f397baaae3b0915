"""Loop primitives: split, reorder, fuse (restructuring) and unroll, pipeline, parallel
(annotations). ``schedule.md`` §2.1–§2.6.

Each primitive declares its arguments (resolved by the registry before it runs), checks
legality (raising before any change) and then rewrites the loops in place through
``allo.schedule.rewrite``.
"""

from __future__ import annotations

from .._mlir import ir
from ..analysis.loops import LoopNode
from ..errors import ImperfectNestError, NotAffineError, ScheduleArgumentError, ScheduleError
from ..mlir_utils import constant_bounds, loop_body, loop_iv, trip_count
from . import rewrite as tf
from .handles import LoopHandle
from .args import LoopRef
from .diagnostics import schedule_error
from .distribute import apply_distribution, plan_distribution
from .legality import check_permutation_legal, fifo_accessed_in, path_between
from .processors import Bool, Loop, Loops, NonNegativeInt, PositiveInt
from .registry import primitive


def _require_constant_bounds(ref: LoopRef, prim: str) -> tuple[int, int, int]:
    bounds = constant_bounds(ref.op)
    if bounds is None:
        raise schedule_error(NotAffineError, prim,
                             "the loop has non-constant (run-time or outer-loop dependent) "
                             "bounds; only constant bounds are supported",
                             func=ref.func, loop=ref.label)
    if len(ref.op.results):
        raise schedule_error(NotAffineError, prim, "loops carrying values are not supported",
                             func=ref.func, loop=ref.label)
    return bounds


# --------------------------------------------------------------------------- split


@primitive("split", local=True, args=dict(axis=Loop, factor=PositiveInt))
def split(state, axis: LoopRef, factor: int) -> tuple[LoopHandle, LoopHandle]:
    """Split loop ``axis`` into ``<L>.outer`` and ``<L>.inner`` (inner trip count ``factor``).

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def row_sum(X: int32[4, 6]) -> int32[4]:
    ...     out: int32[4] = 0
    ...     for r, c in allo.grid(4, 6):
    ...         out[r] += X[r, c]
    ...     return out
    >>> s = allo.customize(row_sum)
    >>> outer, inner = s.split("c", 4)   # c.inner runs min(4, 6 - 4*c.outer) times
    >>> list(s.get_loops().S_r_c_0.loops)
    ['r', 'c.outer', 'c.inner']
    """
    ref = axis
    lb, ub, step = _require_constant_bounds(ref, "split")
    trip = trip_count(lb, ub, step)
    if factor >= trip:
        raise schedule_error(
            ScheduleArgumentError, "split",
            f"requested tiling factor {factor} larger than the upper bound (trip count "
            f"{trip}); the factor must be smaller than the trip count",
            func=ref.func, loop=ref.label)
    outer, inner = _rewrite_split(ref, lb, step, trip, factor)
    return (LoopHandle(ref.func, ref.stage.name, f"{ref.name}.outer", outer),
            LoopHandle(ref.func, ref.stage.name, f"{ref.name}.inner", inner))


def _rewrite_split(ref: LoopRef, lb: int, step: int, trip: int, factor: int):
    old = ref.op
    attrs = tf.schedule_attributes(old)
    outer_attrs = {"loop_name": tf.str_attr(f"{ref.name}.outer")}
    if "op_name" in attrs:
        outer_attrs["op_name"] = attrs.pop("op_name")
    if "reduction" in attrs:
        outer_attrs["reduction"] = attrs["reduction"]
    attrs["loop_name"] = tf.str_attr(f"{ref.name}.inner")
    n_outer = -(-trip // factor)
    const = ir.AffineMap.get_constant
    outer = tf.new_affine_for(const(0), [], const(n_outer), [], 1, outer_attrs, old.location,
                              ir.InsertionPoint(old))
    outer_iv = loop_iv(outer)
    if trip % factor == 0:
        ub_map, ub_operands = const(factor), []
    else:
        d0 = tf.dim_expr(0)
        ub_map = ir.AffineMap.get(1, 0, [tf.const_expr(factor), d0 * (-factor) + trip])
        ub_operands = [outer_iv]
    inner = tf.new_affine_for(const(0), [], ub_map, ub_operands, 1, attrs, old.location,
                              ir.InsertionPoint.at_block_terminator(loop_body(outer)))
    inner_body = loop_body(inner)
    tf.move_body(loop_body(old), inner_body)
    d0, d1 = tf.dim_expr(0), tf.dim_expr(1)
    tf.replace_iv(loop_iv(old), [outer_iv, loop_iv(inner)],
                  (d0 * factor + d1) * step + lb)
    old.erase()
    return outer, inner


# --------------------------------------------------------------------------- reorder


@primitive("reorder", local=True, args=dict(loops=Loops(at_least=2)))
def reorder(state, *loops: LoopRef) -> None:
    """Permute loops of one nest: the depths the named loops occupy are refilled with them in
    argument order (``reorder("k", "c")`` on ``(r, c, k)`` gives ``(r, k, c)``).

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def row_sum(X: int32[4, 6]) -> int32[4]:
    ...     out: int32[4] = 0
    ...     for r, c in allo.grid(4, 6):
    ...         out[r] += X[r, c]
    ...     return out
    >>> s = allo.customize(row_sum)
    >>> s.reorder("c", "r")
    >>> list(s.get_loops().S_r_c_0.loops)
    ['c', 'r']
    """
    refs = list(loops)
    chain = _chain_of(refs, "reorder")
    named = {id(r.node) for r in refs}
    slots = [k for k, node in enumerate(chain) if id(node) in named]
    new_order = list(chain)
    for slot, ref in zip(slots, refs):
        new_order[slot] = ref.node
    for node in chain:
        if node.op.name != "affine.for" or len(node.op.results):
            raise schedule_error(NotAffineError, "reorder",
                                 f"loop {node.name} has run-time bounds or carries values; "
                                 f"only affine loops can be reordered", func=refs[0].func,
                                 loop=f"{refs[0].stage.name}.{node.name}")
    if [id(n) for n in new_order] != [id(n) for n in chain]:
        _refuse_reordered_fifo(refs[0], chain[0])
    plan = plan_distribution(refs[0], chain, "reorder")
    check_permutation_legal(refs[0], chain, new_order, "reorder")
    apply_distribution(plan, _loop_names(refs[0]))
    if [id(n) for n in new_order] != [id(n) for n in chain]:
        _rewrite_permutation(chain, new_order)


def _refuse_reordered_fifo(ref: LoopRef, outermost: LoopNode) -> None:
    """A FIFO is read and written in row-major order (§4.1): permuting loops that access one
    would read the elements in another order than they were written."""
    fifo = fifo_accessed_in(outermost.op)
    if fifo is not None:
        raise schedule_error(
            ScheduleError, "reorder",
            f"the loops access the FIFO {fifo}, which must be accessed in row-major order; "
            f"reordering them would change the order of its elements",
            func=ref.func, loop=ref.label)


def _loop_names(ref: LoopRef) -> set[str]:
    return {node.name for node in ref.nest.all_loops()}


def _chain_of(refs: list[LoopRef], prim: str) -> list[LoopNode]:
    """Loops from the outermost named one down to the innermost named one (one path)."""
    first = refs[0]
    for ref in refs[1:]:
        if ref.func != first.func or ref.stage is not first.stage:
            raise schedule_error(
                ScheduleError, prim,
                f"all loops must be in one stage of one function; got {first.func}:"
                f"{first.label} and {ref.func}:{ref.label}", func=first.func)
    seen = set()
    for ref in refs:
        if id(ref.node) in seen:
            raise schedule_error(ScheduleArgumentError, prim, f"loop {ref.name} is listed twice",
                                 func=ref.func, loop=ref.label)
        seen.add(id(ref.node))
    deepest = max(refs, key=lambda r: r.node.depth)
    shallowest = min(refs, key=lambda r: r.node.depth)
    chain = path_between(shallowest.node, deepest.node)
    members = {id(n) for n in chain}
    for ref in refs:
        if chain is None or id(ref.node) not in members:
            names = ", ".join(r.name for r in refs)
            raise schedule_error(ImperfectNestError, prim,
                                 f"loops {names} are not nested in one another",
                                 func=first.func, loop=ref.label)
    return chain


def _rewrite_permutation(chain: list[LoopNode], new_order: list[LoopNode]) -> None:
    """Rebuild the perfect nest ``chain`` with loop headers in ``new_order``."""
    top = chain[0].op
    stage_name = top.attributes["op_name"] if "op_name" in top.attributes else None
    iv_map: dict = {}
    ip = ir.InsertionPoint(top)
    created = []
    for node in new_order:
        op = node.op
        attrs = tf.schedule_attributes(op)
        attrs.pop("op_name", None)
        if not created and stage_name is not None:
            attrs["op_name"] = stage_name
        lb_map = op.attributes["lowerBoundMap"].value
        ub_map = op.attributes["upperBoundMap"].value
        operands = [iv_map.get(_key(v), v) for v in op.operands]
        new = tf.new_affine_for(lb_map, operands[:lb_map.n_inputs], ub_map,
                                operands[lb_map.n_inputs:], op.attributes["step"].value,
                                attrs, op.location, ip)
        iv_map[_key(node.iv)] = loop_iv(new)
        created.append((node, new))
        ip = ir.InsertionPoint.at_block_terminator(loop_body(new))
    tf.move_body(chain[-1].body, loop_body(created[-1][1]))
    for node, new in created:
        node.iv.replace_all_uses_with(loop_iv(new))
    top.erase()


def _key(value: ir.Value):
    """Hashable identity of an SSA value (Python wrappers are recreated on each access)."""
    return value


# --------------------------------------------------------------------------- fuse


@primitive("fuse", local=True, args=dict(loops=Loops(at_least=2)))
def fuse(state, *loops: LoopRef) -> LoopHandle:
    """Fuse consecutive perfectly nested loops (outermost first) into ``a_b_..._fused``.

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def row_sum(X: int32[4, 6]) -> int32[4]:
    ...     out: int32[4] = 0
    ...     for r, c in allo.grid(4, 6):
    ...         out[r] += X[r, c]
    ...     return out
    >>> s = allo.customize(row_sum)
    >>> fused = s.fuse("r", "c")       # 24 iterations: r = f / 6, c = f % 6
    >>> list(s.get_loops().S_r_c_0.loops)
    ['r_c_fused']
    """
    refs = list(loops)
    for outer, inner in zip(refs, refs[1:]):
        if outer.func != inner.func or inner.node.parent is not outer.node:
            raise schedule_error(
                ImperfectNestError, "fuse",
                "loops to fuse must be consecutive nested loops, listed from outermost to "
                f"innermost ({inner.name} is not directly inside {outer.name})",
                func=outer.func, loop=inner.label)
    chain = [r.node for r in refs]
    bounds = [_require_constant_bounds(r, "fuse") for r in refs]
    plan = plan_distribution(refs[0], chain, "fuse")
    apply_distribution(plan, _loop_names(refs[0]))
    name = "_".join(r.name for r in refs) + "_fused"
    op = _rewrite_fuse(chain, bounds, name)
    return LoopHandle(refs[0].func, refs[0].stage.name, name, op)


def _rewrite_fuse(chain: list[LoopNode], bounds: list[tuple[int, int, int]], name: str):
    top = chain[0].op
    trips = [trip_count(*b) for b in bounds]
    total = 1
    for t in trips:
        total *= t
    attrs = {"loop_name": tf.str_attr(name)}
    if "op_name" in top.attributes:
        attrs["op_name"] = top.attributes["op_name"]
    if all("reduction" in n.op.attributes for n in chain):
        attrs["reduction"] = tf.unit_attr()
    const = ir.AffineMap.get_constant
    fused = tf.new_affine_for(const(0), [], const(total), [], 1, attrs, top.location,
                              ir.InsertionPoint(top))
    body = loop_body(fused)
    tf.move_body(chain[-1].body, body)
    f = tf.dim_expr(0)
    inner_product = total
    for node, (lb, _, step), trip in zip(chain, bounds, trips):
        inner_product //= trip
        expr = ir.AffineExpr.get_floor_div(f, tf.const_expr(inner_product)) \
            if inner_product > 1 else f
        if node is not chain[0]:
            expr = expr % trip
        tf.replace_iv(node.iv, [loop_iv(fused)], expr * step + lb)
    top.erase()
    return fused


# --------------------------------------------------------------------------- annotations


def _set_attr(op, name: str, attr) -> None:
    op.operation.attributes[name] = attr


def _drop_attr(op, name: str) -> None:
    if name in op.operation.attributes:
        del op.operation.attributes[name]


@primitive("unroll", local=True, args=dict(axis=Loop, factor=NonNegativeInt))
def unroll(state, axis: LoopRef, factor: int = 0) -> None:
    """Mark loop ``axis`` for unrolling: ``unroll = <factor>`` (``0`` = fully).

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def row_sum(X: int32[4, 6]) -> int32[4]:
    ...     out: int32[4] = 0
    ...     for r, c in allo.grid(4, 6):
    ...         out[r] += X[r, c]
    ...     return out
    >>> s = allo.customize(row_sum)
    >>> s.unroll("c", 3)
    >>> "#pragma HLS unroll factor=3" in s.build(target="vhls").hls_code
    True
    """
    _set_attr(axis.op, "unroll", tf.ui32_attr(factor))


@primitive("pipeline", local=True,
           args=dict(axis=Loop, initiation_interval=PositiveInt, rewind=Bool))
def pipeline(state, axis: LoopRef, initiation_interval: int = 1, rewind: bool = False) -> None:
    """Mark loop ``axis`` pipelined: ``pipeline_ii = <ii>`` (plus ``rewind``).

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def row_sum(X: int32[4, 6]) -> int32[4]:
    ...     out: int32[4] = 0
    ...     for r, c in allo.grid(4, 6):
    ...         out[r] += X[r, c]
    ...     return out
    >>> s = allo.customize(row_sum)
    >>> s.pipeline("c", initiation_interval=2)
    >>> "#pragma HLS pipeline II=2" in s.build(target="vhls").hls_code
    True
    """
    _set_attr(axis.op, "pipeline_ii", tf.ui32_attr(initiation_interval))
    if rewind:
        _set_attr(axis.op, "rewind", tf.unit_attr())
    else:
        _drop_attr(axis.op, "rewind")


@primitive("parallel", local=True, args=dict(axis=Loop))
def parallel(state, axis: LoopRef) -> None:
    """Mark loop ``axis`` parallel (HLS: full replication).

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def row_sum(X: int32[4, 6]) -> int32[4]:
    ...     out: int32[4] = 0
    ...     for r, c in allo.grid(4, 6):
    ...         out[r] += X[r, c]
    ...     return out
    >>> s = allo.customize(row_sum)
    >>> s.parallel("r")
    >>> "#pragma HLS unroll" in s.build(target="vhls").hls_code
    True
    """
    _set_attr(axis.op, "parallel", tf.unit_attr())
