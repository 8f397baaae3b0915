"""Reusable kernels and their default schedules.

``KERNEL2SCHEDULE`` maps a library kernel function to the function that schedules it:
``s.compose(kernel_fn, instantiate=[...])`` customizes ``kernel_fn`` with ``instantiate``,
calls ``KERNEL2SCHEDULE[kernel_fn](sched)`` (which applies primitives to ``sched`` and may
return it or another Schedule) and composes the result (``schedule.md`` §6.4).

>>> KERNEL2SCHEDULE.get(print) is None
True
"""

from ..schedule.compose import KERNEL2SCHEDULE

__all__ = ["KERNEL2SCHEDULE"]
