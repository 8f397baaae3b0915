"""Dataflow designs: simulator vs numpy, C simulation vs simulator bit for bit."""

import numpy as np
import pytest

import allo
import allo.dataflow as df
from allo.ir.types import Stream, int32

import designs as d
from df_helpers import check_design, csimulate, simulate

rng = np.random.default_rng(2024)


def _ints(shape, dtype, lo=-8, hi=8):
    return rng.integers(lo, hi, shape).astype(dtype)


@pytest.mark.csim
def test_producer_consumer(tmp_path):
    X = _ints((6, 10), np.int32, -1000, 1000)
    check_design(d.twostage, [X, np.zeros_like(X)], {1: d.twostage_ref(X)},
                 str(tmp_path / "two.prj"))


@pytest.mark.csim
def test_double_put_uint16(tmp_path):
    X = (np.arange(8) * 9000 % 65536).astype(np.uint16)
    check_design(d.double_put, [X, np.zeros(16, np.uint16)], {1: d.double_put_ref(X)},
                 str(tmp_path / "dput.prj"))


@pytest.mark.csim
def test_systolic_1d_fir(tmp_path):
    X = _ints(d.LEN, np.int32, -50, 50)
    check_design(d.fir, [X, np.zeros_like(X)], {1: d.fir_ref(X)}, str(tmp_path / "fir.prj"))


@pytest.mark.csim
def test_systolic_2d_output_stationary(tmp_path):
    A, B = _ints((d.SM, d.SK), np.int16), _ints((d.SK, d.SN), np.int16)
    C = np.zeros((d.SM, d.SN), np.int16)
    check_design(d.systolic, [A, B, C], {2: d.systolic_ref(A, B)}, str(tmp_path / "sys.prj"))


@pytest.mark.csim
def test_tiled_gemm_block_streams(tmp_path):
    A, B = _ints((8, 8), np.int32, -100, 100), _ints((8, 8), np.int32, -100, 100)
    check_design(d.tiled_gemm, [A, B, np.zeros((8, 8), np.int32)],
                 {2: d.tiled_gemm_ref(A, B)}, str(tmp_path / "tiled.prj"))


@pytest.mark.csim
def test_mlp_of_linear_layers(tmp_path):
    X = rng.standard_normal((d.BS, d.D0)).astype(np.float32)
    check_design(d.mlp, [X, np.zeros((d.BS, d.D2), np.float32)], {1: d.mlp_ref(X)},
                 str(tmp_path / "mlp.prj"), rtol=1e-4)


def test_mlp_scheduled_on_an_instance():
    """Primitives address instances by name; the schedule keeps the results."""
    X = rng.standard_normal((d.BS, d.D0)).astype(np.float32)
    s = df.customize(d.mlp)
    s.pipeline("linear1_0:j")
    s.partition("linear2_0:row", dim=1)
    Y = simulate(s.build(target="simulator"), X, np.zeros((d.BS, d.D2), np.float32))[1]
    np.testing.assert_array_equal(Y, simulate(d.mlp, X, np.zeros_like(Y))[1])
    code = s.build(target="vhls").hls_code
    assert "#pragma HLS pipeline II=1" in code


@pytest.mark.csim
def test_hierarchical_regions_with_streams_both_ways(tmp_path):
    A, C = _ints(8, np.int32, -50, 50), _ints(8, np.int32, -50, 50)
    z = np.zeros(8, np.int32)
    refs = d.nested_ref(A, C)
    check_design(d.nested, [A, z, C, z], dict(enumerate(refs)), str(tmp_path / "nest.prj"))


def test_hierarchical_naming():
    s = df.customize(d.nested)
    names = set(s.func_args)
    # the sub-region of instance k_<p> and its kernels carry the instance's suffix
    assert {"nested", "k_0", "k_1", "echo_pair_0", "echo_pair_1", "send_0_0", "echo_0_0",
            "send_0_1", "echo_0_1"} <= names
    text = str(s.module)
    assert text.count("allo.region") == 3 and "scf.for" not in text.split("func.func @k_0")[1] \
        .split("func.func")[0]


def test_deadlock_is_reported_with_every_blocked_instance():
    sim = df.build(d.forkjoin, target="simulator")
    X = np.arange(8, dtype=np.int32)
    with pytest.raises(allo.DeadlockError) as info:
        sim(X, np.zeros_like(X))
    msg = str(info.value)
    assert "split_0 waits to put into stream 'a' (full, depth 2)" in msg
    assert "join_0 waits to get from stream 'b' (empty)" in msg
    assert isinstance(info.value, allo.SimulationError) and isinstance(info.value, allo.AlloError)
    # the simulator stays usable after a deadlock
    with pytest.raises(allo.DeadlockError):
        sim(X, np.zeros_like(X))


