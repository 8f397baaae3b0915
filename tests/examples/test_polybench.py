"""The 30 PolyBench kernels of examples/polybench: each one, unscheduled and with its expert
schedule, built for the CPU at the MINI size and compared with a float64 numpy reference.

Tolerances: float32 results may differ from the float64 reference by ``entry.rtol`` times the
largest reference magnitude (1e-4 for most kernels; 1e-3 for gramschmidt and adi, whose
divisions amplify float32 rounding); integer kernels (floyd-warshall, nussinov) must match bit
for bit. C simulation of the scheduled design is compared with the CPU build bit for bit on a
few kernels by default and on all of them under ``-m slow``.
"""

from __future__ import annotations

import doctest
import os
import sys
import warnings

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import examples.polybench as package  # noqa: E402
from examples.polybench import KERNELS, SIZES, dims  # noqa: E402
from examples.polybench import (blas, common, datamining, linear_algebra, medley,  # noqa: E402
                                registry, sizes, solvers, stencils)
from examples.polybench.common import matches  # noqa: E402
from helpers import check_csim  # noqa: E402

POLYBENCH_4_2 = [
    "correlation", "covariance", "gemm", "gemver", "gesummv", "symm", "syr2k", "syrk", "trmm",
    "2mm", "3mm", "atax", "bicg", "doitgen", "mvt", "deriche", "floyd-warshall", "nussinov",
    "cholesky", "durbin", "gramschmidt", "lu", "ludcmp", "trisolv", "adi", "fdtd-2d",
    "heat-3d", "jacobi-1d", "jacobi-2d", "seidel-2d",
]
CSIM_DEFAULT = ["gemm", "jacobi-1d", "floyd-warshall"]


def test_registry_lists_every_polybench_kernel_once():
    assert sorted(KERNELS) == sorted(POLYBENCH_4_2)
    assert sorted(SIZES) == sorted(POLYBENCH_4_2)
    assert {e.category for e in KERNELS.values()} == {
        "blas", "solvers", "datamining", "medley", "stencils"}


def test_sizes_follow_polybench_presets():
    assert dims("gemm", "MINI") == {"NI": 20, "NJ": 25, "NK": 30}
    assert dims("2mm", "LARGE") == {"NI": 800, "NJ": 900, "NK": 1100, "NL": 1200}
    assert dims("seidel-2d", "small") == {"TSTEPS": 40, "N": 120}
    with pytest.raises(KeyError, match="unknown PolyBench kernel"):
        dims("gemmm")
    with pytest.raises(KeyError, match="unknown preset"):
        dims("gemm", "HUGE")


@pytest.mark.parametrize("scheduled", [False, True], ids=["plain", "expert"])
@pytest.mark.parametrize("name", POLYBENCH_4_2)
def test_kernel_matches_numpy(name, scheduled):
    entry = KERNELS[name]
    s = entry.customize("MINI", scheduled=scheduled)
    got = entry.run(s.build(), entry.arguments("MINI"))
    why = matches(entry, got, entry.expected("MINI"))
    assert why is None, why
    if scheduled:  # every expert schedule pipelines at least one loop at II=1
        assert "pipeline" in {p[0] for p in s.primitive_sequences}
        assert "pipeline_ii = 1" in str(s.module)


def test_composed_products_keep_separate_instances():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # E and F have one writer each: no dataflow warning
        s = KERNELS["3mm"].customize("MINI")
    hls = s.build(target="vhls")
    code = str(hls)
    for instance in ("mm_e", "mm_f", "mm_g"):
        assert f"void {instance}(" in code
    assert "#pragma HLS dataflow" in code


def test_schedule_is_bit_exact_with_plain_build():
    # Every primitive preserves results exactly, so the expert design equals the plain one.
    for name in ("gemm", "mvt", "correlation", "trisolv"):
        entry = KERNELS[name]
        args = entry.arguments("MINI")
        plain = entry.run(entry.customize("MINI", scheduled=False).build(), args)
        expert = entry.run(entry.customize("MINI", scheduled=True).build(), args)
        for p, e in zip(plain, expert):
            np.testing.assert_array_equal(p, e)


@pytest.mark.parametrize("module", [package, blas, common, datamining, linear_algebra, medley, registry,
                                    sizes, solvers, stencils])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def _csim(name):
    entry = KERNELS[name]
    s = entry.customize("MINI", scheduled=True)
    outs = check_csim(s, *entry.arguments("MINI"))
    assert outs == []  # PolyBench kernels write their arguments, they return nothing


@pytest.mark.csim
@pytest.mark.parametrize("name", CSIM_DEFAULT)
def test_csim_equals_cpu_build(name):
    _csim(name)


@pytest.mark.csim
@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in POLYBENCH_4_2 if n not in CSIM_DEFAULT])
def test_csim_equals_cpu_build_all(name):
    _csim(name)
