"""Kernels and numpy references for the composition tests (``schedule.md`` §6)."""

import numpy as np

import allo
from allo.ir.types import float32, int32  # noqa: F401

from loop_kernels import gemm_ref as gemm_top_ref, twostep  # noqa: F401 - shared kernels
from memory_kernels import rand_int  # noqa: F401


# ----------------------------------------------------------------------- §6.1 example


def axpy(X: int32[12], Y: int32[12]) -> int32[12]:
    Z: int32[12] = 0
    for t in range(12):
        Z[t] = 3 * X[t] + Y[t]
    return Z


def chain(U: int32[12], V: int32[12]) -> int32[12]:
    W = axpy(U, V)
    R = axpy(W, V)
    return R


def chain_ref(U, V):
    return 3 * (3 * U + V) + V


def bias12(X: int32[12]) -> int32[12]:
    B: int32[12] = 0
    for b in range(12):
        B[b] = X[b] + 5
    return B


def chain_bias(U: int32[12], V: int32[12]) -> int32[12]:
    W = axpy(U, V)
    R = bias12(W)
    return R


def chain_bias_ref(U, V):
    return 3 * U + V + 5


def chain3(U: int32[12], V: int32[12]) -> int32[12]:
    A = axpy(U, V)
    B = axpy(A, V)
    C = axpy(B, A)
    return C


def chain3_ref(U, V):
    a = 3 * U + V
    b = 3 * a + V
    return 3 * b + a


# ----------------------------------------------------------------------- output parameter


def gemm_out(A: int32[8, 6], B: int32[6, 10], C: int32[8, 10]):
    for i, j in allo.grid(8, 10, name="mm"):
        for k in allo.reduction(6):
            C[i, j] += A[i, k] * B[k, j]


def gemm_top(A: int32[8, 6], B: int32[6, 10]) -> int32[8, 10]:
    C: int32[8, 10] = 0
    gemm_out(A, B, C)
    return C


# ----------------------------------------------------------------------- partitions


def add1(A: int32[8]) -> int32[8]:
    B: int32[8] = 0
    for i in range(8):
        B[i] = A[i] + 1
    return B


def add2(A: int32[8]) -> int32[8]:
    C = add1(A)
    D = add1(C)
    return D


def add_top(X: int32[8]) -> int32[8]:
    Y = add2(X)
    Z: int32[8] = 0
    for n in range(8):
        Z[n] = Y[n] * 2
    return Z


def add_top_ref(X):
    return (X + 2) * 2


def two_inputs(A: int32[8], B: int32[8]) -> int32[8]:
    C: int32[8] = 0
    for i in range(8):
        C[i] = A[i] * B[i]
    return C


def two_inputs_top(P: int32[8], Q: int32[8]) -> int32[8]:
    R = two_inputs(P, Q)
    return R


def two_inputs_ref(P, Q):
    return P * Q


def double(V: int32[8]) -> int32[8]:
    W: int32[8] = 0
    for t in range(8):
        W[t] = V[t] * 2
    return W


def double_twice(P: int32[8], Q: int32[8]) -> int32[8]:
    C = double(P)
    D = double(Q)
    E: int32[8] = 0
    for t in range(8):
        E[t] = C[t] - D[t]
    return E


def double_twice_ref(P, Q):
    return P * 2 - Q * 2


# ----------------------------------------------------------------------- reuse_at


def blur(P: int32[6, 12]) -> int32[6, 10]:
    Q: int32[6, 10] = 0
    for y, x in allo.grid(6, 10):
        Q[y, x] = P[y, x] + P[y, x + 1] * 2 + P[y, x + 2]
    return Q


def blur_ref(P):
    return P[:, :-2] + P[:, 1:-1] * 2 + P[:, 2:]


def box(P: int32[8, 12]) -> int32[6, 10]:
    Q: int32[6, 10] = 0
    for y, x in allo.grid(6, 10):
        acc: int32 = 0
        for dy, dx in allo.reduction(3, 3):
            acc += P[y + dy, x + dx] * (dy * 3 + dx + 1)
        Q[y, x] = acc
    return Q


def box_ref(P):
    Q = np.zeros((6, 10), dtype=np.int32)
    for dy in range(3):
        for dx in range(3):
            Q += P[dy:dy + 6, dx:dx + 10] * (dy * 3 + dx + 1)
    return Q


def filters(P: int32[8, 12], S: int32[6, 12]) -> int32[6, 10]:
    F = box(P)
    G = blur(S)
    H: int32[6, 10] = 0
    for r, c in allo.grid(6, 10):
        H[r, c] = F[r, c] - G[r, c]
    return H


def filters_ref(P, S):
    return box_ref(P) - blur_ref(S)


def blur_twice(P: int32[6, 12], S: int32[6, 12]) -> int32[6, 10]:
    F = blur(P)
    G = blur(S)
    H: int32[6, 10] = 0
    for r, c in allo.grid(6, 10):
        H[r, c] = F[r, c] + G[r, c]
    return H


def blur_twice_ref(P, S):
    return blur_ref(P) + blur_ref(S)


# ----------------------------------------------------------------------- unfold / functions


def pe_sum(A: int32[4], w: int32) -> int32:
    acc: int32 = 0
    for k in range(4):
        acc += A[k] * w
    return acc


def pe_row(A: int32[4], W: int32[3], C: int32[3]):
    for p in allo.grid(3, name="PE"):
        C[p] = pe_sum(A, W[p])


def pe_row_ref(A, W, C):
    C[:] = (A.sum() * W).astype(np.int32)


def pe_caller(A: int32[4], W: int32[3]) -> int32[3]:
    C: int32[3] = 0
    pe_row(A, W, C)
    return C


def pe_caller_ref(A, W):
    return (A.sum() * W).astype(np.int32)


def twostep_caller(X: int32[6, 12]) -> int32[6, 12]:
    Y = twostep(X)
    return Y


def twostep_ref(X):
    return X * 3 + 1
