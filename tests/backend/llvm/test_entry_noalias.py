"""``noalias`` on the data pointers of the distinct-arguments build
(allo/backend/llvm/entry_noalias.py): present only in that build, results unchanged."""

from __future__ import annotations

import numpy as np

import allo
from allo.backend.llvm.entry_noalias import aligned_pointer_attrs
from allo.ir.types import float32, int32


def row_update(alpha: float32, C: float32[6, 20], A: float32[6, 5], B: float32[5, 20]):
    for i in range(6):
        for k in range(5):
            for j in range(20):
                C[i, j] += alpha * A[i, k] * B[k, j]


def noalias_positions(llvm_module) -> list:
    return [i for i, a in enumerate(aligned_pointer_attrs(llvm_module)) if "noalias" in str(a)]


def reference(alpha, C, A, B):
    """The same float32 operations in the same order as the kernel."""
    C = C.copy()
    for i in range(C.shape[0]):
        for k in range(A.shape[1]):
            C[i] = C[i] + (np.float32(alpha) * A[i, k]) * B[k]
    return C


def test_distinct_build_marks_every_data_pointer():
    mod = allo.customize(row_update).build()
    # alpha (rank 0: 3 arguments), C, A, B (rank 2: 7 each), the error slot (rank 1)
    assert noalias_positions(mod.module) == [1, 4, 11, 18, 25]


def test_results_are_bit_exact():
    rng = np.random.default_rng(3)
    C = rng.standard_normal((6, 20)).astype(np.float32)
    A = rng.standard_normal((6, 5)).astype(np.float32)
    B = rng.standard_normal((5, 20)).astype(np.float32)
    expected = reference(1.25, C, A, B)
    mod = allo.customize(row_update).build()
    mod(1.25, C, A, B)
    np.testing.assert_array_equal(C, expected)


def test_overlapping_arrays_use_the_build_without_noalias():
    def accumulate(A: float32[4, 4], B: float32[4, 4]):
        for i in range(4):
            for k in range(4):
                for j in range(4):
                    B[i, j] += A[i, k] * A[k, j]

    mod = allo.customize(accumulate).build()
    X = (np.arange(16, dtype=np.float32).reshape(4, 4) % 5) / 16
    expected = X.copy()
    for i in range(4):  # sequential semantics: every write is seen by later reads
        for k in range(4):
            for j in range(4):
                expected[i, j] += expected[i, k] * expected[k, j]
    mod(X, X)
    np.testing.assert_array_equal(X, expected)
    assert mod._safe is not None and noalias_positions(mod._safe.module) == []
    assert noalias_positions(mod.module) != []


def function_noalias(llvm_module, name: str) -> list:
    """Positions of the ``noalias`` LLVM arguments of function ``name``."""
    for op in llvm_module.body.operations:
        if op.operation.name == "llvm.func" and str(op.attributes["sym_name"]) == f'"{name}"':
            if "arg_attrs" not in op.attributes:
                return []
            return [i for i, a in enumerate(op.attributes["arg_attrs"]) if "noalias" in str(a)]
    raise AssertionError(f"no function {name}")


def scaled_sum(beta: float32, X: float32[4, 6], Y: float32[6, 5], Z: float32[4, 5]):
    for i, j in allo.grid(4, 5):
        Z[i, j] *= beta
        for k in range(6):
            Z[i, j] += X[i, k] * Y[k, j]


def two_sums(X: float32[4, 6], Y: float32[6, 5], Z: float32[4, 5], W: float32[4, 5]):
    scaled_sum(0.5, X, Y, Z)
    scaled_sum(2.0, X, Y, W)


def test_top_and_sub_kernel_parameters_are_marked_too():
    # a sub-kernel the optimiser keeps out of line still gets the promise of distinct arrays
    mod = allo.customize(two_sums).build()
    assert function_noalias(mod.module, "two_sums") == [1, 8, 15, 22]
    assert function_noalias(mod.module, "scaled_sum") == [2, 9, 16]  # beta is one argument
    rng = np.random.default_rng(1)
    X, Y, Z, W = (rng.standard_normal(shape).astype(np.float32)
                  for shape in ((4, 6), (6, 5), (4, 5), (4, 5)))
    expected = []
    for beta, out in ((0.5, Z), (2.0, W)):
        acc = out * np.float32(beta)
        for k in range(6):
            acc = acc + X[:, k:k + 1] * Y[k:k + 1, :]
        expected.append(acc)
    mod(X, Y, Z, W)
    np.testing.assert_array_equal(Z, expected[0])
    np.testing.assert_array_equal(W, expected[1])


def add_rows(A: float32[4, 5], B: float32[4, 5]):
    for i, j in allo.grid(4, 5):
        B[i, j] += A[i, j]


def doubled(Z: float32[4, 5], W: float32[4, 5]):
    add_rows(Z, W)
    add_rows(Z, Z)


def test_sub_kernel_given_one_array_twice_is_not_marked():
    mod = allo.customize(doubled).build()
    assert function_noalias(mod.module, "doubled") == [1, 8]
    assert function_noalias(mod.module, "add_rows") == []
    Z = np.arange(20, dtype=np.float32).reshape(4, 5)
    W = np.ones((4, 5), np.float32)
    mod(Z, W)
    np.testing.assert_array_equal(W, 1 + np.arange(20, dtype=np.float32).reshape(4, 5))
    np.testing.assert_array_equal(Z, 2 * np.arange(20, dtype=np.float32).reshape(4, 5))


def test_distinct_functions_are_found_once_per_build(monkeypatch):
    import allo.backend.llvm.distinct_params as distinct_params
    import allo.backend.llvm.lower_to_llvm as pipeline

    calls = []
    analyse = distinct_params.functions_with_distinct_params

    def counted(module, top):
        calls.append(top)
        return analyse(module, top)

    monkeypatch.setattr(pipeline, "functions_with_distinct_params", counted)
    mod = allo.customize(two_sums).build()
    assert calls == ["two_sums"]  # the distinct-arguments form, analysed once
    assert function_noalias(mod.module, "scaled_sum") == [2, 9, 16]


def shifted_add(s: int32, X: float32[4, 5], Y: float32[4, 5]):
    for i, j in allo.grid(4, 5):
        Y[i, j] += X[i, (j + s) % 5]  # not provably in bounds: checked, so an error slot


def via_locals(P: float32[4, 5], Q: float32[4, 5]):
    L: float32[4, 5] = 0.0
    M: float32[4, 5] = 0.0
    for i, j in allo.grid(4, 5):
        L[i, j] = P[i, j]
    shifted_add(1, L, M)
    for i, j in allo.grid(4, 5):
        Q[i, j] += M[i, j]


def same_twice(Z: float32[4, 5]):
    via_locals(Z, Z)


def test_sub_kernel_on_fresh_arrays_is_marked_under_a_caller_without_the_promise():
    # via_locals gets one array twice, so it has no promise; shifted_add only ever gets its
    # fresh locals, and the bounds checks' error slot (shared along the call chain) does not
    # take that away
    mod = allo.customize(same_twice).build()
    assert function_noalias(mod.module, "via_locals") == []
    marked = function_noalias(mod.module, "shifted_add")
    assert marked[:2] == [2, 9]  # X and Y (s is one argument)
    Z = np.arange(20, dtype=np.float32).reshape(4, 5)
    expected = Z + Z[:, [1, 2, 3, 4, 0]]
    mod(Z)
    np.testing.assert_array_equal(Z, expected)
