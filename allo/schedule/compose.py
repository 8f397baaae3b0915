"""Schedule composition: ``s.compose(schs, id=None, instantiate=None)`` (``schedule.md`` §6).

A sub-schedule is replayed primitive by primitive onto the parent's state through
``registry.apply_primitive`` (the same entry point as the generated methods), after every
function it mentions has been renamed to the matching function(s) of the parent (§6.2).
Which arguments mention functions, and how to rename them, is what each primitive declares
(its argument processors: loops, stages, buffers and functions are renamed, values are not):

* ``id is None``: a function keeps its name;
* ``id`` given: the sub-schedule's top function ``T`` becomes the instance ``T_<id>``; every
  other function becomes the copy compiled inside that instance, which the frontend names by
  inserting the instance suffix (``helper`` -> ``helper_<id>``, a nested instance
  ``kernel_K1`` -> ``kernel_<id>_K1``, an unnamed instance ``scale_1`` -> ``scale_<id>_1``);
* a function cloned by ``unfold`` (``G_0``, ``G_1``, ...) stands for every clone: the
  primitive is replayed once per clone.

The whole composition runs in one ``state.transaction()``: any failure restores the parent and
raises the original error class with a message naming the sub-schedule and the primitive.
Replayed primitives are recorded in the parent already renamed, so composition nests.

>>> # sc = allo.customize(chain); sc.compose(sa)            # every call of axpy
>>> # s.compose(s_lo, id="lo"); s.compose([s1, s2])
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any, Callable

from .._mlir import ir
from ..diagnostics import as_user_error, message_of
from ..errors import AlloError, LoopNotFoundError, ScheduleError
from ..frontend.builder import build_module
from ..mlir_utils import func_name
from .handles import LoopBand, LoopHandle, MockBuffer
from .diagnostics import schedule_error
from .processors import ArgScope, Processor
from .registry import PRIMITIVES, apply_primitive

PRIM = "compose"

# Library kernel -> the function giving it its default schedule; public as
# ``allo.library.KERNEL2SCHEDULE`` (``schedule.md`` §6.4).
KERNEL2SCHEDULE: dict[Callable, Callable] = {}


# --------------------------------------------------------------------------- entry point


def compose_schedules(parent, schs: Any, id: str | None,  # noqa: A002 - spec name
                      state_of: Callable[[Any], Any]) -> None:
    """Replay each schedule of ``schs`` onto the state ``parent`` (see the module docstring).

    ``schs`` is one item or a list of them; ``state_of(item)`` gives the state of an item
    (a ``Schedule``, or a library kernel's default schedule) or ``None`` when it is neither.
    """
    if isinstance(id, int) and not isinstance(id, bool):
        id = str(id)  # noqa: A001 - ``id=1`` addresses the unnamed instance ``T_1``
    if id is not None and not isinstance(id, str):
        raise schedule_error(ScheduleError, PRIM, f"id must be a string, got {id!r}")
    items = list(schs) if isinstance(schs, (list, tuple)) else [schs]
    subs = []
    for item in items:
        sub = state_of(item)
        if sub is None:
            raise as_user_error(TypeError(f"compose: expected a Schedule (or a library kernel "
                                          f"function), got {type(item).__name__} {item!r}"))
        if sub is parent:
            raise schedule_error(ScheduleError, PRIM, "cannot compose a schedule into itself")
        subs.append(sub)
    with parent.transaction(), parent.replay_mode():
        for sub in subs:
            _compose_one(parent, sub, id)


def library_schedule(schedule_class: type, kernel, instantiate: list | None):
    """``KERNEL2SCHEDULE[kernel]`` applied to ``customize(kernel, instantiate)``.

    The registered function receives the fresh schedule and may return it (or another
    schedule); returning ``None`` means it scheduled the one it was given.
    """
    make_default = KERNEL2SCHEDULE.get(kernel)
    if make_default is None:
        raise schedule_error(ScheduleError, PRIM,
                             f"no default schedule for kernel {kernel.__name__} "
                             f"(allo.library.KERNEL2SCHEDULE has no entry for it)")
    sched = schedule_class(build_module(kernel, instantiate=instantiate))  # = allo.customize
    result = make_default(sched)
    if result is None:
        return sched
    if not isinstance(result, schedule_class):
        raise schedule_error(ScheduleError, PRIM,
                             f"the default schedule of kernel {kernel.__name__} returned "
                             f"{type(result).__name__}, expected a Schedule")
    return result


# --------------------------------------------------------------------------- one schedule


@dataclass
class _Target:
    """Where a sub-schedule lands in the parent: its top function ``sub_top`` and ``id``."""

    sub_top: str
    sub_params: list
    id: str | None

    def sub_label(self) -> str:
        where = f" with id {self.id!r}" if self.id is not None else ""
        return f"the schedule of {self.sub_top}{where}"


def _compose_one(parent, sub, id: str | None) -> None:  # noqa: A002
    """Replay the trace of the state ``sub`` onto the state ``parent``."""
    target = _Target(sub.top_func_name, list(sub.func_args.get(sub.top_func_name, [])), id)
    roots = _instances(parent, target, sub.top_func_name)
    if not roots:
        wanted = _mapped_name(target.sub_top, target)
        existing = _instances_of_top(parent, target)
        raise schedule_error(
            LoopNotFoundError, PRIM,
            f"{wanted} not found; instances: {', '.join(existing) or '(none)'} "
            f"(composing {target.sub_label()})")
    key = (sub.compose_token(), tuple(roots))
    if key in parent.composed:
        raise schedule_error(ScheduleError, PRIM,
                             f"{target.sub_label()} is already composed onto "
                             f"{', '.join(roots)}")
    scope = ArgScope(sub.top_func_name, frozenset(sub.function_names()))
    for index, (name, args, kwargs) in enumerate(list(sub.primitive_sequences)):
        _replay_one(parent, target, scope, index, name, args, kwargs)
    parent.composed.add(key)


def _replay_one(parent, target: _Target, scope: ArgScope, index: int, name: str,
                args: list, kwargs: dict) -> None:
    """Replay one recorded primitive once per combination of instances it maps to."""
    entry = PRIMITIVES.get(name)
    args, kwargs = _explicit_function_defaults(entry, list(args), dict(kwargs))
    values = list(args) + list(kwargs.values())
    processors = (entry.argument_processors(args, kwargs) if entry is not None
                  else [Processor()] * len(values))
    mentioned: list[str] = []
    for value, processor in zip(values, processors):
        for fname in processor.functions(value, scope):
            if fname not in mentioned:
                mentioned.append(fname)
    described = _describe_call(name, args, kwargs)
    replayed = None
    try:
        choices = []
        for fname in mentioned:
            found = _instances(parent, target, fname)
            if not found:
                raise schedule_error(
                    LoopNotFoundError, PRIM,
                    f"function {_mapped_name(fname, target)} not found in {parent.top_func_name}"
                    f"'s module; functions: {', '.join(parent.function_names())}")
            choices.append(found)
        for combo in itertools.product(*choices):
            mapping = dict(zip(mentioned, combo))
            renamed = [p.rename(v, mapping, scope) for v, p in zip(values, processors)]
            new_args = renamed[:len(args)]
            new_kwargs = dict(zip(kwargs, renamed[len(args):]))
            replayed = _describe_call(name, new_args, new_kwargs)
            apply_primitive(parent, name, new_args, new_kwargs)
    except AlloError as err:
        if replayed is not None and replayed != described:
            described = f"{described} replayed as {replayed}"
        raise _replay_failure(err, target, index, described) from err


def _replay_failure(err: AlloError, target: _Target, index: int, described: str) -> AlloError:
    """``err`` re-raised with the same class, naming the sub-schedule and the primitive."""
    reason = message_of(err)
    if reason.startswith(f"{PRIM}: "):
        reason = reason[len(PRIM) + 2:]
    message = (f"{PRIM}: replaying primitive #{index} of {target.sub_label()}, {described}, "
               f"failed; the composition was rolled back. Reason: {reason}")
    try:
        return type(err)(message, loc=err.loc)
    except TypeError:  # an error class with another constructor
        return ScheduleError(message, loc=err.loc)


def _describe_call(name: str, args: list, kwargs: dict) -> str:
    parts = [_show(a) for a in args] + [f"{k}={_show(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _show(value: Any) -> str:
    if isinstance(value, (MockBuffer, LoopHandle, LoopBand)):
        return repr(str(value) if isinstance(value, MockBuffer) else value.name)
    return repr(value)


# --------------------------------------------------------------------------- arguments


def _explicit_function_defaults(entry, args: list, kwargs: dict) -> tuple[list, dict]:
    """Spell out an omitted argument whose default means the top function (``inline()``):
    in the parent the default would name the parent's top instead."""
    if entry is None:
        return args, kwargs
    for position, param in enumerate(entry.signature.parameters.values()):
        if not entry.processors[param.name].defaults_to_top or param.name in kwargs:
            continue
        if position == len(args) and param.kind == param.POSITIONAL_OR_KEYWORD:
            args.append(param.default)
        elif position > len(args):
            kwargs[param.name] = param.default
    return args, kwargs


# --------------------------------------------------------------------------- function names


def _mapped_name(fname: str, target: _Target) -> str:
    """The spec's name for sub function ``fname`` in the parent (used in messages)."""
    return fname if target.id is None else f"{fname}_{target.id}"


def _candidate_names(fname: str, target: _Target) -> list[str]:
    """Parent names that may hold sub function ``fname``, most likely first."""
    if target.id is None:
        return [fname]
    suffix = f"_{target.id}"
    names = [fname + suffix]
    if fname != target.sub_top:
        # The frontend inserts an instance suffix before the suffixes the callee already
        # carries inside the sub-schedule (its own ids, unnamed-instance numbers).
        cuts = [m.start() for m in re.finditer("_", fname) if m.start() > 0]
        names += [fname[:cut] + suffix + fname[cut:] for cut in reversed(cuts)]
    return names


def _instances(parent, target: _Target, fname: str) -> list[str]:
    """The parent functions sub function ``fname`` maps to (empty when there is none)."""
    existing = parent.function_names()
    present = set(existing)
    scope = present
    if target.id is not None and fname != target.sub_top:
        roots = _instances(parent, target, target.sub_top)
        scope = _reachable(parent, roots)
    for name in _candidate_names(fname, target):
        if name in scope:
            return [name]
        clone = re.compile(re.escape(name) + r"(_\d+)+")
        clones = [f for f in existing if f in scope and clone.fullmatch(f)]
        if clones:
            return clones
    return []


def _instances_of_top(parent, target: _Target) -> list[str]:
    """Parent functions that look like instances of the sub's top function (same base name
    and the same parameter names), for the "not found" message."""
    found = []
    for name in parent.function_names():
        if name == target.sub_top or name.startswith(target.sub_top + "_"):
            if list(parent.func_args.get(name, [])) == target.sub_params:
                found.append(name)
    return found


def _reachable(parent, roots: list[str]) -> set[str]:
    """Functions called (transitively) from ``roots``, the roots included."""
    calls: dict[str, set] = {}
    for op in parent.module.body.operations:
        if op.operation.name != "func.func":
            continue
        callees: set = set()

        def note(inner, callees=callees):
            if inner.name == "func.call":
                callees.add(ir.FlatSymbolRefAttr(inner.attributes["callee"]).value)
            return ir.WalkResult.ADVANCE

        op.operation.walk(note)
        calls[func_name(op)] = callees
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(calls.get(name, ()))
    return seen
