"""Checked heap allocations of the CPU build (docs/cpu_backend.md, "Bounds checks").

A local array whose ``malloc`` fails raises ``allo.AllocationError`` (a ``MemoryError``) naming
the array, its size and its declaration, instead of killing the process.
"""

import inspect

import numpy as np
import pytest

import allo
from allo.ir.types import int32


def line_of(fn, marker: str) -> int:
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, text in enumerate(lines) if marker in text)


def petabytes(A: int32[4]) -> int32:
    B: int32[100000, 100000, 100000] = 1  # DECL
    return B[0, 0, 0] + A[0]


def beyond_64_bits(A: int32[4]) -> int32:
    B: int32[1 << 40, 1 << 40] = 1  # DECL
    return B[0, 0] + A[0]


def callee_with_huge_local(A: int32[4]):
    T: int32[100000, 100000, 100000] = 0  # DECL
    T[A[3], 0, 0] = 2  # run-time subscripts: LLVM cannot drop the allocation
    A[1] = T[A[2], 0, 0] + 7


def caller_writes_first(A: int32[4]):
    A[0] = 5
    callee_with_huge_local(A)
    A[2] = 9


def heap_local(A: int32[4]) -> int32:
    B: int32[64, 1024] = 3  # 256 KiB: on the heap, and allocated fine
    B[63, 1023] = A[0]
    return B[0, 0] + B[63, 1023]


@pytest.mark.parametrize("kernel, nbytes", [(petabytes, 4 * 10**15),
                                            (beyond_64_bits, 4 << 80)])
def test_failed_allocation_raises_and_names_the_declaration(kernel, nbytes):
    mod = allo.customize(kernel).build()
    for _ in range(2):  # the module stays usable after a failed call
        with pytest.raises(allo.AllocationError) as info:
            mod(np.zeros(4, np.int32))
        message = str(info.value)
        assert f"cannot allocate local array 'B' of {kernel.__name__} ({nbytes} bytes)" in message
        assert f'File "{__file__}", Line: {line_of(kernel, "# DECL")}' in message
        assert isinstance(info.value, MemoryError)


def test_failed_allocation_in_a_callee_stops_the_caller():
    mod = allo.customize(caller_writes_first).build()
    A = np.zeros(4, np.int32)
    with pytest.raises(allo.AllocationError, match="local array 'T' of callee_with_huge_local"):
        mod(A)
    np.testing.assert_array_equal(A, [5, 0, 0, 0])  # writes before the failure stay, like Python


def test_heap_locals_that_fit_still_run():
    mod = allo.customize(heap_local).build()
    assert '"allo.bounds_check"' in str(mod.intermediate_module)
    assert mod(np.array([4, 0, 0, 0], np.int32)) == 7
