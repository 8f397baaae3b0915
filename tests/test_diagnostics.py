"""Every user-facing error names the user's file and line, and shows the user's frames.

For each error family (frontend, schedule, build requests, build errors located at an MLIR
op, call-time arguments of built modules, type constructions) the tests check:

* ``err.filename``/``err.lineno`` and the printed ``File "...", Line: <n>`` name the line of
  this file where the mistake is (the kernel statement, or the call into the library);
* the traceback holds no frame of the ``allo`` package: its last frame is the user's;
* with ``ALLO_FULL_TRACEBACK=1`` the library's frames and the hidden causes come back.
"""

from __future__ import annotations

import inspect
import os
import pickle
import sys
import tempfile
import traceback

import numpy as np
import pytest

import allo
from allo.diagnostics import (FULL_TRACEBACK_ENV, SourceLoc, filter_traceback, public_entry,
                              render)
from allo.ir.types import Fixed, Int, bfloat16, float32, int32

ALLO_DIR = os.path.dirname(os.path.abspath(allo.__file__)) + os.sep


def next_line() -> int:
    """The line after the caller's: where the statement under test is written."""
    return sys._getframe(1).f_lineno + 1


def line_of(fn, marker: str) -> int:
    lines, start = inspect.getsourcelines(fn)
    return start + next(k for k, text in enumerate(lines) if marker in text)


def library_frames(tb) -> list:
    return [f for f in traceback.extract_tb(tb) if f.filename.startswith(ALLO_DIR)]


def assert_located(info, line: int, filename: str = __file__) -> None:
    """The error names ``filename:line`` and its traceback ends in the user's frame."""
    err = info.value
    assert (err.filename, err.lineno) == (filename, line), str(err)
    assert f'File "{filename}", Line: {line}' in str(err)
    frames = traceback.extract_tb(info.tb)
    assert library_frames(info.tb) == [], [f"{f.filename}:{f.lineno}" for f in frames]
    assert frames[-1].filename == filename


# --------------------------------------------------------------------------- kernels


def add_n(A: int32[4], n: int32):
    for i in range(4):
        A[i] += n


