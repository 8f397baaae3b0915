"""A Griffe extension for the API reference: docstring examples become code blocks.

Docstrings hold doctest examples (``>>> code`` lines, ``...`` continuations and the expected
output). Markdown would read them as prose (``>>> # note`` even as a heading), so each run of
example lines is wrapped in a fenced ``pycon`` block before the docstring is rendered.
"""

from __future__ import annotations

import re

import griffe

PROMPT = re.compile(r"^(\s*)>>>")


def fence_examples(text: str) -> str:
    """``text`` with every run of doctest lines (prompt, continuations, output up to the next
    blank line) inside a fenced code block."""
    out: list[str] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = PROMPT.match(lines[index])
        if not match:
            out.append(lines[index])
            index += 1
            continue
        indent = match.group(1)
        out.append(f"{indent}```pycon")
        while index < len(lines) and lines[index].strip():
            out.append(lines[index])
            index += 1
        out.append(f"{indent}```")
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Fence the doctest examples of every loaded object's docstring."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:  # noqa: D102
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_examples(obj.docstring.value)
