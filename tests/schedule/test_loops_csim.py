"""Loop primitives through the HLS backend: the emitted loop structure and pragmas
(``schedule.md`` §11, ``backends.md`` §3.3) and C simulation bit-identical to the CPU build.

Every test builds its schedule once for the CPU and once as g++ C simulation through
``helpers.check_csim`` (one project directory per test), compares both with a numpy reference,
and reads the generated C++ for the labels ``l_<stage>_<loop>`` (stage root) / ``l_<loop>``
(other loops, dots turned into ``_``) and the pragma lines opening loop and function bodies.
"""

import re

import numpy as np
import pytest

import allo
from allo.ir.types import float32, int32

from helpers import check_csim
from hls_text import (assert_unique_labels, body_pragmas, hls_code, loop_header, loop_labels,
                      pragmas_opening)
import loop_kernels as K
from loop_kernels import twostep, three, larger_producer, larger_consumer, nest_imperfect, pe_add, pe_kernel, pe_grid, copy2  # noqa: F401 - kernels shared with other tests

pytestmark = pytest.mark.csim


# --------------------------------------------------------------------------- split


def test_split_divisible_stage_root(tmp_path):
    s = allo.customize(K.row_sum)
    s.split("r", 4)
    code = hls_code(s)
    assert loop_header(code, "l_acc_r_outer") == \
        "l_acc_r_outer: for (int r_outer = 0; r_outer < 3; r_outer++) {"
    assert loop_header(code, "l_r_inner") == \
        "l_r_inner: for (int r_inner = 0; r_inner < 4; r_inner++) {"
    assert loop_header(code, "l_c") == "l_c: for (int c = 0; c < 20; c++) {"
    assert "min(" not in code
    assert "[((r_outer * 4) + r_inner)]" in code
    X = K.rand_int((12, 20))
    (out,) = check_csim(s, X, project=str(tmp_path))
    np.testing.assert_array_equal(out, K.row_sum_ref(X))


def test_split_non_divisible_remainder_is_min(tmp_path):
    s = allo.customize(K.row_sum)
    s.split("c", 6)  # 20 = 3*6 + 2: the last c.outer iteration runs 2 times
    code = hls_code(s)
    assert loop_header(code, "l_acc_r") == "l_acc_r: for (int r = 0; r < 12; r++) {"
    assert loop_header(code, "l_c_outer") == \
        "l_c_outer: for (int c_outer = 0; c_outer < 4; c_outer++) {"
    header = loop_header(code, "l_c_inner")
    assert re.fullmatch(r"l_c_inner: for \(int c_inner = 0; c_inner < min\(6, .*\); c_inner\+\+\) \{",
                        header), header
    X = K.rand_int((12, 20), seed=1)
    (out,) = check_csim(s, X, project=str(tmp_path))
    np.testing.assert_array_equal(out, K.row_sum_ref(X))


def test_split_remainders_offset_loop_callee_and_twice(tmp_path):
    project = str(tmp_path)
    s = allo.customize(K.strided)  # i = 2, 5, ..., 17: six iterations, split by 4
    s.split("i", 4)
    code = hls_code(s)
    assert "min(4, " in loop_header(code, "l_i_inner")
    A = K.rand_int(20)
    (out,) = check_csim(s, A, project=project)
    np.testing.assert_array_equal(out, K.strided_ref(A))

    s2 = allo.customize(K.calls_scale)
    outer, inner = s2.split("scale_row:t", 5)  # 12 = 2*5 + 2, in the callee
    s2.pipeline(inner)
    code = hls_code(s2)
    assert loop_labels(code, "scale_row")[-2:] == ["l_S_t_0_t_outer", "l_t_inner"]
    assert "min(5, " in loop_header(code, "l_t_inner")
    assert pragmas_opening(code, "l_t_inner") == ["#pragma HLS pipeline II=1"]
    X = K.rand_int(12)
    (out,) = check_csim(s2, X, project=project)
    np.testing.assert_array_equal(out, K.calls_scale_ref(X))

    s3 = allo.customize(K.gemm)
    io, ii = s3.split("i", 4)
    s3.split(ii, 3)  # the divisible inner loop split again, with a remainder
    s3.split("k", 4)
    code = hls_code(s3)
    assert loop_labels(code, "gemm")[-6:] == [
        "l_mm_i_outer", "l_i_inner_outer", "l_i_inner_inner", "l_j",
        "l_k_outer", "l_k_inner"]
    assert "min(3, " in loop_header(code, "l_i_inner_inner")
    assert "min(4, " in loop_header(code, "l_k_inner")
    A, B = K.rand_int((8, 6)), K.rand_int((6, 10), seed=2)
    (out,) = check_csim(s3, A, B, project=project)
    np.testing.assert_array_equal(out, K.gemm_ref(A, B))


