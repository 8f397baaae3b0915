"""``s.to``: FIFOs between stages and functions (``schedule.md`` §4.1, §4.2, §11, §12).

Every design is built for the CPU (compared with numpy) and by C simulation of the emitted
HLS C++ (bit-identical with the CPU); the HLS text is checked for the stream spellings.
"""

import re

import numpy as np
import pytest

import allo

from helpers import check_csim
from allo.schedule.stream_fork import splitter_name

from helpers_schedule import assert_cpu_matches, assert_refused, assert_replay_identical
import stream_kernels as K

RNG = np.random.default_rng(7)


def ints(*shape):
    return RNG.integers(-50, 50, size=shape, dtype=np.int32)


def hls(s) -> str:
    return s.build(target="vhls").hls_code


def body_of(code: str, fname: str) -> str:
    start = code.index(f"void {fname}(")
    depth, k = 0, code.index("{", start)
    for k in range(k, len(code)):
        depth += {"{": 1, "}": -1}.get(code[k], 0)
        if depth == 0:
            break
    return code[start:k + 1]


# --------------------------------------------------------------------------- stages (§4.2)


def test_two_bands_stage_fifo_default_depth(tmp_path):
    s = allo.customize(K.two_bands)
    handle = s.to(s.B, "C")
    assert (handle.func, handle.name) == ("two_bands", "B")
    assert 'memref<10x20xi32, "stream:200">' in str(s.module)
    assert "linalg.fill" not in str(s.module).split('name = "C"')[0]  # dead initializer gone
    code = hls(s)
    assert "hls::stream< int32_t > B;" in code
    assert "#pragma HLS stream variable=B depth=200" in code
    assert "B.write(" in code and "B.read()" in code
    top = body_of(code, "two_bands")
    assert top.splitlines()[4].strip() == "#pragma HLS dataflow"
    A = ints(10, 20)
    assert_cpu_matches(s, K.two_bands_ref, A)
    check_csim(s, A, project=str(tmp_path / "p"))


def test_fork_join_stages(tmp_path):
    s = allo.customize(K.fork_join)
    s.to(s.B, "C")
    s.to(s.C, "D")
    s.to(s.C, "E")  # fork: E reads its own FIFO C_1
    s.to(s.D, "F")
    s.to(s.E, "F")  # join
    code = hls(s)
    for text in ("C.write(", "C_1.write(", "D.write(", "E.write(", "C.read()", "C_1.read()",
                 "D.read()", "E.read()", "hls::stream< int32_t > C_1;"):
        assert text in code, text
    assert s.get_equivalent_variables("fork_join:C_1") == {"fork_join:C_1"}
    A = ints(8, 6)
    assert_cpu_matches(s, K.fork_join_ref, A)
    check_csim(s, A, project=str(tmp_path / "p"))
    assert_replay_identical(K.fork_join, s)


# --------------------------------------------------------------------------- functions (§4.1)


@pytest.mark.parametrize("depth", [4, 1])
def test_function_fifo(tmp_path, depth):
    s = allo.customize(K.pipe2)
    s.to(s.Q, "consume", depth=depth)
    code = hls(s)
    assert "hls::stream< int32_t > &Q" in body_of(code, "produce")
    assert "hls::stream< int32_t > &Q" in body_of(code, "consume")
    assert f"#pragma HLS stream variable=Q depth={depth}" in body_of(code, "pipe2")
    assert "Q.write(" in body_of(code, "produce") and "Q.read()" in body_of(code, "consume")
    assert "#pragma HLS dataflow" in body_of(code, "pipe2")
    P = ints(6, 12)
    assert_cpu_matches(s, K.pipe2_ref, P)
    check_csim(s, P, project=str(tmp_path / "p"))


def test_default_depth_is_element_count_and_auto_is_two_for_equal_rates():
    s = allo.customize(K.pipe2)
    s.to(s.Q, "consume")
    assert '"stream:72"' in str(s.module)
    s = allo.customize(K.pipe2)
    s.to(s.Q, "consume", depth="auto")
    assert '"stream:2"' in str(s.module)


def test_stage_producer_function_consumer(tmp_path):
    s = allo.customize(K.stage_to_func)
    s.to(s.Q, "consume", depth=3)
    code = hls(s)
    assert "Q.write(" in body_of(code, "stage_to_func")
    P = ints(6, 12)
    assert_cpu_matches(s, lambda p: p + 6, P)
    check_csim(s, P, project=str(tmp_path / "p"))


