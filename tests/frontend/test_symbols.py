"""Name resolution of kernels (allo/frontend/symbols.py): the customized kernel sees its
closure, the caller's locals and its module; a kernel from another module (a library
kernel) resolves the names it uses in its own module, whatever the user's names are."""

from __future__ import annotations

import numpy as np

import allo
from allo.ir.types import float32, int32  # noqa: F401 - int32: string annotations
from allo.library import nn_packed


def _bmm_case():
    rng = np.random.default_rng(3)
    return rng.random((2, 4, 8), np.float32), rng.random((2, 8, 16), np.float32)


def test_a_user_local_does_not_capture_a_name_a_library_kernel_calls():
    linear_packed = 3  # noqa: F841 - the name bmm_panels calls internally

    def scores(A: float32[2, 4, 8], B: float32[2, 8, 16]) -> float32[2, 4, 16]:
        return nn_packed.bmm_panels[float32, float32, float32, 2, 4, 8, 16](A, B)

    A, B = _bmm_case()
    np.testing.assert_allclose(allo.customize(scores).build()(A, B), A @ B, rtol=1e-5)


def test_global_vars_do_not_capture_a_name_a_library_kernel_calls():
    def scores(A: float32[2, 4, 8], B: float32[2, 8, 16]) -> float32[2, 4, 16]:
        return lib.bmm_panels[float32, float32, float32, 2, 4, 8, 16](A, B)

    A, B = _bmm_case()
    env = {"lib": nn_packed, "float32": float32, "linear_packed": "not a kernel"}
    out = allo.customize(scores, global_vars=env).build()(A, B)
    np.testing.assert_allclose(out, A @ B, rtol=1e-5)


def test_helpers_of_the_same_module_still_see_the_callers_locals():
    N = 5

    def twice(X: "int32[N]") -> "int32[N]":
        return X + X

    def top(X: "int32[N]") -> "int32[N]":
        return twice(X)

    X = np.arange(5, dtype=np.int32)
    np.testing.assert_array_equal(allo.customize(top).build()(X), 2 * X)
