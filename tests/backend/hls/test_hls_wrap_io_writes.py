"""wrap_io for Vitis: parameters the kernel only writes keep the caller's data where the
kernel does not write (C simulation against the CPU build)."""

import numpy as np
import pytest

import allo
from allo.ir.types import int32

from helpers import check_csim

pytestmark = pytest.mark.csim


def partial_loop(A: int32[8]) -> int32[4]:
    out: int32[4] = 0
    for i in range(7):
        A[i] = 1
    return out


def test_partial_write_keeps_the_untouched_element():
    A = np.full(8, 5, dtype=np.int32)
    check_csim(allo.customize(partial_loop), A, target="vitis_hls")
    cpu = A.copy()
    allo.customize(partial_loop).build()(cpu)
    np.testing.assert_array_equal(cpu, [1, 1, 1, 1, 1, 1, 1, 5])


def partial_kinds(S: int32[8], C: int32[8], R: int32[4, 4], D: int32[6], V: int32[8]):
    for i in range(4):
        S[i * 2] = i  # every other element
    for i in range(8):
        if i > 2:
            C[i] = i  # conditional
    for i, j in allo.grid(3, 4):
        R[i, j] = i + j  # rows 0..2 of 4
    for i in range(6):
        D[2] = i  # one element, many times
    V[1:5] = 7  # a slice


def test_partial_writes_of_every_kind_match_the_cpu():
    args = [np.arange(100, 100 + n, dtype=np.int32).reshape(shape)
            for n, shape in [(8, (8,)), (8, (8,)), (16, (4, 4)), (6, (6,)), (8, (8,))]]
    s = allo.customize(partial_kinds)
    check_csim(s, *args, target="vitis_hls")
    text = str(s.build(target="vitis_hls").module)
    for i in range(5):
        assert f"call @load_buf{i}(" in text, i


def callee_writes(B: int32[4]):
    for i in range(2):
        B[i] = 9


def partial_through_call(A: int32[4]):
    callee_writes(A)


def test_partial_write_in_a_callee_matches_the_cpu():
    check_csim(allo.customize(partial_through_call), np.full(4, 3, np.int32),
               target="vitis_hls")


def full_kinds(X: int32[8], L: int32[8], T: int32[2, 3], W: int32[8], F: int32[3, 3],
               P: int32[8]):
    for i in range(8):
        L[7 - i] = X[i]  # reversed walk
    for i, j in allo.grid(3, 2):
        T[j, i] = i * j  # transposed nest
    W[:] = X  # whole-array copy
    F[:, :] = 4  # whole-array fill
    for i in range(8):
        P[i] = X[i] + 1


def test_full_writes_skip_the_copy_in_and_match_the_cpu():
    s = allo.customize(full_kinds)
    s.split(s.get_loops()["S_i_2"]["i"], 4)  # P's loop becomes P[i.outer * 4 + i.inner]: still a full write
    text = str(s.build(target="vitis_hls").module)
    assert "call @load_buf0(" in text  # X is read
    for i in range(1, 6):
        assert f"call @load_buf{i}(" not in text, i
        assert f"call @store_res{i}(" in text, i
    X = np.arange(8, dtype=np.int32)
    others = [np.full(shape, -1, np.int32) for shape in [(8,), (2, 3), (8,), (3, 3), (8,)]]
    check_csim(s, X, *others, target="vitis_hls")
