"""Kernel source: parsing, absolute line numbers, and located frontend errors."""

from __future__ import annotations

import ast
import inspect
import linecache
import os
import sys
import textwrap
from dataclasses import dataclass

from ..diagnostics import message_of
from ..errors import AlloSyntaxError, AlloTypeError, DTypeError, FrontendError


@dataclass
class KernelSource:
    """The parsed source of one kernel function (or a nested ``def`` inside one)."""

    tree: ast.FunctionDef
    filename: str
    lines: list  # the file's lines (absolute numbering = index + 1)
    line_offset: int  # add to AST line numbers to get absolute lines

    @staticmethod
    def of_function(fn) -> "KernelSource":
        """Parse ``fn``'s source; lambdas and classes are rejected by the caller's visitor."""
        if isinstance(fn, str):
            try:
                tree = ast.parse(textwrap.dedent(fn))
            except SyntaxError as err:
                where = f" (line {err.lineno} of the string)" if err.lineno else ""
                raise AlloSyntaxError(f"the kernel source string is not valid Python: "
                                      f"{err.msg}{where}", **caller_location()) from err
            lines = textwrap.dedent(fn).splitlines()
            defs = [n for n in tree.body
                    if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
            if not defs:
                raise AlloSyntaxError("the source string holds no function definition",
                                      **caller_location())
            _refuse_async(defs[-1], "<string>", defs[-1].lineno, lines)
            return KernelSource(defs[-1], "<string>", lines, 0)
        try:
            src_lines, start = inspect.getsourcelines(fn)
            filename = inspect.getsourcefile(fn) or "<unknown>"
        except (OSError, TypeError) as err:
            raise AlloSyntaxError(f"cannot read the source of {fn!r}: {err}") from err
        filename = os.path.abspath(filename) if not filename.startswith("<") else filename
        code = textwrap.dedent("".join(src_lines))
        try:
            module = ast.parse(code)
        except SyntaxError as err:
            # a lambda or an expression fragment: report it as unsupported
            raise AlloSyntaxError(
                'Unsupported node "Lambda"', filename, start, getattr(fn, "__name__", "?"),
                src_lines[0] if src_lines else "",
            ) from err
        node = module.body[0]
        if isinstance(node, ast.Assign) or getattr(fn, "__name__", "") == "<lambda>":
            raise AlloSyntaxError('Unsupported node "Lambda"', filename, start,
                                  "<lambda>", src_lines[0] if src_lines else "")
        if isinstance(node, ast.ClassDef):
            raise AlloSyntaxError('Unsupported node "ClassDef"', filename, start,
                                  node.name, src_lines[0])
        try:
            with open(filename, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError:
            lines = [""] * (start - 1) + [ln.rstrip("\n") for ln in src_lines]
        _refuse_async(node, filename, node.lineno + start - 1, lines)
        return KernelSource(node, filename, lines, start - 1)

    def nested(self, node: ast.FunctionDef) -> "KernelSource":
        return KernelSource(node, self.filename, self.lines, self.line_offset)

    def abs_line(self, node) -> int:
        return getattr(node, "lineno", 1) + self.line_offset

    def source_line(self, node) -> str:
        line = self.abs_line(node)
        if 1 <= line <= len(self.lines):
            return self.lines[line - 1].strip()
        return ""

    def locate(self, err: Exception, node, func_name: str) -> FrontendError:
        """Turn any error raised while compiling ``node`` into a located FrontendError."""
        if isinstance(err, FrontendError):
            return err.with_location(self.filename, self.abs_line(node), func_name,
                                     self.source_line(node))
        if isinstance(err, DTypeError):
            cls, msg = AlloTypeError, message_of(err)
        elif isinstance(err, RecursionError):
            cls, msg = AlloSyntaxError, "kernel too deeply nested (recursion limit reached)"
        else:
            cls = AlloSyntaxError
            msg = f"failed to compile this statement ({type(err).__name__}: {message_of(err)})"
        return cls(msg, self.filename, self.abs_line(node), func_name, self.source_line(node))


def caller_location() -> dict:
    """``filename``/``lineno``/``func_name``/``source`` of the user's line that called allo.

    That is the innermost frame outside the ``allo`` package: it locates errors about what
    was passed to ``customize`` itself, before there is any kernel source to point into.
    """
    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module != "allo" and not module.startswith("allo."):
            filename, lineno = frame.f_code.co_filename, frame.f_lineno
            return {"filename": filename, "lineno": lineno, "func_name": frame.f_code.co_name,
                    "source": linecache.getline(filename, lineno)}
        frame = frame.f_back
    return {}


def _refuse_async(node, filename: str, line: int, lines: list) -> None:
    """Kernels are plain functions: an ``async def`` (a coroutine) has no hardware meaning."""
    if isinstance(node, ast.AsyncFunctionDef):
        text = lines[line - 1] if 1 <= line <= len(lines) else ""
        raise AlloSyntaxError('Unsupported node "AsyncFunctionDef": a kernel cannot be an '
                              "async function", filename, line, node.name, text)
