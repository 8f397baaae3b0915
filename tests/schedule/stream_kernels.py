"""Kernels for the streaming tests (``schedule.md`` §4, §8, §12 "test_schedule_stream")."""

import allo
import numpy as np

from allo.ir.types import index, int16, int32

M, N = 10, 20


# ----------------------------------------------------------------------- stages of one function


def two_bands(A: int32[10, 20]) -> int32[10, 20]:
    B: int32[10, 20] = 0
    for i, j in allo.grid(10, 20, name="B"):
        B[i, j] = A[i, j] + 1
    C: int32[10, 20] = 0
    for i, j in allo.grid(10, 20, name="C"):
        C[i, j] = B[i, j] * 2
    return C


def two_bands_ref(A):
    return (A + 1) * 2


def fork_join(A: int32[8, 6]) -> int32[8, 6]:
    B: int32[8, 6] = 0
    for i, j in allo.grid(8, 6, name="B"):
        B[i, j] = A[i, j] + 1
    C: int32[8, 6] = 0
    for i, j in allo.grid(8, 6, name="C"):
        C[i, j] = B[i, j] * 3
    D: int32[8, 6] = 0
    for i, j in allo.grid(8, 6, name="D"):
        D[i, j] = C[i, j] - 2
    E: int32[8, 6] = 0
    for i, j in allo.grid(8, 6, name="E"):
        E[i, j] = C[i, j] + 5
    F: int32[8, 6] = 0
    for i, j in allo.grid(8, 6, name="F"):
        F[i, j] = D[i, j] * E[i, j]
    return F


def fork_join_ref(A):
    C = (A + 1) * 3
    return (C - 2) * (C + 5)


# ----------------------------------------------------------------------- functions


def produce(P: int32[6, 12], Q: int32[6, 12]):
    for a, b in allo.grid(6, 12):
        Q[a, b] = P[a, b] * 5


def consume(Q: int32[6, 12], R: int32[6, 12]):
    for a, b in allo.grid(6, 12):
        R[a, b] = Q[a, b] - 1


def pipe2(P: int32[6, 12]) -> int32[6, 12]:
    Q: int32[6, 12]
    R: int32[6, 12]
    produce(P, Q)
    consume(Q, R)
    return R


def pipe2_ref(P):
    return P * 5 - 1


def stage_to_func(P: int32[6, 12]) -> int32[6, 12]:
    Q: int32[6, 12]
    for a, b in allo.grid(6, 12, name="make"):
        Q[a, b] = P[a, b] + 7
    R: int32[6, 12]
    consume(Q, R)
    return R


def leaf_write(P: int32[6, 12], Q: int32[6, 12]):
    for a, b in allo.grid(6, 12, name="lw"):
        Q[a, b] = P[a, b] * 3


def mid_write(P: int32[6, 12], Q: int32[6, 12]):
    leaf_write(P, Q)


def leaf_read(Q: int32[6, 12], R: int32[6, 12]):
    for a, b in allo.grid(6, 12, name="lr"):
        R[a, b] = Q[a, b] + 1


def nested_top(P: int32[6, 12]) -> int32[6, 12]:
    Q: int32[6, 12]
    R: int32[6, 12]
    mid_write(P, Q)
    leaf_read(Q, R)
    return R


def nested_ref(P):
    return P * 3 + 1


def inner_stages(P: int32[6, 12], R: int32[6, 12]):
    T: int32[6, 12]
    for a, b in allo.grid(6, 12, name="first"):
        T[a, b] = P[a, b] - 4
    for a, b in allo.grid(6, 12, name="second"):
        R[a, b] = T[a, b] * 2


def outer_of_stages(P: int32[6, 12]) -> int32[6, 12]:
    R: int32[6, 12]
    inner_stages(P, R)
    return R


def split_a(X: int32[6, 12], Y: int32[6, 12]):
    for a, b in allo.grid(6, 12):
        Y[a, b] = X[a, b] + 3


def split_b(X: int32[6, 12], Z: int32[6, 12]):
    for a, b in allo.grid(6, 12):
        Z[a, b] = X[a, b] * 2


def join_two(Y: int32[6, 12], Z: int32[6, 12], R: int32[6, 12]):
    for a, b in allo.grid(6, 12):
        R[a, b] = Y[a, b] - Z[a, b]


def fork_funcs(P: int32[6, 12]) -> int32[6, 12]:
    X: int32[6, 12]
    Y: int32[6, 12]
    Z: int32[6, 12]
    R: int32[6, 12]
    produce(P, X)
    split_a(X, Y)
    split_b(X, Z)
    join_two(Y, Z, R)
    return R


