"""PEP 695 template kernels (Python >= 3.12 syntax); imported only by test_templates.py."""

import allo
from allo.ir.types import Float, Int, int16, int32


def shift_all[Ty, L: int32](V: "Ty[L]", k: "Ty") -> "Ty[L]":
    W: Ty[L]
    for t in range(L):
        W[t] = V[t] + k
    return W


def user(X: int16[24]) -> int16[24]:
    return shift_all[int16, 24, "a"](X, 3)


def scale[Ty, N](X: "Ty[N]") -> "Ty[N]":
    Y: Ty[N] = 0
    for t in range(N):
        Y[t] = X[t] * 2
    return Y


def two_scales(X: int32[20]) -> int32[20]:
    P = scale[int32, 20, "lo"](X)
    Q = scale[int32, 20, "hi"](P)
    return Q


def unnamed_instances(X: int32[20], Y: int16[8]) -> int32[20]:
    P = scale[int32, 20](X)
    R = scale[int16, 8](Y)
    Q = scale[int32, 20](P)
    return Q


def bounded[T: (Int, Float)](a: "T") -> "T":
    return a + a


def widen[Ty](a: "Ty") -> "Int(Ty.bits + 2)":
    b: Int(Ty.bits + 2) = a
    return b * 2


def pick[Ty, N](X: "Ty[N]") -> "Ty[N]":
    Y: Ty[N]
    with allo.meta_if(Ty == allo.ir.types.float32):
        for t in range(N):
            Y[t] = X[t] * 0.5
    with allo.meta_elif(N > 16):
        for t in range(N):
            Y[t] = X[t] - 1
    with allo.meta_else():
        for t in range(N):
            Y[t] = X[t]
    return Y


def no_type_args(X: int32[20]) -> int32[20]:
    return scale(X)


def bad_template_call(X: int32[20]) -> int32[20]:
    return scale[[1], 20](X)  # ERR
