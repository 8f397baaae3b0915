"""Where an error is, how it is printed, and which traceback frames a user sees.

One :class:`SourceLoc` names a place in the user's source; :func:`render` appends it to a
message in the one printed format of the whole library (``spec/language.md`` §0.1)::

    <message>
      File "<absolute source path>", Line: <n>, in <function>
        <first line of the offending statement, stripped>

Frontend, schedule and build errors all print through :func:`render` (``allo.errors``
stores a ``SourceLoc`` on every ``AlloError``). A location comes from one of three places:

- the kernel statement being compiled (the frontend builds it from the AST);
- an MLIR operation: every op the frontend creates carries ``loc("file":line:col)``, read
  back by :meth:`SourceLoc.from_mlir_loc` / :meth:`SourceLoc.of_op` (build errors);
- the user's call into the library (:meth:`SourceLoc.user_call_site`, the innermost stack
  frame outside the ``allo`` package): schedule primitives, ``s.build(...)``, ``mod(...)``.

Public entry points are wrapped by :func:`public_entry`: an ``AlloError`` leaving them is
located at the user's call when nothing more precise is known, and its traceback loses the
library's frames (as JAX does), so the last frames printed are the user's. The hidden
frames and the hidden causes come back with the environment variable
``ALLO_FULL_TRACEBACK=1``. Internal errors (bugs) are never filtered.

This module is the lowest of the base layer: it imports nothing from ``allo``.
"""

from __future__ import annotations

import functools
import inspect
import linecache
import os
import sys
import sysconfig
import types
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

FULL_TRACEBACK_ENV = "ALLO_FULL_TRACEBACK"

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

_HIDDEN_NOTE = "(allo hid {what}; set " + FULL_TRACEBACK_ENV + "=1 to see them)"


# --------------------------------------------------------------------------- locations


@dataclass(frozen=True)
class SourceLoc:
    """A place in the user's source: file, line, optional column, its text, its function.

    >>> loc = SourceLoc("/k.py", 3, function="k", source="x = 1")
    >>> print(render("bad", loc))
    bad
      File "/k.py", Line: 3, in k
        x = 1
    """

    filename: str
    line: int
    column: int | None = None
    source: str | None = None
    function: str | None = None

    @property
    def text(self) -> str:
        """The first line of the located statement, stripped (read from the file if unset)."""
        source = self.source
        if source is None:
            source = linecache.getline(self.filename, self.line)
        lines = source.strip().splitlines()
        return lines[0].strip() if lines else ""

    def render(self) -> str:
        """The location lines of the printed format (without the message)."""
        head = f'  File "{self.filename}", Line: {self.line}'
        if self.function:
            head += f", in {self.function}"
        text = self.text
        return f"{head}\n    {text}" if text else head

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_frame(cls, frame: types.FrameType, line: int | None = None) -> "SourceLoc":
        """The line a Python frame is executing (or ``line`` of its file)."""
        code = frame.f_code
        return cls(_absolute(code.co_filename), line if line is not None else frame.f_lineno,
                   function=code.co_name)

    @classmethod
    def user_call_site(cls) -> "SourceLoc | None":
        """The innermost frame of the current stack outside the ``allo`` package: the user's
        line that called into the library, however deep the call went.

        >>> SourceLoc.user_call_site().line > 0
        True
        """
        frame = sys._getframe(1)
        while frame is not None and is_library_file(frame.f_code.co_filename):
            frame = frame.f_back
        return None if frame is None else cls.from_frame(frame)

    @classmethod
    def from_mlir_loc(cls, loc: Any, function: str | None = None) -> "SourceLoc | None":
        """The user's file and line an MLIR location points at, or ``None``.

        File locations are read directly; a name location by its child, a call-site
        location by its callee (the op's own place), a fused location by its first member
        that has a file. Unknown locations, and positions in MLIR text parsed without a file
        (``"-"``), are not user source.
        """
        kind = type(loc).__name__
        if kind == "FileLineColLoc":
            if loc.filename in ("-", ""):
                return None
            return cls(_absolute(loc.filename), loc.start_line, loc.start_col or None,
                       function=function)
        if kind == "NameLoc":
            return cls.from_mlir_loc(loc.child_loc, function)
        if kind == "CallSiteLoc":
            return cls.from_mlir_loc(loc.callee, function) or \
                cls.from_mlir_loc(loc.caller, function)
        if kind == "FusedLoc":
            for member in loc.locations:
                found = cls.from_mlir_loc(member, function)
                if found is not None:
                    return found
        return None

    @classmethod
    def of_diagnostics(cls, source: Any) -> "SourceLoc | None":
        """The first user location among MLIR diagnostics: a list of them, or an
        ``ir.MLIRError`` (its ``error_diagnostics``); ``None`` when none points at a file."""
        diagnostics = getattr(source, "error_diagnostics", source) or []
        for diagnostic in diagnostics:
            found = cls.from_mlir_loc(diagnostic.location)
            if found is not None:
                return found
        return None

    @classmethod
    def of_op(cls, op: Any) -> "SourceLoc | None":
        """Where the user wrote ``op``: its own location, else that of the nearest enclosing
        op that has one (ops created by rewrites may carry ``loc(unknown)``), named after the
        enclosing ``func.func``."""
        function = _enclosing_function_name(op)
        current = op
        for _ in range(64):  # bounded: a malformed parent chain must not loop forever
            if current is None:
                return None
            operation = getattr(current, "operation", current)
            found = cls.from_mlir_loc(operation.location, function)
            if found is not None:
                return found
            current = _parent_op(operation)
        return None


