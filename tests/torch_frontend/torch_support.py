"""Import torch for the PyTorch-frontend tests, or skip them.

Without torch (the core install) every test here is skipped. CI's torch job sets
``ALLO_REQUIRE_TORCH=1``: a missing torch is then an import error (a failed run), never a
silent skip.
"""

from __future__ import annotations

import os

import pytest

REQUIRE_ENV = "ALLO_REQUIRE_TORCH"


def require_torch():
    """``torch``; skips the calling module when it is absent, unless ``ALLO_REQUIRE_TORCH=1``."""
    if os.environ.get(REQUIRE_ENV) == "1":
        import torch  # noqa: PLC0415 - an ImportError here fails the run, as wanted

        return torch
    return pytest.importorskip("torch", reason='the PyTorch frontend tests need torch '
                                               '(pip install "allo[torch]")')
