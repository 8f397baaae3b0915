"""Conditions known to hold at an access: the ``if`` ops whose taken branch contains it.

Used by :class:`~allo.backend.llvm.index_ranges.IndexRanges` while it bounds one subscript. Each
condition is a ``(form, is_equality)`` pair meaning ``form >= 0`` (or ``== 0``), with ``form``
a :class:`~allo.analysis.access.LinearForm`:

- ``affine.if`` (reuse buffers, compute_at, guards of imperfect tiles): every constraint of
  its integer set, in the then-block;
- ``scf.if`` on ``arith.cmpi`` of ``index`` values (the concatenation lowering): the
  comparison in the then-block, its negation in the else-block; ``arith.andi`` of such
  comparisons in the then-block. ``ult``/``ule`` against a non-negative bound also say the
  left side is non-negative.

Conditions on other integer types are ignored (safe: fewer facts, more checks).

>>> from allo._mlir import ir, new_context
>>> with new_context():
...     attr = ir.Attribute.parse("affine_set<(d0)[s0] : (d0 - 2 >= 0, d0 - s0 == 0)>")
...     exprs, equalities, n_dims = integer_set(attr)
>>> [str(e) for e in exprs], equalities, n_dims
(['d0 - 2', 'd0 - s0'], [False, True], 1)
"""

from __future__ import annotations

from ..._mlir import ir
from ...mlir_utils import LinearForm

__all__ = ["Guarded", "enclosing_guards", "integer_set"]

_ONE = LinearForm(const=1)


class Guarded:
    """Within ``with``: ``ranges`` assumes the conditions around ``access`` hold."""

    def __init__(self, ranges, access):
        self.ranges, self.access = ranges, access

    def __enter__(self):
        self.ranges._guards = enclosing_guards(self.ranges, self.access)
        self.ranges._guarded_ranges = {}

    def __exit__(self, *exc):
        self.ranges._guards = []
        self.ranges._guarded_ranges = {}


def enclosing_guards(ranges, op) -> list:
    """``(form, is_equality)`` for every condition of an ``if`` around ``op`` (module doc)."""
    guards = []
    child = op.operation
    parent = child.parent
    while parent is not None and parent.name != "func.func":
        parent = parent.operation
        if parent.name == "affine.if" and parent.regions[0].blocks[0] == child.block:
            exprs, equalities, n_dims = integer_set(parent.attributes["condition"])
            for expr, is_eq in zip(exprs, equalities):
                guards.append((ranges.expr_form(expr, list(parent.operands), n_dims), is_eq))
        elif parent.name == "scf.if":
            taken = parent.regions[0].blocks[0] == child.block
            guards += _condition(ranges, parent.operands[0], taken)
        child, parent = parent, parent.parent
    return guards


def _condition(ranges, cond: "ir.Value", holds: bool) -> list:
    """Facts from ``cond`` being true (``holds``) or false."""
    owner = cond.owner
    op = owner.operation if isinstance(owner, ir.OpView) else owner
    if not isinstance(op, ir.Operation):
        return []
    if op.name == "arith.andi" and holds:
        return _condition(ranges, op.operands[0], True) + _condition(ranges, op.operands[1], True)
    if op.name != "arith.cmpi" or str(op.operands[0].type) != "index":
        return []
    predicate = str(op.attributes["predicate"]).split(":")[0].strip()
    names = ["eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"]
    name = names[int(predicate)] if predicate.isdigit() else predicate
    a, b = (ranges.form(v) for v in op.operands)
    if not holds:
        name = {"slt": "sge", "sle": "sgt", "sgt": "sle", "sge": "slt", "ne": "eq"}.get(name)
    if name in ("ult", "ule") and ranges.form_range(b)[0] >= 0:
        facts = [(a, False)]  # a <u b with b >= 0: a is not negative either
        name = "s" + name[1:]
    elif name in ("ugt", "uge") and ranges.form_range(a)[0] >= 0:
        facts = [(b, False)]
        name = "s" + name[1:]
    else:
        facts = []
    diff = {"slt": (b, a, _ONE), "sle": (b, a, None), "sgt": (a, b, _ONE),
            "sge": (a, b, None), "eq": (a, b, None)}.get(name)
    if diff is None:
        return facts
    big, small, gap = diff
    form = big + small.scaled(-1) + (gap.scaled(-1) if gap is not None else LinearForm())
    return facts + [(form, name == "eq")]


def integer_set(attr) -> tuple[list, list, int]:
    """Constraint expressions, equality flags and dim count of an ``affine_set`` attribute.

    The bindings do not expose the set of an ``IntegerSetAttr``; its text is re-read as a map.
    """
    text = str(attr)
    inner = text[text.index("<") + 1: text.rindex(">")]
    head, body = inner.split(":", 1)
    body = body.strip()[1:-1]
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    exprs = [p.strip()[: -len(">= 0")].strip() for p in parts]
    equalities = [p.strip().endswith("== 0") for p in parts]
    amap = ir.AffineMapAttr(ir.Attribute.parse(
        f"affine_map<{head.strip()} -> ({', '.join(exprs)})>")).value
    return list(amap.results), equalities, amap.n_dims
