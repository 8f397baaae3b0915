"""Loop distribution before permutation and distinct parameters of sub-kernels
(allo/backend/llvm/loop_permute.py, allo/backend/llvm/distinct_params.py)."""

from __future__ import annotations

import numpy as np

import allo
from allo.backend.llvm import invoke_mlir_parser
from allo.backend.llvm.distinct_params import functions_with_distinct_params
from allo.backend.llvm.loop_permute import permute_loops_for_locality
from allo.ir.types import float32

SCALED_MM = """
func.func private @mm(%b: f32, %X: memref<4x6xf32>, %Y: memref<6x5xf32>, %Z: memref<4x5xf32>) {
  affine.for %i = 0 to 4 { affine.for %j = 0 to 5 {
    %z = affine.load %Z[%i, %j] : memref<4x5xf32>
    %s = arith.mulf %z, %b : f32
    affine.store %s, %Z[%i, %j] : memref<4x5xf32>
    affine.for %k = 0 to 6 {
      %c = affine.load %Z[%i, %j] : memref<4x5xf32>
      %x = affine.load %X[%i, %k] : memref<4x6xf32>
      %y = affine.load %Y[%k, %j] : memref<6x5xf32>
      %p = arith.mulf %x, %y : f32
      %t = arith.addf %c, %p : f32
      affine.store %t, %Z[%i, %j] : memref<4x5xf32> } } }
  return }
func.func @top(%b: f32, %X: memref<4x6xf32>, %Y: memref<6x5xf32>, %Z: memref<4x5xf32>) {
  call @mm(%b, %X, %Y, %Z) : (f32, memref<4x6xf32>, memref<6x5xf32>, memref<4x5xf32>) -> ()
  return }
"""


def test_scaling_statement_is_split_off_and_the_nest_permuted():
    m = invoke_mlir_parser(SCALED_MM)
    assert permute_loops_for_locality(m) == 0  # without the promise, Z might alias X or Y
    assert permute_loops_for_locality(m, distinct_args_of="top") == 1
    text = str(m)
    # the scaling loop over j comes first; then k, with j innermost: Y and Z read stride-1
    assert text.index("arith.mulf %0, %arg0") < text.index("affine.for %arg5 = 0 to 6")
    assert "affine.load %arg2[%arg5, %arg6]" in text


def calls(*arguments: str) -> str:
    sites = "\n".join(f"  call @f({a}) : (memref<4xf32>, memref<4xf32>) -> ()" for a in arguments)
    return f"""
func.func private @f(%P: memref<4xf32>, %Q: memref<4xf32>) {{ return }}
memref.global "private" constant @g : memref<4xf32> = dense<1.0>
func.func @top(%A: memref<4xf32>, %B: memref<4xf32>) {{
  %W = memref.alloc() : memref<4xf32>
  %G = memref.get_global @g : memref<4xf32>
{sites}
  return }}"""


def test_sub_kernel_params_are_distinct_only_if_every_call_site_allows():
    assert functions_with_distinct_params(invoke_mlir_parser(SCALED_MM), "top") == {"top", "mm"}
    assert functions_with_distinct_params(invoke_mlir_parser(SCALED_MM), None) == set()
    distinct = invoke_mlir_parser(calls("%A, %B", "%W, %B", "%A, %W"))
    assert functions_with_distinct_params(distinct, "top") == {"top", "f"}
    for bad in ("%A, %A", "%G, %B"):  # one array twice; a global the callee might also read
        module = invoke_mlir_parser(calls("%A, %B", bad))
        assert functions_with_distinct_params(module, "top") == {"top"}


