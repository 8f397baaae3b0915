"""Kernel builtins (``allo.grid``, ``allo.matmul``, ``allo.meta_if``, ``allo.Memory``, ...).

Inside a kernel the frontend compiles these names; called from plain Python they compute with
numpy (language.md §6.3), so a kernel also runs as ordinary Python on numpy arrays:

>>> import numpy as np, allo
>>> list(allo.grid(2, 2))
[(0, 0), (0, 1), (1, 0), (1, 1)]
>>> allo.matmul(np.eye(2), np.ones((2, 2))).tolist()
[[1.0, 1.0], [1.0, 1.0]]
"""

from __future__ import annotations

import math as _math

import numpy as np

from .frontend.types import numpy_dtype

__all__ = [
    "grid", "reduction", "meta_if", "meta_elif", "meta_else", "meta_for", "Memory",
    "matmul", "bmm", "linear", "add", "sub", "mul", "div", "exp", "log", "log2", "log10",
    "sqrt", "sin", "cos", "tan", "tanh", "abs", "power", "relu", "softmax", "layernorm",
    "gelu", "tril", "transpose", "view", "concat", "copy", "conv2d", "maxpool", "sumpool",
    "ones", "zeros", "get_pid",
]


def grid(*extents, name=None, pipeline=False, unroll=False):
    """A perfect loop nest over ``extents``, outermost first (``np.ndindex`` in plain Python).

    ``name`` names the nest (the stage schedules address); ``pipeline=True`` pipelines and
    ``unroll=True`` unrolls its innermost loop, as the primitives would.

    >>> list(grid(1, 2))
    [(0, 0), (0, 1)]
    """
    return np.ndindex(*extents)


def reduction(*extents, name=None, pipeline=False, unroll=False):
    """Like :func:`grid` (same ``extents``, ``name``, ``pipeline``, ``unroll``), with its
    loops marked as reduction loops.

    >>> list(reduction(2))
    [(0,), (1,)]
    """
    return np.ndindex(*extents)


class _CompileTimeOnly:
    """A construct only the kernel compiler understands; calling it in Python fails."""

    def __init__(self, name, doc):
        self.name = name
        self.__doc__ = doc

    def __call__(self, *args, **kwargs):
        raise RuntimeError(f"allo.{self.name} can only be used inside a kernel")


meta_if = _CompileTimeOnly("meta_if", """``with allo.meta_if(cond):`` compiles its body only when the
compile-time condition ``cond`` is true (kernels only).""")
meta_elif = _CompileTimeOnly("meta_elif", """``with allo.meta_elif(cond):`` follows a ``meta_if``; compiled when
the earlier conditions are false and ``cond`` is true (kernels only).""")
meta_else = _CompileTimeOnly("meta_else", """``with allo.meta_else():`` follows a ``meta_if``/``meta_elif``;
compiled when no earlier condition holds (kernels only).""")
meta_for = _CompileTimeOnly("meta_for", """``with allo.meta_for(hi) as k:`` (or ``meta_for(lo, hi, step)``)
compiles its body once per value ``k`` of ``range(lo, hi, step)``, ``k`` a compile-time
int (kernels only).""")


def get_pid():
    """Instance coordinates of a dataflow kernel; only meaningful inside ``df.kernel``."""
    raise NotImplementedError("get_pid() can only be used inside a dataflow kernel")


