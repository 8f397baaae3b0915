"""Differential fuzzing with hypothesis: random well-typed kernels and schedules.

Each example is a random program (:mod:`fuzz_gen`) over one type family; the CPU build must
equal the reference interpreter (:mod:`fuzz_interp`) bit for bit, before and after a random
schedule, and a few examples also go through HLS C simulation. A refused primitive must be a
ScheduleError that leaves the IR unchanged. ``benchmarks/fuzz.py`` runs the same checks on
many more cases.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import allo
from fuzz_check import load_module, run_case
from fuzz_gen import FAMILIES, DrawChooser, RandomChooser, generate
from fuzz_harness import FUZZ_SETTINGS, assert_ok, workdir  # noqa: F401 (fixture)
from fuzz_interp import Interpreter
from fuzz_program import (Bin, Cast, DeclArray, Kernel, Lit, Load, Loop, Name, Param, Program,
                          Store, TypeEnv)
from fuzz_semantics import (FLOAT32, Fixed, Int, UFixed, UInt, Unspecified, binary, convert,
                            round_to_float, rule_add, rule_cmp, rule_div, rule_mul)

COUNTER = itertools.count()


@pytest.mark.parametrize("family", sorted(FAMILIES))
@settings(max_examples=10, **FUZZ_SETTINGS)
@given(data=st.data())
def test_cpu_and_schedule_match_reference(workdir, family, data):
    """Ten shrinkable examples per type family (decisions drawn by hypothesis)."""
    case = generate(DrawChooser(data), families=[family])
    assert_ok(run_case(case, f"h{next(COUNTER)}", workdir))


@settings(max_examples=20, **FUZZ_SETTINGS)
@given(seed=st.integers(0, 2**32 - 1))
def test_seeded_programs_match_reference(workdir, seed):
    """Twenty programs drawn like the benchmark's (uniform choices: more primitives per case)."""
    assert_ok(run_case(generate(RandomChooser(seed)), f"r{next(COUNTER)}", workdir))


@pytest.mark.csim
@pytest.mark.parametrize("family", sorted(FAMILIES)[:3])
def test_csim_matches_reference(workdir, family):
    """One seeded case per family (three families) through C simulation too."""
    for seed in itertools.count(1000):
        case = generate(RandomChooser(seed), families=[family])
        if case.schedule and case.program.top.results:
            break
    assert_ok(run_case(case, f"c{family}", workdir, csim=True))


# --------------------------------------------------------------------------- the instrument itself


def test_reference_typing_follows_the_worked_examples():
    """language.md §5.3, as computed by the reference."""
    assert rule_add(Int(8), UInt(8)) == Int(10)
    assert rule_add(UInt(17), UInt(17)) == UInt(18)
    assert rule_mul(Fixed(8, 3), Fixed(12, 6)) == Fixed(20, 9)
    assert rule_add(UFixed(8, 4), Int(4)) == Fixed(10, 4)
    assert rule_div(Fixed(8, 3), Int(8)) == Fixed(16, 11)
    assert rule_div(Int(8), Fixed(12, 6)) == Fixed(20, 6)
    assert rule_cmp(UInt(8), Int(8)) == Int(9)


def test_reference_conversions_and_operations():
    assert convert(300, Int(32), Int(8)) == 44
    assert convert(-1, Int(8), UInt(8)) == 255
    assert convert(np.float32(-2.75), FLOAT32, Int(8)) == -2  # truncation toward zero
    assert convert(np.float32(-2.75), FLOAT32, Fixed(8, 1)) == -6  # floor(-5.5)
    assert convert(43, Fixed(8, 3), Int(8)) == 5 and convert(-43, Fixed(8, 3), Int(8)) == -5
    assert binary("%", -7, Int(8), 3, Int(8))[0] == -1  # C remainder
    assert binary("//", -7, Int(8), 2, Int(8))[0] == -4  # floor division
    assert binary("<<", 43, Fixed(8, 3), 2, Int(32))[0] == -84  # 5.375 << 2 wraps to -10.5
    assert binary(">>", 43, Fixed(8, 3), 2, Int(32))[0] == 10  # 1.25
    assert round_to_float(2**24 + 1, 32) == np.float32(2**24)
    with pytest.raises(Unspecified):
        binary("/", 1, Int(8), 0, Int(8))


