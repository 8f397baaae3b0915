"""unfold: replication, stage labels, callee clones, CPU results, errors."""

import numpy as np
import pytest

import allo
from allo.ir.types import int32

from helpers_schedule import assert_cpu_matches, assert_refused, assert_replay_identical
import loop_kernels as K
from loop_kernels import pe_kernel, pe_grid, copy2  # noqa: F401 - kernels shared with other tests


def pe_grid_ref(A, B, C):
    C[:, :] = (A[:, None] * 10 + B[None, :]).astype(np.int32)


def copy2_ref(A, B):
    p = np.arange(2)[:, None, None]
    q = np.arange(2)[None, :, None]
    B[:] = (A + p + q).astype(np.int32)


def _callees(s):
    return sorted(name for name in s.func_args if name.startswith("pe_kernel"))


@pytest.mark.parametrize("axes, callees, copies", [
    ([0], ["pe_kernel"], 2),
    ([1], ["pe_kernel_0", "pe_kernel_1"], 2),
    ([0, 1], ["pe_kernel_0_0", "pe_kernel_0_1", "pe_kernel_1_0", "pe_kernel_1_1"], 4),
])
def test_unfold_pe_axes(axes, callees, copies):
    s = allo.customize(pe_grid)
    assert s.unfold("PE", axes) == axes
    text = str(s.module)
    assert _callees(s) == callees
    assert sorted(n for n in s._state.function_names() if n.startswith("pe_kernel")) == callees
    assert text.count('to = "C"') == copies
    for name in callees:
        assert f"call @{name}(" in text
    A, B = K.rand_int(2), K.rand_int(2, seed=1)
    assert_cpu_matches(s, pe_grid_ref, A, B, np.zeros((2, 2), np.int32))
    assert_replay_identical(pe_grid, s)


def test_unfold_root_makes_stages_and_clones_are_schedulable():
    s = allo.customize(copy2)
    s.unfold(s.get_loops().PE, [0])  # a stage band is accepted as well as its name
    assert [name for name, _ in s.get_loops()] == ["PE_0", "PE_1"]
    assert str(s.module).count('from = "A"') == 2
    s.unroll("PE_1.r", 3)
    s.pipeline(s.get_loops().PE_0.q)
    assert_cpu_matches(s, copy2_ref, K.rand_int((2, 2, 3)), np.zeros((2, 2, 3), np.int32))


def test_unfold_two_axes_of_three_and_inner_labels():
    s = allo.customize(copy2)
    s.unfold("copy2:PE", [1, 0])  # axes are sorted internally
    names = [name for name, _ in s.get_loops()]
    assert names == ["PE_0_0", "PE_1_0", "PE_0_1", "PE_1_1"]
    assert str(s.module).count('from = "A"') == 4
    assert_cpu_matches(s, copy2_ref, K.rand_int((2, 2, 3)), np.zeros((2, 2, 3), np.int32))


def test_unfold_callee_clone_scheduling():
    s = allo.customize(pe_grid)
    s.unfold("PE", [0, 1])
    s.inline("pe_kernel_1_0")
    assert "inline" in str(s.module).split("func.func @pe_kernel_1_0(")[1].split("{\n")[0]


def test_unfold_errors():
    s = allo.customize(copy2)
    assert_refused(s, allo.ScheduleArgumentError, "axes must be consecutive", "unfold", "PE", [0, 2])
    assert_refused(s, allo.LoopNotFoundError, "stage QQ not found", "unfold", "QQ", [0])
    assert_refused(s, allo.ScheduleArgumentError, "axis out of range", "unfold", "PE", [3])
    assert_refused(s, allo.ScheduleArgumentError, "non-empty list", "unfold", "PE", [])
    s2 = allo.customize(K.strided)
    assert_refused(s2, allo.NotAffineError, "lower bound 0, step 1", "unfold", "S_i_0", [0])


def test_unfold_in_callee_and_transaction_rollback():
    s = allo.customize(K.stages_top)
    assert s.unfold("stages_callee:prod", [0]) == [0]
    names = [name for name, _ in s.get_loops("stages_callee")]
    assert names == ["prod_0", "prod_1", "prod_2", "prod_3", "cons"]
    assert_cpu_matches(s, K.stages_top_ref, K.rand_int((4, 6)))
    s2 = allo.customize(pe_grid)
    before = str(s2.module)
    with pytest.raises(allo.ScheduleError):
        with s2._transaction():
            s2.unfold("PE", [1])
            assert "pe_kernel_1" in s2.func_args
            s2.split("i", 7)
    assert str(s2.module) == before
    assert sorted(s2.func_args) == ["pe_grid", "pe_kernel"]
    assert s2.built.func_args is s2.func_args
