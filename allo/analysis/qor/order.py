"""Program order between the memory accesses of one scheduled body.

Two accesses of one buffer may touch the same element unless their subscripts differ by
a nonzero constant in some dimension. Accesses are grouped by the *shape* of their
subscripts (the linear coefficients per dimension): within a shape, equal constants mean
the same element and different constants different elements; accesses of different shapes
are assumed to overlap. Each group keeps only what later accesses need: the last write's
issue and completion, and the last read's issue.

>>> from allo.mlir_utils import LinearForm
>>> order = AccessOrder()
>>> order.record("A", [LinearForm({"i": 1}, 0)], is_store=True, issue=3, done=(4, 0.0))
>>> order.before("A", [LinearForm({"i": 1}, 1)]).last_store_issue   # A[i+1]: another element
-1
>>> order.before("A", [LinearForm({"i": 1}, 0)]).last_store_issue
3
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Earlier:
    """What earlier accesses that may touch the same element impose on a new one."""

    last_store_issue: int = -1
    last_store_done: tuple | None = None
    last_load_issue: int = -1

    def merge(self, other: "Earlier") -> None:
        self.last_load_issue = max(self.last_load_issue, other.last_load_issue)
        if other.last_store_issue > self.last_store_issue:
            self.last_store_issue = other.last_store_issue
        if other.last_store_done is not None and (
                self.last_store_done is None or other.last_store_done > self.last_store_done):
            self.last_store_done = other.last_store_done


def _shape_and_consts(forms: list) -> tuple:
    shape = tuple(None if f is None else frozenset(f.coeffs.items()) for f in forms)
    consts = tuple(None if f is None else f.const for f in forms)
    if any(f is None for f in forms):
        return ("opaque", shape), None  # not linear: overlaps everything of its buffer
    return shape, consts


class AccessOrder:
    """Per buffer summaries of earlier accesses, by subscript shape and constants."""

    def __init__(self):
        self.exact: dict = {}  # (root, shape, consts) -> Earlier
        self.by_shape: dict = {}  # (root, shape) -> Earlier over all constants
        self.shapes: dict = {}  # root -> shapes seen

    def before(self, root, forms: list) -> Earlier:
        """The constraints on a new access of ``root`` with subscripts ``forms``."""
        shape, consts = _shape_and_consts(forms)
        out = Earlier()
        for other in self.shapes.get(root, ()):
            if other != shape or consts is None:
                out.merge(self.by_shape[(root, other)])
        if consts is not None and (root, shape, consts) in self.exact:
            out.merge(self.exact[(root, shape, consts)])
        return out

    def record(self, root, forms: list, is_store: bool, issue: int, done: tuple) -> None:
        """Remember an access just scheduled."""
        shape, consts = _shape_and_consts(forms)
        self.shapes.setdefault(root, set()).add(shape)
        entry = Earlier(issue, done, -1) if is_store else Earlier(-1, None, issue)
        self.by_shape.setdefault((root, shape), Earlier()).merge(entry)
        self.exact.setdefault((root, shape, consts), Earlier()).merge(entry)
