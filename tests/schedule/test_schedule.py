"""The Schedule object: attributes, buffer handles, get_loops, addressing, trace, build."""

import numpy as np
import pytest

import allo
from allo.ir.transform import find_loop_in_bands
from allo.ir.types import int32
from allo.ir.utils import LoopBand, LoopHandle, MockBuffer
from allo.schedule.args import (function_of_arg, rename_function_in_arg, resolve_buffer,
                                  resolve_loop)

from helpers_schedule import assert_cpu_matches, assert_refused, assert_replay_identical


def twopass(X: int32[6, 12]) -> int32[6]:
    out: int32[6] = 0
    for r, q in allo.grid(6, 12):
        out[r] += X[r, q]
    for t in range(6):
        for u in allo.reduction(3):
            out[t] += X[t, u]
    for z in range(6):
        out[z] *= 2
    return out


def helper(V: int32[6]) -> int32[6]:
    W: int32[6] = 0
    for t in range(6):
        W[t] = V[t] + 1
    return W


def caller(split: int32[6], n: int32) -> int32[6]:
    T = helper(split)
    for i in range(6):
        if i < n:
            for k in range(2, name="inner_if"):
                T[i] += k
    for j in range(n, name="dyn"):
        T[j] += 1
    return T


def caller_ref(split, n):
    T = split + 1
    T[:max(0, min(n, 6))] += 1  # k = 0 + 1
    T[:max(0, min(n, 6))] += 1
    return T.astype(np.int32)


def test_attributes_and_buffer_handles():
    s = allo.customize(twopass)
    assert s.top_func_name == "twopass"
    assert s.func_args == {"twopass": ["X"]}
    assert s.X == MockBuffer("twopass", "X") and s.out == MockBuffer("twopass", "out")
    assert s.X.func == "twopass" and s.X.name == "X"
    assert "out" in dir(s)
    with pytest.raises(AttributeError):
        s.nothing_here
    assert getattr(s, "nothing_here", None) is None
    top_before = s.top_func
    s.split("q", 4)
    assert s.top_func is not None and "q.outer" in str(s.top_func)
    assert top_before.attributes["sym_name"].value == "twopass"


def test_method_wins_over_buffer_name():
    s = allo.customize(caller)  # parameter named "split"
    assert callable(s.split)
    ref = resolve_buffer(s._state, "caller:split", "test")
    assert ref.is_param and ref.arg_index == 0 and ref.rank == 1
    assert resolve_buffer(s._state, MockBuffer("helper", "W"), "test").owner is not None
    assert resolve_buffer(s._state, "T", "test").name == "T"  # call result named by the frontend
    with pytest.raises(allo.BufferNotFoundError, match="buffer Q not found"):
        resolve_buffer(s._state, "caller:Q", "test")
    with pytest.raises(allo.ScheduleArgumentError, match="is a scalar"):
        resolve_buffer(s._state, "caller:n", "test", require_array=True)


def test_get_loops_snapshot_api():
    s = allo.customize(twopass)
    loops = s.get_loops()
    assert isinstance(loops, LoopBand)
    assert [name for name, _ in loops] == ["S_r_q_0", "S_t_1", "S_z_3"]
    assert list(loops.S_r_q_0.loops) == ["r", "q"]
    h = loops["S_t_1"]["u"]
    assert isinstance(h, LoopHandle) and h.name == "twopass:S_t_1.u"
    assert h.func == "twopass" and h.band == "S_t_1" and h.loop is not None
    assert "S_z_3" in repr(loops) and "r, q" in repr(loops.S_r_q_0)
    with pytest.raises(allo.LoopNotFoundError) as info:
        loops.S_nope
    assert isinstance(info.value, AttributeError)
    assert getattr(loops.S_t_1, "zz", None) is None
    with pytest.raises(allo.LoopNotFoundError, match="function nope not found"):
        s.get_loops("nope")
    # snapshot: it does not change when the schedule does
    s.split("q", 4)
    assert list(loops.S_r_q_0.loops) == ["r", "q"]
    assert list(s.get_loops().S_r_q_0.loops) == ["r", "q.outer", "q.inner"]


def test_get_loops_runtime_bounds_if_bodies_and_callees():
    s = allo.customize(caller)
    loops = s.get_loops()
    assert "inner_if" not in [n for n, _ in loops]  # a nested name= is not a stage
    assert list(loops["S_i_0"].loops) == ["i", "k"]
    assert list(loops["dyn"].loops) == ["j"]
    assert list(s.get_loops("helper").S_t_0.loops) == ["t"]
    s.unroll(loops["dyn"]["j"], 2)
    s.pipeline(loops["S_i_0"]["k"])
    s.split("helper:t", 4)
    assert_cpu_matches(s, caller_ref, np.arange(6, dtype=np.int32), 4)


