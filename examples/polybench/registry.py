"""Every PolyBench/C 4.2 kernel, in PolyBench's order, by its PolyBench name.

>>> len(KERNELS)
30
>>> sorted({e.category for e in KERNELS.values()})
['blas', 'datamining', 'medley', 'solvers', 'stencils']
>>> KERNELS["jacobi-2d"].customize("MINI", scheduled=False).top_func_name
'jacobi_2d'
"""

from __future__ import annotations

from . import blas, datamining, linear_algebra, medley, solvers, stencils
from .common import PolyKernel

KERNELS: dict[str, PolyKernel] = {
    entry.name: entry
    for module in (datamining, blas, linear_algebra, medley, solvers, stencils)
    for entry in module.ENTRIES
}

CATEGORIES = ("blas", "solvers", "datamining", "medley", "stencils")
