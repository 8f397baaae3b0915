"""Property tests: random sequences of split/reorder/fuse/unroll on random nest extents keep
CPU results bit-exact, and refused steps leave the IR unchanged."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import allo
from allo.ir.types import int32

from helpers_schedule import assert_replay_identical

N0, N1, N2 = 3, 4, 5  # replaced through global_vars


def nest3(A: int32[N0, N1, N2]) -> int32[N0, N1]:
    out: int32[N0, N1] = 0
    for i, j, k in allo.grid(N0, N1, N2, name="nest"):
        out[i, j] += A[i, j, k] * (k + 1) - i
    return out


def nest3_ref(A):
    n0, n1, n2 = A.shape
    k = np.arange(n2)[None, None, :]
    i = np.arange(n0)[:, None, None]
    return (A * (k + 1) - i).sum(axis=2).astype(np.int32)


step = st.tuples(st.sampled_from(["split", "reorder", "fuse", "unroll"]),
                 st.integers(0, 10 ** 6), st.integers(0, 10 ** 6))


def _apply(s, kind, a, b):
    loops = [name for name, _ in s.get_loops().nest]
    if kind == "split":
        name = loops[a % len(loops)]
        s.split(f"nest.{name}", 1 + b % 6)
    elif kind == "reorder":
        first = a % len(loops)
        second = (first + 1 + b % max(1, len(loops) - 1)) % len(loops)
        picked = [loops[first], loops[second]]
        s.reorder(*[f"nest.{n}" for n in picked])
    elif kind == "fuse":
        pos = a % len(loops)
        pair = loops[pos:pos + 2]
        s.fuse(*[f"nest.{n}" for n in pair])
    else:
        s.unroll(f"nest.{loops[a % len(loops)]}", b % 4)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(2, 7)),
       st.lists(step, min_size=1, max_size=5))
def test_random_loop_schedules_preserve_results(extents, steps):
    gv = dict(nest3.__globals__, N0=extents[0], N1=extents[1], N2=extents[2])
    s = allo.customize(nest3, global_vars=gv)
    for kind, a, b in steps:
        before = str(s.module)
        try:
            _apply(s, kind, a, b)
        except allo.ScheduleError:
            assert str(s.module) == before
    A = np.random.default_rng(sum(extents)).integers(-20, 20, extents).astype(np.int32)
    np.testing.assert_array_equal(s.build()(A), nest3_ref(A))
    assert_replay_identical(nest3, s, global_vars=gv)
