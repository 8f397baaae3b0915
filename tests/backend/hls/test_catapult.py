"""The Catapult target (backends.md §7): AC-typed code, Catapult pragmas, project, runs."""

import os
import shutil
import textwrap

import numpy as np
import pytest

import allo
from allo.ir.types import Fixed, Int, UFixed, UInt, float16, float32, int32

XLS_INCLUDE = os.path.join(os.path.dirname(allo.__file__), "backend", "xls", "include")


def gemm(A: int32[8, 8], B: int32[8, 8]) -> int32[8, 8]:
    C: int32[8, 8] = 0
    for i, j in allo.grid(8, 8, name="C"):
        for k in allo.reduction(8):
            C[i, j] += A[i, k] * B[k, j]
    return C


def gemm_schedule():
    s = allo.customize(gemm)
    s.split("i", 4)
    s.pipeline("j")
    s.unroll("k", 2)
    s.partition(s.A, dim=1)
    return s


def bits(a: Int(12), b: UInt(7)) -> Int(12):
    c: Int(12) = a
    c[2:6] = b[0:4]
    d: Int(12) = c + b + a[3:9]
    return d


def test_catapult_spellings():
    mod = gemm_schedule().build(target="catapult")
    assert isinstance(mod, allo.HLSModule) and mod.platform == "catapult"
    code = mod.hls_code
    includes = [ln for ln in code.splitlines() if ln.startswith("#include")]
    assert includes == ["#include <algorithm>", "#include <ac_int.h>", "#include <ac_fixed.h>",
                        "#include <ac_channel.h>", "#include <math.h>", "#include <stdint.h>"]
    assert "#pragma hls_design top\nvoid gemm(" in code
    assert "#pragma hls_pipeline_init_interval 1" in code
    assert "#pragma hls_unroll 2" in code
    assert "#pragma HLS" not in code and "ap_int<" not in code
    assert "ac_int<65, true> " in code and "int32_t v0[8][8]" in code
    code = allo.customize(bits).build(target="catapult").hls_code
    assert "ac_int<12, true> v0" in code and "ac_int<7, false> v1" in code
    assert ".template slc<4>(" in code and ".set_slc(" in code and ".range(" not in code


def test_catapult_dataflow_inline_and_full_unroll():
    def scale(A: int32[8]) -> int32[8]:
        B: int32[8]
        for i in range(8):
            B[i] = A[i] * 3
        return B

    def outer(A: int32[8]) -> int32[8]:
        return scale(A)

    s = allo.customize(outer)
    s.inline("scale")
    s.dataflow("outer")
    s.unroll("scale:i")
    code = s.build(target="catapult").hls_code
    assert "#pragma hls_design inline" in code and "#pragma hls_design dataflow" in code
    assert "#pragma hls_unroll yes" in code


def test_catapult_project_and_tool_errors(tmp_path, monkeypatch):
    monkeypatch.delenv("MGC_HOME", raising=False)
    monkeypatch.delenv("AC_TYPES_DIR", raising=False)
    project = tmp_path / "csim"
    mod = gemm_schedule().build(target="catapult", mode="csim", project=str(project),
                                configs={"frequency": 250})
    assert {"kernel.cpp", "kernel.h", "run.tcl", "Makefile", "host.cpp"} <= set(os.listdir(project))
    assert mod.host_code == (project / "host.cpp").read_text()
    tcl = (project / "run.tcl").read_text()
    order = ["solution new -state initial", "solution options defaults",
             'solution file add "$sfd/kernel.cpp" -type C++',
             'solution file add "$sfd/host.cpp" -type C++ -exclude true',
             "directive set -DESIGN_HIERARCHY gemm", "-CLOCK_PERIOD 4.0", "go analyze",
             "go compile", "solution app linkage", "exit"]
    positions = [tcl.index(text) for text in order]
    assert positions == sorted(positions)
    assert "Copyright Allo authors" in "\n".join(tcl.splitlines()[:6])
    A = np.ones((8, 8), np.int32)
    with pytest.raises(allo.ToolNotFoundError, match="MGC_HOME") as info:
        mod(A, A, np.zeros((8, 8), np.int32))
    assert str(project) in str(info.value)
    syn = tmp_path / "csyn"
    mod = gemm_schedule().build(target="catapult", mode="csyn", project=str(syn))
    tcl = (syn / "run.tcl").read_text()
    order = ["solution library add nangate-45nm_beh", "solution library add ccs_sample_mem",
             "go assembly", "go extract", "exit"]
    positions = [tcl.index(text) for text in order]
    assert positions == sorted(positions) and tcl.index("go compile") < positions[0]
    assert "host.cpp" not in tcl and not (syn / "host.cpp").exists()
    if shutil.which("catapult") is None:
        with pytest.raises(allo.ToolNotFoundError, match="'catapult' on PATH"):
            mod()
    with pytest.raises(allo.BuildError, match="Invalid mode 'sw_emu' for target 'catapult'"):
        gemm_schedule().build(target="catapult", mode="sw_emu", project=str(tmp_path / "x"))


