"""The dataflow API: instantiation, naming, schedules, HLS text, errors (backends.md §6)."""

import re
import warnings

import numpy as np
import pytest

import allo
import allo.dataflow as df
from allo.ir.types import Stream, int32, int16
from allo.memory import DTensor, Layout, Memory

import designs as d
from df_helpers import simulate


def test_instances_named_and_unused_ones_absent():
    s = df.customize(d.systolic)
    names = set(s.func_args)
    corners = {"gemm_0_0", "gemm_0_5", "gemm_5_0", "gemm_5_5"}
    assert not corners & names
    assert {"gemm_0_1", "gemm_1_0", "gemm_1_1", "gemm_4_4", "gemm_5_4", "systolic"} <= names
    assert len(names) == 1 + 36 - 4
    assert d.systolic.mappings == {"gemm": [6, 6]}
    top = s.module.operation.get_asm()
    assert "dataflow" in top.split("func.func @systolic")[1].split("{")[0] + \
        top.split("func.func @systolic")[1].split("\n")[0]


def test_hls_of_a_region_call_arities_and_streams():
    code = df.build(d.systolic, target="vhls", mode=None, project=None).hls_code
    top = code[code.index("/// This is top function."):]
    body = top.split(") {", 1)[1]
    assert body.lstrip().startswith("#pragma HLS dataflow")
    assert "hls::stream< int16_t > fifo_A_1_1;" in top
    assert "#pragma HLS stream variable=fifo_A_1_1 depth=4" in top
    arity = {m.group(1): len(m.group(2).split(", "))
             for m in re.finditer(r"\n  (gemm_\d_\d)\(([^)]*)\);", top)}
    assert [arity[n] for n in ("gemm_0_1", "gemm_1_0", "gemm_1_1", "gemm_5_1", "gemm_1_5")] \
        == [4, 4, 7, 4, 4]
    assert "hls::stream< int16_t > &fifo_A_1_1" in code  # instance parameter by reference
    # forward declarations are not needed: every instance precedes the top
    assert code.index("void gemm_1_1(") < code.index("void systolic(")


def test_hls_block_stream_parameters():
    code = df.build(d.tiled_gemm, target="vhls", mode=None, project=None).hls_code
    assert "hls::stream< hls::vector< int32_t, 16 > > &tiles_0_0" in code
    assert "tiles_1_1.write(" in code and "= tiles_1_1.read();" in code


def test_spec_example_two_stage():
    code = df.build(d.twostage, target="vhls", mode=None, project=None).hls_code
    assert "hls::stream< int32_t > q;" in code
    assert "#pragma HLS stream variable=q depth=2" in code
    assert "src_0(v0, q);" in code and "dst_0(v1, q);" in code


def test_customize_opt_default_pipelines_innermost_loops():
    code = df.customize(d.twostage, opt_default=True).build(target="vhls").hls_code
    assert code.count("#pragma HLS pipeline II=1 rewind") == 2
    X = np.arange(60, dtype=np.int32).reshape(6, 10)
    s = df.customize(d.twostage, opt_default=True)
    np.testing.assert_array_equal(simulate(s.build(target="simulator"), X, 0 * X)[1], 3 * X - 1)


def test_region_call_runs_the_simulator_and_cpu_build_is_sequential():
    X = np.arange(60, dtype=np.int32).reshape(6, 10)
    Y = np.zeros_like(X)
    assert d.twostage(X, Y) is None
    np.testing.assert_array_equal(Y, 3 * X - 1)
    Y2 = np.zeros_like(X)
    df.customize(d.twostage).build()(X, Y2)  # a sequentially executable design on the CPU
    np.testing.assert_array_equal(Y2, Y)


def test_pids_index_numpy_constants_and_helpers():
    W = np.array([10, 20, 30, 40, 50], dtype=np.int32)

    def scale(v: int32, k: int32) -> int32:
        return v * k + 1

    @df.region()
    def lanes(X: int32[4], Y: int32[4]):
        q: Stream[int32, 1][4]

        @df.kernel(mapping=[4], args=[X])
        def produce(x: int32[4]):
            p = df.get_pid()
            q[p].put(scale(x[p], W[p + 1]))

        @df.kernel(mapping=[4], args=[Y])
        def consume(x: int32[4]):  # the same parameter name as in produce
            p = df.get_pid()
            x[p] = q[p].get() - W[p]

    X = np.array([1, 2, 3, 4], dtype=np.int32)
    Y = simulate(lanes, X, np.zeros(4, np.int32))[1]
    np.testing.assert_array_equal(Y, X * W[1:] + 1 - W[:4])


