"""``df_pipeline``: pipeline every innermost loop of every function (backends.md §11.1, P2)."""

from __future__ import annotations

from .._mlir import ir
from ..diagnostics import as_user_error, public_entry
from ..mlir_utils import collect_ops

_LOOPS = ("affine.for", "scf.for")


def _is_innermost(loop) -> bool:
    nested = collect_ops(loop, lambda o: o.name in _LOOPS)
    return len(nested) == 1  # collect_ops includes the loop itself


@public_entry
def df_pipeline(module: "ir.Module", initiation_interval: int = 1, rewind: bool = False) -> int:
    """Pipeline every innermost loop of ``module`` with ``initiation_interval`` (and
    ``rewind``); returns how many loops were marked.

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def k(A: int32[4, 4]):
    ...     for i, j in allo.grid(4, 4):
    ...         A[i, j] += 1
    >>> s = allo.customize(k)
    >>> df_pipeline(s.module)
    1
    """
    if initiation_interval < 1:
        raise as_user_error(ValueError("initiation_interval must be >= 1"))
    with module.context:
        ii = ir.IntegerAttr.get(ir.IntegerType.get_unsigned(32), initiation_interval)
        loops = collect_ops(module.operation, lambda o: o.name in _LOOPS)
        count = 0
        for loop in loops:
            if not _is_innermost(loop):
                continue
            loop.attributes["pipeline_ii"] = ii
            if rewind:
                loop.attributes["rewind"] = ir.UnitAttr.get()
            count += 1
    return count