def test_nested_functions_get_stream_parameters(tmp_path):
    s = allo.customize(K.nested_top)
    s.to(s.Q, "leaf_read", depth=2)
    text = str(s.module)
    for fn in ("leaf_write", "mid_write", "leaf_read"):
        sig = re.search(rf"func.func @{fn}\(([^)]*)\)", text).group(1)
        assert '"stream:2"' in sig, fn
    code = hls(s)
    assert code.index("void leaf_write(") < code.index("void mid_write(") < \
        code.index("void nested_top(")
    assert "hls::stream< int32_t > &Q" in body_of(code, "mid_write")
    assert "leaf_write(v0, Q);" in body_of(code, "mid_write")
    P = ints(6, 12)
    assert_cpu_matches(s, K.nested_ref, P)
    check_csim(s, P, project=str(tmp_path / "p"))


def test_stage_fifo_inside_a_callee(tmp_path):
    s = allo.customize(K.outer_of_stages)
    s.to("inner_stages:T", "second", depth=2)
    assert "dataflow" in re.search(r"func.func @inner_stages.*", str(s.module)).group(0)
    code = hls(s)
    assert "T.write(" in body_of(code, "inner_stages")
    P = ints(6, 12)
    assert_cpu_matches(s, lambda p: (p - 4) * 2, P)
    check_csim(s, P, project=str(tmp_path / "p"))


def test_fork_join_across_functions_uses_a_splitter(tmp_path):
    s = allo.customize(K.fork_funcs)
    s.to(s.X, "split_a")
    s.to(s.X, "split_b", depth=8)
    s.to(s.Y, "join_two")
    s.to(s.Z, "join_two")
    assert list(s.get_loops().loops) == []  # the splitter is a process of its own
    assert list(s.get_loops("X_split").loops) == ["X_split"]
    assert s.func_args["X_split"] == ["X_src", "X", "X_1"]
    code = hls(s)
    top = body_of(code, "fork_funcs")
    assert top.index("produce(v0, X_src);") < top.index("X_split(X_src, X, X_1);") < \
        top.index("split_a(X, Y);")
    assert "split_a(X, Y);" in top and "split_b(X_1, Z);" in top
    assert "#pragma HLS stream variable=X_1 depth=8" in top
    assert "for (" not in top  # a dataflow region of function calls only
    split = body_of(code, "X_split")
    for text in ("hls::stream< int32_t > &X_src", "hls::stream< int32_t > &X,",
                 "hls::stream< int32_t > &X_1", "X.write(", "X_1.write(", "X_src.read()"):
        assert text in split, text
    P = ints(6, 12)
    assert_cpu_matches(s, K.fork_funcs_ref, P)
    check_csim(s, P, project=str(tmp_path / "p"))
    assert_replay_identical(K.fork_funcs, s)


def test_three_way_fork_of_a_function_rebuilds_one_splitter(tmp_path):
    s = allo.customize(K.fork_three)
    s.to(s.X, "twice16", depth=2)
    s.to(s.X, "thrice16", depth=2)
    s.to(s.X, "minus16", depth=2)
    for buf in ("A", "B", "C"):
        s.to(getattr(s, buf), "join16", depth=2)
    assert [f for f in s.func_args if f.endswith("_split")] == ["X_split"]
    assert s.func_args["X_split"] == ["X_src", "X", "X_1", "X_2"]
    top = s.top_func.regions[0].blocks[0]
    calls = [op for op in top.operations if op.operation.name == "func.call"]
    assert [str(c.attributes["callee"]) for c in calls] == [
        "@make16", "@X_split", "@twice16", "@thrice16", "@minus16", "@join16"]
    code = hls(s)
    split = body_of(code, "X_split")
    assert "hls::stream< int16_t > &X_2" in split and "X_2.write(" in split
    assert "X_split(X_src, X, X_1, X_2);" in body_of(code, "fork_three")
    P = RNG.integers(-50, 50, size=(4, 8), dtype=np.int16)
    R = np.zeros((4, 8), dtype=np.int16)
    assert_cpu_matches(s, K.fork_three_ref, P, R)
    # a region of calls only: the C simulation runs every call as a concurrent process,
    # so FIFOs of depth 2 suffice
    check_csim(s, P, R, project=str(tmp_path / "p"))
    assert_replay_identical(K.fork_three, s)


