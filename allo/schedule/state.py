"""The schedule state: everything primitives read and change, apart from the user's façade.

A :class:`ScheduleState` holds one customized program while it is being scheduled:

* the IR: ``module``, ``context``, ``top_func_name`` and ``func_args`` (parameter names of
  every function, the very dict of the frontend's :class:`~allo.frontend.module.BuiltModule`);
* the records primitives keep: ``primitive_sequences`` (the trace, G5),
  ``partitioned_arrays`` and ``layout_sources`` (the layout records of §7), ``composed``
  (sub-schedules composed so far);
* the mode: ``replaying`` is true while ``compose`` replays a sub-schedule;
* cached analyses (loop nests and addressable buffers of each function), valid until the
  next primitive changes the IR.

Primitives receive the state (``fn(state, ...)``), never the ``Schedule``; lookups go through
:meth:`func_op`, :meth:`function_names`, :meth:`function_loops` and :meth:`buffers`, and the
state's own records through :meth:`layout_records`. :meth:`transaction` (checkpoint, restore)
makes a block of primitives atomic.

>>> # state = s._state; state.function_loops(state.top_func_name).stage_names()
"""

from __future__ import annotations

import copy
import itertools
from contextlib import contextmanager
from typing import Any, Iterator

from .._mlir import ir
from ..analysis.dataflow_graph import DataflowGraph, build_dataflow_graph
from ..analysis.layout import LayoutRecords
from ..analysis.loops import FunctionLoops, collect_function_loops
from ..mlir_utils import func_name, func_ops
from .args import BufferRef, collect_buffers

# A stable identity for a schedule composed into another (``id()`` may be reused once the
# sub-schedule is garbage collected).
_COMPOSE_TOKENS = itertools.count()