def fork_funcs_ref(P):
    X = P * 5
    return (X + 3) - X * 2


def outer_pipe(P: int32[6, 12]) -> int32[6, 12]:
    return pipe2(P)


# ----------------------------------------------------------------------- refused requests


def transposed_read(A: int32[6, 6]) -> int32[6, 6]:
    B: int32[6, 6]
    for i, j in allo.grid(6, 6, name="w"):
        B[i, j] = A[i, j] + 1
    C: int32[6, 6]
    for i, j in allo.grid(6, 6, name="r"):
        C[i, j] = B[j, i]
    return C


def double_read(A: int32[6, 6]) -> int32[6, 6]:
    B: int32[6, 6]
    for i, j in allo.grid(6, 6, name="w"):
        B[i, j] = A[i, j] + 1
    C: int32[6, 6]
    for i, j in allo.grid(6, 6, name="r"):
        C[i, j] = B[i, j] + B[i, j]
    return C


def two_writers(A: int32[6, 6]) -> int32[6, 6]:
    B: int32[6, 6]
    for i, j in allo.grid(6, 6, name="w1"):
        B[i, j] = A[i, j] + 1
    for i, j in allo.grid(6, 6, name="w2"):
        B[i, j] = A[i, j] + 2
    C: int32[6, 6]
    for i, j in allo.grid(6, 6, name="r"):
        C[i, j] = B[i, j]
    return C


def extra_reader(A: int32[6, 6]) -> int32[6, 6]:
    B: int32[6, 6]
    for i, j in allo.grid(6, 6, name="w"):
        B[i, j] = A[i, j] + 1
    C: int32[6, 6]
    for i, j in allo.grid(6, 6, name="r"):
        C[i, j] = B[i, j] * 2
    for i, j in allo.grid(6, 6, name="late"):
        C[i, j] += B[j, i]
    return C


def reduction_producer(A: int32[6, 6]) -> int32[6, 6]:
    B: int32[6, 6] = 0
    for i, j in allo.grid(6, 6, name="acc"):
        for k in allo.reduction(6):
            B[i, j] += A[i, k] * A[k, j]
    C: int32[6, 6]
    for i, j in allo.grid(6, 6, name="r"):
        C[i, j] = B[i, j]
    return C


def backwards(A: int32[6, 6]) -> int32[6, 6]:
    B: int32[6, 6] = 0
    C: int32[6, 6] = 0
    for i, j in allo.grid(6, 6, name="r"):
        C[i, j] = B[i, j]
    for i, j in allo.grid(6, 6, name="w"):
        B[i, j] = A[i, j] + 1
    return C


def produce_twice(P: int32[6, 12]) -> int32[6, 12]:
    Q: int32[6, 12]
    S: int32[6, 12]
    R: int32[6, 12]
    produce(P, Q)
    produce(P, S)
    consume(Q, R)
    return R


# ----------------------------------------------------------------------- depth="auto"


def bursty(A: int32[4, 8]) -> int32[4, 8]:
    B: int32[4, 8]
    for i in range(4, name="prod"):
        T: int32[8]
        for j in range(8):
            T[j] = A[i, j] * 3
        for j2 in range(8):
            B[i, j2] = T[j2]
        for j3 in range(8):
            T[j3] = 0
    C: int32[4, 8]
    for i, j in allo.grid(4, 8, name="cons"):
        C[i, j] = B[i, j] + 1
    return C


# ----------------------------------------------------------------------- systolic (§4.3)


def sys_pe(A_in: int32[4], B_in: int32[4], A_out: int32[4], B_out: int32[4],
           C: int32[3, 2], i: index, j: index):
    v: int32 = 0
    for k in range(4):
        a: int32 = A_in[k]
        b: int32 = B_in[k]
        v += a * b
        A_out[k] = a
        B_out[k] = b
    C[i, j] = v


def sys_gemm(A: int32[3, 4], B: int32[4, 2]) -> int32[3, 2]:
    C: int32[3, 2] = 0
    A_fifo: int32[3, 3, 4]
    B_fifo: int32[2, 4, 4]
    for k in range(4, name="data_load"):
        for m in range(3):
            A_fifo[m, 0, k] = A[m, k]
        for n in range(2):
            B_fifo[n, 0, k] = B[k, n]
    for i, j in allo.grid(3, 2, name="PE"):
        sys_pe(A_fifo[i, j], B_fifo[j, i], A_fifo[i, j + 1], B_fifo[j, i + 1], C, i, j)
    A_drain: int32[3]
    B_drain: int32[2]
    for k in range(4, name="data_drain"):
        for m in range(3):
            A_drain[m] = A_fifo[m, 2, k]
        for n in range(2):
            B_drain[n] = B_fifo[n, 3, k]
    return C


