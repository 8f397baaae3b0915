"""torch stays optional: the core install never pulls it and ``import allo`` never imports it;
the ``[torch]`` extra admits the CPU build we test with (2.13.0)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_core_dependencies_do_not_include_torch():
    names = {Requirement(r).name for r in _project()["dependencies"]}
    assert "torch" not in names


def test_torch_extra_is_a_range_that_admits_2_13_0():
    (req,) = [Requirement(r) for r in _project()["optional-dependencies"]["torch"]]
    assert req.name == "torch"
    assert req.specifier.contains("2.13.0")
    assert not req.specifier.contains("3.0.0")
    assert len(req.specifier) >= 2  # a range, not a pin


def test_import_allo_does_not_import_torch():
    code = "import sys, allo, allo.library.nn; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "False"


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="torch is installed")
def test_from_pytorch_without_torch_says_how_to_install_it():
    import allo

    with pytest.raises(ImportError, match=r'pip install "allo\[torch\]"'):
        allo.frontend.from_pytorch(object(), [])
