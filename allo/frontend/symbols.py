"""Name resolution: block scopes of a kernel and the compile-time Python environment."""

from __future__ import annotations

import builtins
import types as pytypes
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import AlloSyntaxError
from .values import Val
from .types import AlloType, TypeAnnotation

_MISSING = object()


@dataclass
class Sym:
    """A kernel-level name.

    kinds: ``var`` (local scalar in a rank-0 memref or local array), ``param`` (array
    parameter memref or scalar parameter SSA value), ``iv`` (loop variable, read-only),
    ``const`` (compile-time value: ConstExpr, template parameter, meta_for variable),
    ``func`` (nested kernel).
    """

    kind: str
    val: Val | None = None
    py: Any = None
    in_memory: bool = False  # scalar stored in a rank-0 memref
    extra: dict = field(default_factory=dict)


class Scopes:
    """C block scoping (language.md §3.2): a stack of dicts."""

    def __init__(self):
        self.stack: list[dict] = [{}]

    def push(self):
        self.stack.append({})

    def pop(self):
        self.stack.pop()

    def lookup(self, name: str):
        for scope in reversed(self.stack):
            if name in scope:
                return scope[name]
        return None

    def declare(self, name: str, sym: Sym):
        self.stack[-1][name] = sym

    def visible(self, name: str) -> bool:
        return self.lookup(name) is not None

    def all_names(self):
        names = set()
        for scope in self.stack:
            names.update(scope)
        return names


class PyEnv:
    """The compile-time Python environment of a kernel (language.md §2.3).

    ``extra`` holds template parameters; ``global_vars`` replaces the automatic sources.
    """

    def __init__(self, fn, frames=None, global_vars=None, extra=None, home_globals=_MISSING):
        self.fn = fn
        self.frames = frames or []
        self.global_vars = global_vars
        self.extra = dict(extra or {})
        # ``home_globals``: the module globals of the customized kernel (None for a source
        # string). A kernel defined in another module (a library kernel) resolves names in
        # its own scope first: the user's locals, globals or ``global_vars`` must not capture
        # the names it calls (decision)
        self.foreign = (home_globals is not _MISSING and isinstance(fn, pytypes.FunctionType)
                        and fn.__globals__ is not home_globals)
        self.home_globals = home_globals

    def child(self, fn, extra=None) -> "PyEnv":
        """Environment of a called kernel: its own Python scope (decision)."""
        return PyEnv(fn, self.frames, self.global_vars, extra, self.home_globals)

    def lookup(self, name: str, default=_MISSING):
        if name in self.extra:
            return self.extra[name]
        if self.foreign:
            return self._lookup_foreign(name, default)
        if self.global_vars is not None:
            # decision: global_vars replaces closures and caller frames; the kernel's module
            # globals still resolve names it does not define (types such as int32)
            if name in self.global_vars:
                return self.global_vars[name]
            fn = self.fn
            if isinstance(fn, pytypes.FunctionType) and name in fn.__globals__:
                return fn.__globals__[name]
        else:
            fn = self.fn
            if isinstance(fn, pytypes.FunctionType):
                code = fn.__code__
                if fn.__closure__:
                    for var, cell in zip(code.co_freevars, fn.__closure__):
                        if var == name:
                            try:
                                return cell.cell_contents
                            except ValueError:
                                break
            for frame_locals in self.frames:
                if name in frame_locals:
                    return frame_locals[name]
            if isinstance(fn, pytypes.FunctionType) and name in fn.__globals__:
                return fn.__globals__[name]
        return self._builtin(name, default)

    def _lookup_foreign(self, name: str, default):
        """Closure, own module globals, then ``global_vars`` and builtins (no caller frames)."""
        fn = self.fn
        if fn.__closure__:
            for var, cell in zip(fn.__code__.co_freevars, fn.__closure__):
                if var == name:
                    try:
                        return cell.cell_contents
                    except ValueError:
                        break
        if name in fn.__globals__:
            return fn.__globals__[name]
        if self.global_vars is not None and name in self.global_vars:
            return self.global_vars[name]
        return self._builtin(name, default)

    @staticmethod
    def _builtin(name: str, default):
        if hasattr(builtins, name):
            return getattr(builtins, name)
        if default is _MISSING:
            raise KeyError(name)
        return default

    def as_dict(self) -> dict:
        """A dict for ``eval`` of compile-time expressions (lazy lookups via a mapping)."""
        return _LazyEnv(self)


class _LazyEnv(dict):
    def __init__(self, env: PyEnv):
        super().__init__()
        self.env = env

    def __missing__(self, key):
        try:
            return self.env.lookup(key)
        except KeyError as err:
            if hasattr(builtins, key):
                return getattr(builtins, key)
            raise NameError(f"name '{key}' is not defined", name=key) from err


class NestedKernel:
    """A ``def`` inside a kernel body: compiled as its own function when called."""

    def __init__(self, src, env, outer_runtime_names, name):
        self.src = src
        self.env = env
        self.outer_runtime_names = set(outer_runtime_names)
        self.__name__ = name


def is_usable_global(value) -> bool:
    """Values a kernel may reference (language.md §2.3)."""
    return isinstance(value, (int, float, bool, np.number, np.ndarray, AlloType, TypeAnnotation,
                              pytypes.FunctionType, pytypes.ModuleType, type, str, tuple, list))


def unsupported_global(name: str):
    return AlloSyntaxError(f"Unsupported global variable `{name}`")
