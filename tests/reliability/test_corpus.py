"""Bad-input corpus: every mistake in ``corpus_*.py`` must give the right AlloError, pointing
at the user's line, without crashing or hanging the process (cases run in worker processes).

Cases the library currently gets wrong are strict xfails: they fail loudly once fixed, so the
marker gets removed together with the bug.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from corpus_case import Case, MissingLocation, check_outcome, python_supports
from corpus_pool import WorkerPool
from corpus_run import all_cases, write_case

CASES = all_cases()
UNDER_XDIST = "PYTEST_XDIST_WORKER" in os.environ


def _param(case: Case):
    marks = []
    if not python_supports(case):
        marks.append(pytest.mark.skip(reason="PEP 695 templates need Python 3.12"))
    if case.xfail:
        marks.append(pytest.mark.xfail(strict=True, reason=case.xfail))
    elif case.unlocated:
        marks.append(pytest.mark.xfail(strict=True, raises=MissingLocation, reason=case.unlocated))
    return pytest.param(case, id=case.name, marks=marks)


class CorpusRunner:
    """Writes case files once and hands them to the worker pool (ahead of time when possible)."""

    def __init__(self, pool: WorkerPool, directory: str):
        self.pool = pool
        self.directory = directory
        self.futures = {}

    def submit(self, case: Case):
        if case.name not in self.futures:
            path = write_case(case, self.directory)
            self.futures[case.name] = (path, self.pool.submit(path, case.timeout or None))
        return self.futures[case.name]

    def result(self, case: Case) -> tuple[str, dict]:
        path, future = self.submit(case)
        return path, future.result()


@pytest.fixture(scope="session")
def corpus_runner(request):
    # Under xdist each test process runs only some cases: one worker each, no prefetch.
    pool = WorkerPool(size=1 if UNDER_XDIST else 2, timeout=60)
    directory = tempfile.mkdtemp(prefix="allo-corpus-")
    runner = CorpusRunner(pool, directory)
    if not UNDER_XDIST:
        selected = {item.callspec.params["case"].name for item in request.session.items
                    if item.originalname == "test_corpus_case"}
        for case in CASES:
            if case.name in selected and python_supports(case):
                runner.submit(case)
    yield runner
    pool.close()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_corpus_case(corpus_runner, case):
    path, result = corpus_runner.result(case)
    check_outcome(case, path, result)


def test_corpus_size_and_markers():
    """At least 250 bad inputs, each with one marked line (legal inputs excepted)."""
    errors = [case for case in CASES if case.expect != "ok"]
    assert len(errors) >= 250
    for case in errors:
        case.error_line()  # raises unless exactly one marker
    assert not [case.name for case in CASES if case.xfail and case.unlocated]


# --------------------------------------------------------------------------- the harness itself


@pytest.fixture
def scratch_pool():
    pool = WorkerPool(size=1, timeout=30)
    yield pool
    pool.close()


def _write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_pool_reports_a_crash_and_restarts(tmp_path, scratch_pool):
    crash = _write(tmp_path, "crash.py", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    fine = _write(tmp_path, "fine.py", "import allo\nx = 1\n")
    result = scratch_pool.run(crash)
    assert result["outcome"] == "crashed" and result["returncode"] == -11
    assert scratch_pool.run(fine)["outcome"] == "ok"
    assert scratch_pool.restarts == 1


def test_pool_reports_a_hang_and_restarts(tmp_path, scratch_pool):
    hang = _write(tmp_path, "hang.py", "while True:\n    pass\n")
    fine = _write(tmp_path, "fine.py", "x = 1\n")
    result = scratch_pool.run(hang, timeout=2)
    assert result["outcome"] == "hang" and result["seconds"] >= 2
    assert scratch_pool.run(fine)["outcome"] == "ok"


def test_pool_reports_exceptions_and_schedule_changes(tmp_path, scratch_pool):
    """A primitive that raised after changing the IR is caught by the before/after comparison."""
    text = (
        "import allo\nfrom allo.ir.types import int32\n"
        "def k(A: int32[8]):\n    for i in range(8):\n        A[i] = 0\n"
        "s = allo.customize(k)\n"
        "def trigger():\n    s.split('i', 2)\n    raise allo.ScheduleError('late')  # ERR\n"
    )
    result = scratch_pool.run(_write(tmp_path, "late.py", text))
    assert result["outcome"] == "raised" and result["cls"] == "ScheduleError"
    assert result["ir_unchanged"] is False
    case = Case("late", text, "ScheduleError")
    with pytest.raises(AssertionError, match="changed the schedule"):
        check_outcome(case, str(tmp_path / "late.py"), result)


def test_location_check_is_strict(tmp_path):
    """A message naming another line fails with MissingLocation (and only with it)."""
    case = Case("loc", "def k(A: int32[4]):\n    A[0] = B  # ERR\n", "AlloSyntaxError")
    path = str(tmp_path / "loc.py")
    message = f'name B is not defined\n  File "{path}", Line: 3, in k\n    x'
    result = {"outcome": "raised", "mro": ["AlloSyntaxError", "AlloError"], "message": message}
    with pytest.raises(MissingLocation):
        check_outcome(case, path, result)
    result["message"] = message.replace("Line: 3", f"Line: {case.error_line()}")
    check_outcome(case, path, result)
