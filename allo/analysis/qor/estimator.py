"""Latency of loops and functions from their scheduled bodies (Vitis HLS's rules).

* A pipelined loop of ``N`` iterations at interval ``II`` with iteration latency (depth)
  ``D`` takes ``(N - 1) * II + D`` cycles (:func:`~allo.analysis.op_latency.loop_latency`),
  plus 2 to start and flush it each time it is entered. A perfect nest whose innermost
  loop is pipelined is flattened into one pipeline of the product of the trip counts
  (Vitis's automatic loop flattening).
* A loop that is not pipelined takes ``N * L`` cycles (the same function), ``L`` being
  its body's latency (at least 1), plus 1 each time it is entered. ``unroll`` (factor ``u``) runs
  ``ceil(N / u)`` iterations of ``u`` copies of the body scheduled together.
* A function takes its body's latency; a call costs the callee's latency plus 1 for the
  start/done handshake (nothing for an inlined callee).
"""

from __future__ import annotations

import math

from ..._mlir import ir
from ...mlir_utils import LinearForm, constant_bounds, find_func, trip_count, walk_ops
from ..op_latency import loop_latency
from .body import LOOP_OPS, BodyScheduler
from .dataflow import estimate_region, fill_of
from .memories import memory_of_type
from .pipeline import port_bound, recurrence_bound
from .report import FunctionEstimate, LoopEstimate
from .resources import ResourceTally
from .trips import average_trip_count, iv_mean, rounded

_FREE_IN_NEST = ("arith.constant", "affine.apply", "affine.yield", "scf.yield",
                 "arith.index_cast")


def _attr_int(op, name: str) -> int | None:
    attrs = op.operation.attributes
    return ir.IntegerAttr(attrs[name]).value if name in attrs else None


def loop_name(op) -> str:
    """The ``loop_name`` of a loop; unnamed loops are named ``L_<k>`` by :class:`Estimator`."""
    attrs = op.operation.attributes
    return ir.StringAttr(attrs["loop_name"]).value if "loop_name" in attrs else "L"


def body_ops(op) -> list:
    return [o for o in op.operation.regions[0].blocks[0].operations]


def _only_loop_inside(op):
    """The single loop forming the body of ``op`` with nothing else but index arithmetic."""
    inner = None
    for o in body_ops(op):
        name = o.operation.name
        if name in LOOP_OPS:
            if inner is not None:
                return None
            inner = o
        elif name not in _FREE_IN_NEST:
            return None
    return inner


