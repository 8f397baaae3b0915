"""The simulator's timing model (``mod.last_cycles``) and FIFO sizing (``df.size_fifos``)."""

import numpy as np
import pytest

import allo
import allo.dataflow as df
from allo.analysis.op_latency import OP_LATENCY
from allo.backend.simulator.fifo_sizing import no_stall_depth

import designs as d

LOAD, MUL, ADD, STORE = (OP_LATENCY[k] for k in ("memref.load", "arith.muli", "arith.addi",
                                                 "memref.store"))
PUT, GET = OP_LATENCY["fifo.put"], OP_LATENCY["fifo.get"]

from helpers import assert_located  # noqa: E402


def _run_twostage(mod):
    X = np.arange(60, dtype=np.int32).reshape(6, 10)
    Y = np.zeros_like(X)
    mod(X, Y)
    np.testing.assert_array_equal(Y, 3 * X - 1)
    return mod.last_cycles


def test_cycles_of_a_producer_consumer_by_hand():
    """src: x[a, b] * 3 is put after a load and a multiply; each of the 6 outer iterations
    adds one cycle of loop control. dst: a get, a subtraction and a store per element; it
    waits for src, so it takes the last element one cycle after it was put and ends
    GET + ADD + STORE and one cycle of loop control later."""
    report = _run_twostage(df.build(d.twostage, target="simulator"))
    src_iter = LOAD + MUL + PUT
    assert report["src_0"].cycles == 6 * (10 * src_iter + 1)
    assert report["src_0"].stalls == 0
    last_put = report["src_0"].cycles - 1 - PUT
    assert report["dst_0"].cycles == last_put + 1 + GET + ADD + STORE + 1
    own = 6 * (10 * (GET + ADD + STORE) + 1)
    assert report["dst_0"].stalls == report["dst_0"].cycles - own
    assert report.total == report["dst_0"].cycles


def test_pipelining_shortens_the_estimate():
    s = df.customize(d.twostage, fifo_depths={"q": 60})  # room for every element
    s.pipeline("src_0:b")
    report = _run_twostage(s.build(target="simulator"))
    depth = LOAD + MUL + PUT  # one iteration's latency; II = 1
    assert report["src_0"].cycles == 6 * (10 * 1 + (depth - 1) + 1)
    assert report["src_0"].stalls == 0
    # now the consumer is the slower side: it waits only for the first element
    assert report["dst_0"].stalls == LOAD + MUL + 1
    assert report.total == report["dst_0"].cycles == 6 * (10 * (GET + ADD + STORE) + 1) + LOAD + MUL + 1
    # with the declared depth 2, the fast producer waits for the slow consumer
    s2 = df.customize(d.twostage)
    s2.pipeline("src_0:b")
    assert _run_twostage(s2.build(target="simulator"))["src_0"].stalls > 0


def test_a_pipeline_shallower_than_its_ii_ends_depth_after_its_last_start():
    """II 20 > one iteration's depth: the last of 10 iterations starts at 9 * 20 and ends
    ``depth`` cycles later, (n - 1) * II + depth as in the static estimate, not n * II."""
    s = df.customize(d.twostage, fifo_depths={"q": 60})
    s.pipeline("src_0:b", initiation_interval=20)
    report = _run_twostage(s.build(target="simulator"))
    depth = LOAD + MUL + PUT
    assert depth < 20
    assert report["src_0"].cycles == 6 * (9 * 20 + depth + 1)
    assert report["src_0"].stalls == 0


def test_report_is_a_table_and_deterministic():
    sim = df.build(d.systolic, target="simulator")
    A = np.ones((d.SM, d.SK), np.int16)
    B = np.ones((d.SK, d.SN), np.int16)
    sim(A, B, np.zeros((d.SM, d.SN), np.int16))
    first = sim.last_cycles
    text = str(first)
    assert text.splitlines()[0].split() == ["instance", "start", "cycles", "stalls"]
    assert "gemm_4_4" in text and "region total" in text
    assert first.total == max(i.cycles for i in first)
    # the far corner PE finishes last: its operands travel through the whole array
    assert first.total == first["gemm_4_4"].cycles
    assert first["gemm_1_1"].cycles < first["gemm_4_4"].cycles
    for _ in range(3):
        sim(A, B, np.zeros((d.SM, d.SN), np.int16))
        assert [(i.name, i.cycles, i.stalls) for i in sim.last_cycles] == \
            [(i.name, i.cycles, i.stalls) for i in first]


def test_no_stall_depth():
    # taken one cycle after it is put: the next put comes in that cycle, so two slots
    assert no_stall_depth(np.arange(5), np.arange(5) + 1) == 2
    assert no_stall_depth(np.arange(0, 10, 2), np.arange(0, 10, 2) + 1) == 1
    assert no_stall_depth(np.arange(5), np.arange(5) + 3) == 4
    assert no_stall_depth(np.arange(4), np.full(4, -1)) == 4  # never taken: all held


