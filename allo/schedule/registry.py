"""The table of schedule primitives and the one entry point that applies them.

A primitive is a function ``fn(state, *args, **kwargs)`` registered with :func:`primitive`,
which declares every parameter with an argument processor (``allo.schedule.processors``).
:func:`apply_primitive` — behind every generated ``Schedule`` method and composition's
replay — binds the user's arguments to the signature, resolves each through its processor
(raising the ``ScheduleError`` subclass the user sees), runs the primitive (legality check,
then the rewrite of ``state.module``, the only mutation), refreshes cached analyses, checks
the IR when ``ALLO_VERIFY_IR=1`` and appends ``(name, args, kwargs)`` exactly as passed to
``state.primitive_sequences``.

>>> from allo.schedule.processors import Loop
>>> @primitive("noop_example", args=dict(axis=Loop))
... def noop_example(state, axis):
...     '''Does nothing (documentation example).'''
>>> "noop_example" in PRIMITIVES
True
>>> del PRIMITIVES["noop_example"]
"""

from __future__ import annotations

import inspect
import os
from typing import Any, Callable

from .._mlir import ir
from ..errors import InternalError, ScheduleError
from .processors import ArgContext, Processor
from .tensor_guard import guard_tensor_functions

#: Set to ``1`` to verify the whole module after every primitive (the test suite does).
VERIFY_ENV = "ALLO_VERIFY_IR"


class Primitive:
    """A registered primitive: its function, declared argument processors and signature."""

    def __init__(self, name: str, fn: Callable, local: bool, processors: dict[str, Processor],
                 keeps: tuple[str, ...] = ()):
        params = list(inspect.signature(fn).parameters.values())[1:]
        undeclared = [p.name for p in params if p.name not in processors]
        unknown = sorted(set(processors) - {p.name for p in params})
        if undeclared or unknown:
            raise TypeError(f"primitive {name}: every parameter needs exactly one argument "
                            f"processor (undeclared: {undeclared}, unknown: {unknown})")
        self.name = name
        self.fn = fn
        self.local = local
        self.keeps = tuple(keeps)
        self.processors = processors
        # The user-facing signature: the parameters after ``state``, without the annotations
        # (they describe what the primitive receives, not what the user passes).
        self.signature = inspect.Signature(
            [p.replace(annotation=inspect.Parameter.empty) for p in params])
        self.__doc__ = fn.__doc__

    def resolve(self, state, args, kwargs: dict) -> inspect.BoundArguments:
        """Bind and resolve the arguments, in parameter order; nothing changes the IR."""
        bound = self.signature.bind(*args, **kwargs)  # a wrong call is a TypeError
        bound.apply_defaults()
        ctx = ArgContext(state, self.name)
        for pname, value in bound.arguments.items():
            bound.arguments[pname] = self.processors[pname].resolve(value, ctx, pname)
        return bound

    def __call__(self, state, *args, **kwargs) -> Any:
        """Resolve the arguments, then run the primitive (no trace, no analysis refresh)."""
        bound = self.resolve(state, args, kwargs)
        return self.fn(state, *bound.args, **bound.kwargs)

    def argument_processors(self, args, kwargs: dict) -> list[Processor]:
        """The processor of each given argument: positional ones, then keyword ones."""
        positional = [p for p in self.signature.parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)]
        found = []
        for index in range(len(args)):
            if index < len(positional):
                param = positional[index]
            elif positional and positional[-1].kind == inspect.Parameter.VAR_POSITIONAL:
                param = positional[-1]
            else:
                param = None  # more arguments than parameters: a call that cannot bind
            found.append(self.processors[param.name] if param is not None else Processor())
        return found + [self.processors.get(key, Processor()) for key in kwargs]


PRIMITIVES: dict[str, Primitive] = {}


def primitive(name: str, local: bool = False, args: dict[str, Processor] | None = None,
              keeps: tuple[str, ...] = ()) -> Callable[[Callable], Primitive]:
    """Register ``fn(state, ...)`` as the primitive ``name``; ``args`` maps every parameter
    to its processor.

    ``local=True`` promises that the rewrite changes only the stages of the loops its
    ``Loop``/``Loops`` arguments resolved (plus stages it creates) and no buffer, so the
    schedule keeps every other cached analysis. Without it, all cached analyses are dropped,
    except the kinds named in ``keeps`` (e.g. ``"alias"``, ``"buffers"``) that are still
    cached when the primitive returns: a primitive that keeps a kind drops it itself
    (``args.forget``) whenever its rewrite invalidates it.
    """

    def register(fn: Callable) -> Primitive:
        entry = Primitive(name, fn, local, dict(args or {}), keeps)
        PRIMITIVES[name] = entry
        return entry

    return register


def apply_primitive(state, name: str, args, kwargs: dict | None = None) -> Any:
    """Apply primitive ``name`` to ``state`` and record it (methods and replay).

    ``args``/``kwargs`` are recorded exactly as given (G5). A refused primitive raises
    before changing anything and is not recorded.
    """
    kwargs = dict(kwargs or {})
    entry = PRIMITIVES.get(name)
    if entry is None:
        raise ScheduleError(f"unknown primitive {name!r}; known: {', '.join(sorted(PRIMITIVES))}")
    state.touched_roots = []
    try:
        with state.context, ir.Location.unknown(state.context), \
                guard_tensor_functions(state, name):
            result = entry(state, *args, **kwargs)
    except ScheduleError:
        raise  # refused before any change: analyses are still valid
    except BaseException:
        state.forget_analyses()
        raise
    if entry.local:
        state.forget_stages(state.touched_roots)
    else:
        state.forget_analyses(keep=entry.keeps)
    if verify_after_primitives():
        verify_module(state, name)
    state.primitive_sequences.append((name, list(args), kwargs))
    return result


def verify_after_primitives() -> bool:
    """Whether ``ALLO_VERIFY_IR`` asks for an IR verification after every primitive."""
    return os.environ.get(VERIFY_ENV, "").strip().lower() not in ("", "0", "false", "no")


def verify_module(state, name: str) -> None:
    """Verify ``state.module``; invalid IR is an :class:`InternalError` naming ``name``."""
    try:
        valid = state.module.operation.verify()
    except ir.MLIRError as err:
        valid, detail = False, str(err)
    else:
        detail = "the MLIR verifier refused the module"
    if valid is False:
        lines = [line for line in detail.splitlines() if line.strip()][:6]
        raise InternalError(
            f"primitive {name} produced invalid IR (a bug in allo; the "
            f"schedule's module is left as the primitive made it):\n  " + "\n  ".join(lines))
