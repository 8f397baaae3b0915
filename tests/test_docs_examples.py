"""Every code example of the user guide (docs/guide/*.md) runs, and shows what it prints.

The ```python blocks of one page run in order in one namespace, each from a real file so the
kernel frontend can read its source. A ```text or ```cpp block that directly follows a python
block which printed something is that block's expected output: each of its lines (``...``
lines excepted) must appear, in order, among the printed lines. A block that imports torch
skips the rest of its page when torch is missing; a block building for C simulation does the
same when g++ or the ap_int headers are missing. The site itself builds with
``mkdocs build --strict`` when mkdocs is installed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "guide"
PAGES = sorted(GUIDE.glob("*.md"))
FENCE = re.compile(r"^```([A-Za-z0-9_+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
OUTPUT_LANGS = {"text", "cpp"}


def code_blocks(text: str) -> list[tuple[str, str, int]]:
    """``(language, code, first line number)`` of every fenced block of a page."""
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 2)
            for m in FENCE.finditer(text)]


def examples(text: str) -> list[tuple[str, int, str | None]]:
    """``(python code, line, expected output or None)`` for each python block."""
    blocks = code_blocks(text)
    found = []
    for index, (lang, code, line) in enumerate(blocks):
        if lang != "python":
            continue
        expected = None
        if index + 1 < len(blocks) and blocks[index + 1][0] in OUTPUT_LANGS:
            expected = blocks[index + 1][1]
        found.append((code, line, expected))
    return found


def missing_requirement(code: str) -> str | None:
    """Why this block cannot run here, or ``None``."""
    if re.search(r"^\s*(import torch|from torch)", code, re.M) and \
            importlib.util.find_spec("torch") is None:
        return "needs PyTorch"
    if sys.version_info < (3, 12) and re.search(r"^\s*def \w+\[", code, re.M):
        return "needs Python 3.12 (templates written with PEP 695 syntax)"
    if 'mode="csim"' in code:
        from allo.backend.hls import is_available
        if not is_available("csim"):
            return "needs g++ and the ap_int headers (C simulation)"
    return None


SOURCE_LINE_COMMENT = re.compile(r"\s*// L\d+$")


def normalized(line: str) -> str:
    """``line`` without surrounding blanks and the HLS code's ``// L<n>`` source-line comment
    (the guide omits it: it depends on where the example sits in the page)."""
    return SOURCE_LINE_COMMENT.sub("", line.strip()).strip()


def assert_output_shown(printed: str, expected: str, where: str) -> None:
    """Every non-``...`` line of ``expected`` appears in ``printed``, in order."""
    lines = [normalized(line) for line in printed.splitlines()]
    position = 0
    for want in (normalized(line) for line in expected.splitlines()):
        if not want or want == "...":
            continue
        try:
            position = lines.index(want, position) + 1
        except ValueError:
            raise AssertionError(f"{where}: the documented output line {want!r} is not "
                                 f"printed (in order); printed:\n{printed}") from None


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_guide_examples_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"guide_{page.stem}"}
    for number, (code, line, expected) in enumerate(examples(page.read_text())):
        reason = missing_requirement(code)
        if reason:
            pytest.skip(f"{page.name}:{line} and later examples {reason}")
        # Pad so tracebacks and located errors show the line number in the page.
        path = tmp_path / f"{page.stem}_{number}.py"
        path.write_text("\n" * (line - 1) + code)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102
        if expected is not None and printed.getvalue():
            assert_output_shown(printed.getvalue(), expected, f"{page.name}:{line}")


def test_every_guide_page_has_runnable_examples():
    for page in PAGES:
        if page.stem in {"api", "internals"}:
            continue
        assert examples(page.read_text()), f"{page.name} has no python example"


def test_nav_pages_exist():
    nav = re.findall(r":\s*([\w/.-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), re.M)
    assert nav, "mkdocs.yml has no nav"
    for rel in nav:
        assert (ROOT / "docs" / rel).is_file(), f"nav page {rel} does not exist"
    listed = set(nav)
    for page in PAGES:
        assert f"guide/{page.name}" in listed, f"{page.name} is not in the nav"


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None
                    or importlib.util.find_spec("mkdocstrings") is None
                    or importlib.util.find_spec("material") is None,
                    reason="mkdocs is not installed (pip install \"allo[docs]\")")
def test_site_builds_strict(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict",
                           "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "guide" / "api" / "index.html").is_file()


def test_guide_stands_alone():
    """The guide cites no file a user of the package does not have (the project's specs)."""
    for page in PAGES + [ROOT / "docs" / "index.md"]:
        text = page.read_text()
        # Links to the guide's own pages, ``(language.md)``, are fine; citations are not.
        for cited in re.findall(r"(?<![(\w])(?:language|schedule|backends)\.md\b|spec/|§", text):
            raise AssertionError(f"{page.name} cites {cited!r}, which users do not have")
