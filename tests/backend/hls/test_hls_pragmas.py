"""Every pragma spelling of schedule.md §11 / backends.md §3.6, checked as substrings."""

import numpy as np
import pytest

import allo
from allo._mlir import ir, new_context
from allo.ir.types import int32

from helpers import check_csim


def mm(A: int32[8, 8], B: int32[8, 8]) -> int32[8, 8]:
    C: int32[8, 8] = 0
    for i, j in allo.grid(8, 8, name="C"):
        for k in allo.reduction(8):
            C[i, j] += A[i, k] * B[k, j]
    return C


def code_of(s, target="vhls"):
    return s.build(target).hls_code


def loop_body_after(code: str, label: str) -> list[str]:
    lines = code.splitlines()
    for k, ln in enumerate(lines):
        if ln.strip().startswith(label + ":"):
            return [x.strip() for x in lines[k + 1:k + 4]]
    raise AssertionError(f"loop {label} not found")


def test_pipeline_ii_and_rewind():
    s = allo.customize(mm)
    s.pipeline("k", initiation_interval=4)
    s.pipeline("j", rewind=True)
    code = code_of(s)
    assert loop_body_after(code, "l_k")[0] == "#pragma HLS pipeline II=4"
    assert loop_body_after(code, "l_j")[0] == "#pragma HLS pipeline II=1 rewind"


def test_unroll_full_and_partial_and_order_with_pipeline():
    s = allo.customize(mm)
    s.unroll("k")
    s.unroll("j", 2)
    s.pipeline("j")
    code = code_of(s)
    assert loop_body_after(code, "l_k")[0] == "#pragma HLS unroll"
    assert loop_body_after(code, "l_j")[:2] == ["#pragma HLS pipeline II=1",
                                                 "#pragma HLS unroll factor=2"]


def test_parallel_prints_a_full_unroll():
    s = allo.customize(mm)
    s.parallel("k")
    assert loop_body_after(code_of(s), "l_k")[0] == "#pragma HLS unroll"


def scale(A: int32[8]) -> int32[8]:
    B: int32[8]
    for i in range(8):
        B[i] = A[i] * 3
    return B


def outer(A: int32[8]) -> int32[8]:
    return scale(A)


def test_function_inline_and_dataflow():
    s = allo.customize(outer)
    s.inline("scale")
    s.dataflow("outer")
    code = code_of(s)
    scale_body = code[code.index("void scale("):]
    assert scale_body.split(") {\n", 1)[1].lstrip().startswith("#pragma HLS inline")
    outer_body = code[code.index("void outer("):]
    assert outer_body.split(") {\n", 1)[1].lstrip().startswith("#pragma HLS dataflow")


def test_loop_dataflow():
    s = allo.customize(mm)
    loops = s.get_loops()
    s.dataflow(loops["C"]["i"])
    assert loop_body_after(code_of(s), "l_C_i")[0] == "#pragma HLS dataflow"


@pytest.mark.parametrize("kind,dim,factor,expected", [
    (allo.Partition.Complete, 0, 0, ["complete dim=1", "complete dim=2"]),
    (allo.Partition.Block, 1, 2, ["block dim=1 factor=2"]),
    (allo.Partition.Cyclic, 2, 4, ["cyclic dim=2 factor=4"]),
])
def test_array_partition_on_parameters(kind, dim, factor, expected):
    s = allo.customize(mm)
    s.partition(s.A, kind, dim=dim, factor=factor)
    code = code_of(s)
    for e in expected:
        assert f"#pragma HLS array_partition variable=v0 {e}" in code
    assert code.count("#pragma HLS array_partition") == len(expected)


def test_array_partition_on_a_local_follows_its_declaration():
    s = allo.customize(mm)
    s.partition(s.C, allo.Partition.Cyclic, dim=1, factor=2)
    code = code_of(s)
    assert "#pragma HLS array_partition variable=v2 cyclic dim=1 factor=2" in code


def test_partition_factor_one_prints_nothing():
    s = allo.customize(mm)
    s.partition(s.B, allo.Partition.Block, dim=1, factor=1)
    assert "array_partition" not in code_of(s)


