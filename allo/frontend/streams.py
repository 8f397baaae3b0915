"""Stream locals (language.md §10.2): ``q: Stream[T, depth]``, ``q.put(v)``, ``v = q.get()``.

A stream is a memref in memory space ``"stream:<depth>"`` (docs/ir.md): every ``put`` is a
store and every ``get`` a load, in FIFO order, so the HLS emitter prints ``q.write(v)`` /
``q.read()``. On the CPU the same memref is an ordinary array whose write and read positions
are kept in two ``index`` counters; its extent is the number of ``put``s the function can
execute (computed once the body is built), so sequential execution never overwrites an unread
element. A block stream ``Stream[T[4], 2]`` moves whole arrays (one element per FIFO slot).
"""

from __future__ import annotations

import itertools
import math

from .._mlir import arith_d, ir, memref_d
from ..errors import AlloSyntaxError, AlloTypeError
from . import memory as mem
from .casting import constant, tag_buffer
from .context import Part
from .scalars import materialize
from .symbols import Sym
from .types import Stream, index as index_t
from .values import Val


class StreamLowering(Part):
    """Stream locals of one function: declarations, ``put``/``get``, and their capacities.

    ``stream_puts`` maps each stream's name to ``[its Val, the puts counted so far]``.
    """

    def __init__(self, ctx, parts):
        super().__init__(ctx, parts)
        self.stream_puts: dict = {}

    def declare_stream(self, name: str, ptype) -> None:
        """Declare stream local ``name`` (or an array of streams) of ``ptype``."""
        stream = ptype.dtype
        if not isinstance(stream.depth, int) or stream.depth < 1:
            raise AlloTypeError(f"stream '{name}' needs a positive integer depth, got {stream.depth!r}")
        if not ptype.shape:
            self.ctx.scopes.declare(name, Sym("stream", self._new_stream(name, stream)))
            return
        elements = {}
        for idx in itertools.product(*(range(d) for d in ptype.shape)):
            elements[idx] = self._new_stream("_".join([name] + [str(i) for i in idx]), stream)
        array = Val(None, stream, tuple(ptype.shape), name=name, extra={"streams": elements})
        self.ctx.scopes.declare(name, Sym("stream", array))

    def _new_stream(self, name, stream: Stream) -> Val:
        space = ir.Attribute.parse(f'"stream:{stream.depth}"')
        block = list(stream.shape)
        mtype = ir.MemRefType.get([1] + block, stream.dtype.build(), memory_space=space)
        op = memref_d.AllocOp(mtype, [], [])
        op.attributes["name"] = ir.StringAttr.get(name)
        if block:
            op.attributes["allo.stream_block"] = ir.UnitAttr.get()
        tag_buffer(op, stream.dtype)
        counters = []
        for _ in range(2):
            c = mem.alloc(index_t, ())
            c.owner.attributes["allo.stream_counter"] = ir.UnitAttr.get()
            mem.store(constant(0, index_t), Val(c, index_t), [])
            counters.append(Val(c, index_t))
        val = Val(op.result, stream.dtype, tuple(block), name=name,
                  extra={"stream": stream, "write_pos": counters[0], "read_pos": counters[1]})
        self.stream_puts.setdefault(name, [val, 0])
        return val

    def stream_element(self, base: Val, items) -> Val:
        """``q[i, j]`` of a stream array: compile-time indices select one stream."""
        idx = []
        for item in items:
            v = self.exprs.visit_expr(item)
            if not (v.is_const and isinstance(v.const, int)):
                raise AlloTypeError("indices into an array of streams must be compile-time constants")
            idx.append(int(v.const))
        key = tuple(idx)
        if key not in base.extra["streams"]:
            raise AlloTypeError(f"stream index {key} out of range for shape {base.shape}")
        return base.extra["streams"][key]

    def _advance(self, counter: Val):
        pos = mem.load(Val(counter.value, index_t), [], index_t)
        nxt = arith_d.AddIOp(pos, constant(1, index_t)).result
        mem.store(nxt, Val(counter.value, index_t), [])
        return Val(pos, index_t)

    def stream_put(self, stream: Val, args) -> Val:
        """``stream.put(value)``: store at the write position, then advance it."""
        if "stream" not in stream.extra:
            raise AlloSyntaxError("put() needs a single stream (index arrays of streams first)")
        if len(args) != 1:
            raise AlloTypeError("put() takes exactly one value")
        value = self.exprs.visit_expr(args[0])
        self._count_put(stream)
        pos = self._advance(stream.extra["write_pos"])
        target = Val(stream.value, stream.dtype, stream.shape, name=stream.name)
        if not stream.shape:
            if value.is_array:
                raise AlloTypeError(f"cannot put an array of shape {value.shape} into a stream of {stream.dtype}")
            mem.store(materialize(value, stream.dtype), target, [pos])
            return Val(None, None, const=None, extra={"void": True})
        if not value.is_array or tuple(value.shape) != tuple(stream.shape):
            raise AlloTypeError(f"put() expects an array of shape {tuple(stream.shape)}")

        def body(ivs):
            v = mem.load(value, mem.base_indices(value, ivs), value.dtype)
            v = materialize(Val(v, value.dtype), stream.dtype)
            mem.store(v, target, [pos] + list(ivs))

        mem.elements(tuple(stream.shape), body,
                     outer_attrs={"allo.stream_put": ir.StringAttr.get(stream.name)})
        return Val(None, None, const=None, extra={"void": True})

    def stream_get(self, stream: Val, args) -> Val:
        """``stream.get()``: load at the read position, then advance it."""
        if "stream" not in stream.extra:
            raise AlloSyntaxError("get() needs a single stream (index arrays of streams first)")
        if args:
            raise AlloTypeError("get() takes no arguments")
        pos = self._advance(stream.extra["read_pos"])
        source = Val(stream.value, stream.dtype, stream.shape, name=stream.name)
        if not stream.shape:
            return Val(mem.load(source, [pos], stream.dtype), stream.dtype)
        out = Val(mem.alloc(stream.dtype, tuple(stream.shape)), stream.dtype, tuple(stream.shape))

        def body(ivs):
            mem.store(mem.load(source, [pos] + list(ivs), stream.dtype), out, ivs)

        mem.elements(tuple(stream.shape), body,
                     outer_attrs={"allo.stream_get": ir.StringAttr.get(stream.name)})
        out.extra["fresh"] = True
        return out

    def _count_put(self, stream: Val):
        """Add this put's worst-case execution count to the stream's capacity."""
        count = 1
        for trips in self.ctx.trip_counts:
            if trips is None:
                raise AlloTypeError(
                    f"put() on stream '{stream.name}' inside a loop with run-time bounds: the "
                    "number of elements must be known at compile time")
            count *= trips
        self.stream_puts[stream.name][1] += count

    def finalize_streams(self):
        """Give every stream its capacity (the total number of puts, at least 1)."""
        for val, puts in self.stream_puts.values():
            old = ir.MemRefType(val.value.type)
            shape = [max(1, puts)] + list(old.shape[1:])
            val.value.set_type(ir.MemRefType.get(shape, old.element_type,
                                                 memory_space=old.memory_space))


def static_trip_count(lo: Val, hi: Val, step) -> int | None:
    """Trip count of a loop when its bounds and step are compile-time constants."""
    fl, fh = mem.affine_of(lo), mem.affine_of(hi)
    if not isinstance(step, int) or fl is None or fh is None:
        return None
    a, b = fl.const_value(), fh.const_value()
    if a is None or b is None:
        return None
    return max(0, math.ceil((b - a) / step))


__all__ = ["StreamLowering", "static_trip_count"]