def test_splitter_name_avoids_existing_functions():
    s = allo.customize(K.fork_three)
    s.to(s.X, "twice16")
    assert splitter_name(s._state, "fork_three", "X") == "X_split"
    s.to(s.X, "thrice16")  # X_split exists now: a second splitter would get another name
    assert splitter_name(s._state, "fork_three", "X") == "fork_three_X_split"


# --------------------------------------------------------------------------- replay, compose


def test_replay_of_stream_schedule():
    s = allo.customize(K.pipe2)
    s.to(s.Q, "consume", depth="auto")
    assert s.primitive_sequences == [("to", [s.Q, "consume"], {"depth": "auto"})]
    assert_replay_identical(K.pipe2, s)


def test_compose_stream_schedule_into_a_caller(tmp_path):
    sub = allo.customize(K.pipe2)
    sub.to(sub.Q, "consume", depth=4)
    s = allo.customize(K.outer_pipe)
    s.compose(sub)
    assert "stream:4" in str(s.module)
    assert s.primitive_sequences[0][0] == "to"
    code = hls(s)
    assert "#pragma HLS stream variable=Q depth=4" in body_of(code, "pipe2")
    P = ints(6, 12)
    assert_cpu_matches(s, K.pipe2_ref, P)
    check_csim(s, P, project=str(tmp_path / "p"))


# --------------------------------------------------------------------------- legality (§4.1)


@pytest.mark.parametrize("kernel, dst, fragment", [
    (K.transposed_read, "r", "row-major order"),
    (K.double_read, "r", "reads it in 2 places"),
    (K.two_writers, "r", "written by 2 processes (w1, w2)"),
    (K.extra_reader, "r", "also accessed by late"),
    (K.reduction_producer, "r", "the producer acc"),
    (K.backwards, "r", "runs before the producer w"),
])
def test_illegal_streams_are_refused_unchanged(kernel, dst, fragment):
    s = allo.customize(kernel)
    assert_refused(s, allo.ScheduleError, fragment, "to", s.B, dst)


@pytest.mark.parametrize("depth, fragment", [(0, "depth must be positive"),
                                             (-2, "depth must be positive"),
                                             ("big", "depth must be an integer or \"auto\""),
                                             (2.5, "depth must be an integer")])
def test_bad_depth(depth, fragment):
    s = allo.customize(K.pipe2)
    assert_refused(s, allo.ScheduleError, fragment, "to", s.Q, "consume", depth=depth)


def test_bad_targets_and_destinations():
    s = allo.customize(K.pipe2)
    assert_refused(s, allo.ScheduleError, "is a parameter of pipe2", "to", s.P, "consume")
    assert_refused(s, allo.LoopNotFoundError, "no stage or called function named nowhere",
                   "to", s.Q, "nowhere")
    assert_refused(s, allo.BufferNotFoundError, "buffer Z not found", "to", "pipe2:Z",
                   "consume")
    s.to(s.Q, "consume")
    assert_refused(s, allo.ScheduleError, "already streamed to consume", "to", s.Q, "consume")
    assert_refused(s, allo.ScheduleError, "is a stream", "partition", s.Q)


def test_partitioned_buffer_is_refused():
    s = allo.customize(K.two_bands)
    s.partition(s.B, dim=2)
    assert_refused(s, allo.ScheduleError, "it is partitioned", "to", s.B, "C")


def test_shared_callee_parameter_is_refused():
    s = allo.customize(K.produce_twice)
    assert_refused(s, allo.ScheduleError, "template id", "to", s.Q, "consume")


def test_destination_that_does_not_read_the_buffer():
    s = allo.customize(K.fork_join)
    assert_refused(s, allo.ScheduleError, "D does not access", "to", s.B, "D")


def test_unstreamed_reader_is_refused_at_build_and_nothing_changes():
    s = allo.customize(K.fork_join)
    s.to(s.C, "D")
    before = str(s.module)
    with pytest.raises(allo.ScheduleError, match="C is also read by E; stream it to that "
                                                 "consumer too or not at all"):
        s.build()
    with pytest.raises(allo.ScheduleError, match="C is also read by E"):
        s.build(target="vhls")
    assert str(s.module) == before
    s.to(s.C, "E")
    assert_cpu_matches(s, K.fork_join_ref, ints(8, 6))


# --------------------------------------------------------------------------- systolic (§4.3)