def test_distribution_that_would_break_a_dependence_is_refused():
    # the nest at j reads C[j + 1], which the prefix at j + 1 overwrites afterwards
    text = """func.func @k(%C: memref<9xf32>, %A: memref<8x8xf32>) {
      affine.for %j = 0 to 8 {
        %c = affine.load %C[%j] : memref<9xf32>
        %d = arith.addf %c, %c : f32
        affine.store %d, %C[%j] : memref<9xf32>
        affine.for %k = 0 to 8 {
          %n = affine.load %C[%j + 1] : memref<9xf32>
          %a = affine.load %A[%k, %j] : memref<8x8xf32>
          %s = arith.addf %a, %n : f32
          affine.store %s, %A[%k, %j] : memref<8x8xf32> } }
      return }"""
    m = invoke_mlir_parser(text)
    assert permute_loops_for_locality(m, distinct_args_of="k") == 0


def two_products(alpha: float32, beta: float32, T: float32[5, 7], A: float32[5, 6],
                 B: float32[6, 7], C: float32[7, 4], D: float32[5, 4]):
    for i in range(5):
        for j in range(7):
            T[i, j] *= beta
            for k in range(6):
                T[i, j] += alpha * A[i, k] * B[k, j]
    for i1 in range(5):
        for j1 in range(4):
            D[i1, j1] *= beta
            for k1 in range(7):
                D[i1, j1] += T[i1, k1] * C[k1, j1]


def reference(alpha, beta, T, A, B, C, D):
    """The kernel's float32 operations, each element accumulating in k order."""
    T, D = T * beta, D * beta
    for k in range(A.shape[1]):
        T = T + (alpha * A[:, k:k + 1]) * B[k:k + 1, :]
    for k in range(C.shape[0]):
        D = D + T[:, k:k + 1] * C[k:k + 1, :]
    return T, D


def test_distributed_kernel_is_bit_exact():
    rng = np.random.default_rng(7)
    args = [np.float32(1.5), np.float32(0.75)] + [
        rng.standard_normal(shape).astype(np.float32)
        for shape in ((5, 7), (5, 6), (6, 7), (7, 4), (5, 4))]
    T_expected, D_expected = reference(*args)
    mod = allo.customize(two_products).build()
    text = str(mod.intermediate_module)
    assert text.count("affine.for") == 8  # both scaling statements got their own loop
    T, D = args[2].copy(), args[6].copy()
    mod(1.5, 0.75, T, args[3], args[4], args[5], D)
    np.testing.assert_array_equal(T, T_expected)
    np.testing.assert_array_equal(D, D_expected)


def symmetric_product(data: float32[9, 6], corr: float32[6, 6]):
    for i in range(5):
        corr[i, i] = 1.0
        for j in range(i + 1, 6):
            corr[i, j] = 0.0
            for k in range(9):
                corr[i, j] += data[k, i] * data[k, j]
            corr[j, i] = corr[i, j]
    corr[5, 5] = 1.0


def symmetric_reference(data):
    """Each upper element sums its products in k order (float32), mirrored below."""
    n = data.shape[1]
    corr = np.eye(n, dtype=np.float32)
    for i in range(n - 1):
        row = np.zeros(n - i - 1, dtype=np.float32)
        for k in range(data.shape[0]):
            row = row + data[k, i] * data[k, i + 1:]
        corr[i, i + 1:] = row
        corr[i + 1:, i] = row
    return corr


def test_triangular_nest_with_a_symmetric_copy_is_split_and_permuted():
    # correlation's product: the copy corr[j, i] meets corr[i, j] only where j = i, i.e. in
    # the same iteration of j, so the zeroing, the (k, j) nest and the copy run one after another
    mod = allo.customize(symmetric_product).build()
    text = str(mod.intermediate_module)
    assert text.count("affine.for") == 5
    k_loop = text.index("affine.for %arg3 = 0 to 9")
    assert text.index("affine.for %arg4 = #map(%arg2) to 6") > k_loop  # j inside k
    data = np.random.default_rng(3).standard_normal((9, 6)).astype(np.float32)
    corr = np.full((6, 6), np.nan, dtype=np.float32)
    mod(data, corr)
    np.testing.assert_array_equal(corr, symmetric_reference(data))


