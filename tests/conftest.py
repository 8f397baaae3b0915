"""Project-wide pytest options.

``--update-golden`` rewrites the golden files compared by tests (for instance the emitted
HLS C++ under ``tests/backend/hls/golden/``) instead of failing on a difference.

The whole suite runs with ``ALLO_VERIFY_IR=1``: the module is verified after every schedule
primitive, so a primitive that leaves invalid IR fails the test that applied it.
"""

import os
import tempfile

import pytest

# share the precompiled HLS headers of C simulation between the many test projects
os.environ.setdefault("ALLO_CACHE_DIR", os.path.join(tempfile.gettempdir(), "allo-test-cache"))
# verify the IR after every schedule primitive (allo/schedule/registry.py)
os.environ.setdefault("ALLO_VERIFY_IR", "1")


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden files instead of comparing against them")


@pytest.fixture
def update_golden(request) -> bool:
    """Whether ``--update-golden`` was given."""
    return bool(request.config.getoption("--update-golden"))
