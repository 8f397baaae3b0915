"""Kernels shared by the loop-primitive tests, with their numpy references."""

import numpy as np

import allo
from allo.ir.types import float32, int32


def row_sum(X: int32[12, 20]) -> int32[12]:
    out: int32[12] = 0
    for r, c in allo.grid(12, 20, name="acc"):
        out[r] += X[r, c]
    return out


def row_sum_ref(X):
    return X.sum(axis=1, dtype=np.int32)


def twopass(X: int32[6, 12]) -> int32[6]:
    out: int32[6] = 0
    for r, q in allo.grid(6, 12):
        out[r] += X[r, q]
    for t in range(6):
        for u in allo.reduction(3):
            out[t] += X[t, u]
    for z in range(6):
        out[z] *= 2
    return out


def twopass_ref(X):
    out = X.sum(axis=1, dtype=np.int32) + X[:, :3].sum(axis=1, dtype=np.int32)
    return (out * 2).astype(np.int32)


def gemm(A: int32[8, 6], B: int32[6, 10]) -> int32[8, 10]:
    C: int32[8, 10] = 0
    for i, j, k in allo.grid(8, 10, 6, name="mm"):
        C[i, j] += A[i, k] * B[k, j]
    return C


def gemm_ref(A, B):
    return (A.astype(np.int64) @ B.astype(np.int64)).astype(np.int32)


def gemm_f(A: float32[8, 6], B: float32[6, 10]) -> float32[8, 10]:
    C: float32[8, 10] = 0.0
    for i, j, k in allo.grid(8, 10, 6, name="mm"):
        C[i, j] += A[i, k] * B[k, j]
    return C


def gemm_f_ref(A, B):
    C = np.zeros((8, 10), np.float32)
    for i in range(8):
        for j in range(10):
            for k in range(6):
                C[i, j] = np.float32(C[i, j] + np.float32(A[i, k] * B[k, j]))
    return C


def imperfect(A: int32[6, 8], B: int32[6, 8]):
    for i in range(6, name="blk"):
        B[i, 0] = A[i, 0]
        for j in range(8):
            B[i, j] += A[i, j] * 2
        for k in range(8):
            B[i, k] += 1


def imperfect_ref(A, B):
    B[:, 0] = A[:, 0]
    B += (A * 2).astype(np.int32)
    B += 1


def shift(A: int32[10], B: int32[10]):
    for i in range(1, 10, name="sh"):
        A[i] = A[i - 1] + B[i]


def shift_ref(A, B):
    for i in range(1, 10):
        A[i] = A[i - 1] + B[i]


def stencil(A: int32[8, 8]):
    for i, j in allo.grid(7, 7, name="st"):
        A[i + 1, j] = A[i, j + 1] + 1


def stencil_ref(A):
    for i in range(7):
        for j in range(7):
            A[i + 1, j] = A[i, j + 1] + 1


def scale_row(V: int32[12]) -> int32[12]:
    W: int32[12] = 0
    for t in range(12):
        W[t] = V[t] * 3 + 1
    return W


def calls_scale(X: int32[12]) -> int32[12]:
    Y = scale_row(X)
    Z = scale_row(Y)
    return Z


def calls_scale_ref(X):
    return ((X * 3 + 1) * 3 + 1).astype(np.int32)


def strided(A: int32[20]) -> int32[20]:
    B: int32[20] = 0
    for i in range(2, 19, 3):
        B[i] = A[i] + i
    return B


def strided_ref(A):
    B = np.zeros(20, np.int32)
    for i in range(2, 19, 3):
        B[i] = A[i] + i
    return B


def runtime_bound(A: int32[10], n: int32) -> int32[10]:
    B: int32[10] = 0
    for i in range(n, name="dyn"):
        B[i] = A[i] + 1
    return B


def runtime_bound_ref(A, n):
    B = np.zeros(10, np.int32)
    B[:n] = A[:n] + 1
    return B


def rand_int(shape, lo=-50, hi=50, seed=0):
    return np.random.default_rng(seed).integers(lo, hi, shape).astype(np.int32)


