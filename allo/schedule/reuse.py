"""``reuse_at``: line and window (shift) buffers for stencils (``schedule.md`` §3.4).

Under loop ``L`` (trip count ``N``), every read of ``target`` indexes one dimension ``a``
by ``s*L + e``, ``e`` ranging over a window of ``W`` consecutive offsets (constants and
variables of loops nested in ``L``). Consecutive iterations of ``L`` then read overlapping
windows; the rewrite keeps the window in a local buffer ``<stage>_reuse_<p>`` and loads
each element of ``target`` once:

* ``L`` runs over input positions ``iv`` in ``[0, (N-1)*s + W)``;
* each iteration shifts the buffer by one along the window dimension and loads the slice
  ``target[.., m0 + iv, ..]`` into the last slot;
* when ``iv >= W-1`` and ``(iv - (W-1)) mod s == 0``, it runs the original iteration
  ``(iv - (W-1)) / s`` with every read of ``target`` redirected to the buffer.

For ``s = 1`` this is ``N + W - 1`` iterations as in the spec; for ``s > 1`` the spec's
``N*s + W - 1`` would load ``s - 1`` positions past the last window, so the loop stops after
the last window (same results, no read past the data).

Buffer shape: for each dimension before ``a`` the span of its window (dimensions of span
1 are dropped), then ``W``, then the full extents of the dimensions after ``a``. ``p`` is
the number of non-reduction loops of the stage enclosing ``L``.

>>> # lb = s.reuse_at(s.P, "y"); wb = s.reuse_at(lb, "x")
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from .._mlir import affine_d, ir
from ..analysis import access
from ..analysis.loops import LOOP_OPS, enclosing_loops, str_attr
from ..errors import NotAffineError, ScheduleError
from ..mlir_utils import LinearForm, constant_bounds, is_nested_in, loop_iv, trip_count, walk_ops
from .handles import MockBuffer
from .args import BufferRef, LoopRef
from .buffer_at import new_buffer, unique_buffer_name
from .diagnostics import schedule_error
from .processors import Buffer, Loop
from .registry import primitive

_CONDITIONALS = frozenset({"affine.if", "scf.if", "scf.while", "scf.execute_region"})


@dataclass
class Read:
    """One read of the target: the load and, per dimension, (outer part, inner part)."""

    op: object
    outer: list  # LinearForm over atoms defined outside L (no constant)
    inner: list  # LinearForm over IVs of loops nested in L, plus the constant
    forms: list  # the full subscripts


@dataclass
class ReusePlan:
    """The checked geometry of a ``reuse_at`` request."""

    loop: object
    stage_root: object
    stage: str
    position: int
    axis: int  # the window dimension a of the target
    stride: int
    trips: int  # N
    window: int  # W
    low: int  # m0: smallest offset along a
    shape: list  # target shape
    before: list = field(default_factory=list)  # (dim, low, span) for dims < a
    reads: list = field(default_factory=list)

    @property
    def buffer_shape(self) -> list[int]:
        spans = [span for _, _, span in self.before if span > 1]
        return spans + [self.window] + list(self.shape[self.axis + 1:])


def _fail(message: str, label: str, loop_label: str, func: str,
          cls: type[ScheduleError] = ScheduleError):
    return schedule_error(cls, "reuse_at", message, func=func, loop=loop_label,
                          buffer=label)


def _check_loops(loop, fail) -> dict:
    """``L`` and every loop nested in it: constant bounds, lower bound 0, step 1.

    Returns ``{iv: trip count}`` of the loops nested in ``L``."""
    if len(loop.results):
        raise fail("reuse_at needs a loop without loop-carried values", NotAffineError)
    inner = {}
    for lp in [loop.operation] + [op for op in walk_ops(loop) if op.name in LOOP_OPS]:
        bounds = constant_bounds(lp)
        if bounds is None or bounds[0] != 0 or bounds[2] != 1:
            name = str_attr(lp, "loop_name") or "(unnamed)"
            raise fail(f"loop {name} must have constant bounds, constant step and zero "
                       f"lower bound", NotAffineError)
        if lp != loop.operation:
            inner[loop_iv(lp)] = bounds[1]
    return inner


def _form_range(form: LinearForm, trips: dict) -> tuple[int, int]:
    """Smallest and largest value of ``form`` over the loops' iteration domains."""
    lo = hi = form.const
    for atom, c in form.coeffs.items():
        top = c * (trips[atom] - 1)
        lo += min(0, top)
        hi += max(0, top)
    return lo, hi


