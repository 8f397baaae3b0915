"""What the fuzz test modules share: hypothesis settings, the outcome check, a work folder."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck

from fuzz_check import Outcome

# Reproducible runs (derandomized, no example database); compiling a case takes a while.
FUZZ_SETTINGS = dict(deadline=None, derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def assert_ok(outcome: Outcome) -> None:
    """Fail with every mismatch and error of ``outcome`` and its reproducer script."""
    detail = "\n".join(f"{stage}: {what}" for stage, what in outcome.mismatches + outcome.errors)
    assert outcome.ok, f"{detail}\n--- reproducer ---\n{outcome.reproducer}"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, request) -> str:
    """One folder per test module for the generated kernel files and C simulation projects."""
    return str(tmp_path_factory.mktemp(request.module.__name__))
