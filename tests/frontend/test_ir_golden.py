"""Printed MLIR of representative kernels compared with golden files (``--update-golden``).

The IR text is a contract (language.md §11, schedule.md §10): a change here must be deliberate.
"""

import os

import pytest

import allo

import golden_ir_kernels as K

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")


@pytest.mark.parametrize("kernel", [K.scale_add, K.twopass, K.fixed_mac, K.bits, K.calls],
                         ids=lambda k: k.__name__)
def test_printed_ir(kernel, update_golden):
    text = str(allo.customize(kernel).module)
    path = os.path.join(GOLDEN, f"{kernel.__name__}.mlir")
    if update_golden:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return
    if not os.path.exists(path):
        pytest.fail(f"golden file {path} missing; run pytest with --update-golden")
    with open(path, encoding="utf-8") as f:
        assert text == f.read(), f"printed IR differs from {path} (review, then --update-golden)"
