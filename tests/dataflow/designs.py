"""Dataflow designs shared by the tests of ``allo.dataflow`` (each with its numpy meaning)."""

from __future__ import annotations

import numpy as np

import allo
import allo.dataflow as df
from allo.ir.types import Stream, float32, int16, int32, uint16

# ----------------------------------------------------------------------------- producer/consumer


@df.region()
def twostage(X: int32[6, 10], Y: int32[6, 10]):
    q: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[X])
    def src(x: int32[6, 10]):
        for a, b in allo.grid(6, 10):
            q.put(x[a, b] * 3)

    @df.kernel(mapping=[1], args=[Y])
    def dst(y: int32[6, 10]):
        for a, b in allo.grid(6, 10):
            y[a, b] = q.get() - 1


def twostage_ref(X):
    return 3 * X - 1


@df.region()
def double_put(X: uint16[8], Y: uint16[16]):
    q: Stream[uint16, 2]

    @df.kernel(mapping=[1], args=[X])
    def send(x: uint16[8]):
        for i in range(8):
            q.put(x[i])
            q.put(x[i] + 40000)

    @df.kernel(mapping=[1], args=[Y])
    def recv(y: uint16[16]):
        for i in range(16):
            y[i] = q.get()


def double_put_ref(X):
    return np.stack([X, (X.astype(np.int64) + 40000).astype(np.uint16)], axis=1).reshape(16)


# ----------------------------------------------------------------------------- 1-D systolic

TAPS = 4
LEN = 12
WEIGHTS = np.array([3, -1, 2, 5], dtype=np.int32)


@df.region()
def fir(X: int32[LEN], Y: int32[LEN]):
    """A 1-D systolic FIR filter: y[n] = sum_t w[t] * x[n - t], one PE per tap."""
    xs: Stream[int32, 2][TAPS + 1]
    ps: Stream[int32, 2][TAPS + 1]

    @df.kernel(mapping=[1], args=[X])
    def feed(x: int32[LEN]):
        for n in range(LEN):
            xs[0].put(x[n])
            ps[0].put(0)

    @df.kernel(mapping=[TAPS], args=[])
    def tap():
        t = df.get_pid()
        delay: int32 = 0
        for n in range(LEN):
            v: int32 = xs[t].get()
            mine: int32 = v
            with allo.meta_if(t > 0):  # each PE delays the samples by one more step
                mine = delay
                delay = v
            ps[t + 1].put(ps[t].get() + WEIGHTS[t] * mine)
            xs[t + 1].put(mine)

    @df.kernel(mapping=[1], args=[Y])
    def drain(y: int32[LEN]):
        for n in range(LEN):
            y[n] = ps[TAPS].get()
            unused: int32 = xs[TAPS].get()


def fir_ref(X):
    Y = np.zeros(LEN, dtype=np.int64)
    for n in range(LEN):
        for t in range(TAPS):
            if n - t >= 0:
                Y[n] += WEIGHTS[t] * X[n - t]
    return Y.astype(np.int32)


# ----------------------------------------------------------------------------- 2-D systolic

SM, SN, SK = 4, 4, 6


@df.region()
def systolic(A: int16[SM, SK], B: int16[SK, SN], C: int16[SM, SN]):
    """Output-stationary systolic GEMM: loaders on the top row and left column, drains on the
    bottom row and right column, unused corners (absent)."""
    fifo_A: Stream[int16, 4][SM + 2, SN + 2]
    fifo_B: Stream[int16, 4][SM + 2, SN + 2]

    @df.kernel(mapping=[SM + 2, SN + 2], args=[A, B, C])
    def gemm(local_A: int16[SM, SK], local_B: int16[SK, SN], local_C: int16[SM, SN]):
        i, j = df.get_pid()
        with allo.meta_if(i in {0, SM + 1} and j in {0, SN + 1}):
            pass
        with allo.meta_elif(j == 0):
            for k in range(SK):
                fifo_A[i, j + 1].put(local_A[i - 1, k])
        with allo.meta_elif(i == 0):
            for k in range(SK):
                fifo_B[i + 1, j].put(local_B[k, j - 1])
        with allo.meta_elif(i == SM + 1 and j > 0):
            for k in range(SK):
                b: int16 = fifo_B[i, j].get()
        with allo.meta_elif(j == SN + 1 and i > 0):
            for k in range(SK):
                a: int16 = fifo_A[i, j].get()
        with allo.meta_else():
            c: int16 = 0
            for k in range(SK):
                a: int16 = fifo_A[i, j].get()
                b: int16 = fifo_B[i, j].get()
                c += a * b
                fifo_A[i, j + 1].put(a)
                fifo_B[i + 1, j].put(b)
            local_C[i - 1, j - 1] = c


def systolic_ref(A, B):
    return (A.astype(np.int64) @ B.astype(np.int64)).astype(np.int16)


# ----------------------------------------------------------------------------- tiled GEMM


