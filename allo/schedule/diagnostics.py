"""Error construction for schedule primitives: every refusal names the user's call site.

A primitive raises through :func:`schedule_error`, which renders one message shape::

    <primitive>: <what is wrong> (function <fn>, loop <loop>)
      File "<absolute path>", Line: <n>
        <source line of the user's primitive call>

The call site is the innermost stack frame outside the ``allo`` package, so a primitive
replayed by ``compose`` points at the user's ``compose`` call.
"""

from __future__ import annotations

import linecache
import os
import sys

from ..errors import ScheduleError

_ALLO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def user_call_site() -> tuple[str, int] | None:
    """``(filename, line)`` of the innermost frame that is not inside the ``allo`` package.

    >>> user_call_site()[0].endswith(".py") or user_call_site()[0].startswith("<")
    True
    """
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_ALLO_DIR):
            return filename, frame.f_lineno
        frame = frame.f_back
    return None


def format_call_site(site: tuple[str, int] | None) -> str:
    """The two location lines appended to a schedule error (empty when unknown)."""
    if site is None:
        return ""
    filename, lineno = site
    text = f'\n  File "{filename}", Line: {lineno}'
    source = linecache.getline(filename, lineno).strip()
    if source:
        text += f"\n    {source}"
    return text


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
    return cls(f"{primitive}: {message}{suffix}{format_call_site(user_call_site())}")