class Memory:
    """Memory placement of an array: ``int32[32] @ Memory(resource="URAM")``.

    ``resource``: ``"AUTO"``, ``"BRAM"``, ``"URAM"``, ``"LUTRAM"`` or ``"SRL"``;
    ``storage_type``: ``None`` or an HLS storage such as ``"RAM_2P"``, ``"ROM_1P"``;
    ``latency`` and ``depth``: optional integers passed to the HLS ``bind_storage`` pragma.

    >>> Memory(resource="bram", storage_type="ram_2p").get_memory_space()
    18
    """

    RESOURCES = {"AUTO": 0, "BRAM": 1, "URAM": 2, "LUTRAM": 3, "SRL": 4}
    STORAGES = {None: 0, "RAM_1P": 1, "RAM_2P": 2, "RAM_T2P": 3, "RAM_1WNR": 4,
                "RAM_S2P": 5, "ROM_1P": 6, "ROM_2P": 7, "ROM_NP": 8}

    def __init__(self, resource="AUTO", storage_type=None, latency=None, depth=None):
        res = str(resource).upper()
        if res not in self.RESOURCES:
            raise ValueError(f"Invalid resource '{resource}'")
        stor = None if storage_type is None else str(storage_type).upper()
        if stor not in self.STORAGES:
            raise ValueError(f"Invalid storage_type '{storage_type}'")
        self.resource = res
        self.storage_type = stor
        self.latency = latency
        self.depth = depth

    def __repr__(self):
        parts = [f'resource="{self.resource}"']
        if self.storage_type is not None:
            parts.append(f'storage_type="{self.storage_type}"')
        if self.latency is not None:
            parts.append(f"latency={self.latency}")
        if self.depth is not None:
            parts.append(f"depth={self.depth}")
        return f"Memory({', '.join(parts)})"

    def __eq__(self, other):
        return isinstance(other, Memory) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def _key(self):
        return (self.resource, self.storage_type, self.latency, self.depth)

    def get_memory_space(self) -> int:
        """The integer encoding of this placement (resource * 16 + storage)."""
        return self.RESOURCES[self.resource] * 16 + self.STORAGES[self.storage_type]

    @classmethod
    def decode_memory_space(cls, space: int) -> "Memory":
        """The placement encoded by ``space`` (inverse of :meth:`get_memory_space`)."""
        res = {v: k for k, v in cls.RESOURCES.items()}[space // 16]
        stor = {v: k for k, v in cls.STORAGES.items()}[space % 16]
        return cls(resource=res, storage_type=stor)


# ------------------------------------------------------------------ numpy implementations


def matmul(A, B, name=None):
    """Matrix product ``A @ B`` of ``[..., M, K]`` and ``[..., K, N]`` arrays. ``name`` optionally names the operation (for schedules).

    >>> matmul(np.ones((2, 3)), np.ones((3, 2))).tolist()
    [[3.0, 3.0], [3.0, 3.0]]
    """
    return np.matmul(A, B)


def bmm(A, B, name=None):
    """Batched matrix product of ``A: [B, M, K]`` and ``B: [B, K, N]``. ``name`` optionally names the operation (for schedules).

    >>> bmm(np.ones((2, 1, 3)), np.ones((2, 3, 1))).shape
    (2, 1, 1)
    """
    return np.matmul(A, B)


def linear(X, W, bias=None, name=None):
    """``X @ W.T + bias`` (torch's layout: ``X: [..., K]``, ``W: [N, K]``, ``bias: [N]`` or
    ``None``). ``name`` optionally names the operation (for schedules).

    >>> linear(np.ones((1, 2)), np.ones((3, 2)), np.arange(3)).tolist()
    [[2.0, 3.0, 4.0]]
    """
    out = np.matmul(X, np.asarray(W).T)
    return out if bias is None else out + bias


def add(x, y, name=None):
    """Element-wise ``x + y`` with broadcasting (arrays or scalars). ``name`` optionally names the operation (for schedules).

    >>> add(np.arange(3), 1).tolist()
    [1, 2, 3]
    """
    return x + y


def sub(x, y, name=None):
    """Element-wise ``x - y`` with broadcasting. ``name`` optionally names the operation (for schedules).

    >>> sub(np.arange(3), 1).tolist()
    [-1, 0, 1]
    """
    return x - y


def mul(x, y, name=None):
    """Element-wise ``x * y`` with broadcasting. ``name`` optionally names the operation (for schedules).

    >>> mul(np.arange(3), 2).tolist()
    [0, 2, 4]
    """
    return x * y


def div(x, y, name=None):
    """Element-wise ``x / y`` (in a kernel, integer division truncates toward zero). ``name`` optionally names the operation (for schedules).

    >>> div(np.array([3.0]), 2).tolist()
    [1.5]
    """
    return x / y


def _unary(fn):
    def op(x, name=None):
        return fn(x)

    op.__name__ = fn.__name__
    op.__doc__ = (f"Element-wise ``{fn.__name__}`` of ``x`` (a scalar or an array; in a kernel "
                  f"integers are converted to float first). ``name`` optionally names the "
                  f"operation.")
    return op


exp = _unary(np.exp)
log = _unary(np.log)
log2 = _unary(np.log2)
log10 = _unary(np.log10)
sqrt = _unary(np.sqrt)
sin = _unary(np.sin)
cos = _unary(np.cos)
tan = _unary(np.tan)
tanh = _unary(np.tanh)
abs = _unary(np.abs)  # pylint: disable=redefined-builtin


def power(x, y, name=None):
    """``x ** y``, element-wise for arrays. ``name`` optionally names the operation (for schedules).

    >>> float(power(2.0, 3))
    8.0
    """
    return np.power(x, y)


def relu(x, name=None):
    """``max(x, 0)``, element-wise for arrays. ``name`` optionally names the operation (for schedules).

    >>> relu(np.array([-1, 2])).tolist()
    [0, 2]
    """
    return np.maximum(x, 0)


def softmax(x, name=None):
    """Softmax of ``x`` along its last axis (floating point only). ``name`` optionally names the operation (for schedules).

    >>> softmax(np.zeros(4)).tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def layernorm(x, gamma, beta, eps=1e-5, name=None):
    """Layer normalization of ``x`` over its last axis:
    ``gamma * (x - mean) / sqrt(var + eps) + beta``, ``gamma`` and ``beta`` of the last axis'
    length. ``name`` optionally names the operation (for schedules).

    >>> layernorm(np.array([1.0, 3.0]), np.ones(2), np.zeros(2)).round(3).tolist()
    [-1.0, 1.0]
    """
    mean = np.mean(x, axis=-1, keepdims=True)
    var = np.mean(x * x, axis=-1, keepdims=True) - mean * mean
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def gelu(x, name=None):
    """GELU (tanh approximation) of ``x``, element-wise. ``name`` optionally names the operation (for schedules).

    >>> float(gelu(0.0))
    0.0
    """
    return 0.5 * x * (1 + np.tanh(_math.sqrt(2 / _math.pi) * (x + 0.044715 * x**3)))


def tril(x, name=None):
    """Lower triangle of the 2-D array ``x`` (other elements 0). ``name`` optionally names the operation (for schedules).

    >>> tril(np.ones((2, 2))).tolist()
    [[1.0, 0.0], [1.0, 1.0]]
    """
    return np.tril(x)


def transpose(x, *axes, axes_=None, name=None, **kw):
    """Permute the dimensions of ``x``: ``axes`` (positional, or keyword ``axes=`` /
    ``permutation=``, or ``axes_``) is the permutation, by default reversing them. ``name`` optionally names the operation (for schedules).
    ``kw`` takes those keywords.

    >>> transpose(np.zeros((2, 3)), (1, 0)).shape
    (3, 2)
    """
    perm = kw.get("axes", kw.get("permutation", axes_))
    if perm is None and axes:
        perm = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
    return np.transpose(x, perm)


def view(x, shape, name=None):
    """``x`` with the row-major data reshaped to ``shape`` (same element count). ``name`` optionally names the operation (for schedules).

    >>> view(np.arange(6), (2, 3)).shape
    (2, 3)
    """
    return np.reshape(x, shape)


def concat(x, y, axis=0, name=None):
    """Concatenate ``x`` and ``y`` along ``axis`` (same rank, other dimensions equal). ``name`` optionally names the operation (for schedules).

    >>> concat(np.zeros((1, 2)), np.ones((1, 2))).shape
    (2, 2)
    """
    return np.concatenate([x, y], axis=axis)


def copy(x, name=None):
    """A copy of array ``x``. ``name`` optionally names the operation (for schedules).

    >>> copy(np.arange(2)).tolist()
    [0, 1]
    """
    return np.copy(x)


def conv2d(X, W, name=None):
    """2-D convolution (cross-correlation, stride 1, no padding) of ``X: [N, C, H, W]`` with
    filters ``W: [F, C, KH, KW]``, giving ``[N, F, H - KH + 1, W - KW + 1]``. ``name`` optionally names the operation (for schedules).

    >>> conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2))).tolist()
    [[[[4.0, 4.0], [4.0, 4.0]]]]
    """
    n, c, h, w = X.shape
    f, _, kh, kw = W.shape
    out = np.zeros((n, f, h - kh + 1, w - kw + 1), dtype=np.result_type(X, W))
    for r in range(kh):
        for s in range(kw):
            patch = X[:, :, r : r + h - kh + 1, s : s + w - kw + 1]
            out += np.einsum("nchw,fc->nfhw", patch, W[:, :, r, s])
    return out


def _pool(X, win, reduce_fn):
    kh, kw = np.shape(win)
    n, c, h, w = X.shape
    views = [X[:, :, r : r + h - kh + 1, s : s + w - kw + 1] for r in range(kh) for s in range(kw)]
    return reduce_fn(np.stack(views), axis=0)


def maxpool(X, win, name=None):
    """Max pooling of ``X: [N, C, H, W]`` over windows shaped like the 2-D array ``win``
    (stride 1). ``name`` optionally names the operation (for schedules).

    >>> maxpool(np.arange(4.0).reshape(1, 1, 2, 2), np.zeros((2, 2))).tolist()
    [[[[3.0]]]]
    """
    return _pool(X, win, np.max)


def sumpool(X, win, name=None):
    """Sum pooling of ``X: [N, C, H, W]`` over windows shaped like ``win`` (stride 1). ``name`` optionally names the operation (for schedules).

    >>> sumpool(np.arange(4.0).reshape(1, 1, 2, 2), np.zeros((2, 2))).tolist()
    [[[[6.0]]]]
    """
    return _pool(X, win, np.sum)


def ones(shape, dtype=None, name=None):
    """An array of ``shape`` filled with 1; ``dtype`` is an Allo type, ``int`` or ``float``
    (default ``float32``). ``name`` optionally names the operation (for schedules).

    >>> ones((2,), int).tolist()
    [1, 1]
    """
    return np.ones(shape, dtype=np.float32 if dtype is None else _np_dtype(dtype))


def zeros(shape, dtype=None, name=None):
    """An array of ``shape`` filled with 0; ``dtype`` as for :func:`ones`. ``name`` optionally names the operation (for schedules).

    >>> zeros((2,)).tolist()
    [0.0, 0.0]
    """
    return np.zeros(shape, dtype=np.float32 if dtype is None else _np_dtype(dtype))


def _np_dtype(dtype):
    if dtype is int:
        return np.int32
    if dtype is float:
        return np.float32
    return numpy_dtype(dtype)