def _offsets(form: LinearForm, trips: dict, limit: int = 4096) -> set | None:
    """Every value of ``form`` (``None`` when the domain is too large to enumerate)."""
    atoms = list(form.coeffs)
    if any(trips[a] <= 0 for a in atoms):
        return set()
    size = 1
    for a in atoms:
        size *= trips[a]
    if size > limit:
        return None
    values = set()
    for point in itertools.product(*(range(trips[a]) for a in atoms)):
        values.add(form.const + sum(form.coeffs[a] * v for a, v in zip(atoms, point)))
    return values


def _collect_reads(target, loop, inner_trips, label, fail) -> list[Read]:
    """Every read of ``target`` under ``loop``, split into outer and inner parts."""
    iv = loop_iv(loop)
    reads = []
    for use in list(target.uses):
        op = use.owner.operation
        if not is_nested_in(op, loop):
            continue
        if op.name in ("affine.store", "memref.store") and access.access_memref(op) == target:
            raise fail(f"{label} is written under the loop; reuse_at needs a buffer that is "
                       f"only read there")
        if op.name != "affine.load":
            raise fail(f"{label} is used by {op.name} under the loop; only affine reads of it "
                       f"can be reused")
        parent = op.parent
        while parent != loop.operation:
            if parent.name in _CONDITIONALS:
                raise fail(f"{label} is read under a condition ({parent.name}) inside the loop")
            parent = parent.parent
        forms = access.subscripts(op)
        outer, inner = [], []
        for f in forms:
            if f is None:
                raise fail(f"cannot find a reuse pattern on axis: a subscript of {label} is "
                           f"not affine-linear", NotAffineError)
            bad = [a for a in f.coeffs if a != iv and a not in inner_trips
                   and _defined_inside(a, loop)]
            if bad:
                raise fail(f"non-constant offsets in a read of {label}", NotAffineError)
            in_part, out_part = f.split(lambda a: a in inner_trips)
            inner.append(in_part + LinearForm(const=out_part.const))
            out_part.const = 0
            outer.append(out_part)
        reads.append(Read(op, outer, inner, forms))
    if not reads:
        raise fail(f"{label} is not read under the loop")
    return reads


def _defined_inside(value, loop) -> bool:
    owner = value.owner
    op = owner.owner.operation if isinstance(owner, ir.Block) else owner.operation
    return op == loop.operation or is_nested_in(op, loop)


def _window_axis(reads: list[Read], iv, loop_name: str, fail) -> tuple[int, int]:
    """The dimension ``a`` indexed by the loop variable and the stride ``s``."""
    axis = stride = None
    for read in reads:
        dims = [k for k, f in enumerate(read.outer) if f.coeff(iv)]
        if len(dims) != 1:
            raise fail(f"cannot find a reuse pattern on axis {loop_name}: every read must "
                       f"index exactly one dimension by the loop variable")
        k = dims[0]
        s = read.outer[k].coeff(iv)
        if axis is not None and (k, s) != (axis, stride):
            raise fail(f"cannot find a reuse pattern on axis {loop_name}: reads use the loop "
                       f"variable in different dimensions or with different strides")
        axis, stride = k, s
    if stride < 1:
        raise fail(f"cannot find a reuse pattern on axis {loop_name}: the loop variable's "
                   f"coefficient {stride} is not positive")
    return axis, stride