# --------------------------------------------------------------------------- reorder


def test_reorder_split_loops_tutorial(tmp_path):
    s = allo.customize(K.gemm)
    s.split("i", 4)
    s.split("j", 5)
    s.reorder("i.outer", "j.outer", "i.inner", "j.inner")
    code = hls_code(s)
    assert loop_labels(code, "gemm")[2:] == [
        "l_mm_i_outer", "l_j_outer", "l_i_inner", "l_j_inner", "l_k"]
    A, B = K.rand_int((8, 6)), K.rand_int((6, 10), seed=3)
    (out,) = check_csim(s, A, B, project=str(tmp_path))
    np.testing.assert_array_equal(out, K.gemm_ref(A, B))


def test_reorder_moves_stage_label_and_keeps_float_bits(tmp_path):
    s = allo.customize(K.gemm_f)
    s.reorder("k", "i")  # (i, j, k) -> (k, j, i): the stage name moves to k
    code = hls_code(s)
    assert loop_labels(code, "gemm_f")[-3:] == ["l_mm_k", "l_j", "l_i"]
    rng = np.random.default_rng(4)
    A = rng.standard_normal((8, 6)).astype(np.float32)
    B = rng.standard_normal((6, 10)).astype(np.float32)
    (out,) = check_csim(s, A, B, project=str(tmp_path))
    assert out.tobytes() == K.gemm_f_ref(A, B).tobytes()


def test_reorder_and_fuse_across_an_imperfect_nest(tmp_path):
    """The schedule.md §12 'handles on an imperfect nest' scenario, built for HLS."""
    s = allo.customize(nest_imperfect)
    loops = s.get_loops()
    s.split(loops.S_i_j_0.k, 4)
    s.reorder("k.outer", "j")  # distributes j around its two inner loops
    s.unroll(s.get_loops().S_i_j_0["k.inner"])
    s.fuse("i", "k.outer")  # distributes the stage root: new stage S_i_j_0_d1
    s.pipeline("m")
    s.pipeline("j")
    s.unroll("j", 2)
    code = hls_code(s)
    assert_unique_labels(code)
    assert loop_labels(code, "nest_imperfect")[-6:] == [
        "l_S_i_j_0_i_k_outer_fused", "l_j", "l_k_inner", "l_S_i_j_0_d1_i_d1", "l_j_d1", "l_m"]
    assert pragmas_opening(code, "l_k_inner") == ["#pragma HLS unroll"]
    assert pragmas_opening(code, "l_j") == ["#pragma HLS pipeline II=1",
                                            "#pragma HLS unroll factor=2"]
    assert pragmas_opening(code, "l_m") == ["#pragma HLS pipeline II=1"]
    A = K.rand_int((4, 6, 8))
    (out,) = check_csim(s, A, project=str(tmp_path))
    np.testing.assert_array_equal(out, (A + 1) * 3)


# --------------------------------------------------------------------------- fuse


def test_fuse_index_recovery_with_div_and_mod(tmp_path):
    s = allo.customize(pe_add)
    f = s.fuse("u", "w")
    s.unroll(f, 2)
    code = hls_code(s)
    assert loop_header(code, "l_cell_u_w_fused") == \
        "l_cell_u_w_fused: for (int u_w_fused = 0; u_w_fused < 12; u_w_fused++) {"
    assert pragmas_opening(code, "l_cell_u_w_fused") == ["#pragma HLS unroll factor=2"]
    assert "(u_w_fused / 4)" in code and "(u_w_fused % 4)" in code
    P = K.rand_int((3, 4))
    (out,) = check_csim(s, P, project=str(tmp_path))
    np.testing.assert_array_equal(out, P + 7)


