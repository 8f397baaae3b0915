"""Layout rules of the PyTorch frontend: reshapes, transposes, concatenation, repetition,
indexing and splitting (see :mod:`allo.frontend.pytorch_ops` for the dispatch).

>>> sorted(LAYOUT_HANDLERS)[:3]
['cat', 'chunk', 'getitem']
"""

from __future__ import annotations

import operator
from functools import reduce

from .pytorch import Tensor


def _rank_dim(dim: int, rank: int) -> int:
    return dim + rank if dim < 0 else dim


def _prod(items) -> int:
    return reduce(operator.mul, items, 1)


def _shape(value) -> tuple:
    return tuple(value.shape) if isinstance(value, Tensor) else tuple(value.array.shape)


def _tensor_operands(values) -> list:
    return [v for v in values if isinstance(v, Tensor) and v.shape]


def _reshape(tr, x, *args, **kwargs):
    return tr.view(tr.tensor(x), tr.out_shape())


def _permute(tr, x, *dims):
    x = tr.tensor(x)
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    perm = tuple(_rank_dim(d, len(x.shape)) for d in dims)
    if perm == tuple(range(len(x.shape))):
        return x
    return tr.dsl("transpose", [x.name, str(perm)], tr.out_shape(), x.dtype)


def _transpose(tr, x, dim0, dim1):
    x = tr.tensor(x)
    perm = list(range(len(x.shape)))
    a, b = _rank_dim(dim0, len(perm)), _rank_dim(dim1, len(perm))
    perm[a], perm[b] = perm[b], perm[a]
    return _permute(tr, x, tuple(perm))


def _t(tr, x):
    x = tr.tensor(x)
    return x if len(x.shape) < 2 else _transpose(tr, x, 0, 1)


def _nonempty_cat_operands(values: list, dim: int) -> list:
    """``values`` without the operands that add nothing to ``cat`` (zero along ``dim``, or the
    legacy 1-D ``(0,)`` torch skips): an empty KV cache would otherwise become a zero-length
    global array, which standard C++ (and HLS) refuses."""
    ranks = [len(_shape(v)) for v in values if _shape(v) != (0,)]
    if not ranks:
        return values
    axis = _rank_dim(dim, ranks[0])
    kept = [v for v in values if _shape(v) != (0,) and _shape(v)[axis] != 0]
    return kept or values


def _cat(tr, tensors, dim=0):
    values = _nonempty_cat_operands(list(tensors), dim)
    if len(values) == 1 and isinstance(values[0], Tensor):
        return values[0]
    first = _tensor_operands(values)
    if not first:
        raise tr.unsupported("cat of constants only")
    dtype = first[0].dtype
    items = [Tensor(tr.operand(v, dtype), _shape(v), dtype) for v in values]
    rank = len(items[0].shape)
    axis = _rank_dim(dim, rank)
    if len(items) == 2 and rank == 3 and axis == 1:
        (b, n1, c), n2 = items[0].shape, items[1].shape[1]
        return tr.kernel("concat", [dtype, b, n1, n2, c], [items[0].name, items[1].name],
                         (b, n1 + n2, c), dtype)
    acc = items[0]
    for item in items[1:]:
        shape = list(acc.shape)
        shape[axis] += item.shape[axis]
        acc = tr.dsl("concat", [acc.name, item.name, f"axis={axis}"], tuple(shape), dtype)
    return acc


def _repeat(tr, x, *sizes):
    x = tr.tensor(x)
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = tuple(int(s) for s in sizes)
    if len(x.shape) == 3 and len(sizes) == 3 and sizes[1:] == (1, 1):
        b, l, c = x.shape
        return tr.kernel("repeat_batch3d", [x.dtype, b, l, c, sizes[0]], [x.name],
                         (sizes[0] * b, l, c), x.dtype)
    shape = tr.out_shape()
    src = (1,) * (len(shape) - len(x.shape)) + tuple(x.shape)
    offset = len(shape) - len(x.shape)

    def element(ivs):
        index = [f"{ivs[offset + k]} % {d}" if d != shape[offset + k] else ivs[offset + k]
                 for k, d in enumerate(src[offset:])]
        return f"{x.name}[{', '.join(index)}]"

    return tr.loop_nest(shape, x.dtype, element)


def _slice_plan(tr, index, in_shape: tuple):
    """``(out_shape, source index builders)`` of ``x[index]`` with ints, slices, None, ...."""
    items = list(index) if isinstance(index, tuple) else [index]
    if any(i is Ellipsis for i in items):
        at = items.index(Ellipsis)
        fill = len(in_shape) - (len(items) - 1 - sum(1 for i in items if i is None))
        items[at:at + 1] = [slice(None)] * fill
    consumed = sum(1 for i in items if i is not None)
    items += [slice(None)] * (len(in_shape) - consumed)
    out_shape, plan, dim = [], [], 0
    for item in items:
        if item is None:
            out_shape.append(1)
            continue
        size = in_shape[dim]
        if isinstance(item, slice):
            start, _, step = item.indices(size)
            out_shape.append(len(range(*item.indices(size))))
            plan.append(("slice", start, step, len(out_shape) - 1))
        elif isinstance(item, int):
            plan.append(("int", item + size if item < 0 else item))
        else:
            raise tr.unsupported(f"indexing with {item!r}")
        dim += 1
    return tuple(out_shape), plan


def _index_text(entry, ivs) -> str:
    if entry[0] == "int":
        return str(entry[1])
    _, start, step, out_dim = entry
    iv = ivs[out_dim]
    term = iv if step == 1 else f"{iv} * {step}"
    return term if start == 0 else f"{term} + {start}"


def _getitem(tr, x, index):
    if isinstance(x, (tuple, list)):
        return x[index]
    x = tr.tensor(x)
    out_shape, plan = _slice_plan(tr, index, tuple(x.shape))
    if out_shape != tr.out_shape():
        raise tr.unsupported(f"indexing {index!r}")
    return tr.loop_nest(out_shape, x.dtype, lambda ivs: (
        f"{x.name}[{', '.join(_index_text(e, ivs) for e in plan)}]"))


def _pieces(tr, x, sizes: list, dim: int) -> tuple:
    axis = _rank_dim(dim, len(x.shape))
    out, start = [], 0
    for size in sizes:
        index = tuple(slice(None) for _ in range(axis)) + (slice(start, start + size),)
        out_shape, plan = _slice_plan(tr, index, tuple(x.shape))
        out.append(tr.loop_nest(out_shape, x.dtype, lambda ivs, plan=plan: (
            f"{x.name}[{', '.join(_index_text(e, ivs) for e in plan)}]")))
        start += size
    return tuple(out)


def _split(tr, x, split_size_or_sections, dim=0):
    x = tr.tensor(x)
    recorded = tr.node.meta.get("allo_value")
    axis = _rank_dim(dim, len(x.shape))
    return _pieces(tr, x, [int(t.shape[axis]) for t in recorded], dim)


def _chunk(tr, x, chunks, dim=0):
    return _split(tr, x, chunks, dim)


def _tril(tr, x, diagonal=0):
    x = tr.tensor(x)
    if diagonal != 0 or len(x.shape) != 2:
        raise tr.unsupported("tril of a 2-D tensor with diagonal=0 only")
    return tr.dsl("tril", [x.name], x.shape, x.dtype)


LAYOUT_HANDLERS = {
    "reshape": _reshape, "permute": _permute, "transpose": _transpose, "t": _t, "cat": _cat,
    "repeat": _repeat, "getitem": _getitem, "split": _split, "chunk": _chunk, "tril": _tril,
}
