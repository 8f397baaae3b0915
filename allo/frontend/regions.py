"""Dataflow regions (backends.md §6.1): ``@df.region()``, ``@df.kernel(mapping, args)``.

A region is a Python function whose body declares streams and kernels; it is never run by
Python. ``build_region_module`` (:mod:`allo.frontend.region_builder`) parses its source and builds one MLIR module: one
``func.func`` per kernel instance (``<kernel>_<pid>...``, pids substituted as constants) and a
top function named like the region that allocates the streams (memory space
``"stream:<depth>"``), calls every instance, and carries the unit attributes ``dataflow`` and
``allo.region`` (docs/dataflow.md). The builders are in :mod:`allo.frontend.region_builder`.
"""

from __future__ import annotations

import ast
import functools
import itertools
from dataclasses import dataclass, field

from ..errors import AlloSyntaxError, AlloTypeError, FrontendError
from .annotations import eval_compile_time, parse_annotation
from .source import KernelSource
from .symbols import PyEnv
from .types import Stream

__all__ = ["RegionFunction", "region", "kernel", "KernelDecl", "RegionDecl", "parse_region",
           "is_region", "instance_pids", "pid_suffix"]


class RegionFunction:
    """What ``@df.region()`` returns: the region's Python function (and template arguments).

    ``region[2, 3]`` binds the PEP 695 type parameters of ``def sub[P, Q](...)``; calling the
    region with numpy arrays builds it for the simulator and runs it (the runner is
    registered by ``allo.dataflow``). ``mappings`` maps each kernel's name to its mapping.
    """

    __allo_region__ = True
    runner = None  # set by allo.dataflow: runner(region, *arrays)

    def __init__(self, fn, targs: tuple = ()):
        self.fn = fn
        self.targs = tuple(targs)
        functools.update_wrapper(self, fn)

    def __getitem__(self, targs) -> "RegionFunction":
        return RegionFunction(self.fn, targs if isinstance(targs, tuple) else (targs,))

    @property
    def mappings(self) -> dict:
        """``{kernel name: [d0, d1, ...]}`` in source order."""
        decl = parse_region(self)
        return {k.name: list(k.mapping) for k in decl.kernels}

    def __call__(self, *arrays):
        if RegionFunction.runner is None:
            raise AlloSyntaxError("import allo.dataflow to run a dataflow region")
        return RegionFunction.runner(self, *arrays)

    def __repr__(self):
        return f"<dataflow region {self.__name__}>"


def is_region(obj) -> bool:
    """Whether ``obj`` is a region (``@df.region()`` function or a template instance)."""
    return getattr(type(obj), "__allo_region__", False) is True


def region(*args, **kwargs):
    """``@df.region()``: mark a function as a dataflow region (see :class:`RegionFunction`)."""
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return RegionFunction(args[0])

    def wrap(fn):
        return RegionFunction(fn)

    return wrap


class _KernelFunction:
    """What ``@df.kernel(...)`` gives if the region body is ever run by Python."""

    def __init__(self, fn, mapping, args):
        self.fn, self.mapping, self.args = fn, mapping, args
        functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        raise NotImplementedError("a df.kernel runs only as part of its region "
                                  "(df.build(region, ...))")


def kernel(mapping=None, args=None):
    """``@df.kernel(mapping=[d0, ...], args=[A, ...])`` inside a ``@df.region()`` body."""

    def wrap(fn):
        return _KernelFunction(fn, mapping, args)

    return wrap


kernel.__allo_kernel_decorator__ = True


# --------------------------------------------------------------------------- declarations


@dataclass
class KernelDecl:
    """One ``@df.kernel`` definition of a region body."""

    name: str
    node: ast.FunctionDef
    mapping: tuple
    args: list  # region parameter names, in order


@dataclass
class StreamDecl:
    """One stream declaration ``name: Stream[T, d]`` or ``Stream[T, d][P, Q]``."""

    name: str
    stream: Stream
    shape: tuple
    node: ast.AnnAssign


@dataclass
class RegionDecl:
    """A parsed region: its source, environment, streams and kernels in source order."""

    name: str
    src: KernelSource
    env: PyEnv
    params: list  # names
    streams: list = field(default_factory=list)
    kernels: list = field(default_factory=list)


def _template_bindings(rf: RegionFunction) -> dict:
    params = getattr(rf.fn, "__type_params__", ())
    if not params:
        if rf.targs:
            raise AlloTypeError(f"region {rf.__name__} takes no type parameters, got "
                                f"{len(rf.targs)}")
        return {}
    if len(rf.targs) != len(params):
        raise AlloTypeError(f"type parameters mismatch: region {rf.__name__} takes "
                            f"{len(params)}, got {len(rf.targs)}")
    return {p.__name__: v for p, v in zip(params, rf.targs)}


