"""``s.compute_at(producer_loop, consumer_loop)`` (``schedule.md`` §2.7).

The outer ``d`` loops of the producer stage ``P`` are merged with the outer ``d`` loops of the
consumer stage ``Q`` (``d`` = depth of ``consumer_loop``); the rest of ``P`` goes to the start
of ``consumer_loop``'s body. Merged loops keep ``Q``'s names and ``P`` disappears as a stage.
When one nest is larger in every merged dimension, the smaller side's body is guarded.

A producer that already received a stage (``compute_at("j", "jj")`` leaves ``jj`` holding
the loops ``m`` and ``mm``) has several sibling loops at depth ``d``: all of them merge with
``consumer_loop``, in program order, as ``P`` must vanish whole. That fuses the siblings, so
it is checked like any reordering: no dependence between two siblings may be reversed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._mlir import affine_d, ir
from ..analysis.dependence import collect_accesses, feasible_directions, lex_sign
from ..analysis.loops import LoopNode, enclosing_loops
from ..errors import DependenceError, ImperfectNestError, NotAffineError, ScheduleError
from ..mlir_utils import constant_bounds, trip_count
from . import rewrite as tf
from .args import LoopRef
from .diagnostics import schedule_error
from .legality import fifo_accessed_in, path_between
from .processors import Loop
from .registry import primitive

PRIM = "compute_at"


@dataclass
class ComputeAtPlan:
    producer: LoopRef
    consumer: LoopRef
    p_path: list  # LoopNode, outermost first, length d
    q_path: list
    p_last: list  # every producer loop at depth d (siblings of p_path[-1]), in program order
    p_bounds: list  # (lb, ub, step) per merged level
    q_bounds: list
    guard_producer: bool
    guard_consumer: bool


@primitive("compute_at", local=True, args=dict(producer_loop=Loop, consumer_loop=Loop))
def compute_at(state, producer_loop: LoopRef, consumer_loop: LoopRef) -> None:
    """Merge the stage of ``producer_loop`` into the stage of ``consumer_loop`` at
    ``consumer_loop``'s depth, so each value is computed right before it is used; refused
    when the consumer would read a value before it is produced.

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def twostep(X: int32[4, 6]) -> int32[4, 6]:
    ...     T: int32[4, 6] = 0
    ...     for a, b in allo.grid(4, 6, name="mul"):
    ...         T[a, b] = X[a, b] * 3
    ...     U: int32[4, 6] = 0
    ...     for a, b in allo.grid(4, 6, name="add"):
    ...         U[a, b] = T[a, b] + 1
    ...     return U
    >>> s = allo.customize(twostep)
    >>> n = s.get_loops()
    >>> s.compute_at(n.mul.b, n.add.b)
    >>> "mul" in [name for name, _ in s.get_loops()]
    False
    """
    plan = _plan(producer_loop, consumer_loop)
    _check_dependences(plan)
    _rewrite(plan)


def _fail(ref: LoopRef, message: str, cls: type[ScheduleError] = ScheduleError) -> ScheduleError:
    return schedule_error(cls, PRIM, message, func=ref.func, loop=ref.label)


def _plan(prod: LoopRef, cons: LoopRef) -> ComputeAtPlan:
    if prod.func != cons.func:
        raise _fail(cons, f"producer ({prod.func}) and consumer ({cons.func}) loops must be "
                          f"in the same function")
    if prod.stage is cons.stage:
        raise _fail(cons, f"producer and consumer are both in stage {cons.stage.name}; "
                          f"compute_at needs two different stages")
    stages = prod.nest.stages
    if stages.index(prod.stage) > stages.index(cons.stage):
        raise _fail(cons, f"producer stage {prod.stage.name} must come before consumer stage "
                          f"{cons.stage.name}")
    fifo = fifo_accessed_in(prod.stage.root.op)
    if fifo is not None:
        raise _fail(prod, f"stage {prod.stage.name} accesses the FIFO {fifo} as a dataflow "
                          f"process of its own; merging it into {cons.stage.name} would remove "
                          f"that process (apply compute_at before s.to)")
    depth = cons.node.depth
    if prod.node.depth != depth:
        raise _fail(prod, f"producer loop {prod.name} is at depth {prod.node.depth} but the "
                          f"consumer loop {cons.name} is at depth {depth}")
    p_path = path_between(prod.stage.root, prod.node)
    q_path = path_between(cons.stage.root, cons.node)
    _check_consumer_unguarded(cons, q_path)
    for outer, inner in zip(p_path, p_path[1:-1]):
        ops = tf.body_ops(outer.body)
        if len(ops) != 1 or ops[0] != inner.op:
            raise _fail(prod, f"the producer nest is not perfect above loop {prod.name} "
                              f"(loop {outer.name} holds other statements)", ImperfectNestError)
    p_last = _producer_siblings(prod, p_path)
    p_bounds = [_const_bounds(n, prod) for n in p_path]
    q_bounds = [_const_bounds(n, cons) for n in q_path]
    p_larger = q_larger = True
    for pn, (plb, pub, pst), (qlb, qub, qst) in zip(p_path, p_bounds, q_bounds):
        if pst != qst or (plb - qlb) % pst:
            raise _fail(cons, f"loops {pn.name} and {q_path[p_path.index(pn)].name} have "
                              f"incompatible steps or offsets")
        p_hi, q_hi = plb + pst * (trip_count(plb, pub, pst) - 1), \
            qlb + qst * (trip_count(qlb, qub, qst) - 1)
        p_larger &= plb <= qlb and p_hi >= q_hi
        q_larger &= qlb <= plb and q_hi >= p_hi
    if not (p_larger or q_larger):
        raise _fail(cons, "loop bounds are not consistently larger or smaller in the merged "
                          "dimensions")
    guard_consumer = not q_larger
    if guard_consumer:
        for outer, inner in zip(q_path, q_path[1:]):
            if tf.body_ops(outer.body) != [inner.op]:
                raise _fail(cons, "the consumer nest must be perfect above the merge depth "
                                  "when the producer iterates over a larger range",
                            ImperfectNestError)
    return ComputeAtPlan(prod, cons, p_path, q_path, p_last, p_bounds, q_bounds,
                         guard_producer=not p_larger, guard_consumer=guard_consumer)


def _check_consumer_unguarded(cons: LoopRef, q_path: list) -> None:
    """Every merged consumer loop must sit directly in the one above it.

    A condition between them (a user's ``if``, or the guard an earlier compute_at put around
    a smaller consumer) means the consumer loop's bounds overstate the iterations it runs;
    the producer moved inside would run only where the condition holds.
    """
    for outer, inner in zip(q_path, q_path[1:]):
        if inner.op.parent != outer.op:
            raise _fail(cons, f"consumer loop {inner.name} runs under a condition inside loop "
                              f"{outer.name}; the producer would only run where it holds")


def _producer_siblings(prod: LoopRef, p_path: list) -> list:
    """The producer's loops at the merge depth: ``p_path[-1]`` and its sibling loops."""
    if len(p_path) == 1:
        return p_path
    parent = p_path[-2]
    ops = tf.body_ops(parent.body)
    by_op = {child.op: child for child in parent.children}
    siblings = [next((n for o, n in by_op.items() if o == op), None) for op in ops]
    if any(n is None for n in siblings):
        raise _fail(prod, f"the producer nest is not perfect above loop {prod.name} "
                          f"(loop {parent.name} holds statements besides loops)",
                    ImperfectNestError)
    bounds = _const_bounds(p_path[-1], prod)
    for node in siblings:
        if _const_bounds(node, prod) != bounds:
            raise _fail(prod, f"loops {p_path[-1].name} and {node.name} at the merge depth "
                              f"have different bounds")
    return siblings


