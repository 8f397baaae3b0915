"""reuse_at: line and window buffers (1-D, 2-D, 3-D windows, stacked, stride 2, after
split/reorder, intermediate buffers, pooling). Names and shapes follow the table of §3.4;
CPU results before and after equal numpy bit-exactly; errors change nothing."""

import numpy as np
import pytest

import allo
from allo.ir.utils import MockBuffer

from helpers_schedule import assert_cpu_matches, assert_refused, assert_replay_identical
import memory_kernels as K


def _decl(s, name):
    """The memref type of buffer ``name`` as declared by its alloc."""
    for line in str(s.module).splitlines():
        if f'{{name = "{name}"}}' in line and "memref.alloc" in line:
            return line.split(" : ")[-1].strip()
    raise AssertionError(f"{name} not declared")


def test_1d_window():
    s = allo.customize(K.blur1d)
    P = K.rand_int((6, 12))
    assert_cpu_matches(s, K.blur1d_ref, P)
    buf = s.reuse_at(s.P, "x")
    assert buf == MockBuffer("blur1d", "S_y_x_0_reuse_1")
    assert _decl(s, "S_y_x_0_reuse_1") == "memref<3xi32>"
    text = str(s.module)
    assert "affine.for %arg2 = 0 to 12 {" in text  # N + W - 1 input positions
    assert text.count('from = "P"') == 1  # each element of P loaded once
    assert_cpu_matches(s, K.blur1d_ref, P)
    assert_replay_identical(K.blur1d, s)


def test_2d_line_then_window_buffer_then_partition_and_pipeline():
    s = allo.customize(K.box3)
    P = K.rand_int((8, 12))
    assert_cpu_matches(s, K.box3_ref, P)
    lb = s.reuse_at(s.P, "y")
    assert lb.name == "S_y_x_0_reuse_0" and _decl(s, lb.name) == "memref<3x12xi32>"
    assert_cpu_matches(s, K.box3_ref, P)
    wb = s.reuse_at(lb, "x")
    assert wb.name == "S_y_x_0_reuse_1" and _decl(s, wb.name) == "memref<3x3xi32>"
    assert_cpu_matches(s, K.box3_ref, P)
    s.partition(lb, dim=1)
    s.partition(wb)
    s.pipeline("x")
    assert _decl(s, lb.name).startswith("memref<3x12xi32, #map")
    text = str(s.module)
    assert "affine_map<(d0, d1) -> (d0, 0, 0, d1)>" in text
    assert "affine_map<(d0, d1) -> (d0, d1, 0, 0)>" in text
    assert "pipeline_ii = 1 : ui32" in text
    assert_cpu_matches(s, K.box3_ref, P)
    assert_replay_identical(K.box3, s)


def test_window_buffer_directly_on_the_input():
    s = allo.customize(K.box3)
    wb = s.reuse_at(s.P, "x")
    assert _decl(s, wb.name) == "memref<3x3xi32>"  # dy spans 3 rows, W = 3
    assert_cpu_matches(s, K.box3_ref, K.rand_int((8, 12), seed=1))


def test_3d_window_keeps_trailing_dimension():
    s = allo.customize(K.channels)
    P = K.rand_int((6, 12, 2))
    assert_cpu_matches(s, K.channels_ref, P)
    buf = s.reuse_at(s.P, "x")
    assert buf.name == "S_y_x_ch_0_reuse_1" and _decl(s, buf.name) == "memref<3x2xi32>"
    assert_cpu_matches(s, K.channels_ref, P)


def test_stride_2_line_and_window():
    s = allo.customize(K.strided)
    P = K.rand_int((7, 11))
    assert_cpu_matches(s, K.strided_ref, P)
    lb = s.reuse_at(s.P, "y")
    assert _decl(s, lb.name) == "memref<3x11xi32>"
    assert "0 to 7 {" in str(s.module)  # (N-1)*s + W input rows: exactly the rows of P
    assert_cpu_matches(s, K.strided_ref, P)
    wb = s.reuse_at(lb, "x")
    assert _decl(s, wb.name) == "memref<3x3xi32>"
    assert "affine_set<(d0) : (d0 - 2 >= 0, d0 mod 2 == 0)>" in str(s.module)
    assert_cpu_matches(s, K.strided_ref, P)


def test_after_split_and_reorder():
    s = allo.customize(K.blur1d)
    P = K.rand_int((6, 12), seed=2)
    s.split("x", 5)
    s.reorder("x.outer", "y")
    buf = s.reuse_at(s.P, "x.inner")
    assert buf.name == "S_y_x_0_reuse_2" and _decl(s, buf.name) == "memref<3xi32>"
    assert_cpu_matches(s, K.blur1d_ref, P)
    assert_replay_identical(K.blur1d, s)


def test_on_an_intermediate_buffer():
    s = allo.customize(K.two_stage)
    A = K.rand_int((6, 12))
    buf = s.reuse_at(s.T, "consume.x")
    assert buf.name == "consume_reuse_1" and _decl(s, buf.name) == "memref<3xi32>"
    assert_cpu_matches(s, K.two_stage_ref, A)


