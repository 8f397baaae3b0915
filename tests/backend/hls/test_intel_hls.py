"""The ihls target (backends.md §7): one SYCL source, loop attributes, code generation only."""

import os

import numpy as np
import pytest

import allo
from allo.ir.types import Int, float32, int32


def gemm(A: float32[8, 8], B: float32[8, 8], k: int32) -> (float32[8, 8], Int(12)):
    C: float32[8, 8] = 0.0
    for i, j in allo.grid(8, 8, name="C"):
        for r in allo.reduction(8):
            C[i, j] += A[i, r] * B[r, j] + allo.exp(A[i, j])
    return C, k


def test_sycl_source():
    s = allo.customize(gemm)
    s.pipeline("j")
    s.unroll("r", 2)
    mod = s.build(target="ihls")
    assert isinstance(mod, allo.HLSModule) and mod.platform == "intel_hls"
    code = mod.hls_code
    for text in ("#if FPGA_SIMULATOR", "#elif FPGA_HARDWARE", "#else  // FPGA_EMULATOR",
                 "fpga_emulator_selector_v", "queue q(selector);",
                 "buffer<float, 1> b_v0(h_v0.data(), range<1>(64));",
                 "accessor v0(b_v0, h, read_write);",
                 "h.single_task<Top_gemm>([=]() [[intel::kernel_args_restrict]] {",
                 "[[intel::initiation_interval(1)]] for (int j = 0; j < 8; j++) {",
                 "#pragma unroll 2\n", "v3[(i) * 8 + (j)] = ", "sycl::exp(",
                 "std::vector<ac_int<12, true>> h_v4(1);", "v4[0] = "):
        assert text in code, text
    assert "#pragma HLS" not in code and "ap_int<" not in code
    s2 = allo.customize(gemm)
    s2.unroll("r")
    assert "#pragma unroll\n" in s2.build(target="ihls").hls_code


def test_single_function_only_and_no_runs(tmp_path):
    def inner(x: int32) -> int32:
        return x + 1

    def outer(x: int32) -> int32:
        return inner(x)

    with pytest.raises(allo.BuildError, match="single-function modules only"):
        allo.customize(outer).build(target="ihls")
    mod = allo.customize(gemm).build(target="ihls", mode="csim", project=str(tmp_path / "p"))
    assert {"kernel.cpp", "Makefile"} <= set(os.listdir(tmp_path / "p"))
    with pytest.raises(allo.BuildError, match="generates code only"):
        mod(np.zeros((8, 8), np.float32), np.zeros((8, 8), np.float32), 1)
