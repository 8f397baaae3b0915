"""The splitter process of a FIFO forked from a *function* producer (``schedule.md`` §4.1).

A producer stage of ``X`` can write each element to every FIFO itself. A producer that is a
function has one parameter for ``X``, so its call is redirected to a new FIFO ``X_src`` and a
generated function ``X_split(X_src, X, X_1, ...)`` copies every element of ``X_src`` into
each per-consumer FIFO. Being a function of its own, the splitter is one more call in the
caller's body: an HLS ``#pragma HLS dataflow`` region stays made of function calls only.

Names (stable, documented in ``docs/streams.md``): the function is ``<X>_split`` (else
``<F>_<X>_split``, else with a ``_<k>`` suffix, when a function of that name exists), its
parameters ``X_src, X, X_1, ...``, its one stage ``<X>_split`` with loops ``<X>_s0``,
``<X>_s1``, ... The call and the function carry ``allo.stream_split = "X"``. Each further
fork rebuilds the splitter with one more output, under the same name.

>>> # s.to(s.X, "a"); s.to(s.X, "b")  # produce(P, X) -> produce(P, X_src); X_split(X_src, X, X_1)
"""

from __future__ import annotations

from .._mlir import affine_d, func_d, ir
from ..mlir_utils import fresh_name
from . import rewrite as tf
from .args import forget

SPLIT_ATTR = "allo.stream_split"  # on a splitter call and its function: the buffer it forks


def is_splitter_call(op) -> bool:
    """Whether ``op`` is the call of a generated splitter function."""
    op = op.operation
    return op.name == "func.call" and SPLIT_ATTR in op.attributes


def splitter_name(state, func: str, buffer: str) -> str:
    """A function name for the splitter of ``buffer`` in ``func`` that no function has."""
    taken = set(state.function_names())
    for name in (f"{buffer}_split", f"{func}_{buffer}_split"):
        if name not in taken:
            return name
    return fresh_name(f"{func}_{buffer}_split", taken)


def _callee(call) -> str:
    return ir.FlatSymbolRefAttr(call.operation.attributes["callee"]).value


def producer_param_tags(state, producer_call, value) -> tuple[ir.Attribute, str]:
    """The element-type tags (``allo.itypes`` entry, ``itypes`` letter) the producer
    function gives its parameter receiving ``value``: the splitter's parameters get them."""
    position = [k for k, v in enumerate(producer_call.operands) if v == value][0]
    callee = state.func_op(_callee(producer_call))
    attrs = callee.operation.attributes
    tag = ir.ArrayAttr(attrs["allo.itypes"])[position] if "allo.itypes" in attrs \
        else ir.StringAttr.get(str(ir.MemRefType(value.type).element_type))
    letters = ir.StringAttr(attrs["itypes"]).value if "itypes" in attrs else ""
    letter = letters[position] if position < len(letters) else "_"
    return tag, letter


def splitter_tags(state, call) -> tuple[ir.Attribute, str]:
    """The element-type tags of an existing splitter (those of its first parameter)."""
    attrs = state.func_op(_callee(call)).operation.attributes
    return ir.ArrayAttr(attrs["allo.itypes"])[0], ir.StringAttr(attrs["itypes"]).value[:1]


def build_splitter(state, caller, buffer: str, src, outputs: list, tags: tuple,
                   name: str, after, load_type=None) -> None:
    """Create ``name(src, *outputs)`` before ``caller`` and call it right after ``after``.

    ``outputs`` are the per-consumer FIFO values (``X``, ``X_1``, ...), ``tags`` the
    element-type tags of :func:`producer_param_tags`, ``load_type`` the ``allo.type`` tag of
    the element (fixed point, ...) when it has one.
    """
    loc = after.location
    types = [src.type] + [v.type for v in outputs]
    names = [f"{buffer}_src"] + [_fifo_name(v, buffer) for v in outputs]
    with ir.InsertionPoint(caller), loc:
        fn = func_d.FuncOp(name, ir.FunctionType.get(types, []))
        block = fn.add_entry_block()
        with ir.InsertionPoint(block):
            func_d.ReturnOp([])
    tag, letter = tags
    fn.operation.attributes["allo.itypes"] = ir.ArrayAttr.get([tag] * len(types))
    fn.operation.attributes["allo.otypes"] = ir.ArrayAttr.get([])
    fn.operation.attributes["itypes"] = ir.StringAttr.get(letter * len(types))
    fn.operation.attributes["otypes"] = ir.StringAttr.get("")
    fn.operation.attributes[SPLIT_ATTR] = ir.StringAttr.get(buffer)
    _copy_loops(block, buffer, names, ir.MemRefType(src.type), loc, load_type)
    state.func_args[name] = names
    forget(state, "functions")
    with ir.InsertionPoint(after), loc:
        call = func_d.CallOp([], ir.FlatSymbolRefAttr.get(name), [src] + list(outputs))
    call.operation.move_after(after)
    call.operation.attributes[SPLIT_ATTR] = ir.StringAttr.get(buffer)


def _copy_loops(block, buffer: str, names: list, mtype: ir.MemRefType, loc,
                load_type) -> None:
    """The splitter's stage: one load of ``src`` and one store per output, in row-major
    order (every FIFO is read and written exactly once per element)."""
    point = ir.InsertionPoint.at_block_terminator(block)
    loops, ivs = [], []
    for d, extent in enumerate(mtype.shape):
        attrs = {"loop_name": tf.str_attr(f"{buffer}_s{d}")}
        if d == 0:
            attrs["op_name"] = tf.str_attr(f"{buffer}_split")
        loop = tf.new_affine_for(ir.AffineMap.get_constant(0), [],
                                 ir.AffineMap.get_constant(extent), [], 1, attrs, loc, point)
        loops.append(loop)
        ivs.append(loop.regions[0].blocks[0].arguments[0])
        point = ir.InsertionPoint.at_block_terminator(loop.regions[0].blocks[0])
    ident = ir.AffineMap.get_identity(len(mtype.shape))
    args = list(block.arguments)
    with point, loc:
        load = affine_d.AffineLoadOp(mtype.element_type, args[0], ivs, ident)
        load.operation.attributes["from"] = ir.StringAttr.get(names[0])
        if load_type is not None:
            load.operation.attributes["allo.type"] = load_type
        for arg, fifo in zip(args[1:], names[1:]):
            store = affine_d.AffineStoreOp(load.result, arg, ivs, ident)
            store.operation.attributes["to"] = ir.StringAttr.get(fifo)


def _fifo_name(value, default: str) -> str:
    attrs = value.owner.attributes
    return ir.StringAttr(attrs["name"]).value if "name" in attrs else default


__all__ = ["SPLIT_ATTR", "is_splitter_call", "splitter_name", "build_splitter",
           "producer_param_tags", "splitter_tags"]
