"""External C++ IP (backends.md §8): signature parsing, direct calls, calls inside kernels."""

import os

import numpy as np
import pytest

import allo
from allo.backend.hls import is_available
from allo.ir.types import int32

needs_gxx = pytest.mark.skipif(not is_available("csim"), reason="needs g++ and hls4ml headers")

VADD = """
// element-wise sum
void vadd(int A[4], int B[4], int C[4]) {
  for (int i = 0; i < 4; i++) C[i] = A[i] + B[i];
}
"""

SHAPES = """
#include <stdint.h>
extern "C" {
void mixed(float *P, int32_t M[2][3], double s, uint8_t Q[2][2][2][2]);
}
void mixed(float *P, int32_t M[2][3], double s, uint8_t Q[2][2][2][2]) {
  for (int i = 0; i < 6; i++) P[i] = P[i] * (float)s + M[i / 3][i % 3];
  Q[1][1][1][1] = (uint8_t)(Q[0][0][0][0] + 1);
}
"""

APINT = """
void widen(ap_int<5> A[4], ap_uint<12> B[4]) {
  for (int i = 0; i < 4; i++) B[i] = A[i] * 3;
}
"""


@pytest.fixture
def ip_dir(tmp_path):
    (tmp_path / "vadd.cpp").write_text(VADD)
    (tmp_path / "mixed.cpp").write_text(SHAPES)
    (tmp_path / "widen.cpp").write_text(APINT)
    return tmp_path


def test_signature_parsing(ip_dir):
    ip = allo.IPModule("mixed", str(ip_dir / "mixed.cpp"))
    got = [(a.name, str(a.dtype), a.shape, a.kind) for a in ip.args]
    assert got == [("P", "f32", (), "pointer"), ("M", "i32", (2, 3), "array"),
                   ("s", "f64", (), "scalar"), ("Q", "ui8", (2, 2, 2, 2), "array")]
    ip = allo.IPModule("widen", str(ip_dir / "widen.cpp"))
    assert [str(a.dtype) for a in ip.args] == ["i5", "ui12"]


def test_missing_file_and_unparsable_signature(ip_dir):
    with pytest.raises(FileNotFoundError, match="Path does not exist: .*Consider using an absolute path."):
        allo.IPModule("vadd", str(ip_dir / "nope.cpp"))
    with pytest.raises(allo.BuildError, match="Failed to parse"):
        allo.IPModule("absent", str(ip_dir / "vadd.cpp"))
    with pytest.raises(allo.BuildError, match="Failed to parse"):
        allo.IPModule("widen", str(ip_dir / "widen.cpp"), link_hls=False)


@needs_gxx
def test_direct_calls_update_arrays_in_place(ip_dir):
    ip = allo.IPModule("vadd", str(ip_dir / "vadd.cpp"))
    A = np.arange(4, dtype=np.int32)
    C = np.zeros(4, np.int32)
    assert ip(A, A * 10, C) is None
    np.testing.assert_array_equal(C, A * 11)
    assert os.path.dirname(ip.shared_lib) == str(ip_dir / "_tmp")
    mixed = allo.IPModule("mixed", str(ip_dir / "mixed.cpp"))
    P = np.ones(6, np.float32)
    M = np.arange(6, dtype=np.int32).reshape(2, 3)
    Q = np.zeros((2, 2, 2, 2), np.uint8)
    Q[0, 0, 0, 0] = 41
    mixed(P, M, 2.5, Q)
    np.testing.assert_array_equal(P, 2.5 + np.arange(6))
    assert Q[1, 1, 1, 1] == 42
    widen = allo.IPModule("widen", str(ip_dir / "widen.cpp"))
    A5 = np.array([-16, -1, 0, 15], np.int8)
    B12 = np.zeros(4, np.uint16)
    widen(A5, B12)
    np.testing.assert_array_equal(B12, (A5.astype(np.int64) * 3) % 4096)
    with pytest.raises(allo.ArgumentError, match="dtype"):
        ip(A.astype(np.int64), A, C)




@needs_gxx
def test_ip_inside_a_kernel_hls_and_csim(ip_dir, tmp_path):
    ip = allo.IPModule("vadd", str(ip_dir / "vadd.cpp"))
    vadd_ip = ip  # noqa: F841 - the kernel resolves the name from this frame

    def caller(X: int32[4], Y: int32[4]) -> int32[4]:
        Z: int32[4]
        vadd_ip(X, Y, Z)
        for i in range(4):
            Z[i] = Z[i] * 2
        return Z

    s = allo.customize(caller)
    assert ip in s.built.ext_libs
    code = s.build("vhls").hls_code
    assert '#include "vadd.cpp"' in code and "vadd(v0, v1, v2);" in code
    assert "void vadd(" not in code
    project = str(tmp_path / "p")
    mod = s.build("vhls", mode="csim", project=project)
    assert os.path.isfile(os.path.join(project, "vadd.cpp"))
    assert "add_files vadd.cpp" in open(os.path.join(project, "run.tcl")).read()
    X, Y = np.arange(4, dtype=np.int32), np.full(4, 5, np.int32)
    out = np.zeros(4, np.int32)
    mod(X, Y, out)
    np.testing.assert_array_equal(out, 2 * (X + Y))
    np.testing.assert_array_equal(s.build()(X, Y), out)


@needs_gxx
def test_ip_in_a_vitis_project_is_copied_wrapped_and_simulated(ip_dir, tmp_path):
    ip = allo.IPModule("vadd", str(ip_dir / "vadd.cpp"))
    vadd_ip = ip  # noqa: F841 - the kernel resolves the name from this frame

    def twice_sum(X: int32[4], Y: int32[4]) -> int32[4]:
        Z: int32[4]
        vadd_ip(X, Y, Z)
        for i in range(4):
            Z[i] = Z[i] + Z[i]
        return Z

    s = allo.customize(twice_sum)
    project = tmp_path / "vitis"
    mod = s.build("vitis_hls", mode="csim", project=str(project))
    kernel = (project / "kernel.cpp").read_text()
    assert kernel == mod.hls_code
    assert kernel.index("#include <stdint.h>") < kernel.index('#include "vadd.cpp"')
    copied = (project / "vadd.cpp").read_text()
    assert 'extern "C"' in copied and "void vadd(int A[4]" in copied and "m_axi" not in copied
    tcl = (project / "run.tcl").read_text()
    assert tcl.index("# Add design and testbench files") < tcl.index("add_files vadd.cpp")
    X, Y = np.arange(4, dtype=np.int32), np.full(4, -9, np.int32)
    out = np.zeros(4, np.int32)
    mod(X, Y, out)
    np.testing.assert_array_equal(out, 2 * (X + Y))
    np.testing.assert_array_equal(s.build()(X, Y), out)


def test_an_ip_file_named_kernel_cpp_is_refused(tmp_path):
    (tmp_path / "kernel.cpp").write_text(VADD)
    ip = allo.IPModule("vadd", str(tmp_path / "kernel.cpp"))
    vadd_ip = ip  # noqa: F841

    def uses(X: int32[4], Y: int32[4]) -> int32[4]:
        Z: int32[4]
        vadd_ip(X, Y, Z)
        return Z

    with pytest.raises(allo.BuildError, match="kernel.cpp is reserved for the top function"):
        allo.customize(uses).build("vhls", mode="csim", project=str(tmp_path / "p"))