def test_inner_bound_on_a_band_loop_is_not_permuted():
    # k's bound depends on j: the band (j, k) is triangular and is left alone
    text = """func.func @t(%A: memref<8x8xf32>) {
      affine.for %j = 0 to 8 { affine.for %k = 0 to affine_map<(d0) -> (d0)>(%j) {
        %a = affine.load %A[%k, %j] : memref<8x8xf32>
        %s = arith.addf %a, %a : f32
        affine.store %s, %A[%k, %j] : memref<8x8xf32> } }
      return }"""
    m = invoke_mlir_parser(text)
    assert permute_loops_for_locality(m, distinct_args_of="t") == 0


def test_nest_bounded_by_the_distributed_loop_is_not_permuted():
    # the same triangular nest behind a statement: distribution must not hoist k above j
    text = """func.func @t(%A: memref<8x8xf32>, %C: memref<8xf32>, %x: f32) {
      affine.for %j = 0 to 8 {
        affine.store %x, %C[%j] : memref<8xf32>
        affine.for %k = 0 to affine_map<(d0) -> (d0)>(%j) {
          %a = affine.load %A[%k, %j] : memref<8x8xf32>
          %s = arith.addf %a, %a : f32
          affine.store %s, %A[%k, %j] : memref<8x8xf32> } }
      return }"""
    m = invoke_mlir_parser(text)
    assert permute_loops_for_locality(m, distinct_args_of="t") == 0
    assert "affine.for %arg4 = 0 to #map(%arg3)" in str(m)


def orthogonalise(A: float32[7, 5], R: float32[5, 5], Q: float32[7, 5]):
    for k in range(5):
        nrm: float32 = 0.0
        for i in range(7):
            nrm += A[i, k] * A[i, k]
        R[k, k] = allo.sqrt(nrm)
        for i1 in range(7):
            Q[i1, k] = A[i1, k] / R[k, k]
        for j in range(k + 1, 5):
            R[k, j] = 0.0
            for i2 in range(7):
                R[k, j] += Q[i2, k] * A[i2, j]
            for i3 in range(7):
                A[i3, j] = A[i3, j] - Q[i3, k] * R[k, j]


def orthogonalise_reference(A):
    """Gram-Schmidt with the kernel's float32 operations, each sum in the original order."""
    A = A.copy()
    m, n = A.shape
    R, Q = np.zeros((n, n), np.float32), np.zeros((m, n), np.float32)
    for k in range(n):
        nrm = np.float32(0)
        for i in range(m):
            nrm = nrm + A[i, k] * A[i, k]
        R[k, k] = np.sqrt(nrm)
        Q[:, k] = A[:, k] / R[k, k]
        row = np.zeros(n - k - 1, np.float32)
        for i in range(m):
            row = row + Q[i, k] * A[i, k + 1:]
        R[k, k + 1:] = row
        A[:, k + 1:] = A[:, k + 1:] - Q[:, k:k + 1] * row
    return A, R, Q


def test_loop_with_two_nests_is_split_into_three_and_both_permuted():
    # gramschmidt: per column j, a reduction into R[k, j] then an update of A[:, j]; every
    # access to column j happens in iteration j, so each nest gets its own j loop, moved inside
    mod = allo.customize(orthogonalise).build()
    text = str(mod.intermediate_module)
    assert text.count("affine.for") == 8
    assert text.count('} {loop_name = "j"}\n      } {loop_name = "i2"}') == 1
    assert text.count('} {loop_name = "j"}\n      } {loop_name = "i3"}') == 1
    A = np.random.default_rng(5).uniform(1, 2, (7, 5)).astype(np.float32)
    A += np.eye(7, 5, dtype=np.float32) * 4  # well-conditioned columns
    A_expected, R_expected, Q_expected = orthogonalise_reference(A)
    R, Q = np.zeros((5, 5), np.float32), np.zeros((7, 5), np.float32)
    mod(A, R, Q)
    np.testing.assert_array_equal(A, A_expected)
    np.testing.assert_array_equal(R, R_expected)
    np.testing.assert_array_equal(Q, Q_expected)
