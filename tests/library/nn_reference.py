"""numpy references for the ``allo.library.nn`` kernels (float64 math, compared with tolerances)."""

from __future__ import annotations

import math

import numpy as np


def linear(X, W, b):
    return X.astype(np.float64) @ W.T.astype(np.float64) + b


def softmax_rows(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def log_softmax_rows(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def gelu_erf(x):
    return np.vectorize(lambda v: 0.5 * v * (1 + math.erf(v / math.sqrt(2))))(x.astype(np.float64))


def batchnorm(x, gamma, beta, eps, mean, var, channel_axis=1):
    shape = [1] * x.ndim
    shape[channel_axis] = -1
    g, b, m, v = (a.reshape(shape) for a in (gamma, beta, mean, var))
    return g * (x - m) / np.sqrt(v + eps) + b


def _padded(x, pad, value):
    return np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])), constant_values=value)


def conv2d(x, w, bias, stride, pad):
    xp = _padded(x.astype(np.float64), pad, 0.0)
    n, _, h, wd = xp.shape
    f, _, kh, kw = w.shape
    oh, ow = (h - kh) // stride[0] + 1, (wd - kw) // stride[1] + 1
    out = np.zeros((n, f, oh, ow))
    for r in range(oh):
        for c in range(ow):
            patch = xp[:, :, r * stride[0]:r * stride[0] + kh, c * stride[1]:c * stride[1] + kw]
            out[:, :, r, c] = np.einsum("nchw,fchw->nf", patch, w)
    return out + bias.reshape(1, -1, 1, 1)


def pool2d(x, k, stride, pad, kind):
    value = -np.inf if kind == "max" else 0.0
    xp = _padded(x.astype(np.float64), (pad, pad), value)
    n, c, h, w = xp.shape
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    out = np.zeros((n, c, oh, ow))
    for r in range(oh):
        for q in range(ow):
            win = xp[:, :, r * stride:r * stride + k, q * stride:q * stride + k]
            out[:, :, r, q] = win.max((2, 3)) if kind == "max" else win.sum((2, 3)) / (k * k)
    return out


def pool_out(size, k, stride, pad):
    return (size + 2 * pad - k) // stride + 1


def heads_attention(Q, K, V, H):
    L, D = Q.shape
    d = D // H
    out = np.zeros((L, D))
    for h in range(H):
        cols = slice(h * d, (h + 1) * d)
        out[:, cols] = softmax_rows(Q[:, cols] @ K[:, cols].T) @ V[:, cols]
    return out


def sdp_attention(Q, K, V, causal):
    scores = Q.astype(np.float64) @ np.swapaxes(K, -1, -2) / math.sqrt(Q.shape[-1])
    if causal:
        L, S = scores.shape[-2:]
        scores = np.where(np.tril(np.ones((L, S), bool)), scores, -np.inf)
    return softmax_rows(scores) @ V


def rope(X, cos, sin, H):
    L, D = X.shape
    d, half = D // H, D // H // 2
    out = X.astype(np.float64).copy()
    for h in range(H):
        x1, x2 = X[:, h * d:h * d + half], X[:, h * d + half:(h + 1) * d]
        out[:, h * d:h * d + half] = x1 * cos - x2 * sin
        out[:, h * d + half:(h + 1) * d] = x2 * cos + x1 * sin
    return out
