"""The initiation interval a pipelined loop achieves, and why.

Vitis starts a new iteration every II cycles, the smallest II no lower than the requested
one that satisfies two bounds:

* **recurrence**: a value stored in one iteration and loaded ``d`` iterations later must be
  written before it is read: ``II >= ceil((t_store + write_latency - t_load) / d)``, where
  ``t_load`` is the latest cycle the load may issue and still feed its first consumer. A
  scalar accumulation ``acc += x`` in a register gives the adder's latency; in block RAM the
  read and write latencies add to it.
* **memory ports**: each block-RAM bank serves two accesses per cycle (one read and one write
  for a stream), so ``n`` accesses of one iteration to one bank need ``II >= ceil(n / 2)``.
  ``array_partition`` spreads the accesses over banks.

Loop-carried distances are measured in iterations of the (flattened) pipeline: a loop nest
``i, j, k`` flattened into one pipeline whose store and load reach the same address for
every ``k`` has distance 1; for every ``i`` (``j``, ``k`` free) distance ``trip(j)*trip(k)``.
"""

from __future__ import annotations

import math
from collections import Counter


def stride_of(index: int, trips: list) -> int:
    """Flattened iterations between consecutive values of loop ``index`` of the chain.

    >>> stride_of(0, [4, 8, 2]), stride_of(2, [4, 8, 2])
    (16, 1)
    """
    return math.prod(trips[index + 1:])


def carried_distance(load_forms: list, store_forms: list, ivs: list, trips: list) -> int | None:
    """Iterations from a store to a later load of the same element (``None``: never).

    >>> from allo.mlir_utils import LinearForm as F
    >>> ivs, trips = ["i", "k"], [8, 16]
    >>> carried_distance([F({"i": 1})], [F({"i": 1})], ivs, trips)   # C[i] over k
    1
    >>> carried_distance([F({"k": 1})], [F({"k": 1})], ivs, trips)   # C[k] over i
    16
    >>> carried_distance([F({"k": 1}, -2)], [F({"k": 1})], ivs, trips)  # A[k] = A[k-2]
    2
    >>> carried_distance([F({"i": 1, "k": 1})], [F({"i": 1, "k": 1})], ivs, trips) is None
    True
    """
    if any(f is None for f in load_forms + store_forms):
        return 1
    diffs = [s - lf for s, lf in zip(store_forms, load_forms)]
    if any(d.coeffs for d in diffs):
        return 1  # different strides: assumed dependent, as Vitis does without a proof
    if all(d.const == 0 for d in diffs):
        used = set()
        for f in load_forms:
            used.update(f.coeffs)
        free = [k for k, iv in enumerate(ivs) if iv not in used]
        return stride_of(free[-1], trips) if free else None
    return _shifted_distance(load_forms, diffs, ivs, trips)


def _shifted_distance(load_forms, diffs, ivs, trips) -> int | None:
    """``A[i] = f(A[i - k])``: the load ``k`` iterations of one loop after the store."""
    shift = None
    for form, diff in zip(load_forms, diffs):
        chain = [(k, form.coeff(iv)) for k, iv in enumerate(ivs) if form.coeff(iv)]
        if diff.const == 0:
            continue
        if len(chain) != 1 or diff.const % chain[0][1]:
            return None
        k, coeff = chain[0]
        step = diff.const // coeff
        if shift not in (None, (k, step)):
            return None
        shift = (k, step)
    if shift is None or shift[1] <= 0:
        return None
    return shift[1] * stride_of(shift[0], trips)


PAIR_LIMIT = 100_000  # above this many read/write pairs only same-element pairs are tested


def _shape(acc) -> tuple:
    if any(f is None for f in acc.forms):
        return ("opaque",)
    return tuple(frozenset(f.coeffs.items()) for f in acc.forms)


def _consts(acc) -> tuple:
    return tuple(None if f is None else f.const for f in acc.forms)


def _effective_read(ld) -> int:
    """The latest cycle a read may issue and still feed its first consumer in time."""
    if ld.first_use is None:
        return ld.issue
    return max(ld.issue, ld.first_use - ld.latency)