def test_catapult_rejects_half():
    def h(A: float16[4]) -> float16[4]:
        B: float16[4]
        for i in range(4):
            B[i] = A[i] + A[i]
        return B

    with pytest.raises(allo.BuildError, match="float16"):
        allo.customize(h).build(target="catapult")


# A stand-in for the AC headers (which ship with Catapult): ac_int from our XLS emulation,
# ac_channel as a FIFO. It lets the test bench and text I/O of mode="csim" run for real.
AC_CHANNEL = """
#include <deque>
template <typename T> class ac_channel {
  std::deque<T> q_;
 public:
  T read() { T v = q_.front(); q_.pop_front(); return v; }
  void write(const T &v) { q_.push_back(v); }
};
"""


@pytest.fixture
def ac_headers(tmp_path, monkeypatch):
    if shutil.which("g++") is None:
        pytest.skip("needs g++")
    ac = tmp_path / "ac"
    ac.mkdir()
    (ac / "ac_int.h").write_text(f'#pragma once\n#include "{XLS_INCLUDE}/xls_int.h"\n')
    (ac / "ac_fixed.h").write_text("#pragma once\n")
    (ac / "ac_channel.h").write_text("#pragma once\n" + textwrap.dedent(AC_CHANNEL))
    monkeypatch.delenv("MGC_HOME", raising=False)
    monkeypatch.setenv("AC_TYPES_DIR", str(ac))
    return ac


@pytest.mark.csim
def test_catapult_csim_with_ac_headers(tmp_path, ac_headers):
    s = gemm_schedule()
    mod = s.build(target="catapult", mode="csim", project=str(tmp_path / "p"))
    rng = np.random.default_rng(1)
    A = rng.integers(-1000, 1000, (8, 8)).astype(np.int32)
    B = rng.integers(-1000, 1000, (8, 8)).astype(np.int32)
    out = np.zeros((8, 8), np.int32)
    assert mod(A, B, out) is None
    np.testing.assert_array_equal(out, s.build()(A, B))
    sb = allo.customize(bits)
    mod = sb.build(target="catapult", mode="csim", project=str(tmp_path / "b"))
    cpu = sb.build()
    for a, b in [(5, 3), (-2048, 127), (2047, 0), (-1, 64)]:
        res = np.zeros(1, np.int16)
        mod(a, b, res)
        assert int(res[0]) == cpu(a, b)


def smooth(X: float32[6, 5], w: float32) -> float32[6, 5]:
    Y: float32[6, 5]
    for i, j in allo.grid(6, 5):
        Y[i, j] = allo.exp(X[i, j] * w) / (1.0 + allo.sqrt(abs(X[i, j])))
    return Y


@pytest.mark.csim
def test_catapult_csim_floats_are_bit_exact(tmp_path, ac_headers):
    s = allo.customize(smooth)
    s.pipeline("j")
    mod = s.build(target="catapult", mode="csim", project=str(tmp_path / "f"))
    X = np.random.default_rng(3).standard_normal((6, 5)).astype(np.float32)
    out = np.zeros((6, 5), np.float32)
    mod(X, 0.37, out)
    assert out.tobytes() == s.build()(X, 0.37).tobytes()


def fixed_mix(a: Fixed(12, 4), b: UFixed(8, 6)) -> int32:
    c: Fixed(16, 8) = a * b + a
    d: int32 = c
    return d


def test_catapult_fixed_point_spellings():
    code = allo.customize(fixed_mix).build(target="catapult").hls_code
    assert "ac_fixed<12, 8, true> v0" in code and "ac_fixed<8, 2, false> v1" in code
    assert ".to_ac_int()" in code and "ap_" not in code and "to_ap_int_base" not in code
