"""PEP 695 template kernels for composition with ids (Python >= 3.12 syntax).

Imported only by ``test_compose.py`` when running on Python 3.12 or newer.
"""

import allo
from allo.ir.types import int16, int32


def scale[Ty, N](X: "Ty[N]") -> "Ty[N]":
    Y: Ty[N] = 0
    for t in range(N):
        Y[t] = X[t] * 2
    return Y


def two_scales(X: int32[20]) -> int32[20]:
    P = scale[int32, 20, "lo"](X)
    Q = scale[int32, 20, "hi"](P)
    return Q


def unnamed_scales(X: int32[20], Y: int16[8]) -> int32[20]:
    P = scale[int32, 20](X)
    R = scale[int16, 8](Y)
    Q = scale[int32, 20](P)
    return Q


def small_scale(X: int32[6]) -> int32[6]:
    P = scale[int32, 6, "small"](X)
    return P


def kernel[T, S](A: "T[S]") -> "T[S]":
    B: T[S] = 0
    for i in range(S):
        B[i] = A[i] + 1
    return B


def two_kernels(A: int32[10]) -> int32[10]:
    C = kernel[int32, 10, "K1"](A)
    D = kernel[int32, 10, "K2"](C)
    return D


def add_const[T, V](A: "T[16]") -> "T[16]":
    B: T[16] = 0
    for i in range(16):
        B[i] = A[i] + V
    return B


def add_const_const[T, V](A: "T[16]") -> "T[16]":
    C = add_const[T, V](A)
    D: T[16] = 0
    for j in range(16):
        D[j] = C[j] + V
    return D


def add_consts(A: int32[16]) -> int32[16]:
    X = add_const_const[int32, 5, "5"](A)
    Y = add_const_const[int32, 7, "7"](X)
    return Y


def inner_pair[Ty, N](X: "Ty[N]") -> "Ty[N]":
    A = scale[Ty, N, "K1"](X)
    B = scale[Ty, N, "K2"](A)
    return B


def outer_pairs(X: int32[20]) -> int32[20]:
    P = inner_pair[int32, 20, "lo"](X)
    Q = inner_pair[int32, 20, "hi"](P)
    return Q
