"""The one place where primitive arguments are resolved (``schedule.md`` §1.4, §1.5).

Every primitive turns what the user passed into IR objects through these functions, so all
primitives accept the same forms and fail with the same errors:

* :func:`resolve_loop` — ``"j"``, ``"fn:j"``, ``"fn:stage.j"``, ``"stage.j"``, a
  :class:`~allo.schedule.handles.LoopHandle`, or a stage band (meaning the stage's outermost loop)
  → :class:`LoopRef`.
* :func:`resolve_function` — a function name (``None`` = top) → :class:`FuncRef`.
* :func:`resolve_buffer` — ``"fn:X"``, ``"X"`` (top function), ``s.X``,
  ``MockBuffer("fn", "X")`` → :class:`BufferRef`.
* :func:`function_names_in_arg` — the functions an argument addresses,
  :func:`retarget_arg` — the same argument aimed at other functions (composition renames
  loop, stage and buffer arguments with them).

Resolvers never modify the IR. ``state`` is the :class:`allo.schedule.state.ScheduleState`;
they use only ``state.top_func_name``, ``state.func_op(name)``, ``state.function_names()``,
``state.function_loops(name)`` and ``state.buffers(name)``. Primitives do not call them
directly: they declare their arguments (``allo.schedule.processors``), whose processors call
these resolvers once, before the primitive runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._mlir import ir
from ..analysis.layout import AliasGraph
from ..analysis.loops import FunctionLoops, LoopNode, Stage
from ..errors import BufferNotFoundError, LoopNotFoundError, ScheduleArgumentError
from .handles import AmbiguousLoop, LoopBand, LoopHandle, MockBuffer
from .diagnostics import schedule_error


@dataclass(eq=False)
class FuncRef:
    """A resolved function: its name and ``func.func`` op."""

    name: str
    op: Any


@dataclass(eq=False)
class LoopRef:
    """A resolved loop: function, stage, discovery node and the loop op itself."""

    func: str
    stage: Stage
    node: LoopNode
    nest: FunctionLoops

    @property
    def op(self):
        return self.node.op

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def label(self) -> str:
        """``stage.loop`` for messages."""
        return f"{self.stage.name}.{self.node.name}"


@dataclass(eq=False)
class BufferRef:
    """A resolved buffer: a parameter (``arg_index`` set) or a named memref value."""

    func: str
    name: str
    value: Any  # ir.Value of memref (or scalar) type
    owner: Any  # defining op, or None for a parameter
    arg_index: int | None = None

    @property
    def is_param(self) -> bool:
        return self.arg_index is not None

    @property
    def handle(self) -> MockBuffer:
        return MockBuffer(self.func, self.name, self.arg_index)

    @property
    def rank(self) -> int | None:
        """Rank of a memref buffer, ``None`` for a scalar value."""
        if isinstance(self.value.type, ir.MemRefType):
            return self.value.type.rank
        return None


# --------------------------------------------------------------------------- functions


def split_function_prefix(text: str, default: str) -> tuple[str, str]:
    """``"fn:rest"`` → ``("fn", "rest")``; ``"rest"`` → ``(default, "rest")``.

    >>> split_function_prefix("gemm:i", "top"), split_function_prefix("i.outer", "top")
    (('gemm', 'i'), ('top', 'i.outer'))
    """
    if ":" in text:
        func, _, rest = text.partition(":")
        return func, rest
    return default, text


def resolve_function(state, name: str | None, primitive: str) -> FuncRef:
    """The function ``name`` (``None`` = the top function); unknown → ``LoopNotFoundError``."""
    fname = state.top_func_name if name is None else name
    if not isinstance(fname, str):
        raise schedule_error(ScheduleArgumentError, primitive,
                             f"expected a function name (str), got {type(name).__name__} {name!r}")
    op = state.func_op(fname)
    if op is None:
        raise schedule_error(
            LoopNotFoundError, primitive,
            f"function {fname} not found; functions: {', '.join(state.function_names())}")
    return FuncRef(fname, op)


def _nest(state, fname: str, primitive: str) -> FunctionLoops:
    nest = state.function_loops(fname)
    if nest is None:
        raise schedule_error(
            LoopNotFoundError, primitive,
            f"function {fname} not found; functions: {', '.join(state.function_names())}")
    return nest


# --------------------------------------------------------------------------- loops


def resolve_loop(state, arg: Any, primitive: str) -> LoopRef:
    """Resolve one loop argument of ``primitive`` (see module docstring for the forms).

    Strings: ``"fn:"`` selects the function (default top); a remaining ``"stage.loop"`` is
    stage-qualified only when ``stage`` is a stage of that function; otherwise the whole text
    is a loop name, which must name exactly one loop of the function.
    """
    ref = _resolve_loop(state, arg, primitive)
    state.touched_roots.append(ref.stage.root.op)  # a local rewrite re-analyses this stage
    return ref


def _resolve_loop(state, arg: Any, primitive: str) -> LoopRef:
    if isinstance(arg, LoopHandle):
        return _resolve_handle(state, arg, primitive)
    if isinstance(arg, AmbiguousLoop):
        raise schedule_error(LoopNotFoundError, primitive,
                             f"loop name {arg.loop_name} is ambiguous in stage {arg.band}",
                             func=arg.func)
    if isinstance(arg, LoopBand) and arg.stage is not None:
        nest = _nest(state, arg.func, primitive)
        stage = nest.stage(arg.stage)
        if stage is None:
            raise schedule_error(LoopNotFoundError, primitive,
                                 f"stage {arg.stage} not found; stages: "
                                 f"{', '.join(nest.stage_names())}", func=arg.func)
        return LoopRef(arg.func, stage, stage.root, nest)
    if not isinstance(arg, str):
        raise schedule_error(ScheduleArgumentError, primitive,
                             f"expected a loop name or handle, got {type(arg).__name__} {arg!r}")
    fname, rest = split_function_prefix(arg, state.top_func_name)
    nest = _nest(state, fname, primitive)
    stage_name, dot, loop_name = rest.partition(".")
    if dot and loop_name and nest.stage(stage_name) is not None:
        return _in_stage(nest, nest.stage(stage_name), loop_name, None, primitive)
    return _unique_in_function(nest, rest, primitive)


def resolve_loops(state, args, primitive: str) -> list[LoopRef]:
    """Resolve several loop arguments (each independently)."""
    return [resolve_loop(state, a, primitive) for a in args]


def _resolve_handle(state, handle: LoopHandle, primitive: str) -> LoopRef:
    nest = _nest(state, handle.func, primitive)
    stage = nest.stage(handle.band)
    if stage is not None and stage.find(handle.loop_name):
        return _in_stage(nest, stage, handle.loop_name, handle.loop, primitive)
    return _unique_in_function(nest, handle.loop_name, primitive, handle=handle)


def _in_stage(nest: FunctionLoops, stage: Stage, loop_name: str, snapshot_op,
              primitive: str) -> LoopRef:
    found = stage.find(loop_name)
    if len(found) == 1:
        return LoopRef(nest.func_name, stage, found[0], nest)
    if len(found) > 1 and snapshot_op is not None:
        for node in found:
            try:
                same = node.op == snapshot_op.operation
            except RuntimeError:  # the snapshot's op was erased by a later rewrite
                same = False
            if same:
                return LoopRef(nest.func_name, stage, node, nest)
    if not found:
        raise schedule_error(
            LoopNotFoundError, primitive,
            f"loop {loop_name} not found in stage {stage.name}; its loops: "
            f"{', '.join(n.name for n in stage.loops)}", func=nest.func_name)
    raise schedule_error(
        LoopNotFoundError, primitive,
        f"loop name {loop_name} is ambiguous: {len(found)} loops of stage {stage.name} "
        f"carry it", func=nest.func_name)


def _unique_in_function(nest: FunctionLoops, loop_name: str, primitive: str,
                        handle: LoopHandle | None = None) -> LoopRef:
    found = nest.find(loop_name)
    if len(found) == 1:
        node = found[0]
        return LoopRef(nest.func_name, nest.stage_of(node), node, nest)
    if not found:
        known = sorted({n.name for n in nest.all_loops()})
        what = f"handle {handle.name}" if handle is not None else f"loop {loop_name}"
        raise schedule_error(
            LoopNotFoundError, primitive,
            f"{what} not found in function {nest.func_name}; its loops: "
            f"{', '.join(known) or '(none)'}", func=nest.func_name)
    places = ", ".join(f"{n.stage}.{n.name}" for n in found)
    raise schedule_error(
        LoopNotFoundError, primitive,
        f"loop name {loop_name} is ambiguous in function {nest.func_name}: it names "
        f"{places}; use a handle from s.get_loops() or a stage-qualified name "
        f"(\"{nest.func_name}:<stage>.{loop_name}\")", func=nest.func_name)


# --------------------------------------------------------------------------- buffers


def resolve_buffer(state, arg: Any, primitive: str, require_array: bool = False) -> BufferRef:
    """Resolve a buffer argument: ``MockBuffer``/``s.X`` handle, ``"fn:X"`` or ``"X"``.

    With ``require_array`` a scalar (rank-0 memref or non-memref parameter) raises
    ``ScheduleError``.
    """
    if isinstance(arg, MockBuffer):
        fname, name = arg.func, arg.name
    elif isinstance(arg, str):
        fname, name = split_function_prefix(arg, state.top_func_name)
    elif hasattr(arg, "func") and hasattr(arg, "name") and not isinstance(arg, (LoopHandle, LoopBand)):
        fname, name = arg.func, arg.name
    else:
        raise schedule_error(ScheduleArgumentError, primitive,
                             f"expected a buffer (handle or \"fn:name\"), got "
                             f"{type(arg).__name__} {arg!r}")
    if state.func_op(fname) is None:
        raise schedule_error(
            BufferNotFoundError, primitive,
            f"function {fname} not found; functions: {', '.join(state.function_names())}",
            buffer=f"{fname}:{name}")
    ref = state.buffers(fname).get(name)
    if ref is None:
        raise schedule_error(
            BufferNotFoundError, primitive,
            f"buffer {name} not found in function {fname}; buffers: "
            f"{', '.join(state.buffers(fname)) or '(none)'}", buffer=f"{fname}:{name}")
    if require_array and not ref.rank:
        raise schedule_error(ScheduleArgumentError, primitive,
                             f"{fname}:{name} is a scalar; this primitive needs an array",
                             buffer=f"{fname}:{name}")
    return ref


def collect_buffers(func_name: str, func_op, param_names: list[str]) -> dict[str, BufferRef]:
    """Every addressable buffer of a function, by name, first definition wins.

    Parameters come first (by source name); then, in program order over the whole body
    (loop and ``if`` bodies included), every op carrying ``name = "<var>"`` whose single
    result is a memref (``memref.alloc``, ``memref.get_global``, call results, ...).
    """
    func_op = func_op.operation
    table: dict[str, BufferRef] = {}
    entry = func_op.regions[0].blocks[0]
    for idx, arg in enumerate(entry.arguments):
        if idx < len(param_names):
            table.setdefault(param_names[idx], BufferRef(func_name, param_names[idx], arg,
                                                         None, idx))

    def visit(block):
        for op in block.operations:
            op = op.operation
            for key, result in _named_results(op):
                if isinstance(result.type, ir.MemRefType):
                    table.setdefault(key, BufferRef(func_name, key, result, op))
            for region in op.regions:
                for blk in region.blocks:
                    visit(blk)

    visit(entry)
    return table


def _named_results(op) -> list[tuple[str, Any]]:
    """``name = "x"`` on a one-result op, or ``names = ["c", "d"]`` on a multi-result call."""
    attrs = op.attributes
    if "name" in attrs and len(op.results) == 1 and isinstance(attrs["name"], ir.StringAttr):
        return [(attrs["name"].value, op.results[0])]
    if "names" in attrs and isinstance(attrs["names"], ir.ArrayAttr):
        names = [a.value if isinstance(a, ir.StringAttr) else "" for a in attrs["names"]]
        return [(n, r) for n, r in zip(names, op.results) if n]
    return []


# --------------------------------------------------------------------------- alias classes


def alias_graph(state):
    """The alias graph of the module (``analysis.layout.AliasGraph``), cached until a
    primitive that does not keep it (registry ``keeps``) runs."""
    key = ("alias",)
    cache = state._analysis_cache
    if key not in cache:
        cache[key] = AliasGraph(state.module, state.func_args)
    return cache[key]


def forget(state, kind: str) -> None:
    """Drop the cached analyses of ``kind`` (``"alias"``, ``"buffers"``, ``"loops"``)."""
    cache = state._analysis_cache
    for key in [k for k in cache if k[0] == kind]:
        del cache[key]


# --------------------------------------------------------------------------- renaming


def function_of_arg(arg: Any, top: str) -> str | None:
    """The function a loop/buffer argument addresses (``None`` if it names none).

    >>> function_of_arg("gemm:i", "top"), function_of_arg("i", "top")
    ('gemm', 'top')
    """
    names = function_names_in_arg(arg, top)
    return names[0] if names else None


def function_names_in_arg(arg: Any, top: str) -> list[str]:
    """Every function a loop/stage/buffer argument addresses; a list or tuple of them (a
    ``reorder`` recorded with a list inside) addresses those of its items.

    >>> function_names_in_arg(["g:i", MockBuffer("h", "X"), "j"], "top")
    ['g', 'h', 'top']
    """
    if isinstance(arg, str):
        return [split_function_prefix(arg, top)[0]]
    if isinstance(arg, (MockBuffer, LoopHandle, LoopBand, AmbiguousLoop)):
        return [arg.func]
    if isinstance(arg, (list, tuple)):
        return [name for item in arg for name in function_names_in_arg(item, top)]
    return []


def retarget_arg(arg: Any, mapping: dict[str, str], top: str) -> Any:
    """``arg`` aimed at ``mapping[f]`` when it addresses function ``f`` (others unchanged).

    A plain string gets an explicit prefix (in another schedule a bare name would mean that
    schedule's top function); handles are rebuilt without their IR op (they belong to
    another module and are resolved by name, §1.4).

    >>> retarget_arg("i", {"axpy": "axpy_lo"}, "axpy")
    'axpy_lo:i'
    """
    if isinstance(arg, (list, tuple)):
        return type(arg)(retarget_arg(item, mapping, top) for item in arg)
    names = function_names_in_arg(arg, top)
    if not names or names[0] not in mapping:
        return arg
    new = mapping[names[0]]
    if isinstance(arg, str):
        return f"{new}:{split_function_prefix(arg, top)[1]}"
    if isinstance(arg, MockBuffer):
        return MockBuffer(new, arg.name, arg.idx)
    if isinstance(arg, LoopHandle):
        return LoopHandle(new, arg.band, arg.loop_name, None)
    if isinstance(arg, AmbiguousLoop):
        return AmbiguousLoop(new, arg.band, arg.loop_name, arg.count)
    return LoopBand(new, arg.stage, [])


def rename_function_in_arg(arg: Any, old: str, new: str, top: str) -> Any:
    """``arg`` aimed at function ``new`` when it addresses ``old`` (others unchanged).

    >>> rename_function_in_arg("i", "axpy", "axpy_lo", "axpy")
    'axpy_lo:i'
    """
    return retarget_arg(arg, {old: new}, top)
