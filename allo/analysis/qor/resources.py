"""Resource counts: DSP from the operator cores, BRAM18K from buffers, FF/LUT roughly.

* Operators in a pipelined loop each get their own core, except that ``II > 1`` lets
  ``II`` instances of one kind share a core. Operators outside pipelines are shared across
  the states of their function's FSM: a function needs, per operator kind, the most
  instances any one cycle of its sequential bodies uses.
* Block RAM per buffer and bank: the cheapest BRAM18K aspect ratio (512x36 ... 16Kx1);
  arguments of the top function live outside the design; small buffers use LUTs.
* FF: the cores' own registers, the pipeline registers (result width times stages), the
  registers of scalars and completely partitioned arrays, loop counters. LUT: the cores,
  adders and logic (one LUT per bit), LUT memories, loop control. Both are approximations.
"""

from __future__ import annotations

import math
from collections import Counter

from ..op_latency import type_width


class ResourceTally:
    """Per function resource counts, combined over function instances at the end."""

    def __init__(self, lib):
        self.lib = lib
        self.own: dict = {}  # function -> Counter of DSP/BRAM18K/FF/LUT
        self.shared: dict = {}  # function -> {kind: (units, timing)} of sequential code
        self._current = None

    def begin_function(self, name: str) -> None:
        self._current = name
        self.own.setdefault(name, Counter())
        self.shared.setdefault(name, {})

    def _add(self, **amounts) -> None:
        self.own[self._current].update(amounts)

    def add_sequential(self, sched) -> None:
        per_cycle = Counter((u.kind, u.cycle) for u in sched.ops)
        timing = {u.kind: u.timing for u in sched.ops}
        shared = self.shared[self._current]
        for (kind, _cycle), n in per_cycle.items():
            units = shared.get(kind, (0, None))[0]
            if n > units:
                shared[kind] = (n, timing[kind])

    def add_pipeline(self, sched, ii: int, depth: int) -> None:
        count = Counter(u.kind for u in sched.ops)
        timing = {u.kind: u.timing for u in sched.ops}
        for kind, n in count.items():
            units = math.ceil(n / ii)
            t = timing[kind]
            self._add(DSP=units * t.dsp, LUT=units * t.lut, FF=units * t.ff)
        regs = sum(type_width(u.kind[1])[1] * max(1, u.timing.latency) for u in sched.ops)
        self._add(FF=regs + depth, LUT=depth)

    def add_loop_control(self, trip: int) -> None:
        bits = max(1, math.ceil(math.log2(trip + 1)))
        self._add(FF=bits + 2, LUT=2 * bits + 4)

    def add_memories(self, name: str, infos: list) -> None:
        self._current = name
        for info in infos:
            bram = info.bram18k()
            self._add(BRAM18K=bram)
            bits = info.elements * info.width
            if info.kind == "register":
                self._add(FF=bits, LUT=bits // 4 if info.elements > 1 else 0)
            elif info.kind == "lutram":
                words = math.ceil(info.elements / info.banks)
                self._add(LUT=info.banks * math.ceil(words / 64) * info.width)
            elif info.kind == "stream" and bram == 0:
                self._add(LUT=info.width * math.ceil((info.depth or 2) / 32) + 10,
                          FF=info.width + 10)

    def function_total(self, name: str) -> Counter:
        total = Counter(self.own.get(name, Counter()))
        for units, t in self.shared.get(name, {}).values():
            total.update(DSP=units * t.dsp, LUT=units * t.lut, FF=units * t.ff)
        return total

    def design_total(self, instances: dict) -> dict:
        """DSP/BRAM18K/FF/LUT of the design, each function counted per instance."""
        total = Counter()
        for name, n in instances.items():
            for key, value in self.function_total(name).items():
                total[key] += n * value
        return {k: int(total.get(k, 0)) for k in ("DSP", "BRAM18K", "FF", "LUT")}
