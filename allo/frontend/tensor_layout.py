"""Data-movement builtins: ``transpose``, ``view``, ``concat``, ``copy``, ``tril``, ``ones``,
``zeros`` (language.md §6.2). Element types are preserved (``concat`` converts ``y`` to the
type of ``x``); every result is a fresh buffer.

IR: ``linalg.transpose`` / ``memref.copy`` / ``linalg.fill`` tagged with ``op_name`` when the
input is a plain buffer and ``lower_linalg`` is off; otherwise one named affine loop nest.
``view`` is a row-major re-indexing nest (``floordiv``/``mod`` affine maps) and ``concat`` one
nest over the result whose body picks its source with an ``scf.if`` on the concatenation index.

>>> # B = allo.transpose(A, (1, 0, 2))   # A: int32[2, 3, 4] -> B: int32[3, 2, 4]
"""

from __future__ import annotations

import math

import numpy as np

from .._mlir import arith_d, linalg_d, ir, scf_d
from ..errors import AlloTypeError
from . import memory as mem
from .casting import cast, constant
from .tensor_emit import OpEmitter, copy_plain, index_add
from .types import AlloType, float32, int32, index as index_t
from .values import Affine, Val

_SLE, _SLT = 3, 2  # arith.cmpi predicates


def _expect_array(v: Val, op: str):
    if not isinstance(v, Val) or not v.is_array:
        raise AlloTypeError(f"allo.{op} expects an array argument")


def as_int_tuple(value, op: str, what: str) -> tuple:
    """A shape/axes argument (int, tuple, list or numpy array) as a tuple of ints."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),)
    try:
        items = np.asarray(value).reshape(-1).tolist()
    except Exception:  # noqa: BLE001
        items = None
    if items is None or not all(isinstance(i, int) and not isinstance(i, bool) for i in items):
        raise AlloTypeError(f"{what} of allo.{op} must be integers, got {value!r}")
    return tuple(items)


def _normalize_axis(axis: int, rank: int, op: str) -> int:
    if not -rank <= axis < rank:
        raise AlloTypeError(f"allo.{op}: axis {axis} is out of range for rank {rank}")
    return axis % rank


def transpose_op(ops, op: str, p: dict) -> Val:
    """``allo.transpose(x, axes=None)`` (also ``.T``): permute dims; default reverses them."""
    x = p["x"]
    _expect_array(x, op)
    shape = tuple(x.shape)
    rank = len(shape)
    if p["axes"] is None:
        perm = tuple(reversed(range(rank)))
    else:
        perm = as_int_tuple(p["axes"], op, "axes")
        if len(perm) == rank and all(-rank <= a < rank for a in perm):
            perm = tuple(a % rank for a in perm)
        if sorted(perm) != list(range(rank)):
            raise AlloTypeError(f"Transpose shape mismatch, got axes {perm} for an array of shape {shape}")
    out_shape = tuple(shape[a] for a in perm)
    em = OpEmitter(ops, op, p["name"])
    out = em.fresh(x.dtype, out_shape)
    if not em.lowered and mem.is_plain(x):
        em.name_linalg(linalg_d.transpose(x.value, outs=[out.value], permutation=list(perm)), x.dtype)
        return out

    def body(ivs):
        src = [None] * rank
        for d, a in enumerate(perm):
            src[a] = ivs[d]
        em.store(em.load(x, src), out, ivs)

    em.nest(out_shape, body)
    return out


def _view_shape(x_shape: tuple, target: tuple) -> tuple:
    count = math.prod(x_shape)
    if target.count(-1) == 1 and all(d > 0 for d in target if d != -1):
        known = math.prod(d for d in target if d != -1)
        if known and count % known == 0:
            target = tuple(count // known if d == -1 else d for d in target)
    if any(d < 1 for d in target) or math.prod(target) != count:
        raise AlloTypeError(f"cannot view {x_shape} as {target}")
    return target


def _strides(shape: tuple) -> list:
    out, acc = [], 1
    for d in reversed(shape):
        out.append(acc)
        acc *= d
    return list(reversed(out))


def view_op(ops, op: str, p: dict) -> Val:
    """``allo.view(x, shape)``: row-major reshape into a fresh array of the same element count."""
    x = p["x"]
    _expect_array(x, op)
    src_shape = tuple(x.shape)
    shape = _view_shape(src_shape, as_int_tuple(p["shape"], op, "shape"))
    em = OpEmitter(ops, op, p["name"])
    out = em.fresh(x.dtype, shape)
    if shape == src_shape and not em.lowered and mem.is_plain(x):
        copy_plain(x, out, em.op_name)
        return out
    out_strides, src_strides = _strides(shape), _strides(src_shape)

    def body(ivs):
        linear = None
        for iv, stride in zip(ivs, out_strides):
            term = Affine("mul", iv.affine, stride) if stride != 1 else iv.affine
            linear = term if linear is None else Affine("add", linear, term)
        src = []
        for e, (stride, extent) in enumerate(zip(src_strides, src_shape)):
            f = Affine("floordiv", linear, stride) if stride != 1 else linear
            if e > 0:
                f = Affine("mod", f, extent)
            src.append(Val(None, index_t, affine=f))
        em.store(em.load(x, src), out, ivs)

    em.nest(shape, body)
    return out


def concat_op(ops, op: str, p: dict) -> Val:
    """``allo.concat(x, y, axis=0)``: join along ``axis``; ``y`` converted to ``x``'s type."""
    x, y = p["x"], p["y"]
    _expect_array(x, op)
    _expect_array(y, op)
    sx, sy = tuple(x.shape), tuple(y.shape)
    if len(sx) != len(sy):
        raise AlloTypeError(f"Concatenation requires the same number of dimensions, got {sx} and {sy}")
    axis = p["axis"]
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise AlloTypeError(f"axis of allo.concat must be an integer, got {axis!r}")
    axis = _normalize_axis(int(axis), len(sx), op)
    if any(a != b for d, (a, b) in enumerate(zip(sx, sy)) if d != axis):
        raise AlloTypeError("Concatenation requires the same shape except the concatenation axis "
                            f"{axis}, got {sx} and {sy}")
    shape = tuple(a + b if d == axis else a for d, (a, b) in enumerate(zip(sx, sy)))
    em = OpEmitter(ops, op, p["name"])
    out = em.fresh(x.dtype, shape)
    split = sx[axis]

    def body(ivs):
        pos = ivs[axis]
        in_x = arith_d.CmpIOp(_SLT, pos.value, constant(split, index_t)).result
        branch = scf_d.IfOp(in_x, [], has_else=True)
        with ir.InsertionPoint(branch.then_block):
            em.store(em.load(x, ivs), out, ivs)
            scf_d.YieldOp([])
        with ir.InsertionPoint(branch.else_block):
            idx = list(ivs)
            idx[axis] = index_add(pos, -split)
            em.store(cast(em.load(y, idx), y.dtype, x.dtype), out, ivs)
            scf_d.YieldOp([])

    em.nest(shape, body)
    return out