def backward_sibling(A: int32[6, 8], B: int32[6, 8]):
    for i in range(1, 6, name="bw"):
        for j in range(8):
            B[i, j] = A[i - 1, j] + 1
        A[i, 0] = B[i, 3]


def dyn_nest(A: int32[6, 6], n: int32):
    for i in range(6):
        for j in range(n):
            A[i, j] += 1


def stages_callee(X: int32[4, 6]) -> int32[4, 6]:
    T: int32[4, 6] = 0
    for a, b in allo.grid(4, 6, name="prod"):
        T[a, b] = X[a, b] + 2
    U: int32[4, 6] = 0
    for a, b in allo.grid(4, 6, name="cons"):
        U[a, b] = T[a, b] * 5
    return U


def stages_top(X: int32[4, 6]) -> int32[4, 6]:
    Y = stages_callee(X)
    return Y


def stages_top_ref(X):
    return ((X + 2) * 5).astype(np.int32)


# ----------------------------------------------------------------- shared by several test files


def twostep(X: int32[6, 12]) -> int32[6, 12]:
    T: int32[6, 12] = 0
    for a, b in allo.grid(6, 12, name="mul"):
        T[a, b] = X[a, b] * 3
    U: int32[6, 12] = 0
    for a, b in allo.grid(6, 12, name="add"):
        U[a, b] = T[a, b] + 1
    return U


def twostep_ref(X):
    return (X * 3 + 1).astype(np.int32)


def three(A: int32[4, 5, 6]) -> int32[4, 5, 6]:
    B: int32[4, 5, 6] = 0
    for i, j, m in allo.grid(4, 5, 6):
        B[i, j, m] = A[i, j, m] + 1
    C: int32[4, 5, 6] = 0
    for i, j, m in allo.grid(4, 5, 6, name="C"):
        C[i, j, m] = B[i, j, m] * 2
    D: int32[4, 5, 6] = 0
    for i, j, m in allo.grid(4, 5, 6, name="D"):
        D[i, j, m] = C[i, j, m] - A[i, j, m]
    return D


def three_ref(A):
    return (((A + 1) * 2) - A).astype(np.int32)


def larger_producer(X: int32[8, 12]) -> int32[6, 12]:
    T: int32[8, 12] = 0
    for a, b in allo.grid(8, 12, name="mul"):
        T[a, b] = X[a, b] * 3
    U: int32[6, 12] = 0
    for a, b in allo.grid(6, 12, name="add"):
        U[a, b] = T[a, b] + 1
    return U


def larger_consumer(X: int32[8, 12]) -> int32[8, 12]:
    T: int32[8, 12] = 0
    for a, b in allo.grid(4, 12, name="mul"):
        T[a, b] = X[a, b] * 3
    U: int32[8, 12] = 0
    for a, b in allo.grid(8, 12, name="add"):
        U[a, b] = T[a, b] + 1
    return U


def larger_consumer_ref(X):
    T = np.zeros((8, 12), np.int32)
    T[:4] = X[:4] * 3
    return (T + 1).astype(np.int32)


def nest_imperfect(A: int32[4, 6, 8]) -> int32[4, 6, 8]:
    B: int32[4, 6, 8] = 0
    for i, j in allo.grid(4, 6):
        for k in range(8):
            B[i, j, k] = A[i, j, k] + 1
        for m in range(8):
            B[i, j, m] *= 3
    return B


def pe_add(P: int32[3, 4]) -> int32[3, 4]:
    Q: int32[3, 4]
    for u, w in allo.grid(3, 4, name="cell"):
        Q[u, w] = P[u, w] + 7
    return Q


def pe_kernel(a: int32, b: int32) -> int32:
    return a * 10 + b


def pe_grid(A: int32[2], B: int32[2], C: int32[2, 2]):
    for i, j in allo.grid(2, 2, name="PE"):
        C[i, j] = pe_kernel(A[i], B[j])


def copy2(A: int32[2, 2, 3], B: int32[2, 2, 3]):
    for p, q, r in allo.grid(2, 2, 3, name="PE"):
        B[p, q, r] = A[p, q, r] + p + q
