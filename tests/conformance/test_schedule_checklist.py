"""schedule.md §12 conformance checklist: the scenarios no other test file reproduces in the
spec's exact spelling (names, sizes, printed forms). Each runs on the CPU against numpy."""

import sys

import numpy as np
import pytest

import allo
from allo.ir.types import float32, index, int32
from allo.ir.utils import MockBuffer

from helpers import check_csim
from helpers_schedule import assert_cpu_matches, assert_replay_identical

RNG = np.random.default_rng(12)


def ints(*shape):
    return RNG.integers(-20, 20, size=shape, dtype=np.int32)


# --- test_schedule_compute: fuse of 3 loops then unroll/parallel of the fused name ---------

def gemm3(A: int32[4, 5], B: int32[5, 6]) -> int32[4, 6]:
    C: int32[4, 6] = 0
    for i, j, k in allo.grid(4, 6, 5):
        C[i, j] += A[i, k] * B[k, j]
    return C


@pytest.mark.csim
@pytest.mark.parametrize("primitive, printed", [("unroll", "unroll = 0 : ui32"),
                                                ("parallel", "parallel")])
def test_fuse_three_loops_then_annotate_the_fused_name(primitive, printed, tmp_path):
    s = allo.customize(gemm3)
    s.fuse("i", "j", "k")
    getattr(s, primitive)("i_j_k_fused")
    text = str(s.module)
    assert f'loop_name = "i_j_k_fused", op_name = "S_i_j_k_0", {printed}' in text
    assert list(s.get_loops().S_i_j_k_0.loops) == ["i_j_k_fused"]
    assert_cpu_matches(s, lambda A, B: A @ B, ints(4, 5), ints(5, 6))
    assert_replay_identical(gemm3, s)
    code = s.build(target="vhls").hls_code
    fused = code[code.index("l_S_i_j_k_0_i_j_k_fused: for"):].splitlines()
    assert fused[1].strip() == "#pragma HLS unroll"
    check_csim(s, ints(4, 5), ints(5, 6), project=str(tmp_path / "p"))


# --- test_schedule_structure: unfold("PE", axes) with a callee named `kernel` ---------------

def kernel(a: int32) -> int32:
    return a * 3 + 1


def unfold_top(A: int32[2, 2], B: int32[2, 2]):
    for i, j in allo.grid(2, 2, name="PE"):
        B[i, j] = kernel(A[i, j])


@pytest.mark.parametrize("axes, callees", [
    ([0], ["kernel"]),
    ([1], ["kernel_0", "kernel_1"]),
    ([0, 1], ["kernel_0_0", "kernel_0_1", "kernel_1_0", "kernel_1_1"]),
])
def test_unfold_pe_counts_accesses_and_clones_kernel(axes, callees):
    s = allo.customize(unfold_top)
    s.unfold("PE", axes)
    text = str(s.module)
    assert text.count('from = "A"') == len(axes) * 2
    assert text.count('to = "B"') == len(axes) * 2
    defined = sorted(name for name in s.func_args if name.startswith("kernel"))
    assert defined == callees
    A = ints(2, 2)
    assert_cpu_matches(s, lambda A, B: B.__setitem__(slice(None), A * 3 + 1), A,
                       np.zeros((2, 2), np.int32))


# --- test_schedule_stream: dataflow("func2") and dataflow(loop_handle) ---------------------

def func1(A: int32[8], B: int32[8]):
    for i in range(8):
        B[i] = A[i] + 1


def func2(A: int32[8], C: int32[8]):
    B: int32[8]
    func1(A, B)
    for i in range(8, name="tail"):
        C[i] = B[i] * 2


