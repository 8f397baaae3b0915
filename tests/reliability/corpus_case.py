"""The data type of the bad-input corpus and the checks applied to every outcome.

A :class:`Case` is a small Python program written the way a user would write it. The corpus
runner prepends :data:`HEADER`, writes it to a file and executes it in a worker process
(:mod:`corpus_pool`). If the program defines ``trigger()``, the file is executed first (it must
not fail) and the error is expected from ``trigger()``; a module-level ``s`` that is a
``Schedule`` is then compared before and after (a refused primitive must not change the IR).

The line marked ``# ERR`` is where the message must point: the offending statement for
frontend errors, the primitive call for schedule errors, the ``mod(...)`` or ``s.build(...)``
call for call-time and build errors.
"""

from __future__ import annotations

import re
import sys
import textwrap
from dataclasses import dataclass

HEADER = "import numpy as np\nimport allo\nfrom allo.ir.types import *\n"
MARKER = "# ERR"
OK = "ok"


class MissingLocation(AssertionError):
    """The error was right but its message does not name the user's file and line."""


@dataclass(frozen=True)
class Case:
    """One bad input and what allo must answer."""

    name: str
    source: str
    expect: str  # an AlloError subclass name, or OK when the input is legal
    fragment: str = ""  # substring the message must contain
    xfail: str = ""  # the library gets this case wrong (any check may fail)
    unlocated: str = ""  # right class, but the message lacks file/line (location check fails)
    located: bool = True  # False only for errors raised by Python-level code outside allo
    timeout: float = 0.0  # seconds before the case counts as a hang (0: the pool's default)

    @property
    def text(self) -> str:
        """The complete program as written to disk."""
        return HEADER + textwrap.dedent(self.source).strip("\n") + "\n"

    @property
    def needs_pep695(self) -> bool:
        """Whether the snippet uses ``def k[T](...)`` template syntax (Python 3.12)."""
        return re.search(r"^\s*def \w+\[", self.text, re.M) is not None

    def error_line(self) -> int:
        """1-based line of the ``# ERR`` marker in :attr:`text`."""
        lines = [n for n, line in enumerate(self.text.splitlines(), 1) if MARKER in line]
        if len(lines) != 1:
            raise ValueError(f"case {self.name}: expected one {MARKER} marker, found {len(lines)}")
        return lines[0]


def check_outcome(case: Case, path: str, result: dict) -> None:
    """Assert that ``result`` (from the worker) is what ``case`` demands.

    Raises ``AssertionError`` for a wrong class, message, crash, hang or changed IR, and
    :class:`MissingLocation` when only the file/line is missing from the message.
    """
    outcome = result["outcome"]
    detail = result.get("message", "") + "\n" + result.get("stderr", "")
    assert outcome not in ("crashed", "hang"), f"{case.name}: worker {outcome}: {detail}"
    assert outcome != "harness", f"{case.name}: broken case: {detail}"
    if case.expect == OK:
        assert outcome == "ok", f"{case.name}: unexpected {result.get('cls')}: {detail}"
        return
    assert outcome == "raised", f"{case.name}: no error raised (expected {case.expect})"
    message = result["message"]
    assert case.expect in result["mro"], (
        f"{case.name}: expected {case.expect}, got {result['cls']}: {message}\n"
        f"{result.get('traceback', '')[-300:]}")
    assert "AlloError" in result["mro"] or not case.located, result["mro"]
    assert case.fragment in message, f"{case.name}: {case.fragment!r} not in {message!r}"
    assert "Traceback" not in message and "torch_mlir" not in message, message
    if result.get("ir_unchanged") is False:
        raise AssertionError(f"{case.name}: the refused primitive changed the schedule")
    if not case.located:
        return
    line = case.error_line()
    if f'File "{path}"' not in message or f"Line: {line}" not in message:
        raise MissingLocation(f"{case.name}: message does not point at {path}:{line}: {message!r}")


def python_supports(case: Case) -> bool:
    """Whether this interpreter can parse the case at all."""
    return not case.needs_pep695 or sys.version_info >= (3, 12)