def test_fuse_three_loops_split_remainder_and_parallel(tmp_path):
    project = str(tmp_path)
    s = allo.customize(K.gemm)
    f = s.fuse("i", "j", "k")
    s.split(f, 7)  # 480 = 68*7 + 4
    s.parallel("i_j_k_fused.outer")
    code = hls_code(s)
    assert loop_header(code, "l_mm_i_j_k_fused_outer") == \
        "l_mm_i_j_k_fused_outer: for (int i_j_k_fused_outer = 0; i_j_k_fused_outer < 69; " \
        "i_j_k_fused_outer++) {"
    assert pragmas_opening(code, "l_mm_i_j_k_fused_outer") == ["#pragma HLS unroll"]
    assert "min(7, " in loop_header(code, "l_i_j_k_fused_inner")
    assert " / 60)" in code and " % 10)" in code and " % 6)" in code
    A, B = K.rand_int((8, 6)), K.rand_int((6, 10), seed=9)
    (out,) = check_csim(s, A, B, project=project)
    np.testing.assert_array_equal(out, K.gemm_ref(A, B))

    s2 = allo.customize(K.gemm)
    s2.fuse("j", "k")  # an inner pair: the stage root keeps its label
    code = hls_code(s2)
    assert loop_labels(code, "gemm")[-2:] == ["l_mm_i", "l_j_k_fused"]
    (out,) = check_csim(s2, A, B, project=project)
    np.testing.assert_array_equal(out, K.gemm_ref(A, B))


# --------------------------------------------------------------------------- unroll, pipeline, parallel


def test_unroll_full_and_partial(tmp_path):
    s = allo.customize(K.gemm)
    s.unroll("k")
    s.unroll("j", 3)  # need not divide the trip count (10)
    code = hls_code(s)
    assert pragmas_opening(code, "l_k") == ["#pragma HLS unroll"]
    assert pragmas_opening(code, "l_j") == ["#pragma HLS unroll factor=3"]
    assert pragmas_opening(code, "l_mm_i") == []
    A, B = K.rand_int((8, 6), seed=5), K.rand_int((6, 10), seed=6)
    (out,) = check_csim(s, A, B, project=str(tmp_path))
    np.testing.assert_array_equal(out, K.gemm_ref(A, B))


def test_pipeline_ii_rewind_and_pipeline_with_unroll(tmp_path):
    s = allo.customize(K.gemm_f)
    s.pipeline("k", initiation_interval=3)
    s.pipeline("i", rewind=True)
    s.pipeline("j")
    s.unroll("j", 2)  # pipeline and unroll on one loop: the pipeline pragma first
    code = hls_code(s)
    assert pragmas_opening(code, "l_k") == ["#pragma HLS pipeline II=3"]
    assert pragmas_opening(code, "l_mm_i") == ["#pragma HLS pipeline II=1 rewind"]
    assert pragmas_opening(code, "l_j") == ["#pragma HLS pipeline II=1",
                                            "#pragma HLS unroll factor=2"]
    rng = np.random.default_rng(8)
    A = rng.standard_normal((8, 6)).astype(np.float32)
    B = rng.standard_normal((6, 10)).astype(np.float32)
    (out,) = check_csim(s, A, B, project=str(tmp_path))
    assert out.tobytes() == K.gemm_f_ref(A, B).tobytes()


def test_annotations_on_runtime_bound_loops(tmp_path):
    s = allo.customize(K.runtime_bound)
    s.pipeline("i", initiation_interval=2)
    s.unroll("dyn.i", 2)
    code = hls_code(s)
    assert re.fullmatch(r"l_dyn_i: for \(int i = 0; i < v\d+; i\+\+\) \{",
                        loop_header(code, "l_dyn_i"))
    assert pragmas_opening(code, "l_dyn_i") == ["#pragma HLS pipeline II=2",
                                                "#pragma HLS unroll factor=2"]
    A = K.rand_int(10)
    for n in (7, 0, 10):
        (out,) = check_csim(s, A, n, project=str(tmp_path))
        np.testing.assert_array_equal(out, K.runtime_bound_ref(A, n))


