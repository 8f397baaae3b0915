"""unify (schedule.md §9.2): one function stepping through two bodies, CPU and HLS."""

import numpy as np
import pytest

import allo
from allo.backend.hls import is_available
from allo.ir.types import float32, int32
from allo.primitives.unify import unify


def inc(A: int32[8]):
    for i in range(8):
        A[i] = A[i] + 1


def dbl(A: int32[8]):
    for i in range(8):
        A[i] = A[i] * 2


def add_rows(A: int32[4, 6], B: int32[4, 6]):
    for i, j in allo.grid(4, 6):
        B[i, j] = B[i, j] + A[i, j]


def shift_rows(A: int32[4, 6], B: int32[4, 6]):
    for i, j in allo.grid(4, 6):
        B[i, j] = B[i, j] - (A[i, j] << 1)


def take_a(A: float32[5], B: float32[5], C: float32[5]):
    for i in range(5):
        C[i] = A[i]


def take_b(A: float32[5], B: float32[5], C: float32[5]):
    for i in range(5):
        C[i] = B[i]


def row_prefix(A: int32[4, 6], B: int32[4, 6]):
    for i in range(4):
        for j in range(6):
            B[i, j] = B[i, j] + A[i, j]


def row_head(A: int32[4, 6], B: int32[4, 6]):
    for i in range(4):
        for j in range(2):
            B[i, j] = B[i, j] * 3
        B[i, 5] = A[i, 0]


def two_stages(A: int32[4, 6], B: int32[4, 6]):
    t: int32 = 0
    for i in range(4):
        t += A[i, 0]
    for i, j in allo.grid(4, 6):
        B[i, j] = B[i, j] + t


def returns(A: int32[8]) -> int32[8]:
    return A


def other_shape(A: int32[9]):
    for i in range(9):
        A[i] = 0


def _run(a, b, steps, **arrays):
    """Numpy model: step t applies ``a`` when steps[t] == 0, else ``b``."""
    for s in steps:
        (a if s == 0 else b)(**arrays)
    return arrays


def test_one_dimensional_state_carries_across_steps():
    mod = unify(inc, dbl, 5)
    text = str(mod)
    assert "func.func @inc_dbl_unified(%arg0: memref<8xi32>, %arg1: memref<5xi8>)" in text
    assert text.count("affine.for") == 2  # the step loop and one shared i loop
    assert "scf.if" in text
    run = allo.LLVMModule(mod, "inc_dbl_unified")
    A = np.arange(8, dtype=np.int32)
    inst = np.array([0, 1, 1, 0, 1], dtype=np.int8)
    expected = A.copy()
    for s in inst:
        expected = expected + 1 if s == 0 else expected * 2
    run(A, inst)
    np.testing.assert_array_equal(A, expected)


def test_two_dimensional_loops_are_shared():
    mod = unify(add_rows, shift_rows, 3)
    assert str(mod).count("affine.for") == 3
    run = allo.LLVMModule(mod, "add_rows_shift_rows_unified")
    rng = np.random.default_rng(0)
    A = rng.integers(-50, 50, (4, 6)).astype(np.int32)
    B = rng.integers(-50, 50, (4, 6)).astype(np.int32)
    expected = B.copy()
    inst = np.array([1, 0, 1], dtype=np.int8)
    for s in inst:
        expected = expected + A if s == 0 else expected - (A << 1)
    run(A, B, inst)
    np.testing.assert_array_equal(B, expected)


def test_selection_between_inputs():
    run = allo.LLVMModule(unify(take_a, take_b, 1), "take_a_take_b_unified")
    A, B = np.linspace(0, 1, 5).astype(np.float32), np.linspace(2, 3, 5).astype(np.float32)
    for s, want in ((0, A), (1, B), (7, B)):
        C = np.zeros(5, dtype=np.float32)
        run(A, B, C, np.array([s], dtype=np.int8))
        np.testing.assert_array_equal(C, want)


@pytest.mark.parametrize("first, second, loops", [
    (row_prefix, row_head, 2),   # the outer loop is shared, the inner ones differ
    (two_stages, row_prefix, 1),  # nothing in common: the step holds two whole bodies
])
def test_nested_loops_share_only_identical_ones(first, second, loops):
    mod = unify(first, second, 4)
    name = f"{first.__name__}_{second.__name__}_unified"
    text = str(mod)
    top = text[text.index(f"func.func @{name}"):]
    step_loop = top[top.index("affine.for"):]
    shared = step_loop[:step_loop.index("scf.if")]
    assert shared.count("affine.for") == loops
    rng = np.random.default_rng(1)
    A = rng.integers(-9, 9, (4, 6)).astype(np.int32)
    B = rng.integers(-9, 9, (4, 6)).astype(np.int32)
    inst = np.array([0, 1, 1, 0], dtype=np.int8)
    expected = B.copy()
    ref = {row_prefix: lambda B: B + A, two_stages: lambda B: B + A[:, 0].sum()}

    def row_head_ref(B):
        B = B.copy()
        B[:, :2] *= 3
        B[:, 5] = A[:, 0]
        return B
    ref[row_head] = row_head_ref
    for s in inst:
        expected = ref[first if s == 0 else second](expected)
    allo.LLVMModule(mod, name)(A, B, inst)
    np.testing.assert_array_equal(B, expected)


def test_schedules_are_accepted_with_their_transformations():
    s1, s2 = allo.customize(add_rows), allo.customize(shift_rows)
    s1.split("i", 2)
    mod = unify(s1, s2, 2)
    assert 'loop_name = "i.outer"' in str(mod)
    A = np.ones((4, 6), dtype=np.int32)
    B = np.zeros((4, 6), dtype=np.int32)
    allo.LLVMModule(mod, "add_rows_shift_rows_unified")(A, B, np.array([0, 0], dtype=np.int8))
    np.testing.assert_array_equal(B, 2 * A)


def test_hls_code_and_c_simulation():
    mod = unify(inc, dbl, 4)
    hls = allo.HLSModule(mod, "inc_dbl_unified", "vivado_hls")
    assert "void inc_dbl_unified(" in hls.hls_code
    if not is_available("csim"):
        pytest.skip("C simulation needs g++ and the hls4ml headers")
    sim = allo.HLSModule(mod, "inc_dbl_unified", "vitis_hls", mode="csim")
    A = np.arange(8, dtype=np.int32) - 3
    inst = np.array([1, 0, 0, 1], dtype=np.int8)
    cpu = A.copy()
    allo.LLVMModule(mod, "inc_dbl_unified")(cpu, inst)
    sim(A, inst)
    np.testing.assert_array_equal(A, cpu)
    np.testing.assert_array_equal(cpu, ((np.arange(8) - 3) * 2 + 2) * 2)


@pytest.mark.parametrize("f1, f2, loop_num, fragment", [
    (inc, returns, 2, "returns a value"),
    (inc, other_shape, 2, "different parameter lists"),
    (inc, dbl, 0, "loop_num must be a positive integer"),
])
def test_errors(f1, f2, loop_num, fragment):
    with pytest.raises(allo.ScheduleError, match=fragment):
        unify(f1, f2, loop_num)
