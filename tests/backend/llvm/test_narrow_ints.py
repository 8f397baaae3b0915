"""Demanded-bits narrowing keeps CPU results bit-identical (allo/backend/llvm/narrow_ints.py)."""

import numpy as np

import allo
from allo.backend.llvm import invoke_mlir_parser
from allo.ir.types import Int, int8, int16, int32
from allo.backend.llvm.narrow_ints import narrow_integer_arithmetic


def test_truncated_sum_is_computed_narrow():
    text = """
    func.func @f(%a: i16, %b: i16) -> i16 {
      %x = arith.extsi %a : i16 to i17
      %y = arith.extsi %b : i16 to i17
      %s = arith.addi %x, %y : i17
      %t = arith.trunci %s : i17 to i16
      return %t : i16
    }"""
    module = invoke_mlir_parser(text)
    assert narrow_integer_arithmetic(module) == 1
    body = str(module)
    assert "arith.addi %arg0, %arg1 : i16" in body


def test_stencil_results_unchanged_with_wrap():
    def stencil(X: int16[10, 10]) -> int32[8, 8]:
        Y: int32[8, 8] = 0
        for i, j in allo.grid(8, 8):
            Y[i, j] = 4 * X[i + 1, j + 1] - X[i, j + 1] - X[i + 2, j + 1] * X[i + 1, j] - X[i + 1, j + 2]
        return Y

    rng = np.random.default_rng(1)
    X = rng.integers(-2**15, 2**15, (10, 10)).astype(np.int16)
    Xi = X.astype(np.int64)
    ref = 4 * Xi[1:-1, 1:-1] - Xi[:-2, 1:-1] - Xi[2:, 1:-1] * Xi[1:-1, :-2] - Xi[1:-1, 2:]
    ref = ((ref + 2**31) % 2**32 - 2**31).astype(np.int32)
    np.testing.assert_array_equal(allo.customize(stencil).build()(X), ref)


def test_narrow_products_wrap_like_the_wide_ones():
    def mix(a: int8[16], b: int8[16]) -> Int(5)[16]:
        c: Int(5)[16]
        for i in range(16):
            c[i] = a[i] * b[i] - a[i] + 3
        return c

    a = np.arange(-8, 8, dtype=np.int8) * 9
    b = np.arange(16, dtype=np.int8) - 3
    ref = a.astype(np.int64) * b - a + 3
    ref = ((ref + 16) % 32) - 16
    np.testing.assert_array_equal(allo.customize(mix).build()(a, b), ref.astype(np.int8))
