"""The table of schedule primitives.

A primitive is a function ``fn(sched, *args, **kwargs)`` registered with :func:`primitive`.
It first resolves its arguments (``allo.schedule.args``) and checks legality, raising a
``ScheduleError`` subclass before anything changes, then performs the rewrite of
``sched.module`` (the only mutation), and returns its result (handles, lists, or ``None``).

``Schedule`` gets one method per registered primitive; the method and composition's replay
both go through ``Schedule._apply(name, args, kwargs)``, which runs the primitive under the
schedule's MLIR context, refreshes cached analyses and appends ``(name, args, kwargs)`` to
``s.primitive_sequences``.

>>> @primitive("noop_example")
... def noop_example(sched, axis):
...     '''Does nothing (documentation example).'''
>>> "noop_example" in PRIMITIVES
True
>>> del PRIMITIVES["noop_example"]
"""

from __future__ import annotations

from typing import Callable

PRIMITIVES: dict[str, Callable] = {}


def primitive(name: str, local: bool = False,
              keeps: tuple[str, ...] = ()) -> Callable[[Callable], Callable]:
    """Register ``fn(sched, *args, **kwargs)`` as the primitive ``name``.

    ``local=True`` promises that the rewrite changes only the stages of the loops it resolved
    through ``args.resolve_loop`` (plus stages it creates) and no buffer, so the schedule
    keeps every other cached analysis. Without it, all cached analyses are dropped, except
    the kinds named in ``keeps`` (e.g. ``"alias"``, ``"buffers"``) that are still cached when
    the primitive returns: a primitive that keeps a kind drops it itself (``args.forget``)
    whenever its rewrite invalidates it.
    """

    def register(fn: Callable) -> Callable:
        fn.local_rewrite = local
        fn.keeps = tuple(keeps)
        PRIMITIVES[name] = fn
        return fn

    return register
