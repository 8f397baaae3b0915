"""``s.build(target=...)`` dispatches through the target table the backends fill."""

import numpy as np
import pytest

import allo
from allo.ir.types import int32
from allo.schedule.targets import BUILDERS, register_target


def add1(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        B[i] = A[i] + 1
    return B


def test_every_backend_target_is_registered_on_import():
    for name in ("llvm", "vhls", "vivado_hls", "vitis_hls", "pynq", "tapa", "ihls", "catapult"):
        assert name in BUILDERS


def test_default_target_is_the_cpu():
    mod = allo.customize(add1).build()
    assert isinstance(mod, allo.LLVMModule)
    np.testing.assert_array_equal(mod(np.arange(4, dtype=np.int32)), np.arange(1, 5))


def test_a_registered_target_receives_the_schedule_and_options():
    calls = []

    def build(schedule, target, **options):
        calls.append((schedule, target, options))
        return "built"

    register_target(["test-target"], build)
    try:
        s = allo.customize(add1)
        assert s.build(target="test-target", project="p") == "built"
    finally:
        del BUILDERS["test-target"]
    (schedule, target, options), = calls
    assert schedule is s and target == "test-target" and options["project"] == "p"


def test_unknown_target_is_a_build_error():
    with pytest.raises(allo.BuildError, match="Target nowhere is not supported"):
        allo.customize(add1).build(target="nowhere")
