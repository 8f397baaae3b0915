"""The AlloError exception family.

Every error the library raises for bad user input is a subclass of :class:`AlloError`.
Each carries an optional :class:`~allo.diagnostics.SourceLoc` (``err.loc``) and prints it
in the one format of ``allo.diagnostics.render``::

    <message>
      File "<absolute source path>", Line: <n>, in <function>
        <first line of the offending statement, stripped>

``err.message`` is the message alone; ``filename``/``lineno``/``func_name``/``source`` read
the location. Frontend errors are located at the kernel statement being compiled, build
errors at the MLIR operation's ``loc`` when they concern one, and everything else at the
user's call into the library (``allo.diagnostics.public_entry``).
"""

from __future__ import annotations

import warnings

from .diagnostics import SourceLoc, render, user_stacklevel


class AlloError(Exception):
    """Root of every error raised by ``allo`` for bad input or a failed build.

    >>> e = AlloError("bad", loc=SourceLoc("/u.py", 7, function="main", source="f(x)"))
    >>> print(e)
    bad
      File "/u.py", Line: 7, in main
        f(x)
    >>> (e.message, e.filename, e.lineno, e.func_name, e.source)
    ('bad', '/u.py', 7, 'main', 'f(x)')
    """

    #: a user error: public entry points locate it and hide the library's frames
    user_error = True

    def __init__(self, message: str = "", *, loc: SourceLoc | None = None):
        """``message`` says what is wrong; ``loc`` (a ``SourceLoc``) is where, in the
        user's code, when known."""
        self.message = str(message)
        self.loc = loc
        super().__init__(render(self.message, loc))

    def __str__(self) -> str:
        return render(self.message, self.loc)

    def __reduce__(self):
        return _rebuild_error, (type(self), self.args, dict(self.__dict__))

    def locate(self, loc: SourceLoc | None) -> "AlloError":
        """Give this error the place ``loc`` unless it already has one (the first, most
        precise location wins). Returns ``self``."""
        if self.loc is None and loc is not None:
            self.loc = loc
            self.args = (str(self),)
        return self

    # the attribute names of language.md §0.1, for every located error
    @property
    def filename(self) -> str | None:
        return None if self.loc is None else self.loc.filename

    @property
    def lineno(self) -> int | None:
        return None if self.loc is None else self.loc.line

    @property
    def func_name(self) -> str | None:
        return None if self.loc is None else self.loc.function

    @property
    def source(self) -> str | None:
        return None if self.loc is None else self.loc.text


def _rebuild_error(cls, args, state):
    """Unpickle an ``AlloError`` without calling its (subclass-specific) constructor."""
    err = cls.__new__(cls, *args)
    err.args = args
    err.__dict__.update(state)
    return err


class InternalError(AlloError, RuntimeError):
    """A bug in ``allo`` itself (an invariant of its own IR broke), not bad input.

    Its traceback is never filtered: the library's frames are what a bug report needs.
    """

    user_error = False

    def __init__(self, message: str = "", *, loc: SourceLoc | None = None):
        """``message`` describes the failed invariant; ``loc`` where it was met."""
        super().__init__(f"internal error: {message} (please report this as a bug)", loc=loc)


# --------------------------------------------------------------------------- frontend


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
        *,
        loc: SourceLoc | None = None,
    ):
        """``message`` says what is wrong; the kernel statement is ``loc``, or given as
        ``filename``, ``lineno``, ``func_name`` and ``source`` (its text)."""
        if loc is None and lineno is not None:
            loc = SourceLoc(filename or "<unknown>", lineno, function=func_name,
                            source=source if source is not None else "")
        super().__init__(message, loc=loc)
        self.code = f"{type(self).__name__}: {self}"

    def locate(self, loc: SourceLoc | None) -> "FrontendError":
        super().locate(loc)
        self.code = f"{type(self).__name__}: {self}"
        return self

    def with_location(self, filename, lineno, func_name, source) -> "FrontendError":
        """Return a copy of this error located at the given statement (first one wins)."""
        if self.loc is not None:
            return self
        return type(self)(self.message, filename, lineno, func_name, source)


class AlloSyntaxError(FrontendError):
    """Unsupported construct, undefined name, scope violation, misuse of compile-time constructs."""