def plan_reuse_at(target, loop, stage, label: str, loop_label: str, func: str) -> ReusePlan:
    """Check ``reuse_at(target, loop)`` (§3.4) and compute the buffer geometry."""
    def fail(msg, cls=ScheduleError):
        return _fail(msg, label, loop_label, func, cls)

    loop_name = str_attr(loop, "loop_name") or loop_label
    if "reduction" in loop.attributes:
        raise fail("reuse_at needs a non-reduction loop")
    inner_trips = _check_loops(loop, fail)
    iv = loop_iv(loop)
    reads = _collect_reads(target, loop, inner_trips, label, fail)
    axis, stride = _window_axis(reads, iv, loop_name, fail)
    for read in reads:
        read.outer[axis] = LinearForm({a: c for a, c in read.outer[axis].coeffs.items()
                                       if a != iv})
    for k in range(axis + 1):
        if len({read.outer[k].key() for read in reads}) > 1:
            raise fail(f"cannot find a reuse pattern on axis {loop_name}: reads of {label} "
                       f"are offset by different outer loop variables in dimension {k + 1}")
    lows, highs = zip(*(_form_range(r.inner[axis], inner_trips) for r in reads))
    low, window = min(lows), max(highs) - min(lows) + 1
    _check_adjacent(reads, axis, inner_trips, window, loop_name, fail)
    outer_loops = enclosing_loops(loop)
    position = sum(1 for lp in outer_loops if "reduction" not in lp.attributes)
    shape = list(ir.MemRefType(target.type).shape)
    plan = ReusePlan(loop, outer_loops[0] if outer_loops else loop.operation, stage, position,
                     axis, stride, trip_count(*constant_bounds(loop)), window,
                     low, shape, reads=reads)
    for k in range(axis):
        ranges = [_form_range(r.inner[k], inner_trips) for r in reads]
        lo, hi = min(r[0] for r in ranges), max(r[1] for r in ranges)
        plan.before.append((k, lo, hi - lo + 1))
    return plan


def _check_adjacent(reads, axis, trips, window, loop_name, fail) -> None:
    """At least two offsets along the window dimension must be adjacent (else no reuse)."""
    offsets = set()
    for read in reads:
        values = _offsets(read.inner[axis], trips)
        if values is None:  # too many to list: a window of that size has adjacent offsets
            return
        offsets |= values
    if window < 2 or not any(v + 1 in offsets for v in offsets):
        raise fail(f"cannot find a reuse pattern on axis {loop_name}: the reads along it use "
                   f"offsets {sorted(offsets)}, no two of them adjacent")


# --------------------------------------------------------------------------- rewrite


def _shifted(form: LinearForm, delta: int) -> LinearForm:
    return LinearForm(dict(form.coeffs), form.const + delta)


def _redirect_read(read: Read, buf, plan: ReusePlan, buf_name: str) -> None:
    """Replace one read of the target by the read of the same element in the buffer."""
    ops = access.OperandList()
    exprs = [ops.expr(_shifted(read.inner[k], -lo)) for k, lo, span in plan.before if span > 1]
    exprs.append(ops.expr(_shifted(read.inner[plan.axis], -plan.low)))
    exprs += [ops.expr(f) for f in read.forms[plan.axis + 1:]]
    op = read.op
    with op.location:
        new = affine_d.AffineLoadOp(op.results[0].type, buf, ops.values, ops.map(exprs),
                                    ip=ir.InsertionPoint(op))
    for key in op.attributes:
        if key not in ("map", "from"):
            new.attributes[key] = op.attributes[key]
    new.attributes["from"] = ir.StringAttr.get(buf_name)
    op.results[0].replace_all_uses_with(new.result)
    op.erase()


