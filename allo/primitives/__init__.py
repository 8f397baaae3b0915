"""``allo.primitives``: the schedule primitives under their previous import path.

The primitive modules live in :mod:`allo.schedule` (one module per family). Each keeps its
old name here as the very same module object (``allo.primitives.loops is
allo.schedule.loops``), so ``from allo.primitives.args import resolve_loop`` keeps working.

>>> import allo.primitives.loops, allo.schedule.loops
>>> allo.primitives.loops is allo.schedule.loops
True
"""

import sys

from ..schedule import (args, buffer_at, compose, compute_at, diagnostics, distribute,
                        functions, legality, loops, memory, registry, reuse, unfold, unify,
                        buffer_init)
from ..schedule.registry import PRIMITIVES, primitive  # noqa: F401

for _module in (args, buffer_at, compose, compute_at, diagnostics, distribute, functions,
                legality, loops, memory, registry, reuse, unfold, unify, buffer_init):
    sys.modules[f"{__name__}.{_module.__name__.rsplit('.', 1)[1]}"] = _module
del _module