def _const_bounds(node: LoopNode, ref: LoopRef) -> tuple[int, int, int]:
    bounds = constant_bounds(node.op)
    if bounds is None:
        raise _fail(ref, f"loop {node.name} has non-constant bounds", NotAffineError)
    return bounds


# --------------------------------------------------------------------------- legality


def _check_dependences(plan: ComputeAtPlan) -> None:
    """No access pair of P and Q (or of P and a stage between them) may change order."""
    prod_root = plan.p_path[0].op
    p_acc = collect_accesses(prod_root, enclosing_loops(prod_root))
    q_root = plan.q_path[0].op
    q_acc = collect_accesses(q_root, enclosing_loops(q_root))
    _check_between(plan, p_acc)
    ranges: dict = {}
    _check_siblings(plan, p_acc, ranges)
    q_ops = [n.op for n in plan.q_path]
    for p in p_acc:
        p_ops = _producer_path_ops(plan, p)
        for q in q_acc:
            if p.memref != q.memref or not (p.is_write or q.is_write):
                continue
            common = [k for k, op in enumerate(q_ops) if op in q.loops]
            pairs = [(p_ops[k], q_ops[k]) for k in common]
            q_first_on_tie = len(common) < len(q_ops) and _before_path(q, plan, len(common))
            for vec in feasible_directions(p, q, pairs, ranges):
                sign = lex_sign(vec)
                if sign < 0 or (sign == 0 and q_first_on_tie):
                    raise schedule_error(
                        DependenceError, PRIM,
                        "compute_at would reverse a dependence: the consumer would access a "
                        "buffer element before the producer is done with it",
                        func=plan.consumer.func, loop=plan.consumer.label)


def _producer_path_ops(plan: ComputeAtPlan, access) -> list:
    """The merged producer loops around ``access``: the path with its own depth-d sibling."""
    last = next(n.op for n in plan.p_last if n.op in access.loops)
    return [n.op for n in plan.p_path[:-1]] + [last]


