"""Problem sizes of the PolyBench/C 4.2 presets, per kernel.

PolyBench compiles each kernel with one of five ``-D<PRESET>_DATASET`` macros; the dimensions
below are the ones its per-kernel headers define for MINI, SMALL, MEDIUM and LARGE (EXTRALARGE
is left out: it does not fit an FPGA's on-chip memory, the setting these designs target).
Dimension names are PolyBench's own (``NI``, ``TSTEPS``, ...).

>>> dims("gemm", "MINI")
{'NI': 20, 'NJ': 25, 'NK': 30}
>>> dims("jacobi-2d", "SMALL")["N"]
90
"""

from __future__ import annotations

PRESETS = ("MINI", "SMALL", "MEDIUM", "LARGE")


def _table(names: str, *rows: tuple) -> dict:
    """``{preset: {dim: value}}`` from one row of values per preset (in ``PRESETS`` order)."""
    keys = names.split()
    return {preset: dict(zip(keys, row)) for preset, row in zip(PRESETS, rows)}


_SQUARE_N = _table("N", (40,), (120,), (400,), (2000,))
_MN_SMALL = _table("M N", (20, 30), (60, 80), (200, 240), (1000, 1200))
_ATAX = _table("M N", (38, 42), (116, 124), (390, 410), (1900, 2100))
_CORR = _table("M N", (28, 32), (80, 100), (240, 260), (1200, 1400))

SIZES: dict[str, dict[str, dict[str, int]]] = {
    # linear algebra: BLAS-like
    "gemm": _table("NI NJ NK", (20, 25, 30), (60, 70, 80), (200, 220, 240), (1000, 1100, 1200)),
    "gemver": _SQUARE_N,
    "gesummv": _table("N", (30,), (90,), (250,), (1300,)),
    "symm": _MN_SMALL,
    "syr2k": _MN_SMALL,
    "syrk": _MN_SMALL,
    "trmm": _MN_SMALL,
    # linear algebra: kernels
    "2mm": _table("NI NJ NK NL", (16, 18, 22, 24), (40, 50, 70, 80), (180, 190, 210, 220),
                  (800, 900, 1100, 1200)),
    "3mm": _table("NI NJ NK NL NM", (16, 18, 20, 22, 24), (40, 50, 60, 70, 80),
                  (180, 190, 200, 210, 220), (800, 900, 1000, 1100, 1200)),
    "atax": _ATAX,
    "bicg": _ATAX,
    "doitgen": _table("NQ NR NP", (8, 10, 12), (20, 25, 30), (40, 50, 60), (140, 150, 160)),
    "mvt": _SQUARE_N,
    # linear algebra: solvers
    "cholesky": _SQUARE_N,
    "durbin": _SQUARE_N,
    "gramschmidt": _MN_SMALL,
    "lu": _SQUARE_N,
    "ludcmp": _SQUARE_N,
    "trisolv": _SQUARE_N,
    # data mining
    "correlation": _CORR,
    "covariance": _CORR,
    # medley
    "deriche": _table("W H", (64, 64), (192, 128), (720, 480), (4096, 2160)),
    "floyd-warshall": _table("N", (60,), (180,), (500,), (2800,)),
    "nussinov": _table("N", (60,), (180,), (500,), (2500,)),
    # stencils
    "adi": _table("TSTEPS N", (20, 20), (40, 60), (100, 200), (500, 1000)),
    "fdtd-2d": _table("TMAX NX NY", (20, 20, 30), (40, 60, 80), (100, 200, 240),
                      (500, 1000, 1200)),
    "heat-3d": _table("TSTEPS N", (20, 10), (40, 20), (100, 40), (500, 120)),
    "jacobi-1d": _table("TSTEPS N", (20, 30), (40, 120), (100, 400), (500, 2000)),
    "jacobi-2d": _table("TSTEPS N", (20, 30), (40, 90), (100, 250), (500, 1300)),
    "seidel-2d": _table("TSTEPS N", (20, 40), (40, 120), (100, 400), (500, 2000)),
}


def dims(kernel: str, preset: str = "MINI") -> dict[str, int]:
    """The dimensions of ``kernel`` (PolyBench name) at ``preset`` (``"MINI"`` ... ``"LARGE"``).

    >>> dims("atax", "MINI")
    {'M': 38, 'N': 42}
    """
    try:
        table = SIZES[kernel]
    except KeyError:
        raise KeyError(f"unknown PolyBench kernel {kernel!r}; known: {', '.join(SIZES)}") from None
    preset = preset.upper()
    if preset not in table:
        raise KeyError(f"unknown preset {preset!r}; use one of {', '.join(PRESETS)}")
    return dict(table[preset])