class Estimator:
    """Walks a module from its top function, recording loops, functions and resources."""

    def __init__(self, module, top: str, lib):
        self.module = module
        self.top = top
        self.lib = lib
        self.loops: list = []
        self.functions: dict = {}
        self.dataflow: list = []
        self.notes: list = []
        self.resources = ResourceTally(lib)
        self._memories: dict = {}
        self._function = top
        self._level = 0
        self._count = 1
        self.first_output: dict = {}  # function name -> cycles to its first output
        self._unnamed: list = []  # (loop op, L_<k>) of the function being estimated
        self._iv_mean: dict = {}  # induction variable -> its mean value (triangular bounds)

    @property
    def current_function(self) -> str:
        """The function being estimated."""
        return self._function

    # ------------------------------------------------------------------ memories
    def memory(self, root):
        info = self._memories.get(root)
        if info is None:
            name, interface = self._memory_name(root)
            info = memory_of_type(root.type, name, interface)
            self._memories[root] = info
        return info

    def _memory_name(self, root) -> tuple[str, bool]:
        owner = root.owner
        if isinstance(owner, ir.Block):
            parent = owner.owner
            fname = ir.StringAttr(parent.attributes["sym_name"]).value \
                if "sym_name" in parent.attributes else self._function
            index = ir.BlockArgument(root).arg_number
            return f"{fname}:arg{index}", fname == self.top
        attrs = owner.attributes
        if owner.name == "memref.get_global":  # a constant array: a ROM in the design
            return ir.FlatSymbolRefAttr(attrs["name"]).value, False
        if "name" in attrs and isinstance(attrs["name"], ir.StringAttr):
            return ir.StringAttr(attrs["name"]).value, False
        return root.get_name(), False

    # ------------------------------------------------------------------ functions
    def function(self, name: str) -> FunctionEstimate:
        """The estimate of function ``name`` (computed once)."""
        if name in self.functions:
            return self.functions[name]
        func = find_func(self.module, name)
        if func is None or len(func.regions[0].blocks) == 0:  # external IP: unknown inside
            self.notes.append(f"function {name} has no body (external IP): counted as 1 cycle")
            est = FunctionEstimate(name, 1, 1)
            self.functions[name] = est
            return est
        saved = (self._function, self._level, self._count, self._unnamed)
        self._function, self._level, self._count = name, 0, 1
        unnamed = [o for o in walk_ops(func) if o.operation.name in LOOP_OPS
                   and "loop_name" not in o.operation.attributes]
        self._unnamed = [(o.operation, f"L_{k}") for k, o in enumerate(unnamed)]
        self.resources.begin_function(name)
        before = len(self.loops)
        if "dataflow" in func.attributes:
            region = estimate_region(self, func)
            self.dataflow.append(region)
            est = FunctionEstimate(name, region.latency, region.interval, dataflow=True)
        else:
            sched = BodyScheduler(self, pipelined=False).run(body_ops(func))
            self.resources.add_sequential(sched)
            est = FunctionEstimate(name, max(1, sched.latency), max(1, sched.latency))
            self.first_output[name] = fill_of(self.loops[before:], est.latency)
        self.resources.add_memories(name, self._allocs(func))
        self.functions[name] = est
        self._function, self._level, self._count, self._unnamed = saved
        self.resources.begin_function(saved[0])
        return est

    def _allocs(self, func) -> list:
        out = []
        for op in walk_ops(func):
            if op.operation.name in ("memref.alloc", "memref.alloca", "memref.get_global"):
                out.append(self.memory(op.operation.results[0]))
        return out

    def call_cycles(self, op) -> int:
        callee = ir.FlatSymbolRefAttr(op.operation.attributes["callee"]).value
        est = self.function(callee)
        func = find_func(self.module, callee)
        inline = func is not None and "inline" in func.attributes and \
            len(func.regions[0].blocks) > 0
        return est.latency + (0 if inline else self.lib.CALL_OVERHEAD)

    # ------------------------------------------------------------------ loops
    def name_of(self, op) -> str:
        """The loop's name: its ``loop_name``, or ``L_<k>`` in program order when unnamed."""
        if "loop_name" in op.operation.attributes:
            return loop_name(op)
        for other, name in self._unnamed:
            if other == op.operation:
                return name
        return "L"

    def nested_loop_cycles(self, op, env: dict) -> int:
        """Cycles of a loop met in a sequential body: its latency plus entry overhead."""
        est = self.loop(op, env)
        if est.unroll is not None and est.unroll >= est.trip_count:
            return est.latency  # fully unrolled: no loop control left
        overhead = self.lib.PIPELINE_OVERHEAD if est.pipelined else self.lib.LOOP_OVERHEAD
        return est.latency + overhead

    def loop(self, op, env: dict) -> LoopEstimate:
        chain = [op]
        while _attr_int(chain[-1], "pipeline_ii") is None and \
                _attr_int(chain[-1], "unroll") is None:
            inner = _only_loop_inside(chain[-1])
            if inner is None or constant_bounds(inner) is None:
                break
            chain.append(inner)
        if _attr_int(chain[-1], "pipeline_ii") is None:
            chain = [op]
        self._level += 1
        try:
            if _attr_int(chain[-1], "pipeline_ii") is not None:
                return self._pipelined(chain, env)
            if "dataflow" in op.operation.attributes:
                return self._dataflow_loop(op)
            return self._sequential(op, env)
        finally:
            self._level -= 1

    def _trip(self, op, env: dict | None = None) -> float:
        """The loop's trip count; for bounds that follow enclosing loops, the average."""
        bounds = constant_bounds(op)
        if bounds is not None:
            return trip_count(*bounds)
        means = dict(self._iv_mean)
        for iv, form in (env or {}).items():
            if not form.coeffs:
                means[iv] = float(form.const)
        average = average_trip_count(op, means)
        if average is None:
            self.notes.append(f"loop {self.name_of(op)} in {self._function} has bounds not "
                              "known at compile time: counted as 1 iteration")
            return 1
        if any(v in means for v in op.operation.operands):
            self.notes.append(f"loop {self.name_of(op)} in {self._function}: bounds follow "
                              f"enclosing loops; average trip count {average:g} used")
        return average

    def _enter(self, op, trips: int) -> None:
        """Make ``op``'s induction variable known (by its mean) to inner loops' bounds."""
        mean = iv_mean(op, trips)
        if mean is not None:
            self._iv_mean[op.operation.regions[0].blocks[0].arguments[0]] = mean

    def _pipelined(self, chain: list, env: dict) -> LoopEstimate:
        inner = chain[-1]
        trips = []
        for lp in chain:
            trips.append(self._trip(lp, env))
            self._enter(lp, trips[-1])
        ivs = [lp.operation.regions[0].blocks[0].arguments[0] for lp in chain]
        flattened = [LoopEstimate(self._function, self.name_of(lp), self._level + k,
                                  rounded(trips[k]), 0, 0, count=rounded(self._count),
                                  note=f"flattened into {self.name_of(inner)}")
                     for k, lp in enumerate(chain[:-1])]
        self.loops.extend(flattened)
        scheduler = BodyScheduler(self, pipelined=True, env=env)
        factor = self._unroll_copies(inner, trips[-1], scheduler)
        trips[-1] = math.ceil(trips[-1] / factor) if factor > 1 else trips[-1]
        sched = scheduler.run([])
        if sched.truncated:
            self.notes.append(f"loop {self.name_of(inner)}: unrolled body too large, scheduled "
                              "in part")
        depth = max(1, sched.latency)
        requested = max(1, _attr_int(inner, "pipeline_ii") or 1)
        rec_ii, rec_reason = recurrence_bound(sched.accesses, sched.ops, ivs, trips)
        port_ii, port_reason = port_bound(sched.accesses)
        achieved = max(requested, rec_ii, port_ii)
        reason = ""
        if achieved > requested:
            reason = rec_reason if rec_ii >= port_ii else port_reason
        total = math.prod(trips)
        self.resources.add_loop_control(rounded(total))
        # below one iteration on average the pipeline is counted as never entered
        latency = rounded(loop_latency(total, depth, achieved)) if total >= 1 else 0
        self.resources.add_pipeline(sched, achieved, depth)
        est = LoopEstimate(self._function, self.name_of(inner), self._level + len(chain) - 1,
                           rounded(total), latency, depth, pipelined=True,
                           requested_ii=requested, achieved_ii=achieved, ii_reason=reason,
                           count=rounded(self._count), unroll=factor if factor > 1 else None,
                           note="flattened nest" if len(chain) > 1 else "")
        self.loops.append(est)
        for outer in flattened:  # an outer loop lasts as long as the one pipeline
            outer.latency, outer.iteration_latency = latency, depth
        return est

    @staticmethod
    def _unroll_factor(op, trip: float) -> int:
        """Body copies per iteration: ``unroll`` (0 = all), ``parallel`` = all, else 1."""
        unroll = _attr_int(op, "unroll")
        if unroll == 0 or (unroll is None and "parallel" in op.operation.attributes):
            unroll = rounded(trip)
        return max(1, min(unroll or 1, max(rounded(trip), 1)))

    def _unroll_copies(self, op, trip: float, scheduler) -> int:
        """Schedule the body of ``op`` once per copy its unroll factor asks for (a loop
        unrolled by ``u`` runs ``ceil(N / u)`` iterations of ``u`` copies); the factor."""
        factor = self._unroll_factor(op, trip)
        bounds = constant_bounds(op) or (0, trip, 1)
        iv = op.operation.regions[0].blocks[0].arguments[0]
        whole = factor >= trip
        for j in range(factor):
            if factor > 1:
                offset = bounds[0] + j * bounds[2]
                scheduler.env[iv] = LinearForm(const=offset) if whole else \
                    LinearForm({iv: factor}, offset)
            for inner in body_ops(op):
                scheduler.schedule_op(inner)
        return factor

    def _dataflow_loop(self, op) -> LoopEstimate:
        """A loop whose body is a dataflow region: a new iteration starts every region
        interval, so ``latency = (N - 1) * interval + region latency``."""
        trip = self._trip(op)
        self._enter(op, trip)
        record = LoopEstimate(self._function, self.name_of(op), self._level, rounded(trip), 0,
                              0, count=rounded(self._count), note="dataflow body")
        self.loops.append(record)
        saved = self._count
        self._count *= max(trip, 1)
        region = estimate_region(self, op, f"{self._function}/{record.name}")
        self._count = saved
        self.dataflow.append(region)
        self.resources.add_loop_control(rounded(trip))
        record.iteration_latency = region.latency
        record.latency = rounded(loop_latency(trip, region.latency, region.interval))
        return record

    def _sequential(self, op, env: dict) -> LoopEstimate:
        trip = self._trip(op, env)
        self._enter(op, trip)
        factor = self._unroll_factor(op, trip)
        iterations = math.ceil(trip / factor) if factor > 1 else trip
        record = LoopEstimate(self._function, self.name_of(op), self._level, rounded(trip), 0, 0,
                              unroll=factor if factor > 1 else None, count=rounded(self._count))
        self.loops.append(record)
        if iterations > 1:
            self.resources.add_loop_control(rounded(iterations))
        saved = self._count
        self._count *= max(iterations, 1)
        scheduler = BodyScheduler(self, pipelined=False, env=env)
        self._unroll_copies(op, trip, scheduler)
        sched = scheduler.run([])
        self._count = saved
        self.resources.add_sequential(sched)
        record.iteration_latency = max(1, sched.latency)
        record.latency = rounded(loop_latency(iterations, record.iteration_latency))
        return record