def _check_siblings(plan: ComputeAtPlan, p_acc, ranges: dict) -> None:
    """Fusing the producer's depth-d siblings must not run a later sibling's access first."""
    if len(plan.p_last) == 1:
        return
    for a in p_acc:
        a_ops = _producer_path_ops(plan, a)
        for b in p_acc:
            b_ops = _producer_path_ops(plan, b)
            if a.memref != b.memref or not (a.is_write or b.is_write):
                continue
            if _sibling_index(plan, a_ops[-1]) >= _sibling_index(plan, b_ops[-1]):
                continue  # only pairs from an earlier sibling to a later one
            pairs = list(zip(a_ops, b_ops))
            if any(lex_sign(vec) < 0 for vec in feasible_directions(a, b, pairs, ranges)):
                raise schedule_error(
                    DependenceError, PRIM,
                    "compute_at would reverse a dependence between the producer loops "
                    f"{plan.p_last[_sibling_index(plan, a_ops[-1])].name} and "
                    f"{plan.p_last[_sibling_index(plan, b_ops[-1])].name}, which it fuses",
                    func=plan.consumer.func, loop=plan.consumer.label)


def _sibling_index(plan: ComputeAtPlan, op) -> int:
    return next(k for k, n in enumerate(plan.p_last) if n.op == op)


def _before_path(access, plan: ComputeAtPlan, level: int) -> bool:
    """Is ``access`` (inside ``q_path[level-1]``) textually before ``q_path[level]``?"""
    body = plan.q_path[level - 1].body
    target = plan.q_path[level].op
    op = access.op
    while op.parent is not None and op.parent != plan.q_path[level - 1].op:
        op = op.parent
    for item in tf.body_ops(body):
        if item == target:
            return False
        if item == op:
            return True
    return False


def _check_between(plan: ComputeAtPlan, p_acc) -> None:
    """The producer moves past every top-level op between P and Q: they must not conflict."""
    func_block = plan.p_path[0].op.block
    ops = [op.operation for op in func_block.operations]
    start = next(k for k, op in enumerate(ops) if op == plan.p_path[0].op)
    end = next(k for k, op in enumerate(ops) if op == plan.q_path[0].op)
    for op in ops[start + 1:end]:
        for acc in collect_accesses(op, enclosing_loops(op)):
            if any(p.memref == acc.memref and (p.is_write or acc.is_write) for p in p_acc):
                raise schedule_error(
                    DependenceError, PRIM,
                    f"compute_at would reverse a dependence: {op.name} between the stages "
                    f"{plan.producer.stage.name} and {plan.consumer.stage.name} accesses a "
                    f"buffer the producer uses", func=plan.consumer.func,
                    loop=plan.consumer.label)


# --------------------------------------------------------------------------- rewrite


def _rewrite(plan: ComputeAtPlan) -> None:
    q_inner = plan.q_path[-1]
    if plan.guard_consumer:
        for node, (lb, ub, step) in zip(plan.q_path, plan.p_bounds):
            _set_constant_bounds(node.op, lb, ub)
        _guard(tf.body_ops(q_inner.body), [n.iv for n in plan.q_path], plan.q_bounds)
    body = q_inner.body
    first = body.operations[0].operation
    moved = []
    for sibling in plan.p_last:
        ops = tf.body_ops(sibling.body)
        for op in ops:
            op.move_before(first)
        moved += ops
        sibling.iv.replace_all_uses_with(q_inner.iv)
    if plan.guard_producer:
        _guard(moved, [n.iv for n in plan.q_path], plan.p_bounds)
    for pn, qn in zip(plan.p_path[:-1], plan.q_path):
        pn.iv.replace_all_uses_with(qn.iv)
    plan.p_path[0].op.erase()


def _set_constant_bounds(op, lb: int, ub: int) -> None:
    op.attributes["lowerBoundMap"] = ir.AffineMapAttr.get(ir.AffineMap.get_constant(lb))
    op.attributes["upperBoundMap"] = ir.AffineMapAttr.get(ir.AffineMap.get_constant(ub))


def _guard(ops: list, ivs: list, bounds: list) -> None:
    """Wrap ``ops`` (consecutive in one block) in ``affine.if`` ``lb_k <= iv_k <= last_k``."""
    if not ops:
        return
    constraints = []
    for k, (lb, ub, step) in enumerate(bounds):
        last = lb + step * (trip_count(lb, ub, step) - 1)
        d = tf.dim_expr(k)
        constraints += [d - lb, d * -1 + last]
    iset = ir.IntegerSet.get(len(ivs), 0, constraints, [False] * len(constraints))
    with ir.InsertionPoint(ops[0]), ops[0].location:
        guard = affine_d.AffineIfOp(iset, cond_operands=list(ivs))
        with ir.InsertionPoint(guard.then_block):
            terminator = affine_d.AffineYieldOp([])
    for op in ops:
        op.move_before(terminator.operation)
