"""Template kernels for composing stream schedules with ids (Python 3.12 syntax)."""

import allo
from allo.ir.types import int32


def twostage[Ty, N](X: "Ty[N]") -> "Ty[N]":
    T: Ty[N]
    for i in range(N, name="first"):
        T[i] = X[i] + 1
    Y: Ty[N]
    for i in range(N, name="second"):
        Y[i] = T[i] * 2
    return Y


def two_instances(X: int32[16]) -> int32[16]:
    P = twostage[int32, 16, "A"](X)
    Q = twostage[int32, 16, "B"](P)
    return Q


def fill[Ty, N](X: "Ty[N]", Q: "Ty[N]"):
    for i in range(N, name="fill_loop"):
        Q[i] = X[i] * 3


def drain[Ty, N](Q: "Ty[N]", Y: "Ty[N]"):
    for i in range(N, name="drain_loop"):
        Y[i] = Q[i] - 5


def piped[Ty, N](X: "Ty[N]") -> "Ty[N]":
    Q: Ty[N]
    Y: Ty[N]
    fill[Ty, N](X, Q)
    drain[Ty, N](Q, Y)
    return Y


def two_pipes(X: int32[16]) -> int32[16]:
    P = piped[int32, 16, "k0"](X)
    R = piped[int32, 16, "k1"](P)
    return R



def pipes2[Ty, N](X: "Ty[N]") -> "Ty[N]":
    P = piped[Ty, N, "k0"](X)
    R = piped[Ty, N, "k1"](P)
    return R


def pipes_twice(X: int32[16]) -> int32[16]:
    Y = pipes2[int32, 16, "outer"](X)
    Z: int32[16]
    for i in range(16, name="bump"):
        Z[i] = Y[i] + 1
    return Z


def make_t[Ty, N](X: "Ty[N]") -> "Ty[N]":
    Q: Ty[N] = 0
    for i in range(N, name="make_loop"):
        Q[i] = X[i] * 3
    return Q


def piped_result[Ty, N](X: "Ty[N]") -> "Ty[N]":
    Q = make_t[Ty, N](X)
    Y: Ty[N]
    drain[Ty, N](Q, Y)
    return Y


def two_result_pipes(X: int32[16]) -> int32[16]:
    P = piped_result[int32, 16, "k0"](X)
    R = piped_result[int32, 16, "k1"](P)
    return R
