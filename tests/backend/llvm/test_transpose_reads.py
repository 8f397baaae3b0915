"""CPU rewrite: a read-only matrix read down its columns along the vectorized loop is copied
transposed once (allo.backend.llvm.transpose_reads); results stay bit-identical."""

from __future__ import annotations

import numpy as np

import allo
from allo.backend.llvm import invoke_mlir_parser
from allo.backend.llvm.transpose_reads import transpose_column_reads
from allo.ir.types import float32, int32

RNG = np.random.default_rng(3)

W_CONST = RNG.standard_normal((24, 16)).astype(np.float32)


def linear_rows(X: float32[32, 16], W: float32[24, 16]) -> float32[32, 24]:
    Z: float32[32, 24]
    buf: float32[24]
    for i in range(32):
        for j0 in range(24):
            buf[j0] = 0.0
        for k in range(16):
            for j in range(24):
                buf[j] += X[i, k] * W[j, k]
        for j1 in range(24):
            Z[i, j1] = buf[j1]
    return Z


def linear_const(X: float32[32, 16]) -> float32[32, 24]:
    Z: float32[32, 24] = 0.0
    for i, k, j in allo.grid(32, 16, 24):
        Z[i, j] += X[i, k] * W_CONST[j, k]
    return Z


def _sequential_reference(X, W):
    """The kernels' order: for each k, every output of the row gains X[i, k] * W[j, k]."""
    Z = np.zeros((X.shape[0], W.shape[0]), np.float32)
    for k in range(X.shape[1]):
        Z = Z + X[:, k:k + 1] * W[:, k][None, :]
    return Z


def _transposed_copies(mod) -> int:
    return str(mod.intermediate_module).count("memref<16x24xf32>")


def test_row_buffer_linear_reads_a_transposed_copy_and_stays_bit_exact():
    X = RNG.standard_normal((32, 16)).astype(np.float32)
    W = RNG.standard_normal((24, 16)).astype(np.float32)
    mod = allo.customize(linear_rows).build()
    assert _transposed_copies(mod) >= 1
    np.testing.assert_array_equal(mod(X, W), _sequential_reference(X, W))


def test_constant_global_weights_are_transposed_too():
    X = RNG.standard_normal((32, 16)).astype(np.float32)
    mod = allo.customize(linear_const).build()
    assert _transposed_copies(mod) >= 1
    np.testing.assert_array_equal(mod(X), _sequential_reference(X, W_CONST))


def test_matrix_product_operand_already_unit_stride_is_left_alone():
    def mm(A: int32[8, 6], B: int32[6, 5]) -> int32[8, 5]:
        C: int32[8, 5] = 0
        for i, j, k in allo.grid(8, 5, 6):
            C[i, j] += A[i, k] * B[k, j]
        return C

    A = RNG.integers(-9, 9, (8, 6), dtype=np.int32)
    B = RNG.integers(-9, 9, (6, 5), dtype=np.int32)
    mod = allo.customize(mm).build()
    assert "memref<5x6xi32>" not in str(mod.intermediate_module)
    np.testing.assert_array_equal(mod(A, B), A @ B)


LINEAR_TEMPLATE = '''func.func @lin(%X: memref<{m}x32xf32>, %W: memref<16x32xf32>{extra}) {{
  %buf = memref.alloc() : memref<16xf32>
  affine.for %i = 0 to {m} {{ affine.for %k = 0 to 32 {{ affine.for %j = 0 to 16 {{
    %x = affine.load %X[%i, %k] : memref<{m}x32xf32>
    %w = affine.load %W[%j, %k] : memref<16x32xf32>
    %b = affine.load %buf[%j] : memref<16xf32>
    %p = arith.mulf %x, %w : f32
    %s = arith.addf %b, %p : f32
    affine.store %s, %buf[%j] : memref<16xf32> }} }} }}
  {tail}
  return }}'''


def test_not_applied_when_the_function_writes_a_parameter():
    # %out may be the caller's W itself: a copy made at entry could go stale
    text = LINEAR_TEMPLATE.format(m=64, extra=", %out: memref<16xf32>",
                                  tail="memref.copy %buf, %out : memref<16xf32> to memref<16xf32>")
    assert transpose_column_reads(invoke_mlir_parser(text)) == 0


def test_not_applied_when_the_copy_would_cost_more_than_it_saves():
    text = LINEAR_TEMPLATE.format(m=2, extra="", tail="")
    assert transpose_column_reads(invoke_mlir_parser(text)) == 0
    text = LINEAR_TEMPLATE.format(m=64, extra="", tail="")
    assert transpose_column_reads(invoke_mlir_parser(text)) == 1


def test_applied_beside_a_written_parameter_when_arguments_are_distinct():
    text = LINEAR_TEMPLATE.format(m=64, extra=", %out: memref<16xf32>",
                                  tail="memref.copy %buf, %out : memref<16xf32> to memref<16xf32>")
    assert transpose_column_reads(invoke_mlir_parser(text), distinct_args_of="lin") == 1


def rank_update(C: float32[20, 20], A: float32[20, 12]):
    # PolyBench syrk: a triangular nest reading A[j, k] down a column along j
    for i in range(20):
        for k in range(12):
            for j in range(i + 1):
                C[i, j] += A[i, k] * A[j, k]


def test_triangular_rank_update_reads_a_copy_and_stays_bit_exact():
    C = RNG.standard_normal((20, 20)).astype(np.float32)
    A = RNG.standard_normal((20, 12)).astype(np.float32)
    expected = C.copy()
    for i in range(20):  # every C[i, j] accumulates over k in order
        for k in range(12):
            expected[i, :i + 1] = expected[i, :i + 1] + A[i, k] * A[:i + 1, k]
    mod = allo.customize(rank_update).build()
    assert "memref<12x20xf32>" in str(mod.intermediate_module)
    mod(C, A)
    np.testing.assert_array_equal(C, expected)
