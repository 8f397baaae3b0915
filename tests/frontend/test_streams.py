"""Stream locals (language.md §10.2): FIFO order on the CPU, ``hls::stream`` in HLS, csim equal."""

import numpy as np
import pytest

import allo
from allo.ir.types import Stream, int16, int32
from helpers import check_csim


def fifo(X: int32[6, 10]) -> int32[6, 10]:
    q: Stream[int32, 2]
    Y: int32[6, 10]
    for a, b in allo.grid(6, 10):
        q.put(X[a, b] * 3)
    for a, b in allo.grid(6, 10):
        Y[a, b] = q.get() - 1
    return Y


def blocks(X: int16[4, 8]) -> int16[4, 8]:
    q: Stream[int16[8], 2]
    Y: int16[4, 8]
    for r in range(4):
        q.put(X[r])
    for r in range(4):
        blk: int16[8] = q.get()
        Y[r] = blk
    return Y


def lanes(X: int32[2, 5]) -> int32[2, 5]:
    p: Stream[int32, 4][2]
    Y: int32[2, 5]
    for t in range(5):
        p[0].put(X[0, t])
        p[1].put(X[1, t] + 1)
    for t in range(5):
        Y[1, t] = p[0].get()
        Y[0, t] = p[1].get()
    return Y


def test_fifo_order_on_cpu_and_ir():
    s = allo.customize(fifo)
    assert '"stream:2"' in str(s.module)
    X = np.arange(60, dtype=np.int32).reshape(6, 10)
    np.testing.assert_array_equal(s.build()(X), 3 * X - 1)


def test_block_stream_and_stream_array():
    X = np.arange(32, dtype=np.int16).reshape(4, 8)
    np.testing.assert_array_equal(allo.customize(blocks).build()(X), X)
    Z = np.arange(10, dtype=np.int32).reshape(2, 5)
    np.testing.assert_array_equal(allo.customize(lanes).build()(Z), np.stack([Z[1] + 1, Z[0]]))


def test_hls_text():
    code = allo.customize(fifo).build(target="vhls").hls_code
    assert "hls::stream< int32_t > q;" in code
    assert "#pragma HLS stream variable=q depth=2" in code
    assert "q.write(" in code and "q.read()" in code


def test_block_stream_hls_vector():
    code = allo.customize(blocks).build(target="vhls").hls_code
    assert "hls::stream< hls::vector< int16_t, 8 > > q;" in code
    assert "q.write(" in code and "= q.read();" in code


@pytest.mark.csim
def test_csim_matches_cpu(tmp_path):
    X = np.arange(60, dtype=np.int32).reshape(6, 10)
    check_csim(allo.customize(fifo), X, project=str(tmp_path / "fifo.prj"))
    Z = np.arange(10, dtype=np.int32).reshape(2, 5)
    check_csim(allo.customize(lanes), Z, project=str(tmp_path / "lanes.prj"))
    B = np.arange(32, dtype=np.int16).reshape(4, 8) - 9
    check_csim(allo.customize(blocks), B, project=str(tmp_path / "blocks.prj"))


def test_stream_errors():
    def runtime_bound(X: int32[8], n: int32):
        q: Stream[int32, 2]
        for i in range(n):
            q.put(X[i])

    with pytest.raises(allo.AlloTypeError, match="run-time bounds"):
        allo.customize(runtime_bound)

    def initialised(X: int32[8]):
        q: Stream[int32, 2] = 0

    with pytest.raises(allo.AlloSyntaxError, match="cannot have an initialiser"):
        allo.customize(initialised)

    def dynamic_index(X: int32[8], k: int32):
        p: Stream[int32, 2][2]
        p[k].put(X[0])

    with pytest.raises(allo.AlloTypeError, match="compile-time constants"):
        allo.customize(dynamic_index)