def test_systolic_arrays_of_fifos(tmp_path):
    s = allo.customize(K.sys_gemm)
    pe = s.unfold("PE", [0, 1])
    s.to(s.A_fifo, pe, axis=1, depth=4)
    s.to(s.B_fifo, pe, axis=0)
    text = str(s.module)
    assert 'memref<3x3x4xi32, "stream:4">' in text and 'memref<2x4x4xi32, "stream:4">' in text
    code = hls(s)
    assert "hls::stream< int32_t > A_fifo[3][3];" in code
    assert "hls::stream< int32_t > B_fifo[2][4];" in code
    assert code.count("#pragma HLS stream variable=A_fifo depth=4") == 1
    assert re.search(r"A_fifo\[m\]\[0\]\.write\(", code)
    assert re.search(r"A_fifo\[\w+\]\[\(?\w+( \+ 1)?\)?\]\.read\(\)", code)
    A = RNG.integers(-9, 9, (3, 4), dtype=np.int32)
    B = RNG.integers(-9, 9, (4, 2), dtype=np.int32)
    assert_cpu_matches(s, lambda a, b: a @ b, A, B)
    check_csim(s, A, B, project=str(tmp_path / "p"))
    assert_replay_identical(K.sys_gemm, s)


def test_systolic_refusals():
    s = allo.customize(K.sys_gemm_undrained)
    pe = s.unfold("PE", [0, 1])
    assert_refused(s, allo.ScheduleError, "never read (drain it)", "to", s.A_fifo, pe, axis=1)
    assert_refused(s, allo.ScheduleError, "axis must be 0 or 1", "to", s.A_fifo, pe, axis=2)
    assert_refused(s, allo.ScheduleError, "two unfolded axes", "to", s.A_fifo, "PE", axis=1)
    assert_refused(s, allo.ScheduleError, "needs a 3-D buffer", "to", s.C, pe, axis=1)


def test_compose_stream_schedule_with_ids(tmp_path):
    import importlib.util
    import pathlib
    import sys
    if sys.version_info < (3, 12):
        pytest.skip("PEP 695 needs Python 3.12")
    spec = importlib.util.spec_from_file_location(
        "stream_kernels_pep695", pathlib.Path(__file__).with_name("stream_kernels_pep695.py"))
    T = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(T)
    sub = allo.customize(T.twostage, instantiate=[allo.ir.types.int32, 16])
    sub.to(sub.T, "second", depth=3)
    s = allo.customize(T.two_instances)
    s.compose(sub, id="A")
    assert s.primitive_sequences == [("to", [allo.ir.utils.MockBuffer("twostage_A", "T"),
                                             "second"], {"depth": 3})]
    code = hls(s)
    assert "#pragma HLS stream variable=T depth=3" in body_of(code, "twostage_A")
    assert "hls::stream" not in body_of(code, "twostage_B")
    X = ints(16)
    assert_cpu_matches(s, lambda x: ((x + 1) * 2 + 1) * 2, X)
    check_csim(s, X, project=str(tmp_path / "p"))


# --------------------------------------------------------------------------- call results (§4.1)


def test_call_result_streamed_to_a_function(tmp_path):
    s = allo.customize(K.result_to_func)
    handle = s.to(s.Q, "consume", depth=4)
    assert (handle.func, handle.name) == ("result_to_func", "Q")
    assert s.func_args["make_q"] == ["P", "Q"]  # the result became an output parameter
    text = str(s.module)
    sig = re.search(r"func.func @make_q\(([^)]*)\)( -> [^ ]+)? ", text)
    assert '"stream:4"' in sig.group(1) and sig.group(2) is None
    assert "linalg.fill" not in text  # make_q's initializer is dead: it writes every element
    code = hls(s)
    assert "hls::stream< int32_t > &Q" in body_of(code, "make_q")
    assert "Q.write(" in body_of(code, "make_q")
    top = body_of(code, "result_to_func")
    assert "make_q(v0, Q);" in top and "consume(Q, v1);" in top
    assert "#pragma HLS stream variable=Q depth=4" in top
    P = ints(6, 12)
    assert_cpu_matches(s, K.pipe2_ref, P)
    check_csim(s, P, project=str(tmp_path / "p"))
    assert_replay_identical(K.result_to_func, s)


