"""Kernels whose printed MLIR is compared with golden files (test_ir_golden.py)."""

import numpy as np

import allo
from allo.ir.types import Fixed, Stateful, UInt, float32, int8, int16, int32, uint32

COEFFS = np.array([1, -2, 3, -4], dtype=np.int32)


def scale_add(P: int8[6, 10], q: int8) -> int16[6, 10]:
    R: int16[6, 10] = 0
    for u, v in allo.grid(6, 10):
        R[u, v] = P[u, v] * 3 + q
    return R


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


def fixed_mac(A: Fixed(8, 3)[4], B: Fixed(12, 6)[4]) -> Fixed(24, 9):
    acc: Fixed(24, 9) = 0
    for i in range(4, pipeline=True):
        acc += A[i] * B[i]
    return acc


def bits(x: uint32, k: int32) -> UInt(8):
    y: uint32 = x
    y[0:4] = 5
    z = x[28:32] + x[3]
    return (y ^ z)[k:k + 8] if True else 0


def helper(A: int32[4]) -> int32[4]:
    B: int32[4]
    for i in range(4):
        B[i] = A[i] * COEFFS[i] if A[i] > 0 else -A[i]
    return B


def calls(A: int32[4], f: float32) -> float32:
    T = helper(A)
    total: float32 @ Stateful = 0.0
    for i in range(4):
        total += T[i] * f
    return total