def test_leftover_elements_warn():
    @df.region()
    def leftover(X: int32[4], Y: int32[2]):
        q: Stream[int32, 4]

        @df.kernel(mapping=[1], args=[X])
        def more(x: int32[4]):
            for i in range(4):
                q.put(x[i])

        @df.kernel(mapping=[1], args=[Y])
        def fewer(y: int32[2]):
            for i in range(2):
                y[i] = q.get()

    X = np.arange(4, dtype=np.int32)
    with pytest.warns(UserWarning, match=r"stream 'q' still holds 2 element\(s\)"):
        Y = simulate(leftover, X, np.zeros(2, np.int32))[1]
    np.testing.assert_array_equal(Y, X[:2])


def test_runtime_loop_bounds_and_errors_inside_instances():
    @df.region()
    def until_zero(X: int32[8], Y: int32[8]):
        q: Stream[int32, 2]

        @df.kernel(mapping=[1], args=[X])
        def send(x: int32[8]):
            i: int32 = 0
            while x[i] != 0:
                q.put(x[i])
                i += 1
            q.put(0)

        @df.kernel(mapping=[1], args=[Y])
        def recv(y: int32[8]):
            v: int32 = q.get()
            n: int32 = 0
            while v != 0:
                y[n] = v
                n += 1
                v = q.get()

    X = np.array([5, 4, 3, 0, 9, 9, 9, 9], dtype=np.int32)
    Y = simulate(until_zero, X, np.zeros(8, np.int32))[1]
    np.testing.assert_array_equal(Y, [5, 4, 3, 0, 0, 0, 0, 0])
    X = np.array([1] * 8, dtype=np.int32)  # no terminating zero: x[8] is out of bounds
    with pytest.raises(allo.IndexOutOfBoundsError):
        simulate(until_zero, X, np.zeros(8, np.int32))


def test_plain_schedule_with_stream_locals_on_the_simulator():
    def fifo(X: int32[6, 10]) -> int32[6, 10]:
        q: Stream[int32, 2]
        Y: int32[6, 10]
        for a, b in allo.grid(6, 10):
            q.put(X[a, b] * 3)
        for a, b in allo.grid(6, 10):
            Y[a, b] = q.get() - 1
        return Y

    s = allo.customize(fifo)
    X = np.arange(60, dtype=np.int32).reshape(6, 10)
    sim = s.build(target="simulator")
    # one process: a stream local keeps the program-order semantics of the CPU build
    assert len(sim.network.processes) == 1
    np.testing.assert_array_equal(sim(X), 3 * X - 1)


def test_get_pid_outside_kernels():
    with pytest.raises(NotImplementedError):
        df.get_pid()
    assert allo.get_pid is df.get_pid

    def plain(A: int32[4]):
        p = allo.get_pid()
        A[0] = p

    with pytest.raises(allo.AlloSyntaxError, match="inside a @df.kernel"):
        allo.customize(plain)
    with pytest.raises(NotImplementedError):
        df.gather()
    with pytest.raises(NotImplementedError):
        df.scatter()


def test_build_options():
    with pytest.raises(allo.ToolNotFoundError, match="MLIR-AIE"):
        df.build(d.twostage, target="aie")
    with pytest.raises(allo.BuildError, match="Profiling is only supported for AIE target"):
        df.build(d.twostage, target="vhls", profile=True)
    with pytest.raises(allo.BuildError, match="Trace profiling is only supported for AIE"):
        df.build(d.twostage, target="vhls", trace=[("src", (0,))])
    assert isinstance(df.build(d.twostage, target="simulator"), df.LLVMOMPModule)
    assert isinstance(df.build(d.twostage, target="vhls", mode=None, project=None),
                      allo.HLSModule)


def _error(region, exc, *fragments):
    with pytest.raises(exc) as info:
        df.customize(region)
    text = str(info.value)
    for f in fragments:
        assert f in text, text
    assert __file__ in text  # located in the user's file
    return text


def test_frontend_errors():
    @df.region()
    def scalar_param(X: int32[4], n: int32):
        pass

    _error(scalar_param, allo.AlloTypeError, "region parameter 'n' is a scalar")

    @df.region()
    def scalar_arg(X: int32[4]):
        @df.kernel(mapping=[1], args=[3])
        def k(x: int32[4]):
            x[0] = 1

    _error(scalar_arg, allo.AlloTypeError, "'3' is a scalar")

    @df.region()
    def local_arg(X: int32[4]):
        q: Stream[int32, 2]

        @df.kernel(mapping=[1], args=[q])
        def k(x: int32[4]):
            x[0] = 1

    _error(local_arg, allo.AlloSyntaxError, "'q' is a local of the region")

    @df.region()
    def direct_use(X: int32[4]):
        @df.kernel(mapping=[1])
        def k():
            X[0] = 1

    _error(direct_use, allo.AlloSyntaxError, "uses region parameter 'X' directly")

    @df.region()
    def bad_mapping(X: int32[4]):
        @df.kernel(mapping=[0], args=[X])
        def k(x: int32[4]):
            x[0] = 1

    _error(bad_mapping, allo.AlloTypeError, "positive integers")

    @df.region()
    def no_mapping(X: int32[4]):
        @df.kernel(args=[X])
        def k(x: int32[4]):
            x[0] = 1

    _error(no_mapping, allo.AlloSyntaxError, "needs mapping")

    @df.region()
    def statement(X: int32[4]):
        X[0] = 1

    _error(statement, allo.AlloSyntaxError, "only stream declarations")

    @df.region()
    def mismatch(X: int32[4]):
        @df.kernel(mapping=[1], args=[X])
        def k(x: int16[4]):
            x[0] = 1

    _error(mismatch, allo.AlloTypeError, "region parameter 'X' is i32[4]")

    @df.region()
    def returns(X: int32[4]):
        @df.kernel(mapping=[1], args=[X])
        def k(x: int32[4]) -> int32:
            return x[0]

    _error(returns, allo.AlloTypeError, "kernel 'k' returns a value")


