"""Memory primitives through the HLS backend: the emitted arrays and pragmas (``schedule.md``
§3, §7, §11; ``backends.md`` §3.3, §3.6) and C simulation bit-identical to the CPU build.

Every test builds its schedule once for the CPU and once as g++ C simulation through
``helpers.check_csim`` (one project directory per test) and compares both with a numpy
reference. Array pragmas are read right after the array's declaration, or at the top of the
function body for parameters (named ``v0``, ``v1``, ... in every function).
"""

import numpy as np
import pytest

import allo
from allo.ir.types import float32

from helpers import check_csim
from hls_text import array_pragmas_after, function_body, hls_code, loop_labels, pragmas_opening
import memory_kernels as K

pytestmark = pytest.mark.csim
P = allo.Partition


def partition_pragma(var: str, kind: str, dim: int, factor: int = 0) -> str:
    tail = "" if kind == "complete" else f" factor={factor}"
    return f"#pragma HLS array_partition variable={var} {kind} dim={dim}{tail}"


# --------------------------------------------------------------------------- partition


@pytest.mark.parametrize("target, args, kwargs, var, expected", [
    ("X", (), {}, "v0", [("complete", 1), ("complete", 2)]),
    ("X", (P.Block,), {"dim": 0, "factor": 2}, "v0", [("block", 1, 2), ("block", 2, 2)]),
    ("X", (P.Cyclic,), {"dim": 0, "factor": 3}, "v0", [("cyclic", 1, 3), ("cyclic", 2, 3)]),
    ("X", (), {"dim": 1, "factor": 2}, "v0", [("complete", 1)]),  # factor ignored
    ("Y", (P.Cyclic,), {"dim": 2, "factor": 4}, "v1", [("cyclic", 2, 4)]),  # the result
    ("Y", (P.Block,), {"dim": 1, "factor": 3}, "v1", [("block", 1, 3)]),
    # bank size ceil(12/5) = 3: the layout reads back as the 4 non-empty banks
    ("X", (P.Block,), {"dim": 2, "factor": 5}, "v0", [("block", 2, 4)]),
    ("X", (P.Cyclic,), {"dim": 1, "factor": 1}, "v0", []),  # one bank: nothing to say
])
def test_partition_kinds_on_a_parameter_and_the_result(tmp_path, target, args, kwargs, var,
                                                       expected):
    s = allo.customize(K.affine2)
    s.partition(getattr(s, target), *args, **kwargs)
    code = hls_code(s)
    decl = f"int32_t {var}[6][12]"
    assert array_pragmas_after(code, decl) == [partition_pragma(var, *e) for e in expected]
    assert code.count("#pragma HLS array_partition") == len(expected)
    X = K.rand_int((6, 12))
    (out,) = check_csim(s, X, project=str(tmp_path))
    np.testing.assert_array_equal(out, K.affine2_ref(X))


def test_partition_two_dimensions_and_a_local(tmp_path):
    project = str(tmp_path)
    s = allo.customize(K.affine2)
    s.partition(s.X, dim=1)
    s.partition(s.X, P.Block, dim=2, factor=6)
    code = hls_code(s)
    assert array_pragmas_after(code, "int32_t v0[6][12]") == [
        partition_pragma("v0", "complete", 1), partition_pragma("v0", "block", 2, 6)]
    X = K.rand_int((6, 12), seed=1)
    (out,) = check_csim(s, X, project=project)
    np.testing.assert_array_equal(out, K.affine2_ref(X))

    s2 = allo.customize(K.two_stage)
    s2.partition(s2.T, P.Cyclic, dim=2, factor=3)  # a local keeps its source name
    code = hls_code(s2)
    assert array_pragmas_after(code, "int32_t T[6][12];") == [
        partition_pragma("T", "cyclic", 2, 3)]
    (out,) = check_csim(s2, X, project=project)
    np.testing.assert_array_equal(out, K.two_stage_ref(X))