def render(message: str, loc: SourceLoc | None) -> str:
    """``message`` followed by the location lines of ``loc`` (just ``message`` when None)."""
    return message if loc is None else f"{message}\n{loc.render()}"


def message_of(err: BaseException) -> str:
    """The message of ``err`` without its location lines (for embedding in another message).

    >>> message_of(ValueError("plain"))
    'plain'
    """
    message = getattr(err, "message", None)
    return message if isinstance(message, str) else str(err)


def _absolute(filename: str) -> str:
    return filename if filename.startswith("<") else os.path.abspath(filename)


def _parent_op(operation):
    try:
        parent = operation.parent
    except (AttributeError, ValueError):
        return None
    return parent


def _enclosing_function_name(op) -> str | None:
    current = getattr(op, "operation", op)
    for _ in range(64):
        if current is None:
            return None
        if current.name == "func.func" and "sym_name" in current.attributes:
            text = str(current.attributes["sym_name"])
            return text.strip('"')
        current = _parent_op(current)
    return None


# --------------------------------------------------------------------------- library frames

_LIBRARY_FILES: dict[str, bool] = {}
_HIDDEN_FILES: dict[str, bool] = {}


def is_library_file(filename: str) -> bool:
    """Whether ``filename`` is a module of the ``allo`` package (cached per file).

    >>> is_library_file(__file__), is_library_file("/home/me/kernel.py")
    (True, False)
    """
    known = _LIBRARY_FILES.get(filename)
    if known is None:
        known = not filename.startswith("<") and \
            os.path.abspath(filename).startswith(_PACKAGE_DIR)
        _LIBRARY_FILES[filename] = known
    return known


def _support_dirs() -> tuple[str, ...]:
    """Directories of the standard library and installed packages (numpy, inspect, ...)."""
    dirs = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            dirs.add(os.path.abspath(path) + os.sep)
    return tuple(sorted(dirs))


_SUPPORT_DIRS = _support_dirs()


def is_hidden_frame_file(filename: str) -> bool:
    """Frames a filtered traceback drops below a public entry point: the library's own,
    and the standard-library or third-party code it called. User code that the library
    called back (a kernel's helper, a user callback) stays.
    """
    known = _HIDDEN_FILES.get(filename)
    if known is None:
        if filename.startswith("<frozen"):
            known = True
        elif filename.startswith("<"):
            known = False
        else:
            path = os.path.abspath(filename)
            known = path.startswith(_PACKAGE_DIR) or path.startswith(_SUPPORT_DIRS)
        _HIDDEN_FILES[filename] = known
    return known


def user_stacklevel(start: int = 2) -> int:
    """The ``stacklevel`` of ``warnings.warn`` that names the innermost frame outside the
    ``allo`` package, counted from the caller of the function that calls this one.

    >>> user_stacklevel() >= 2
    True
    """
    frame = sys._getframe(start)
    level = 2
    while frame is not None and is_library_file(frame.f_code.co_filename):
        frame = frame.f_back
        level += 1
    return level if frame is not None else 2


# --------------------------------------------------------------------------- tracebacks