def test_call_result_of_a_nested_producer_streamed_to_a_stage(tmp_path):
    s = allo.customize(K.call_result)  # R = pipe2(P): consume writes pipe2's result
    s.to(s.R, "use", depth="auto")
    assert s.func_args["pipe2"] == ["P", "R"]
    code = hls(s)
    assert "consume(Q, R);" in body_of(code, "pipe2")
    assert "R.read()" in body_of(code, "call_result")
    assert "#pragma HLS stream variable=R depth=2" in body_of(code, "call_result")
    P = ints(6, 12)
    assert_cpu_matches(s, lambda p: K.pipe2_ref(p) + 1, P)
    check_csim(s, P, project=str(tmp_path / "p"))
    assert_replay_identical(K.call_result, s)


def test_call_result_forked_to_two_functions(tmp_path):
    s = allo.customize(K.result_fork)
    s.to(s.X, "split_a", depth=2)
    s.to(s.X, "split_b", depth=2)
    code = hls(s)
    top = body_of(code, "result_fork")
    assert top.index("make_q(v0, X_src);") < top.index("X_split(X_src, X, X_1);")
    P = ints(6, 12)
    assert_cpu_matches(s, K.fork_funcs_ref, P)
    check_csim(s, P, project=str(tmp_path / "p"))
    assert_replay_identical(K.result_fork, s)


@pytest.mark.parametrize("kernel, buf, dst, fragment", [
    (K.result_twice, "Q", "make_q", "make_q is called from 2 places"),
    (K.result_read_in_callee, "Q", "consume",
     "make_and_peek must write the buffer it returns in exactly one process"),
    (K.result_transposed, "Q", "tr", "row-major order"),  # refused after the conversion
    (K.call_result, "R", "nowhere", "no stage or called function named nowhere"),
])
def test_call_results_refused_unchanged(kernel, buf, dst, fragment):
    s = allo.customize(kernel)
    assert_refused(s, allo.ScheduleError, fragment, "to", getattr(s, buf), dst)
    assert s.func_args == allo.customize(kernel).func_args  # records restored too


def test_returned_buffer_is_refused():
    s = allo.customize(K.returned_fifo)
    assert_refused(s, allo.ScheduleError, "Q is returned by returned_fifo; a FIFO cannot "
                   "leave the function that declares it", "to", s.Q, "consume")


# --------------------------------------------------------------------------- after s.to


def test_reordering_the_loops_of_a_fifo_endpoint_is_refused(tmp_path):
    # found by the stream fuzzer: accepted, the CPU build stayed right (arrays) but C
    # simulation read the FIFO column by column
    s = allo.customize(K.two_bands)
    s.to(s.B, "C", depth=1)
    assert_refused(s, allo.ScheduleError, "the loops access the FIFO B", "reorder", "C.j", "C.i")
    s2 = allo.customize(K.pipe2)
    s2.to(s2.Q, "consume")
    assert_refused(s2, allo.ScheduleError, "the FIFO Q", "reorder", "consume:b", "consume:a")
    s.split("C.j", 3)  # keeps the row-major order: still a valid FIFO
    A = ints(10, 20)
    assert_cpu_matches(s, K.two_bands_ref, A)
    check_csim(s, A, project=str(tmp_path / "p"))


def test_compute_at_of_a_fifo_endpoint_is_refused():
    s = allo.customize(K.fork_join)
    s.to(s.C, "D")
    s.to(s.C, "E")
    assert_refused(s, allo.ScheduleError, "stage D accesses the FIFO C", "compute_at", "D.i", "F.i")


@pytest.mark.parametrize("before", [[("split", "C.j", 6)], [("split", "B.j", 8), ("split", "C.i", 3)],
                                    [("fuse", "C.i", "C.j")],
                                    [("fuse", "B.i", "B.j"), ("split", "C.j", 7)]])
def test_split_tails_and_fused_loops_stream_in_order(tmp_path, before):
    # the order of a min()-bounded split tail or of floordiv/mod subscripts is proven by
    # running the nest; the same schedule after s.to was already accepted
    s = allo.customize(K.two_bands)
    for primitive, *args in before:
        getattr(s, primitive)(*args)
    s.to(s.B, "C", depth="auto")
    A = ints(10, 20)
    assert_cpu_matches(s, K.two_bands_ref, A)
    check_csim(s, A, project=str(tmp_path / "p"))


def test_split_then_reorder_is_still_refused():
    s = allo.customize(K.two_bands)
    s.split("C.j", 6)
    s.reorder("C.j.outer", "C.i")  # column blocks first: not row-major
    assert_refused(s, allo.ScheduleError, "row-major order", "to", s.B, "C")