def test_partition_of_a_callee_parameter_reaches_every_function(tmp_path):
    s = allo.customize(K.top6)
    s.partition("inc6:V", P.Cyclic, dim=1, factor=2)
    code = hls_code(s)
    pragma = "#pragma HLS array_partition variable={} cyclic dim=1 factor=2"
    inc6, top6 = function_body(code, "inc6"), function_body(code, "top6")
    # inc6: V and the buffer it returns; top6: X, the call result T and the result R
    assert array_pragmas_after(inc6, "int32_t v0[6]") == [pragma.format("v0"),
                                                          pragma.format("v1")]
    assert array_pragmas_after(top6, "int32_t v0[6]") == [pragma.format("v0"),
                                                          pragma.format("v1")]
    assert array_pragmas_after(top6, "int32_t v2[6];") == [pragma.format("v2")]
    assert code.count("#pragma HLS array_partition") == 5
    X = K.rand_int(6)
    (out,) = check_csim(s, X, project=str(tmp_path))
    np.testing.assert_array_equal(out, K.top6_ref(X))


def test_partition_of_nested_call_results(tmp_path):
    s = allo.customize(K.nested)
    s.partition("leaf:V", P.Block, dim=1, factor=3)  # flows up to nested:X
    s.partition("nested:N", P.Cyclic, dim=1, factor=2)  # flows down to leaf's result
    code = hls_code(s)
    block = "#pragma HLS array_partition variable={} block dim=1 factor=3"
    cyclic = "#pragma HLS array_partition variable={} cyclic dim=1 factor=2"
    for func in ("leaf", "middle"):
        assert array_pragmas_after(function_body(code, func), "int32_t v0[6]") == [
            block.format("v0"), cyclic.format("v1")]
    top = function_body(code, "nested")
    assert array_pragmas_after(top, "int32_t v0[6]") == [block.format("v0")]  # Z: untouched
    assert array_pragmas_after(top, "int32_t v4[6];") == [cyclic.format("v4")]  # N
    X = K.rand_int(6, seed=2)
    (out,) = check_csim(s, X, project=str(tmp_path))
    np.testing.assert_array_equal(out, K.nested_ref(X))


def test_partition_of_a_call_result_and_a_constant(tmp_path):
    project = str(tmp_path)
    s = allo.customize(K.top6)
    s.partition(s.T)  # complete on a call result: inc6's parameter and result too
    code = hls_code(s)
    assert code.count("complete dim=1") == 5
    X = K.rand_int(6, seed=3)
    (out,) = check_csim(s, X, project=project)
    np.testing.assert_array_equal(out, K.top6_ref(X))

    s2 = allo.customize(K.scale_const)
    s2.partition(s2.K)
    code = hls_code(s2)
    assert array_pragmas_after(code, "int32_t K[6];") == [
        "#pragma HLS array_partition variable=K complete dim=1"]
    (out,) = check_csim(s2, X, project=project)
    np.testing.assert_array_equal(out, K.scale_const_ref(X))


@pytest.mark.parametrize("target, wrap_io", [("vhls", True), ("vitis_hls", True),
                                             ("vitis_hls", False)])
def test_partition_of_two_call_sites_on_every_interface(tmp_path, target, wrap_io):
    s = allo.customize(K.twice_called)
    s.partition(s.P, P.Cyclic, dim=1, factor=3)  # P and Q both reach inc6:V
    s.partition(s.C, P.Block, dim=1, factor=2)  # C and D are both results of inc6
    code = hls_code(s, target, wrap_io=wrap_io)
    cyclic = "#pragma HLS array_partition variable={} cyclic dim=1 factor=3"
    block = "#pragma HLS array_partition variable={} block dim=1 factor=2"
    assert array_pragmas_after(function_body(code, "inc6"), "int32_t v0[6]") == [
        cyclic.format("v0"), block.format("v1")]
    top = function_body(code, "twice_called")
    if target == "vhls":
        assert array_pragmas_after(top, "int32_t v0[6]") == [cyclic.format("v0"),
                                                             cyclic.format("v1")]
        assert array_pragmas_after(top, "int32_t v4[6];") == [block.format("v4")]
    elif wrap_io:  # the layout lives on the on-chip copies buf0/buf1 of the m_axi ports
        assert array_pragmas_after(top, "int32_t buf0[6];") == [cyclic.format("buf0")]
        assert array_pragmas_after(top, "int32_t buf1[6];") == [cyclic.format("buf1")]
        assert array_pragmas_after(function_body(code, "load_buf0"), "int32_t v1[6]") == [
            cyclic.format("v1")]
    else:  # pointers (m_axi ports) cannot be partitioned: only the callee's arrays are
        assert "variable=v0" not in top and "variable=v1" not in top
        assert array_pragmas_after(top, "int32_t v4[6];") == [block.format("v4")]
    A, B = K.rand_int(6, seed=4), K.rand_int(6, seed=5)
    (out,) = check_csim(s, A, B, target=target, wrap_io=wrap_io, project=str(tmp_path))
    np.testing.assert_array_equal(out, K.twice_called_ref(A, B))


