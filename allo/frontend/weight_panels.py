"""The packed weight layout of CPU linear layers (``allo.library.nn_packed.linear_packed``).

torch keeps a linear layer's weights as ``[N, K]``. The CPU kernel wants, for each block of
``PANEL`` output columns, the ``K × PANEL`` strip of ``Wᵀ`` stored contiguously: panels
``[panel_count(N), K, PANEL]``, the last one zero-padded past ``N``. The PyTorch frontend
packs constant weights once, when it imports the model, so no call pays for a transpose.

>>> w = np.arange(6, dtype=np.float32).reshape(2, 3)     # N = 2, K = 3
>>> p = pack_linear_weights(w)
>>> p.shape, p[0, :, :2].tolist()
((1, 3, 32), [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]])
"""

from __future__ import annotations

import numpy as np

# Columns per panel (the kernel spells the number out): two AVX-512 or four AVX2 f32 vectors.
PANEL = 32

__all__ = ["PANEL", "pack_linear_weights", "panel_count"]


def panel_count(n: int) -> int:
    """Number of ``PANEL``-wide panels covering ``n`` output columns.

    >>> panel_count(32), panel_count(33)
    (1, 2)
    """
    return -(-int(n) // PANEL)


def pack_linear_weights(weight: np.ndarray) -> np.ndarray:
    """torch-layout weights ``[N, K]`` as panels ``[panel_count(N), K, PANEL]``.

    >>> pack_linear_weights(np.ones((3, 2), np.float32)).shape
    (1, 2, 32)
    """
    n, k = weight.shape
    padded = np.zeros((k, panel_count(n) * PANEL), dtype=weight.dtype)
    padded[:, :n] = weight.T
    return np.ascontiguousarray(padded.reshape(k, -1, PANEL).transpose(1, 0, 2))
