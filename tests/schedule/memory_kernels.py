"""Kernels and numpy references shared by the memory-primitive tests."""

import numpy as np

import allo
from allo.ir.types import float32, int32, uint8  # noqa: F401

from loop_kernels import gemm_ref as mm_top_ref  # noqa: F401,E402 - shared reference

COEF6 = np.array([3, -1, 4, 1, -5, 9], dtype=np.int32)


def rand_int(shape, seed=0, lo=-1000, hi=1000):
    return np.random.default_rng(seed).integers(lo, hi, shape).astype(np.int32)


def rand_float(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ----------------------------------------------------------------------- partition


def affine2(X: int32[6, 12]) -> int32[6, 12]:
    Y: int32[6, 12] = 0
    for i, j in allo.grid(6, 12, name="body"):
        Y[i, j] = X[i, j] * 2 + 1
    return Y


def affine2_ref(X):
    return X * 2 + 1


def inc6(V: int32[6]) -> int32[6]:
    W: int32[6] = 0
    for t in range(6):
        W[t] = V[t] + 1
    return W


def top6(X: int32[6]) -> int32[6]:
    T = inc6(X)
    R = inc6(T)
    return R


def top6_ref(X):
    return X + 2


def leaf(V: int32[6]) -> int32[6]:
    W: int32[6] = 0
    for t in range(6):
        W[t] = V[t] * 3
    return W


def middle(U: int32[6]) -> int32[6]:
    M = leaf(U)
    return M


def nested(X: int32[6]) -> int32[6]:
    N = middle(X)
    Z: int32[6] = 0
    for t in range(6):
        Z[t] = N[t] - 1
    return Z


def nested_ref(X):
    return X * 3 - 1


def scale_const(A: int32[6]) -> int32[6]:
    K: int32[6] = COEF6
    B: int32[6] = 0
    for t in range(6):
        B[t] = A[t] * K[t]
    return B


def scale_const_ref(A):
    return A * COEF6


def twice_called(P: int32[6], Q: int32[6]) -> int32[6]:
    C = inc6(P)
    D = inc6(Q)
    E: int32[6] = 0
    for t in range(6):
        E[t] = C[t] + D[t]
    return E


def twice_called_ref(P, Q):
    return P + Q + 2


# ----------------------------------------------------------------------- reshape


def add_one_10x10(A: int32[10, 10]) -> int32[10, 10]:
    B: int32[10, 10] = 0
    for i, j in allo.grid(10, 10):
        B[i, j] = A[i, j] + 1
    return B


def add_one_ref(A):
    return A + 1


def cube(A: int32[4, 4, 4]) -> int32[4, 4, 4]:
    B: int32[4, 4, 4] = 0
    for i, j, k in allo.grid(4, 4, 4):
        B[i, j, k] = A[i, j, k] * (i + 1) + j - k
    return B


def cube_ref(A):
    i, j, k = np.meshgrid(np.arange(4), np.arange(4), np.arange(4), indexing="ij")
    return A * (i + 1) + j - k


def copy_in(A: int32[6, 4]) -> int32[6, 4]:
    B: int32[6, 4] = A
    for i, j in allo.grid(6, 4):
        B[i, j] += i
    return B


def copy_in_ref(A):
    return A + np.arange(6)[:, None]


# ----------------------------------------------------------------------- buffer_at


def gemm_f32(A: float32[256, 256], B: float32[256, 256]) -> float32[256, 256]:
    C: float32[256, 256] = 0.0
    for i, j in allo.grid(256, 256, name="mm"):
        for k in allo.reduction(256):
            C[i, j] += A[i, k] * B[k, j]
    return C


def gemm_small(A: float32[8, 12], B: float32[12, 6]) -> float32[8, 6]:
    C: float32[8, 6] = 0.0
    for i, j in allo.grid(8, 6, name="mm"):
        for k in allo.reduction(12):
            C[i, j] += A[i, k] * B[k, j]
    return C


def transposed_read(A: int32[6, 6]) -> int32[6, 6]:
    B: int32[6, 6] = 0
    for i, j in allo.grid(6, 6):
        B[i, j] = A[j, i]
    return B


def mv(M: float32[6, 12], v: float32[12]) -> float32[6]:
    out: float32[6] = 0.0
    for r in range(6):
        for c in allo.reduction(12):
            out[r] += M[r, c] * v[c]
    return out


def mv_ref(M, v):
    out = np.zeros(6, dtype=np.float32)
    for r in range(6):
        for c in range(12):
            out[r] = np.float32(out[r] + np.float32(M[r, c] * v[c]))
    return out


def accumulate_into(A: int32[4, 6, 5], C: int32[4, 6]):
    for b, i in allo.grid(4, 6, name="acc"):
        for k in allo.reduction(5):
            C[b, i] += A[b, i, k]


def accumulate_ref(A, C):
    C += A.sum(axis=2).astype(np.int32)


def rows_then_scale(A: int32[8, 6, 5]) -> int32[8, 6, 5]:
    C: int32[8, 6, 5] = 7
    for b, i, j in allo.grid(8, 6, 5, name="upd"):
        C[b, i, j] = C[b, i, j] * 2 + A[b, i, j]
    return C


def rows_then_scale_ref(A):
    return 7 * 2 + A


def gather(A: int32[12], I: int32[12]) -> int32[12]:
    B: int32[12] = 0
    for t in range(12):
        B[t] = A[I[t]]
    return B


def gather_ref(A, I):
    return A[I]


def reduction_between(A: int32[4, 5, 6]) -> int32[4, 6]:
    C: int32[4, 6] = 0
    for i in range(4):
        for k in allo.reduction(5):
            for j in range(6):
                C[i, j] += A[i, k, j]
    return C


def reduction_between_ref(A):
    return A.sum(axis=1).astype(np.int32)


# ----------------------------------------------------------------------- reuse_at


def blur1d(P: int32[6, 12]) -> int32[6, 10]:
    Q: int32[6, 10] = 0
    for y, x in allo.grid(6, 10):
        Q[y, x] = P[y, x] + P[y, x + 1] * 2 + P[y, x + 2]
    return Q


def blur1d_ref(P):
    return P[:, :-2] + P[:, 1:-1] * 2 + P[:, 2:]


def box3(P: int32[8, 12]) -> int32[6, 10]:
    Q: int32[6, 10] = 0
    for y, x in allo.grid(6, 10):
        acc: int32 = 0
        for dy, dx in allo.reduction(3, 3):
            acc += P[y + dy, x + dx] * (dy * 3 + dx + 1)
        Q[y, x] = acc
    return Q


def box3_ref(P):
    Q = np.zeros((6, 10), dtype=np.int32)
    for dy in range(3):
        for dx in range(3):
            Q += P[dy:dy + 6, dx:dx + 10] * (dy * 3 + dx + 1)
    return Q


def channels(P: int32[6, 12, 2]) -> int32[6, 10, 2]:
    Q: int32[6, 10, 2] = 0
    for y, x, ch in allo.grid(6, 10, 2):
        Q[y, x, ch] = P[y, x, ch] - P[y, x + 1, ch] + P[y, x + 2, ch] * (ch + 1)
    return Q


def channels_ref(P):
    return P[:, :-2] - P[:, 1:-1] + P[:, 2:] * np.array([1, 2], dtype=np.int32)


def strided(P: int32[7, 11]) -> int32[3, 5]:
    Q: int32[3, 5] = 0
    for y, x in allo.grid(3, 5):
        acc: int32 = 0
        for dy, dx in allo.reduction(3, 3):
            acc += P[y * 2 + dy, x * 2 + dx] * (dx + 1)
        Q[y, x] = acc
    return Q


def strided_ref(P):
    Q = np.zeros((3, 5), dtype=np.int32)
    for y in range(3):
        for x in range(5):
            Q[y, x] = sum(int(P[2 * y + dy, 2 * x + dx]) * (dx + 1)
                          for dy in range(3) for dx in range(3))
    return Q


def two_stage(A: int32[6, 12]) -> int32[6, 10]:
    T: int32[6, 12] = 0
    for i, j in allo.grid(6, 12, name="produce"):
        T[i, j] = A[i, j] * 3 - 1
    Q: int32[6, 10] = 0
    for y, x in allo.grid(6, 10, name="consume"):
        Q[y, x] = T[y, x] + T[y, x + 1] + T[y, x + 2]
    return Q


def two_stage_ref(A):
    T = A * 3 - 1
    return T[:, :-2] + T[:, 1:-1] + T[:, 2:]


def maxpool(A: int32[1, 2, 8, 8]) -> int32[1, 2, 4, 4]:
    B: int32[1, 2, 4, 4] = 0
    for n, c, h, w in allo.grid(1, 2, 4, 4):
        m: int32 = A[n, c, h * 2, w * 2]
        for rh, rw in allo.reduction(2, 2):
            m = max(m, A[n, c, h * 2 + rh, w * 2 + rw])
        B[n, c, h, w] = m
    return B


def maxpool_ref(A):
    return A.reshape(1, 2, 4, 2, 4, 2).max(axis=(3, 5))


def gapped(P: int32[6, 12]) -> int32[6, 9]:
    Q: int32[6, 9] = 0
    for y, x in allo.grid(6, 9):
        Q[y, x] = P[y, x] + P[y, x + 3]
    return Q


def shifted_start(P: int32[6, 12]) -> int32[6, 10]:
    Q: int32[6, 10] = 0
    for y in range(6):
        for x in range(1, 10):
            Q[y, x] = P[y, x - 1] + P[y, x] + P[y, x + 1]
    return Q


def blur_u8(P: "uint8[6, 12]") -> int32[6, 10]:
    Q: int32[6, 10] = 0
    for y, x in allo.grid(6, 10):
        Q[y, x] = P[y, x] + P[y, x + 1] + P[y, x + 2]
    return Q


def blur_u8_ref(P):
    P = P.astype(np.int32)
    return P[:, :-2] + P[:, 1:-1] + P[:, 2:]


def mm_out(A: int32[4, 5], B: int32[5, 6], C: int32[4, 6]):
    for i, j in allo.grid(4, 6, name="mm"):
        for k in allo.reduction(5):
            C[i, j] += A[i, k] * B[k, j]


def mm_top(A: int32[4, 5], B: int32[5, 6]) -> int32[4, 6]:
    C: int32[4, 6] = 0
    mm_out(A, B, C)
    return C


def blur_caller(P: int32[6, 12]) -> int32[6, 10]:
    Q = blur1d(P)
    return Q
