"""Linear layer for CPU builds with weights packed into column panels (``backends.md`` §10).

``linear_packed`` computes ``X·Wᵀ + b`` like :func:`allo.library.nn.linear2d`, but reads the
weights from :func:`pack_linear_weights`'s layout ``Wp[NP, K, PANEL]``: panel ``p`` holds
columns ``p·PANEL … p·PANEL+PANEL-1`` of ``Wᵀ`` (zero-padded past ``N``), one contiguous
``PANEL``-wide row per ``k``. The PyTorch frontend packs constant weights once, at import time.

Why this shape (measured on 128×768×768 and 128×768×3072, docs/pytorch_frontend.md):

- the ``jj`` loop reads ``PANEL`` consecutive weights: LLVM vectorises it and unrolls it fully;
- four rows of ``X`` share each loaded weight vector and accumulate in four ``PANEL``-long
  arrays that LLVM keeps in vector registers for the whole ``k`` loop (register blocking);
- a panel (``K·PANEL`` floats) stays in L2 while every row block runs over it, and being
  contiguous it avoids the cache-set conflicts of reading a ``PANEL``-wide strip of a
  ``[K, N]`` matrix whose row stride is a multiple of 4 KiB.

Every output is the same sum in the same ``k`` order as ``linear2d``: results are bit-identical.

>>> import numpy as np, allo
>>> from allo.ir.types import float32
>>> W = np.arange(6, dtype=np.float32).reshape(2, 3)        # torch layout [N=2, K=3]
>>> s = allo.customize(linear_packed, instantiate=[float32, float32, float32, 1, 2, 3, 1])
>>> X, b = np.ones((1, 3), np.float32), np.zeros(2, np.float32)
>>> s.build()(X, pack_linear_weights(W), b).tolist()
[[3.0, 12.0]]

Weights known only at run time (``from_pytorch(..., weights_as_args=True)``) are packed inside
the kernel: :func:`pack_panels` packs a whole matrix, :func:`linear_panels` takes ``W`` in
torch's layout and packs one panel at a time as it computes:

>>> s = allo.customize(linear_panels, instantiate=[float32, float32, float32, 1, 2, 3])
>>> s.build()(X, W, b).tolist()
[[3.0, 12.0]]
"""

from __future__ import annotations

import allo
from ..frontend.types import float32, int32  # noqa: F401 - names the kernels use
from ..frontend.weight_panels import PANEL, pack_linear_weights, panel_count
from . import KERNEL2SCHEDULE
from .template import type_params

__all__ = ["PANEL", "bmm_panels", "linear_packed", "linear_packed3d", "linear_panels",
           "pack_linear_weights", "pack_panels", "panel_count",
           "schedule_bmm_panels", "schedule_linear_packed", "schedule_linear_packed3d",
           "schedule_linear_panels", "schedule_pack_panels"]


