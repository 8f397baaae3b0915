"""Argument processors: what each primitive parameter is, declared once at registration.

A primitive declares every parameter with a processor::

    @primitive("split", local=True, args=dict(axis=Loop, factor=PositiveInt))
    def split(state, axis: LoopRef, factor: int): ...

Before the primitive runs, the registry hands each argument the user passed to its
processor, which checks it and turns it into what the primitive works on (a loop becomes a
:class:`~allo.schedule.args.LoopRef`, a buffer a :class:`~allo.schedule.args.BufferRef`, an
integer an ``int``), or raises the ``ScheduleError`` subclass the user sees. Processors of
arguments that address a function (loops, stages, buffers, functions) also tell
composition which functions an argument mentions and how to aim it at another function
(:meth:`Processor.functions`, :meth:`Processor.rename`); value processors mention none.

Value messages name the primitive's target: the first loop, stage or buffer argument
resolved before them (``split: factor must be >= 1, got 0 (function k, loop S_i_0.i)``).

>>> PositiveInt.resolve(4, ArgContext(None, "split"), "factor")
4
>>> Choice(0, 1, 2).resolve(1, ArgContext(None, "partition"), "kind")
1
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any

from ..analysis import loops as loop_analysis
from ..errors import LoopNotFoundError, ScheduleArgumentError
from .args import (function_names_in_arg, resolve_buffer, resolve_function, resolve_loop,
                   retarget_arg, split_function_prefix)
from .diagnostics import schedule_error
from .handles import LoopBand, LoopHandle


@dataclass
class ArgContext:
    """What processors of one primitive call share: the state, the primitive's name and the
    target (``func``/``loop``/``buffer``) that later value messages name."""

    state: Any
    primitive: str
    where: dict = field(default_factory=dict)

    def target(self, **where) -> None:
        """Record the call's target (the first loop, stage or buffer argument wins)."""
        if not self.where:
            self.where = where

    def error(self, message: str, cls=ScheduleArgumentError, **where) -> Exception:
        """A ``cls`` for a bad value of this call, naming its target."""
        return schedule_error(cls, self.primitive, message, **(where or self.where))


@dataclass(frozen=True)
class ArgScope:
    """The schedule an argument was recorded in: its top function and every function of
    its module (a bare loop or buffer name addresses ``top``)."""

    top: str
    functions: frozenset = frozenset()