class AlloTypeError(FrontendError, TypeError):
    """Unknown or malformed types, type/shape mismatches, operators without a typing rule."""


class DTypeError(AlloError, TypeError):
    """Invalid type construction at Python level (``Int(2.5)``, ``Float(24, 8)``).

    Located where it was written: the innermost frame outside ``allo`` when it is raised
    (inside a kernel the frontend re-raises its message as a located ``AlloTypeError``).
    """

    def __init__(self, message: str = "", *, loc: SourceLoc | None = None):
        """``message`` says what is wrong; ``loc`` defaults to the user's call site."""
        super().__init__(message, loc=loc if loc is not None else SourceLoc.user_call_site())


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


class ScheduleArgumentError(ScheduleError):
    """A primitive argument of the wrong kind or value: a factor below 1, a dimension out of
    range, a float where a loop index belongs, a tiling factor not below the trip count."""


class DependenceError(ScheduleError):
    """The primitive would reverse a data dependence (or reassociate a floating-point
    reduction), so the program would compute something else."""


class ImperfectNestError(ScheduleError):
    """The named loops do not form the nest the primitive needs: not nested in one another,
    not directly nested, or holding statements that cannot be moved out of the way."""


class NotAffineError(ScheduleError):
    """A loop bound or subscript is not of the form the primitive needs: run-time (non
    constant) bounds, a loop carrying values, a non-zero lower bound or non-unit step, a
    subscript that is not affine-linear."""


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
        """Index ``index`` of ``axis`` is outside ``[0, size)`` in ``array``; the subscript
        is at ``filename``:``lineno`` in ``func_name`` (text ``source``)."""
        self.array, self.index, self.axis, self.size = array, index, axis, size
        loc = None if lineno is None else SourceLoc(filename or "<unknown>", lineno,
                                                    function=func_name, source=source)
        super().__init__(f"index {index} is out of bounds for axis {axis} of array '{array}' "
                         f"with size {size}", loc=loc)


class AllocationError(AlloError, MemoryError):
    """A local array of a CPU-built kernel could not be allocated when the kernel ran.

    The kernel stops before touching the array; the message names the array, its size in
    bytes and the line that declares it.
    """


class UnsupportedTorchOpError(AlloError, NotImplementedError):
    """``allo.frontend.from_pytorch`` met a torch.fx node it cannot translate.

    The message names the node, its target and, when torch.fx recorded one, the model's
    source line (rendered like frontend errors).

    >>> e = UnsupportedTorchOpError("unsupported torch operation torch.erfinv (node 'erfinv')",
    ...                             "/m.py", 12, "forward", "return torch.erfinv(x)")
    >>> print(e)
    unsupported torch operation torch.erfinv (node 'erfinv')
      File "/m.py", Line: 12, in forward
        return torch.erfinv(x)
    >>> isinstance(e, NotImplementedError)
    True
    """

    def __init__(self, message: str, filename=None, lineno=None, func_name=None, source=None):
        """``message`` names the operation; ``filename``, ``lineno``, ``func_name`` and
        ``source`` locate it in the model's code."""
        loc = None if lineno is None else SourceLoc(filename or "<unknown>", lineno,
                                                    function=func_name, source=source)
        super().__init__(message, loc=loc)


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
        """``message`` says what went wrong on ``stream`` in ``kernel``, at ``filename``:
        ``lineno`` (text ``source``)."""
        self.stream, self.kernel = stream, kernel
        loc = None if lineno is None else SourceLoc(filename or "<unknown>", lineno,
                                                    function=kernel, source=source)
        super().__init__(message, loc=loc)


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


__all__ = [
    "AlloError",
    "InternalError",
    "FrontendError",
    "AlloSyntaxError",
    "AlloTypeError",
    "DTypeError",
    "DTypeWarning",
    "ScheduleError",
    "LoopNotFoundError",
    "BufferNotFoundError",
    "LayoutConflictError",
    "ScheduleArgumentError",
    "DependenceError",
    "ImperfectNestError",
    "NotAffineError",
    "BuildError",
    "ToolNotFoundError",
    "ArgumentError",
    "IndexOutOfBoundsError",
    "InternalError",
    "AllocationError",
    "SimulationError",
    "StreamError",
    "DeadlockError",
    "UnsupportedTorchOpError",
]