# --------------------------------------------------------------------------- reshape


@pytest.mark.parametrize("target, wrap_io", [("vhls", True), ("vitis_hls", True),
                                             ("vitis_hls", False)])
def test_reshape_parameter_and_result_then_partition(tmp_path, target, wrap_io):
    s = allo.customize(K.add_one_10x10)
    s.reshape(s.A, (2, 5, 2, 5))
    s.reshape(s.B, (4, 25))
    s.partition(s.B, P.Cyclic, dim=2, factor=5)
    code = hls_code(s, target, wrap_io=wrap_io)
    if target == "vhls":
        assert "  int32_t v0[2][5][2][5],\n  int32_t v1[4][25]\n) {" in code
        assert array_pragmas_after(code, "int32_t v1[4][25]") == [
            "#pragma HLS array_partition variable=v1 cyclic dim=2 factor=5"]
    elif wrap_io:
        assert "int32_t buf0[2][5][2][5];" in code
        assert array_pragmas_after(code, "int32_t B[4][25];") == [
            "#pragma HLS array_partition variable=B cyclic dim=2 factor=5"]
    A = K.rand_int((10, 10))
    (out,) = check_csim(s, A.reshape(2, 5, 2, 5), target=target, wrap_io=wrap_io,
                        project=str(tmp_path))
    assert out.shape == (4, 25)
    np.testing.assert_array_equal(out, (A + 1).reshape(4, 25))


def test_reshape_of_a_returned_buffer_and_of_an_alias_class(tmp_path):
    project = str(tmp_path)
    s = allo.customize(K.cube)
    s.reshape(s.B, (8, 2, 4))
    code = hls_code(s)
    assert "  int32_t v0[4][4][4],\n  int32_t v1[8][2][4]\n) {" in code
    A = K.rand_int((4, 4, 4))
    (out,) = check_csim(s, A, project=project)
    np.testing.assert_array_equal(out, K.cube_ref(A).reshape(8, 2, 4))

    s2 = allo.customize(K.top6)
    s2.reshape("inc6:V", (2, 3))  # every member of the class: X, T, R, V, W
    code = hls_code(s2)
    assert "[6]" not in code
    assert "  int32_t v0[2][3],\n  int32_t v1[2][3]\n) {" in function_body(code, "inc6")
    assert "int32_t v2[2][3];" in function_body(code, "top6")
    X = K.rand_int(6)
    (out,) = check_csim(s2, X.reshape(2, 3), project=project)
    np.testing.assert_array_equal(out, K.top6_ref(X).reshape(2, 3))


def test_reshape_of_copies_and_non_affine_accesses(tmp_path):
    project = str(tmp_path)
    A = K.rand_int((6, 4))
    s = allo.customize(K.copy_in)
    s.reshape(s.A, (24,))  # B = A: the copy becomes an element loop
    assert "int32_t v0[24]" in hls_code(s)
    (out,) = check_csim(s, A.reshape(24), project=project)
    np.testing.assert_array_equal(out, K.copy_in_ref(A))
    s2 = allo.customize(K.copy_in)
    s2.reshape(s2.B, (3, 8))
    (out,) = check_csim(s2, A, project=project)
    np.testing.assert_array_equal(out, K.copy_in_ref(A).reshape(3, 8))

    s3 = allo.customize(K.gather)  # A[I[t]]: index arithmetic with arith ops
    s3.reshape(s3.A, (3, 2, 2))
    assert "int32_t v0[3][2][2]" in hls_code(s3)
    G = K.rand_int(12)
    idx = np.random.default_rng(3).integers(0, 12, 12).astype(np.int32)
    (out,) = check_csim(s3, G.reshape(3, 2, 2), idx, project=project)
    np.testing.assert_array_equal(out, K.gather_ref(G, idx))