def test_parallel_is_a_full_unroll(tmp_path):
    s = allo.customize(K.twopass)
    s.parallel("u")
    s.parallel("S_z_3.z")
    code = hls_code(s)
    assert pragmas_opening(code, "l_u") == ["#pragma HLS unroll"]
    assert pragmas_opening(code, "l_S_z_3_z") == ["#pragma HLS unroll"]
    assert loop_labels(code, "twopass")[-5:] == [
        "l_S_r_q_0_r", "l_q", "l_S_t_1_t", "l_u", "l_S_z_3_z"]
    X = K.rand_int((6, 12))
    (out,) = check_csim(s, X, project=str(tmp_path))
    np.testing.assert_array_equal(out, K.twopass_ref(X))


# --------------------------------------------------------------------------- compute_at


def test_compute_at_depth_2_and_depth_1(tmp_path):
    project = str(tmp_path)
    X = K.rand_int((6, 12))
    s = allo.customize(twostep)
    n = s.get_loops()
    s.compute_at(n.mul.b, n.add.b)
    code = hls_code(s)
    assert "l_mul_" not in code
    labels = loop_labels(code, "twostep")
    assert labels[-2:] == ["l_add_a", "l_b"]
    body = code[code.index("l_add_a: for"):]
    assert body.index("T[a][b] = ") < body.index("v1[a][b] = ")  # U is the result v1
    (out,) = check_csim(s, X, project=project)
    np.testing.assert_array_equal(out, X * 3 + 1)

    s1 = allo.customize(twostep)
    s1.compute_at("mul.a", "add.a")  # the producer's b loop sits beside the consumer's
    code = hls_code(s1)
    assert_unique_labels(code)
    assert loop_labels(code, "twostep")[-3:] == ["l_add_a", "l_b", "l_b1"]
    (out,) = check_csim(s1, X, project=project)
    np.testing.assert_array_equal(out, X * 3 + 1)


def test_compute_at_chained_then_fuse_split(tmp_path):
    s = allo.customize(three)
    loops = s.get_loops()
    s.compute_at(loops.S_i_j_m_0.m, loops.C.m)
    s.compute_at(loops.C.j, loops.D.j)
    s.fuse("D.i", "D.j")
    s.split("D.i_j_fused", 3)  # 20 = 6*3 + 2
    code = hls_code(s)
    assert_unique_labels(code)
    labels = loop_labels(code, "three")
    assert labels[-4:] == ["l_D_i_j_fused_outer", "l_i_j_fused_inner", "l_m", "l_m1"]
    assert "min(3, " in loop_header(code, "l_i_j_fused_inner")
    A = K.rand_int((4, 5, 6))
    (out,) = check_csim(s, A, project=str(tmp_path))
    np.testing.assert_array_equal(out, (A + 1) * 2 - A)


def test_compute_at_guarded_bounds_use_if(tmp_path):
    project = str(tmp_path)
    X = K.rand_int((8, 12))
    s = allo.customize(larger_producer)
    s.compute_at("mul.b", "add.b")  # the consumer body runs only where a < 6
    code = hls_code(s)
    assert loop_header(code, "l_add_a") == "l_add_a: for (int a = 0; a < 8; a++) {"
    assert code.count("if (") == 1
    assert re.search(r"if \(\(.*>= 0\)\) \{", code)
    (out,) = check_csim(s, X, project=project)
    np.testing.assert_array_equal(out, X[:6] * 3 + 1)

    s2 = allo.customize(larger_consumer)
    s2.compute_at("mul.b", "add.b")  # the producer body runs only where a < 4
    code = hls_code(s2)
    assert code.count("if (") == 1
    body = code[code.index("l_add_a: for"):]
    assert body.index("if (") < body.index("T[a][b] = ") < body.index("v1[a][b] = ")
    (out,) = check_csim(s2, X, project=project)
    T = np.zeros((8, 12), np.int32)
    T[:4] = X[:4] * 3
    np.testing.assert_array_equal(out, T + 1)