@pytest.mark.csim
def test_deadlock_in_c_simulation(tmp_path):
    X = np.arange(8, dtype=np.int32)
    with pytest.raises(allo.DeadlockError) as info:
        csimulate(d.forkjoin, X, np.zeros_like(X), project=str(tmp_path / "fj.prj"))
    msg = str(info.value)
    assert "split_0 waits to put into stream 'a' (full, depth 2)" in msg
    assert "join_0 waits to get from stream 'b' (empty)" in msg


def test_repeated_runs_are_deterministic():
    """Kahn semantics: whatever the thread interleaving, every run gives the same bits."""
    sim = df.build(d.systolic, target="simulator")
    A, B = _ints((d.SM, d.SK), np.int16), _ints((d.SK, d.SN), np.int16)
    first = simulate(sim, A, B, np.zeros((d.SM, d.SN), np.int16))[2]
    np.testing.assert_array_equal(first, d.systolic_ref(A, B))
    for _ in range(10):
        np.testing.assert_array_equal(simulate(sim, A, B, np.zeros_like(first))[2], first)


# ----------------------------------------------------------------------------- checklist (§12)


def test_uint16_streams_keep_their_unsigned_type_in_hls():
    code = df.build(d.double_put, target="vhls", mode=None, project=None).hls_code
    assert "hls::stream< uint16_t > q;" in code
    assert "hls::stream< uint16_t > &q" in code
    assert "#pragma HLS stream variable=q depth=2" in code
    assert "hls::stream< ap_" not in code and "hls::stream< int" not in code


@df.region()
def four_through_two(X: int32[4], Y: int32[4]):
    q: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[X])
    def put4(x: int32[4]):
        for i in range(4):
            q.put(x[i] * x[i])

    @df.kernel(mapping=[1], args=[Y])
    def get4(y: int32[4]):
        for i in range(4):
            y[i] = q.get() + i


@pytest.mark.csim
def test_a_depth_two_stream_carries_four_elements(tmp_path):
    X = np.array([3, -4, 5, 100000], np.int32)
    ref = X * X + np.arange(4, dtype=np.int32)
    check_design(four_through_two, [X, np.zeros(4, np.int32)], {1: ref}, str(tmp_path / "p"))
    code = df.build(four_through_two, target="vhls", mode=None, project=None).hls_code
    assert "#pragma HLS stream variable=q depth=2" in code
    assert "put4_0(v0, q);" in code and "get4_0(v1, q);" in code


def test_hierarchical_hls_module_keeps_affine_loops():
    mod = df.build(d.nested, target="vhls", mode=None, project=None)
    text = str(mod.module)
    assert "scf.for" not in text and "affine.for" in text
    for name in ("k_0", "k_1", "send_0_0", "echo_0_0", "send_0_1", "echo_0_1"):
        assert f"void {name}(" in mod.hls_code, name


LANE_W = np.array([10, 20, 30, 40, 50], dtype=np.int32)


def lane_scale(v: int32, k: int32) -> int32:
    return v * k + 1


@df.region()
def lanes(X: int32[4], Y: int32[4]):
    q: Stream[int32, 1][4]

    @df.kernel(mapping=[4], args=[X])
    def produce(x: int32[4]):
        p = df.get_pid()
        q[p].put(lane_scale(x[p], LANE_W[p + 1]))

    @df.kernel(mapping=[4], args=[Y])
    def consume(x: int32[4]):  # the same parameter name as in produce
        p = df.get_pid()
        x[p] = q[p].get() - LANE_W[p]


@pytest.mark.csim
def test_helper_calls_and_pid_indexed_constants_in_c_simulation(tmp_path):
    X = np.array([1, -2, 3, 40000], dtype=np.int32)
    ref = X * LANE_W[1:] + 1 - LANE_W[:4]
    check_design(lanes, [X, np.zeros(4, np.int32)], {1: ref}, str(tmp_path / "lanes"))
    code = df.build(lanes, target="vhls", mode=None, project=None).hls_code
    assert "void lane_scale(" in code
    assert [f"produce_{p}" in code and f"consume_{p}" in code for p in range(4)] == [True] * 4