# --------------------------------------------------------------------------- buffer_at


def gemm_small(A: float32[8, 6], B: float32[6, 10]) -> float32[8, 10]:
    C: float32[8, 10] = 0.0
    for i, j in allo.grid(8, 10, name="mm"):
        for k in allo.reduction(6):
            C[i, j] += A[i, k] * B[k, j]
    return C


def gemm_small_ref(A, B):
    C = np.zeros((8, 10), np.float32)
    for k in range(6):  # per element: the same order of float operations as the kernel
        C = (C + (A[:, k:k + 1] * B[k:k + 1, :]).astype(np.float32)).astype(np.float32)
    return C


def test_buffer_at_row_buffer_with_pipelined_init_and_write_back(tmp_path):
    s = allo.customize(gemm_small)
    s.buffer_at(s.C, "i")
    code = hls_code(s)
    assert "float C_buf[10];" in code
    assert loop_labels(code, "gemm_small")[-5:] == ["l_mm_i", "l_j_init", "l_j", "l_k",
                                                    "l_j_back"]
    assert pragmas_opening(code, "l_j_init") == ["#pragma HLS pipeline II=1"]
    assert pragmas_opening(code, "l_j_back") == ["#pragma HLS pipeline II=1"]
    rng = np.random.default_rng(1)
    A = rng.standard_normal((8, 6)).astype(np.float32)
    B = rng.standard_normal((6, 10)).astype(np.float32)
    (out,) = check_csim(s, A, B, project=str(tmp_path))
    assert out.tobytes() == gemm_small_ref(A, B).tobytes()


def test_buffer_at_scalar_accumulators(tmp_path):
    project = str(tmp_path)
    rng = np.random.default_rng(2)
    A = rng.standard_normal((8, 6)).astype(np.float32)
    B = rng.standard_normal((6, 10)).astype(np.float32)
    s = allo.customize(gemm_small)
    s.buffer_at(s.C, "j")
    code = hls_code(s)
    assert "float C_buf[1];" in code and "_init" not in code and "_back" not in code
    (out,) = check_csim(s, A, B, project=project)
    assert out.tobytes() == gemm_small_ref(A, B).tobytes()

    s2 = allo.customize(K.mv)
    s2.buffer_at(s2.out, "r")
    assert "float out_buf[1];" in hls_code(s2)
    M, v = K.rand_float((6, 12)), K.rand_float(12, seed=1)
    (out,) = check_csim(s2, M, v, project=project)
    assert out.tobytes() == K.mv_ref(M, v).tobytes()


def test_buffer_at_initialises_from_an_output_parameter(tmp_path):
    project = str(tmp_path)
    A, C = K.rand_int((4, 6, 5)), K.rand_int((4, 6), seed=1)
    expected = C.copy()
    K.accumulate_ref(A, expected)
    for axis, decl in (("b", "int32_t C_buf[6];"), ("i", "int32_t C_buf[1];")):
        s = allo.customize(K.accumulate_into)
        s.buffer_at(s.C, axis)
        assert decl in hls_code(s)
        check_csim(s, A, C, project=project)  # compares the final contents of C
        after = C.copy()
        s.build()(A, after)
        np.testing.assert_array_equal(after, expected)


def test_buffer_at_twice_and_partition_of_the_buffer(tmp_path):
    s = allo.customize(K.rows_then_scale)
    s.buffer_at(s.C, "i")
    buf = s.buffer_at(s.C, "b")
    s.partition(buf, P.Cyclic, dim=2, factor=5)
    code = hls_code(s)
    assert "int32_t C_buf[5];" in code
    assert array_pragmas_after(code, "int32_t C_buf_1[6][5];") == [
        "#pragma HLS array_partition variable=C_buf_1 cyclic dim=2 factor=5"]
    A = K.rand_int((8, 6, 5))
    (out,) = check_csim(s, A, project=str(tmp_path))
    np.testing.assert_array_equal(out, K.rows_then_scale_ref(A))


