"""Reading Vivado/Vitis HLS synthesis reports (``backends.md`` §11.3), pure Python.

>>> import os, tempfile
>>> d = tempfile.mkdtemp()
>>> rep = os.path.join(d, "out.prj", "solution1", "syn", "report")
>>> os.makedirs(rep)
>>> with open(os.path.join(rep, "top_csynth.xml"), "w") as f:
...     _ = f.write('''<profile><PerformanceEstimates><SummaryOfLoopLatency>
...       <l_i><TripCount>8</TripCount><Latency>20</Latency><IterationLatency>3</IterationLatency>
...       <PipelineII>2</PipelineII><PipelineDepth>3</PipelineDepth>
...       <l_j><TripCount>4</TripCount><Latency>6</Latency></l_j></l_i>
...     </SummaryOfLoopLatency></PerformanceEstimates></profile>''')
>>> r = parse_xml(d, "Vitis HLS")
>>> r.get_max("Latency")
[('l_i', 20, 0), ('l_j', 6, 1)]
>>> print(r.display(cols=["TripCount"]))
Loop   TripCount
l_i    8
+l_j   4
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

from ..diagnostics import public_entry
from ..errors import BuildError

LOOP_COLUMNS = ["TripCount", "Latency", "IterationLatency", "PipelineII", "PipelineDepth"]
_LOOP_FIELDS = set(LOOP_COLUMNS) | {"AbsoluteTimeLatency", "Slack", "PipelineType",
                                    "InstanceList", "TripCount_min", "TripCount_max"}


def _text(node, path: str, default: str = "-") -> str:
    found = node.find(path) if node is not None else None
    return found.text.strip() if found is not None and found.text else default


def _number(text: str):
    try:
        return int(text)
    except (TypeError, ValueError):
        try:
            return float(text)
        except (TypeError, ValueError):
            return text


class SynthesisReport:
    """Loops and summary of one ``<top>_csynth.xml``."""

    def __init__(self, root, prod_name: str):
        self.prod_name = prod_name
        self.version = _text(root, "ReportVersion/Version")
        self.part = _text(root, "UserAssignments/Part")
        self.target_clock = _text(root, "UserAssignments/TargetClockPeriod")
        perf = root.find("PerformanceEstimates")
        self.estimated_clock = _text(perf, "SummaryOfTimingAnalysis/EstimatedClockPeriod")
        overall = perf.find("SummaryOfOverallLatency") if perf is not None else None
        self.latency = _text(overall, "Worst-caseLatency")
        self.interval = _text(overall, "Interval-max")
        res = root.find("AreaEstimates/Resources")
        avail = root.find("AreaEstimates/AvailableResources")
        self.resources = {c.tag: (c.text or "").strip() for c in res} if res is not None else {}
        self.available = {c.tag: (c.text or "").strip() for c in avail} if avail is not None \
            else {}
        self.loops = []  # (name, level, {column: value})
        loops = perf.find("SummaryOfLoopLatency") if perf is not None else None
        if loops is not None:
            for child in loops:
                self._collect(child, 0)

    def _collect(self, node, level: int) -> None:
        row = {c: _number(_text(node, c)) for c in LOOP_COLUMNS}
        self.loops.append((node.tag, level, row))
        for child in node:
            if child.tag not in _LOOP_FIELDS:
                self._collect(child, level + 1)

    def to_dict(self) -> dict:
        return {"version": self.version, "part": self.part,
                "target_clock": self.target_clock, "estimated_clock": self.estimated_clock,
                "latency": self.latency, "interval": self.interval,
                "resources": self.resources, "available_resources": self.available,
                "loops": [{"name": n, "level": lv, **row} for n, lv, row in self.loops]}

    def display(self, loops=None, level=None, cols=None) -> str:
        """A text table of the loops (nested ones prefixed ``+`` per level)."""
        cols = list(cols) if cols is not None else LOOP_COLUMNS
        rows = [["Loop"] + cols]
        for name, lv, row in self.loops:
            if loops is not None and name not in loops:
                continue
            if level is not None and lv > level:
                continue
            rows.append(["+" * lv + name] + [str(row.get(c, "-")) for c in cols])
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        return "\n".join("   ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip()
                         for r in rows)

    def get_max(self, col: str) -> list:
        """``[(loop, value, level)]`` for numeric ``col`` values, largest first."""
        if col not in LOOP_COLUMNS:
            raise BuildError(f"unknown report column '{col}'; expected one of "
                             + ", ".join(LOOP_COLUMNS))
        items = [(n, row[col], lv) for n, lv, row in self.loops
                 if isinstance(row[col], (int, float))]
        return sorted(items, key=lambda t: t[1], reverse=True)

    def summary(self) -> str:
        lines = [f"{self.prod_name} version: {self.version}", f"Part: {self.part}",
                 f"Target clock: {self.target_clock} ns",
                 f"Estimated clock: {self.estimated_clock} ns",
                 f"Latency: {self.latency} cycles", f"Interval: {self.interval} cycles",
                 "Resources:"]
        for key, used in self.resources.items():
            avail = self.available.get(key, "-")
            lines.append(f"  {key}: {used} / {avail}")
        return "\n".join(lines)


@public_entry
def parse_xml(path: str, prod_name: str, top: str = "top", print_flag: bool = False):
    """Parse ``<path>/out.prj/solution1/syn/report/<top>_csynth.xml``; write ``report.json``."""
    xml_file = os.path.join(path, "out.prj", "solution1", "syn", "report", f"{top}_csynth.xml")
    if not os.path.isfile(xml_file):
        raise BuildError(f"Cannot find {xml_file}, run csyn first")
    try:
        root = ET.parse(xml_file).getroot()
    except ET.ParseError as e:
        raise BuildError(f"Cannot parse {xml_file}: {e}") from e
    report = SynthesisReport(root, prod_name)
    with open(os.path.join(path, "report.json"), "w", encoding="utf-8") as f:
        json.dump(report.to_dict(), f, indent=2)
    if print_flag:
        print(report.summary())
    return report