@type_params("TyX", "TyW", "TyO", "M", "N", "K", "NP")
def linear_packed(X: TyX[M, K], Wp: TyW[NP, K, 32], b: TyO[N]) -> TyO[M, N]:
    """``X·Wᵀ + b`` with ``Wp = pack_linear_weights(W)`` (``NP = panel_count(N)``); the
    literal 32 is ``PANEL`` and the four accumulators ``a0``..``a3`` one register block."""
    Z: TyO[M, N]
    for p in range(NP):
        for i0 in range(M // 4):
            a0: TyO[32] = 0
            a1: TyO[32] = 0
            a2: TyO[32] = 0
            a3: TyO[32] = 0
            for k in range(K):
                x0: TyX = X[i0 * 4, k]
                x1: TyX = X[i0 * 4 + 1, k]
                x2: TyX = X[i0 * 4 + 2, k]
                x3: TyX = X[i0 * 4 + 3, k]
                for jj in range(32):
                    w: TyW = Wp[p, k, jj]
                    a0[jj] += x0 * w
                    a1[jj] += x1 * w
                    a2[jj] += x2 * w
                    a3[jj] += x3 * w
            for jb in range(32):
                if p * 32 + jb < N:
                    Z[i0 * 4, p * 32 + jb] = a0[jb] + b[p * 32 + jb]
                    Z[i0 * 4 + 1, p * 32 + jb] = a1[jb] + b[p * 32 + jb]
                    Z[i0 * 4 + 2, p * 32 + jb] = a2[jb] + b[p * 32 + jb]
                    Z[i0 * 4 + 3, p * 32 + jb] = a3[jb] + b[p * 32 + jb]
        for ir in range(M % 4):
            r: TyO[32] = 0
            for kr in range(K):
                xr: TyX = X[M - M % 4 + ir, kr]
                for jr in range(32):
                    r[jr] += xr * Wp[p, kr, jr]
            for jw in range(32):
                if p * 32 + jw < N:
                    Z[M - M % 4 + ir, p * 32 + jw] = r[jw] + b[p * 32 + jw]
    return Z


@type_params("TyX", "TyW", "TyO", "B", "M", "N", "K", "NP")
def linear_packed3d(X: TyX[B, M, K], Wp: TyW[NP, K, 32], b: TyO[N]) -> TyO[B, M, N]:
    """:func:`linear_packed` on each of the ``B`` sequences of ``X`` (the call copies a
    sequence in and its result out: ``1/N`` and ``1/K`` of the product's work)."""
    Z: TyO[B, M, N]
    for s in range(B):
        Z[s] = linear_packed[TyX, TyW, TyO, M, N, K, NP](X[s], Wp, b)
    return Z


@type_params("TyA", "TyB", "TyC", "Bt", "M", "K", "N")
def bmm_panels(A: TyA[Bt, M, K], B: TyB[Bt, K, N]) -> TyC[Bt, M, N]:
    """Batched ``A[b]·B[b]`` (as :func:`allo.library.nn.bmm`): :func:`linear_packed` on each
    ``B[b]`` laid out here in 32-column panels, zero-padded past ``N`` (run-time operands
    cannot be packed ahead of time; the copy is ``1/M`` of the product's work), with a zero
    bias, which changes no bit: the sums start from ``+0``, so none is ``-0``."""
    C: TyC[Bt, M, N]
    zero: TyC[N] = 0
    for bt in range(Bt):
        Bp: TyB[(N + 31) // 32, K, 32]
        for q, kq, jq in allo.grid((N + 31) // 32, K, 32, name="pack"):
            if q * 32 + jq < N:
                Bp[q, kq, jq] = B[bt, kq, q * 32 + jq]
            else:
                Bp[q, kq, jq] = 0
        C[bt] = linear_packed[TyA, TyB, TyC, M, N, K, (N + 31) // 32](A[bt], Bp, zero)
    return C


@type_params("TyW", "N", "K", "NP")
def pack_panels(W: TyW[N, K]) -> TyW[NP, K, 32]:
    """:func:`pack_linear_weights` inside a kernel, for weights known only at run time:
    ``Wp[p, k, jp] = W[p·32 + jp, k]``, zero past ``N`` (``NP = panel_count(N)``). The copy
    writes each panel contiguously and reads 32 rows of ``W`` at once (32 cache lines, each
    used for 16 ``k``; measured faster than reading ``W`` along ``k``); it is ``1/M`` of the
    work of the product that uses it."""
    Wp: TyW[NP, K, 32]
    for p, kp, jp in allo.grid(NP, K, 32, name="pack"):
        if p * 32 + jp < N:
            Wp[p, kp, jp] = W[p * 32 + jp, kp]
        else:
            Wp[p, kp, jp] = 0
    return Wp


@type_params("TyX", "TyW", "TyO", "M", "N", "K")
def linear_panels(X: TyX[M, K], W: TyW[N, K], b: TyO[N]) -> TyO[M, N]:
    """``X·Wᵀ + b`` like :func:`allo.library.nn.linear2d` (same arguments, bit-identical
    results) for CPU builds with run-time weights: :func:`linear_packed`'s register blocks,
    each panel packed from ``W`` into ``P`` just before its row blocks run. Packing panel by
    panel keeps the copy in L2 and needs one ``K·32`` buffer instead of a packed matrix per
    call (measured 5-20 % faster than :func:`pack_panels` then :func:`linear_packed` on the
    BERT/GPT-2 FFN shapes). The body repeats :func:`linear_packed`'s on ``P``: a kernel
    cannot take a loop body as a parameter, and a call per panel would copy its results."""
    Z: TyO[M, N]
    P: TyW[K, 32]
    for p in range((N + 31) // 32):
        for kp, jp in allo.grid(K, 32, name="pack"):
            if p * 32 + jp < N:
                P[kp, jp] = W[p * 32 + jp, kp]
            else:
                P[kp, jp] = 0
        for i0 in range(M // 4):
            a0: TyO[32] = 0
            a1: TyO[32] = 0
            a2: TyO[32] = 0
            a3: TyO[32] = 0
            for k in range(K):
                x0: TyX = X[i0 * 4, k]
                x1: TyX = X[i0 * 4 + 1, k]
                x2: TyX = X[i0 * 4 + 2, k]
                x3: TyX = X[i0 * 4 + 3, k]
                for jj in range(32):
                    w: TyW = P[k, jj]
                    a0[jj] += x0 * w
                    a1[jj] += x1 * w
                    a2[jj] += x2 * w
                    a3[jj] += x3 * w
            for jb in range(32):
                if p * 32 + jb < N:
                    Z[i0 * 4, p * 32 + jb] = a0[jb] + b[p * 32 + jb]
                    Z[i0 * 4 + 1, p * 32 + jb] = a1[jb] + b[p * 32 + jb]
                    Z[i0 * 4 + 2, p * 32 + jb] = a2[jb] + b[p * 32 + jb]
                    Z[i0 * 4 + 3, p * 32 + jb] = a3[jb] + b[p * 32 + jb]
        for ir in range(M % 4):
            r: TyO[32] = 0
            for kr in range(K):
                xr: TyX = X[M - M % 4 + ir, kr]
                for jr in range(32):
                    r[jr] += xr * P[kr, jr]
            for jw in range(32):
                if p * 32 + jw < N:
                    Z[M - M % 4 + ir, p * 32 + jw] = r[jw] + b[p * 32 + jw]
    return Z


def schedule_pack_panels(s, func: str | None = None):
    """Default schedule of :func:`pack_panels`: pipeline the copy's inner loop (an HLS
    hint; the CPU build leaves it to LLVM)."""
    s.pipeline(("" if func is None else f"{func}:") + "jp")
    return s


def schedule_linear_panels(s):
    """Default schedule of :func:`linear_panels`: pipeline the panel copy's inner loop and
    the panel-wide loops, as :func:`schedule_pack_panels` and :func:`schedule_linear_packed`."""
    for loop in ("jp", "jj", "jb", "jr", "jw"):
        s.pipeline(loop)
    return s


def schedule_linear_packed(s, func: str | None = None):
    """Default schedule of :func:`linear_packed` (``func``: its function in ``s`` when it is
    not the top): pipeline the panel-wide loops (HLS hints; the CPU build relies on LLVM
    vectorising them)."""
    prefix = "" if func is None else f"{func}:"
    for loop in ("jj", "jb", "jr", "jw"):
        s.pipeline(prefix + loop)
    return s


def schedule_linear_packed3d(s):
    """Default schedule of :func:`linear_packed3d`: that of the :func:`linear_packed` it
    runs per sequence."""
    return schedule_linear_packed(s, func="linear_packed")


def schedule_bmm_panels(s):
    """Default schedule of :func:`bmm_panels`: the panel copy and its :func:`linear_packed`."""
    s.pipeline("jq")
    return schedule_linear_packed(s, func="linear_packed")


KERNEL2SCHEDULE[linear_packed] = schedule_linear_packed
KERNEL2SCHEDULE[bmm_panels] = schedule_bmm_panels
KERNEL2SCHEDULE[linear_packed3d] = schedule_linear_packed3d
KERNEL2SCHEDULE[pack_panels] = schedule_pack_panels
KERNEL2SCHEDULE[linear_panels] = schedule_linear_panels
