"""C simulation calling conventions: the reference's (inputs then outputs) and the CPU
build's (inputs only, results returned), driven by the same test code; conversion warnings."""

import sys

import numpy as np
import pytest

import allo
from allo.backend.hls import is_available
from allo.ir.types import Fixed, Int, float32, int32

from helpers import check_csim

pytestmark = pytest.mark.csim

if not is_available("csim"):
    pytest.skip("C simulation needs g++ and the hls4ml headers", allow_module_level=True)


def stats(A: float32[6], B: int32[6]) -> (float32[6], int32, float32):
    C: float32[6] = 0.0
    total: int32 = 0
    peak: float32 = A[0]
    for i in range(6):
        C[i] = A[i] * 2.0 + B[i]
        total += B[i]
        peak = max(peak, A[i])
    return C, total, peak


def narrow(A: Int(40)[4], F: Fixed(12, 4)[4]) -> (Int(40)[4], Fixed(12, 4)):
    R: Int(40)[4] = 0
    s: Fixed(12, 4) = 0.0
    for i in range(4):
        R[i] = A[i] * 3
        s += F[i]
    return R, s


def in_place(A: int32[5]) -> int32[5]:
    for i in range(5):
        A[i] = A[i] + 7
    return A


def _both_ways(fn, *inputs):
    """(CPU results, csim results in the CPU convention, csim results via output arrays)."""
    s = allo.customize(fn)
    cpu = s.build()(*[np.copy(x) for x in inputs])
    sim = s.build(target="vhls", mode="csim")
    returned = sim(*[np.copy(x) for x in inputs])
    return cpu, returned, sim


def test_inputs_only_returns_what_the_cpu_build_returns():
    A = np.linspace(-1, 2, 6).astype(np.float32)
    B = np.arange(6, dtype=np.int32) - 2
    cpu, returned, sim = _both_ways(stats, A, B)
    assert isinstance(returned, list) and len(returned) == 3
    np.testing.assert_array_equal(returned[0], cpu[0])
    assert returned[0].dtype == np.float32
    assert returned[1] == cpu[1] == int(B.sum()) and isinstance(returned[1], int)
    assert returned[2] == cpu[2] and isinstance(returned[2], float)
    # the reference convention on the same module: inputs, then one container per result
    C, total, peak = np.zeros(6, np.float32), np.zeros(1, np.int32), np.zeros(1, np.float32)
    assert sim(A, B, C, total, peak) is None
    np.testing.assert_array_equal(C, cpu[0])
    assert (total[0], peak[0]) == (cpu[1], cpu[2])


def test_wide_integers_and_fixed_point_results():
    A = np.array([1, -2, 3 << 30, -(5 << 30)], dtype=np.int64)
    F = np.array([0.5, -1.25, 3.0625, 2.0])
    cpu, returned, _ = _both_ways(narrow, A, F)
    np.testing.assert_array_equal(returned[0], cpu[0])
    assert returned[1] == cpu[1] == pytest.approx(F.sum())


def test_a_returned_parameter_and_a_single_result():
    A = np.arange(5, dtype=np.int32)
    cpu, returned, sim = _both_ways(in_place, A)
    assert isinstance(returned, np.ndarray)
    np.testing.assert_array_equal(returned, cpu)
    np.testing.assert_array_equal(returned, A + 7)


def test_wrong_argument_count_names_both_conventions():
    sim = allo.customize(stats).build(target="vhls", mode="csim")
    with pytest.raises(allo.ArgumentError, match=r"expected 5 arguments \(inputs then outputs\) "
                                                 r"or 2 \(inputs only; results returned\), got 3"):
        sim(np.zeros(6, np.float32), np.zeros(6, np.int32), np.zeros(6, np.float32))


def test_lossy_conversion_warns_at_the_call_line():
    sim = allo.customize(in_place).build(target="vhls", mode="csim")
    A = np.array([0.9, 1.0, -2.5, 3.0, 4.0])
    with pytest.warns(allo.DTypeWarning) as rec:
        line = sys._getframe().f_lineno + 1
        out = sim(A)
    assert out.tolist() == [7, 8, 5, 10, 11]
    assert (rec[0].filename, rec[0].lineno) == (__file__, line)
    assert "2 of 5 values lose their fractional part (e.g. 0.9 becomes 0)" in str(rec[0].message)


TABLE = np.array([0.5, -1.25, 2.0, 3.5], np.float32)


def scale_by(A: float32[4], W: float32[4], C: float32[4]):
    for i in range(4):
        C[i] = A[i] * W[i]


def constant_weight_to_callee(X: float32[4]) -> float32[4]:
    Y: float32[4] = 0.0
    scale_by(X, TABLE, Y)
    return Y


def test_a_constant_global_passed_to_a_callee_compiles_and_matches_the_cpu():
    """C++ rejects a ``const float[4]`` for a ``float[4]`` parameter: such a global is not
    printed ``const`` (one only read in place stays ``const``)."""
    s = allo.customize(constant_weight_to_callee)
    code = s.build(target="vhls").hls_code
    assert "float TABLE[4] = {" in code and "const float TABLE" not in code
    assert "scale_by(v0, TABLE, v1);" in code
    X = np.array([1.0, 2.0, -3.0, 0.25], np.float32)
    (out,) = check_csim(s, X)
    np.testing.assert_array_equal(out, X * TABLE)