def test_compute_at_in_a_callee(tmp_path):
    s = allo.customize(K.stages_top)
    s.compute_at("stages_callee:prod.b", "stages_callee:cons.b")
    loops = s.get_loops("stages_callee")
    s.reorder(loops.cons.b, loops.cons.a)
    code = hls_code(s)
    assert loop_labels(code, "stages_callee")[-2:] == ["l_cons_b", "l_a"]
    X = K.rand_int((4, 6))
    (out,) = check_csim(s, X, project=str(tmp_path))
    np.testing.assert_array_equal(out, K.stages_top_ref(X))


# --------------------------------------------------------------------------- unfold


def copy2_ref(A):
    p = np.arange(2)[:, None, None]
    q = np.arange(2)[None, :, None]
    return (A + p + q).astype(np.int32)


@pytest.mark.parametrize("axes, callees", [
    ([0], ["pe_kernel"]),
    ([1], ["pe_kernel_0", "pe_kernel_1"]),
    ([0, 1], ["pe_kernel_0_0", "pe_kernel_0_1", "pe_kernel_1_0", "pe_kernel_1_1"]),
])
def test_unfold_callee_clones(tmp_path, axes, callees):
    s = allo.customize(pe_grid)
    s.unfold("PE", axes)
    if len(callees) > 1:
        s.inline(callees[-1])  # every clone can be scheduled on its own
    code = hls_code(s)
    defined = sorted(re.findall(r"^void (pe_kernel\w*)\(\n", code, flags=re.M))
    assert defined == callees
    for name in callees:
        assert re.search(rf"^\s+{name}\(", code, flags=re.M), name
    if len(callees) > 1:
        assert body_pragmas(code, callees[-1]) == ["#pragma HLS inline"]
        assert all(body_pragmas(code, c) == [] for c in callees[:-1])
    A, B = K.rand_int(2), K.rand_int(2, seed=1)
    C = np.zeros((2, 2), np.int32)
    check_csim(s, A, B, C, project=str(tmp_path))
    expected = (A[:, None] * 10 + B[None, :]).astype(np.int32)
    cpu_C = C.copy()
    s.build()(A, B, cpu_C)
    np.testing.assert_array_equal(cpu_C, expected)


def test_unfold_stage_root_and_inner_axes(tmp_path):
    project = str(tmp_path)
    A = K.rand_int((2, 2, 3))
    s = allo.customize(copy2)
    s.unfold("PE", [0])  # the copies become stages PE_0, PE_1
    s.unroll("PE_1.r", 3)
    s.pipeline(s.get_loops().PE_0.q)
    code = hls_code(s)
    assert_unique_labels(code)
    labels = loop_labels(code, "copy2")
    assert labels[0].startswith("l_PE_0_") and "l_PE_1_" in " ".join(labels)
    assert len(labels) == 4
    assert code.count("#pragma HLS unroll factor=3") == 1
    assert pragmas_opening(code, labels[0]) == ["#pragma HLS pipeline II=1"]
    check_csim(s, A, np.zeros((2, 2, 3), np.int32), project=project)
    cpu_B = np.zeros((2, 2, 3), np.int32)
    s.build()(A, cpu_B)
    np.testing.assert_array_equal(cpu_B, copy2_ref(A))

    s2 = allo.customize(copy2)
    s2.unfold("copy2:PE", [1, 0])  # four stages of one r loop each
    code = hls_code(s2)
    assert_unique_labels(code)
    assert len(loop_labels(code, "copy2")) == 4
    assert code.count("    v1[") == 4  # one store into B (parameter v1) per copy
    check_csim(s2, A, np.zeros((2, 2, 3), np.int32), project=project)


# --------------------------------------------------------------------------- inline, dataflow


def test_inline_function(tmp_path):
    s = allo.customize(K.calls_scale)
    s.inline("scale_row")
    code = hls_code(s)
    assert body_pragmas(code, "scale_row") == ["#pragma HLS inline"]
    assert body_pragmas(code, "calls_scale") == []
    X = K.rand_int(12)
    (out,) = check_csim(s, X, project=str(tmp_path))
    np.testing.assert_array_equal(out, K.calls_scale_ref(X))


