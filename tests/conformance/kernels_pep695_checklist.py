"""PEP 695 kernels (Python >= 3.12 syntax) for test_language_checklist.py."""

import allo
from allo.ir.types import ConstExpr, Fixed, Int, int8, int16, int32


def generic_scale[Ty, N](X: "Ty[N + 1]") -> "Ty[N + 1]":
    Y: Ty[N + 1]
    for t in range(N + 1):
        Y[t] = X[t] * 2
    return Y


HALF_TEN = 10


def generic_tops_a(A: int16[6]) -> int16[6]:
    return generic_scale[int16, HALF_TEN // 2](A)


def generic_tops_b(A: int32[10]) -> int32[10]:
    return generic_scale[int32, 3 * 3, "b"](A)


def bits_of_template[Ty, N](X: "Ty[N]") -> "Int(Ty.bits * 2)[N]":
    width: ConstExpr[int32] = Ty.bits
    Y: Int(Ty.bits * 2)[N]
    for t in range(N):
        Y[t] = X[t] + width
    return Y


def fixed_arg_top(A: int32[4]) -> int32[4]:
    Y = fixed_scale[Fixed(16, 10), 4](A)
    return Y


def fixed_scale[Ty, N](X: "int32[N]") -> "int32[N]":
    Y: int32[N]
    for t in range(N):
        v: Ty = X[t]
        Y[t] = v * 2
    return Y


def template_grid[M, N](A: "int32[M, N]", n: int32) -> "int32[M, N]":
    B: int32[M, N] = 0
    for i, j in allo.grid(M, N, name="fixed"):
        B[i, j] = A[i, j] * 2
    for r, c in allo.grid(n, N, name="dyn"):
        B[r, c] += 1
    return B
