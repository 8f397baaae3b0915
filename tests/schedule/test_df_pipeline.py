"""allo.passes.df_pipeline pipelines innermost loops only, and results are unchanged."""

import numpy as np

import allo
from allo.ir.types import int32
from allo.passes import df_pipeline


def k(A: int32[4, 4], B: int32[4]) -> int32[4]:
    C: int32[4] = 0
    for i, j in allo.grid(4, 4):
        C[i] += A[i, j]
    for t in range(4):
        C[t] += B[t]
    return C


def test_innermost_loops_get_pipelined():
    s = allo.customize(k)
    assert df_pipeline(s.module, initiation_interval=2, rewind=True) == 2
    text = str(s.module)
    assert text.count("pipeline_ii = 2 : ui32") == 2 and text.count("rewind") == 2
    assert 'loop_name = "i", op_name' in text and 'loop_name = "i", op_name = "S_i_j_0", pipeline' not in text
    A = np.arange(16, dtype=np.int32).reshape(4, 4)
    B = np.arange(4, dtype=np.int32)
    np.testing.assert_array_equal(s.build()(A, B), A.sum(1) + B)
    assert "#pragma HLS pipeline II=2 rewind" in s.build(target="vhls").hls_code
