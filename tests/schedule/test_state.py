"""The schedule state behind the façade, declared argument processors, IR verification and
the precondition error classes (docs/schedule_internals.md)."""

import numpy as np
import pytest

import allo
from allo._mlir import ir
from allo.ir.types import int32
from allo.schedule import Schedule
from allo.schedule.args import LoopRef
from allo.schedule.processors import Choice, Loop, PositiveInt
from allo.schedule.registry import PRIMITIVES, primitive
from allo.schedule.state import ScheduleState

from helpers_schedule import assert_cpu_matches, assert_refused, assert_replay_identical
from loop_kernels import imperfect, pe_grid
import compose_kernels as K
import memory_kernels as M

P = allo.Partition


@pytest.fixture
def temporary_primitives():
    """Register primitives for one test and remove them (and their methods) afterwards."""
    before = dict(PRIMITIVES)
    yield
    for name in set(PRIMITIVES) - set(before):
        del PRIMITIVES[name]
        if name in Schedule.__dict__:
            delattr(Schedule, name)


# --------------------------------------------------------------------------- the façade


def test_primitives_keep_everything_in_the_state_not_in_the_schedule():
    sa = allo.customize(K.axpy)
    sa.split("t", 4)
    sa.partition(sa.Z, P.Cyclic, dim=1, factor=2)
    s = allo.customize(K.chain)
    s.compose(sa)
    s.pipeline("axpy:t.inner")
    assert set(vars(s)) == {"_state"} and set(vars(sa)) == {"_state"}
    state = s._state
    assert isinstance(state, ScheduleState)
    assert s.module is state.module and s.context is state.context
    assert s.func_args is state.func_args is s.built.func_args
    assert s.primitive_sequences is state.primitive_sequences
    assert s.partitioned_arrays is state.partitioned_arrays
    assert s.partitioned_arrays["axpy:Z"] == [(P.Cyclic, 1, 2)]
    assert [name for name, _, _ in s.primitive_sequences] == ["split", "partition", "pipeline"]
    assert s.top_func.operation == state.func_op("chain").operation
    assert state.function_names() == ["axpy", "chain"]
    assert state.composed and not state.replaying
    U, V = K.rand_int((12,)), K.rand_int((12,), seed=3)
    assert_cpu_matches(s, K.chain_ref, U, V)


def test_unfold_updates_function_arguments_through_the_state():
    s = allo.customize(pe_grid)
    s.unfold("PE", [1])
    assert sorted(s.func_args) == ["pe_grid", "pe_kernel_0", "pe_kernel_1"]
    assert s.func_args["pe_kernel_0"] == s.func_args["pe_kernel_1"]
    assert sorted(s._state.function_names()) == sorted(s.func_args)
    assert set(vars(s)) == {"_state"}
    assert_replay_identical(pe_grid, s)


def test_transaction_restores_the_records_in_place():
    s = allo.customize(M.affine2)
    s.partition(s.X, P.Block, dim=1, factor=2)
    state = s._state
    records = (state.partitioned_arrays, state.layout_sources, state.func_args,
               state.primitive_sequences)
    saved = ({k: list(v) for k, v in state.partitioned_arrays.items()},
             dict(state.layout_sources), len(state.primitive_sequences), str(s.module))
    with pytest.raises(allo.ScheduleError, match="dimension 1 twice"):
        with state.transaction():
            s.reshape(s.Y, (8, 9))
            s.partition(s.Y, P.Cyclic, dim=2, factor=3)
            assert len(state.partitioned_arrays) == 2 and len(state.primitive_sequences) == 3
            s.partition(s.X, P.Cyclic, dim=1, factor=2)  # refused: rolls everything back
    assert (state.partitioned_arrays, state.layout_sources, state.func_args,
            state.primitive_sequences) == records
    assert all(a is b for a, b in zip(records, (state.partitioned_arrays, state.layout_sources,
                                                 state.func_args, state.primitive_sequences)))
    assert ({k: list(v) for k, v in state.partitioned_arrays.items()},
            dict(state.layout_sources), len(state.primitive_sequences), str(s.module)) == saved


# --------------------------------------------------------------------------- processors


def test_every_parameter_must_declare_a_processor(temporary_primitives):
    def undeclared(state, axis, factor):
        """Never registered."""

    with pytest.raises(TypeError, match=r"undeclared: \['factor'\]"):
        primitive("undeclared_example", args=dict(axis=Loop))(undeclared)
    with pytest.raises(TypeError, match=r"unknown: \['depth'\]"):
        primitive("undeclared_example", args=dict(axis=Loop, factor=PositiveInt,
                                                  depth=PositiveInt))(undeclared)
    assert "undeclared_example" not in PRIMITIVES


def test_arguments_are_resolved_once_before_the_primitive_runs(temporary_primitives):
    seen = []

    @primitive("probe_example", local=True, args=dict(axis=Loop, factor=PositiveInt))
    def probe_example(state, axis, factor=1):
        """Record what the primitive receives."""
        seen.append((axis, factor))

    s = allo.customize(K.axpy)
    s._apply("probe_example", ["t"], {"factor": np.int64(3)})
    (ref, factor), = seen
    assert isinstance(ref, LoopRef) and ref.label == "S_t_0.t" and ref.func == "axpy"
    assert type(factor) is int and factor == 3
    assert s.primitive_sequences == [("probe_example", ["t"], {"factor": np.int64(3)})]
    for bad, fragment in ((0, "factor must be >= 1, got 0 (function axpy, loop S_t_0.t)"),
                          (1.5, "factor must be an integer, got float 1.5")):
        with pytest.raises(allo.ScheduleArgumentError, match=fragment.replace("(", r"\(")
                           .replace(")", r"\)")):
            s._apply("probe_example", ["t", bad])
    with pytest.raises(allo.LoopNotFoundError, match="loop nope not found"):
        s._apply("probe_example", ["nope"])
    assert len(seen) == 1 and len(s.primitive_sequences) == 1  # refused before running


