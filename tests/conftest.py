"""Project-wide pytest options.

``--update-golden`` rewrites the golden files compared by tests (for instance the emitted
HLS C++ under ``tests/backend/hls/golden/``) instead of failing on a difference.
"""

import os
import tempfile

import pytest

# share the precompiled HLS headers of C simulation between the many test projects
os.environ.setdefault("ALLO_CACHE_DIR", os.path.join(tempfile.gettempdir(), "allo-test-cache"))


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden files instead of comparing against them")


@pytest.fixture
def update_golden(request) -> bool:
    """Whether ``--update-golden`` was given."""
    return bool(request.config.getoption("--update-golden"))