@pytest.mark.csim
def test_dataflow_on_func2_and_on_a_loop_handle_print_the_pragma(tmp_path):
    s = allo.customize(func2)
    s.dataflow("func2")
    code = s.build(target="vhls").hls_code
    body = code[code.index("void func2("):]
    first_pragma = next(line.strip() for line in body.splitlines() if "#pragma" in line)
    assert first_pragma == "#pragma HLS dataflow"
    assert body.index(first_pragma) < body.index("for (")  # first in the function body

    s2 = allo.customize(func2)
    s2.dataflow(s2.get_loops()["tail"]["i"])
    assert "dataflow" in str(s2.module)
    code2 = s2.build(target="vhls").hls_code
    loop_lines = code2[code2.index("l_tail_i: for"):].splitlines()
    assert loop_lines[1].strip() == "#pragma HLS dataflow"
    assert "#pragma HLS dataflow" not in code2[code2.index("void func2("):code2.index("l_tail_i")]
    A = ints(8)
    for k, sched in enumerate((s, s2)):
        assert_cpu_matches(sched, lambda A, C: C.__setitem__(slice(None), (A + 1) * 2), A,
                           np.zeros(8, np.int32))
        check_csim(sched, A, np.zeros(8, np.int32), project=str(tmp_path / f"p{k}"))


# --- test_schedule_memory: buffer_at on the 1024 x 1024 float gemm -------------------------

def gemm1024(A: float32[1024, 1024], B: float32[1024, 1024]) -> float32[1024, 1024]:
    C: float32[1024, 1024] = 0.0
    for i, j in allo.grid(1024, 1024, name="C"):
        for k in allo.reduction(1024):
            C[i, j] += A[i, k] * B[k, j]
    return C


def test_buffer_at_1024_square_float_gemm():
    s = allo.customize(gemm1024)
    A = RNG.random((1024, 1024), dtype=np.float32)
    B = RNG.random((1024, 1024), dtype=np.float32)
    before = s.build()(A, B)
    assert s.buffer_at(s.C, "i") == MockBuffer("gemm1024", "C_buf")
    assert '{name = "C_buf"} : memref<1024xf32>' in str(s.module)
    after = s.build()(A, B)
    np.testing.assert_array_equal(after, before)
    np.testing.assert_allclose(after, A @ B, rtol=1e-4)


# --- test_schedule_compute: get_loops and primitives on run-time grid bounds ---------------

ROWS = 6


def runtime_grid(A: int32[ROWS, 8], n: int32, m: index) -> int32[ROWS, 8]:
    for i, j in allo.grid(n, m, name="dyn"):
        A[i, j] += 1
    for r in range(A[0, 0], 8, A[0, 1]):
        A[1, r] += 100
    return A


def runtime_grid_ref(A, n, m):
    A[:n, :m] += 1
    A[1, range(A[0, 0], 8, A[0, 1])] += 100
    return A.copy()


def test_runtime_grid_bounds_get_loops_build_and_run():
    s = allo.customize(runtime_grid)
    loops = s.get_loops()
    assert list(loops.dyn.loops) == ["i", "j"]
    assert list(loops.S_r_1.loops) == ["r"]
    s.pipeline(loops.dyn.j)
    s.unroll(loops["S_r_1"]["r"], 2)
    text = str(s.module)
    assert "scf.for" in text and 'loop_name = "j", pipeline_ii = 1 : ui32' in text
    A = np.zeros((ROWS, 8), np.int32)
    A[0, :2] = [1, 2]
    assert_cpu_matches(s, runtime_grid_ref, A, 3, 5)
    code = s.build(target="vhls").hls_code
    assert "#pragma HLS pipeline II=1" in code and "#pragma HLS unroll factor=2" in code


def test_grid_bounds_from_template_values_and_run_time_values():
    if sys.version_info < (3, 12):
        pytest.skip("PEP 695 needs Python 3.12")
    import importlib.util
    import pathlib

    spec = importlib.util.spec_from_file_location(
        "kernels_pep695_checklist", pathlib.Path(__file__).with_name("kernels_pep695_checklist.py"))
    K = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(K)
    s = allo.customize(K.template_grid, instantiate=[5, 7])
    loops = s.get_loops()
    assert list(loops.fixed.loops) == ["i", "j"] and list(loops.dyn.loops) == ["r", "c"]
    s.split(loops.fixed.j, 3)
    s.pipeline(loops.dyn.c)
    A = ints(5, 7)

    def ref(A, n):
        B = A * 2
        B[:n] += 1
        return B

    assert_cpu_matches(s, ref, A, 3)
    assert "#pragma HLS pipeline II=1" in s.build(target="vhls").hls_code