def test_stream_well_formedness():
    @df.region()
    def both_ways(X: int32[4]):
        q: Stream[int32, 2]

        @df.kernel(mapping=[1], args=[X])
        def k(x: int32[4]):
            q.put(x[0])
            x[1] = q.get()

    _error(both_ways, allo.AlloTypeError, "stream 'q' is both written and read", "'k_0'")

    @df.region()
    def two_writers(X: int32[4]):
        q: Stream[int32, 2]

        @df.kernel(mapping=[2], args=[X])
        def k(x: int32[4]):
            q.put(x[0])

    _error(two_writers, allo.AlloTypeError, "stream 'q' is written by both 'k_0' and 'k_1'")

    def helper(v: int32) -> int32:
        return v + 1

    @df.region()
    def passed_on(X: int32[4]):
        q: Stream[int32, 2]

        @df.kernel(mapping=[1], args=[X])
        def k(x: int32[4]):
            x[0] = helper(q)

    _error(passed_on, allo.AlloTypeError, "stream 'q' cannot be passed to helper")

    @df.region()
    def as_value(X: int32[4]):
        q: Stream[int32, 2]

        @df.kernel(mapping=[1], args=[X])
        def k(x: int32[4]):
            x[1] = q + 1

    _error(as_value, allo.AlloTypeError, "stream 'q' is not a value; use q.put(v) and q.get()")


def test_memory_and_layouts():
    S, R = Layout.Shard, Layout.Replicate
    assert Layout([S(1), R]).get_placement([2, 3])[(2, 0)] == [(0, 2), (1, 2)]
    with pytest.raises(ValueError):
        Layout([S(0), S(0)])
    t = DTensor(2, [2, 2], (4, 4), int32, Memory(resource="URAM"), "A")
    assert t.memory == Memory(resource="URAM") and t.layout is None and "memory=" in str(t)
    assert allo.memory.Memory is allo.Memory

    @df.region()
    def laid_out(A: int32[4, 4] @ [S(0), R], B: int32[4, 4]):
        @df.kernel(mapping=[2], args=[A, B])
        def k(a: int32[4, 4] @ [S(0), R], b: int32[4, 4]):
            p = df.get_pid()
            for j in range(4):
                b[p * 2, j] = a[p * 2, j] + a[p * 2 + 1, j]
                b[p * 2 + 1, j] = 0

    A = np.arange(16, dtype=np.int32).reshape(4, 4)
    B = simulate(laid_out, A, np.zeros_like(A))[1]
    np.testing.assert_array_equal(B[::2], A[::2] + A[1::2])


def test_simulator_refuses_a_region_call_inside_other_work():
    @df.region()
    def inner(A: int32[4]):
        @df.kernel(mapping=[1], args=[A])
        def inc(a: int32[4]):
            for i in range(4):
                a[i] += 1

    @df.region()
    def outer(A: int32[2, 4]):
        @df.kernel(mapping=[2], args=[A])
        def k(a: int32[2, 4]):
            p = df.get_pid()
            inner(a[p])  # a view: copied in and out around the call

    with pytest.raises(allo.BuildError, match="calls the dataflow region 'inner_0' and does "
                                               "other work"):
        df.build(outer, target="simulator")
    A = np.arange(8, dtype=np.int32).reshape(2, 4)
    B = A.copy()
    df.customize(outer).build()(B)  # sequentially executable: the CPU build runs it
    np.testing.assert_array_equal(B, A + 1)


def test_dataflow_function_passing_arrays_runs_in_order():
    s = allo.customize(d.chain)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # T has one writer: stage2 only reads it
        s.dataflow("chain")
    sim = s.build(target="simulator")
    assert [p.func for p in sim.network.processes] == ["stage1", "stage2"]
    assert sim.network.groups() == [[0], [1]]  # no stream: each runs alone, in order
    A = np.arange(64, dtype=np.int32)
    B = simulate(sim, A, np.zeros_like(A))[1]
    np.testing.assert_array_equal(B, 2 * A + 1)
