"""The :class:`Schedule` object: the MLIR module of a kernel plus the primitives applied to it.

The schedule is thin: every primitive method is generated from the primitive table
(``allo.schedule.registry``) and goes through :meth:`Schedule._apply`, the single entry
point shared with composition's replay. ``_apply`` runs the primitive (legality check, then
rewrite), drops cached analyses and records ``(name, args, kwargs)`` exactly as passed.
"""

from __future__ import annotations

import copy
import functools
import inspect
from contextlib import contextmanager
from typing import Any, Iterator

from .._mlir import ir
from ..analysis.dataflow_graph import DataflowGraph, build_dataflow_graph
from ..analysis.layout import equivalent_variables
from ..analysis.loops import FunctionLoops, collect_function_loops
from ..errors import ScheduleError
from ..frontend.module import BuiltModule
from ..mlir_utils import func_name, func_ops
from . import buffer_at, compute_at, functions, loops, memory, reuse, streams, unfold  # noqa: F401 - registers them
from .args import BufferRef, collect_buffers, resolve_function
from .compose import compose_schedules
from .handles import LoopBand, LoopHandle, MockBuffer
from .registry import PRIMITIVES
from .targets import build_schedule


class Partition:
    """Partition kinds for ``s.partition``."""

    Complete = 0
    Block = 1
    Cyclic = 2


