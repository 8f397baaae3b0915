"""The :class:`Schedule` object: the user's façade over one :class:`ScheduleState`.

The schedule is thin: it owns a :class:`~allo.schedule.state.ScheduleState` (the module, the
records and cached analyses primitives work on) and exposes what users read (``s.module``,
``s.top_func``, ``s.func_args``, ``s.primitive_sequences``, ``s.X`` buffer handles,
``get_loops``, ...). Every primitive method is generated from the primitive table
(``allo.schedule.registry``) and goes through :meth:`Schedule._apply`, which hands the state
to :func:`~allo.schedule.registry.apply_primitive`, the entry point shared with
composition's replay.
"""

from __future__ import annotations

import functools
import inspect
from contextlib import contextmanager
from typing import Any, Iterator

from ..analysis.dataflow_graph import DataflowGraph
from ..analysis.layout import equivalent_variables
from ..diagnostics import as_user_error
from ..frontend.module import BuiltModule
from ..frontend.tensor_lower import bufferize_copy
from . import buffer_at, compute_at, functions, loops, memory, reuse, streams, unfold  # noqa: F401 - registers them
from .args import resolve_function
from .compose import compose_schedules, library_schedule
from .handles import LoopBand, LoopHandle, MockBuffer
from .registry import PRIMITIVES, Primitive, apply_primitive
from .state import ScheduleState
from .targets import build_schedule


class Partition:
    """Partition kinds for ``s.partition``."""

    Complete = 0
    Block = 1
    Cyclic = 2


