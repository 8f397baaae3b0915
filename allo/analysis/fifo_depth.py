"""FIFO depth from production and consumption rates (``schedule.md`` §8.2).

Each endpoint issues its accesses at the cycles :meth:`Access.times` gives (one per II in
its innermost accessing loop, trip counts from the nest), both endpoints starting at cycle 0.
The producer never waits; the consumer waits for data: a read happens no earlier than its
own schedule and no earlier than one cycle after the element was written, and a wait delays
every later read by as much. With ``P`` the write cycles and ``C`` the consumer's own
schedule, the actual read cycles are ``A = C + max(0, cummax(P + 1 - C))``. The depth is the
largest number of elements written but not yet read, plus one, clamped to ``[2, n]``: the
smallest FIFO in which the producer is never stalled (so the design cannot deadlock on it).

>>> import numpy as np
>>> fifo_depth(np.arange(6), np.arange(6), 6).depth     # same order, same rate
2
>>> d = fifo_depth(np.arange(6), np.arange(6) * 3, 6)   # the consumer is three times slower
>>> d.depth, d.max_waiting, d.at_cycle
(5, 4, 5)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DepthDecision:
    """A FIFO depth and why: ``max_waiting`` elements at ``at_cycle`` (None: fallback)."""

    depth: int
    elements: int
    max_waiting: int | None = None
    at_cycle: int | None = None
    reason: str = ""


def fifo_depth(write_cycles: np.ndarray, read_cycles: np.ndarray, elements: int) -> DepthDecision:
    """The §8.2 depth for one FIFO from the endpoints' access cycles (element order)."""
    P = np.asarray(write_cycles, dtype=np.int64)
    C = np.asarray(read_cycles, dtype=np.int64)
    if len(P) == 0:
        return DepthDecision(max(1, elements), elements, reason="no element is transferred")
    lag = np.maximum.accumulate(P + 1 - C)
    actual = C + np.maximum(lag, 0)
    read_before = np.searchsorted(actual, P, side="right")  # reads done by each write
    waiting = np.arange(1, len(P) + 1) - read_before
    k = int(np.argmax(waiting))
    most = int(waiting[k])
    depth = min(max(most + 1, 2), max(elements, 1))
    return DepthDecision(depth, elements, most, int(P[k]),
                         f"at most {most} element(s) written and not yet read (cycle "
                         f"{int(P[k])}); depth = {most} + 1 clamped to [2, {elements}] "
                         f"= {depth}")


def fallback_depth(elements: int, why: str) -> DepthDecision:
    """The element count, used when the rate model does not apply."""
    return DepthDecision(max(1, elements), elements,
                         reason=f"{why}; the rate model does not apply, so the depth is the "
                                f"element count {elements} (always deadlock-free)")


__all__ = ["DepthDecision", "fifo_depth", "fallback_depth"]
