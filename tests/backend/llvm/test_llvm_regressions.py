"""Regressions of the CPU lowering found by other suites."""

import numpy as np
import pytest

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


@pytest.mark.parametrize("elements", [4, 100_000])
def test_hand_written_dealloc_is_neither_freed_twice_nor_freed_on_the_stack(elements):
    # a small buffer moves to the stack (its dealloc must go); a large one is already freed
    # by the program (the lifetime pass must not add a second free)
    module = allo.LLVMModule(f'''func.func @f(%i: index) -> i32 {{
      %b = memref.alloc() : memref<{elements}xi32>
      %c = arith.constant 7 : i32
      memref.store %c, %b[%i] : memref<{elements}xi32>
      %v = memref.load %b[%i] : memref<{elements}xi32>
      memref.dealloc %b : memref<{elements}xi32>
      return %v : i32 }}''', "f")
    assert module(1) == 7
    assert module(3) == 7
