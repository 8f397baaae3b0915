"""Static QoR estimates of an HLS design: latency per loop, function, dataflow region and
for the whole design, and resources, without vendor tools (docs/qor_estimates.md).

>>> from allo._mlir import ir, new_context
>>> with new_context():
...     m = ir.Module.parse('''func.func @add1(%A: memref<16xi32>, %B: memref<16xi32>) {
...       affine.for %i = 0 to 16 {
...         %a = affine.load %A[%i] : memref<16xi32>
...         %c = arith.constant 1 : i32
...         %b = arith.addi %a, %c : i32
...         affine.store %b, %B[%i] : memref<16xi32>
...       } {loop_name = "i", pipeline_ii = 1 : ui32}
...       return }''')
...     report = estimate_module(m, "add1")
>>> report.loops[0].achieved_ii, report.loops[0].iteration_latency, report.total_cycles
(1, 3, 20)
"""

from __future__ import annotations

import time
from collections import Counter

from ...errors import BuildError, InternalError
from ...mlir_utils import find_func, walk_ops
from ..op_latency import OperatorLibrary
from .estimator import Estimator
from .report import DataflowEstimate, FunctionEstimate, LoopEstimate, QoRReport

__all__ = ["estimate_module", "QoRReport", "LoopEstimate", "FunctionEstimate",
           "DataflowEstimate"]


def _instances(module, top: str) -> dict:
    """How many hardware instances of each function the design has (one per call site)."""
    counts: Counter = Counter({top: 1})
    order, k = [top], 0
    while k < len(order):
        name = order[k]
        k += 1
        func = find_func(module, name)
        if func is None:
            continue
        for op in walk_ops(func):
            if op.operation.name == "func.call":
                callee = str(op.operation.attributes["callee"]).lstrip("@")
                counts[callee] += counts[name]
                if callee not in order:
                    order.append(callee)
    return dict(counts)


def estimate_module(module, top: str, part: str | None = None,
                    clock_mhz: float | None = None) -> QoRReport:
    """The :class:`QoRReport` of function ``top`` of the scheduled MLIR ``module``."""
    began = time.perf_counter()
    lib = OperatorLibrary(part, clock_mhz)
    if find_func(module, top) is None:
        raise BuildError(f"top function '{top}' not found in the module")
    est = Estimator(module, top, lib)
    try:
        with module.context:
            top_est = est.function(top)
            instances = _instances(module, top)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as err:
        # an IR shape the model does not know: a bug of ours, reported with its cause
        raise InternalError(f"QoR estimate of {top}: {type(err).__name__}: {err}") from err
    functions = []
    for name, f in est.functions.items():
        f.instances = instances.get(name, 1)
        functions.append(f)
    p = lib.part
    report = QoRReport(
        top=top, part=p.name, clock_mhz=lib.clock_mhz, total_cycles=top_est.latency,
        resources=est.resources.design_total(instances), loops=est.loops,
        functions=functions, dataflow=est.dataflow,
        available={"DSP": p.dsp, "BRAM18K": p.bram18k, "FF": p.ff, "LUT": p.lut},
        notes=sorted(set(est.notes)))
    report.estimate_seconds = time.perf_counter() - began
    return report