def full_traceback_requested() -> bool:
    """``ALLO_FULL_TRACEBACK`` is set to anything but ``""``, ``0``, ``false``, ``no``, ``off``."""
    value = os.environ.get(FULL_TRACEBACK_ENV, "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


def filter_traceback(tb: types.TracebackType | None) -> types.TracebackType | None:
    """The chain ``tb`` without the frames :func:`is_hidden_frame_file` hides (``tb``
    itself when it hides none)."""
    return _filtered(tb)[0]


def _filtered(tb: types.TracebackType | None) -> tuple[types.TracebackType | None, int]:
    kept, dropped = [], 0
    while tb is not None:
        if is_hidden_frame_file(tb.tb_frame.f_code.co_filename):
            dropped += 1
        else:
            kept.append(tb)
        tb = tb.tb_next
    if not dropped:
        return (kept[0] if kept else None), 0
    filtered = None
    for entry in reversed(kept):
        filtered = types.TracebackType(filtered, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return filtered, dropped


def _is_user_error(err: BaseException) -> bool:
    """Errors about the user's input: ``AlloError``s (not internal errors) and exceptions
    an entry point marked (a wrong call of a primitive method is Python's ``TypeError``)."""
    return bool(getattr(err, "user_error", False))


def _present(err: BaseException) -> None:
    """Prepare a user error for the user: locate it, filter its traceback, hide causes."""
    if getattr(err, "loc", False) is None and hasattr(err, "locate"):
        err.locate(SourceLoc.user_call_site())
    if full_traceback_requested():
        _reveal_causes(err)
        return
    filtered, dropped = _filtered(err.__traceback__)
    if dropped:
        err.__traceback__ = filtered
    if err.__cause__ is not None:
        # keep the cause (``__context__``), shown again with ALLO_FULL_TRACEBACK=1
        err.__context__, err.__cause__ = err.__cause__, None
    if err.__context__ is not None:
        err.__suppress_context__ = True
    hidden = [what for what, present in (("its internal frames", dropped),
                                         ("the cause of this error", err.__context__))
              if present]
    notes = getattr(err, "__notes__", [])
    if hidden and not any(note.startswith("(allo hid ") for note in notes):
        err.add_note(_HIDDEN_NOTE.format(what=" and ".join(hidden)))


def _reveal_causes(err: BaseException) -> None:
    """Show every cause and context of ``err``'s chain (``raise ... from None`` included)."""
    seen = set()
    current = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if current.__context__ is not None:
            current.__suppress_context__ = False
        current = current.__cause__ or current.__context__


F = TypeVar("F", bound=Callable)


def public_entry(fn: F) -> F:
    """Mark ``fn`` as a public entry point: a user error leaving it is located at the
    user's call (unless it already names a place) and shows the user's frames only.

    >>> @public_entry
    ... def entry():
    ...     raise ValueError("not a user error: traceback kept")
    >>> entry.__wrapped__.__name__
    'entry'
    """

    @functools.wraps(fn)
    def entry(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except BaseException as err:
            present_user_error(err)
            raise  # a bare raise keeps the filtered traceback and adds no frame of ours

    entry.__allo_public_entry__ = True
    return entry  # type: ignore[return-value]


def present_user_error(err: BaseException) -> None:
    """What :func:`public_entry` does with an exception leaving an entry point, for hot entry
    points that handle it inline instead of paying for the wrapper's frame (mark them
    ``__allo_public_entry__ = True``).

    >>> present_user_error(ValueError("internal: left as it is"))
    """
    if _is_user_error(err):
        _present(err)


def public_methods(cls: type) -> type:
    """Make every public method ``cls`` defines (and ``__init__``/``__call__``) a
    :func:`public_entry`; returns ``cls`` (usable as a class decorator)."""
    for name, value in list(vars(cls).items()):
        if name.startswith("_") and name not in ("__init__", "__call__"):
            continue
        if not inspect.isfunction(value) or getattr(value, "__allo_public_entry__", False):
            continue
        setattr(cls, name, public_entry(value))
    return cls


def as_user_error(err: BaseException) -> BaseException:
    """Mark a non-``AlloError`` exception (a wrong call is Python's ``TypeError``) as the
    user's mistake, so entry points filter its traceback too; returns ``err``."""
    err.user_error = True
    return err


__all__ = [
    "FULL_TRACEBACK_ENV",
    "SourceLoc",
    "render",
    "message_of",
    "is_library_file",
    "is_hidden_frame_file",
    "user_stacklevel",
    "full_traceback_requested",
    "filter_traceback",
    "public_entry",
    "public_methods",
    "present_user_error",
    "as_user_error",
]