def test_size_fifos_on_fork_join_by_hand():
    """split puts all of a, then all of b; join takes a[i] and b[i] in turns. The join takes
    a[0] at once and then waits for b[0], which split writes only after a[7]: a must hold
    a[1..7] (7 elements; 6 deadlocks). b is taken as soon as it is written (1)."""
    X = np.arange(8, dtype=np.int32)
    depths = df.size_fifos(d.forkjoin, X, np.zeros_like(X))
    assert depths == {"a": 7, "b": 1}
    sized = df.customize(d.forkjoin, fifo_depths=depths).build(target="simulator")
    Y = np.zeros_like(X)
    sized(X, Y)
    np.testing.assert_array_equal(Y, 2 * X + 1)
    unbounded = df.customize(d.forkjoin, fifo_depths={"a": 8, "b": 8}).build(
        target="simulator")
    unbounded(X, np.zeros_like(X))
    assert sized.last_cycles.total == unbounded.last_cycles.total
    too_small = df.customize(d.forkjoin, fifo_depths={"a": 6, "b": 8}).build(
        target="simulator")
    with pytest.raises(allo.DeadlockError, match="waits to put into stream 'a'"):
        too_small(X, np.zeros_like(X))


def test_fifo_depths_reach_the_hls_code():
    s = df.customize(d.forkjoin, fifo_depths={"a": 7, "b": 1})
    code = s.build(target="vhls").hls_code
    assert "#pragma HLS stream variable=a depth=7" in code
    assert "#pragma HLS stream variable=b depth=1" in code
    assert "depth=2" not in code


def test_fifo_depths_errors():
    with pytest.raises(allo.BuildError, match="unknown stream.*'?c'?.*streams are a, b") as info:
        df.customize(d.forkjoin, fifo_depths={"c": 2})
    assert_located(info, __file__)
    with pytest.raises(allo.BuildError, match="positive int") as info:
        df.customize(d.forkjoin, fifo_depths={"a": 0})
    assert_located(info, __file__)


def test_size_fifos_of_a_systolic_array_keeps_its_cycles():
    A = np.arange(d.SM * d.SK, dtype=np.int16).reshape(d.SM, d.SK) % 5
    B = np.arange(d.SK * d.SN, dtype=np.int16).reshape(d.SK, d.SN) % 3
    depths = df.size_fifos(d.systolic, A, B, np.zeros((d.SM, d.SN), np.int16))
    assert set(depths) == {f"fifo_A_{i}_{j}" for i in range(1, d.SM + 1)
                           for j in range(1, d.SN + 2)} | \
        {f"fifo_B_{i}_{j}" for i in range(1, d.SM + 2) for j in range(1, d.SN + 1)}
    assert all(1 <= v <= d.SK for v in depths.values())
    declared = df.build(d.systolic, target="simulator")
    C = np.zeros((d.SM, d.SN), np.int16)
    declared(A, B, C)
    sized = df.customize(d.systolic, fifo_depths=depths).build(target="simulator")
    C2 = np.zeros_like(C)
    sized(A, B, C2)
    np.testing.assert_array_equal(C2, d.systolic_ref(A, B))
    assert sized.last_cycles.total <= declared.last_cycles.total


def test_single_process_is_estimated_statically():
    def inc(A: allo.ir.types.int32[8]):
        for i in range(8):
            A[i] = A[i] + 1

    sim = allo.customize(inc).build(target="simulator")
    assert sim.last_cycles.total == 8 * (LOAD + ADD + STORE)
    s = allo.customize(inc)
    s.pipeline("i")
    assert s.build(target="simulator").last_cycles.total == 7 * 1 + LOAD + ADD + STORE


def test_sub_region_streams_are_named_by_their_region():
    A, C = np.arange(8, dtype=np.int32), np.arange(8, dtype=np.int32) * 2
    z = np.zeros(8, np.int32)
    depths = df.size_fifos(d.nested, A, z, C, z)
    assert depths and all(name.startswith("echo_pair_") and "." in name for name in depths)
    sized = df.customize(d.nested, fifo_depths=depths).build(target="simulator")
    arrays = [A.copy(), z.copy(), C.copy(), z.copy()]
    sized(*arrays)
    for got, ref in zip(arrays, d.nested_ref(A, C)):
        np.testing.assert_array_equal(got, ref)


def test_processes_without_streams_run_one_after_the_other():
    s = allo.customize(d.chain)
    s.dataflow("chain")
    sim = s.build(target="simulator")
    A = np.arange(64, dtype=np.int32)
    sim(A, np.zeros_like(A))
    report = sim.last_cycles
    assert report["stage1"].cycles == 64 * (LOAD + MUL + STORE)
    assert report["stage2"].start == report["stage1"].cycles
    assert report.total == 64 * (LOAD + MUL + STORE) + 64 * (LOAD + ADD + STORE)
