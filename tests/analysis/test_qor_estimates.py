"""Static QoR estimates (docs/qor_estimates.md): cycle counts computed by hand from the
model's rules at the default Alveo U280 / 300 MHz, where a block-RAM read takes 2 cycles,
a write 1, f32 add 4 and f32 mul 3 cycles, a 32-bit add 1.26 ns of the 2.43 ns a cycle
leaves for chained logic; a pipelined loop costs (N-1)*II + depth + 2, a sequential one
N*IterLat + 1."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import allo
import allo.dataflow as df
from allo.ir.types import float32, int32

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "dataflow"))
from designs import twostage  # noqa: E402

from helpers import assert_located  # noqa: E402


def inc(A: int32[16], B: int32[16]):
    for i in range(16):
        B[i] = A[i] + 1


def dot(A: float32[64], B: float32[64]) -> float32:
    acc: float32 = 0.0
    for i in range(64):
        acc += A[i] * B[i]
    return acc


def quad(A: int32[64], C: int32[16]):
    for i in range(16):
        C[i] = A[4 * i] + A[4 * i + 1] + A[4 * i + 2] + A[4 * i + 3]


def _loop(report, name):
    found = [lp for lp in report.loops if lp.name == name]
    assert len(found) == 1, report.loops
    return found[0]


def test_pipelined_loop_ii1():
    s = allo.customize(inc)
    s.pipeline("i")
    mod = s.build()
    a = np.arange(16, dtype=np.int32)
    b = np.zeros(16, dtype=np.int32)
    mod(a, b)
    np.testing.assert_array_equal(b, a + 1)
    report = s.build(target="vhls").estimate()
    loop = _loop(report, "i")
    # read issued at 0, data at 2; the add is chained into cycle 2 with the write: depth 3
    assert (loop.trip_count, loop.requested_ii, loop.achieved_ii) == (16, 1, 1)
    assert loop.iteration_latency == 3 and loop.ii_reason == ""
    assert loop.latency == 15 * 1 + 3
    assert report.total_cycles == 18 + 2
    assert report.latency_ms == pytest.approx(20 / 300e3)
    assert report.resources["DSP"] == 0 and report.resources["BRAM18K"] == 0


def test_sequential_loop():
    report = allo.estimate(allo.customize(inc))
    loop = _loop(report, "i")
    assert not loop.pipelined and loop.iteration_latency == 3
    assert report.total_cycles == 16 * 3 + 1


def test_recurrence_forces_ii_above_request():
    s = allo.customize(dot)
    s.pipeline("i")
    report = allo.estimate(s)
    loop = _loop(report, "i")
    # acc is a register: its read is needed when the product is ready (cycle 5) and the
    # sum is written 4 cycles later: II = 4, the f32 adder's latency
    assert loop.requested_ii == 1 and loop.achieved_ii == 4
    assert "recurrence on acc" in loop.ii_reason and "arith.addf" in loop.ii_reason
    assert "4 cycles" in loop.ii_reason
    # loads 0->2, fmul 2->5, fadd 5->9, write at 9: depth 10
    assert loop.iteration_latency == 10
    assert loop.latency == 63 * 4 + 10
    # acc = 0 takes cycle 0, the loop starts at 1 and costs 262 + 2
    assert report.total_cycles == 1 + 262 + 2


def test_clock_changes_operator_latency():
    s = allo.customize(dot)
    s.pipeline("i")
    report = s.build(target="vhls").estimate(clock_mhz=100)
    loop = _loop(report, "i")
    # at 100 MHz: f32 add 3, f32 mul 2, block-RAM read 1 cycle
    assert loop.achieved_ii == 3
    assert loop.iteration_latency == 1 + 2 + 3 + 1
    assert report.total_cycles == 1 + (63 * 3 + 7) + 2
    assert report.clock_mhz == 100.0


def test_port_conflict_fixed_by_partition():
    s = allo.customize(quad)
    s.pipeline("i")
    report = allo.estimate(s)
    loop = _loop(report, "i")
    # four reads of one dual-port bank per iteration: II = 2
    assert loop.achieved_ii == 2 and "memory ports: 4 accesses" in loop.ii_reason
    # reads at 0,0,1,1 (data 2,2,3,3); adds at (2, 1.26ns), (3, 1.28ns), (4, 1.30ns) as the
    # third does not fit after the second; write at 4: depth 5
    assert loop.iteration_latency == 5 and loop.latency == 15 * 2 + 5
    assert report.total_cycles == 37
    s.partition(s.A, partition_type=allo.Partition.Cyclic, dim=1, factor=4)
    report = allo.estimate(s)
    loop = _loop(report, "i")
    # four banks: the reads go together at cycle 0; adds at (2, 1.26), (3, 1.28), (4, 1.30)
    assert loop.achieved_ii == 1 and loop.ii_reason == ""
    assert loop.iteration_latency == 5 and report.total_cycles == 15 + 5 + 2
    a = np.arange(64, dtype=np.int32)
    c = np.zeros(16, dtype=np.int32)
    s.build()(a, c)
    np.testing.assert_array_equal(c, a.reshape(16, 4).sum(axis=1))


def test_dataflow_region_with_stream():
    report = allo.estimate(df.customize(twostage))
    region = report.dataflow[0]
    src, dst = region.stages
    # src_0: read 0->2, *3 as a shift-add chained, FIFO write at 2: IterLat 3; b = 10*3,
    # a = 6*(30+1), the function 186+1, the call +1
    assert [(lp.function, lp.name, lp.iteration_latency) for lp in report.loops] == [
        ("src_0", "a", 31), ("src_0", "b", 3), ("dst_0", "a", 21), ("dst_0", "b", 2)]
    assert (src.name, src.latency) == ("src_0", 188)
    # dst_0: FIFO read 0->1, subtract, write at 1: IterLat 2; 6*(20+1)+1, +1
    assert (dst.name, dst.latency) == ("dst_0", 128)
    # dst starts after src's first element (its inner IterLat 3 + 1 loop level) and
    # ends one cycle after src
    assert dst.start == 4 and dst.finish == 188 + 1
    assert region.latency == 189 + 2 and report.total_cycles == 191
    assert region.interval == 188 and region.slowest_stage == "src_0"
    assert region.overlapped == 2 and region.sequential_latency == 188 + 128
    assert region.fifo_depths == {"q": 2}


def pipo(A: int32[16], C: int32[16]):
    B: int32[16] = 0
    for i in range(16, name="p"):
        B[i] = A[i] + 1
    for i in range(16, name="q"):
        C[i] = B[i] * 2


def test_dataflow_region_with_ping_pong_buffer():
    s = allo.customize(pipo)
    loops = s.get_loops()
    s.pipeline(loops["p"]["i"])
    s.pipeline(loops["q"]["i"])
    with pytest.warns(UserWarning):
        s.dataflow("pipo")
    report = allo.estimate(s)
    init, p, q = report.dataflow[0].stages
    # B = 0: 16 writes, one per cycle, + 1; p: (15 + 3) + 2; q reads B from LUT memory
    # (1 cycle) and doubles it by a shift: depth 2, (15 + 2) + 2
    assert (init.latency, p.latency, q.latency) == (17, 20, 19)
    # init and p run together; q waits for both (ping-pong buffer B)
    assert (init.start, p.start, q.start, q.finish) == (0, 0, 20, 39)
    assert report.total_cycles == 39 + 2
    assert report.functions[0].interval == 20


def test_resources_dsp_and_bram():
    def mul(A: int32[64], B: int32[64], C: int32[64]):
        for i in range(64):
            C[i] = A[i] * B[i]

    s = allo.customize(mul)
    s.pipeline("i")
    assert allo.estimate(s).resources["DSP"] == 3  # a 32-bit product: 3 DSP48E2

    def acc_gemm(A: int32[8, 8], B: int32[8, 8]) -> int32[8, 8]:
        C: int32[8, 8] = 0
        for i, j, k in allo.grid(8, 8, 8):
            C[i, j] += A[i, k] * B[k, j]
        return C

    # the frontend widens the product to 64 bits and the sum to 65, but only 32 bits are
    # stored: HLS narrows the multiplier to 32 bits (3 DSP, not 8)
    assert allo.estimate(allo.customize(acc_gemm)).resources["DSP"] == 3

    def buf(A: int32[1024], C: int32[1024]):
        B: int32[1024] = 0
        for i in range(1024):
            B[i] = A[i]
        for i in range(1024):
            C[i] = B[i]

    s = allo.customize(buf)
    report = allo.estimate(s)
    assert report.resources["BRAM18K"] == 2  # 1024 x 32 bits: two 512x36 blocks
    # init 1024*1+1, copies 1024*3+1 each
    assert report.total_cycles == 1025 + 3073 + 3073
    s.partition(s.B, partition_type=allo.Partition.Cyclic, factor=4)
    assert allo.estimate(s).resources["BRAM18K"] == 4  # four banks of 256 words


def test_flattened_nest_and_report_formats():
    def gemm(A: float32[16, 16], B: float32[16, 16]) -> float32[16, 16]:
        C: float32[16, 16] = 0.0
        for i, j, k in allo.grid(16, 16, 16):
            C[i, j] += A[i, k] * B[k, j]
        return C

    s = allo.customize(gemm)
    s.pipeline("k")
    report = allo.estimate(s, part="u250", clock_mhz=250)
    k = _loop(report, "k")
    # i, j, k flattened; C[i, j] is read and written every k: distance 1 in block RAM.
    # At 250 MHz a read takes 1 cycle, fmul 3, fadd 4: loads 0->1, fmul 1->4, fadd 4->8,
    # write at 8 done at 9; C's read is needed at 4 - 1 = 3: II = 9 - 3 = 6, depth 9
    assert k.trip_count == 16 * 16 * 16 and k.achieved_ii == 6
    assert k.iteration_latency == 9 and k.latency == 4095 * 6 + 9
    assert "recurrence on C" in k.ii_reason
    assert [lp.note for lp in report.loops if lp.name in ("i", "j")] == \
        ["flattened into k", "flattened into k"]
    assert report.part == "u250"
    d = report.to_dict()
    assert d["total_cycles"] == report.total_cycles and d["loops"][-1]["achieved_ii"] == 6
    rows = report.records()
    assert rows[0]["kind"] == "design" and any(r.get("name") == "k" for r in rows)
    text = str(report)
    assert "II req" in text and "gemm" in text and "BRAM18K" in text
    assert set(report.resources) == {"DSP", "BRAM18K", "FF", "LUT"}
    assert report.resources["DSP"] == 2 + 3  # one f32 adder and one f32 multiplier


def test_bad_part_and_clock():
    s = allo.customize(inc)
    with pytest.raises(allo.BuildError, match="unknown part") as info:
        allo.estimate(s, part="nonesuch")
    assert_located(info, __file__)
    with pytest.raises(allo.BuildError, match="clock_mhz") as info:
        allo.estimate(s, clock_mhz=-5)
    assert_located(info, __file__)
    with pytest.raises(allo.BuildError, match="expects a schedule") as info:
        allo.estimate(inc)
    assert_located(info, __file__)
    hls = s.build(target="vhls", configs={"device": "zcu102", "frequency": 200})
    report = allo.estimate(hls)  # the build's device and clock
    assert (report.part, report.clock_mhz) == ("zcu102", 200.0)
    assert report.available["DSP"] == 2520


def tiles(A: int32[4, 16], C: int32[4, 16]):
    for t in range(4):
        B: int32[16] = 0
        for i in range(16, name="p"):
            B[i] = A[t, i] + 1
        for i in range(16, name="q"):
            C[t, i] = B[i] * 2


def test_dataflow_loop_body():
    s = allo.customize(tiles)
    s.dataflow(s.get_loops()["S_t_0"]["t"])
    report = allo.estimate(s)
    region = report.dataflow[0]
    # per iteration: B = 0 (16*1+1), p (16*3+1; the write goes to LUT memory), q waits for
    # p through B (16*2+1): 49 + 33 + 2 = 84; iterations start every 49 cycles
    assert [st.latency for st in region.stages] == [17, 49, 33]
    assert (region.latency, region.interval) == (84, 49)
    loop = _loop(report, "t")
    assert loop.latency == 3 * 49 + 84 and report.total_cycles == 231 + 1
    c = np.zeros((4, 16), dtype=np.int32)
    a = np.arange(64, dtype=np.int32).reshape(4, 16)
    s.build()(a, c)
    np.testing.assert_array_equal(c, (a + 1) * 2)


def triangle(A: int32[16, 16], B: int32[16, 16]):
    for i in range(16):
        for j in range(i + 1):
            B[i, j] = A[i, j] + 1


def test_triangular_loop_uses_average_trip_count():
    import json

    report = allo.estimate(allo.customize(triangle))
    j = _loop(report, "j")
    # j runs i + 1 times: 8.5 on average; 8.5 * 3 = 25.5 -> 26 cycles, + 1 to enter
    assert j.trip_count == 9 and j.latency == 26 and j.count == 16
    assert _loop(report, "i").latency == 16 * 27 and report.total_cycles == 433
    assert any("average trip count 8.5" in note for note in report.notes)
    assert json.loads(json.dumps(report.to_dict()))["total_cycles"] == 433


def test_unrolled_pipeline_needs_partitioned_ports():
    s = allo.customize(inc)
    s.unroll("i", 4)
    s.pipeline("i")
    loop = _loop(allo.estimate(s), "i")
    # 4 iterations of 4 copies: 4 reads of A and 4 writes of B per iteration on 2 ports:
    # reads at 0,0,1,1, writes at 2,2,3,3 (done 4): II 2, depth 4
    assert (loop.trip_count, loop.unroll, loop.achieved_ii) == (4, 4, 2)
    assert loop.iteration_latency == 4 and loop.latency == 3 * 2 + 4
    s.partition(s.A, partition_type=allo.Partition.Cyclic, factor=4)
    s.partition(s.B, partition_type=allo.Partition.Cyclic, factor=4)
    loop = _loop(allo.estimate(s), "i")
    # four banks each: every read at 0, every write at 2
    assert loop.achieved_ii == 1 and loop.iteration_latency == 3 and loop.latency == 3 + 3
    a = np.arange(16, dtype=np.int32)
    b = np.zeros(16, dtype=np.int32)
    s.build()(a, b)
    np.testing.assert_array_equal(b, a + 1)


def test_unrolled_sequential_loop():
    s = allo.customize(inc)
    s.unroll("i", 4)
    loop = _loop(allo.estimate(s), "i")
    # 4 iterations of 4 copies sharing A's and B's two ports: reads 0,0,1,1, writes
    # 2,2,3,3: 4 cycles each
    assert (loop.unroll, loop.iteration_latency, loop.latency) == (4, 4, 16)


def test_scf_loop_with_constant_bounds():
    from allo._mlir import ir, new_context
    from allo.analysis.qor import estimate_module

    with new_context():
        m = ir.Module.parse('''func.func @f(%A: memref<16xi32>) {
          %c0 = arith.constant 0 : index
          %c16 = arith.constant 16 : index
          %c1 = arith.constant 1 : index
          scf.for %i = %c0 to %c16 step %c1 {
            %v = memref.load %A[%i] : memref<16xi32>
            memref.store %v, %A[%i] : memref<16xi32>
          }
          return }''')
        report = estimate_module(m, "f")
    # read 0->2, write at 2 (after the read of the same element) done at 3: 16 * 3 + 1
    assert report.loops[0].trip_count == 16 and report.total_cycles == 16 * 3 + 1
    assert report.notes == []


def square(A: int32[16], B: int32[16]):
    for i in range(16):
        B[i] = A[i] * A[i]


def twice(A: int32[16]) -> int32[16]:
    B: int32[16] = 0
    C: int32[16] = 0
    square(A, B)
    square(B, C)
    return C


def test_calls_count_latency_and_instances():
    s = allo.customize(twice)
    report = allo.estimate(s)
    sub = next(f for f in report.functions if f.name == "square")
    # square: its 512-bit buffers are LUT memories (1-cycle reads): read 0->1, 32-bit
    # multiply 1->3, write at 3: 16 * 4 + 1
    assert (sub.latency, sub.instances) == (65, 2)
    # two zero-fill loops (16 + 1 each), two calls of 65 + 1
    assert report.total_cycles == 17 + 17 + 2 * 66
    assert report.resources["DSP"] == 2 * 3  # one 32-bit multiplier per call site
    a = np.arange(16, dtype=np.int32)
    np.testing.assert_array_equal(s.build()(a), a ** 4)


def test_dsp_packed_pe_counts_one_dsp_per_two_products():
    from allo.ir.types import int8, int16
    from allo.library import systolic as S

    dsps = {}
    for types in ((int8, int8, int32), (int8, int16, int32)):
        s = allo.customize(S.systolic, instantiate=[*types, 8, 16, 8, 4, 4])
        S.schedule_systolic(s)
        dsps[types[1]] = allo.estimate(s).resources["DSP"]
    # 16 PEs each: one int8 x int8 product, or two from one 8 x 27-bit multiply (one DSP48E2,
    # although the product's type is 36 bits wide)
    assert dsps == {int8: 16, int16: 16}
