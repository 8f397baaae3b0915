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
    """A perfect loop nest over ``extents`` (``np.ndindex`` in plain Python)."""
    return np.ndindex(*extents)


def reduction(*extents, name=None, pipeline=False, unroll=False):
    """Like :func:`grid`, loops tagged as reduction loops."""
    return np.ndindex(*extents)


class _CompileTimeOnly:
    def __init__(self, name):
        self.name = name

    def __call__(self, *args, **kwargs):
        raise RuntimeError(f"allo.{self.name} can only be used inside a kernel")


meta_if = _CompileTimeOnly("meta_if")
meta_elif = _CompileTimeOnly("meta_elif")
meta_else = _CompileTimeOnly("meta_else")
meta_for = _CompileTimeOnly("meta_for")


def get_pid():
    """Instance coordinates of a dataflow kernel; only meaningful inside ``df.kernel``."""
    raise NotImplementedError("get_pid() can only be used inside a dataflow kernel")


class Memory:
    """Memory placement of an array: ``int32[32] @ Memory(resource="URAM")``.

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
        return self.RESOURCES[self.resource] * 16 + self.STORAGES[self.storage_type]

    @classmethod
    def decode_memory_space(cls, space: int) -> "Memory":
        res = {v: k for k, v in cls.RESOURCES.items()}[space // 16]
        stor = {v: k for k, v in cls.STORAGES.items()}[space % 16]
        return cls(resource=res, storage_type=stor)


# ------------------------------------------------------------------ numpy implementations


def matmul(A, B, name=None):
    return np.matmul(A, B)


def bmm(A, B, name=None):
    return np.matmul(A, B)


def linear(X, W, bias=None, name=None):
    out = np.matmul(X, np.asarray(W).T)
    return out if bias is None else out + bias


def add(x, y, name=None):
    return x + y


def sub(x, y, name=None):
    return x - y


def mul(x, y, name=None):
    return x * y


def div(x, y, name=None):
    return x / y


def _unary(fn):
    def op(x, name=None):
        return fn(x)

    op.__name__ = fn.__name__
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
    return np.power(x, y)


def relu(x, name=None):
    return np.maximum(x, 0)


def softmax(x, name=None):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def layernorm(x, gamma, beta, eps=1e-5, name=None):
    mean = np.mean(x, axis=-1, keepdims=True)
    var = np.mean(x * x, axis=-1, keepdims=True) - mean * mean
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def gelu(x, name=None):
    return 0.5 * x * (1 + np.tanh(_math.sqrt(2 / _math.pi) * (x + 0.044715 * x**3)))


def tril(x, name=None):
    return np.tril(x)


def transpose(x, *axes, axes_=None, name=None, **kw):
    perm = kw.get("axes", kw.get("permutation", axes_))
    if perm is None and axes:
        perm = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
    return np.transpose(x, perm)


def view(x, shape, name=None):
    return np.reshape(x, shape)


def concat(x, y, axis=0, name=None):
    return np.concatenate([x, y], axis=axis)


def copy(x, name=None):
    return np.copy(x)


def conv2d(X, W, name=None):
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
    return _pool(X, win, np.max)


def sumpool(X, win, name=None):
    return _pool(X, win, np.sum)


def ones(shape, dtype=None, name=None):
    return np.ones(shape, dtype=np.float32 if dtype is None else _np_dtype(dtype))


def zeros(shape, dtype=None, name=None):
    return np.zeros(shape, dtype=np.float32 if dtype is None else _np_dtype(dtype))


def _np_dtype(dtype):
    if dtype is int:
        return np.int32
    if dtype is float:
        return np.float32
    return numpy_dtype(dtype)