def sys_gemm_undrained(A: int32[3, 4], B: int32[4, 2]) -> int32[3, 2]:
    C: int32[3, 2] = 0
    A_fifo: int32[3, 3, 4]
    B_fifo: int32[2, 4, 4]
    for k in range(4, name="data_load"):
        for m in range(3):
            A_fifo[m, 0, k] = A[m, k]
        for n in range(2):
            B_fifo[n, 0, k] = B[k, n]
    for i, j in allo.grid(3, 2, name="PE"):
        sys_pe(A_fifo[i, j], B_fifo[j, i], A_fifo[i, j + 1], B_fifo[j, i + 1], C, i, j)
    return C


def call_result(P: int32[6, 12]) -> int32[6, 12]:
    R = pipe2(P)
    S: int32[6, 12]
    for a, b in allo.grid(6, 12, name="use"):
        S[a, b] = R[a, b] + 1
    return S


# ----------------------------------------------------------------------- fork of a function producer


def make16(P: int16[4, 8], X: int16[4, 8]):
    for i, j in allo.grid(4, 8):
        X[i, j] = P[i, j] + 1


def twice16(X: int16[4, 8], Y: int16[4, 8]):
    for i, j in allo.grid(4, 8):
        Y[i, j] = X[i, j] * 2


def thrice16(X: int16[4, 8], Y: int16[4, 8]):
    for i, j in allo.grid(4, 8):
        Y[i, j] = X[i, j] * 3


def minus16(X: int16[4, 8], Y: int16[4, 8]):
    for i, j in allo.grid(4, 8):
        Y[i, j] = X[i, j] - 7


def join16(A: int16[4, 8], B: int16[4, 8], C: int16[4, 8], R: int16[4, 8]):
    for i, j in allo.grid(4, 8):
        R[i, j] = A[i, j] + B[i, j] - C[i, j]


def fork_three(P: int16[4, 8], R: int16[4, 8]):
    X: int16[4, 8]
    A: int16[4, 8]
    B: int16[4, 8]
    C: int16[4, 8]
    make16(P, X)
    twice16(X, A)
    thrice16(X, B)
    minus16(X, C)
    join16(A, B, C, R)


def fork_three_ref(P, R):
    X = P.astype(np.int64) + 1
    R[...] = (X * 2 + X * 3 - (X - 7)).astype(np.int16)


# ----------------------------------------------------------------------- streamed call results


def make_q(P: int32[6, 12]) -> int32[6, 12]:
    Q: int32[6, 12] = 0
    for a, b in allo.grid(6, 12, name="mk"):
        Q[a, b] = P[a, b] * 5
    return Q


def result_to_func(P: int32[6, 12]) -> int32[6, 12]:
    Q = make_q(P)
    R: int32[6, 12]
    consume(Q, R)
    return R


def result_fork(P: int32[6, 12]) -> int32[6, 12]:
    X = make_q(P)
    Y: int32[6, 12]
    Z: int32[6, 12]
    R: int32[6, 12]
    split_a(X, Y)
    split_b(X, Z)
    join_two(Y, Z, R)
    return R


def result_twice(P: int32[6, 12]) -> int32[6, 12]:
    Q = make_q(P)
    S = make_q(Q)
    R: int32[6, 12]
    consume(S, R)
    return R


def make_and_peek(P: int32[6, 12]) -> int32[6, 12]:
    Q: int32[6, 12]
    for a, b in allo.grid(6, 12, name="mk"):
        Q[a, b] = P[a, b] * 5
    for a, b in allo.grid(6, 12, name="peek"):
        Q[a, b] = Q[a, b] + 1
    return Q


def result_read_in_callee(P: int32[6, 12]) -> int32[6, 12]:
    Q = make_and_peek(P)
    R: int32[6, 12]
    consume(Q, R)
    return R


def result_transposed(P: int32[6, 6]) -> int32[6, 6]:
    Q = make_sq(P)
    R: int32[6, 6]
    for a, b in allo.grid(6, 6, name="tr"):
        R[a, b] = Q[b, a]
    return R


def make_sq(P: int32[6, 6]) -> int32[6, 6]:
    Q: int32[6, 6]
    for a, b in allo.grid(6, 6, name="mk"):
        Q[a, b] = P[a, b] - 3
    return Q


def returned_fifo(P: int32[6, 12]) -> int32[6, 12]:
    Q: int32[6, 12]
    R: int32[6, 12]
    produce(P, Q)
    consume(Q, R)
    return Q
