"""Neural-network kernels (``backends.md`` §10) and their default schedules.

Each kernel is an ordinary Allo template kernel (type parameters set by
:func:`allo.library.template.type_params`, so this module loads on Python 3.11): call it
inside a kernel as ``nn.linear2d[float32, float32, float32, 8, 32, 16, "fc1"](X, W, b)``,
customize it with ``allo.customize(nn.linear2d, instantiate=[...])``, or compose its default
schedule into a design with ``s.compose(nn.linear2d, id="fc1", instantiate=[...])``: every
kernel is registered in :data:`allo.library.KERNEL2SCHEDULE` with its ``schedule_<name>``.

Stage, loop and buffer names are part of the contract (schedules address them): e.g.
``linear2d`` keeps one output row in ``buf`` and runs the loops ``j_init``, ``k``, ``j``,
``j_back``; ``softmax`` has the stages ``row_max``, ``exp_sum``, ``update``.

>>> import numpy as np, allo
>>> from allo.ir.types import float32
>>> s = allo.customize(relu2d, instantiate=[float32, 2, 3])
>>> s.build()(np.array([[-1, 2, -3], [4, -5, 6]], np.float32)).tolist()
[[0.0, 2.0, 0.0], [4.0, 0.0, 6.0]]
"""

from __future__ import annotations

import allo
from .. import dsl
from ..frontend.types import float32, int32  # noqa: F401 - names the kernels use
from .template import type_params
from . import KERNEL2SCHEDULE
from .systolic import schedule_systolic_instance, systolic
from .nn_packed import (bmm_panels, linear_packed, linear_packed3d,  # noqa: F401 - nn.*
                        linear_panels, pack_panels, schedule_bmm_panels,
                        schedule_linear_packed, schedule_linear_packed3d,
                        schedule_linear_panels, schedule_pack_panels)

# Coefficients of Abramowitz & Stegun 7.1.26: |erf(x) - approximation| < 1.5e-7 for x >= 0.
ERF_P = 0.3275911
ERF_A1, ERF_A2, ERF_A3 = 0.254829592, -0.284496736, 1.421413741
ERF_A4, ERF_A5 = -1.453152027, 1.061405429
SQRT_HALF = 0.7071067811865476


# --------------------------------------------------------------------------- linear layers


@type_params("TyX", "TyW", "TyO", "M", "N", "K")
def linear2d(X: TyX[M, K], W: TyW[N, K], b: TyO[N]) -> TyO[M, N]:
    """``X·Wᵀ + b`` (torch ``nn.Linear`` layout), one output row accumulated in ``buf``."""
    Z: TyO[M, N]
    buf: TyO[N]
    for i in range(M):
        for j_init in range(N):
            buf[j_init] = 0
        for k in range(K):
            for j in range(N):
                buf[j] += X[i, k] * W[j, k]
        for j_back in range(N):
            Z[i, j_back] = buf[j_back] + b[j_back]
    return Z


@type_params("TyX", "TyW", "TyO", "B", "L", "D", "M")
def linear3d(X: TyX[B, L, D], W: TyW[M, D], b: TyO[M]) -> TyO[B, L, M]:
    """``X·Wᵀ + b`` on a batch of sequences ``[B, L, D] → [B, L, M]``."""
    Z: TyO[B, L, M]
    buf: TyO[M]
    for i, l in allo.grid(B, L):
        for j_init in range(M):
            buf[j_init] = 0
        for k in range(D):
            for j in range(M):
                buf[j] += X[i, l, k] * W[j, k]
        for j_back in range(M):
            Z[i, l, j_back] = buf[j_back] + b[j_back]
    return Z


@type_params("TyA", "TyB", "TyC", "M", "K", "N")
def matmul(A: TyA[M, K], B: TyB[K, N]) -> TyC[M, N]:
    """``A·B`` accumulated in ``TyC`` (loops ``i, j, k``; ``k`` is a reduction)."""
    C: TyC[M, N] = 0
    for i, j in allo.grid(M, N):
        for k in allo.reduction(K):
            C[i, j] += A[i, k] * B[k, j]
    return C