@df.region()
def tiled_gemm(A: int32[8, 8], B: int32[8, 8], C: int32[8, 8]):
    """2x2 compute PEs, each a 4x4 tile of C sent as one block to a collector."""
    tiles: Stream[int32[4, 4], 1][2, 2]

    @df.kernel(mapping=[2, 2], args=[A, B])
    def mm(a: int32[8, 8], b: int32[8, 8]):
        i, j = df.get_pid()
        acc: int32[4, 4] = 0
        for ii, jj in allo.grid(4, 4):
            for k in allo.reduction(8):
                acc[ii, jj] += a[i * 4 + ii, k] * b[k, j * 4 + jj]
        tiles[i, j].put(acc)

    @df.kernel(mapping=[1], args=[C])
    def collect(c: int32[8, 8]):
        with allo.meta_for(2) as ti:
            with allo.meta_for(2) as tj:
                blk: int32[4, 4] = tiles[ti, tj].get()
                for ii, jj in allo.grid(4, 4):
                    c[ti * 4 + ii, tj * 4 + jj] = blk[ii, jj]


def tiled_gemm_ref(A, B):
    return (A.astype(np.int64) @ B.astype(np.int64)).astype(np.int32)


# ----------------------------------------------------------------------------- MLP

BS, D0, D1, D2 = 4, 8, 16, 4
_rng = np.random.default_rng(7)
W1 = _rng.standard_normal((D0, D1)).astype(np.float32)
W2 = _rng.standard_normal((D1, D2)).astype(np.float32)


@df.region()
def mlp(X: float32[BS, D0], Y: float32[BS, D2]):
    """Two linear layers and a ReLU as three processes passing rows (blocks)."""
    h: Stream[float32[D1], 2]
    g: Stream[float32[D1], 2]

    @df.kernel(mapping=[1], args=[X])
    def linear1(x: float32[BS, D0]):
        for r in range(BS):
            row: float32[D1] = 0.0
            for j in range(D1):
                for k in range(D0):
                    row[j] += x[r, k] * W1[k, j]
            h.put(row)

    @df.kernel(mapping=[1], args=[])
    def relu():
        for r in range(BS):
            row: float32[D1] = h.get()
            for j in range(D1):
                row[j] = max(row[j], 0.0)
            g.put(row)

    @df.kernel(mapping=[1], args=[Y])
    def linear2(y: float32[BS, D2]):
        for r in range(BS):
            row: float32[D1] = g.get()
            for j in range(D2):
                acc: float32 = 0.0
                for k in range(D1):
                    acc += row[k] * W2[k, j]
                y[r, j] = acc


def mlp_ref(X):
    return np.maximum(X @ W1, 0) @ W2


# ----------------------------------------------------------------------------- hierarchy


@df.region()
def echo_pair[S](A: int32[8], B: int32[8]):
    """A sub-region whose two kernels talk in both directions (not sequentially executable)."""
    q: Stream[int32, 2]
    r: Stream[int32, 1]

    @df.kernel(mapping=[1], args=[A])
    def send(a: int32[8]):
        for i in range(8):
            q.put(a[i])
            a[i] = r.get()

    @df.kernel(mapping=[1], args=[B])
    def echo(b: int32[8]):
        for i in range(8):
            v: int32 = q.get()
            b[i] = v * S
            r.put(v + 100)


@df.region()
def nested(A: int32[8], B: int32[8], C: int32[8], D: int32[8]):
    """Each instance of ``k`` runs its own instance of the template sub-region."""

    @df.kernel(mapping=[2], args=[A, B, C, D])
    def k(a: int32[8], b: int32[8], c: int32[8], d: int32[8]):
        pid = df.get_pid()
        with allo.meta_if(pid == 0):
            echo_pair[2](a, b)
        with allo.meta_else():
            echo_pair[3](c, d)


def nested_ref(A, C):
    return A + 100, 2 * A, C + 100, 3 * C


# ----------------------------------------------------------------------------- deadlock


@df.region()
def forkjoin(X: int32[8], Y: int32[8]):
    """All of ``a`` is written before ``b``, but ``a`` and ``b`` are read in turns: with
    depth 2 the fork blocks on a full ``a`` while the join waits on an empty ``b``."""
    a: Stream[int32, 2]
    b: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[X])
    def split(x: int32[8]):
        for i in range(8):
            a.put(x[i])
        for i in range(8):
            b.put(x[i] + 1)

    @df.kernel(mapping=[1], args=[Y])
    def join(y: int32[8]):
        for i in range(8):
            y[i] = a.get() + b.get()


# ----------------------------------------------------------------------------- array chain
# A function marked dataflow whose two calls pass an array, no stream: stage1 writes T and
# stage2 only reads it, so they run one after the other (and T has a single writer).

def stage1(A: int32[64], T: int32[64]):
    for i in range(64):
        T[i] = A[i] * 2


def stage2(T: int32[64], B: int32[64]):
    for i in range(64):
        B[i] = T[i] + 1


def chain(A: int32[64], B: int32[64]):
    T: int32[64]
    stage1(A, T)
    stage2(T, B)