def test_buffer_at_in_a_callee_with_reorder_partition_pipeline(tmp_path):
    project = str(tmp_path)
    s = allo.customize(K.mm_top)
    s.reorder("mm_out:k", "mm_out:j")
    s.partition("mm_out:B", P.Complete, dim=2)
    s.buffer_at("mm_out:C", "mm_out:i")
    s.pipeline("mm_out:j")
    code = hls_code(s)
    callee = function_body(code, "mm_out")
    assert "int32_t C_buf[6];" in callee
    assert loop_labels(callee)[-4:] == ["l_j_init", "l_k", "l_j", "l_j_back"]
    assert pragmas_opening(callee, "l_j") == ["#pragma HLS pipeline II=1"]
    pragma = "#pragma HLS array_partition variable=v1 complete dim=2"
    assert pragma in array_pragmas_after(callee, "int32_t v1[5][6],")
    assert pragma in function_body(code, "mm_top")  # B flows up to the top's parameter
    A, B = K.rand_int((4, 5)), K.rand_int((5, 6), seed=1)
    (out,) = check_csim(s, A, B, project=project)
    np.testing.assert_array_equal(out, K.mm_top_ref(A, B))

    s2 = allo.customize(K.reduction_between)  # a reduction loop between i and j
    s2.buffer_at(s2.C, "i")
    A3 = K.rand_int((4, 5, 6))
    (out,) = check_csim(s2, A3, project=project)
    np.testing.assert_array_equal(out, K.reduction_between_ref(A3))


# --------------------------------------------------------------------------- reuse_at


def test_reuse_1d_window_and_3d_trailing_dimension(tmp_path):
    project = str(tmp_path)
    s = allo.customize(K.blur1d)
    s.reuse_at(s.P, "x")
    code = hls_code(s)
    assert "int32_t S_y_x_0_reuse_1[3];" in code
    assert "l_S_y_x_0_reuse_1_shift_0" in loop_labels(code)
    assert code.count("= v0[") == 1  # every element of P is loaded once
    X = K.rand_int((6, 12))
    (out,) = check_csim(s, X, project=project)
    np.testing.assert_array_equal(out, K.blur1d_ref(X))

    s2 = allo.customize(K.channels)
    s2.reuse_at(s2.P, "x")
    assert "int32_t S_y_x_ch_0_reuse_1[3][2];" in hls_code(s2)
    X3 = K.rand_int((6, 12, 2))
    (out,) = check_csim(s2, X3, project=project)
    np.testing.assert_array_equal(out, K.channels_ref(X3))


@pytest.mark.parametrize("target, wrap_io", [("vhls", True), ("vitis_hls", True),
                                             ("vitis_hls", False)])
def test_reuse_line_and_window_buffers_partitioned_and_pipelined(tmp_path, target, wrap_io):
    s = allo.customize(K.box3)
    lb = s.reuse_at(s.P, "y")
    wb = s.reuse_at(lb, "x")
    s.partition(lb, dim=1)
    s.partition(wb)
    s.pipeline("x")
    code = hls_code(s, target, wrap_io=wrap_io)
    assert array_pragmas_after(code, "int32_t S_y_x_0_reuse_0[3][12];") == [
        "#pragma HLS array_partition variable=S_y_x_0_reuse_0 complete dim=1"]
    assert array_pragmas_after(code, "int32_t S_y_x_0_reuse_1[3][3];") == [
        "#pragma HLS array_partition variable=S_y_x_0_reuse_1 complete dim=1",
        "#pragma HLS array_partition variable=S_y_x_0_reuse_1 complete dim=2"]
    assert pragmas_opening(code, "l_x") == ["#pragma HLS pipeline II=1"]
    assert loop_labels(code, "box3").index("l_S_y_x_0_y") < loop_labels(code, "box3").index("l_x")
    X = K.rand_int((8, 12))
    (out,) = check_csim(s, X, target=target, wrap_io=wrap_io, project=str(tmp_path))
    np.testing.assert_array_equal(out, K.box3_ref(X))


