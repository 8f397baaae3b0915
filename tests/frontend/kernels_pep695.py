"""PEP 695 template kernels (Python >= 3.12 syntax); imported only by test_templates.py."""

import allo
from allo.ir.types import Float, Int, float32, int16, int32


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
    return filled(X[0])


def bad_template_call(X: int32[20]) -> int32[20]:
    return scale[[1], 20](X)  # ERR


def filled[Ty, N](v: "Ty") -> "Ty[N]":
    Y: Ty[N] = v
    return Y


# -- template arguments inferred at calls written without [...] ---------------------------

def affine_rows[T, M, N](A: "T[N, M]", r: "T", s: "T") -> "T[N, M]":
    B: T[N, M]
    for i, j in allo.grid(N, M):
        B[i, j] = A[i, j] * r + s
    return B


def affine_twice[T: (float32, int32), M: int32, N: int32](A: "T[N, M]", r: "T", s: "T") -> "T[N, M]":
    B = affine_rows(A, r, s)
    C = affine_rows(B, s, r)
    return C


def row_sums[T, M, N](X: "T[M, N]") -> "T[M]":
    out: T[M] = 0
    for i, j in allo.grid(M, N):
        out[i] += X[i, j]
    return out


def sums_of_both[T, M: int32, N: int32](A: "T[N, M]", B: "T[M, N]") -> "T[N]":
    # the callee's M and N are the caller's N and M for A: the arguments decide
    P = row_sums(A)
    Q = row_sums(B)
    out: T[N]
    for i in range(N):
        out[i] = P[i] + Q[i % M]
    return out


def fill_like[T, N](v: "T") -> "T[N]":
    Y: T[N] = v
    return Y


def broadcast_first[T, N](A: "T[N]") -> "T[N]":
    # fill_like's N appears in no parameter: the caller's N of the same name supplies it
    Y = fill_like(A[0])
    return Y


def mixed_pair[T, N](A: "T[N]", B: "T[N]") -> "T[N]":
    C: T[N]
    for i in range(N):
        C[i] = A[i] + B[i]
    return C


def calls_mixed_pair(X: int32[4], Y: float32[4]) -> int32[4]:
    return mixed_pair(X, Y)


def calls_with_constant_only(X: int32[4]) -> int32[4]:
    Y = fill_like(3)
    return Y
