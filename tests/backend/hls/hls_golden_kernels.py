"""Kernels whose emitted HLS C++ is kept as golden files (edit with care: the emitted code
records source line numbers, so moving these definitions changes the golden files; rerun
``pytest tests/backend/hls/test_hls_golden.py --update-golden`` and review the diff)."""

import allo
from allo.ir.types import Fixed, UInt, bool as abool, float32, int8, int32


def gemm(A: float32[16, 12], B: float32[12, 8]) -> float32[16, 8]:
    C: float32[16, 8] = 0.0
    for i, j in allo.grid(16, 8):
        for k in allo.reduction(12):
            C[i, j] += A[i, k] * B[k, j]
    return C


def gemm_schedule():
    s = allo.customize(gemm)
    s.split("i", 4)
    s.reorder("i.outer", "j", "i.inner")
    s.pipeline("k")
    s.partition(s.A, allo.Partition.Cyclic, dim=2, factor=4)
    return s


def fixed_mac(X: Fixed(12, 4)[8], W: Fixed(8, 6)[8], b: Fixed(12, 4)) -> Fixed(16, 8):
    acc: Fixed(16, 8) = b
    for i in range(8):
        acc += X[i] * W[i]
    return acc


def bits(A: UInt(12)[6], flag: abool) -> int8[6]:
    R: int8[6]
    for i in range(6):
        v: UInt(12) = A[i]
        if flag:
            v[3] = 1
        R[i] = v[0:8] + v[11]
    return R


def scale2(X: int32[3, 5]) -> int32[3, 5]:
    Y: int32[3, 5]
    for i, j in allo.grid(3, 5):
        Y[i, j] = X[i, j] * 2
    return Y