class Schedule:
    """A customizable program: ``s.module`` is rewritten in place by each primitive.

    Made by :func:`allo.customize` (``built`` is what the frontend produced). Every
    primitive (``split``, ``reorder``, ``pipeline``, ``partition``, ...) is a method; ``s.X``
    is a handle to the buffer ``X`` of the top function.

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def inc(A: int32[8]) -> int32[8]:
    ...     B: int32[8] = 0
    ...     for i in range(8):
    ...         B[i] = A[i] + 1
    ...     return B
    >>> s = allo.customize(inc)
    >>> _ = s.split("i", 4)
    >>> s.B.name, s.top_func_name, s.primitive_sequences
    ('B', 'inc', [('split', ['i', 4], {})])
    """

    def __init__(self, built: BuiltModule):
        self._state = ScheduleState(built)

    # ------------------------------------------------------------------ attributes

    @property
    def built(self) -> BuiltModule:
        """What the frontend produced (module, context, function metadata)."""
        return self._state.built

    @property
    def module(self):
        """The MLIR module, rewritten in place by every primitive."""
        return self._state.module

    @property
    def context(self):
        """The MLIR context of ``module``."""
        return self._state.context

    @property
    def top_func_name(self) -> str:
        """The top function's name."""
        return self._state.top_func_name

    @property
    def top_func(self):
        """The top ``func.func`` op (looked up again on every access)."""
        return self._state.top_func

    @property
    def func_args(self) -> dict[str, list[str]]:
        """Parameter names of every function of the module."""
        return self._state.func_args

    @property
    def primitive_sequences(self) -> list:
        """The applied primitives ``(name, args, kwargs)``, arguments as passed (G5)."""
        return self._state.primitive_sequences

    @property
    def partitioned_arrays(self) -> dict:
        """``"fn:buf"`` → ``[(kind, dim, factor), ...]`` applied or propagated so far."""
        return self._state.partitioned_arrays

    def __getattr__(self, name: str) -> MockBuffer:
        # Only reached when normal lookup fails: methods and attributes always win.
        if name.startswith("_") or "_state" not in self.__dict__:
            raise AttributeError(name)
        state = self._state
        ref = state.buffers(state.top_func_name).get(name)
        if ref is None:
            raise AttributeError(
                f"'Schedule' object has no attribute or buffer {name!r} "
                f"(buffers of {state.top_func_name}: "
                f"{', '.join(state.buffers(state.top_func_name)) or 'none'})")
        return ref.handle

    def __dir__(self):
        names = set(super().__dir__())
        try:
            names.update(self._state.buffers(self._state.top_func_name))
        except Exception:  # noqa: BLE001 - dir() must never fail
            pass
        return sorted(names)

    def get_loops(self, func: str | None = None) -> LoopBand:
        """Snapshot of the stages and loops of a function.

        :param func: the function's name; ``None`` means the top function.
        :returns: a band of stages (attribute or ``band["name"]`` access), each a band of
            its loops, outermost first; loop handles can be passed to primitives.

        >>> import allo
        >>> from allo.ir.types import int32
        >>> def acc(X: int32[4, 6]) -> int32[4]:
        ...     out: int32[4] = 0
        ...     for r, c in allo.grid(4, 6, name="acc"):
        ...         out[r] += X[r, c]
        ...     return out
        >>> s = allo.customize(acc)
        >>> _ = s.split("c", 2)
        >>> list(s.get_loops().acc.loops)
        ['r', 'c.outer', 'c.inner']
        """
        fref = resolve_function(self._state, func, "get_loops")
        nest = self._state.function_loops(fref.name)
        stages = []
        for stage in nest.stages:
            members = [(node.name, LoopHandle(fref.name, stage.name, node.name, node.op))
                       for node in stage.loops]
            stages.append((stage.name, LoopBand(fref.name, stage.name, members)))
        return LoopBand(fref.name, None, stages)

    def get_equivalent_variables(self, name: str) -> set[str]:
        """The names bound to the same array as ``name`` (``"fn:var"`` or
        ``"fn:<param index>"``) across calls: every ``"fn:var"``/``"fn:<index>"`` it is
        passed as.

        >>> import allo
        >>> from allo.ir.types import int32
        >>> def f(A: int32[4]) -> int32[4]:
        ...     return A + 1
        >>> def main(d: int32[4]) -> int32[4]:
        ...     return f(d)
        >>> sorted(allo.customize(main).get_equivalent_variables("main:d"))  # parameters by index
        ['f:0', 'main:0']
        """
        with self.context:
            return equivalent_variables(self.module, self.func_args, name)

    def dataflow_graph(self) -> DataflowGraph:
        """The hierarchical dataflow graph of the program as scheduled so far:
        functions, stages and calls, with buffers and FIFOs (layout, depth, rates) as edges.

        >>> import allo
        >>> from allo.ir.types import int32
        >>> def inc(A: int32[4]) -> int32[4]:
        ...     B: int32[4] = 0
        ...     for i in range(4):
        ...         B[i] = A[i] + 1
        ...     return B
        >>> graph = allo.customize(inc).dataflow_graph()
        >>> graph.to_dot().startswith("digraph")
        True
        """
        return self._state.dataflow_graph()

    # ------------------------------------------------------------------ composition

    def compose(self, schs, id: str | None = None,  # noqa: A002 - the spec's name
                instantiate: list | None = None) -> None:
        """Replay the primitives of ``schs`` (a Schedule, a library kernel or a list of
        them) onto the matching functions of this schedule, in order.

        With ``id``, the sub-schedule's top ``T`` and its callees are the instance
        ``T_<id>`` and the functions called inside it. Atomic: on failure nothing changes.
        Not recorded itself; the replayed (renamed) primitives are, so composition nests.
        ``instantiate`` gives the template arguments when ``schs`` is a library kernel
        function (its default schedule is built for them).

        >>> import allo
        >>> from allo.ir.types import int32
        >>> def axpy(X: int32[8], Y: int32[8]) -> int32[8]:
        ...     Z: int32[8] = 0
        ...     for t in range(8):
        ...         Z[t] = 3 * X[t] + Y[t]
        ...     return Z
        >>> def chain(U: int32[8], V: int32[8]) -> int32[8]:
        ...     return axpy(axpy(U, V), V)
        >>> sa = allo.customize(axpy)
        >>> _ = sa.split("t", 4)
        >>> sc = allo.customize(chain)
        >>> sc.compose(sa)                  # applies to every call of axpy
        >>> sc.primitive_sequences
        [('split', ['axpy:t', 4], {})]
        """
        compose_schedules(self._state, schs, id, lambda item: _state_of(item, instantiate))

    # ------------------------------------------------------------------ dispatch

    def _apply(self, name: str, args, kwargs: dict | None = None) -> Any:
        """Apply primitive ``name`` and record it (see ``registry.apply_primitive``)."""
        return apply_primitive(self._state, name, args, kwargs)

    _replay = _apply

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Run a block of primitives atomically (``ScheduleState.transaction``)."""
        with self._state.transaction():
            yield

    # ------------------------------------------------------------------ build

    def build(self, target=None, mode=None, project=None, configs=None,
              wrap_io=True, use_memory=False):
        """Compile the schedule for ``target``; never changes the schedule.

        :param target: what to build.

            - ``None`` or ``"llvm"``: an :class:`~allo.backend.llvm.LLVMModule` running on
              the CPU, called with numpy arrays.
            - ``"vhls"`` / ``"vivado_hls"``: an :class:`~allo.backend.hls.HLSModule` with
              plain Vitis HLS C++ (``mod.hls_code``).
            - ``"vitis_hls"``: an ``HLSModule`` for the Vitis flow (AXI interfaces, XRT host
              code, ``v++`` project).
            - ``"pynq"``, ``"tapa"``, ``"ihls"`` (Intel HLS), ``"catapult"``: ``HLSModule``
              code and projects for those flows.
            - ``"simulator"``: the dataflow simulator (for ``allo.dataflow`` regions).
        :param mode: what calling an HLS module does (ignored by ``"llvm"``). ``None``:
            code generation only. ``"csim"``: C simulation with ``g++``. vhls/vivado_hls:
            ``"csyn"`` (also ``"csynth"``), ``"cosim"``, ``"impl"``, ``"debug"``,
            ``"custom"``, or several joined by ``|`` (``"csyn|cosim"``); vitis_hls:
            ``"csyn"``, ``"sw_emu"``, ``"hw_emu"``, ``"hw"``; pynq: ``"csyn"``, ``"impl"``;
            tapa: ``"fast_hw_emu"``, ``"hw_emu"``, ``"hw"``; catapult: ``"csyn"``.
        :param project: directory of the generated project (created; generated files are
            overwritten). With a ``mode`` and no project a temporary directory is used.
        :param configs: project settings merged over the defaults: ``"device"`` (a board of
            ``allo.backend.config.PART_NUMBER``, default ``"u280"``), ``"frequency"`` (MHz,
            default 300), ``"hbm_mapping"``, ``"num_output_args"``.
        :param wrap_io: for ``"vitis_hls"`` and ``"pynq"``: wrap the top function's arrays
            in AXI interfaces with local copies.
        :param use_memory: reserved for the XLS flow (ignored by the other targets).
        :returns: the built module.
        :raises BuildError: an unknown target or mode, ``project`` without ``mode``, or an
            unknown device.

        >>> import allo, numpy as np
        >>> from allo.ir.types import int32
        >>> def inc(A: int32[4]) -> int32[4]:
        ...     B: int32[4] = 0
        ...     for i in range(4):
        ...         B[i] = A[i] + 1
        ...     return B
        >>> s = allo.customize(inc)
        >>> s.build()(np.arange(4, dtype=np.int32))
        array([1, 2, 3, 4], dtype=int32)
        >>> "void inc(" in s.build(target="vhls").hls_code
        True
        """
        with self.context:
            streams.check_stream_readers(self._state)
        if self.built.tensor_ir:
            return build_schedule(self._buffer_twin(), target, mode=mode, project=project,
                                  configs=configs, wrap_io=wrap_io, use_memory=use_memory)
        return build_schedule(self, target, mode=mode, project=project, configs=configs,
                              wrap_io=wrap_io, use_memory=use_memory)

    def _buffer_twin(self) -> "Schedule":
        """The buffer-IR schedule a tensor-level one builds as (``enable_tensor=True``)."""
        built = self.built
        module = bufferize_copy(self.module, self.context, built.func_args)
        twin = Schedule(BuiltModule(module, built.context, built.top_func_name,
                                    built.func_args, built.ext_libs))
        for record in ScheduleState.CHECKPOINTED:  # what primitives on buffer functions noted
            setattr(twin._state, record, getattr(self._state, record))
        return twin


def _state_of(item: Any, instantiate: list | None) -> ScheduleState | None:
    """The state of a schedule to compose: ``item`` itself, or the default schedule of a
    library kernel (``KERNEL2SCHEDULE``); ``None`` for anything else."""
    if isinstance(item, Schedule):
        return item._state
    if inspect.isfunction(item):
        return library_schedule(Schedule, item, instantiate)._state
    return None


def _primitive_method(entry: Primitive):
    """A ``Schedule`` method for a registered primitive, with its public signature."""
    name = entry.name

    def method(self, *args, **kwargs):
        try:
            entry.signature.bind(*args, **kwargs)
        except TypeError as err:  # a wrong call is a TypeError, as in Python
            raise as_user_error(TypeError(f"{name}(): {err}")) from err
        return self._apply(name, args, kwargs)

    functools.update_wrapper(method, entry.fn)
    method.__name__ = name
    method.__qualname__ = f"Schedule.{name}"
    # A method of Schedule (not of the module defining the primitive), for help() and the
    # API reference generated by introspection.
    method.__module__ = Schedule.__module__
    del method.__wrapped__  # the signature is __signature__; the raw function takes state
    method.__signature__ = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + list(entry.signature.parameters.values()))
    return method


def install_primitive_methods() -> None:
    """Give ``Schedule`` a method for every registered primitive it does not define."""
    for name, entry in PRIMITIVES.items():
        if name not in Schedule.__dict__:
            setattr(Schedule, name, _primitive_method(entry))


install_primitive_methods()