def test_compose_renames_arguments_by_declared_kind_not_by_name(temporary_primitives):
    # The loop parameter has a name no primitive used before; the value parameter is called
    # ``target`` and holds a string with a colon: only the declared kinds decide.
    @primitive("label_example", local=True,
               args=dict(where=Loop, target=Choice("cpu:x86", "fpga:u280")))
    def label_example(state, where, target):
        """Label a loop with a device name (a discardable attribute)."""
        where.op.attributes["device"] = ir.StringAttr.get(target)

    sa = allo.customize(K.axpy)
    sa._apply("label_example", ["t", "fpga:u280"])
    s = allo.customize(K.chain)
    s.compose(sa)
    assert s.primitive_sequences == [("label_example", ["axpy:t", "fpga:u280"], {})]
    assert 'device = "fpga:u280", loop_name = "t"' in str(s.module)
    assert_cpu_matches(s, K.chain_ref, K.rand_int((12,)), K.rand_int((12,), seed=5))


def test_compose_spells_out_a_default_that_means_the_top_function():
    sub = allo.customize(K.axpy)
    sub.inline()  # the sub's top, axpy
    s = allo.customize(K.chain)
    s.compose(sub)
    assert s.primitive_sequences == [("inline", ["axpy"], {})]
    assert "inline" in s._state.func_op("axpy").attributes
    assert "inline" not in s.top_func.attributes
    assert_cpu_matches(s, K.chain_ref, K.rand_int((12,)), K.rand_int((12,), seed=2))


# --------------------------------------------------------------------------- IR verification


@pytest.fixture
def store_index_primitive(temporary_primitives):
    """A broken primitive: it stores the loop's index value into an int32 buffer."""

    @primitive("store_index_example", args=dict(axis=Loop))
    def store_index_example(state, axis):
        """Make the first store of the loop body store the induction variable."""
        def first_store(op):
            if op.name == "affine.store":
                op.operands[0] = axis.node.iv
                return ir.WalkResult.INTERRUPT
            return ir.WalkResult.ADVANCE

        axis.op.operation.walk(first_store)


def test_invalid_ir_after_a_primitive_is_an_internal_error(store_index_primitive, monkeypatch):
    monkeypatch.setenv("ALLO_VERIFY_IR", "1")
    s = allo.customize(K.axpy)
    s.split("t", 4)
    with pytest.raises(allo.InternalError) as info:
        s._apply("store_index_example", ["t.inner"])
    text = str(info.value)
    assert "internal error: primitive store_index_example produced invalid IR" in text
    assert "value to store must have the same type as memref element type" in text
    assert not isinstance(info.value, allo.ScheduleError)
    assert [name for name, _, _ in s.primitive_sequences] == ["split"]


def test_ir_verification_is_off_without_the_flag(store_index_primitive, monkeypatch):
    monkeypatch.setenv("ALLO_VERIFY_IR", "0")
    s = allo.customize(K.axpy)
    s._apply("store_index_example", ["t"])
    assert [name for name, _, _ in s.primitive_sequences] == ["store_index_example"]
    with pytest.raises(ir.MLIRError, match="value to store"):
        s.module.operation.verify()


# --------------------------------------------------------------------------- error classes


@pytest.mark.parametrize("name", ["ScheduleArgumentError", "DependenceError",
                                  "ImperfectNestError", "NotAffineError"])
def test_precondition_errors_are_exported_schedule_errors(name):
    cls = getattr(allo, name)
    assert cls is getattr(allo.errors, name) and issubclass(cls, allo.ScheduleError)
    assert issubclass(cls, ValueError)  # a ScheduleError is one (schedule.md §0.1)
    assert not issubclass(allo.InternalError, allo.ScheduleError)
    assert issubclass(allo.InternalError, allo.AlloError)


def producer_imperfect(A: int32[4, 6]) -> int32[4, 6]:
    B: int32[4, 6] = 0
    C: int32[4, 6] = 0
    for i in range(4, name="prod"):
        B[i, 0] = 1
        for j in range(6):
            B[i, j] += A[i, j]
    for p, q in allo.grid(4, 6, name="cons"):
        C[p, q] = B[p, q] * 2
    return C


def scalar_before(A: int32[4, 6], B: int32[4, 6]):
    for i in range(4, name="blk"):
        x: int32 = A[i, 0]
        for j in range(6):
            B[i, j] = A[i, j] + x


def offset(A: int32[8]) -> int32[8]:
    B: int32[8] = 0
    for i in range(1, 8):
        B[i] = A[i] + 1
    return B


def test_precondition_errors_at_their_raise_sites():
    s = allo.customize(imperfect)  # stage blk: i holds j and k side by side
    assert_refused(s, allo.ImperfectNestError, "loops j, k are not nested in one another",
                   "reorder", "j", "k")
    assert_refused(s, allo.ImperfectNestError, "loop k is not directly nested in j",
                   "unfold", "blk", [1, 2])
    assert_refused(allo.customize(producer_imperfect), allo.ImperfectNestError,
                   "the producer nest is not perfect above loop j", "compute_at", "j", "q")
    assert_refused(allo.customize(scalar_before), allo.ImperfectNestError,
                   "cannot distribute loop i around its statements", "reorder", "j", "i")
    assert_refused(allo.customize(offset), allo.NotAffineError,
                   "the loop needs lower bound 0, step 1", "unfold", "S_i_0", [0])
    assert_refused(allo.customize(K.axpy), allo.ScheduleArgumentError,
                   "requested tiling factor 12 larger than the upper bound", "split", "t", 12)