class Processor:
    """A value argument: passed through unchanged and addressing no function."""

    #: an omitted argument means the top function of the schedule (composition spells it
    #: out, since in another schedule the default would name another function)
    defaults_to_top = False

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` has a form this processor resolves (used by :class:`Either`)."""
        return True

    def resolve(self, value: Any, ctx: ArgContext, name: str) -> Any:
        """Check ``value`` (parameter ``name``) and return what the primitive receives."""
        return value

    def functions(self, value: Any, scope: "ArgScope") -> list[str]:
        """Names of the functions ``value`` addresses in the schedule ``scope``."""
        return []

    def rename(self, value: Any, mapping: dict, scope: "ArgScope") -> Any:
        """``value`` aimed at ``mapping[f]`` for each function ``f`` it addresses."""
        return value


class _Addressing(Processor):
    """An argument naming something inside a function: ``"fn:..."`` or a handle."""

    def functions(self, value: Any, scope: "ArgScope") -> list[str]:
        return function_names_in_arg(value, scope.top)

    def rename(self, value: Any, mapping: dict, scope: "ArgScope") -> Any:
        return retarget_arg(value, mapping, scope.top)


class _Loop(_Addressing):
    """A loop (``schedule.md`` §1.4) → :class:`~allo.schedule.args.LoopRef`."""

    def resolve(self, value, ctx, name):
        ref = resolve_loop(ctx.state, value, ctx.primitive)
        ctx.target(func=ref.func, loop=ref.label)
        return ref


class Loops(_Addressing):
    """Several loops (a ``*args`` parameter) → ``list[LoopRef]``; fewer than ``at_least``
    is refused before any is resolved."""

    def __init__(self, at_least: int = 1):
        self.at_least = at_least

    def resolve(self, value, ctx, name):
        if len(value) < self.at_least:
            raise ctx.error(f"need at least {self.at_least} loops, got {len(value)}")
        refs = [resolve_loop(ctx.state, v, ctx.primitive) for v in value]
        if refs:
            ctx.target(func=refs[0].func, loop=refs[0].label)
        return refs


@dataclass(eq=False)
class StageRef:
    """A resolved stage: its function, the stage and the function's loop nests."""

    func: str
    stage: loop_analysis.Stage
    nest: loop_analysis.FunctionLoops


class _Stage(_Addressing):
    """A stage: ``"fn:stage"``, ``"stage"`` (top function) or a stage band of
    ``s.get_loops()`` → :class:`StageRef`."""

    def resolve(self, value, ctx, name):
        if isinstance(value, LoopBand) and value.stage is not None:
            value = f"{value.func}:{value.stage}"
        if not isinstance(value, str):
            raise ctx.error(f"{name} must be a stage name string, got {value!r}")
        state = ctx.state
        func, stage_name = split_function_prefix(value, state.top_func_name)
        nest = state.function_loops(func)
        if nest is None:
            raise schedule_error(LoopNotFoundError, ctx.primitive,
                                 f"function {func} not found; functions: "
                                 f"{', '.join(state.function_names())}")
        stage = nest.stage(stage_name)
        if stage is None:
            raise schedule_error(LoopNotFoundError, ctx.primitive,
                                 f"stage {stage_name} not found; stages: "
                                 f"{', '.join(nest.stage_names())}", func=func)
        ctx.target(func=func)
        return StageRef(func, stage, nest)


class Buffer(_Addressing):
    """A buffer (``schedule.md`` §1.5) → :class:`~allo.schedule.args.BufferRef`;
    ``array=True`` refuses a scalar."""

    def __init__(self, array: bool = False):
        self.array = array

    def resolve(self, value, ctx, name):
        ref = resolve_buffer(ctx.state, value, ctx.primitive, require_array=self.array)
        ctx.target(buffer=f"{ref.func}:{ref.name}")
        return ref


class Function(Processor):
    """A function name → :class:`~allo.schedule.args.FuncRef`; with ``none_is_top``,
    ``None`` (the usual default) means the top function."""

    def __init__(self, none_is_top: bool = True):
        self.none_is_top = none_is_top
        self.defaults_to_top = none_is_top

    def accepts(self, value):
        return isinstance(value, str) or (value is None and self.none_is_top)

    def resolve(self, value, ctx, name):
        if not self.accepts(value):
            raise ctx.error(f"expected a function name (str)"
                            f"{' or None' if self.none_is_top else ''}, got "
                            f"{type(value).__name__} {value!r}")
        ref = resolve_function(ctx.state, value, ctx.primitive)
        ctx.target(func=ref.name)
        return ref

    def functions(self, value, scope):
        if value is None and self.none_is_top:
            return [scope.top]
        return [value] if isinstance(value, str) else []

    def rename(self, value, mapping, scope):
        if value is None and self.none_is_top:
            return mapping.get(scope.top, value)
        return mapping.get(value, value) if isinstance(value, str) else value


class _LoopsNamed(_Addressing):
    """Every loop carrying a handle's name in the handle's stage (a stage band: its
    outermost loop's name) → ``list[LoopNode]``; none → ``LoopNotFoundError``."""

    def accepts(self, value):
        return isinstance(value, LoopHandle) or (isinstance(value, LoopBand)
                                                 and value.stage is not None)

    def resolve(self, value, ctx, name):
        if isinstance(value, LoopBand):
            root = resolve_loop(ctx.state, value, ctx.primitive)
            value = LoopHandle(value.func, value.stage, root.name, None)
        nest = ctx.state.function_loops(value.func)
        stage = nest.stage(value.band) if nest is not None else None
        found = stage.find(value.loop_name) if stage is not None else []
        if not found:
            raise schedule_error(LoopNotFoundError, ctx.primitive,
                                 f"{ctx.primitive} loop {value.band}.{value.loop_name} not "
                                 f"found", func=value.func)
        ctx.target(func=value.func)
        return found


class Either(Processor):
    """The first of ``options`` that accepts the value's form resolves it; a value no option
    accepts raises ``message`` (``{value!r}`` and ``{type}`` are filled in)."""

    def __init__(self, *options: Processor, message: str):
        self.options = options
        self.message = message

    def _option(self, value) -> Processor | None:
        return next((p for p in self.options if p.accepts(value)), None)

    def accepts(self, value):
        return self._option(value) is not None

    def resolve(self, value, ctx, name):
        option = self._option(value)
        if option is None:
            raise ctx.error(self.message.format(value=value, type=type(value).__name__))
        return option.resolve(value, ctx, name)

    def functions(self, value, scope):
        option = self._option(value)
        return option.functions(value, scope) if option is not None else []

    def rename(self, value, mapping, scope):
        option = self._option(value)
        return option.rename(value, mapping, scope) if option is not None else value


def _integer(value: Any) -> int | None:
    """``value`` as an ``int`` when it is an integer (numpy ones included, bools not)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    return None


class Int(Processor):
    """An integer ≥ ``minimum`` → ``int``. ``below`` replaces the message for a smaller
    value (``{value}`` is filled in); calling an ``Int`` gives a copy with other options
    (``NonNegativeInt(below="Invalid dimension {value}")``).

    >>> NonNegativeInt(below="Invalid factor {value}").minimum
    0
    """

    def __init__(self, minimum: int, below: str | None = None):
        self.minimum = minimum
        self.below = below

    def __call__(self, minimum: int | None = None, below: str | None = None) -> "Int":
        return Int(self.minimum if minimum is None else minimum,
                   self.below if below is None else below)

    def resolve(self, value, ctx, name):
        number = _integer(value)
        if number is None:
            raise ctx.error(f"{name} must be an integer, got {type(value).__name__} {value!r}")
        if number < self.minimum:
            raise ctx.error(self.below.format(value=number) if self.below
                            else f"{name} must be >= {self.minimum}, got {number}")
        return number


PositiveInt = Int(1)
NonNegativeInt = Int(0)


class _Bool(Processor):
    """``True`` or ``False`` (no other truthy value)."""

    def resolve(self, value, ctx, name):
        if not isinstance(value, bool):
            raise ctx.error(f"{name} must be a bool, got {value!r}")
        return value


class Choice(Processor):
    """One of ``options`` → that option (an integer option accepts numpy integers, never a
    bool or a float). ``message`` replaces the default refusal (``{value!r}`` filled in)."""

    def __init__(self, *options: Any, message: str | None = None):
        self.options = options
        self.message = message

    def resolve(self, value, ctx, name):
        for option in self.options:
            same_kind = (type(option) is type(value) or
                         (isinstance(option, int) and _integer(value) is not None))
            if same_kind and value == option:
                return option
        raise ctx.error(self.message.format(value=value) if self.message else
                        f"{name} must be one of {', '.join(map(repr, self.options))}, "
                        f"got {value!r}")


class Optional(Processor):
    """``None`` or what ``inner`` accepts (``None`` is passed through).

    >>> Optional(PositiveInt).resolve(None, ArgContext(None, "p"), "depth") is None
    True
    """

    def __init__(self, inner: Processor):
        self.inner = inner

    def accepts(self, value):
        return value is None or self.inner.accepts(value)

    def resolve(self, value, ctx, name):
        return None if value is None else self.inner.resolve(value, ctx, name)

    def functions(self, value, scope):
        return [] if value is None else self.inner.functions(value, scope)

    def rename(self, value, mapping, scope):
        return value if value is None else self.inner.rename(value, mapping, scope)


class _Shape(Processor):
    """A shape: a positive integer or a non-empty tuple/list of them → ``tuple[int, ...]``."""

    def resolve(self, value, ctx, name):
        shape = (value,) if _integer(value) is not None else value
        if not isinstance(shape, (tuple, list)) or not shape or any(
                _integer(d) is None or d < 1 for d in shape):
            raise ctx.error(f"{name} must be a tuple of positive integers, got {shape!r}")
        return tuple(int(d) for d in shape)


class Indices(Processor):
    """Loop indices: an integer or a non-empty list/tuple of them → ``list[int]``; with
    ``consecutive``, they must be distinct and form one run (in any order)."""

    def __init__(self, consecutive: bool = False):
        self.consecutive = consecutive

    def resolve(self, value, ctx, name):
        items = [value] if _integer(value) is not None else value
        if not isinstance(items, (list, tuple)) or not items or any(
                _integer(a) is None for a in items):
            raise ctx.error(f"{name} must be a non-empty list of loop indices, got {value!r}")
        indices = [int(a) for a in items]
        run = sorted(indices)
        if self.consecutive and any(b != a + 1 for a, b in zip(run, run[1:])):
            raise ctx.error(f"{name} must be consecutive, got {indices}")
        return indices


Loop = _Loop()
Stage = _Stage()
Bool = _Bool()
Shape = _Shape()
LoopsNamed = _LoopsNamed()
