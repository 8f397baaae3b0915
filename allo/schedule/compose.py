"""Schedule composition: ``s.compose(schs, id=None, instantiate=None)`` (``schedule.md`` §6).

A sub-schedule is replayed primitive by primitive onto the parent through
``Schedule._replay`` (the same entry point as the generated methods), after every function
it mentions has been renamed to the matching function(s) of the parent (§6.2):

* ``id is None``: a function keeps its name;
* ``id`` given: the sub-schedule's top function ``T`` becomes the instance ``T_<id>``; every
  other function becomes the copy compiled inside that instance, which the frontend names by
  inserting the instance suffix (``helper`` -> ``helper_<id>``, a nested instance
  ``kernel_K1`` -> ``kernel_<id>_K1``, an unnamed instance ``scale_1`` -> ``scale_<id>_1``);
* a function cloned by ``unfold`` (``G_0``, ``G_1``, ...) stands for every clone: the
  primitive is replayed once per clone.

The whole composition runs in one ``s._transaction()``: any failure restores the parent and
raises the original error class with a message naming the sub-schedule and the primitive.
Replayed primitives are recorded in the parent already renamed, so composition nests.

>>> # sc = allo.customize(chain); sc.compose(sa)            # every call of axpy
>>> # s.compose(s_lo, id="lo"); s.compose([s1, s2])
"""

from __future__ import annotations

import inspect
import itertools
import re
import types
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from .._mlir import ir
from ..diagnostics import as_user_error, message_of
from ..errors import AlloError, LoopNotFoundError, ScheduleError
from ..frontend.builder import build_module
from ..mlir_utils import func_name
from .handles import AmbiguousLoop, LoopBand, LoopHandle, MockBuffer
from .args import split_function_prefix
from .diagnostics import schedule_error
from .registry import PRIMITIVES

PRIM = "compose"

# What a primitive parameter addresses, by parameter name (the naming convention every
# primitive follows); ``_OVERRIDES`` handles the parameters whose meaning differs.
LOOP, BUFFER, STAGE, FUNC, FUNC_OR_LOOP, DESTINATION, VALUE = (
    "loop", "buffer", "stage", "function", "function or loop", "destination", "value")
_PARAM_ROLES = {"axis": LOOP, "target": BUFFER, "band_name": STAGE, "producer_loop": LOOP,
                "consumer_loop": LOOP, "args": LOOP, "dst": DESTINATION}
_OVERRIDES = {("inline", "axis"): FUNC, ("dataflow", "axis"): FUNC_OR_LOOP}

# Library kernel -> the function giving it its default schedule; public as
# ``allo.library.KERNEL2SCHEDULE`` (``schedule.md`` §6.4).
KERNEL2SCHEDULE: dict[Callable, Callable] = {}


# --------------------------------------------------------------------------- entry point


def compose_schedules(parent, schs: Any, id: str | None = None,  # noqa: A002 - spec name
                      instantiate: list | None = None) -> None:
    """Replay each schedule of ``schs`` onto ``parent`` (see the module docstring).

    ``schs`` is a ``Schedule``, a library kernel function (customized with ``instantiate``
    and given its default schedule from :data:`KERNEL2SCHEDULE`) or a list of them.
    """
    if isinstance(id, int) and not isinstance(id, bool):
        id = str(id)  # noqa: A001 - ``id=1`` addresses the unnamed instance ``T_1``
    if id is not None and not isinstance(id, str):
        raise schedule_error(ScheduleError, PRIM, f"id must be a string, got {id!r}")
    items = list(schs) if isinstance(schs, (list, tuple)) else [schs]
    subs = [_as_schedule(parent, item, instantiate) for item in items]
    with parent._transaction(), _replaying(parent):
        for sub in subs:
            _compose_one(parent, sub, id)


@contextmanager
def _replaying(parent) -> Iterator[None]:
    """Mark the parent as replaying (the same partition arriving twice is then a no-op)."""
    previous = parent.__dict__.get("_replaying", False)
    parent._replaying = True
    try:
        yield
    finally:
        parent._replaying = previous


def _as_schedule(parent, item: Any, instantiate: list | None):
    """``item`` as a Schedule: a schedule itself, or a library kernel's default schedule."""
    if isinstance(item, type(parent)):
        if item is parent:
            raise schedule_error(ScheduleError, PRIM,
                                 "cannot compose a schedule into itself")
        return item
    if isinstance(item, types.FunctionType):
        return _library_schedule(type(parent), item, instantiate)
    raise as_user_error(TypeError(f"compose: expected a Schedule (or a library kernel "
                                  f"function), got {type(item).__name__} {item!r}"))


def _library_schedule(schedule_class: type, kernel, instantiate: list | None):
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
    target = _Target(sub.top_func_name, list(sub.func_args.get(sub.top_func_name, [])), id)
    roots = _instances(parent, target, sub.top_func_name)
    if not roots:
        wanted = _mapped_name(target.sub_top, target)
        existing = _instances_of_top(parent, target)
        raise schedule_error(
            LoopNotFoundError, PRIM,
            f"{wanted} not found; instances: {', '.join(existing) or '(none)'} "
            f"(composing {target.sub_label()})")
    key = (_token(sub), tuple(roots))
    done = parent.__dict__.get("_composed")
    if done is None:
        done = parent._composed = set()
    if key in done:
        raise schedule_error(ScheduleError, PRIM,
                             f"{target.sub_label()} is already composed onto "
                             f"{', '.join(roots)}")
    sub_functions = set(sub._function_names())
    for index, (name, args, kwargs) in enumerate(list(sub.primitive_sequences)):
        _replay_one(parent, target, sub_functions, index, name, args, kwargs)
    done.add(key)


