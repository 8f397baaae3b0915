"""Loop distribution (fission) that makes an imperfect chain perfect (``schedule.md`` §2.2, P2).

When ``reorder``/``fuse`` name a chain ``L_0 ⊃ L_1 ⊃ ... ⊃ L_m`` and some ``L_k`` also holds
sibling statements, the chain's outer loops are copied around those siblings: statements
before the chain go into copies placed before the nest, statements after it into copies
placed after, keeping program order. The nest that continues the chain keeps every name;
copied loops are renamed ``<name>_d<j>`` and a copied stage root becomes stage
``<stage>_d<j>``. Legal only when no dependence goes from a later item to an earlier one.

:func:`plan_distribution` is the pure check; :func:`apply_distribution` the rewrite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._mlir import ir
from ..analysis.dependence import collect_accesses, feasible_directions, lex_sign
from ..analysis.loops import LoopNode, enclosing_loops
from ..errors import DependenceError, ImperfectNestError
from ..mlir_utils import loop_body, loop_iv
from . import rewrite as tf
from .args import LoopRef
from .diagnostics import schedule_error


@dataclass
class Group:
    """Sibling ops at chain level ``level`` that go into one copy of ``chain[0..level]``."""

    level: int
    ops: list
    before: bool


@dataclass
class DistributionPlan:
    ref: LoopRef
    chain: list
    groups: list = field(default_factory=list)  # textual order, without the chain itself


def plan_distribution(ref: LoopRef, chain: list[LoopNode], prim: str) -> DistributionPlan | None:
    """Check that ``chain`` can be made perfect; ``None`` when it already is."""
    before, after = [], []
    for k, (outer, inner) in enumerate(zip(chain, chain[1:])):
        ops = tf.body_ops(outer.body)
        idx = next((i for i, op in enumerate(ops) if op == inner.op), None)
        if idx is None:
            raise schedule_error(
                ImperfectNestError, prim,
                f"loop {inner.name} runs under a condition inside loop {outer.name}; "
                f"loops cannot be moved across a condition", func=ref.func,
                loop=f"{ref.stage.name}.{inner.name}")
        if ops[:idx]:
            before.append(Group(k, ops[:idx], True))
        if ops[idx + 1:]:
            after.append(Group(k, ops[idx + 1:], False))
    if not before and not after:
        return None
    plan = DistributionPlan(ref, chain, before + list(reversed(after)))
    _check_ssa(plan, prim)
    _check_dependences(plan, prim)
    return plan


def _inside(op: ir.Operation, roots: list) -> bool:
    node = op
    while node is not None and node.name != "func.func":
        if node in roots:
            return True
        node = node.parent
    return False


def _check_ssa(plan: DistributionPlan, prim: str) -> None:
    """A value defined in one item and used in another cannot be split across nests."""
    for group in plan.groups:
        for op in group.ops:
            for result in op.results:
                for use in result.uses:
                    if not _inside(use.owner.operation, group.ops):
                        raise schedule_error(
                            ImperfectNestError, prim,
                            f"cannot distribute loop {plan.chain[group.level].name} around its "
                            f"statements: a value computed by {op.name} is used by another "
                            f"statement of the nest", func=plan.ref.func,
                            loop=f"{plan.ref.stage.name}.{plan.chain[group.level].name}")


def _group_accesses(plan: DistributionPlan) -> list[tuple[int, object]]:
    """``(textual group index, access)``; the continuing chain sits between before/after."""
    tagged = []
    n_before = sum(1 for g in plan.groups if g.before)
    order = list(range(n_before)) + [None] + list(range(n_before, len(plan.groups)))
    for position, gidx in enumerate(order):
        roots = [plan.chain[-1].op] if gidx is None else plan.groups[gidx].ops
        for root in roots:
            for acc in collect_accesses(root, enclosing_loops(root)):
                tagged.append((position, acc))
    return tagged


def _check_dependences(plan: DistributionPlan, prim: str) -> None:
    tagged = _group_accesses(plan)
    outer = enclosing_loops(plan.chain[0].op)
    chain_ops = [n.op for n in plan.chain]
    ranges: dict = {}
    for i, (gu, u) in enumerate(tagged):
        for gv, v in tagged[i + 1:]:
            if gu == gv or u.memref != v.memref or not (u.is_write or v.is_write):
                continue
            first, later = (u, v) if gu < gv else (v, u)
            loops = [op for op in chain_ops if op in first.loops and op in later.loops]
            pairs = [(op, op) for op in outer + loops]
            for vec in feasible_directions(later, first, pairs, ranges):
                if all(d == "=" for d in vec[:len(outer)]) and lex_sign(vec[len(outer):]) > 0:
                    raise schedule_error(
                        DependenceError, prim,
                        "cannot distribute the nest to make it perfect: a dependence goes "
                        "from a later statement to an earlier one", func=plan.ref.func,
                        loop=f"{plan.ref.stage.name}.{plan.chain[0].name}")


def apply_distribution(plan: DistributionPlan | None, taken_names: set[str]) -> None:
    """Perform the fission planned by :func:`plan_distribution` (no-op for ``None``)."""
    if plan is None:
        return
    root = plan.chain[0].op
    anchor = _next_op(root)
    for group in plan.groups:
        suffix = _fresh_suffix(plan.chain[0].name, taken_names)
        for node in plan.chain[:group.level + 1]:
            taken_names.add(f"{node.name}_d{suffix}")
        ip = ir.InsertionPoint(root) if group.before else ir.InsertionPoint(anchor)
        _copy_nest(plan.chain[:group.level + 1], group.ops, suffix, ip)


def _next_op(op: ir.Operation) -> ir.Operation:
    ops = op.block.operations
    for k in range(len(ops)):
        if ops[k].operation == op:
            return ops[k + 1].operation
    raise AssertionError("op not in its block")


def _fresh_suffix(name: str, taken: set[str]) -> int:
    k = 1
    while f"{name}_d{k}" in taken:
        k += 1
    return k


def _copy_nest(levels: list[LoopNode], ops: list, suffix: int, ip) -> None:
    iv_map: dict = {}
    new_loops = []
    for depth, node in enumerate(levels):
        op = node.op
        attrs = tf.schedule_attributes(op)
        attrs["loop_name"] = tf.str_attr(f"{node.name}_d{suffix}")
        if "op_name" in attrs:
            attrs["op_name"] = tf.str_attr(f"{attrs['op_name'].value}_d{suffix}")
        lb_map = op.attributes["lowerBoundMap"].value
        ub_map = op.attributes["upperBoundMap"].value
        operands = [iv_map.get(v, v) for v in op.operands]
        new = tf.new_affine_for(lb_map, operands[:lb_map.n_inputs], ub_map,
                                operands[lb_map.n_inputs:], op.attributes["step"].value,
                                attrs, op.location, ip)
        iv_map[node.iv] = loop_iv(new)
        new_loops.append(new)
        ip = ir.InsertionPoint.at_block_terminator(loop_body(new))
    terminator = loop_body(new_loops[-1]).operations[0].operation
    for op in ops:
        op.move_before(terminator)
    for node, new in zip(levels, new_loops):
        for use in list(node.iv.uses):
            owner = use.owner.operation
            if _inside(owner, [new_loops[0]]):
                owner.replace_uses_of_with(node.iv, loop_iv(new))
