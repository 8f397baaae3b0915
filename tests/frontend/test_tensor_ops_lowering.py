"""``customize(..., lower_linalg=True)`` (schedule.md §1.1): every whole-array op becomes one
named affine stage (its ``op_name``) with loops ``L_0``, ``L_1``, ...; results are unchanged and
the stages can be scheduled."""

import re

import numpy as np

import allo
from allo.ir.types import float32, int8, int16, int32

RNG = np.random.default_rng(11)


def many_ops(A: float32[4, 4], B: float32[4, 4], X: float32[1, 2, 5, 5], W: float32[3, 2, 2, 2],
             win: float32[2, 2], Z: float32[2, 4, 4]) -> (float32[4, 4], float32[2, 4, 4],
                                                          float32[1, 3, 4, 4], float32[1, 2, 4, 4],
                                                          float32[1, 2, 4, 4], float32[4]):
    C = allo.matmul(A, B)
    D = allo.bmm(Z, Z)
    E = allo.conv2d(X, W)
    F = allo.maxpool(X, win)
    G = allo.sumpool(X, win)
    H = allo.transpose(A)
    K = allo.softmax(allo.add(C, allo.ones((4, 4))))
    L = allo.softmax(A[0])
    M = K + H
    return M, D, E, F, G, L


STAGES = {"matmul_0": 3, "bmm_1": 4, "conv2d_2": 7, "maxpool_3": 6, "sumpool_4": 6,
          "transpose_5": 2, "ones_6": 2, "add_7": 2, "softmax_8": 4, "softmax_9": 4, "add_10": 2}


def _inputs():
    return (RNG.uniform(-2, 2, (4, 4)).astype(np.float32), RNG.uniform(-2, 2, (4, 4)).astype(np.float32),
            RNG.uniform(-2, 2, (1, 2, 5, 5)).astype(np.float32),
            RNG.uniform(-2, 2, (3, 2, 2, 2)).astype(np.float32), np.zeros((2, 2), np.float32),
            RNG.uniform(-2, 2, (2, 4, 4)).astype(np.float32))


def test_every_op_is_a_named_stage_without_linalg_compute():
    s = allo.customize(many_ops, lower_linalg=True)
    text = str(s.module)
    named_linalg = [line for line in text.splitlines() if "linalg." in line and "op_name" in line]
    assert not named_linalg, named_linalg
    assert set(re.findall(r"linalg\.(\w+)", text)) <= {"fill"}  # only accumulator starts remain
    loops = s.get_loops()
    assert [name for name, _ in loops] == list(STAGES)
    for stage, depth in STAGES.items():
        assert list(loops[stage].loops) == [f"L_{k}" for k in range(depth)], stage


def test_lowered_and_linalg_builds_agree_with_numpy():
    args = _inputs()
    linalg_out = allo.customize(many_ops).build()(*args)
    lowered_out = allo.customize(many_ops, lower_linalg=True).build()(*args)
    a, b, x, _, _, z = args
    c = a @ b
    ref_m = allo.softmax(c + 1) + a.T
    np.testing.assert_allclose(lowered_out[0], ref_m, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(lowered_out[1], np.matmul(z, z), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(lowered_out[5], allo.softmax(a[0]), rtol=1e-6)
    for lo, li in zip(lowered_out, linalg_out):
        np.testing.assert_allclose(lo, li, rtol=1e-6, atol=1e-6)


def test_lowered_matmul_can_be_scheduled():
    def gemm(A: int8[8, 6], B: int16[6, 8]) -> int16[8, 8]:
        C = allo.matmul(A, B, name="mm")
        return C

    s = allo.customize(gemm, lower_linalg=True)
    loops = s.get_loops()
    assert list(loops.mm.loops) == ["L_0", "L_1", "L_2"]
    s.split(loops.mm.L_0, 4)
    s.reorder("mm.L_2", "mm.L_1")
    s.pipeline("mm.L_1")
    text = str(s.module)
    assert 'op_name = "mm"' in text and "L_0.outer" in text and "pipeline_ii = 1" in text
    a = RNG.integers(-128, 128, (8, 6)).astype(np.int8)
    b = RNG.integers(-3000, 3000, (6, 8)).astype(np.int16)
    ref = (a.astype(np.int64) @ b.astype(np.int64)).astype(np.int16)
    np.testing.assert_array_equal(s.build()(a, b), ref)


def test_lowered_copy_view_concat_ones():
    def k(A: int32[3, 4]) -> (int32[3, 4], int32[4, 3], int32[6, 4], int32[3, 4]):
        return allo.copy(A), allo.view(A, (4, 3)), allo.concat(A, A), allo.zeros((3, 4), int32)

    s = allo.customize(k, lower_linalg=True)
    assert "memref.copy" not in str(s.module) and "linalg" not in str(s.module)
    assert [n for n, _ in s.get_loops()] == ["copy_0", "view_1", "concat_2", "zeros_3"]
    a = RNG.integers(-99, 99, (3, 4)).astype(np.int32)
    r = s.build()(a)
    np.testing.assert_array_equal(r[0], a)
    np.testing.assert_array_equal(r[1], a.reshape(4, 3))
    np.testing.assert_array_equal(r[2], np.concatenate([a, a]))
    np.testing.assert_array_equal(r[3], np.zeros((3, 4), np.int32))


def test_array_operators_are_stages_too():
    def k(A: int32[4, 4], B: int32[4]) -> int32[4, 4]:
        C = A + B
        D = C * 2
        return -D

    s = allo.customize(k)
    assert [n for n, _ in s.get_loops()][:3] == ["add_0", "mul_1", "sub_2"]
    a, b = RNG.integers(-99, 99, (4, 4)).astype(np.int32), RNG.integers(-99, 99, (4,)).astype(np.int32)
    np.testing.assert_array_equal(s.build()(a, b), -((a + b) * 2))
