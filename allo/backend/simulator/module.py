"""``LLVMOMPModule``: the dataflow simulator (backends.md §6.4, docs/dataflow.md).

Every process of the design (kernel instance) runs compiled code in its own thread; the
threads share the region's arrays (zero-copy) and communicate through bounded FIFOs whose
``put``/``get`` block in native code (:mod:`.fifo_runtime`). The calling thread watches them:
when every unfinished process is blocked on a FIFO it raises :class:`allo.DeadlockError`
naming each process, its stream and whether it was empty or full; the blocked threads stay
parked (daemon threads, their memory kept alive), so the simulator never hangs.

>>> import numpy as np, allo, allo.dataflow as df
>>> from allo.ir.types import int32, Stream
>>> @df.region()
... def pipe(A: int32[4], B: int32[4]):
...     q: Stream[int32, 1]
...     @df.kernel(mapping=[1], args=[A])
...     def load(a: int32[4]):
...         for i in range(4):
...             q.put(a[i] + 1)
...     @df.kernel(mapping=[1], args=[B])
...     def store(b: int32[4]):
...         for i in range(4):
...             b[i] = q.get() * 2
>>> B = np.zeros(4, np.int32)
>>> df.build(pipe, target="simulator")(np.arange(4, dtype=np.int32), B)
>>> B.tolist()
[2, 4, 6, 8]
"""

from __future__ import annotations

import os
import threading
import warnings

import numpy as np

from ..._mlir import ir
from ...errors import ArgumentError, BuildError, DeadlockError
from ...mlir_utils import find_func
from ..llvm.lower_to_llvm import lower_to_llvm_dialect, prepare_for_cpu
from ..llvm.bounds_checks import SLOT_WORDS
from ..llvm.memref_descriptors import DescriptorBlock
from ..llvm.module import (BOUNDS_CHECKS_ENV, _RUNTIME_LIBS, LLVMModule, _compile,
                           _library_path, _module_text, invoke_mlir_parser)
from ..llvm.numpy_boundary import marshal_arguments, write_back
from ..signature import read_signature
from ...analysis.timing import function_cycles
from .cycles import CycleReport, static_process_cycles
from .fifo_runtime import (ACQUIRE, COMMIT, GET_HISTORY, HISTORY_LENGTH, PUT_HISTORY,
                           ROW_WORDS, RUNTIME, STATE_WORDS, TIMES)
from .network import extract_network
from .sim_module import DISPATCH, build_simulation_module, element_bytes

__all__ = ["LLVMOMPModule", "build_simulator"]

# LLVM optimisation level of the simulator's code: 2 for small designs; 0 from
# MANY_PROCESSES processes on, where per-process work is small, time goes to FIFO
# synchronisation, and optimising hundreds of instance functions would dominate the build
# (benchmarks/dataflow_sim.py). ALLO_SIM_OPT_LEVEL overrides both.
OPT_LEVEL, MANY_PROCESSES = 2, 24


def opt_level(processes: int) -> int:
    """The LLVM optimisation level for a design of ``processes`` processes."""
    forced = os.environ.get("ALLO_SIM_OPT_LEVEL")
    if forced is not None:
        return int(forced)
    return OPT_LEVEL if processes < MANY_PROCESSES else 0

# How often the watchdog looks for a deadlock (seconds).
POLL_SECONDS = 0.05

# Threads left blocked by a deadlock, with the buffers they point into (never freed).
_PARKED: list = []


def link_fifo_runtime(lowered) -> None:
    """Replace the FIFO declarations of a lowered module with their LLVM-dialect bodies."""
    with lowered.context, ir.Location.unknown():
        for op in list(lowered.body.operations):
            if op.operation.name == "llvm.func" and \
                    ir.StringAttr(op.attributes["sym_name"]).value in (ACQUIRE, COMMIT):
                op.operation.erase()
        runtime = ir.Module.parse(RUNTIME)
        for op in list(runtime.body.operations):
            lowered.body.append(op.operation.detach_from_parent())


