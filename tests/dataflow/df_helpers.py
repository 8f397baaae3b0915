"""Running a dataflow design on the simulator and in C simulation, and comparing them.

``simulate(region, *arrays)`` runs ``df.build(region, target="simulator")`` on copies of the
arrays and returns the copies (every region array is in/out). ``check_design(region,
arrays, references, project)`` asserts the simulator's arrays equal ``references`` (a dict
``position -> expected``; exact, or ``allclose`` for floats when ``rtol`` is given), then
runs the C simulation (``df.build``'s default target ``vitis_hls``, ``mode="csim"``) and
asserts it produced the simulator's bits exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

import allo.dataflow as df
from allo.backend.hls import is_available
from helpers import assert_bit_identical


def simulate(region_or_module, *arrays) -> list:
    """Copies of ``arrays`` after one simulator run."""
    mod = region_or_module if hasattr(region_or_module, "network") else \
        df.build(region_or_module, target="simulator")
    copies = [a.copy() for a in arrays]
    mod(*copies)
    return copies


def csimulate(region, *arrays, project: str) -> list:
    """Copies of ``arrays`` after one C simulation of ``region`` (skips without g++/hls4ml)."""
    if not is_available("csim"):
        pytest.skip("C simulation needs g++ and the hls4ml headers")
    mod = df.build(region, target="vitis_hls", mode="csim", project=project)
    copies = [a.copy() for a in arrays]
    mod(*copies)
    return copies


def check_design(region, arrays: list, references: dict, project: str | None,
                 rtol: float | None = None) -> list:
    """Simulator vs ``references``, then C simulation vs simulator (bit for bit)."""
    sim = simulate(region, *arrays)
    for pos, expected in references.items():
        if rtol is None:
            np.testing.assert_array_equal(sim[pos], expected, err_msg=f"array {pos}")
        else:
            np.testing.assert_allclose(sim[pos], expected, rtol=rtol, atol=rtol,
                                       err_msg=f"array {pos}")
    if project is not None:
        csim = csimulate(region, *arrays, project=project)
        for pos, (c, s) in enumerate(zip(csim, sim)):
            assert_bit_identical(c, s, f"array {pos} (csim vs simulator)")
    return sim
