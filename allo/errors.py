"""The AlloError exception family.

Every error the library raises for bad user input is a subclass of :class:`AlloError`.
Frontend errors carry a source location and render it in one fixed format::

    <message>
      File "<absolute source path>", Line: <n>, in <kernel function name>
        <first line of the offending statement, stripped>

No other module formats frontend locations; they build a
:class:`FrontendError` subclass with ``filename``/``lineno``/``func_name``/``source``.
"""

from __future__ import annotations

import sys
import warnings


class AlloError(Exception):
    """Root of every error raised by ``allo`` for bad input or a failed build."""


# --------------------------------------------------------------------------- frontend


def render_located(message: str, filename, lineno, func_name, source) -> str:
    """``message`` followed by the fixed location block (nothing when ``lineno`` is None)."""
    if lineno is None:
        return message
    src = (source or "").strip().splitlines()
    first = src[0].strip() if src else ""
    return (
        f"{message}\n"
        f'  File "{filename}", Line: {lineno}, in {func_name}\n'
        f"    {first}"
    )


class FrontendError(AlloError, SystemExit):
    """An error found while ``allo.customize`` compiles kernel source.

    It is also a ``SystemExit`` (Allo printed and exited); ``self.code`` holds
    ``"<ClassName>: <message>"`` so an uncaught error prints it and exits with status 1.

    >>> e = AlloSyntaxError("bad", filename="/k.py", lineno=3, func_name="k", source="x = 1")
    >>> print(e)
    bad
      File "/k.py", Line: 3, in k
        x = 1
    """

    def __init__(
        self,
        message: str,
        filename: str | None = None,
        lineno: int | None = None,
        func_name: str | None = None,
        source: str | None = None,
    ):
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.func_name = func_name
        self.source = source
        text = self._render()
        Exception.__init__(self, text)
        self.code = f"{type(self).__name__}: {text}"

    def _render(self) -> str:
        return render_located(self.message, self.filename, self.lineno, self.func_name,
                              self.source)

    def __str__(self) -> str:
        return self._render()

    def with_location(self, filename, lineno, func_name, source):
        """Return a copy of this error located at the given statement (first one wins)."""
        if self.lineno is not None:
            return self
        return type(self)(self.message, filename, lineno, func_name, source)


class AlloSyntaxError(FrontendError):
    """Unsupported construct, undefined name, scope violation, misuse of compile-time constructs."""


class AlloTypeError(FrontendError, TypeError):
    """Unknown or malformed types, type/shape mismatches, operators without a typing rule."""


class DTypeError(AlloError, TypeError):
    """Invalid type construction at Python level (``Int(2.5)``, ``Float(24, 8)``)."""


class DTypeWarning(UserWarning):
    """Widths numpy cannot hold, or an argument converted at the numpy boundary."""


# --------------------------------------------------------------------------- schedules


class ScheduleError(AlloError, ValueError):
    """Illegal primitive, bad argument value or failed legality check."""


class LoopNotFoundError(ScheduleError, AttributeError, RuntimeError):
    """Unknown function, stage or loop name, or an ambiguous loop name."""


class BufferNotFoundError(ScheduleError, RuntimeError):
    """Unknown buffer."""


class LayoutConflictError(ScheduleError):
    """Two incompatible memory layouts meet in one alias class."""


# --------------------------------------------------------------------------- backends


class BuildError(AlloError, RuntimeError):
    """Unknown target/mode, a construct the target cannot express, or a failed tool run."""


class ToolNotFoundError(BuildError):
    """A call needs an executable, header package or environment variable that is missing."""


class ArgumentError(AlloError, TypeError, ValueError):
    """Wrong call arguments at the numpy boundary."""


class IndexOutOfBoundsError(AlloError, IndexError):
    """A run-time array index outside its dimension (CPU build; numpy's ``IndexError``).

    Raised after the compiled kernel returned early at the first offending access. It names
    the array, the index, the axis and its size, and the source line of the access.

    >>> e = IndexOutOfBoundsError("A", 9, 0, 8, "/k.py", 4, "k", "return A[n]")
    >>> print(e)
    index 9 is out of bounds for axis 0 of array 'A' with size 8
      File "/k.py", Line: 4, in k
        return A[n]
    >>> isinstance(e, IndexError)
    True
    """

    def __init__(self, array: str, index: int, axis: int, size: int, filename=None,
                 lineno=None, func_name=None, source=None):
        self.array, self.index, self.axis, self.size = array, index, axis, size
        self.filename, self.lineno, self.func_name, self.source = \
            filename, lineno, func_name, source
        self.message = (f"index {index} is out of bounds for axis {axis} of array '{array}' "
                        f"with size {size}")
        super().__init__(render_located(self.message, filename, lineno, func_name, source))


class SimulationError(AlloError, RuntimeError):
    """A C-simulation/emulation executable failed at run time."""


class StreamError(SimulationError):
    """A FIFO used wrongly at run time: a read from an empty stream, or elements still in a
    stream when the function that declares it ends (CPU build and C simulation alike).

    >>> e = StreamError("read from the empty stream 'q' in kernel k", stream="q", kernel="k")
    >>> (e.stream, e.kernel, isinstance(e, RuntimeError))
    ('q', 'k', True)
    """

    def __init__(self, message: str, stream: str | None = None, kernel: str | None = None,
                 filename=None, lineno=None, source=None):
        self.stream, self.kernel = stream, kernel
        self.filename, self.lineno = filename, lineno
        super().__init__(render_located(message, filename, lineno, kernel, source))


class DeadlockError(SimulationError):
    """Dataflow simulator: every unfinished kernel instance is blocked on a stream."""


def warn(message: str, category=UserWarning, stacklevel: int | None = None) -> None:
    """Emit a library warning (one place, so tests can filter consistently).

    By default the warning is attributed to the innermost frame outside the ``allo``
    package: the user's line that called into the library, however deep the call went.
    """
    if stacklevel is None:
        stacklevel = user_stacklevel()
    warnings.warn(message, category, stacklevel=stacklevel)


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes ``warn``'s ``warnings.warn`` name the user's frame.

    >>> user_stacklevel() >= 2
    True
    """
    # from the frame that calls warnings.warn (warn, or a direct caller of this function),
    # stacklevel 2 is its caller: two frames up from here
    frame = sys._getframe(2)
    level = 2
    while frame is not None and _in_library(frame):
        frame = frame.f_back
        level += 1
    return level if frame is not None else 2


def _in_library(frame) -> bool:
    module = frame.f_globals.get("__name__", "")
    return module == "allo" or module.startswith("allo.")


__all__ = [
    "AlloError",
    "FrontendError",
    "AlloSyntaxError",
    "AlloTypeError",
    "DTypeError",
    "DTypeWarning",
    "ScheduleError",
    "LoopNotFoundError",
    "BufferNotFoundError",
    "LayoutConflictError",
    "BuildError",
    "ToolNotFoundError",
    "ArgumentError",
    "IndexOutOfBoundsError",
    "SimulationError",
    "StreamError",
    "DeadlockError",
]
