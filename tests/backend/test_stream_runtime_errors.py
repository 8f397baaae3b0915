"""FIFO misuse at run time is an error in every build (CPU and C simulation alike):
a read from an empty stream, or elements left in a stream when its function ends, raise
``allo.StreamError`` naming the stream by its source name and the kernel."""

import numpy as np
import pytest

import allo
from allo.ir.types import Stream, int32

from helpers import check_csim


def early_get(A: int32[4]) -> int32[4]:
    q: Stream[int32, 4]
    B: int32[4]
    for i in range(4):
        B[i] = q.get()  # EMPTY
    for i in range(4):
        q.put(A[i])
    return B


def leftover(A: int32[4]) -> int32[4]:
    q: Stream[int32, 4]  # DECL
    B: int32[4] = 0
    for i in range(4):
        q.put(A[i])
    for i in range(3):
        B[i] = q.get()
    return B


def lanes(A: int32[4]) -> int32[4]:
    q: Stream[int32, 2][2]
    B: int32[4]
    for i in range(2):
        q[0].put(A[i])
    for i in range(2):
        B[i] = q[0].get()
    B[2] = q[1].get()
    B[3] = 0
    return B


def fine(A: int32[4]) -> int32[4]:
    q: Stream[int32, 4]
    B: int32[4]
    for i in range(4):
        q.put(A[i] * 2)
    for i in range(4):
        B[i] = q.get() + 1
    return B


def line_of(fn, marker: str) -> int:
    import inspect
    lines, start = inspect.getsourcelines(fn)
    return start + next(k for k, text in enumerate(lines) if marker in text)


A = np.arange(4, dtype=np.int32)


def csim_of(kernel, tmp_path):
    from allo.backend.hls import is_available
    if not is_available("csim"):
        pytest.skip("C simulation needs g++ and the hls4ml headers")
    return allo.customize(kernel).build(target="vhls", mode="csim",
                                        project=str(tmp_path / kernel.__name__))


@pytest.mark.filterwarnings("ignore:q .in early_get. is read before")
def test_cpu_empty_read():
    mod = allo.customize(early_get).build()
    with pytest.raises(allo.StreamError) as info:
        mod(A)
    err = info.value
    assert (err.stream, err.kernel, err.lineno) == ("q", "early_get", line_of(early_get, "# EMPTY"))
    assert "read from the empty stream 'q' in kernel early_get" in str(err)
    assert isinstance(err, allo.SimulationError)


def test_cpu_leftover_data():
    mod = allo.customize(leftover).build()
    with pytest.raises(allo.StreamError, match=r"stream 'q' of kernel leftover still holds 1 "
                                               r"element\(s\) at the end of leftover"):
        mod(A)


@pytest.mark.filterwarnings("ignore:q_1 .in lanes. is read before")
def test_cpu_array_of_streams_names_the_element():
    mod = allo.customize(lanes).build()
    with pytest.raises(allo.StreamError, match="empty stream 'q_1' in kernel lanes"):
        mod(A)


@pytest.mark.csim
@pytest.mark.filterwarnings("ignore:q .in early_get. is read before")
def test_csim_empty_read(tmp_path):
    mod = csim_of(early_get, tmp_path)
    with pytest.raises(allo.StreamError) as info:
        mod(A, np.zeros(4, np.int32))
    assert (info.value.stream, info.value.kernel) == ("q", "early_get")
    assert "<unnamed>" not in str(info.value)


@pytest.mark.csim
def test_csim_leftover_data(tmp_path):
    mod = csim_of(leftover, tmp_path)
    with pytest.raises(allo.StreamError, match="stream 'q' of kernel leftover still holds 1"):
        mod(A, np.zeros(4, np.int32))


@pytest.mark.csim
@pytest.mark.filterwarnings("ignore:q_1 .in lanes. is read before")
def test_csim_array_of_streams_names_the_element(tmp_path):
    mod = csim_of(lanes, tmp_path)
    with pytest.raises(allo.StreamError, match="empty stream 'q_1' in kernel lanes"):
        mod(A, np.zeros(4, np.int32))


@pytest.mark.csim
def test_correct_stream_still_matches(tmp_path):
    s = allo.customize(fine)
    np.testing.assert_array_equal(s.build()(A), A * 2 + 1)
    check_csim(s, A, project=str(tmp_path / "p"))
