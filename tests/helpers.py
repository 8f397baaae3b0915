"""Shared test helper: C simulation of the emitted HLS C++ must equal the CPU build bit for bit.

Use it in any test that has a schedule (before or after primitives)::

    from helpers import check_csim
    s = allo.customize(kernel)
    s.split("i", 4)
    outs = check_csim(s, A, B)          # runs CPU and csim, asserts bit-identical results

``check_csim(schedule, *np_args, target="vhls", wrap_io=True, project=None)``:

* builds ``schedule.build()`` (CPU) and ``schedule.build(target, mode="csim")`` (g++ C
  simulation; skips the test when g++ or the ``hls4ml`` headers are missing);
* calls the CPU module on copies of ``np_args`` and the csim module on other copies followed
  by one zero-filled output array per kernel result (shape and dtype taken from the CPU
  results);
* asserts that every result and the final contents of every argument array are identical
  bit for bit (floats compared on their bytes, so ``-0.0 != 0.0`` and NaNs must match);
* returns the list of CPU results (arrays; scalar results as 0-d arrays), so the caller can
  also compare against a numpy reference.

Mark tests that use it ``@pytest.mark.csim``.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from allo.backend.hls import is_available


def _copy(arg):
    return arg.copy() if isinstance(arg, np.ndarray) else arg


def _as_results(value) -> list:
    if value is None:
        return []
    if isinstance(value, list):
        return [np.asarray(v) for v in value]
    return [np.asarray(value)]


def assert_bit_identical(actual: np.ndarray, expected: np.ndarray, what: str) -> None:
    """Equal shapes/dtypes and identical bytes (floats included)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape or actual.size == expected.size, \
        f"{what}: shape {actual.shape} != {expected.shape}"
    a = np.ascontiguousarray(actual.astype(expected.dtype, copy=False)).reshape(-1)
    e = np.ascontiguousarray(expected).reshape(-1)
    if a.tobytes() != e.tobytes():
        diff = [i for i in range(a.size) if a[i:i + 1].tobytes() != e[i:i + 1].tobytes()]
        first = diff[0]
        raise AssertionError(f"{what}: {len(diff)} of {a.size} elements differ; first at flat "
                             f"index {first}: csim {a[first]!r} vs cpu {e[first]!r}")


def check_csim(schedule, *np_args, target: str = "vhls", wrap_io: bool = True, project=None):
    """Run the CPU build and the C simulation of ``schedule``; assert identical bits."""
    if not is_available("csim"):
        pytest.skip("C simulation needs g++ and the hls4ml headers")
    cpu_args = [_copy(a) for a in np_args]
    cpu_results = _as_results(schedule.build()(*cpu_args))
    csim = schedule.build(target=target, mode="csim", project=project, wrap_io=wrap_io)
    sim_args = [_copy(a) for a in np_args]
    outputs = [np.zeros(r.shape if r.shape else (1,), dtype=r.dtype) for r in cpu_results]
    csim(*sim_args, *outputs)
    for k, (out, ref) in enumerate(zip(outputs, cpu_results)):
        assert_bit_identical(out.reshape(ref.shape) if ref.shape else out.reshape(()), ref,
                             f"result {k}")
    for k, (sim_arg, cpu_arg) in enumerate(zip(sim_args, cpu_args)):
        if isinstance(cpu_arg, np.ndarray):
            assert_bit_identical(sim_arg, cpu_arg, f"argument {k} after the call")
    return cpu_results


def assert_located(info, test_file: str) -> None:
    """The error caught in ``info`` (``pytest.raises``) names the test's file and the line of
    the call that raised it: the user's own frame, not the library's."""
    message = str(info.value)
    assert os.path.basename(test_file) in message, message
    assert f"Line: {info.tb.tb_lineno}" in message, message
