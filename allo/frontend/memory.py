"""Buffers, element accesses, views and whole-array copies/fills for the frontend.

Arrays are memrefs. A *view* (``A[i]`` of a 2-D array, ``A[1:3, :]``) is kept lazily as the
base memref plus an index mapping (``Val.extra["view"]``), so accesses through it are plain
loads/stores of the base buffer (affine when the composed indices are affine).
"""

from __future__ import annotations

from .._mlir import affine_d, arith_d, ir, linalg_d, memref_d
from ..errors import AlloTypeError
from .casting import constant, tag, tag_buffer
from .types import AlloType, Index, index as index_t
from .values import Affine, Val


def memref_type(dtype: AlloType, shape: tuple, memory_space=None):
    dims = [ir.ShapedType.get_dynamic_size() if d == -1 else d for d in shape]
    if memory_space:
        space = ir.IntegerAttr.get(ir.IntegerType.get_signless(32), memory_space)
        return ir.MemRefType.get(dims, dtype.build(), memory_space=space)
    return ir.MemRefType.get(dims, dtype.build())


def memory_space(ptype):
    """The memory space a ``Memory`` annotation asks for, or ``None`` (the default space)."""
    if ptype.memory is not None:
        space = ptype.memory.get_memory_space()
        return space or None
    return None


def alloc(dtype: AlloType, shape: tuple, name: str | None = None, memory_space=None):
    """``memref.alloc() {name = ...}`` of ``dtype[shape]`` (rank 0 for scalars)."""
    op = memref_d.AllocOp(memref_type(dtype, shape, memory_space), [], [])
    if name is not None:
        op.attributes["name"] = ir.StringAttr.get(name)
    tag_buffer(op, dtype)
    return op.result


def index_value(v: Val):
    """An MLIR ``index`` value for an index-typed Val (materialising affine forms)."""
    if v.value is not None:
        return v.value
    if v.affine is not None:
        ivs = v.affine.ivs([])
        if not ivs:
            return constant(v.affine.const_value(), index_t)
        amap = ir.AffineMap.get(len(ivs), 0, [v.affine.to_expr(ivs)])
        v.value = affine_d.AffineApplyOp(amap, ivs).result
        return v.value
    return constant(int(v.const), index_t)


def as_index(v: Val, convert) -> Val:
    """Convert a scalar Val to an index Val (keeping affine forms and constants)."""
    if isinstance(v.dtype, Index):
        return v
    if v.is_const and isinstance(v.const, (int,)) and not isinstance(v.const, bool):
        return index_const(v.const)
    return Val(convert(v, index_t), index_t)


def index_const(k: int) -> Val:
    """A compile-time index value (affine constant)."""
    return Val(None, index_t, const=int(k), affine=Affine.const(int(k)))


def affine_of(v: Val):
    """The Affine form of an index Val, or ``None`` if it is not affine."""
    if v.affine is not None:
        return v.affine
    if v.is_const and isinstance(v.const, int):
        return Affine.const(v.const)
    return None


def _set_name(op, key: str, name: str | None):
    if name:
        op.attributes[key] = ir.StringAttr.get(name)


def _affine_access(indices: list):
    """``(map, operands)`` when every index is affine, else ``None``."""
    forms = [affine_of(i) for i in indices]
    if any(f is None for f in forms):
        return None
    ivs = []
    for f in forms:
        f.ivs(ivs)
    return ir.AffineMap.get(len(ivs), 0, [f.to_expr(ivs) for f in forms]), ivs


def load(buf: Val, indices: list, dtype: AlloType):
    """Load ``buf[indices]`` (indices are index Vals on the *base* memref)."""
    access = _affine_access(indices)
    if access is not None:
        op = affine_d.AffineLoadOp(dtype.build(), buf.value, access[1], access[0])
    else:
        op = memref_d.LoadOp(buf.value, [index_value(i) for i in indices])
    _set_name(op, "from", buf.name)
    tag(op, dtype)
    return op.result


def store(value, buf: Val, indices: list):
    """Store ``value`` to ``buf[indices]`` (affine when the indices are)."""
    access = _affine_access(indices)
    if access is not None:
        op = affine_d.AffineStoreOp(value, buf.value, access[1], access[0])
    else:
        op = memref_d.StoreOp(value, buf.value, [index_value(i) for i in indices])
    _set_name(op, "to", buf.name)
    return op


# --------------------------------------------------------------------------- views


def view_entries(buf: Val) -> list:
    """Per base dimension: ``("idx", Val)`` or ``("slice", start Val, step int)``."""
    if "view" in buf.extra:
        return buf.extra["view"]
    return [("slice", index_const(0), 1) for _ in buf.shape]