@type_params("TyA", "TyB", "TyC", "Bt", "M", "K", "N")
def bmm(A: TyA[Bt, M, K], B: TyB[Bt, K, N]) -> TyC[Bt, M, N]:
    """Batched ``A[b]·B[b]`` accumulated in ``TyC`` (loops ``bt, i, j, k``)."""
    C: TyC[Bt, M, N] = 0
    for bt, i, j in allo.grid(Bt, M, N):
        for k in allo.reduction(K):
            C[bt, i, j] += A[bt, i, k] * B[bt, k, j]
    return C


# --------------------------------------------------------------------------- activations


@type_params("Ty", "M", "N")
def relu2d(X: Ty[M, N]) -> Ty[M, N]:
    """``max(x, 0)``."""
    Z: Ty[M, N]
    for i, j in allo.grid(M, N):
        Z[i, j] = max(X[i, j], 0)
    return Z


@type_params("Ty", "B", "M", "N")
def relu3d(X: Ty[B, M, N]) -> Ty[B, M, N]:
    """``max(x, 0)``."""
    Z: Ty[B, M, N]
    for b, i, j in allo.grid(B, M, N):
        Z[b, i, j] = max(X[b, i, j], 0)
    return Z


@type_params("Ty", "B", "C", "H", "W")
def relu4d(X: Ty[B, C, H, W]) -> Ty[B, C, H, W]:
    """``max(x, 0)``."""
    Z: Ty[B, C, H, W]
    for b, c, h, w in allo.grid(B, C, H, W):
        Z[b, c, h, w] = max(X[b, c, h, w], 0)
    return Z


@type_params("Ty", "L", "D")
def GeLU(X: Ty[L, D]) -> Ty[L, D]:
    """``0.5·x·(1 + tanh(0.797885·(x + 0.044715·x³)))`` (torch ``approximate="tanh"``)."""
    Z: Ty[L, D]
    for i, j in allo.grid(L, D):
        x: Ty = X[i, j]
        inner: Ty = 0.7978845608028654 * (x + 0.044715 * x * x * x)
        Z[i, j] = 0.5 * x * (1.0 + dsl.tanh(inner))
    return Z


@type_params("Ty", "L", "D")
def gelu_erf(X: Ty[L, D]) -> Ty[L, D]:
    """``0.5·x·(1 + erf(x/√2))`` (torch's default ``nn.GELU``); erf by A&S 7.1.26 (< 1.5e-7)."""
    Z: Ty[L, D]
    for i, j in allo.grid(L, D):
        x: Ty = X[i, j]
        z: Ty = x * SQRT_HALF
        a: Ty = dsl.abs(z)
        t: Ty = 1.0 / (1.0 + ERF_P * a)
        poly: Ty = t * (ERF_A1 + t * (ERF_A2 + t * (ERF_A3 + t * (ERF_A4 + t * ERF_A5))))
        e: Ty = 1.0 - poly * dsl.exp(-(a * a))
        erf: Ty = e if z >= 0.0 else -e
        Z[i, j] = 0.5 * x * (1.0 + erf)
    return Z


# --------------------------------------------------------------------------- normalisation


@type_params("Ty", "L")
def softmax(X: Ty[L, L]) -> Ty[L, L]:
    """Row-wise softmax with max subtraction (stages ``row_max``, ``exp_sum``, ``update``)."""
    Z: Ty[L, L]
    max_vals: Ty[L]
    sum_vals: Ty[L] = 0.0
    for i, j in allo.grid(L, L, name="row_max"):
        if j == 0:
            max_vals[i] = X[i, j]
        else:
            max_vals[i] = max(max_vals[i], X[i, j])
    for i, j in allo.grid(L, L, name="exp_sum"):
        e: Ty = dsl.exp(X[i, j] - max_vals[i])
        Z[i, j] = e
        sum_vals[i] += e
    for i, j in allo.grid(L, L, name="update"):
        Z[i, j] = Z[i, j] / sum_vals[i]
    return Z