class Schedule:
    """A customizable program: ``s.module`` is rewritten in place by each primitive.

    >>> # s = allo.customize(kernel); s.split("i", 4); print(s.module)
    """

    # Attributes saved by ``_checkpoint`` and restored by ``_restore`` (deep copies).
    # Primitive families that keep schedule-level state add their attribute names here.
    _checkpoint_attrs: tuple[str, ...] = ("primitive_sequences", "partitioned_arrays",
                                          "func_args", "_layout_sources", "_composed")

    def __init__(self, built: BuiltModule):
        self.built = built
        self.module = built.module
        self.context = built.context
        self.top_func_name = built.top_func_name
        self.func_args = built.func_args
        self.primitive_sequences: list = []
        self.partitioned_arrays: dict = {}
        self._analysis_cache: dict = {}
        self._stage_cache: dict = {}  # stage root op -> its loop nodes (analysis.loops)
        self._touched_roots: list = []  # stage roots resolved by the running primitive
        self._composed: set = set()  # (sub-schedule token, target instances) composed so far

    # ------------------------------------------------------------------ attributes

    @property
    def top_func(self):
        """The top ``func.func`` op (looked up again on every access)."""
        return self.built.find_func(self.top_func_name)

    def __getattr__(self, name: str) -> MockBuffer:
        # Only reached when normal lookup fails: methods and attributes always win.
        if name.startswith("_") or "built" not in self.__dict__:
            raise AttributeError(name)
        ref = self._buffers(self.top_func_name).get(name)
        if ref is None:
            raise AttributeError(
                f"'Schedule' object has no attribute or buffer {name!r} "
                f"(buffers of {self.top_func_name}: "
                f"{', '.join(self._buffers(self.top_func_name)) or 'none'})")
        return ref.handle

    def __dir__(self):
        names = set(super().__dir__())
        try:
            names.update(self._buffers(self.top_func_name))
        except Exception:  # noqa: BLE001 - dir() must never fail
            pass
        return sorted(names)

    def get_loops(self, func: str | None = None) -> LoopBand:
        """Snapshot of the stages and loops of ``func`` (``None`` = top function).

        >>> # loops = s.get_loops(); loops.S_i_j_0.j ; loops["acc"]["c.outer"]
        """
        fref = resolve_function(self, func, "get_loops")
        nest = self._function_loops(fref.name)
        stages = []
        for stage in nest.stages:
            members = [(node.name, LoopHandle(fref.name, stage.name, node.name, node.op))
                       for node in stage.loops]
            stages.append((stage.name, LoopBand(fref.name, stage.name, members)))
        return LoopBand(fref.name, None, stages)

    def get_equivalent_variables(self, name: str) -> set[str]:
        """The alias class of ``"fn:var"`` or ``"fn:<param index>"`` across calls (§9.3).

        >>> # s.get_equivalent_variables("main:d") == {"main:d", "f:0", "g:0"}
        """
        with self.context:
            return equivalent_variables(self.module, self.func_args, name)

    def dataflow_graph(self) -> DataflowGraph:
        """The hierarchical dataflow graph of the program as scheduled so far (§8.1):
        functions, stages and calls, with buffers and FIFOs (layout, depth, rates) as edges.

        >>> # g = s.dataflow_graph(); g.to_dot(); g.render("g.svg"); g.explain_depth("B")
        """
        with self.context:
            return build_dataflow_graph(self.module, self.func_args, self.top_func_name)

    # ------------------------------------------------------------------ composition

    def compose(self, schs, id: str | None = None,  # noqa: A002 - the spec's name
                instantiate: list | None = None) -> None:
        """Replay the primitives of ``schs`` (a Schedule, a library kernel or a list of
        them) onto the matching functions of this schedule (``schedule.md`` §6).

        With ``id``, the sub-schedule's top ``T`` and its callees are the instance
        ``T_<id>`` and the functions called inside it. Atomic: on failure nothing changes.
        Not recorded itself; the replayed (renamed) primitives are, so composition nests.

        >>> # sa = allo.customize(axpy); sa.split("t", 4)
        >>> # sc = allo.customize(chain); sc.compose(sa)        # every call of axpy
        >>> # s.compose(s_lo, id="lo")                          # only scale_lo
        """
        compose_schedules(self, schs, id=id, instantiate=instantiate)

    # ------------------------------------------------------------------ dispatch

    def _apply(self, name: str, args, kwargs: dict | None = None) -> Any:
        """Apply primitive ``name`` and record it: the entry point of methods and replay.

        ``args``/``kwargs`` are recorded exactly as given (G5). A refused primitive raises
        before changing anything and is not recorded.
        """
        kwargs = dict(kwargs or {})
        fn = PRIMITIVES.get(name)
        if fn is None:
            raise ScheduleError(f"unknown primitive {name!r}; known: {', '.join(sorted(PRIMITIVES))}")
        self._touched_roots = []
        try:
            with self.context, ir.Location.unknown(self.context):
                result = fn(self, *args, **kwargs)
        except ScheduleError:
            raise  # refused before any change: analyses are still valid
        except BaseException:
            self._forget_analyses()
            raise
        if getattr(fn, "local_rewrite", False):
            self._forget_stages(self._touched_roots)
        else:
            self._forget_analyses(keep=getattr(fn, "keeps", ()))
        self.primitive_sequences.append((name, list(args), kwargs))
        return result

    _replay = _apply

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Run a block of primitives atomically: on any exception the module and the
        schedule state are restored and the exception propagates (used by ``compose``)."""
        saved = self._checkpoint()
        try:
            yield
        except BaseException:
            self._restore(saved)
            raise

    def _checkpoint(self) -> tuple[str, dict]:
        """Text of the module (with locations) plus copies of the schedule state."""
        text = self.module.operation.get_asm(enable_debug_info=True)
        state = {attr: _copy_state(attr, self.__dict__.get(attr))
                 for attr in self._checkpoint_attrs}
        return text, state

    def _restore(self, saved: tuple[str, dict]) -> None:
        """Put ``s.module`` (same Python object) and the state back to a checkpoint."""
        text, state = saved
        with self.context:
            fresh = ir.Module.parse(text)
            body = self.module.body
            for op in list(body.operations):
                op.operation.erase()
            for op in list(fresh.body.operations):
                body.append(op.operation)
        for attr, value in ((a, _copy_state(a, v)) for a, v in state.items()):
            current = self.__dict__.get(attr)
            # Containers shared with other objects (func_args is the BuiltModule's) are
            # restored in place so every holder sees the restored state.
            if isinstance(current, dict) and isinstance(value, dict):
                current.clear()
                current.update(value)
            elif isinstance(current, list) and isinstance(value, list):
                current[:] = value
            else:
                self.__dict__[attr] = value
        self._forget_analyses()

    # ------------------------------------------------------------------ cached analyses

    def _forget_analyses(self, keep: tuple = ()) -> None:
        """Drop every cached analysis (after a rewrite of unknown extent), except the kinds
        in ``keep`` (the first element of the cache keys)."""
        kept = {k: v for k, v in self._analysis_cache.items() if k[0] in keep}
        self._analysis_cache.clear()
        self._analysis_cache.update(kept)
        self._stage_cache.clear()

    def _forget_stages(self, roots) -> None:
        """Drop the loop analyses of the stages rooted at ``roots`` (a local rewrite)."""
        # Compare by identity: a root the rewrite erased can no longer be hashed.
        doomed = {id(root) for root in roots}
        self._stage_cache = {op: nodes for op, nodes in self._stage_cache.items()
                             if id(op) not in doomed}
        for key in [k for k in self._analysis_cache if k[0] == "loops"]:
            del self._analysis_cache[key]

    def _func_op(self, name: str):
        """The ``func.func`` op called ``name`` or ``None``."""
        return self.built.find_func(name)

    def _function_names(self) -> list[str]:
        """Names of the module's functions (cached until the next primitive that does not
        keep ``"functions"``)."""
        key = ("functions",)
        if key not in self._analysis_cache:
            self._analysis_cache[key] = [func_name(op) for op in func_ops(self.module)]
        return list(self._analysis_cache[key])

    def _function_loops(self, name: str) -> FunctionLoops | None:
        """Loop nests of function ``name`` (cached until the next primitive)."""
        key = ("loops", name)
        if key not in self._analysis_cache:
            op = self._func_op(name)
            self._analysis_cache[key] = (None if op is None
                                         else collect_function_loops(op, self._stage_cache))
        return self._analysis_cache[key]

    def _buffers(self, name: str) -> dict[str, BufferRef]:
        """Addressable buffers of function ``name`` by name (cached until the next primitive)."""
        key = ("buffers", name)
        if key not in self._analysis_cache:
            op = self._func_op(name)
            params = list(self.func_args.get(name, []))
            self._analysis_cache[key] = {} if op is None else collect_buffers(name, op, params)
        return self._analysis_cache[key]

    # ------------------------------------------------------------------ build

    def build(self, target=None, mode=None, project=None, configs=None,
              wrap_io=True, use_memory=False):
        """Build for ``target`` (``backends.md`` §1); never mutates the schedule."""
        with self.context:
            streams.check_stream_readers(self)
        return build_schedule(self, target, mode=mode, project=project, configs=configs,
                              wrap_io=wrap_io, use_memory=use_memory)


def _copy_state(attr: str, value: Any) -> Any:
    """A copy of one checkpointed attribute. Trace entries are copied one level deep only:
    their arguments are the user's objects as passed (G5), and loop handles hold IR ops,
    which cannot be deep-copied."""
    if attr == "primitive_sequences" and isinstance(value, list):
        return [(name, list(args), dict(kwargs)) for name, args, kwargs in value]
    return copy.deepcopy(value)


def _primitive_method(name: str, fn):
    """A ``Schedule`` method for primitive ``fn`` with its signature (minus ``sched``)."""
    sig = inspect.signature(fn)
    public_sig = sig.replace(parameters=list(sig.parameters.values())[1:])

    def method(self, *args, **kwargs):
        public_sig.bind(*args, **kwargs)  # a wrong call is a TypeError, as in Python
        return self._apply(name, args, kwargs)

    functools.update_wrapper(method, fn)
    method.__name__ = name
    method.__qualname__ = f"Schedule.{name}"
    method.__signature__ = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + list(public_sig.parameters.values()))
    return method


def install_primitive_methods() -> None:
    """Give ``Schedule`` a method for every registered primitive it does not define."""
    for name, fn in PRIMITIVES.items():
        if name not in Schedule.__dict__:
            setattr(Schedule, name, _primitive_method(name, fn))


install_primitive_methods()
