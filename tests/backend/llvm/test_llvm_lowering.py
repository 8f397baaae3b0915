"""The CPU lowering: hand-written MLIR, layout/stream stripping, loop permutation, lifetimes."""

from __future__ import annotations

import numpy as np
import pytest

import allo
from allo.backend.llvm import LLVMModule, invoke_mlir_parser
from allo.ir.types import int32
from allo.backend.llvm.loop_permute import permute_loops_for_locality


def test_parse_errors_are_build_errors_with_the_diagnostic():
    with pytest.raises(allo.BuildError, match="(?s)cannot parse.*expected non-function type"):
        invoke_mlir_parser("func.func @f( { return }")


def test_missing_top_function():
    with pytest.raises(allo.BuildError, match="Top function 'nope' not found"):
        LLVMModule("func.func @f() { return }", "nope")


def test_module_object_is_not_mutated():
    m = invoke_mlir_parser("""func.func @k(%a: memref<4xi5>) -> memref<4xi5> {
      return %a : memref<4xi5> }""")
    before = str(m)
    mod = LLVMModule(m, "k")
    assert str(m) == before
    assert mod(np.array([1, 2, 3, -16], np.int8)).tolist() == [1, 2, 3, -16]
    assert "llvm.func" in str(mod.module) and "allo_entry" in str(mod.intermediate_module)


GEMM_LINALG = """
func.func @mm(%A: memref<16x8xf32>, %B: memref<8x4xf32>) -> memref<16x4xf32> {
  %C = memref.alloc() : memref<16x4xf32>
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%C : memref<16x4xf32>)
  linalg.matmul ins(%A, %B : memref<16x8xf32>, memref<8x4xf32>) outs(%C : memref<16x4xf32>)
  return %C : memref<16x4xf32>
}"""


def test_handwritten_linalg():
    A = np.random.rand(16, 8).astype(np.float32)
    B = np.random.rand(8, 4).astype(np.float32)
    np.testing.assert_allclose(LLVMModule(GEMM_LINALG, "mm")(A, B), A @ B, rtol=1e-5)


def test_tensors_are_bufferized():
    text = """func.func @add(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
      %e = tensor.empty() : tensor<4xf32>
      %r = linalg.add ins(%a, %b : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>)
             -> tensor<4xf32>
      return %r : tensor<4xf32> }"""
    out = LLVMModule(text, "add")(np.ones(4, np.float32), np.arange(4, dtype=np.float32))
    assert out.tolist() == [1.0, 2.0, 3.0, 4.0]


def test_partition_layouts_and_memory_spaces_are_ignored():
    text = """
    func.func @k(%a: memref<6x12xi32, affine_map<(d0, d1) -> (d0 floordiv 3, d1, d0 mod 3, 0)>>)
        -> memref<6x12xi32> {
      %s = memref.alloc() : memref<6x12xi32, "stream:2">
      %b = memref.alloc() : memref<6x12xi32>
      affine.for %i = 0 to 6 { affine.for %j = 0 to 12 {
        %v = affine.load %a[%i, %j] : memref<6x12xi32, affine_map<(d0, d1) -> (d0 floordiv 3, d1, d0 mod 3, 0)>>
        affine.store %v, %s[%i, %j] : memref<6x12xi32, "stream:2">
        %w = affine.load %s[%i, %j] : memref<6x12xi32, "stream:2">
        affine.store %w, %b[%i, %j] : memref<6x12xi32> } }
      return %b : memref<6x12xi32> }"""
    A = np.arange(72, dtype=np.int32).reshape(6, 12)
    assert (LLVMModule(text, "k")(A) == A).all()


def test_odd_width_global_constant():
    text = """
    memref.global "private" constant @tab : memref<3xi5> = dense<[-16, 15, -1]>
    func.func @k() -> memref<3xi5> {
      %g = memref.get_global @tab : memref<3xi5>
      return %g : memref<3xi5> }"""
    assert LLVMModule(text, "k")().tolist() == [-16, 15, -1]


# --------------------------------------------------------------------------- loop permutation

MM_TEXT = """func.func @mm(%A: memref<8x8xf32>, %B: memref<8x8xf32>, %C: memref<8x8xf32>) {
  affine.for %i = 0 to 8 { affine.for %j = 0 to 8 { affine.for %k = 0 to 8 {
    %a = affine.load %A[%i, %k] : memref<8x8xf32>
    %b = affine.load %B[%k, %j] : memref<8x8xf32>
    %c = affine.load %C[%i, %j] : memref<8x8xf32>
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    affine.store %s, %C[%i, %j] : memref<8x8xf32> } } }
  return }"""


def test_gemm_band_is_permuted_only_with_distinct_arguments():
    m = invoke_mlir_parser(MM_TEXT)
    assert permute_loops_for_locality(m) == 0  # C might alias A or B
    assert permute_loops_for_locality(m, distinct_args_of="mm") == 1
    # the reduction loop k moved out, j (unit stride for B and C) innermost: the innermost
    # induction variable %arg5 is now the column index of B and C
    text = str(m)
    assert "affine.load %arg1[%arg4, %arg5]" in text and "affine.store %4, %arg2[%arg3, %arg5]" in text