@type_params("Ty", "B", "C")
def log_softmax(X: Ty[B, C]) -> Ty[B, C]:
    """Row-wise ``x − max − log Σ exp(x − max)`` (stages ``row_max``, ``exp_sum``, ``update``)."""
    Z: Ty[B, C]
    max_vals: Ty[B]
    sum_vals: Ty[B] = 0.0
    for i, j in allo.grid(B, C, name="row_max"):
        if j == 0:
            max_vals[i] = X[i, j]
        else:
            max_vals[i] = max(max_vals[i], X[i, j])
    for i, j in allo.grid(B, C, name="exp_sum"):
        sum_vals[i] += dsl.exp(X[i, j] - max_vals[i])
    for i, j in allo.grid(B, C, name="update"):
        Z[i, j] = X[i, j] - max_vals[i] - dsl.log(sum_vals[i])
    return Z


@type_params("Ty", "L", "D")
def layer_norm(X: Ty[L, D], gamma: Ty[D], beta: Ty[D]) -> Ty[L, D]:
    """``γ(x−μ)/√(σ²+1e-5)+β`` per row with ``σ² = E[x²]−μ²``."""
    Z: Ty[L, D]
    mean: Ty[L] = 0.0
    mean2: Ty[L] = 0.0
    for i, j in allo.grid(L, D, name="stats"):
        v: Ty = X[i, j]
        mean[i] += v
        mean2[i] += v * v
    for i, j in allo.grid(L, D, name="norm"):
        mu: Ty = mean[i] / D
        var: Ty = mean2[i] / D - mu * mu
        Z[i, j] = gamma[j] * (X[i, j] - mu) / dsl.sqrt(var + 0.00001) + beta[j]
    return Z


@type_params("Ty", "B", "C", "H", "W")
def batchnorm2d(X: Ty[B, C, H, W], gamma: Ty[C], beta: Ty[C], eps: Ty, mean: Ty[C],
                var: Ty[C]) -> Ty[B, C, H, W]:
    """Inference batch norm with running statistics: ``γ(x−mean)/√(var+eps)+β``."""
    Z: Ty[B, C, H, W]
    for b, c, h, w in allo.grid(B, C, H, W):
        Z[b, c, h, w] = gamma[c] * (X[b, c, h, w] - mean[c]) / dsl.sqrt(var[c] + eps) + beta[c]
    return Z


@type_params("Ty", "B", "C")
def batchnorm1d_2d(X: Ty[B, C], gamma: Ty[C], beta: Ty[C], eps: Ty, mean: Ty[C],
                   var: Ty[C]) -> Ty[B, C]:
    """``nn.BatchNorm1d`` on ``[B, C]`` with running statistics."""
    Z: Ty[B, C]
    for b, c in allo.grid(B, C):
        Z[b, c] = gamma[c] * (X[b, c] - mean[c]) / dsl.sqrt(var[c] + eps) + beta[c]
    return Z


@type_params("Ty", "B", "C", "L")
def batchnorm1d_3d(X: Ty[B, C, L], gamma: Ty[C], beta: Ty[C], eps: Ty, mean: Ty[C],
                   var: Ty[C]) -> Ty[B, C, L]:
    """``nn.BatchNorm1d`` on ``[B, C, L]`` with running statistics."""
    Z: Ty[B, C, L]
    for b, c, l in allo.grid(B, C, L):
        Z[b, c, l] = gamma[c] * (X[b, c, l] - mean[c]) / dsl.sqrt(var[c] + eps) + beta[c]
    return Z


# --------------------------------------------------------------------------- element-wise


@type_params("Ty", "L", "D")
def residual_add(X1: Ty[L, D], X2: Ty[L, D]) -> Ty[L, D]:
    """``X1 + X2``."""
    Z: Ty[L, D]
    for i, j in allo.grid(L, D):
        Z[i, j] = X1[i, j] + X2[i, j]
    return Z


@type_params("Ty", "L", "D")
def modulate_fused(X: Ty[L, D], scale: Ty[D], shift: Ty[D]) -> Ty[L, D]:
    """``x·(1 + scale) + shift`` per column (adaptive layer-norm modulation)."""
    Z: Ty[L, D]
    for i, j in allo.grid(L, D):
        Z[i, j] = X[i, j] * (1.0 + scale[j]) + shift[j]
    return Z


@type_params("Ty", "B", "L", "C", "N")
def repeat_batch3d(X: Ty[B, L, C]) -> Ty[N * B, L, C]:
    """``X.repeat(N, 1, 1)``: the batch repeated ``N`` times."""
    Z: Ty[N * B, L, C]
    for n, b, l, c in allo.grid(N, B, L, C):
        Z[n * B + b, l, c] = X[b, l, c]
    return Z


