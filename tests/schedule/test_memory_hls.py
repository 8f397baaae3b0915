"""Memory primitives through the HLS backend: pragmas of partitioned arrays, buffer_at and
reuse_at buffers in the generated C++, and C simulation equal to the CPU build."""

import numpy as np
import pytest

import allo
from allo.backend.hls import is_available

import memory_kernels as K

needs_csim = pytest.mark.skipif(not is_available("csim"), reason="g++ or HLS headers missing")


def test_partition_pragmas_in_every_function_of_the_class():
    s = allo.customize(K.top6)
    s.partition("inc6:V", allo.Partition.Cyclic, dim=1, factor=2)
    code = str(s.build(target="vhls"))
    assert code.count("#pragma HLS array_partition variable=v0 cyclic dim=1 factor=2") == 2


def test_multi_dim_pragmas_use_the_emitter_names():
    s = allo.customize(K.affine2)
    s.partition(s.X, allo.Partition.Block, dim=0, factor=2)
    code = str(s.build(target="vhls"))
    assert "#pragma HLS array_partition variable=v0 block dim=1 factor=2" in code
    assert "#pragma HLS array_partition variable=v0 block dim=2 factor=2" in code


@pytest.mark.csim
@needs_csim
def test_line_and_window_buffers_csim_equals_cpu():
    s = allo.customize(K.box3)
    lb = s.reuse_at(s.P, "y")
    wb = s.reuse_at(lb, "x")
    s.partition(lb, dim=1)
    s.partition(wb)
    s.pipeline("x")
    code = str(s.build(target="vhls"))
    assert "int32_t S_y_x_0_reuse_0[3][12];" in code
    assert "int32_t S_y_x_0_reuse_1[3][3];" in code
    assert "#pragma HLS array_partition variable=S_y_x_0_reuse_1 complete dim=2" in code
    P = K.rand_int((8, 12))
    cpu = s.build()(P)
    out = np.zeros((6, 10), dtype=np.int32)
    s.build(target="vhls", mode="csim")(P, out)
    np.testing.assert_array_equal(out, cpu)
    np.testing.assert_array_equal(out, K.box3_ref(P))


@pytest.mark.csim
@needs_csim
def test_stride_2_pooling_and_buffer_at_csim_equal_cpu():
    s = allo.customize(K.maxpool)
    s.reuse_at(s.reuse_at(s.A, "h"), "w")
    A = K.rand_int((1, 2, 8, 8))
    out = np.zeros((1, 2, 4, 4), dtype=np.int32)
    s.build(target="vhls", mode="csim")(A, out)
    np.testing.assert_array_equal(out, s.build()(A))
    np.testing.assert_array_equal(out, K.maxpool_ref(A))
    s2 = allo.customize(K.rows_then_scale)
    s2.buffer_at(s2.C, "b")
    code = str(s2.build(target="vhls"))
    assert "int32_t C_buf[6][5];" in code and "#pragma HLS pipeline II=1" in code
    B = K.rand_int((8, 6, 5))
    out2 = np.zeros((8, 6, 5), dtype=np.int32)
    s2.build(target="vhls", mode="csim")(B, out2)
    np.testing.assert_array_equal(out2, K.rows_then_scale_ref(B))