def test_reuse_stride_2_and_pooling(tmp_path):
    project = str(tmp_path)
    s = allo.customize(K.strided)
    s.reuse_at(s.reuse_at(s.P, "y"), "x")
    code = hls_code(s)
    assert "int32_t S_y_x_0_reuse_0[3][11];" in code
    assert "int32_t S_y_x_0_reuse_1[3][3];" in code
    assert "% 2) == 0)" in code  # only every second position computes an output
    X = K.rand_int((7, 11))
    (out,) = check_csim(s, X, project=project)
    np.testing.assert_array_equal(out, K.strided_ref(X))

    s2 = allo.customize(K.maxpool)
    s2.reuse_at(s2.reuse_at(s2.A, "h"), "w")
    code = hls_code(s2)
    assert "int32_t S_n_c_h_w_0_reuse_2[2][8];" in code
    assert "int32_t S_n_c_h_w_0_reuse_3[2][2];" in code
    A = K.rand_int((1, 2, 8, 8))
    (out,) = check_csim(s2, A, project=project)
    np.testing.assert_array_equal(out, K.maxpool_ref(A))


def test_reuse_after_split_reorder_and_on_intermediate_buffers(tmp_path):
    project = str(tmp_path)
    X = K.rand_int((6, 12), seed=2)
    s = allo.customize(K.blur1d)
    s.split("x", 5)
    s.reorder("x.outer", "y")
    s.reuse_at(s.P, "x.inner")
    code = hls_code(s)
    assert "int32_t S_y_x_0_reuse_2[3];" in code
    assert loop_labels(code, "blur1d")[-4:] == ["l_S_y_x_0_x_outer", "l_y", "l_x_inner",
                                                "l_S_y_x_0_reuse_2_shift_0"]
    (out,) = check_csim(s, X, project=project)
    np.testing.assert_array_equal(out, K.blur1d_ref(X))

    s2 = allo.customize(K.blur1d)
    s2.split("x", 5)
    s2.reuse_at(s2.P, "x.outer")  # the window spans the inner loop: 5 + 2 elements
    assert "int32_t S_y_x_0_reuse_1[7];" in hls_code(s2)
    (out,) = check_csim(s2, X, project=project)
    np.testing.assert_array_equal(out, K.blur1d_ref(X))

    s3 = allo.customize(K.two_stage)
    s3.reuse_at(s3.T, "consume.x")
    s3.pipeline("consume.x")
    code = hls_code(s3)
    assert "int32_t consume_reuse_1[3];" in code
    (out,) = check_csim(s3, X, project=project)
    np.testing.assert_array_equal(out, K.two_stage_ref(X))


def test_reuse_window_first_unsigned_and_in_a_callee(tmp_path):
    project = str(tmp_path)
    s = allo.customize(K.box3)
    s.reuse_at(s.P, "x")
    s.reuse_at(s.P, "y")  # the line buffer now feeds the window's loads
    code = hls_code(s)
    assert "int32_t S_y_x_0_reuse_0[3][12];" in code
    assert "int32_t S_y_x_0_reuse_1[3][3];" in code
    X = K.rand_int((8, 12), seed=7)
    (out,) = check_csim(s, X, project=project)
    np.testing.assert_array_equal(out, K.box3_ref(X))

    s2 = allo.customize(K.blur_u8)
    s2.reuse_at(s2.P, "x")
    assert "uint8_t S_y_x_0_reuse_1[3];" in hls_code(s2)
    U = np.random.default_rng(0).integers(0, 256, (6, 12)).astype(np.uint8)
    (out,) = check_csim(s2, U, project=project)
    np.testing.assert_array_equal(out, K.blur_u8_ref(U))

    s3 = allo.customize(K.blur_caller)
    buf = s3.reuse_at("blur1d:P", "blur1d:x")
    s3.partition(buf)
    code = hls_code(s3)
    callee = function_body(code, "blur1d")
    assert array_pragmas_after(callee, "int32_t S_y_x_0_reuse_1[3];") == [
        "#pragma HLS array_partition variable=S_y_x_0_reuse_1 complete dim=1"]
    assert "reuse" not in function_body(code, "blur_caller")
    X2 = K.rand_int((6, 12), seed=8)
    (out,) = check_csim(s3, X2, project=project)
    np.testing.assert_array_equal(out, K.blur1d_ref(X2))