def copy_op(ops, op: str, p: dict) -> Val:
    """``allo.copy(x)`` / ``x.copy()``: a fresh array with the contents of ``x``."""
    x = p["x"]
    _expect_array(x, op)
    em = OpEmitter(ops, op, p["name"])
    out = em.fresh(x.dtype, tuple(x.shape))
    if not em.lowered and mem.is_plain(x):
        copy_plain(x, out, em.op_name)
        return out
    em.nest(out.shape, lambda ivs: em.store(em.load(x, ivs), out, ivs))
    return out


def tril_op(ops, op: str, p: dict) -> Val:
    """``allo.tril(x)``: keeps ``x[r, c]`` with ``c <= r``, zero elsewhere (2-D only)."""
    x = p["x"]
    if not isinstance(x, Val) or len(x.shape) != 2:
        raise AlloTypeError(f"allo.tril expects a 2-D array, got shape {tuple(getattr(x, 'shape', ()))}")
    t = x.dtype
    em = OpEmitter(ops, op, p["name"])
    out = em.fresh(t, tuple(x.shape))

    def body(ivs):
        r, c = ivs
        keep = arith_d.CmpIOp(_SLE, c.value, r.value).result
        zero = constant(0.0 if t.is_float else 0, t)
        em.store(arith_d.SelectOp(keep, em.load(x, ivs), zero).result, out, ivs)

    em.nest(out.shape, body)
    return out


def _fill_dtype(dtype, op: str) -> AlloType:
    if dtype is None or dtype is float:
        return float32
    if dtype is int:
        return int32
    if isinstance(dtype, AlloType):
        return dtype
    raise AlloTypeError(f"dtype of allo.{op} must be an Allo type, int or float, got {dtype!r}")


def fill_op(ops, op: str, p: dict) -> Val:
    """``allo.ones/zeros(shape, dtype=float32)``: a fresh array filled with 1 or 0."""
    shape = as_int_tuple(p["shape"], op, "shape")
    if not shape or any(d < 1 for d in shape):
        raise AlloTypeError(f"allo.{op} expects a shape of positive integers, got {shape}")
    dtype = _fill_dtype(p["dtype"], op)
    value = 1 if op == "ones" else 0
    em = OpEmitter(ops, op, p["name"])
    out = em.fresh(dtype, shape)
    scalar_value = float(value) if dtype.is_float else value
    if not em.lowered:
        fill = linalg_d.FillOp([], [constant(scalar_value, dtype)], [out.value])
        linalg_d.fill_builtin_region(fill.operation)
        em.name_linalg(fill, dtype)
        return out
    em.nest(shape, lambda ivs: em.store(constant(scalar_value, dtype), out, ivs))
    return out


OPS = {"transpose": transpose_op, "view": view_op, "concat": concat_op, "copy": copy_op,
       "tril": tril_op, "ones": fill_op, "zeros": fill_op}
