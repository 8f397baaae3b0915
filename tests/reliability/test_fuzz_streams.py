"""Differential fuzzing of ``s.to`` FIFOs: random producer/consumer programs (``fuzz_streams``).

The CPU build must equal the reference interpreter before and after a schedule that streams
the intermediate arrays with random depths; a refused ``to`` (or other primitive) must be a
ScheduleError that leaves the IR unchanged. ``benchmarks/fuzz.py --streams`` runs many more.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz_gen import DrawChooser, RandomChooser
from fuzz_harness import FUZZ_SETTINGS, assert_ok, workdir  # noqa: F401 (fixture)
from fuzz_streams import generate_stream_case, run_stream_case

COUNTER = itertools.count()


@settings(max_examples=6, **FUZZ_SETTINGS)
@given(data=st.data())
def test_streamed_programs_match_reference(workdir, data):
    """Six shrinkable stream programs (decisions drawn by hypothesis)."""
    case = generate_stream_case(DrawChooser(data))
    assert_ok(run_stream_case(case, f"sh{next(COUNTER)}", workdir))


@settings(max_examples=6, **FUZZ_SETTINGS)
@given(seed=st.integers(0, 2**32 - 1))
def test_seeded_stream_programs_match_reference(workdir, seed):
    """Six programs drawn like the benchmark's ``--streams`` mode."""
    assert_ok(run_stream_case(generate_stream_case(RandomChooser(seed)), f"sr{next(COUNTER)}",
                              workdir))


@pytest.mark.csim
def test_stream_program_in_c_simulation(workdir):
    """A seeded case whose FIFOs are all accepted, through C simulation too."""
    for seed in itertools.count(500):
        case = generate_stream_case(RandomChooser(seed))
        if case.primitives().count("to") >= 2 and set(case.primitives()) == {"to"} \
                and not case.partial:
            break
    outcome = run_stream_case(case, "scsim", workdir, csim=True)
    assert_ok(outcome)
    assert not outcome.refused, outcome.refused


def test_stream_generator_covers_processes_depths_and_illegal_requests():
    kinds, depths, lines = set(), set(), []
    partial = double_read = 0
    for seed in range(150):
        case = generate_stream_case(RandomChooser(seed))
        kinds.update(p.kind for p in case.processes)
        partial += case.partial
        double_read += any(len(p.sources) == 2 and p.sources[0] == p.sources[1]
                           for p in case.processes)
        lines += case.schedule
        depths.update(line.split("depth=")[1].rstrip(")") for line in case.schedule
                      if line.startswith("s.to(") and "depth=" in line)
    assert kinds == {"stage", "func", "nested"}
    assert {"-1", "1", "2", '"auto"'} <= depths
    assert partial and double_read
    assert {line.split("(")[0] for line in lines} >= {
        "s.to", "s.pipeline", "s.unroll", "s.split", "s.reorder", "s.partition", "s.compute_at"}