def _representatives(accs: list, is_store: bool) -> list:
    """One access per element: the latest write or the earliest-needed read (a pair with
    the same elements always has the same distance, so the extremes bound the rest)."""
    best: dict = {}
    for acc in accs:
        key = (_shape(acc), _consts(acc))
        cur = best.get(key)
        if cur is None or (acc.issue + acc.latency > cur.issue + cur.latency if is_store
                           else _effective_read(acc) < _effective_read(cur)):
            best[key] = acc
    return list(best.values())


def _candidate_pairs(loads: list, stores: list):
    """(store, load) pairs worth testing, grouped so huge unrolled bodies stay fast."""
    by_shape: dict = {}
    for acc in _representatives(loads, False) + _representatives(stores, True):
        by_shape.setdefault(_shape(acc), ([], []))[acc.is_store].append(acc)
    shapes = list(by_shape)
    for s_shape in shapes:
        s_list = by_shape[s_shape][1]
        if not s_list:
            continue
        for l_shape in shapes:
            l_list = by_shape[l_shape][0]
            if not l_list:
                continue
            if s_shape != l_shape or s_shape == ("opaque",):
                # different subscript shapes: assumed to meet; the extreme pair bounds all
                yield (max(s_list, key=lambda a: a.issue + a.latency),
                       min(l_list, key=_effective_read))
            elif len(s_list) * len(l_list) <= PAIR_LIMIT:
                yield from ((st, ld) for st in s_list for ld in l_list)
            else:
                reads = {_consts(ld): ld for ld in l_list}
                yield from ((st, reads[_consts(st)]) for st in s_list if _consts(st) in reads)


def recurrence_bound(accesses: list, ops: list, ivs: list, trips: list):
    """``(ii, reason)`` of the tightest loop-carried memory recurrence (``(1, "")``: none)."""
    best, reason = 1, ""
    by_root: dict = {}
    for acc in accesses:
        if acc.memory.kind != "stream":
            by_root.setdefault(acc.root, ([], []))[acc.is_store].append(acc)
    for loads, stores in by_root.values():
        for st, ld in _candidate_pairs(loads, stores):
            dist = carried_distance(ld.forms, st.forms, ivs, trips)
            if dist is None:
                continue
            t_load = _effective_read(ld)
            span = st.issue + st.latency - t_load
            need = math.ceil(span / dist)
            if need > best:
                best = need
                reason = _recurrence_reason(st, dist, span, ops, t_load)
    return best, reason


def _recurrence_reason(store, dist: int, span: int, ops: list, t_load: int) -> str:
    on_path = [u for u in ops if t_load <= u.cycle < store.issue and u.timing.latency > 0]
    through = ""
    if on_path:
        slow = max(on_path, key=lambda u: u.timing.latency)
        through = f" through {slow.kind[0]} ({slow.kind[1]}, {slow.timing.latency} cycles)"
    return (f"recurrence on {store.memory.name}{through}: {span} cycles from read to write"
            f" over distance {dist}")


def port_bound(accesses: list):
    """``(ii, reason)`` from the busiest memory bank (``(1, "")``: ports suffice)."""
    count: Counter = Counter()
    mems = {}
    for acc in accesses:
        ports = acc.memory.ports
        if ports is None:
            continue
        key = (acc.root, acc.memory.bank_key(acc.forms),
               acc.is_store if acc.memory.kind == "stream" else None)
        count[key] += 1
        mems[key] = acc.memory
    best, reason = 1, ""
    for key, n in count.items():
        mem = mems[key]
        need = math.ceil(n / mem.ports)
        if need > best:
            best = need
            what = "stream" if mem.kind == "stream" else (
                f"bank of {mem.banks}" if mem.banks > 1 else "single bank")
            reason = (f"memory ports: {n} accesses per iteration to {mem.name} ({what}, "
                      f"{mem.ports} port{'s' if mem.ports > 1 else ''})")
    return best, reason