def copy4(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        B[i] = A[i]
    return B


def fixed_sum(F: Fixed(12, 4)[4], f: Fixed(12, 4)) -> Fixed(12, 4):
    s: Fixed(12, 4) = f
    for i in range(4):
        s += F[i]
    return s


def wide(W: Int(100)[2]) -> Int(100)[2]:
    R: Int(100)[2] = 0
    for i in range(2):
        R[i] = W[i] + 1
    return R


def undefined_name(A: int32[4]):
    for i in range(4):
        A[i] = A[i] + not_defined_anywhere  # noqa: F821  # ERR


def brain_float(A: float32[4]) -> float32[4]:
    B: float32[4] = 0.0
    for i in range(4):
        t: bfloat16 = A[i]  # BF16
        B[i] = t
    return B


def kernel(A: int32[4]):  # a top named "kernel" is reserved in Vitis
    for i in range(4):
        A[i] = 0


# --------------------------------------------------------------------------- the format


def test_one_renderer_prints_the_spec_format():
    loc = SourceLoc("/src/k.py", 12, 5, "    B[i] = A[i]  \n    more", "k")
    assert render("bad thing", loc) == \
        'bad thing\n  File "/src/k.py", Line: 12, in k\n    B[i] = A[i]'
    assert render("no place", None) == "no place"
    # no function, no text: the File line alone
    assert render("m", SourceLoc("<string>", 3, source="")) == 'm\n  File "<string>", Line: 3'
    err = allo.ScheduleError("split: bad", loc=loc)
    assert str(err) == render("split: bad", loc) and err.message == "split: bad"
    assert (err.filename, err.lineno, err.func_name, err.source) == \
        ("/src/k.py", 12, "k", "B[i] = A[i]")


def test_frontend_and_build_errors_share_the_format():
    front = allo.AlloSyntaxError("m", "/f.py", 3, "k", "x = 1")
    build = allo.BuildError("m", loc=SourceLoc("/f.py", 3, function="k", source="x = 1"))
    assert str(front) == str(build)
    assert front.code == f"AlloSyntaxError: {front}"


def test_errors_survive_pickling_with_their_location():
    loc = SourceLoc("/f.py", 3, function="k", source="x = 1")
    for err in (allo.BuildError("m", loc=loc), allo.AlloTypeError("m", "/f.py", 3, "k", "x"),
                allo.IndexOutOfBoundsError("A", 9, 0, 8, "/f.py", 3, "k", "x = 1")):
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and str(back) == str(err) and back.loc == err.loc


def test_locations_read_from_mlir():
    from allo._mlir import ir
    with ir.Context():
        file_loc = ir.Location.file("/src/k.py", 7, 3)
        assert SourceLoc.from_mlir_loc(file_loc) == SourceLoc("/src/k.py", 7, 3)
        named = ir.Location.name("B", file_loc)
        assert SourceLoc.from_mlir_loc(named, "k") == SourceLoc("/src/k.py", 7, 3, function="k")
        inlined = ir.Location.callsite(file_loc, [ir.Location.file("/src/top.py", 2, 1)])
        assert SourceLoc.from_mlir_loc(inlined).filename == "/src/k.py"
        text = ir.Location.file("-", 4, 1)  # MLIR text parsed without a file
        fused = ir.Location.fused([text, ir.Location.unknown(), file_loc])
        assert SourceLoc.from_mlir_loc(fused).line == 7
        assert SourceLoc.from_mlir_loc(text) is None
        assert SourceLoc.from_mlir_loc(ir.Location.unknown()) is None


def test_an_op_is_located_at_its_kernel_line_with_its_function():
    s = allo.customize(copy4)
    from allo.mlir_utils import walk_ops
    store = next(op for op in walk_ops(s.module) if op.name == "affine.store")
    loc = SourceLoc.of_op(store)
    assert (loc.filename, loc.line, loc.function) == (__file__, line_of(copy4, "B[i] = A[i]"),
                                                      "copy4")
    assert loc.text == "B[i] = A[i]"


# --------------------------------------------------------------------------- frontend


def test_frontend_error_names_the_kernel_line_and_hides_the_compiler():
    with pytest.raises(allo.AlloSyntaxError, match="not_defined_anywhere") as info:
        allo.customize(undefined_name)
    assert_located(info, line_of(undefined_name, "# ERR"))
    assert info.value.func_name == "undefined_name"
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert "ALLO_FULL_TRACEBACK=1" in "".join(traceback.format_exception(info.value))


def test_full_traceback_shows_library_frames_and_causes(monkeypatch):
    monkeypatch.setenv(FULL_TRACEBACK_ENV, "1")
    with pytest.raises(allo.AlloSyntaxError) as info:
        allo.customize(undefined_name)
    assert info.value.lineno == line_of(undefined_name, "# ERR")  # the same message
    assert library_frames(info.tb)
    text = "".join(traceback.format_exception(info.value))
    assert "KeyError" in text and "direct cause" in text
    assert "set ALLO_FULL_TRACEBACK" not in text


@pytest.mark.parametrize("value", ["0", "", "off"])
def test_full_traceback_off_values_keep_the_filter(monkeypatch, value):
    monkeypatch.setenv(FULL_TRACEBACK_ENV, value)
    with pytest.raises(allo.AlloSyntaxError) as info:
        allo.customize(undefined_name)
    assert library_frames(info.tb) == []


def pep695_kernels():
    """``tests/frontend/kernels_pep695.py`` (template syntax needs Python 3.12)."""
    if sys.version_info < (3, 12):
        pytest.skip("PEP 695 templates need Python 3.12")
    import importlib.util
    path = os.path.join(os.path.dirname(__file__), "frontend", "kernels_pep695.py")
    spec = importlib.util.spec_from_file_location("kernels_pep695", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_template_arguments_are_located_at_the_customize_call():
    scale = pep695_kernels().scale
    with pytest.raises(allo.AlloTypeError, match="needs 2 template arguments") as info:
        line = next_line()
        allo.customize(scale)
    assert_located(info, line)
    with pytest.raises(allo.AlloTypeError, match="scale takes 2, got 1") as info:
        line = next_line()
        allo.customize(scale, instantiate=[int32])
    assert_located(info, line)


def test_a_bad_type_construction_names_the_line_that_wrote_it():
    with pytest.raises(allo.DTypeError, match="Bitwidth must be an integer") as info:
        line = next_line()
        Int(2.5)
    assert_located(info, line)
    with pytest.raises(allo.DTypeError, match="exceeds the bitwidth") as info:
        line = next_line()
        Fixed(8, 10)
    assert_located(info, line)


def test_type_errors_inside_a_kernel_keep_the_kernel_line_only():
    def k(A: int32[4]):
        x: Int(0) = 1  # ZERO
        A[0] = x

    with pytest.raises(allo.AlloTypeError) as info:
        allo.customize(k)
    err = info.value
    assert err.lineno == line_of(k, "# ZERO")
    # the DTypeError's own location (the customize call) does not leak into the message
    assert str(err).count("Line:") == 1 and "Bitwidth must be a positive integer" in err.message


# --------------------------------------------------------------------------- schedules


def test_schedule_errors_name_the_primitive_call():
    s = allo.customize(copy4)
    with pytest.raises(allo.LoopNotFoundError, match="split: loop q not found") as info:
        line = next_line()
        s.split("q", 4)
    assert_located(info, line)
    assert info.value.func_name == inspect.currentframe().f_code.co_name
    with pytest.raises(allo.ScheduleError, match="Invalid dimension") as info:
        line = next_line()
        s.partition(s.B, dim=9)
    assert_located(info, line)


def test_get_loops_errors_name_the_line_that_asks():
    s = allo.customize(copy4)
    with pytest.raises(allo.LoopNotFoundError, match="function nowhere not found") as info:
        line = next_line()
        s.get_loops("nowhere")
    assert_located(info, line)
    loops = s.get_loops()
    with pytest.raises(allo.LoopNotFoundError, match="stage zz not found") as info:
        line = next_line()
        loops.zz  # noqa: B018
    assert_located(info, line)
    with pytest.raises(allo.LoopNotFoundError, match="loop zz not found") as info:
        line = next_line()
        loops.S_i_0["zz"]  # noqa: B018
    assert_located(info, line)
    assert getattr(loops, "zz", None) is None  # still an AttributeError


def test_a_wrong_primitive_call_is_a_filtered_type_error():
    s = allo.customize(copy4)
    with pytest.raises(TypeError, match="split\\(\\): missing a required argument") as info:
        s.split()
    assert library_frames(info.tb) == []


def test_a_failed_replay_names_the_compose_call():
    def inner(A: int32[4]) -> int32[4]:
        B: int32[4] = 0
        for i in range(4):
            B[i] = A[i] + 1
        return B

    def outer(A: int32[4]) -> int32[4]:
        return inner(A)

    sub = allo.customize(inner)
    sub.split("i", 2)
    top = allo.customize(outer)
    top.split("inner:i", 2)  # the replayed split then finds no loop i
    with pytest.raises(allo.ScheduleError, match="compose: replaying primitive") as info:
        line = next_line()
        top.compose(sub)
    assert_located(info, line)
    assert info.value.message.count("Line:") == 0


# --------------------------------------------------------------------------- build requests


def build_request_cases(tmp):
    """(expected class, message fragment, build call) with the call on one line each."""
    a_file = os.path.join(tmp, "a_file")
    with open(a_file, "w", encoding="utf-8") as f:
        f.write("x")
    s, k = allo.customize(copy4), allo.customize(kernel)
    device, key = {"device": "nope"}, {"colour": 1}
    return [
        (allo.BuildError, "Target nope is not supported", lambda: s.build(target="nope")),
        (allo.BuildError, "a target is a string", lambda: s.build(target=5)),
        (allo.BuildError, "Invalid mode 'fast'", lambda: s.build(target="vhls", mode="fast")),
        (allo.BuildError, "mode must be specified", lambda: s.build(target="vhls", project=tmp)),
        (allo.BuildError, "Unknown device", lambda: s.build("vitis_hls", "csyn", configs=device)),
        (allo.BuildError, "Unknown configuration key", lambda: s.build("vhls", configs=key)),
        (allo.BuildError, "configs must be a dict", lambda: s.build(target="vhls", configs=[1])),
        (allo.BuildError, "is an existing file", lambda: s.build("vhls", "csim", a_file)),
        (allo.BuildError, "reserved name", lambda: k.build(target="vitis_hls")),
    ]


def test_build_requests_name_the_build_call():
    with tempfile.TemporaryDirectory() as tmp:
        for cls, fragment, call in build_request_cases(tmp):
            with pytest.raises(cls, match=fragment) as info:
                call()
            assert_located(info, call.__code__.co_firstlineno)


def test_a_missing_tool_names_the_call_of_the_module(monkeypatch):
    monkeypatch.setenv("PATH", "")  # no vitis_hls
    for var in ("XILINX_HLS", "XILINX_VITIS", "XILINX_VIVADO"):
        monkeypatch.delenv(var, raising=False)
    with tempfile.TemporaryDirectory() as tmp:
        mod = allo.customize(copy4).build(target="vitis_hls", mode="csyn", project=tmp)
        with pytest.raises(allo.ToolNotFoundError, match="'vitis_hls' on PATH") as info:
            line = next_line()
            mod()
        assert_located(info, line)


def test_code_generation_only_module_names_the_call():
    mod = allo.customize(copy4).build(target="vhls")
    with pytest.raises(allo.BuildError, match="code generation only") as info:
        line = next_line()
        mod(np.zeros(4, np.int32))
    assert_located(info, line)


# --------------------------------------------------------------------------- build errors at ops


def test_an_hls_type_error_names_the_kernel_line():
    s = allo.customize(brain_float)
    with pytest.raises(allo.BuildError, match="bfloat16 is not supported") as info:
        s.build(target="vhls")
    assert_located(info, line_of(brain_float, "# BF16"))
    assert info.value.func_name == "brain_float"


def test_an_unsupported_op_on_the_cpu_names_its_mlir_location():
    line = next_line()
    text = f'''func.func @f(%a: i32) -> i32 {{
      %b = "allo.frobnicate"(%a) : (i32) -> i32 loc("{__file__}":{line}:7)
      return %b : i32
    }}'''
    with pytest.raises(allo.BuildError, match="cannot lower operation 'allo.frobnicate'") as info:
        allo.LLVMModule(text, "f")
    assert_located(info, line)


def test_an_unknown_type_tag_is_an_internal_error():
    from allo.analysis.memref_roots import signed_from_tags
    from allo.backend.llvm import invoke_mlir_parser
    from allo.mlir_utils import walk_ops
    m = invoke_mlir_parser('''func.func @f(%a: i8) -> i8 {
      %b = arith.addi %a, %a {allo.type = "int7"} : i8
      return %b : i8 }''')
    add = next(op for op in walk_ops(m) if op.name == "arith.addi")
    with m.context, pytest.raises(allo.InternalError, match="unknown type tag") as info:
        signed_from_tags(add)
    assert "please report" in str(info.value) and not info.value.user_error


def test_internal_errors_keep_every_frame():
    @public_entry
    def entry():
        raise allo.InternalError("an invariant broke")

    with pytest.raises(allo.InternalError) as info:
        entry()
    assert library_frames(info.tb)  # the wrapper's own frame: nothing was filtered
    assert info.value.loc is None


# --------------------------------------------------------------------------- call-time arguments


def llvm_call_cases():
    """(message fragment, call) for the numpy boundary of a CPU module; one line each."""
    m_add, m_copy = allo.customize(add_n).build(), allo.customize(copy4).build()
    m_fix, m_wide = allo.customize(fixed_sum).build(), allo.customize(wide).build()
    A = np.zeros(4, np.int32)
    frozen = np.zeros(4, np.int32)
    frozen.flags.writeable = False
    strided = np.zeros(8, np.int32)[::2]
    structured = np.zeros(4, dtype=[("a", np.int32)])
    return [
        ("expects 2 arguments", lambda: m_add(A)),
        ("expects 2 arguments", lambda: m_add(A, 1, 2)),
        ("positional arguments only", lambda: m_add(A, n=1)),
        ("must be a numpy array, got list", lambda: m_add([0, 0, 0, 0], 1)),
        ("must be a numpy array, got NoneType", lambda: m_add(None, 1)),
        ("has shape (3,)", lambda: m_add(np.zeros(3, np.int32), 1)),
        ("has shape (2, 2)", lambda: m_add(np.zeros((2, 2), np.int32), 1)),
        ("must be C-contiguous", lambda: m_add(strided, 1)),
        ("has dtype object", lambda: m_copy(np.array([1, 2, 3, "x"], dtype=object))),
        ("has dtype <U1", lambda: m_copy(np.array(["a", "b", "c", "d"]))),
        ("has dtype complex128", lambda: m_copy(np.zeros(4, np.complex128))),
        ("is read-only", lambda: m_add(frozen, 1)),
        ("expects a scalar, got an array", lambda: m_add(A, np.ones(2, np.int32))),
        ("expects a scalar number, got str", lambda: m_add(A, "1")),
        ("expects a scalar number, got NoneType", lambda: m_add(A, None)),
        ("would truncate", lambda: m_add(A, 1.5)),
        ("has no fixed-point value", lambda: m_fix(np.zeros(4), float("nan"))),
        ("contains NaN or infinity", lambda: m_fix(np.full(4, np.inf), 0.0)),
        ("is a structured array", lambda: m_copy(structured)),
        ("structured array of itemsize", lambda: m_wide(np.zeros(2, dtype=[("a", np.int8)]))),
        ("take integer or structured arrays", lambda: m_wide(np.zeros(2, np.float64))),
    ]


def test_every_argument_error_names_the_call_of_the_module():
    cases = llvm_call_cases()
    for fragment, call in cases:
        with pytest.raises(allo.ArgumentError) as info:
            call()
        assert fragment in info.value.message, (fragment, str(info.value))
        assert_located(info, call.__code__.co_firstlineno)
        assert isinstance(info.value, (TypeError, ValueError))


def test_argument_errors_show_library_frames_on_request(monkeypatch):
    mod = allo.customize(copy4).build()
    monkeypatch.setenv(FULL_TRACEBACK_ENV, "yes")
    with pytest.raises(allo.ArgumentError) as info:
        line = next_line()
        mod(np.zeros(3, np.int32))
    assert info.value.lineno == line
    files = {os.path.basename(f.filename) for f in library_frames(info.tb)}
    assert {"module.py", "numpy_boundary.py"} <= files


@pytest.mark.csim
def test_csim_argument_errors_name_the_call():
    from allo.backend.hls import is_available
    if not is_available("csim"):
        pytest.skip("C simulation needs g++ and the hls4ml headers")
    with tempfile.TemporaryDirectory() as tmp:
        mod = allo.customize(add_n).build(target="vhls", mode="csim", project=tmp)
        A = np.zeros(4, np.int32)
        cases = [
            ("expected 2", lambda: mod(A)),
            ("would truncate", lambda: mod(A, 1.5)),
            ("expected a scalar", lambda: mod(A, np.ones(3, np.int32))),
            ("expected a numpy array", lambda: mod([0, 0, 0, 0], 1)),
            ("C-contiguous", lambda: mod(np.zeros(8, np.int32)[::2], 1)),
            ("expected 4 elements", lambda: mod(np.zeros(5, np.int32), 1)),
        ]
        for fragment, call in cases:
            with pytest.raises(allo.ArgumentError, match=fragment) as info:
                call()
            assert_located(info, call.__code__.co_firstlineno)


@pytest.mark.csim
def test_a_compiler_error_in_emitted_code_names_the_kernel_line(monkeypatch):
    from allo.backend.hls import function as hls_function
    from allo.backend.hls import is_available
    if not is_available("csim"):
        pytest.skip("C simulation needs g++ and the hls4ml headers")
    emit_add = hls_function.HANDLERS["arith.addi"]

    def broken_add(fe, op):  # an emitter bug: C++ that does not compile
        fe.line("this_is_not_cpp;")
        emit_add(fe, op)

    monkeypatch.setitem(hls_function.HANDLERS, "arith.addi", broken_add)
    A = np.zeros(4, np.int32)
    with tempfile.TemporaryDirectory() as tmp:
        mod = allo.customize(add_n).build(target="vhls", mode="csim", project=tmp)
        with pytest.raises(allo.BuildError, match="this_is_not_cpp") as info:
            mod(A, 1)
        assert_located(info, line_of(add_n, "A[i] += n"))
        # an edited kernel.cpp no longer holds the emitted code: no kernel line is claimed,
        # the error names the call
        with open(os.path.join(tmp, "kernel.cpp"), "a", encoding="utf-8") as f:
            f.write("\n// edited\n")
        with pytest.raises(allo.BuildError, match="this_is_not_cpp") as info:
            line = next_line()
            mod(A, 1)
        assert_located(info, line)


# --------------------------------------------------------------------------- the filter itself


def test_filter_keeps_user_callbacks_and_drops_library_and_stdlib_frames():
    def user_callback():
        raise allo.ScheduleError("from a callback")

    @public_entry
    def entry():
        return sorted([2, 1], key=lambda _: user_callback())

    with pytest.raises(allo.ScheduleError) as info:
        line = next_line()
        entry()
    names = [f.name for f in traceback.extract_tb(info.tb)]
    assert names[0] == inspect.currentframe().f_code.co_name
    assert names[-2:] == ["<lambda>", "user_callback"]
    assert info.value.lineno == line  # located at the call into the library
    assert filter_traceback(None) is None


def test_a_chained_library_error_keeps_its_cause_hidden():
    @public_entry
    def entry():
        try:
            {}["missing"]
        except KeyError as err:
            raise allo.BuildError("lookup failed") from err

    with pytest.raises(allo.BuildError) as info:
        entry()
    err = info.value
    assert err.__cause__ is None and isinstance(err.__context__, KeyError)
    assert err.__suppress_context__
    assert "KeyError" not in "".join(traceback.format_exception(err))