def test_gemm_permuted_result_is_bit_identical():
    def gemm(A: allo.ir.types.float32[32, 32], B: allo.ir.types.float32[32, 32]) \
            -> allo.ir.types.float32[32, 32]:
        C: allo.ir.types.float32[32, 32] = 0.0
        for i, j, k in allo.grid(32, 32, 32):
            C[i, j] += A[i, k] * B[k, j]
        return C

    A = np.random.rand(32, 32).astype(np.float32)
    B = np.random.rand(32, 32).astype(np.float32)
    expect = np.zeros((32, 32), np.float32)
    for k in range(32):  # C[i, j] accumulates over k in order, like the kernel
        expect += A[:, k:k + 1] * B[k:k + 1, :]
    mod = allo.customize(gemm).build()
    assert "affine.for %arg5 = 0 to 32" in str(mod.intermediate_module)
    assert np.array_equal(mod(A, B), expect)


def test_dependences_forbid_illegal_permutation():
    text = """func.func @k(%A: memref<9x9xi32>) {
      affine.for %j = 0 to 8 { affine.for %i = 0 to 8 {
        %v = affine.load %A[%i, %j + 1] : memref<9x9xi32>
        affine.store %v, %A[%i + 1, %j] : memref<9x9xi32> } }
      return }"""
    m = invoke_mlir_parser(text)
    assert permute_loops_for_locality(m, distinct_args_of="k") == 0


def loops_reference(A, B):
    A, B = A.copy(), B
    for j in range(4):
        for i in range(4):
            B[i + 1, j] = A[i, j + 1] + 1
    return B


def test_aliased_arguments_use_the_unpermuted_build():
    def k(A: int32[5, 5], B: int32[5, 5]):
        for j, i in allo.grid(4, 4):
            B[i + 1, j] = A[i, j + 1] + 1

    mod = allo.customize(k).build()
    A = np.arange(25, dtype=np.int32).reshape(5, 5)
    B = np.zeros((5, 5), np.int32)
    mod(A, B)
    assert (B == loops_reference(A, np.zeros((5, 5), np.int32))).all()
    same = np.arange(25, dtype=np.int32).reshape(5, 5)
    expect = same.copy()
    for j in range(4):
        for i in range(4):
            expect[i + 1, j] = expect[i, j + 1] + 1
    mod(same, same)
    assert (same == expect).all()


# --------------------------------------------------------------------------- lifetimes


def test_small_locals_go_to_the_stack_and_results_are_written_in_place():
    def k(A: int32[4]) -> int32[4]:
        B: int32[4] = 0
        t: int32 = 0
        for i in range(4):
            t = A[i] * 2
            B[i] = t
        return B

    mod = allo.customize(k).build()
    inter = str(mod.intermediate_module)
    assert "memref.alloca()" in inter and "memref.alloc()" not in inter
    assert mod(np.arange(4, dtype=np.int32)).tolist() == [0, 2, 4, 6]


def test_large_locals_are_freed():
    def k(A: int32[64, 128]) -> int32:
        T: int32[64, 128] = 0
        for i, j in allo.grid(64, 128):
            T[i, j] = A[i, j] + 1
        return T[3, 5]

    mod = allo.customize(k).build()
    assert "memref.dealloc" in str(mod.intermediate_module)
    assert mod(np.ones((64, 128), np.int32)) == 2


def doubled_rows(X: int32[64, 128]) -> int32[64, 128]:
    Y: int32[64, 128]
    for i, j in allo.grid(64, 128):
        Y[i, j] = X[i, j] * 2
    return Y


def test_buffers_passed_to_a_sub_kernel_with_fresh_results_are_freed():
    # the argument copy of A[s] and the returned array, made on every iteration, were leaked
    # because a callee returning an array "might hand the argument back"
    def k(A: int32[3, 64, 128]) -> int32[3, 64, 128]:
        Z: int32[3, 64, 128]
        for s in range(3):
            Z[s] = doubled_rows(A[s])
        return Z

    mod = allo.customize(k).build()
    body = str(mod.intermediate_module).split("func.func private @k(")[1].split("func.func")[0]
    # Z is written in place (the result slot); the copy of A[s] and the callee's result are
    # both freed on every iteration
    assert body.count("memref.alloc()") == 1 and body.count("memref.dealloc") == 2
    A = np.arange(3 * 64 * 128, dtype=np.int32).reshape(3, 64, 128)
    np.testing.assert_array_equal(mod(A), A * 2)


HANDS_BACK = """
func.func private @same(%a: memref<64x128xi32>) -> memref<64x128xi32> {
  return %a : memref<64x128xi32>
}
func.func @k(%A: memref<64x128xi32>) -> i32 {
  %c0 = arith.constant 0 : index
  %t = memref.alloc() : memref<64x128xi32>
  memref.copy %A, %t : memref<64x128xi32> to memref<64x128xi32>
  %r = call @same(%t) : (memref<64x128xi32>) -> memref<64x128xi32>
  %v = memref.load %r[%c0, %c0] : memref<64x128xi32>
  return %v : i32
}
"""


def test_buffers_a_sub_kernel_may_hand_back_are_not_freed():
    mod = allo.LLVMModule(HANDS_BACK, "k")
    body = str(mod.intermediate_module).split("func.func private @k(")[1].split("func.func")[0]
    assert "memref.dealloc" not in body  # %r is %t: freeing %t would free the result
    assert mod(np.full((64, 128), 7, np.int32)) == 7