def test_dataflow_on_function_and_loop(tmp_path):
    project = str(tmp_path)
    s = allo.customize(K.calls_scale)
    s.dataflow("calls_scale")
    s.inline()
    code = hls_code(s)
    assert body_pragmas(code, "calls_scale") == ["#pragma HLS dataflow", "#pragma HLS inline"]
    X = K.rand_int(12, seed=4)
    (out,) = check_csim(s, X, project=project)
    np.testing.assert_array_equal(out, K.calls_scale_ref(X))

    s2 = allo.customize(K.gemm)
    s2.dataflow(s2.get_loops().mm.j)
    s2.pipeline("k")
    code = hls_code(s2)
    assert pragmas_opening(code, "l_j") == ["#pragma HLS dataflow"]
    assert pragmas_opening(code, "l_k") == ["#pragma HLS pipeline II=1"]
    A, B = K.rand_int((8, 6)), K.rand_int((6, 10), seed=7)
    (out,) = check_csim(s2, A, B, project=project)
    np.testing.assert_array_equal(out, K.gemm_ref(A, B))

    s3 = allo.customize(K.runtime_bound)
    s3.dataflow(s3.get_loops().dyn.i)  # a run-time bound loop
    code = hls_code(s3)
    assert pragmas_opening(code, "l_dyn_i") == ["#pragma HLS dataflow"]
    A = K.rand_int(10)
    (out,) = check_csim(s3, A, 6, project=project)
    np.testing.assert_array_equal(out, K.runtime_bound_ref(A, 6))


# --------------------------------------------------------------------------- labels


def label_clash(A: int32[4, 4]):
    for x in range(4, name="p"):  # stage p, loop x: label l_p_x
        for p_x in range(4):  # loop p_x: label l_p_x as well
            A[x, p_x] += x - p_x


def test_labels_that_concatenate_to_one_text_stay_distinct(tmp_path):
    s = allo.customize(label_clash)
    s.split("p_x", 3)
    s.unroll("p_x.inner")
    code = hls_code(s)
    assert_unique_labels(code)
    assert loop_labels(code, "label_clash") == ["l_p_x", "l_p_x_outer", "l_p_x_inner"]
    s2 = allo.customize(label_clash)
    code = hls_code(s2)
    assert loop_labels(code, "label_clash") == ["l_p_x", "l_p_x1"]
    A = K.rand_int((4, 4))
    check_csim(s2, A, project=str(tmp_path))
    check_csim(s, A, project=str(tmp_path))
    cpu = A.copy()
    s.build()(cpu)
    x, y = np.meshgrid(np.arange(4), np.arange(4), indexing="ij")
    np.testing.assert_array_equal(cpu, A + x - y)


# --------------------------------------------------------------------------- Vitis interfaces


def mm_acc(A: float32[4, 6], B: float32[6, 5], C: float32[4, 5]):
    for i, j in allo.grid(4, 5, name="C"):
        for k in allo.reduction(6):
            C[i, j] += A[i, k] * B[k, j]


@pytest.mark.parametrize("target, wrap_io", [("vhls", True), ("vitis_hls", True),
                                             ("vitis_hls", False)])
def test_scheduled_kernel_on_every_interface(tmp_path, target, wrap_io):
    """One schedule of every loop primitive kind, through plain, wrapped and pointer tops."""
    s = allo.customize(mm_acc)
    s.split("j", 2)
    s.reorder("j.outer", "i")
    s.fuse("j.outer", "i")
    s.pipeline("k")
    s.unroll("j.inner")
    code = s.build(target, wrap_io=wrap_io).hls_code
    assert_unique_labels(code)
    assert loop_labels(code, "mm_acc")[-3:] == ["l_C_j_outer_i_fused", "l_j_inner", "l_k"]
    assert "min(2, " in loop_header(code, "l_j_inner")
    rng = np.random.default_rng(11)
    A = rng.standard_normal((4, 6)).astype(np.float32)
    B = rng.standard_normal((6, 5)).astype(np.float32)
    C = rng.standard_normal((4, 5)).astype(np.float32)
    check_csim(s, A, B, C, target=target, wrap_io=wrap_io, project=str(tmp_path))
    ref = C.copy()
    for i in range(4):
        for j in range(5):
            for k in range(6):
                ref[i, j] = np.float32(ref[i, j] + np.float32(A[i, k] * B[k, j]))
    cpu_C = C.copy()
    s.build()(A, B, cpu_C)
    assert cpu_C.tobytes() == ref.tobytes()
