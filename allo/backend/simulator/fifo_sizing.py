"""The smallest FIFO depths that neither deadlock nor slow a design down (``df.size_fifos``).

1. Every stream gets room for all the elements its writer puts ("unbounded"); the timing
   model runs once and records when each element was put (``p``) and taken (``g``): the
   reference schedule and its total cycles ``T``.
2. With depth ``d`` the ``i``-th put must wait until element ``i - d`` was taken, so no put
   ever waits (and the schedule is exactly the reference one) iff ``d`` is at least the
   largest number of elements ``j <= i`` with ``g[j] >= p[i]``: the *no-stall* depth.
3. Smaller depths can still give ``T`` when a delayed writer has slack. Stream by stream (in
   name order), a binary search lowers the depth while a run with every current depth
   finishes without deadlock in ``T`` cycles; each accepted run checks the whole
   combination, so the result is a configuration that was simulated.

Runs after the first reuse one build: only the FIFO capacities change. A run that deadlocks
leaves its threads parked (see :mod:`.module`), so sizing suits the small and medium designs
the simulator checks, not the largest arrays.
"""

from __future__ import annotations

import warnings

import numpy as np

from ...errors import DeadlockError, SimulationError
from ...schedule.stream_depths import set_stream_depths, stream_extents
from ..llvm.module import invoke_mlir_parser
from .module import LLVMOMPModule


def no_stall_depth(put_times: np.ndarray, get_times: np.ndarray) -> int:
    """The smallest depth at which no put of the recorded schedule waits (module doc).

    >>> no_stall_depth(np.array([0, 2, 4, 6]), np.array([1, 3, 5, 7]))
    1
    >>> no_stall_depth(np.array([0, 1, 2, 3]), np.array([1, 2, 3, 4]))
    2
    >>> no_stall_depth(np.array([0, 1, 2, 3]), np.array([10, 11, 12, 13]))
    4
    """
    puts = np.asarray(put_times, dtype=np.int64)
    puts = puts[puts >= 0]
    if len(puts) == 0:
        return 1
    gets = np.asarray(get_times, dtype=np.int64)[:len(puts)].copy()
    gets[gets < 0] = np.iinfo(np.int64).max  # never taken: held to the end
    first_held = np.searchsorted(gets, puts, side="left")
    return max(1, int(np.max(np.arange(len(puts)) - first_held + 1)))


def _run(mod, inputs) -> int | None:
    """Total cycles of one run on copies of ``inputs``, or ``None`` if it deadlocks."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mod(*[np.array(a, copy=True) for a in inputs])
    except DeadlockError:
        return None
    return mod.last_cycles.total


def size_streams(schedule, inputs) -> dict:
    """``{stream name: depth}`` for a region's :class:`Schedule` (module doc)."""
    top = schedule.top_func_name
    extents = stream_extents(schedule.module, top)
    if not extents:
        return {}
    copy = invoke_mlir_parser(str(schedule.module))  # the schedule itself is left as it is
    set_stream_depths(copy, top, {name: max(1, elements)
                                  for name, (_, elements) in extents.items()})
    func_args = getattr(schedule, "func_args", None) or {}
    mod = LLVMOMPModule(copy, top, arg_names=func_args.get(top))
    mod.record_times = True
    reference = _run(mod, inputs)
    if reference is None:
        raise SimulationError("the design deadlocks even with room for every element in "
                              "each stream; no FIFO depth can make it run")
    depths = {name: no_stall_depth(*mod.last_times[name]) for name in sorted(extents)}
    mod.record_times = False
    for name in sorted(depths):
        low, high = 1, depths[name]
        while low < high:
            mid = (low + high) // 2
            mod.capacities = {**depths, name: mid}
            if _run(mod, inputs) == reference:
                high = mid
            else:
                low = mid + 1
        depths[name] = low
    mod.capacities = depths
    if _run(mod, inputs) != reference:
        raise SimulationError(f"internal: the chosen depths {depths} do not reproduce the "
                              f"reference schedule of {reference} cycles")
    return depths
