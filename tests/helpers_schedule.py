"""Shared checks for schedule tests: replay, refusal without change, CPU equivalence.

* :func:`assert_replay_identical` — replaying ``s.primitive_sequences`` (through
  ``Schedule._replay``, the path composition uses) on a fresh ``allo.customize`` of the same
  kernel gives byte-identical IR.
* :func:`assert_refused` — a primitive call raises the given class with a message fragment,
  names the caller's file and line, and leaves ``str(s.module)`` and the trace unchanged.
* :func:`assert_cpu_matches` — the CPU build returns exactly the numpy reference
  (integers bit-exact; floats compared bit-exactly too unless ``rtol`` is given).
"""

from __future__ import annotations

import inspect
import os

import numpy as np
import pytest

import allo


def replay(fn_under_test, s, **customize_kwargs):
    """A fresh schedule of ``fn_under_test`` with ``s``'s trace replayed onto it.

    (The parameter name is deliberately unusual: the frontend resolves kernel names through
    the calling frames, so a local called e.g. ``kernel`` would shadow a callee.)
    """
    fresh = allo.customize(fn_under_test, **customize_kwargs)
    for name, args, kwargs in s.primitive_sequences:
        fresh._replay(name, args, kwargs)
    return fresh


def assert_replay_identical(fn_under_test, s, **customize_kwargs):
    """Replay ``s``'s trace on a fresh customization of ``fn_under_test``; IR must be identical."""
    fresh = replay(fn_under_test, s, **customize_kwargs)
    assert str(fresh.module) == str(s.module)
    assert fresh.primitive_sequences == s.primitive_sequences
    return fresh


def assert_refused(s, exc_type, fragment: str, primitive: str, *args, **kwargs):
    """``getattr(s, primitive)(*args, **kwargs)`` must raise and change nothing."""
    before = str(s.module)
    before_debug = s.module.operation.get_asm(enable_debug_info=True)
    trace = list(s.primitive_sequences)
    caller = inspect.stack()[1]
    with pytest.raises(exc_type) as info:
        getattr(s, primitive)(*args, **kwargs)
    message = str(info.value)
    assert fragment in message, message
    # The message points at the user's primitive call: this helper's caller frame is the
    # innermost frame outside the allo package, so its file must be named.
    assert os.path.basename(__file__) in message or os.path.basename(caller.filename) in message
    assert str(s.module) == before
    assert s.module.operation.get_asm(enable_debug_info=True) == before_debug
    assert s.primitive_sequences == trace
    return info.value


def assert_cpu_matches(s, reference, *inputs, rtol=None):
    """Build ``s`` for the CPU, run it on copies of ``inputs`` and compare with ``reference``.

    ``reference(*inputs)`` returns the expected result (or ``None``); array arguments are
    compared after the call too (kernels may write their parameters).
    """
    mod = s.build()
    ours = [np.array(x, copy=True) if isinstance(x, np.ndarray) else x for x in inputs]
    theirs = [np.array(x, copy=True) if isinstance(x, np.ndarray) else x for x in inputs]
    got = mod(*ours)
    expected = reference(*theirs)
    _compare(got, expected, rtol)
    for a, b in zip(ours, theirs):
        if isinstance(a, np.ndarray):
            _compare(a, b, rtol)
    return got


def _compare(got, expected, rtol):
    if expected is None:
        return
    got = np.asarray(got)
    expected = np.asarray(expected)
    assert got.shape == expected.shape
    if rtol is None:
        np.testing.assert_array_equal(got, expected.astype(got.dtype))
    else:
        np.testing.assert_allclose(got, expected, rtol=rtol)