_TOKENS = itertools.count()


def _token(sub) -> int:
    """A stable identity for ``sub`` (``id()`` may be reused after garbage collection)."""
    if "_compose_token" not in sub.__dict__:
        sub._compose_token = next(_TOKENS)
    return sub._compose_token


def _replay_one(parent, target: _Target, sub_functions: set, index: int, name: str,
                args: list, kwargs: dict) -> None:
    """Replay one recorded primitive once per combination of instances it maps to."""
    args, kwargs = _explicit_function_defaults(name, list(args), dict(kwargs))
    roles = _argument_roles(name, args, kwargs)
    mentioned: list[str] = []
    for arg, role in roles:
        for fname in _functions_of(arg, role, target.sub_top, sub_functions):
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
                    f"'s module; functions: {', '.join(parent._function_names())}")
            choices.append(found)
        for combo in itertools.product(*choices):
            mapping = dict(zip(mentioned, combo))
            new_args = [_rename(a, role, mapping, target.sub_top, sub_functions)
                        for a, (_, role) in zip(args, roles[:len(args)])]
            new_kwargs = {k: _rename(v, role, mapping, target.sub_top, sub_functions)
                          for (k, v), (_, role) in zip(kwargs.items(), roles[len(args):])}
            replayed = _describe_call(name, new_args, new_kwargs)
            parent._replay(name, new_args, new_kwargs)
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


# --------------------------------------------------------------------------- argument roles


def _argument_roles(name: str, args: list, kwargs: dict) -> list[tuple[Any, str]]:
    """``(argument, role)`` for every positional argument then every keyword argument."""
    fn = PRIMITIVES.get(name)
    params = list(inspect.signature(fn).parameters.values())[1:] if fn is not None else []
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD,
                                                  p.VAR_POSITIONAL)]
    roles = []
    for i, arg in enumerate(args):
        if i < len(positional):
            param = positional[i]
        elif positional and positional[-1].kind == inspect.Parameter.VAR_POSITIONAL:
            param = positional[-1]
        else:
            param = None
        roles.append((arg, _role(name, param.name if param else None)))
    for key, value in kwargs.items():
        roles.append((value, _role(name, key)))
    return roles


def _explicit_function_defaults(name: str, args: list, kwargs: dict) -> tuple[list, dict]:
    """Spell out an omitted function parameter (``inline()`` means the top function): in
    the parent the default would name the parent's top instead."""
    fn = PRIMITIVES.get(name)
    if fn is None:
        return args, kwargs
    params = list(inspect.signature(fn).parameters.values())[1:]
    for position, param in enumerate(params):
        if _role(name, param.name) != FUNC or param.name in kwargs:
            continue
        if position == len(args) and param.kind == param.POSITIONAL_OR_KEYWORD:
            args.append(param.default)
        elif position > len(args):
            kwargs[param.name] = param.default
    return args, kwargs


def _role(primitive: str, param: str | None) -> str:
    if param is None:
        return VALUE
    return _OVERRIDES.get((primitive, param), _PARAM_ROLES.get(param, VALUE))


def _functions_of(arg: Any, role: str, top: str, sub_functions: set) -> list[str]:
    """The sub-schedule function names ``arg`` mentions, explicitly or implicitly."""
    if role == VALUE:
        return []
    if role == FUNC or (role == FUNC_OR_LOOP and isinstance(arg, str)):
        return [top if arg is None else arg] if isinstance(arg, str) or arg is None else []
    if role == DESTINATION:
        return [arg] if isinstance(arg, str) and arg in sub_functions else []
    if isinstance(arg, str):
        return [split_function_prefix(arg, top)[0]]
    if isinstance(arg, (MockBuffer, LoopHandle, LoopBand, AmbiguousLoop)):
        return [arg.func]
    if isinstance(arg, (list, tuple)):  # reorder(*loops) recorded with a list inside
        return [f for a in arg for f in _functions_of(a, role, top, sub_functions)]
    return []


def _rename(arg: Any, role: str, mapping: dict, top: str, sub_functions: set) -> Any:
    """``arg`` aimed at the parent functions of ``mapping`` (handles lose their IR ops)."""
    if role == VALUE:
        return arg
    if role == FUNC or (role == FUNC_OR_LOOP and isinstance(arg, str)):
        if arg is None:
            return mapping[top]
        return mapping.get(arg, arg) if isinstance(arg, str) else arg
    if role == DESTINATION:
        return mapping.get(arg, arg) if isinstance(arg, str) and arg in sub_functions else arg
    if isinstance(arg, str):
        func, rest = split_function_prefix(arg, top)
        return f"{mapping[func]}:{rest}"
    if isinstance(arg, MockBuffer):
        return MockBuffer(mapping[arg.func], arg.name, arg.idx)
    if isinstance(arg, LoopHandle):
        return LoopHandle(mapping[arg.func], arg.band, arg.loop_name, None)
    if isinstance(arg, AmbiguousLoop):
        return AmbiguousLoop(mapping[arg.func], arg.band, arg.loop_name, arg.count)
    if isinstance(arg, LoopBand):
        return LoopBand(mapping[arg.func], arg.stage, [])
    if isinstance(arg, (list, tuple)):
        return type(arg)(_rename(a, role, mapping, top, sub_functions) for a in arg)
    return arg


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
    existing = parent._function_names()
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
    for name in parent._function_names():
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