def mem_kernel(A: int32[64] @ allo.Memory(resource="URAM"),
               B: int32[64] @ allo.Memory(resource="BRAM", storage_type="RAM_2P")) -> int32[64]:
    C: int32[64] @ allo.Memory(resource="LUTRAM", storage_type="RAM_1P")
    for i in range(64):
        C[i] = A[i] + B[i]
    return C


def test_bind_storage():
    code = code_of(allo.customize(mem_kernel))
    assert "#pragma HLS bind_storage variable=v0 impl=uram" in code
    assert "#pragma HLS bind_storage variable=v1 type=ram_2p impl=bram" in code
    assert code.count("#pragma HLS bind_storage variable=C type=ram_1p impl=lutram") == 1
    assert code.count("bind_storage") == 3


STREAMS = """
func.func @producer(%A: memref<8xi32>, %Q: memref<8xi32, "stream:4">) {
  affine.for %i = 0 to 8 {
    %v = affine.load %A[%i] : memref<8xi32>
    affine.store %v, %Q[%i] : memref<8xi32, "stream:4">
  } {loop_name = "i", op_name = "S_i_0"}
  return
}
func.func @consumer(%Q: memref<8xi32, "stream:4">, %B: memref<8xi32>) {
  affine.for %i = 0 to 8 {
    %v = affine.load %Q[%i] : memref<8xi32, "stream:4">
    %c = arith.constant 1 : i32
    %w = arith.addi %v, %c : i32
    affine.store %w, %B[%i] : memref<8xi32>
  } {loop_name = "i", op_name = "S_i_0"}
  return
}
func.func @pipe(%A: memref<8xi32>) -> memref<8xi32> attributes {dataflow} {
  %Q = memref.alloc() {name = "Q"} : memref<8xi32, "stream:4">
  %B = memref.alloc() {name = "B"} : memref<8xi32>
  call @producer(%A, %Q) : (memref<8xi32>, memref<8xi32, "stream:4">) -> ()
  call @consumer(%Q, %B) : (memref<8xi32, "stream:4">, memref<8xi32>) -> ()
  return %B : memref<8xi32>
}
"""


def test_streams_depth_read_write_and_reference_parameters(tmp_path):
    with new_context():
        module = ir.Module.parse(STREAMS)
    func_args = {"producer": ["A", "Q"], "consumer": ["Q", "B"], "pipe": ["A"]}
    mod = allo.HLSModule(module, "pipe", func_args=func_args, mode="csim",
                         project=str(tmp_path / "p"))
    code = mod.hls_code
    assert "hls::stream< int32_t > Q;" in code
    assert "#pragma HLS stream variable=Q depth=4" in code
    assert "hls::stream< int32_t > &Q" in code
    assert "Q.write(" in code and "Q.read()" in code
    pipe = code[code.index("void pipe("):]
    assert pipe.split(") {\n", 1)[1].lstrip().startswith("#pragma HLS dataflow")
    if allo.backend.hls.is_available("csim"):
        out = np.zeros(8, np.int32)
        mod(np.arange(8, dtype=np.int32), out)
        np.testing.assert_array_equal(out, np.arange(8) + 1)


EMPTY_READ = STREAMS.replace("call @producer(%A, %Q) : (memref<8xi32>, memref<8xi32, \"stream:4\">) -> ()", "")


@pytest.mark.csim
def test_empty_stream_read_is_a_simulation_error(tmp_path):
    if not allo.backend.hls.is_available("csim"):
        pytest.skip("needs g++ and the hls4ml headers")
    with new_context():
        module = ir.Module.parse(EMPTY_READ)
    mod = allo.HLSModule(module, "pipe", mode="csim", project=str(tmp_path / "p"))
    with pytest.raises(allo.SimulationError, match="not sequentially executable"):
        mod(np.arange(8, dtype=np.int32), np.zeros(8, np.int32))


@pytest.mark.csim
def test_scheduled_matmul_csim_equals_cpu():
    s = allo.customize(mm)
    s.split("i", 4)
    s.reorder("j", "i.outer")
    s.pipeline("k")
    s.unroll("i.inner", 2)
    s.partition(s.A, allo.Partition.Cyclic, dim=2, factor=2)
    rng = np.random.default_rng(3)
    A = rng.integers(-100, 100, (8, 8)).astype(np.int32)
    B = rng.integers(-100, 100, (8, 8)).astype(np.int32)
    (c,) = check_csim(s, A, B)
    np.testing.assert_array_equal(c, A @ B)
