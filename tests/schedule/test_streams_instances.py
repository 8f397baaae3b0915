"""``s.to`` with composition ids: ``dst`` function names follow the instance renames of
``schedule.md`` §6.2 (``drain`` -> ``drain_k0``), in replay and in direct use."""

import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import allo
from allo.ir.types import int32
from allo.ir.utils import MockBuffer

from helpers import check_csim
from helpers_schedule import assert_cpu_matches, assert_refused, assert_replay_identical

pytestmark = pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 695 needs 3.12")


@pytest.fixture(scope="module")
def T():
    spec = importlib.util.spec_from_file_location(
        "stream_kernels_pep695", pathlib.Path(__file__).with_name("stream_kernels_pep695.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def two_pipes_ref(x):
    return ((x * 3 - 5) * 3) - 5


def body_of(code: str, fname: str) -> str:
    start = code.index(f"void {fname}(")
    return code[start:code.index("\n}\n", start)]


def test_composed_function_destination_follows_the_id(T, tmp_path):
    sub = allo.customize(T.piped, instantiate=[int32, 16])
    sub.to(sub.Q, "drain", depth=2)
    s = allo.customize(T.two_pipes)
    s.compose(sub, id="k0")
    assert s.primitive_sequences == [("to", [MockBuffer("piped_k0", "Q"), "drain_k0"],
                                      {"depth": 2})]
    code = s.build(target="vhls").hls_code
    assert "#pragma HLS stream variable=Q depth=2" in body_of(code, "piped_k0")
    assert "hls::stream< int32_t > &Q" in body_of(code, "drain_k0")
    assert "hls::stream" not in body_of(code, "piped_k1")
    X = np.arange(-8, 8, dtype=np.int32)
    assert_cpu_matches(s, two_pipes_ref, X)
    check_csim(s, X, project=str(tmp_path / "p"))
    assert_replay_identical(T.two_pipes, s)


def test_both_instances_and_nested_composition(T, tmp_path):
    sub = allo.customize(T.piped, instantiate=[int32, 16])
    sub.to(sub.Q, "drain")
    mid = allo.customize(T.pipes2, instantiate=[int32, 16])
    mid.compose(sub, id="k0")
    mid.compose(sub, id="k1")
    assert [args[1] for _, args, _ in mid.primitive_sequences] == ["drain_k0", "drain_k1"]
    s = allo.customize(T.pipes_twice)
    s.compose(mid, id="outer")
    assert [args[1] for _, args, _ in s.primitive_sequences] == ["drain_outer_k0",
                                                                 "drain_outer_k1"]
    code = s.build(target="vhls").hls_code
    for k in ("k0", "k1"):
        assert "#pragma HLS stream variable=Q depth=16" in body_of(code, f"piped_outer_{k}")
    X = np.arange(16, dtype=np.int32)
    assert_cpu_matches(s, lambda x: two_pipes_ref(x) + 1, X)
    check_csim(s, X, project=str(tmp_path / "p"))
    assert_replay_identical(T.pipes_twice, s)


def test_instance_names_address_calls_directly(T, tmp_path):
    s = allo.customize(T.two_pipes)
    s.to("piped_k1:Q", "drain_k1", depth=3)
    code = s.build(target="vhls").hls_code
    assert "#pragma HLS stream variable=Q depth=3" in body_of(code, "piped_k1")
    X = np.arange(16, dtype=np.int32)
    assert_cpu_matches(s, two_pipes_ref, X)
    assert_replay_identical(T.two_pipes, s)


def test_bad_destination_lists_the_instances(T):
    s = allo.customize(T.two_pipes)
    assert_refused(s, allo.LoopNotFoundError,
                   "no stage or called function named drain in piped_k1; stages and calls: "
                   "fill_k1, drain_k1; instances of drain are addressed by their names: "
                   "drain_k1", "to", "piped_k1:Q", "drain")
    assert_refused(s, allo.ScheduleError, "no stage or called function named k1:drain in "
                   "piped_k1; stages and calls: fill_k1, drain_k1; the instance of drain with "
                   "id k1 is named drain_k1", "to", "piped_k1:Q", "k1:drain")


def test_composed_call_result_stream_with_ids(T, tmp_path):
    sub = allo.customize(T.piped_result, instantiate=[int32, 16])
    sub.to(sub.Q, "drain", depth=2)
    s = allo.customize(T.two_result_pipes)
    s.compose(sub, id="k0")
    s.compose(sub, id="k1")
    assert s.func_args["make_t_k0"] == ["X", "Q"] and s.func_args["make_t_k1"] == ["X", "Q"]
    code = s.build(target="vhls").hls_code
    for k in ("k0", "k1"):
        assert f"make_t_{k}(v0, Q);" in body_of(code, f"piped_result_{k}")
        assert "Q.write(" in body_of(code, f"make_t_{k}")
    X = np.arange(-8, 8, dtype=np.int32)
    assert_cpu_matches(s, two_pipes_ref, X)
    check_csim(s, X, project=str(tmp_path / "p"))
    assert_replay_identical(T.two_result_pipes, s)