def test_nchw_max_pooling_stride_2():
    s = allo.customize(K.maxpool)
    A = K.rand_int((1, 2, 8, 8))
    assert_cpu_matches(s, K.maxpool_ref, A)
    lb = s.reuse_at(s.A, "h")
    assert lb.name == "S_n_c_h_w_0_reuse_2" and _decl(s, lb.name) == "memref<2x8xi32>"
    assert_cpu_matches(s, K.maxpool_ref, A)
    wb = s.reuse_at(lb, "w")
    assert wb.name == "S_n_c_h_w_0_reuse_3" and _decl(s, wb.name) == "memref<2x2xi32>"
    assert_cpu_matches(s, K.maxpool_ref, A)


@pytest.mark.parametrize("kernel, target, axis, exc, fragment", [
    (K.blur1d, "P", "y", allo.ScheduleError, "cannot find a reuse pattern on axis y"),
    (K.gapped, "P", "x", allo.ScheduleError, "cannot find a reuse pattern on axis x"),
    (K.blur1d, "Q", "x", allo.ScheduleError, "written under the loop"),
    (K.box3, "P", "dy", allo.ScheduleError, "non-reduction loop"),
    (K.box3, "acc", "x", allo.ScheduleArgumentError, "scalar"),
    (K.shifted_start, "P", "x", allo.NotAffineError,
     "must have constant bounds, constant step and zero lower bound"),
    (K.blur1d, "P", "z", allo.LoopNotFoundError, "z"),
    (K.blur1d, "R", "x", allo.BufferNotFoundError, "R"),
])
def test_illegal_requests_change_nothing(kernel, target, axis, exc, fragment):
    s = allo.customize(kernel)
    assert_refused(s, exc, fragment, "reuse_at", f"{kernel.__name__}:{target}", axis)


def test_reuse_twice_on_one_loop_is_refused_cleanly():
    s = allo.customize(K.box3)
    s.reuse_at(s.P, "x")
    # the first buffer's reads now sit under the guard of the transformed loop
    assert_refused(s, allo.ScheduleError, "reuse", "reuse_at",
                   "box3:S_y_x_0_reuse_1", "x")


def test_new_operations_carry_source_locations():
    s = allo.customize(K.box3)
    s.reuse_at(s.reuse_at(s.P, "y"), "x")
    text = s.module.operation.get_asm(enable_debug_info=True)
    assert text.count("loc(unknown)") == 1  # only the module itself
    assert "test_reuse.py" not in text and "memory_kernels.py" in text


def test_outer_loop_of_a_split_strides_over_the_inner_one():
    s = allo.customize(K.blur1d)
    P = K.rand_int((6, 12), seed=5)
    s.split("x", 5)
    buf = s.reuse_at(s.P, "x.outer")  # reads P[y, 5*xo + xi + c]: W = 5 + 2, stride 5
    assert buf.name == "S_y_x_0_reuse_1" and _decl(s, buf.name) == "memref<7xi32>"
    assert_cpu_matches(s, K.blur1d_ref, P)


def test_unsigned_elements_keep_their_type_tags():
    s = allo.customize(K.blur_u8)
    P = np.random.default_rng(0).integers(0, 256, (6, 12)).astype(np.uint8)
    assert_cpu_matches(s, K.blur_u8_ref, P)
    s.reuse_at(s.P, "x")
    assert '{allo.type = "ui8", name = "S_y_x_0_reuse_1", unsigned} : memref<3xi8>' \
        in str(s.module)
    assert 'allo.type = "ui8", from = "S_y_x_0_reuse_1"' in str(s.module)
    assert_cpu_matches(s, K.blur_u8_ref, P)
    assert "uint8_t S_y_x_0_reuse_1[3];" in str(s.build(target="vhls"))


def test_window_first_then_line_buffer_feeding_it():
    s = allo.customize(K.box3)
    P = K.rand_int((8, 12), seed=7)
    wb = s.reuse_at(s.P, "x")  # window over P itself (rows dy span 3)
    lb = s.reuse_at(s.P, "y")  # now only the window's loads read P
    assert (wb.name, _decl(s, wb.name)) == ("S_y_x_0_reuse_1", "memref<3x3xi32>")
    assert (lb.name, _decl(s, lb.name)) == ("S_y_x_0_reuse_0", "memref<3x12xi32>")
    assert str(s.module).count('from = "P"') == 1
    assert_cpu_matches(s, K.box3_ref, P)


def test_in_a_callee_by_function_prefix_returns_a_handle_of_that_function():
    s = allo.customize(K.blur_caller)
    P = K.rand_int((6, 12), seed=8)
    buf = s.reuse_at("blur1d:P", "blur1d:x")
    assert buf == MockBuffer("blur1d", "S_y_x_0_reuse_1")
    s.partition(buf)
    assert_cpu_matches(s, K.blur1d_ref, P)
    assert_replay_identical(K.blur_caller, s)