def test_reference_interpreter_detects_a_wrong_kernel(workdir):
    """A kernel whose source differs from the program (``-`` for ``+``) is reported."""
    index = (("i", 0),)
    body = [DeclArray("Y", Int(9), (4,)),
            Loop("range", ("i",), (4,), [Store("Y", index, Bin("+", Load("X", index), Lit(3)))])]
    program = Program([Kernel("top", [Param("X", Int(8), (4,))], [Param("Y", Int(9), (4,))], body)])
    assert program.source().count("+ 3") == 1
    module_source = program.source().replace("+ 3", "- 3")
    module = load_module(module_source, workdir, "wrong")
    values = np.array([1, 2, 3, 127], np.int8)
    expected, _ = Interpreter(program).run_top({"X": np.array([1, 2, 3, 127], dtype=object)})
    got = allo.customize(module.top).build()(values)
    assert list(expected[0]) == [4, 5, 6, 130]
    assert not np.array_equal(got, np.array(list(expected[0]), np.int16))


def test_generator_covers_every_family_and_stage_kind():
    families, kinds, primitives = set(), set(), set()
    for seed in range(60):
        case = generate(RandomChooser(seed))
        families.add(case.family)
        kinds.update(stage.kind for stage in case.stages)
        primitives.update(case.primitives())
    assert families == set(FAMILIES)
    assert kinds == {"map", "reduce", "stencil", "recurrence"}
    assert {"split", "reorder", "fuse", "unroll", "pipeline", "partition", "reuse_at",
            "buffer_at", "compute_at", "compose"} <= primitives


def test_reference_keeps_index_arithmetic_with_constants_in_index(workdir):
    """``index op <int constant>`` is ``index`` (the frontend keeps it affine; literals,
    ``int(<literal>)`` and folded constant arithmetic count), while an ``int32`` variable
    makes it ``Int(34)`` (language.md §5.3). Found by the stream fuzzer: ``X - (b + 6)`` with
    ``X: UInt(17)`` wraps as unsigned."""
    index = (("a", 0), ("b", 0))
    k = Kernel("k", [], [], [])
    env = TypeEnv(Program([k]), k)
    env.scalars["n"] = Int(32)
    b = Name("b")
    assert env.type_of(Bin("+", b, Lit(6))).kind == "index"
    assert env.type_of(Bin("*", Cast("int", Lit(-11)), b)).kind == "index"
    assert env.type_of(Bin("*", Cast("int", Lit(2.5)), b)).kind == "index"
    assert env.type_of(Bin("+", b, Bin("+", Lit(3), Lit(4)))).kind == "index"
    assert env.type_of(Bin("+", b, Name("n"))) == Int(34)
    body = [DeclArray("Y", Int(40), (2, 4)),
            Loop("grid", ("a", "b"), (2, 4),
                 [Store("Y", index, Bin("-", Load("X", index), Bin("+", b, Lit(6))))])]
    program = Program([Kernel("top", [Param("X", UInt(17), (2, 4))], [Param("Y", Int(40), (2, 4))],
                              body)])
    X = np.arange(8, dtype=np.uint32).reshape(2, 4)
    expected, _ = Interpreter(program).run_top({"X": X.astype(object)})
    module = load_module(program.source(), workdir, "index_constants")
    got = allo.customize(module.top).build()(X)
    assert expected[0][0, 0] == (1 << 33) - 6  # UInt(33): 0 - 6 wraps
    np.testing.assert_array_equal(got, np.array(expected[0].tolist(), dtype=np.int64))