@type_params("Ty", "B", "N1", "N2", "C")
def concat(X1: Ty[B, N1, C], X2: Ty[B, N2, C]) -> Ty[B, N1 + N2, C]:
    """``torch.cat([X1, X2], dim=1)`` (stages ``first``, ``second``)."""
    Z: Ty[B, N1 + N2, C]
    for b, n, c in allo.grid(B, N1, C, name="first"):
        Z[b, n, c] = X1[b, n, c]
    for b, n, c in allo.grid(B, N2, C, name="second"):
        Z[b, N1 + n, c] = X2[b, n, c]
    return Z


# --------------------------------------------------------------------------- convolution, pooling


@type_params("Ty", "B", "Cin", "Cout", "H", "W", "Kh", "Kw", "Oh", "Ow", "Sh", "Sw", "Pd0", "Pd1")
def conv2d(inp: Ty[B, Cin, H, W], kernel: Ty[Cout, Cin, Kh, Kw],
           bias: Ty[Cout]) -> Ty[B, Cout, Oh, Ow]:
    """NCHW convolution with stride ``(Sh, Sw)`` and zero padding ``(Pd0, Pd1)``."""
    Z: Ty[B, Cout, Oh, Ow]
    for b, co, oh, ow in allo.grid(B, Cout, Oh, Ow):
        acc: Ty = 0
        for ci, kh, kw in allo.reduction(Cin, Kh, Kw):
            if (oh * Sh + kh >= Pd0 and oh * Sh + kh < H + Pd0 and ow * Sw + kw >= Pd1
                    and ow * Sw + kw < W + Pd1):
                acc += inp[b, ci, oh * Sh + kh - Pd0, ow * Sw + kw - Pd1] * kernel[co, ci, kh, kw]
        Z[b, co, oh, ow] = acc + bias[co]
    return Z


@type_params("Ty", "B", "C", "H", "W", "K", "Oh", "Ow", "S", "Pd")
def maxpool2d(inp: Ty[B, C, H, W]) -> Ty[B, C, Oh, Ow]:
    """``K×K`` max pooling, stride ``S``; padded positions are skipped."""
    Z: Ty[B, C, Oh, Ow]
    for b, c, oh, ow in allo.grid(B, C, Oh, Ow):
        best: Ty = 0
        seen: int32 = 0
        for kh, kw in allo.reduction(K, K):
            if (oh * S + kh >= Pd and oh * S + kh < H + Pd and ow * S + kw >= Pd
                    and ow * S + kw < W + Pd):
                v: Ty = inp[b, c, oh * S + kh - Pd, ow * S + kw - Pd]
                if seen == 0 or v > best:
                    best = v
                seen = 1
        Z[b, c, oh, ow] = best
    return Z


@type_params("Ty", "B", "C", "H", "W", "K", "Oh", "Ow", "S", "Pd")
def avgpool2d(inp: Ty[B, C, H, W]) -> Ty[B, C, Oh, Ow]:
    """``K×K`` average pooling, stride ``S``; padding counts as 0, divisor ``K²``."""
    Z: Ty[B, C, Oh, Ow]
    for b, c, oh, ow in allo.grid(B, C, Oh, Ow):
        acc: Ty = 0
        for kh, kw in allo.reduction(K, K):
            if (oh * S + kh >= Pd and oh * S + kh < H + Pd and ow * S + kw >= Pd
                    and ow * S + kw < W + Pd):
                acc += inp[b, c, oh * S + kh - Pd, ow * S + kw - Pd]
        Z[b, c, oh, ow] = acc / (K * K)
    return Z


# --------------------------------------------------------------------------- attention