def _nest(point, extents: list, prefix: str):
    """Loops ``<prefix>_<j>`` over ``[0, extent_j)`` at ``point`` → (ivs, innermost point)."""
    ivs = []
    for j, extent in enumerate(extents):
        lp = affine_d.AffineForOp(0, extent, 1, ip=point)
        lp.attributes["loop_name"] = ir.StringAttr.get(f"{prefix}_{j}")
        with ir.InsertionPoint(lp.body):
            affine_d.AffineYieldOp([])
        ivs.append(lp.induction_variable)
        point = ir.InsertionPoint.at_block_terminator(lp.body)
    return ivs, point


def _copy(point, src, src_exprs, dst, dst_exprs, ops, tag, src_name, dst_name) -> None:
    elem = ir.MemRefType(src.type).element_type
    load = affine_d.AffineLoadOp(elem, src, ops.values, ops.map(src_exprs), ip=point)
    load.attributes["from"] = ir.StringAttr.get(src_name)
    access.tag_new_load(load, tag)
    store = affine_d.AffineStoreOp(load.result, dst, ops.values, ops.map(dst_exprs), ip=point)
    store.attributes["to"] = ir.StringAttr.get(dst_name)


def _shift_and_load(plan: ReusePlan, point, target, target_name, buf, buf_name, tag) -> None:
    """At ``point``: shift the buffer one slot along the window, load the new slice."""
    spans = [(k, lo, span) for k, lo, span in plan.before if span > 1]
    after = list(plan.shape[plan.axis + 1:])
    win = len(spans)  # position of the window dimension in the buffer
    # shift: buf[b.., w, t..] = buf[b.., w + 1, t..] for w in [0, W-1)
    extents = [span for _, _, span in spans] + [plan.window - 1] + after
    ivs, inner = _nest(point, extents, f"{buf_name}_shift")
    ops = access.OperandList()
    here = [ir.AffineDimExpr.get(ops.dim(v)) for v in ivs]
    nxt = list(here)
    nxt[win] = ir.AffineExpr.get_add(here[win], ir.AffineConstantExpr.get(1))
    _copy(inner, buf, nxt, buf, here, ops, tag, buf_name, buf_name)
    # load: buf[b.., W-1, t..] = target[outer + lo + b.., outer + low + iv, t..]
    ivs, inner = _nest(point, [span for _, _, span in spans] + after, f"{buf_name}_load")
    b_ivs, t_ivs = ivs[:win], ivs[win:]
    ops = access.OperandList()
    outer = plan.reads[0].outer
    spans_of = {k: (lo, span) for k, lo, span in plan.before}
    src, b_iter = [], iter(b_ivs)
    for k in range(plan.axis):
        lo, span = spans_of[k]
        offset = LinearForm({next(b_iter): 1} if span > 1 else {}, lo)
        src.append(ops.expr(outer[k] + offset))
    iv = loop_iv(plan.loop)
    src.append(ops.expr(outer[plan.axis] + LinearForm({iv: 1}, plan.low)))
    src += [ir.AffineDimExpr.get(ops.dim(v)) for v in t_ivs]
    dst = [ir.AffineDimExpr.get(ops.dim(v)) for v in b_ivs]
    dst.append(ir.AffineConstantExpr.get(plan.window - 1))
    dst += [ir.AffineDimExpr.get(ops.dim(v)) for v in t_ivs]
    _copy(inner, target, src, buf, dst, ops, tag, target_name, buf_name)