class LLVMOMPModule:
    """A dataflow design compiled for the concurrent simulator; call it with numpy arrays.

    ``mod(*arrays)``: one array per parameter of the top function (the CPU module's
    argument rules); every array is read and written in place; returns ``None``. A top
    that is a single process (no region) runs as the CPU build and returns what it returns.

    Built by ``df.build(region, target="simulator")``; ``mod`` is the MLIR module,
    ``top_func_name`` its top function, ``arg_names`` the parameter names used in messages
    and ``ext_libs`` external IP modules to link.
    """

    def __init__(self, mod, top_func_name: str, arg_names=None, ext_libs=None):
        self.top_func_name = top_func_name
        text = _module_text(mod)
        parsed = invoke_mlir_parser(text)
        top = find_func(parsed, top_func_name)
        if top is None:
            raise BuildError(f"Top function '{top_func_name}' not found in the module")
        self._signature = read_signature(top, arg_names)
        self.network = extract_network(parsed, top_func_name)
        self._single = None
        self.last_cycles: CycleReport | None = None
        # timing-model options: FIFO capacities below the declared depths ({label: depth}),
        # and whether to record every put/get time (``last_times``, used by df.size_fifos)
        self.capacities: dict = {}
        self.record_times = False
        self.last_times: dict = {}
        if not self.network.expanded:
            # one process, no FIFO between processes: the CPU build is the simulation (its
            # stream locals keep program order) and returns results as the CPU build does
            self._single = LLVMModule(text, top_func_name, ext_libs=ext_libs,
                                      arg_names=arg_names)
            self.module = self._single.module
            self.intermediate_module = self._single.intermediate_module
            self.last_cycles = CycleReport.single(top_func_name, function_cycles(parsed, top))
            return
        self._static_cycles = static_process_cycles(parsed, self.network)
        types, self._groups = build_simulation_module(parsed, self.network)
        self.intermediate_module = parsed
        self._shared_types = types[1:-2]
        checks = os.environ.get(BOUNDS_CHECKS_ENV, "1") != "0"
        prepared = invoke_mlir_parser(str(parsed))
        self._sites = prepare_for_cpu(prepared, DISPATCH, distinct_args=False,
                                      bounds_checks=checks).sites
        lowered = invoke_mlir_parser(str(prepared))
        lower_to_llvm_dialect(lowered)
        link_fifo_runtime(lowered)
        self.module = lowered
        libs = _RUNTIME_LIBS + [_library_path(lib) for lib in (ext_libs or [])]
        _, self._entry, _ = _compile(lowered, libs, opt_level(len(self.network.processes)))
        self._checks = checks
        self._ranks = [0] + [len(ir.MemRefType(t).shape) for t in types[1:]]

    # ------------------------------------------------------------------ buffers
    def _shared_buffers(self, params: list) -> list:
        """The dispatcher's buffers: the caller's arrays (``params``), then fresh zeroed
        memory for the design's own arrays and for the FIFO ring groups."""
        plain = [b for b in self.network.buffers if b.kind != "fifo"]
        out = []
        for k, mtype in enumerate(self._shared_types):
            if k < len(plain) and plain[k].kind == "param":
                out.append(params[plain[k].index])
                continue
            mt = ir.MemRefType(mtype)
            dtype = np.dtype(f"V{element_bytes(mt.element_type)}")
            out.append(np.zeros(tuple(mt.shape), dtype=dtype))
        return out

    def _tables(self):
        """The FIFO control table, the process state table, and the arrays their rows point
        to (timestamps, histories), which must stay alive while the processes run."""
        fifos = self.network.fifos()
        table = np.zeros((max(1, len(fifos)), ROW_WORDS), dtype=np.int64)
        keep = []
        for k, b in enumerate(fifos):
            buf = self.network.buffers[b]
            cap = min(int(self.capacities.get(buf.label, buf.depth)), buf.depth)
            if cap < 1:
                raise BuildError(f"stream '{buf.label}' needs a positive depth, got {cap}")
            table[k, 2] = cap
            times = np.full(buf.depth, -1, dtype=np.int64)
            table[k, TIMES] = times.ctypes.data
            keep.append(times)
            if self.record_times:
                length = max(1, int(ir.MemRefType(buf.mtype).shape[0]))
                puts, gets = np.full(length, -1, np.int64), np.full(length, -1, np.int64)
                table[k, PUT_HISTORY], table[k, GET_HISTORY] = puts.ctypes.data, gets.ctypes.data
                table[k, HISTORY_LENGTH] = length
                keep.append((buf.label, puts, gets))
        state = np.zeros((len(self.network.processes), STATE_WORDS), dtype=np.int64)
        return table, state, keep

    # ------------------------------------------------------------------ calls
    def __call__(self, *args, **kwargs):
        if self._single is not None:
            return self._single(*args, **kwargs)
        if kwargs:
            raise ArgumentError(f"{self.top_func_name} takes positional arguments only")
        frame = marshal_arguments(self._signature, args, [True] * len(self._signature.params))
        buffers = self._shared_buffers(frame.buffers)
        table, state, keep = self._tables()
        run = _Run(self, buffers + [table, state], table, state)
        run.keep = keep
        for group in self.network.groups():
            run.start(group)
            run.wait(group)
        write_back(frame)
        self.last_cycles = CycleReport.from_run(self.network, state, self._static_cycles)
        self.last_times = {item[0]: (item[1], item[2]) for item in keep
                           if isinstance(item, tuple)}
        run.report_leftovers()
        return None

    def __repr__(self):
        return f"<LLVMOMPModule {self.top_func_name}: {len(self.network.processes)} processes>"


