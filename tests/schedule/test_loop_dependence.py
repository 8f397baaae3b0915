"""Dependence legality of reorder on small kernels (legal cases are checked on the CPU)."""

import numpy as np

import allo
from allo.ir.types import int32

from helpers_schedule import assert_cpu_matches, assert_refused
import loop_kernels as K


def diag(A: int32[8, 8]):
    for i, j in allo.grid(7, 7, name="dg"):
        A[i + 1, j + 1] = A[i, j] + 1


def diag_ref(A):
    for i in range(7):
        for j in range(7):
            A[i + 1, j + 1] = A[i, j] + 1


def indirect(A: int32[8], I: int32[8]):
    for i, j in allo.grid(8, 8, name="ind"):
        A[I[j]] += i


def triangle(A: int32[8, 8]):
    for i in range(8, name="tri"):
        for j in range(i, 8):
            A[i, j] += 1


def independent_rows(A: int32[6, 8], B: int32[6, 8]):
    for i, j in allo.grid(6, 8, name="rows"):
        B[i, j] = A[i, j] * 2
    for r, c in allo.grid(6, 8, name="rows2"):
        A[r, c] = B[r, c] + A[r, c]


def test_interchange_legal_for_forward_diagonal_dependence():
    s = allo.customize(diag)  # direction (<, <) stays positive when interchanged
    s.reorder("j", "i")
    assert_cpu_matches(s, diag_ref, K.rand_int((8, 8)))


def test_interchange_refused_for_opaque_indices_and_triangles():
    assert_refused(allo.customize(indirect), allo.ScheduleError, "reverse a dependence",
                   "reorder", "j", "i")
    assert_refused(allo.customize(triangle), allo.ScheduleError, "depend on loop i",
                   "reorder", "j", "i")


def test_interchange_of_elementwise_stages():
    s = allo.customize(independent_rows)
    s.reorder("j", "i")
    s.reorder("c", "r")

    def ref(A, B):
        B[:] = A * 2
        A[:] = B + A

    assert_cpu_matches(s, ref, K.rand_int((6, 8)), np.zeros((6, 8), np.int32))


def test_carried_dependence_on_single_loop_split_is_fine():
    s = allo.customize(K.shift)  # A[i] = A[i-1] + B[i]
    s.split("i", 4)
    assert_cpu_matches(s, K.shift_ref, K.rand_int(10), K.rand_int(10, seed=3))
