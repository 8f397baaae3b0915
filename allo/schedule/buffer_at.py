"""``buffer_at``: keep the slice of a buffer written under a loop in a local buffer (§3.3).

For ``target`` accessed under loop ``L`` only as ``target[<outer>.., L, m_1, .., m_k]``
(``<outer>`` invariant in ``L``, ``m_i`` non-reduction loops nested in ``L``), one ``L``
iteration touches exactly the slice ``target[<outer>, L, :, ..]``. The rewrite:

* ``<target>_buf`` shaped by the trip counts of ``m_1..m_k`` (``[1]`` when ``k = 0``: the
  scalar accumulator case) is allocated before the stage;
* at the start of ``L``'s body an init nest (``<m_1>_init``, ...) copies the slice from
  ``target`` (its current contents, so non-zero targets stay correct);
* every access under ``L`` is redirected to the buffer;
* at the end of ``L``'s body a write-back nest (``<m_1>_back``, ...) stores it to ``target``.

Init and write-back innermost loops get ``pipeline_ii = 1``.

A target only *read* under ``L`` (an input of a systolic GEMM, ``s.buffer_at(s.A, "i")``)
gets a copy-in buffer: the init nest loads the slice, the reads use the buffer, and there is
no write-back. Nothing is written, so the result's rules about reductions do not apply: the
trailing subscripts may be reduction loops and ``L`` may be inside one.

>>> # s.buffer_at(s.C, "i")   # C[i, j] accumulated in C_buf[j] for each row i
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._mlir import affine_d, arith_d, ir, memref_d
from ..analysis import access
from ..analysis.loops import LOOP_OPS, enclosing_loops, str_attr
from ..errors import NotAffineError, ScheduleError
from ..mlir_utils import (constant_bounds, fresh_name, is_nested_in, loop_iv, trip_count,
                          walk_ops)
from .handles import MockBuffer
from .args import BufferRef, LoopRef
from .buffer_init import reduction_identity, undefined_before
from .diagnostics import schedule_error
from .processors import Buffer, Loop
from .registry import primitive


@dataclass
class BufferAtPlan:
    """The checked shape of a ``buffer_at`` request."""

    loop: object  # the affine.for L
    stage_root: object  # outermost loop of L's stage (the buffer goes before it)
    lead: list  # LinearForm of each dimension before L's, over atoms outside L
    trailing: list = field(default_factory=list)  # (lb, ub, step, loop name) per m_i
    accesses: list = field(default_factory=list)  # (op, [m_i ivs]) per access under L
    read_only: bool = False  # no store under L: copy in, never write back
    init: str = "copy"  # "copy" the slice in, "fill" with fill_value, or "none" (undefined)
    fill_value: object = None  # ir.Attribute: the identity of the accumulation


def _is_reduction(loop) -> bool:
    return "reduction" in loop.operation.attributes


def _defined_inside(value, loop) -> bool:
    """True when ``value`` is defined by ``loop`` (its IV) or by an op nested in it."""
    owner = value.owner
    op = owner.owner.operation if isinstance(owner, ir.Block) else owner.operation
    return op == loop.operation or is_nested_in(op, loop)


def _fail(message: str, label: str, loop_label: str, func: str,
          cls: type[ScheduleError] = ScheduleError):
    return schedule_error(cls, "buffer_at", message, func=func, loop=loop_label,
                          buffer=label)


def plan_buffer_at(target, loop, label: str, loop_label: str, func: str) -> BufferAtPlan:
    """Check ``buffer_at(target, loop)`` (§3.3); raises ``ScheduleError`` when illegal."""
    def fail(msg, cls=ScheduleError):
        return _fail(msg, label, loop_label, func, cls)

    if loop.name != "affine.for":
        raise fail("the loop must be an affine loop (constant step, affine bounds)",
                   NotAffineError)
    if not any(op.name in LOOP_OPS for op in walk_ops(loop)):
        raise fail("cannot buffer at the inner-most loop")
    outer = enclosing_loops(loop)
    iv = loop_iv(loop)
    plan = BufferAtPlan(loop, outer[0] if outer else loop, lead=[])
    users = [u.owner.operation for u in target.uses
             if is_nested_in(u.owner.operation, loop)]
    for op in users:
        if op.name not in ("affine.load", "affine.store") or access.access_memref(op) != target:
            raise fail(f"{label} is used by {op.name} under the loop; only affine loads and "
                       f"stores of it can be buffered")
    if not users:
        raise fail(f"{label} is not accessed under the loop")
    plan.read_only = not any(op.name == "affine.store" for op in users)
    if not plan.read_only and (_is_reduction(loop) or any(_is_reduction(lp) for lp in outer)):
        raise fail("cannot buffer inside the reduction loops")
    pos, trailing = None, None
    for op in dict.fromkeys(users):
        forms = access.subscripts(op)
        p = _loop_dimension(forms, iv)
        if p is None:
            raise fail(f"every access under the loop must index one dimension of {label} by "
                       f"the loop variable itself, and no other dimension by it (an "
                       f"{op.name} does not)")
        if pos is not None and p != pos:
            raise fail(f"accesses index {label} by the loop variable in different dimensions")
        pos = p
        lead = forms[:p]
        if any(f is None or any(_defined_inside(a, loop) for a in f.coeffs) for f in lead):
            raise fail(f"the subscripts of {label} before the loop's dimension must not "
                       f"change inside the loop")
        if plan.accesses and [f.key() for f in lead] != [f.key() for f in plan.lead]:
            raise fail(f"accesses under the loop address different slices of {label}")
        plan.lead = lead
        ivs, bounds = _trailing_loops(forms[p + 1:], op, loop, fail, label, plan.read_only)
        if trailing is not None and [b[:3] for b in bounds] != [b[:3] for b in trailing]:
            raise fail(f"accesses of {label} use inner loops of different bounds")
        trailing = trailing or bounds
        plan.accesses.append((op, ivs))
    plan.trailing = trailing
    if not plan.read_only and undefined_before(plan, target):
        plan.fill_value = reduction_identity(plan, target)
        plan.init = "fill" if plan.fill_value is not None else "none"
    return plan


def _loop_dimension(forms, iv) -> int | None:
    """The one dimension whose subscript is exactly ``iv`` (others must not use it)."""
    found = None
    for k, f in enumerate(forms):
        if f is None:
            return None
        if f.coeff(iv):
            if found is not None or f.coeffs != {iv: 1} or f.const != 0:
                return None
            found = k
    return found


def _trailing_loops(forms, op, loop, fail, label, read_only: bool = False):
    """For subscripts after L's: the loops ``m_i`` they must be, in order.

    A buffered result may not be indexed by a reduction loop; a copy-in buffer may.
    """
    chain = [lp for lp in enclosing_loops(op) if is_nested_in(lp, loop)]
    depth = {lp: k for k, lp in enumerate(chain)}
    ivs, bounds, last = [], [], -1
    for f in forms:
        owner = None
        if f is not None and len(f.coeffs) == 1 and f.const == 0:
            (atom, c), = f.coeffs.items()
            blk = atom.owner
            if c == 1 and isinstance(blk, ir.Block) and blk.owner is not None:
                owner = blk.owner.operation
        if owner is None or owner not in depth or (_is_reduction(owner) and not read_only):
            kind = "loops" if read_only else "non-reduction loops"
            raise fail(f"the subscripts of {label} after the loop's dimension must be the "
                       f"variables of the {kind} nested in it, in order")
        if depth[owner] <= last:
            raise fail(f"the inner loops must index {label} in nesting order")
        last = depth[owner]
        cb = constant_bounds(owner)
        if cb is None:
            raise fail(f"inner loop {str_attr(owner, 'loop_name')} must have constant bounds",
                       NotAffineError)
        ivs.append(loop_iv(owner))
        bounds.append((*cb, str_attr(owner, "loop_name") or "L"))
    return ivs, bounds


def unique_buffer_name(func_op, base: str, param_names) -> str:
    """``base``, or ``base_<k>`` with the smallest ``k >= 1`` not used in the function."""
    taken = set(param_names)
    for op in walk_ops(func_op):
        name = str_attr(op, "name")
        if name:
            taken.add(name)
    return base if base not in taken else fresh_name(base, taken)


def new_buffer(before, shape, elem, name: str, tag):
    """``memref.alloc() {name}`` of ``shape`` x ``elem`` placed right before op ``before``."""
    with before.location:
        op = memref_d.AllocOp(ir.MemRefType.get(list(shape), elem), [], [],
                              ip=ir.InsertionPoint(before))
    op.attributes["name"] = ir.StringAttr.get(name)
    access.tag_new_buffer(op, tag)
    return op.result


def _ui32(v: int):
    return ir.IntegerAttr.get(ir.IntegerType.get_unsigned(32), v)


def _copy_nest(plan: BufferAtPlan, target, buf, point, suffix: str, to_buffer: bool, tag,
               fill=None):
    """The init (``to_buffer``) or write-back nest at insertion point ``point``.

    With ``fill`` (an attribute) the init nest stores that constant instead of loading.
    """
    ivs = []
    for lb, ub, step, name in plan.trailing:
        lp = affine_d.AffineForOp(lb, ub, step, ip=point)
        lp.attributes["loop_name"] = ir.StringAttr.get(f"{name}_{suffix}")
        with ir.InsertionPoint(lp.body):
            affine_d.AffineYieldOp([])
        ivs.append((lp, lb, step))
        point = ir.InsertionPoint.at_block_terminator(lp.body)
    if ivs:
        ivs[-1][0].attributes["pipeline_ii"] = _ui32(1)
    operands = access.OperandList()
    lead = [operands.expr(f) for f in plan.lead]
    l_dim = ir.AffineDimExpr.get(operands.dim(loop_iv(plan.loop)))
    inner = [ir.AffineDimExpr.get(operands.dim(lp.induction_variable)) for lp, _, _ in ivs]
    target_map = operands.map(lead + [l_dim] + inner)
    buf_exprs = [_normalized(e, lb, step) for e, (_, lb, step) in zip(inner, ivs)] or \
        [ir.AffineConstantExpr.get(0)]
    buf_map = operands.map(buf_exprs)
    elem = ir.MemRefType(buf.type).element_type
    src, src_map, dst, dst_map = (target, target_map, buf, buf_map) if to_buffer else \
        (buf, buf_map, target, target_map)
    if fill is not None:
        load = arith_d.ConstantOp(elem, fill, ip=point)
        access.tag_new_load(load, tag)
    else:
        load = affine_d.AffineLoadOp(elem, src, operands.values, src_map, ip=point)
        access.tag_new_load(load, tag)
    store = affine_d.AffineStoreOp(load.result, dst, operands.values, dst_map, ip=point)
    return load, store


def _normalized(expr, lb: int, step: int):
    if lb:
        expr = ir.AffineExpr.get_add(expr, ir.AffineConstantExpr.get(-lb))
    if step != 1:
        expr = ir.AffineExpr.get_floor_div(expr, ir.AffineConstantExpr.get(step))
    return expr


def _redirect(op, ivs, buf, plan: BufferAtPlan, buf_name: str) -> None:
    """Replace an access of the target by the same access of the buffer."""
    operands = access.OperandList()
    exprs = [_normalized(ir.AffineDimExpr.get(operands.dim(v)), lb, step)
             for v, (lb, _, step, _) in zip(ivs, plan.trailing)]
    amap = operands.map(exprs or [ir.AffineConstantExpr.get(0)])
    point = ir.InsertionPoint(op)
    with op.location:
        if op.name == "affine.load":
            new = affine_d.AffineLoadOp(op.results[0].type, buf, operands.values, amap, ip=point)
        else:
            new = affine_d.AffineStoreOp(op.operands[0], buf, operands.values, amap, ip=point)
    for key in op.attributes:
        if key not in ("map", "from", "to"):
            new.attributes[key] = op.attributes[key]
    new.attributes["from" if op.name == "affine.load" else "to"] = ir.StringAttr.get(buf_name)
    if op.name == "affine.load":
        op.results[0].replace_all_uses_with(new.results[0])
    op.erase()


def apply_buffer_at(plan: BufferAtPlan, target, target_name: str, buf_name: str) -> None:
    """Commit a checked plan (the only mutation)."""
    tag = access.element_type_tag(target)
    extents = [trip_count(*b[:3]) for b in plan.trailing] or [1]
    elem = ir.MemRefType(target.type).element_type
    buf = new_buffer(plan.stage_root, extents, elem, buf_name, tag)
    body = plan.loop.regions[0].blocks[0]
    for op, ivs in plan.accesses:
        _redirect(op, ivs, buf, plan, buf_name)
    with plan.loop.location:
        first = body.operations[0]
        if plan.init != "none":
            load, store = _copy_nest(plan, target, buf, ir.InsertionPoint(first), "init", True,
                                     tag, plan.fill_value if plan.init == "fill" else None)
            _name_accesses(load, store, target_name, buf_name, to_buffer=True)
        if plan.read_only:
            return
        load, store = _copy_nest(plan, target, buf, ir.InsertionPoint.at_block_terminator(body),
                                 "back", False, tag)
        _name_accesses(load, store, target_name, buf_name, to_buffer=False)


def _name_accesses(load, store, target_name: str, buf_name: str, to_buffer: bool) -> None:
    src, dst = (target_name, buf_name) if to_buffer else (buf_name, target_name)
    if load.operation.name != "arith.constant":
        load.attributes["from"] = ir.StringAttr.get(src)
    store.attributes["to"] = ir.StringAttr.get(dst)


@primitive("buffer_at", args=dict(target=Buffer(array=True), axis=Loop))
def buffer_at(state, target: BufferRef, axis: LoopRef) -> MockBuffer:
    """Buffer the slice of ``target`` accessed under loop ``axis`` in a local buffer.

    A written slice is copied in and written back; a slice only read is copied in.
    Returns a handle to the new buffer ``<target>_buf``.

    >>> import allo
    >>> from allo.ir.types import float32
    >>> def mv(M: float32[4, 8], v: float32[8]) -> float32[4]:
    ...     out: float32[4] = 0.0
    ...     for r in range(4):
    ...         for c in allo.reduction(8):
    ...             out[r] += M[r, c] * v[c]
    ...     return out
    >>> s = allo.customize(mv)
    >>> acc = s.buffer_at(s.out, "r")   # one accumulator per r, written back once
    >>> "float out_buf[1];" in s.build(target="vhls").hls_code
    True
    """
    ref, loop = target, axis
    label = f"{ref.func}:{ref.name}"
    if loop.func != ref.func:
        raise schedule_error(ScheduleError, "buffer_at",
                             f"{label} and loop {loop.label} are in different functions",
                             func=loop.func, loop=loop.label, buffer=label)
    plan = plan_buffer_at(ref.value, loop.op, label, loop.label, loop.func)
    func_op = state.func_op(ref.func)
    name = unique_buffer_name(func_op, f"{ref.name}_buf", state.func_args.get(ref.func, []))
    apply_buffer_at(plan, ref.value, ref.name, name)
    return MockBuffer(ref.func, name)
