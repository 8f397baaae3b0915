"""Estimated cycles of a simulated design: ``mod.last_cycles`` (docs/dataflow.md).

Every process that takes streams runs a clock alongside its computation (the clock plan of
:mod:`allo.analysis.timing`, FIFO waits in :mod:`.fifo_runtime`); a process without streams
runs alone and is costed statically. Processes of one group start together; each group
starts when the previous one has finished.

>>> import numpy as np, allo, allo.dataflow as df
>>> from allo.ir.types import int32, Stream
>>> @df.region()
... def pipe(A: int32[4], B: int32[4]):
...     q: Stream[int32, 2]
...     @df.kernel(mapping=[1], args=[A])
...     def load(a: int32[4]):
...         for i in range(4):
...             q.put(a[i])
...     @df.kernel(mapping=[1], args=[B])
...     def store(b: int32[4]):
...         for i in range(4):
...             b[i] = q.get()
>>> mod = df.build(pipe, target="simulator")
>>> mod(np.arange(4, dtype=np.int32), np.zeros(4, np.int32))
>>> report = mod.last_cycles
>>> report["load_0"].cycles, report.total >= report["load_0"].cycles
(12, True)
"""

from __future__ import annotations

from dataclasses import dataclass

from ...analysis.timing import function_cycles
from ...mlir_utils import find_func
from .fifo_runtime import CLOCK, STALLS


@dataclass(frozen=True)
class InstanceCycles:
    """One process: when it starts, its cycles from there (stalls included), its stalls."""

    name: str
    start: int
    cycles: int | None
    stalls: int


class CycleReport:
    """Per-instance estimated cycles and the region's total; ``str()`` is a table.

    ``report[name]`` is the :class:`InstanceCycles` of an instance (``"gemm_1_1"``);
    ``report.total`` the cycles of the whole design (``None`` if some process without
    streams has loops of unknown trip count); ``report.stalls`` the sum of FIFO stalls.
    """

    def __init__(self, instances: list, total: int | None):
        self.instances = {inst.name: inst for inst in instances}
        self.total = total

    @classmethod
    def from_run(cls, network, state, static: dict) -> "CycleReport":
        """The report of one run from the process state table."""
        instances, start, total_known = [], 0, True
        for group in network.groups():
            end = 0
            for p in group:
                proc = network.processes[p]
                cycles = int(state[p, CLOCK]) if proc.uses_streams else static.get(p)
                stalls = int(state[p, STALLS]) if proc.uses_streams else 0
                instances.append(InstanceCycles(proc.label, start, cycles, stalls))
                if cycles is None:
                    total_known = False
                else:
                    end = max(end, cycles)
            start += end
        return cls(instances, start if total_known else None)

    @classmethod
    def single(cls, name: str, cycles: int | None) -> "CycleReport":
        """The static estimate of a design that is one process (no region)."""
        return cls([InstanceCycles(name, 0, cycles, 0)], cycles)

    @property
    def stalls(self) -> int:
        return sum(i.stalls for i in self.instances.values())

    def __getitem__(self, name: str) -> InstanceCycles:
        return self.instances[name]

    def __iter__(self):
        return iter(self.instances.values())

    def __len__(self) -> int:
        return len(self.instances)

    def __str__(self) -> str:
        rows = [(i.name, str(i.start), "?" if i.cycles is None else str(i.cycles),
                 str(i.stalls)) for i in self.instances.values()]
        rows.append(("region total", "", "?" if self.total is None else str(self.total),
                     str(self.stalls)))
        head = ("instance", "start", "cycles", "stalls")
        widths = [max(len(r[c]) for r in rows + [head]) for c in range(4)]
        fmt = lambda r: "  ".join([r[0].ljust(widths[0])] +  # noqa: E731
                                  [r[c].rjust(widths[c]) for c in range(1, 4)])
        lines = [fmt(head), fmt(tuple("-" * w for w in widths))]
        lines += [fmt(r) for r in rows[:-1]] + [fmt(tuple("-" * w for w in widths)),
                                                fmt(rows[-1])]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<CycleReport total={self.total} instances={len(self.instances)}>"


def static_process_cycles(module, network) -> dict:
    """``{process: cycles}`` for the processes without streams (statically costed)."""
    out = {}
    for p, proc in enumerate(network.processes):
        if not proc.uses_streams:
            fop = find_func(module, proc.func)
            out[p] = function_cycles(module, fop) if fop is not None else None
    return out