class _Run:
    """One simulation: the process threads and the watchdog (the calling thread)."""

    def __init__(self, module: LLVMOMPModule, shared: list, table, state):
        self.mod = module
        self.shared = shared
        self.table = table
        self.state = state
        self.errors: dict = {}
        self.finished = 0
        self.cond = threading.Condition()
        self.threads = []
        self.keep: list = []

    def _process(self, p: int) -> None:
        try:
            slots = DescriptorBlock(self.mod._ranks,
                                    error_words=SLOT_WORDS if self.mod._checks else 0)
            which = np.array(p, dtype=np.int64)
            if slots.error is not None:
                slots.error[0] = 0
            self.mod._entry(slots.fill([which] + self.shared))
            if slots.error is not None and slots.error[0]:
                site = self.mod._sites[slots.error[0] - 1]
                self.errors[p] = site.error(slots.error[1], slots.error[2])
        except BaseException as err:  # noqa: BLE001 - reported by the calling thread
            self.errors[p] = err
        finally:
            self.state[p, 2] = 1
            with self.cond:
                self.finished += 1
                self.cond.notify_all()

    def start(self, group: list) -> None:
        """Start one thread per process of ``group``."""
        for p in group:
            proc = self.mod.network.processes[p]
            t = threading.Thread(target=self._process, args=(p,), daemon=True,
                                 name=f"allo-sim-{proc.label}")
            self.threads.append(t)
            t.start()

    def wait(self, group: list) -> None:
        """Wait for every thread started so far; watch ``group`` for a deadlock."""
        total = len(self.threads)
        while True:
            with self.cond:
                if self.cond.wait_for(lambda: self.finished == total, timeout=POLL_SECONDS):
                    break
            blocked = self._deadlock(group)
            if blocked is not None:
                _PARKED.append((self.threads, self.shared, self.mod, self.keep))
                if self.errors:
                    raise self._first_error()
                raise DeadlockError(self._deadlock_message(blocked))
        for t in self.threads[-len(group):]:
            t.join()
        if self.errors:
            raise self._first_error()

    def _first_error(self):
        return self.errors[min(self.errors)]

    def _deadlock(self, group: list):
        """``[(process, fifo, is_put)]`` if every unfinished process of ``group`` is blocked
        for good, else None.

        Sound without locks: the state rows are read before and after the FIFO counters;
        unchanged rows (same blocked code and block count) mean no process ran in between,
        so the counters read in between are the ones every blocked process waits on.
        """
        before = self.state.copy()
        counters = self.table[:, :2].copy()
        after = self.state.copy()
        if not np.array_equal(before, after):
            return None
        blocked = []
        for p in group:
            row = after[p]
            if row[2]:
                continue
            code = int(row[0])
            if code == 0:
                return None
            fifo, is_put = (code - 1) // 2, (code - 1) % 2 == 1
            head, tail = int(counters[fifo, 0]), int(counters[fifo, 1])
            size = tail - head
            depth = int(self.table[fifo, 2])
            if (is_put and size < depth) or (not is_put and size > 0):
                return None
            blocked.append((p, fifo, is_put))
        return blocked or None

    def _deadlock_message(self, blocked) -> str:
        net = self.mod.network
        fifos = net.fifos()
        lines = ["deadlock: every unfinished kernel instance is blocked on a stream"]
        for p, fifo, is_put in blocked:
            buf = net.buffers[fifos[fifo]]
            proc = net.processes[p].label
            if is_put:
                lines.append(f"  {proc} waits to put into stream '{buf.label}' "
                             f"(full, depth {buf.depth})")
            else:
                lines.append(f"  {proc} waits to get from stream '{buf.label}' (empty)")
        done = [net.processes[p].label for p in range(len(net.processes)) if self.state[p, 2]]
        if done:
            lines.append("  finished: " + ", ".join(done))
        return "\n".join(lines)

    def report_leftovers(self) -> None:
        net = self.mod.network
        for k, b in enumerate(net.fifos()):
            left = int(self.table[k, 1] - self.table[k, 0])
            if left:
                warnings.warn(f"stream '{net.buffers[b].label}' still holds {left} "
                              f"element(s) when the region ends", UserWarning, stacklevel=3)


def build_simulator(schedule, target: str | None = None, **options) -> LLVMOMPModule:
    """The builder registered for ``s.build(target="simulator")`` (HLS options ignored)."""
    built = getattr(schedule, "built", None)
    func_args = getattr(schedule, "func_args", None) or {}
    return LLVMOMPModule(schedule.module, schedule.top_func_name,
                         arg_names=func_args.get(schedule.top_func_name),
                         ext_libs=getattr(built, "ext_libs", None))
