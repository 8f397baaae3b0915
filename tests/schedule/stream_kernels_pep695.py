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