def _guard_original_body(plan: ReusePlan):
    """Move ``L``'s body under ``if iv >= W-1 (and (iv-(W-1)) mod s == 0)`` and make the
    original iteration variable ``(iv - (W-1)) floordiv s`` inside it."""
    loop, w, s = plan.loop, plan.window, plan.stride
    body = loop.regions[0].blocks[0]
    iv = body.arguments[0]
    original = list(body.operations)[:-1]
    d0 = ir.AffineDimExpr.get(0)
    start = ir.AffineExpr.get_add(d0, ir.AffineConstantExpr.get(-(w - 1)))
    constraints, eq_flags = [start], [False]
    if s > 1:
        constraints.append(ir.AffineExpr.get_mod(start, ir.AffineConstantExpr.get(s)))
        eq_flags.append(True)
    cond = ir.IntegerSet.get(1, 0, constraints, eq_flags)
    with loop.location:
        guard = affine_d.AffineIfOp(cond, cond_operands=[iv],
                                    ip=ir.InsertionPoint.at_block_terminator(body))
        with ir.InsertionPoint(guard.then_block):
            yield_op = affine_d.AffineYieldOp([])
    for op in original:
        op.move_before(yield_op)
    uses = [(u.owner.operation, u.operand_number) for u in iv.uses
            if is_nested_in(u.owner.operation, guard)]
    expr = start if s == 1 else ir.AffineExpr.get_floor_div(start, ir.AffineConstantExpr.get(s))
    with loop.location:
        orig_iv = affine_d.AffineApplyOp(ir.AffineMap.get(1, 0, [expr]), [iv],
                                         ip=ir.InsertionPoint.at_block_begin(guard.then_block))
    for owner, number in uses:
        owner.operands[number] = orig_iv.result
    return guard


def apply_reuse_at(plan: ReusePlan, target, target_name: str, buf_name: str) -> None:
    """Commit a checked plan (the only mutation)."""
    tag = access.element_type_tag(target)
    elem = ir.MemRefType(target.type).element_type
    buf = new_buffer(plan.stage_root, plan.buffer_shape, elem, buf_name, tag)
    loop = plan.loop
    loop.attributes["upperBoundMap"] = ir.AffineMapAttr.get(
        ir.AffineMap.get_constant((plan.trips - 1) * plan.stride + plan.window))
    for read in plan.reads:
        _redirect_read(read, buf, plan, buf_name)
    guard = _guard_original_body(plan)
    with loop.location:
        _shift_and_load(plan, ir.InsertionPoint(guard), target, target_name, buf, buf_name, tag)


@primitive("reuse_at", args=dict(target=Buffer(array=True), axis=Loop))
def reuse_at(state, target: BufferRef, axis: LoopRef) -> MockBuffer:
    """Create a reuse (line/window) buffer for the reads of ``target`` along loop ``axis``.

    Returns a handle to ``<stage>_reuse_<p>`` in the stage's function.

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def box3(P: int32[6, 8]) -> int32[4, 6]:
    ...     Q: int32[4, 6] = 0
    ...     for y, x in allo.grid(4, 6):
    ...         acc: int32 = 0
    ...         for dy, dx in allo.reduction(3, 3):
    ...             acc += P[y + dy, x + dx]
    ...         Q[y, x] = acc
    ...     return Q
    >>> s = allo.customize(box3)
    >>> lb = s.reuse_at(s.P, "y")       # line buffer: 3 rows of P
    >>> wb = s.reuse_at(lb, "x")        # window buffer: 3 x 3
    >>> code = s.build(target="vhls").hls_code
    >>> "S_y_x_0_reuse_0[3][8];" in code and "S_y_x_0_reuse_1[3][3];" in code
    True
    """
    ref, loop = target, axis
    label = f"{ref.func}:{ref.name}"
    if loop.func != ref.func:
        raise schedule_error(ScheduleError, "reuse_at",
                             f"{label} and loop {loop.label} are in different functions",
                             func=loop.func, loop=loop.label, buffer=label)
    if loop.op.name != "affine.for":
        raise _fail("loop must have constant bounds, constant step and zero lower bound",
                    label, loop.label, loop.func, NotAffineError)
    plan = plan_reuse_at(ref.value, loop.op, loop.stage.name, label, loop.label, loop.func)
    name = unique_buffer_name(state.func_op(ref.func), f"{plan.stage}_reuse_{plan.position}",
                              state.func_args.get(ref.func, []))
    apply_reuse_at(plan, ref.value, ref.name, name)
    return MockBuffer(ref.func, name)
