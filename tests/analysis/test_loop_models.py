"""The shared loop models of the analysis layer: one loop latency (op_latency.loop_latency)
behind the QoR estimate, the simulator's timing model and stream access timing, and one
average trip count for nests whose bounds follow enclosing loops (qor.trips)."""

from __future__ import annotations

import pytest

from allo._mlir import ir, new_context
from allo.analysis.op_latency import OP_LATENCY, loop_latency
from allo.analysis.qor import estimate_module
from allo.analysis.qor.trips import nest_trip_counts
from allo.analysis.stream_access import Timing
from allo.analysis.timing import function_cycles
from allo.backend.llvm.transpose_reads import _reads

LOAD, STORE = OP_LATENCY["affine.load"], OP_LATENCY["affine.store"]

TWO_LOOPS = '''func.func @k(%A: memref<8xi32>, %B: memref<8xi32>) {
  affine.for %i = 0 to 8 {
    %v = affine.load %A[%i] : memref<8xi32>
    affine.store %v, %B[%i] : memref<8xi32>
  } {loop_name = "p", pipeline_ii = 2 : ui32}
  affine.for %j = 0 to 8 {
    %v = affine.load %B[%j] : memref<8xi32>
    affine.store %v, %A[%j] : memref<8xi32>
  } {loop_name = "s"}
  return }'''


def test_loop_latency_rules():
    assert loop_latency(8, 4) == 32 and loop_latency(8, 4, ii=1) == 11
    assert loop_latency(8, 3, ii=3) == 8 * 3  # depth equal to II: no drain beyond it
    assert loop_latency(0, 5) == 0 and loop_latency(0, 5, ii=1) == 0
    assert loop_latency(4, 0) == 4  # an iteration takes at least one cycle
    assert loop_latency(2.5, 4) == 10.0 and loop_latency(0.5, 6, ii=1) == 3.0


def test_the_three_models_cost_the_same_loops_by_their_rules():
    depth = LOAD + STORE  # the store waits for the loaded value
    with new_context():
        module = ir.Module.parse(TWO_LOOPS)
        func = module.body.operations[0]
        pipelined, sequential = list(func.regions[0].blocks[0].operations)[:2]
        # simulator timing model: pipelined (N-1)*II + depth, sequential N * body, no overhead
        assert function_cycles(module, func) == (7 * 2 + depth) + 8 * depth
        assert function_cycles(module, func) == loop_latency(8, depth, 2) + loop_latency(8, depth)
        # stream access timing: iterations counted at their period (II, or the body's loops)
        timing = Timing()
        assert timing.op_latency(pipelined) == loop_latency(8, 2, 2) == 16
        assert timing.op_latency(sequential) == loop_latency(8, 0) == 8
        # QoR estimate: the same loop latencies, plus entering and leaving each loop
        report = estimate_module(module, "k")
    loops = {lp.name: lp for lp in report.loops}
    assert (loops["p"].latency, loops["p"].iteration_latency) == (7 * 2 + depth, depth)
    assert loops["p"].latency == loop_latency(8, loops["p"].iteration_latency, 2)
    assert (loops["s"].latency, loops["s"].iteration_latency) == (8 * depth, depth)
    assert report.total_cycles == loops["p"].latency + 2 + loops["s"].latency + 1


TRIANGLE = '''func.func @t(%A: memref<16x16xf32>, %n: index) {{
  affine.for %i = 0 to 16 step {outer_step} {{
    affine.for %j = {lower} to {upper} {{
      %v = affine.load %A[%i, %j] : memref<16x16xf32>
    }}
  }}
  return }}'''

BOUNDS = [  # (lower, upper, python range of j given i)
    ("0", "affine_map<(d0) -> (d0 + 1)>(%i)", lambda i: range(0, i + 1)),
    ("affine_map<(d0) -> (d0)>(%i)", "16", lambda i: range(i, 16)),
    ("affine_map<(d0) -> (d0)>(%i)", "affine_map<(d0) -> (d0 + 4)>(%i)", lambda i: range(i, i + 4)),
    ("affine_map<(d0) -> (d0 floordiv 2)>(%i)", "affine_map<(d0) -> (d0 + 3)>(%i)",
     lambda i: range(i // 2, i + 3)),
]


def _nest(text: str):
    module = ir.Module.parse(text)
    outer = module.body.operations[0].regions[0].blocks[0].operations[0]
    inner = outer.regions[0].blocks[0].operations[0]
    load = inner.regions[0].blocks[0].operations[0]
    return module, outer, inner, load


@pytest.mark.parametrize("outer_step", [1, 2])
@pytest.mark.parametrize("lower, upper, js", BOUNDS)
def test_average_trip_count_of_a_triangular_nest_is_the_enumerated_mean(outer_step, lower,
                                                                      upper, js):
    outer_ivs = list(range(0, 16, outer_step))
    mean_inner = sum(len(js(i)) for i in outer_ivs) / len(outer_ivs)
    with new_context():
        _, outer, inner, load = _nest(TRIANGLE.format(outer_step=outer_step, lower=lower,
                                                      upper=upper))
        counts = nest_trip_counts([outer, inner])
        # the CPU pass counts the executions of a read from the same averages
        reads = _reads(load)
    # bounds linear in i are exact at i's mean; floordiv is taken without rounding on means
    tolerance = 0.5 if "floordiv" in lower else 1e-9
    assert counts[0] == len(outer_ivs)
    assert counts[1] == pytest.approx(mean_inner, abs=tolerance)
    assert reads == pytest.approx(len(outer_ivs) * counts[1])


def test_run_time_bounds_have_no_average():
    with new_context():
        _, outer, inner, load = _nest(TRIANGLE.format(
            outer_step=1, lower="0", upper="affine_map<(d0)[s0] -> (d0 + s0)>(%i)[%n]"))
        assert nest_trip_counts([outer, inner]) is None
        assert _reads(load) is None
        assert nest_trip_counts([outer]) == [16]

