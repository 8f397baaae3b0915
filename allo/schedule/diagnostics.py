"""The message shape of schedule refusals; the location is the user's primitive call.

A primitive raises through :func:`schedule_error`, which names the primitive and what it
acts on, and locates the error at the innermost stack frame outside the ``allo`` package
(``allo.diagnostics.SourceLoc.user_call_site``), so a primitive replayed by ``compose``
points at the user's ``compose`` call. It prints like every other error
(``allo.diagnostics.render``)::

    <primitive>: <what is wrong> (function <fn>, loop <loop>)
      File "<absolute path>", Line: <n>, in <function>
        <source line of the user's primitive call>
"""

from __future__ import annotations

from ..diagnostics import SourceLoc
from ..errors import ScheduleError


def schedule_error(
    cls: type[ScheduleError],
    primitive: str,
    message: str,
    *,
    func: str | None = None,
    loop: str | None = None,
    buffer: str | None = None,
) -> ScheduleError:
    """Build (not raise) a ``cls`` whose message names the primitive, target and call site.

    >>> from allo.errors import ScheduleError
    >>> e = schedule_error(ScheduleError, "split", "factor must be >= 1, got 0",
    ...                    func="k", loop="i")
    >>> str(e).splitlines()[0]
    'split: factor must be >= 1, got 0 (function k, loop i)'
    """
    where = []
    if func is not None:
        where.append(f"function {func}")
    if loop is not None:
        where.append(f"loop {loop}")
    if buffer is not None:
        where.append(f"buffer {buffer}")
    suffix = f" ({', '.join(where)})" if where else ""
    return cls(f"{primitive}: {message}{suffix}", loc=SourceLoc.user_call_site())
