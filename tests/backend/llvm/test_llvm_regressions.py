"""Regressions of the CPU lowering found by other suites."""

import numpy as np

import allo
from allo.ir.types import int32


def test_several_stack_buffers_when_the_first_op_is_an_alloc():
    # the stack promotion used to insert before an alloc it had just erased (crash)
    def chain(A: int32[4, 3], B: int32[3]) -> int32[4, 3]:
        C = A + B
        D = C * A - B
        return D

    A = np.arange(12, dtype=np.int32).reshape(4, 3)
    B = np.arange(3, dtype=np.int32)
    np.testing.assert_array_equal(allo.customize(chain).build()(A, B), (A + B) * A - B)