class ScheduleState:
    """The program being scheduled plus the schedule's records and cached analyses."""

    # Records saved by :meth:`checkpoint` and put back by :meth:`restore`.
    CHECKPOINTED: tuple[str, ...] = ("primitive_sequences", "partitioned_arrays", "func_args",
                                     "layout_sources", "composed")

    def __init__(self, built):
        self.built = built
        self.module = built.module
        self.context = built.context
        self.top_func_name: str = built.top_func_name
        self.func_args: dict[str, list[str]] = built.func_args
        self.primitive_sequences: list = []
        self.partitioned_arrays: dict = {}
        self.layout_sources: dict = {}
        self.composed: set = set()  # (sub-schedule token, target instances) composed so far
        self.replaying = False
        self.touched_roots: list = []  # stage roots resolved by the running primitive
        self._compose_token: int | None = None
        self._analysis_cache: dict = {}
        self._stage_cache: dict = {}  # stage root op -> its loop nodes (analysis.loops)

    # ------------------------------------------------------------------ lookups

    @property
    def top_func(self):
        """The top ``func.func`` op (looked up again on every access)."""
        return self.func_op(self.top_func_name)

    def func_op(self, name: str):
        """The ``func.func`` op called ``name`` or ``None``."""
        return self.built.find_func(name)

    def function_names(self) -> list[str]:
        """Names of every function of the module, in module order (cached until the next
        primitive that does not keep ``"functions"``)."""
        key = ("functions",)
        if key not in self._analysis_cache:
            self._analysis_cache[key] = [func_name(op) for op in func_ops(self.module)]
        return list(self._analysis_cache[key])

    def function_loops(self, name: str) -> FunctionLoops | None:
        """Loop nests of function ``name`` (cached until the next primitive)."""
        key = ("loops", name)
        if key not in self._analysis_cache:
            op = self.func_op(name)
            self._analysis_cache[key] = (None if op is None
                                         else collect_function_loops(op, self._stage_cache))
        return self._analysis_cache[key]

    def buffers(self, name: str) -> dict[str, BufferRef]:
        """Addressable buffers of function ``name`` by name (cached until the next primitive)."""
        key = ("buffers", name)
        if key not in self._analysis_cache:
            op = self.func_op(name)
            params = list(self.func_args.get(name, []))
            self._analysis_cache[key] = {} if op is None else collect_buffers(name, op, params)
        return self._analysis_cache[key]

    def layout_records(self) -> LayoutRecords:
        """The partition records (``s.partitioned_arrays`` plus the request behind each)."""
        return LayoutRecords(self.partitioned_arrays, self.layout_sources)

    def dataflow_graph(self) -> DataflowGraph:
        """The hierarchical dataflow graph of the program as scheduled so far (§8.1)."""
        with self.context:
            return build_dataflow_graph(self.module, self.func_args, self.top_func_name)

    def compose_token(self) -> int:
        """This schedule's identity when it is composed into another one."""
        if self._compose_token is None:
            self._compose_token = next(_COMPOSE_TOKENS)
        return self._compose_token

    # ------------------------------------------------------------------ functions

    def clone_function(self, source: str, new_name: str):
        """Copy function ``source`` as ``new_name`` (placed before it, same parameter names).

        The copy is an IR change: call it from a primitive's rewrite, after every check.
        """
        original = self.func_op(source)
        clone = original.operation.clone(ip=ir.InsertionPoint(original))
        clone.attributes["sym_name"] = ir.StringAttr.get(new_name)
        self.func_args[new_name] = list(self.func_args.get(source, []))
        self._analysis_cache.pop(("functions",), None)
        return clone

    def erase_function(self, name: str) -> None:
        """Remove function ``name`` from the module and from ``func_args`` (if present)."""
        op = self.func_op(name)
        if op is not None:
            op.operation.erase()
            self.func_args.pop(name, None)
            self._analysis_cache.pop(("functions",), None)

    # ------------------------------------------------------------------ replay mode

    @contextmanager
    def replay_mode(self) -> Iterator[None]:
        """Mark the block as a replay of recorded primitives (composition): the same layout
        requested twice is then a no-op, and replay-only warnings stay silent."""
        previous = self.replaying
        self.replaying = True
        try:
            yield
        finally:
            self.replaying = previous

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run a block atomically: on any exception the module and the records are restored
        and the exception propagates (used by ``compose``)."""
        saved = self.checkpoint()
        try:
            yield
        except BaseException:
            self.restore(saved)
            raise

    def checkpoint(self) -> tuple[str, dict]:
        """Text of the module (with locations) plus copies of the records."""
        text = self.module.operation.get_asm(enable_debug_info=True)
        return text, {attr: _copy_record(attr, getattr(self, attr))
                      for attr in self.CHECKPOINTED}

    def restore(self, saved: tuple[str, dict]) -> None:
        """Put the module (same Python object) and the records back to a checkpoint."""
        text, records = saved
        with self.context:
            fresh = ir.Module.parse(text)
            body = self.module.body
            for op in list(body.operations):
                op.operation.erase()
            for op in list(fresh.body.operations):
                body.append(op.operation)
        for attr, value in records.items():
            # Restored in place: other holders (the BuiltModule holds func_args, users may
            # hold s.primitive_sequences) see the restored records.
            current, value = getattr(self, attr), _copy_record(attr, value)
            if isinstance(current, (dict, set)):
                current.clear()
                current.update(value)
            else:
                current[:] = value
        self.forget_analyses()

    # ------------------------------------------------------------------ cached analyses

    def forget_analyses(self, keep: tuple[str, ...] = ()) -> None:
        """Drop every cached analysis (after a rewrite of unknown extent), except the kinds
        in ``keep`` (the first element of the cache keys)."""
        kept = {k: v for k, v in self._analysis_cache.items() if k[0] in keep}
        self._analysis_cache.clear()
        self._analysis_cache.update(kept)
        self._stage_cache.clear()

    def forget_stages(self, roots) -> None:
        """Drop the loop analyses of the stages rooted at ``roots`` (a local rewrite)."""
        # Compare by identity: a root the rewrite erased can no longer be hashed.
        doomed = {id(root) for root in roots}
        self._stage_cache = {op: nodes for op, nodes in self._stage_cache.items()
                             if id(op) not in doomed}
        for key in [k for k in self._analysis_cache if k[0] == "loops"]:
            del self._analysis_cache[key]


def _copy_record(attr: str, value: Any) -> Any:
    """A copy of one checkpointed record. Trace entries are copied one level deep only:
    their arguments are the user's objects as passed (G5), and loop handles hold IR ops,
    which cannot be deep-copied."""
    if attr == "primitive_sequences":
        return [(name, list(args), dict(kwargs)) for name, args, kwargs in value]
    return copy.deepcopy(value)