def test_loop_string_forms_and_ambiguity():
    s = allo.customize(caller)
    assert resolve_loop(s._state, "helper:t", "t").func == "helper"
    assert resolve_loop(s._state, "dyn.j", "t").name == "j"
    assert resolve_loop(s._state, "caller:S_i_0.k", "t").label == "S_i_0.k"
    assert resolve_loop(s._state, s.get_loops().dyn, "t").name == "j"  # a stage = its outer loop
    s2 = allo.customize(twopass)
    s2.split("q", 4)
    assert resolve_loop(s2._state, "q.outer", "t").name == "q.outer"  # "q" is no stage: loop name
    s3 = allo.customize(ambiguous)
    err = assert_refused(s3, allo.LoopNotFoundError, "ambiguous", "unroll", "j")
    assert "S_i_0.j" in str(err) and "S_k_2.j" in str(err) and "handle" in str(err)
    s3.unroll("S_k_2.j")
    s3.unroll(s3.get_loops().S_i_0.j, 2)
    assert str(s3.module).count("unroll =") == 2


def ambiguous(A: int32[4, 4]):
    for i in range(4):
        for j in range(4):
            A[i, j] += 1
    for k in range(4):
        for j in range(4):
            A[k, j] *= 2


def test_handles_resolved_by_name_after_rewrites():
    s = allo.customize(twopass)
    h = s.get_loops().S_r_q_0.q
    s.reorder("q", "r")  # stage name moves to q; handle still resolves
    s.split(h, 3)
    assert list(s.get_loops().S_r_q_0.loops) == ["q.outer", "q.inner", "r"]


def test_trace_replay_and_build_does_not_mutate():
    s = allo.customize(twopass)
    s.split("q", 5)
    s.reorder("q.outer", "r")
    s.pipeline("u", initiation_interval=2)
    s.unroll(s.get_loops().S_z_3.z, factor=3)
    assert s.primitive_sequences[0] == ("split", ["q", 5], {})
    assert s.primitive_sequences[2] == ("pipeline", ["u"], {"initiation_interval": 2})
    assert s.primitive_sequences[3][2] == {"factor": 3}
    before = str(s.module)
    X = np.arange(72, dtype=np.int32).reshape(6, 12)
    mod = s.build()
    assert str(s.module) == before  # G7
    s.split("t", 4)  # primitives may follow a build
    ref = lambda X: ((X.sum(1) + X[:, :3].sum(1)) * 2).astype(np.int32)  # noqa: E731
    np.testing.assert_array_equal(mod(X), ref(X))
    assert_cpu_matches(s, ref, X)
    assert_replay_identical(twopass, s)


def test_transaction_restores_module_and_trace():
    s = allo.customize(twopass)
    s.split("q", 4)
    before = s.module.operation.get_asm(enable_debug_info=True)
    with pytest.raises(allo.ScheduleError):
        with s._transaction():
            s.fuse("r", "q.outer")
            s.split("u", 99)
    assert s.module.operation.get_asm(enable_debug_info=True) == before
    assert len(s.primitive_sequences) == 1
    s.unroll("q.inner")  # the schedule still works after a restore
    assert list(s.get_loops().S_r_q_0.loops) == ["r", "q.outer", "q.inner"]


def test_error_names_call_site():
    s = allo.customize(twopass)
    with pytest.raises(allo.ScheduleError) as info:
        s.split("q", 100)  # the message must point at this line
    text = str(info.value)
    assert 'test_schedule.py", Line:' in text and 's.split("q", 100)' in text
    assert "function twopass" in text and "S_r_q_0.q" in text


def test_unknown_primitive_and_independent_schedules():
    s = allo.customize(twopass)
    with pytest.raises(allo.ScheduleError, match="unknown primitive"):
        s._replay("no_such", [], {})
    s2 = allo.customize(twopass)
    s.split("q", 4)
    assert "q.outer" not in str(s2.module)


def test_find_loop_in_bands_and_arg_renaming():
    s = allo.customize(twopass)
    assert find_loop_in_bands(s.top_func, "u") == ("S_t_1", "u")
    with pytest.raises(allo.LoopNotFoundError):
        find_loop_in_bands(s.top_func, "nope")
    assert function_of_arg("i", "top") == "top"
    assert function_of_arg(MockBuffer("g", "X"), "top") == "g"
    assert rename_function_in_arg("g:i", "g", "g_lo", "top") == "g_lo:i"
    assert rename_function_in_arg("i", "g", "g_lo", "top") == "i"
    assert rename_function_in_arg(MockBuffer("g", "X"), "g", "g_1", "t") == MockBuffer("g_1", "X")
    handle = LoopHandle("g", "S_i_0", "i", None)
    assert rename_function_in_arg(handle, "g", "g_1", "t").name == "g_1:S_i_0.i"


def pair(V: int32[4]) -> (int32[4], int32[4]):
    P: int32[4] = 0
    Q: int32[4] = 0
    for t in range(4):
        P[t] = V[t] + 1
        Q[t] = V[t] * 2
    return P, Q


def unpack(X: int32[4]) -> int32[4]:
    c, d = pair(X)
    R: int32[4] = 0
    for i in range(4):
        R[i] = c[i] + d[i]
    return R


def test_buffers_of_unpacked_call_results():
    s = allo.customize(unpack)
    assert s.c == MockBuffer("unpack", "c") and s.d == MockBuffer("unpack", "d")
    assert resolve_buffer(s._state, "unpack:d", "test").owner.name == "func.call"