def parse_region(rf: RegionFunction, frames=None, global_vars=None) -> RegionDecl:
    """Read the region's source: streams and kernels (frontend errors are located)."""
    src = KernelSource.of_function(rf.fn)
    tree = src.tree
    try:
        env = PyEnv(rf.fn, frames, global_vars, _template_bindings(rf))
    except FrontendError as err:
        raise src.locate(err, tree, rf.__name__) from None
    decl = RegionDecl(rf.__name__, src, env, [a.arg for a in tree.args.args])
    compile_env = env.as_dict()
    for stmt in tree.body:
        try:
            _parse_statement(decl, stmt, compile_env)
        except Exception as err:  # noqa: BLE001 - located at the statement
            raise src.locate(err, stmt, rf.__name__) from None
    return decl


def _parse_statement(decl: RegionDecl, stmt, env) -> None:
    if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(
            stmt.value, ast.Constant) and isinstance(stmt.value.value, str)):
        return
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        ptype = parse_annotation(stmt.annotation, env)
        if isinstance(ptype.dtype, Stream):
            if stmt.value is not None:
                raise AlloSyntaxError(f"stream '{stmt.target.id}' cannot have an initialiser")
            decl.streams.append(StreamDecl(stmt.target.id, ptype.dtype, tuple(ptype.shape), stmt))
            return
    if isinstance(stmt, ast.FunctionDef):
        decl.kernels.append(_parse_kernel(decl, stmt, env))
        return
    raise AlloSyntaxError("a dataflow region body holds only stream declarations "
                          "(name: Stream[T, depth]) and @df.kernel definitions")


def _parse_kernel(decl: RegionDecl, node: ast.FunctionDef, env) -> KernelDecl:
    calls = [d for d in node.decorator_list if isinstance(d, ast.Call)
             and getattr(_try_eval(d.func, env), "__allo_kernel_decorator__", False)]
    if len(calls) != 1 or len(node.decorator_list) != 1:
        raise AlloSyntaxError(f"function '{node.name}' in a dataflow region needs exactly one "
                              "decorator, @df.kernel(mapping=[...], args=[...])")
    call = calls[0]
    if call.args:
        raise AlloSyntaxError("df.kernel takes keyword arguments: mapping=[...], args=[...]")
    keywords = {k.arg: k.value for k in call.keywords}
    unknown = sorted(set(keywords) - {"mapping", "args"})
    if unknown:
        raise AlloSyntaxError(f"df.kernel got unknown keyword(s): {', '.join(unknown)}")
    if "mapping" not in keywords:
        raise AlloSyntaxError(f"df.kernel '{node.name}' needs mapping=[d0, ...]")
    mapping = _mapping(node.name, keywords["mapping"], env)
    args = _kernel_args(decl, node.name, keywords.get("args"), env)
    return KernelDecl(node.name, node, mapping, args)


def _try_eval(node, env):
    try:
        return eval_compile_time(node, env)
    except Exception:  # noqa: BLE001
        return None


def _mapping(name: str, node, env) -> tuple:
    try:
        value = eval_compile_time(node, env)
    except Exception as err:  # noqa: BLE001
        raise AlloSyntaxError(f"mapping of kernel '{name}' must be a compile-time list of "
                              f"positive integers ({type(err).__name__}: {err})") from None
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value or not all(
            hasattr(d, "__index__") and not isinstance(d, bool) and int(d) >= 1 for d in value):
        raise AlloTypeError(f"mapping of kernel '{name}' must be a non-empty list of positive "
                            f"integers, got {value!r}")
    return tuple(int(d) for d in value)


def _kernel_args(decl: RegionDecl, name: str, node, env) -> list:
    if node is None:
        return []
    if not isinstance(node, (ast.List, ast.Tuple)):
        raise AlloSyntaxError(f"args of kernel '{name}' must be a list of region parameters")
    streams = {s.name for s in decl.streams}
    out = []
    for item in node.elts:
        if isinstance(item, ast.Name) and item.id in decl.params:
            out.append(item.id)
            continue
        label = ast.unparse(item)
        if isinstance(item, ast.Name) and item.id in streams:
            raise AlloSyntaxError(f"args of kernel '{name}': '{label}' is a local of the "
                                  "region; kernels use region streams directly, args only "
                                  "pass region parameters")
        value = _try_eval(item, env)
        if isinstance(value, (int, float, bool)):
            raise AlloTypeError(f"args of kernel '{name}': '{label}' is a scalar; kernels "
                                "take region parameters (arrays) only")
        raise AlloSyntaxError(f"args of kernel '{name}': '{label}' is not a parameter of "
                              f"region {decl.name}")
    return out


def instance_pids(mapping: tuple):
    """The pids of a mapping in row-major order: ints for 1-D, tuples otherwise."""
    for idx in itertools.product(*(range(d) for d in mapping)):
        yield idx[0] if len(mapping) == 1 else idx


def pid_suffix(pid) -> str:
    """``_1_0`` for pid (1, 0); ``_3`` for 3."""
    items = pid if isinstance(pid, tuple) else (pid,)
    return "".join(f"_{i}" for i in items)
