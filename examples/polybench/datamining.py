"""PolyBench data mining: correlation and covariance.

Both start with per-column statistics (a reduction down each column, so the expert schedule
interchanges it to stream the data row by row into per-column accumulators) and end with a
symmetric product whose inner loop over observations is pipelined.
"""

from __future__ import annotations

import numpy as np

import allo

from .common import PolyKernel


def _data(d):
    m, n = d["M"], d["N"]
    return np.fromfunction(lambda i, j: i * j / m + i, (n, m), dtype=np.float64)


# ---------------------------------------------------------------------------- correlation

def correlation[T, M, N](float_n: T, data: "T[N, M]", corr: "T[M, M]", mean: "T[M]",
                         stddev: "T[M]"):
    eps: T = 0.1
    for j0 in range(M, name="clear"):
        mean[j0] = 0.0
        stddev[j0] = 0.0
    for j, i in allo.grid(M, N, name="mean_sum"):
        mean[j] += data[i, j]
    for j1 in range(M, name="mean_div"):
        mean[j1] = mean[j1] / float_n
    for j2, i2 in allo.grid(M, N, name="std_sum"):
        stddev[j2] += (data[i2, j2] - mean[j2]) * (data[i2, j2] - mean[j2])
    for j3 in range(M, name="std_div"):
        stddev[j3] = allo.sqrt(stddev[j3] / float_n)
        stddev[j3] = 1.0 if stddev[j3] <= eps else stddev[j3]
    for i4, j4 in allo.grid(N, M, name="center"):
        data[i4, j4] -= mean[j4]
        data[i4, j4] /= allo.sqrt(float_n) * stddev[j4]
    for i5 in range(M - 1, name="product"):
        corr[i5, i5] = 1.0
        for j5 in range(i5 + 1, M):
            corr[i5, j5] = 0.0
            for k5 in range(N):
                corr[i5, j5] += data[k5, i5] * data[k5, j5]
            corr[j5, i5] = corr[i5, j5]
    corr[M - 1, M - 1] = 1.0


def correlation_ref(float_n, data, corr, mean, stddev):
    mean[:] = data.mean(axis=0)
    stddev[:] = np.sqrt(((data - mean) ** 2).sum(axis=0) / float_n)
    stddev[stddev <= 0.1] = 1.0
    data[:] = (data - mean) / (np.sqrt(float_n) * stddev)
    upper = data.T @ data
    np.fill_diagonal(upper, 1.0)
    corr[:] = upper


def schedule_correlation(s, d):
    # Column sums walk data by columns: interchange to rows so the pipelined inner loop is
    # stride-1 and each accumulator is touched once per row (no adder recurrence at II=1).
    s.reorder("mean_sum.i", "mean_sum.j")
    s.reorder("std_sum.i2", "std_sum.j2")
    for loop in ("mean_sum.j", "std_sum.j2", "center.j4", "k5", "clear.j0", "mean_div.j1",
                 "std_div.j3"):
        s.pipeline(loop)


# ----------------------------------------------------------------------------- covariance

def covariance[T, M, N](float_n: T, data: "T[N, M]", cov: "T[M, M]", mean: "T[M]"):
    for j0 in range(M, name="clear"):
        mean[j0] = 0.0
    for j, i in allo.grid(M, N, name="mean_sum"):
        mean[j] += data[i, j]
    for j1 in range(M, name="mean_div"):
        mean[j1] = mean[j1] / float_n
    for i2, j2 in allo.grid(N, M, name="center"):
        data[i2, j2] -= mean[j2]
    for i3 in range(M, name="product"):
        for j3 in range(i3, M):
            cov[i3, j3] = 0.0
            for k3 in range(N):
                cov[i3, j3] += data[k3, i3] * data[k3, j3]
            cov[i3, j3] = cov[i3, j3] / (float_n - 1.0)
            cov[j3, i3] = cov[i3, j3]


def covariance_ref(float_n, data, cov, mean):
    mean[:] = data.mean(axis=0)
    data -= mean
    cov[:] = data.T @ data / (float_n - 1.0)


def schedule_covariance(s, d):
    s.reorder("mean_sum.i", "mean_sum.j")
    for loop in ("mean_sum.j", "center.j2", "k3", "clear.j0", "mean_div.j1"):
        s.pipeline(loop)


ENTRIES = [
    PolyKernel("correlation", "datamining", correlation, lambda d, T: [T, d["M"], d["N"]],
               lambda d: (float(d["N"]), _data(d), np.zeros((d["M"], d["M"])),
                          np.zeros(d["M"]), np.zeros(d["M"])),
               correlation_ref, schedule_correlation, outputs=(1, 2, 3, 4), rtol=1e-4),
    PolyKernel("covariance", "datamining", covariance, lambda d, T: [T, d["M"], d["N"]],
               lambda d: (float(d["N"]), _data(d), np.zeros((d["M"], d["M"])),
                          np.zeros(d["M"])),
               covariance_ref, schedule_covariance, outputs=(1, 2, 3), rtol=1e-4),
]