@type_params("Ty", "H", "L", "D", "M0", "M1")
def scaled_dot_product_attention(Q: Ty[L, D], K: Ty[L, D], V: Ty[L, D]) -> Ty[L, D]:
    """Per head ``h`` (columns ``h·D/H …``): ``softmax(Q_h·K_hᵀ)·V_h``, no ``1/√d`` scaling.

    The products are the systolic arrays ``"QKT"`` and ``"YV"`` with ``M0×M1`` tiles
    (``L % M0 == L % M1 == (D // H) % M1 == 0``).
    """
    Z: Ty[L, D]
    for h in range(H):
        Q_h: Ty[L, D // H]
        K_hT: Ty[D // H, L]
        V_h: Ty[L, D // H]
        for l_s, d_s in allo.grid(L, D // H, name="mha_split"):
            Q_h[l_s, d_s] = Q[l_s, h * (D // H) + d_s]
            K_hT[d_s, l_s] = K[l_s, h * (D // H) + d_s]
            V_h[l_s, d_s] = V[l_s, h * (D // H) + d_s]
        S: Ty[L, L]
        systolic[Ty, Ty, Ty, L, D // H, L, M0, M1, "QKT"](Q_h, K_hT, S)
        P = softmax[Ty, L](S)
        Y: Ty[L, D // H]
        systolic[Ty, Ty, Ty, L, L, D // H, M0, M1, "YV"](P, V_h, Y)
        for l_m, d_m in allo.grid(L, D // H, name="mha_merge"):
            Z[l_m, h * (D // H) + d_m] = Y[l_m, d_m]
    return Z


@type_params("Ty", "BH", "L", "S", "Dh", "CAUSAL")
def sdp_attention(Q: Ty[BH, L, Dh], K: Ty[BH, S, Dh], V: Ty[BH, S, Dh]) -> Ty[BH, L, Dh]:
    """``softmax(Q·Kᵀ/√Dh [+ causal mask])·V`` per batch-head, as torch's
    ``F.scaled_dot_product_attention(Q, K, V, is_causal=bool(CAUSAL))``.

    With ``CAUSAL`` = 1, query ``i`` attends to keys ``j <= i`` only. One query row at a time
    (stage ``row``): scores in ``scores``, then max, exponentials and their sum, then the
    weighted sum of ``V`` rows accumulated in ``acc``.
    """
    Z: Ty[BH, L, Dh]
    scores: Ty[S]
    acc: Ty[Dh]
    scale: Ty = 1.0 / dsl.sqrt(Dh * 1.0)
    for bh, i in allo.grid(BH, L, name="row"):
        row_max: Ty = 0.0
        for j in range(S):
            dot: Ty = 0.0
            for d in range(Dh):
                dot += Q[bh, i, d] * K[bh, j, d]
            scores[j] = dot * scale
            if CAUSAL == 0 or j <= i:
                if j == 0 or scores[j] > row_max:
                    row_max = scores[j]
        total: Ty = 0.0
        for j_exp in range(S):
            if CAUSAL == 0 or j_exp <= i:
                e: Ty = dsl.exp(scores[j_exp] - row_max)
                scores[j_exp] = e
                total += e
            else:
                scores[j_exp] = 0.0
        for d_init in range(Dh):
            acc[d_init] = 0.0
        for j_v in range(S):
            for d_v in range(Dh):
                acc[d_v] += scores[j_v] * V[bh, j_v, d_v]
        for d_back in range(Dh):
            Z[bh, i, d_back] = acc[d_back] / total
    return Z


@type_params("Ty", "H", "L", "D")
def RoPE(X: Ty[L, D], cos: Ty[L, D // H // 2], sin: Ty[L, D // H // 2]) -> Ty[L, D]:
    """Rotary embedding on each head's halves ``(x1, x2)``:
    ``(x1·cos − x2·sin, x2·cos + x1·sin)``; head ``h`` owns columns ``h·D/H …``."""
    Z: Ty[L, D]
    for h, i, j in allo.grid(H, L, D // H // 2, name="rotate"):
        x1: Ty = X[i, h * (D // H) + j]
        x2: Ty = X[i, h * (D // H) + D // H // 2 + j]
        Z[i, h * (D // H) + j] = x1 * cos[i, j] - x2 * sin[i, j]
        Z[i, h * (D // H) + D // H // 2 + j] = x2 * cos[i, j] + x1 * sin[i, j]
    return Z


# --------------------------------------------------------------------------- default schedules


def _pipeline(s, *loops: str, func: str | None = None):
    """Pipeline (II 1) each loop of ``func`` (default: the top); ``"stage.loop"`` names a
    loop of one stage."""
    prefix = "" if func is None else f"{func}:"
    for loop in loops:
        s.pipeline(prefix + loop)
    return s


def _schedule_linear(s, func: str | None = None):
    """Pipeline the row-buffer loops of ``linear2d``/``linear3d``: the ``j`` loop updates
    ``N`` distinct ``buf`` entries per ``k`` step, so it pipelines at II 1."""
    return _pipeline(s, "j_init", "j", "j_back", func=func)


def _schedule_matmul(s, func: str | None = None):
    """``i, j, k`` → ``i, k, j``, a row buffer of ``C`` at ``i``, the ``j`` loop pipelined:
    consecutive ``j`` iterations update different accumulators (II 1)."""
    prefix = "" if func is None else f"{func}:"
    name = func if func is not None else s.top_func_name
    s.reorder(prefix + "k", prefix + "j")
    s.buffer_at(f"{name}:C", axis=prefix + "i")
    s.pipeline(prefix + "j")
    return s


def schedule_linear2d(s):
    """Default schedule of :func:`linear2d`."""
    return _schedule_linear(s)


def schedule_linear3d(s):
    """Default schedule of :func:`linear3d`."""
    return _schedule_linear(s)


def schedule_matmul(s):
    """Default schedule of :func:`matmul` (reorder, ``buffer_at``, pipeline)."""
    return _schedule_matmul(s)


def schedule_bmm(s):
    """Default schedule of :func:`bmm` (as :func:`schedule_matmul`, per batch)."""
    return _schedule_matmul(s)


def schedule_relu2d(s):
    return _pipeline(s, "j")


def schedule_relu3d(s):
    return _pipeline(s, "j")


def schedule_relu4d(s):
    return _pipeline(s, "w")


def schedule_GeLU(s):
    return _pipeline(s, "j")


def schedule_gelu_erf(s):
    return _pipeline(s, "j")


def schedule_softmax(s):
    return _pipeline(s, "row_max.j", "exp_sum.j", "update.j")


def schedule_log_softmax(s):
    return _pipeline(s, "row_max.j", "exp_sum.j", "update.j")


def schedule_layer_norm(s):
    return _pipeline(s, "stats.j", "norm.j")


def schedule_batchnorm2d(s):
    return _pipeline(s, "w")


def schedule_batchnorm1d_2d(s):
    return _pipeline(s, "c")


def schedule_batchnorm1d_3d(s):
    return _pipeline(s, "l")


def schedule_residual_add(s):
    return _pipeline(s, "j")


def schedule_modulate_fused(s):
    return _pipeline(s, "j")


def schedule_repeat_batch3d(s):
    return _pipeline(s, "c")


def schedule_concat(s):
    return _pipeline(s, "first.c", "second.c")


def schedule_conv2d(s):
    return _pipeline(s, "kw")


def schedule_maxpool2d(s):
    return _pipeline(s, "kw")


def schedule_avgpool2d(s):
    return _pipeline(s, "kw")


def schedule_scaled_dot_product_attention(s):
    """Pipeline the head split (``d_s``) and merge (``d_m``) copies; the systolic products
    and the softmax get their own schedules."""
    _pipeline(s, "d_s", "d_m")
    for name in ("QKT", "YV"):
        schedule_systolic_instance(s, f"systolic_{name}", f"systolic_tile_{name}",
                                   f"PE_kernel_{name}")
    return _pipeline(s, "row_max.j", "exp_sum.j", "update.j", func="softmax")


def schedule_sdp_attention(s):
    return _pipeline(s, "d", "j_exp", "d_init", "d_v", "d_back")


def schedule_RoPE(s):
    return _pipeline(s, "j")


KERNELS = (linear2d, linear3d, matmul, bmm, relu2d, relu3d, relu4d, GeLU, gelu_erf, softmax,
           log_softmax, layer_norm, batchnorm2d, batchnorm1d_2d, batchnorm1d_3d, residual_add,
           modulate_fused, repeat_batch3d, concat, conv2d, maxpool2d, avgpool2d,
           scaled_dot_product_attention, sdp_attention, RoPE)

for _kernel in KERNELS:
    KERNEL2SCHEDULE[_kernel] = globals()[f"schedule_{_kernel.__name__}"]
del _kernel