def base_indices(buf: Val, idx: list) -> list:
    """Map indices of the (possibly viewed) array to indices of its base memref."""
    out = []
    it = iter(idx)
    for entry in view_entries(buf):
        if entry[0] == "idx":
            out.append(entry[1])
            continue
        _, start, step = entry
        v = next(it)
        out.append(add_index(start, mul_index(v, step)))
    return out


def mul_index(v: Val, k: int) -> Val:
    if k == 1:
        return v
    f = affine_of(v)
    if f is not None:
        return Val(None, index_t, affine=Affine("mul", f, k))
    c = constant(k, index_t)
    return Val(arith_d.MulIOp(index_value(v), c).result, index_t)


def add_index(a: Val, b: Val) -> Val:
    fa, fb = affine_of(a), affine_of(b)
    if fa is not None and fa.const_value() == 0:
        return b
    if fa is not None and fb is not None:
        return Val(None, index_t, affine=Affine("add", fa, fb))
    return Val(arith_d.AddIOp(index_value(a), index_value(b)).result, index_t)


def elements(shape: tuple, body, outer_attrs=None):
    """Emit an affine loop nest over ``shape``; ``body(ivs as index Vals)`` fills it.

    ``outer_attrs`` are set on the outermost loop (e.g. the block-stream transfer tags)."""
    if not shape:
        body([])
        return

    ivs = []

    def rec(d):
        loop = affine_d.AffineForOp(0, shape[d], 1)
        with ir.InsertionPoint(loop.body):
            iv = Val(loop.induction_variable, index_t, affine=Affine.iv(loop.induction_variable))
            ivs.append(iv)
            if d + 1 < len(shape):
                rec(d + 1)
            else:
                body(list(ivs))
            affine_d.AffineYieldOp([])
        return loop

    outer = rec(0)
    for key, attr in (outer_attrs or {}).items():
        outer.attributes[key] = attr


def fill(buf: Val, scalar):
    """``linalg.fill`` of a whole (non-view) buffer with an MLIR scalar value."""
    linalg_d.fill(scalar, outs=[buf.value])


def copy_whole(src: Val, dst: Val):
    """``memref.copy`` between two plain buffers of identical type."""
    memref_d.CopyOp(src.value, dst.value)


def is_plain(buf: Val) -> bool:
    return "view" not in buf.extra


def broadcast_shape(a: tuple, b: tuple):
    """numpy broadcasting of two shapes; ``None`` when incompatible."""
    out = []
    for i in range(max(len(a), len(b))):
        da = a[len(a) - 1 - i] if i < len(a) else 1
        db = b[len(b) - 1 - i] if i < len(b) else 1
        if da == db or db == 1:
            out.append(da)
        elif da == 1:
            out.append(db)
        else:
            return None
    return tuple(reversed(out))


def broadcast_or_raise(a: tuple, b: tuple) -> tuple:
    """numpy broadcasting of two shapes, else the language.md §6.1 shape error."""
    shape = broadcast_shape(tuple(a), tuple(b))
    if shape is None:
        raise AlloTypeError(f"Shape mismatch, got {tuple(a)} and {tuple(b)}, and cannot be broadcasted")
    return shape


def broadcast_indices(shape: tuple, full: tuple, ivs: list) -> list:
    """Indices into an operand of ``shape`` for the element ``ivs`` of the ``full`` shape."""
    lead = len(full) - len(shape)
    out = []
    for d, n in enumerate(shape):
        iv = ivs[lead + d]
        out.append(index_const(0) if n == 1 and full[lead + d] != 1 else iv)
    return out


def copy_converted(src: Val, dst: Val, convert):
    """Element-wise copy ``src`` → ``dst`` with type conversion and broadcasting."""
    def body(ivs):
        v = load(src, base_indices(src, broadcast_indices(src.shape, dst.shape, ivs)), src.dtype)
        v = convert(Val(v, src.dtype), dst.dtype)
        store(v, dst, base_indices(dst, ivs))

    elements(dst.shape, body)


def get_global(sym_name: str, dtype: AlloType, shape: tuple):
    op = memref_d.GetGlobalOp(memref_type(dtype, shape), sym_name)
    tag_buffer(op, dtype)
    return op.result


__all__ = [
    "alloc", "memory_space", "load", "store", "fill", "copy_whole", "copy_converted", "elements",
    "index_value", "as_index", "index_const", "affine_of", "view_entries", "base_indices",
    "broadcast_shape", "broadcast_or_raise", "broadcast_indices", "get_global", "memref_type",
    "is_plain",
]
