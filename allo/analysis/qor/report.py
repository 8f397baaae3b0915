"""The QoR report: per loop, function and dataflow region, the design total and resources.

>>> r = QoRReport(top="f", part="u280", clock_mhz=300.0, total_cycles=3000,
...               resources={"DSP": 3, "BRAM18K": 2, "FF": 100, "LUT": 200})
>>> r.latency_ms
0.01
>>> r.to_dict()["resources"]["DSP"], r.records()[0]["kind"]
(3, 'design')
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class LoopEstimate:
    """One loop: trip count, requested/achieved II (pipelined loops) and its latency."""

    function: str
    name: str
    level: int
    trip_count: int
    latency: int
    iteration_latency: int
    pipelined: bool = False
    requested_ii: int | None = None
    achieved_ii: int | None = None
    ii_reason: str = ""
    unroll: int | None = None
    count: int = 1  # times the loop is entered per call of its function
    note: str = ""


@dataclass
class FunctionEstimate:
    """One function: latency of a call and the interval between calls."""

    name: str
    latency: int
    interval: int
    dataflow: bool = False
    instances: int = 1


@dataclass
class StageEstimate:
    """One process of a dataflow region: when it starts and ends in the region's run."""

    name: str
    latency: int
    start: int
    finish: int


@dataclass
class DataflowEstimate:
    """A ``#pragma HLS dataflow`` region: its stages overlap through FIFOs or ping-pong buffers."""

    function: str
    stages: list
    latency: int
    interval: int
    sequential_latency: int
    overlapped: int
    slowest_stage: str
    fifo_depths: dict = field(default_factory=dict)


@dataclass
class QoRReport:
    """Static latency and resource estimate of an HLS design (see docs/qor_estimates.md)."""

    top: str
    part: str
    clock_mhz: float
    total_cycles: int
    resources: dict
    loops: list = field(default_factory=list)
    functions: list = field(default_factory=list)
    dataflow: list = field(default_factory=list)
    available: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    estimate_seconds: float = 0.0

    @property
    def latency_ms(self) -> float:
        """The design latency in milliseconds at the target clock."""
        return self.total_cycles / (self.clock_mhz * 1000.0)

    def to_dict(self) -> dict:
        """Everything as plain dicts and lists (JSON-ready)."""
        return {
            "top": self.top, "part": self.part, "clock_mhz": self.clock_mhz,
            "total_cycles": self.total_cycles, "latency_ms": self.latency_ms,
            "resources": dict(self.resources), "available": dict(self.available),
            "loops": [asdict(x) for x in self.loops],
            "functions": [asdict(x) for x in self.functions],
            "dataflow": [asdict(x) for x in self.dataflow], "notes": list(self.notes),
        }

    def records(self) -> list[dict]:
        """One flat dict per row (design, functions, dataflow regions, loops): a list
        ``pandas.DataFrame(report.records())`` reads directly."""
        rows = [{"kind": "design", "name": self.top, "latency": self.total_cycles,
                 "latency_ms": self.latency_ms, **self.resources}]
        for f in self.functions:
            rows.append({"kind": "function", "name": f.name, "latency": f.latency,
                         "interval": f.interval, "dataflow": f.dataflow,
                         "instances": f.instances})
        for d in self.dataflow:
            rows.append({"kind": "dataflow", "name": d.function, "latency": d.latency,
                         "interval": d.interval, "stages": len(d.stages),
                         "overlapped": d.overlapped, "slowest_stage": d.slowest_stage,
                         "sequential_latency": d.sequential_latency})
        for lp in self.loops:
            row = asdict(lp)
            row["kind"] = "loop"
            rows.append(row)
        return rows

    def __str__(self) -> str:
        return format_report(self)

    def __repr__(self) -> str:
        return (f"QoRReport({self.top}: {self.total_cycles} cycles, {self.latency_ms:.4g} ms "
                f"at {self.clock_mhz:g} MHz, {self.resources})")


def _table(header: list, rows: list) -> list[str]:
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[k]) for r in cells) for k in range(len(header))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]


def format_report(r: QoRReport) -> str:
    """The report as text tables: summary, resources, functions, dataflow regions, loops."""
    out = [f"QoR estimate for {r.top} on {r.part} at {r.clock_mhz:g} MHz",
           f"Latency: {r.total_cycles} cycles = {r.latency_ms:.6g} ms", ""]
    res = [[k, v, r.available.get(k, "-"),
            f"{100.0 * v / r.available[k]:.1f}%" if r.available.get(k) else "-"]
           for k, v in r.resources.items()]
    out += _table(["Resource", "Used", "Available", "Util"], res) + [""]
    out += _table(["Function", "Latency", "Interval", "Dataflow", "Instances"],
                  [[f.name, f.latency, f.interval, "yes" if f.dataflow else "",
                    f.instances] for f in r.functions]) + [""]
    for d in r.dataflow:
        out.append(f"Dataflow region {d.function}: latency {d.latency}, interval "
                   f"{d.interval}, {d.overlapped}/{len(d.stages)} stages overlapped "
                   f"(sequential {d.sequential_latency}), slowest {d.slowest_stage}")
        out += _table(["Stage", "Latency", "Start", "Finish"],
                      [[s.name, s.latency, s.start, s.finish] for s in d.stages])
        if d.fifo_depths:
            out.append("FIFO depths: " + ", ".join(f"{k}={v}" for k, v in
                                                    d.fifo_depths.items()))
        out.append("")
    rows = []
    for lp in r.loops:
        ii = "-" if not lp.pipelined else lp.achieved_ii
        req = "-" if not lp.pipelined else lp.requested_ii
        rows.append([lp.function, "+" * (lp.level - 1) + lp.name, lp.trip_count, req, ii,
                     lp.iteration_latency, lp.latency, lp.count,
                     lp.ii_reason or lp.note])
    out += _table(["Function", "Loop", "Trip", "II req", "II", "IterLat", "Latency", "Count",
                   "Reason / note"], rows)
    for note in r.notes:
        out.append(f"note: {note}")
    return "\n".join(out).rstrip() + "\n"
