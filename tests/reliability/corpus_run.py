"""Run corpus cases through a :class:`corpus_pool.WorkerPool` and check each outcome.

``python tests/reliability/corpus_run.py [NAME_FRAGMENT ...]`` prints one line per case (used
when writing new cases); the pytest module ``test_corpus.py`` uses :func:`all_cases` and
:func:`write_case`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

from corpus_case import Case, MissingLocation, check_outcome, python_supports


def all_cases() -> list[Case]:
    """Every corpus case, in a stable order (names are unique)."""
    import corpus_schedule
    import corpus_streams
    import corpus_syntax
    import corpus_types
    import corpus_runtime

    cases = (corpus_syntax.CASES + corpus_types.CASES + corpus_schedule.CASES
             + corpus_streams.CASES + corpus_runtime.CASES)
    names = [case.name for case in cases]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"duplicate corpus case names: {duplicates}")
    return cases


def write_case(case: Case, directory: str) -> str:
    """Write the case program to ``directory`` and return its real absolute path."""
    path = os.path.realpath(os.path.join(directory, f"case_{case.name}.py"))
    with open(path, "w") as handle:
        handle.write(case.text)
    return path


def main(argv: list[str]) -> int:
    """Run the selected cases and print a verdict per case."""
    from corpus_pool import WorkerPool

    cases = [c for c in all_cases() if python_supports(c)
             and (not argv or any(a in c.name for a in argv))]
    directory = tempfile.mkdtemp(prefix="allo-corpus-")
    pool = WorkerPool(size=2, timeout=60)
    start = time.monotonic()
    futures = [(case, path, pool.submit(path, case.timeout or None))
               for case in cases for path in [write_case(case, directory)]]
    bad = 0
    for case, path, future in futures:
        result = future.result()
        try:
            check_outcome(case, path, result)
            verdict = "PASS"
        except MissingLocation as exc:
            verdict = "NOLOC"
            reason = str(exc)
        except AssertionError as exc:
            verdict = "FAIL"
            reason = str(exc)
        expected_bad = case.xfail or (case.unlocated and verdict == "NOLOC")
        marked = case.xfail or case.unlocated
        if verdict != "PASS" and not expected_bad or verdict == "PASS" and marked:
            bad += 1
            text = reason if verdict != "PASS" else "unexpectedly passes"
            print(f"{verdict:5} {case.name}: {text}".replace(directory, "<dir>")[:900])
    pool.close()
    print(f"{len(cases)} cases, {bad} unexpected, {time.monotonic() - start:.1f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
