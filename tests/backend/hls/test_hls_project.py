"""HLS projects (backends.md §1.2–§1.3, §4): files, scripts, modes, tool errors, determinism."""

import os
import re
import shutil
import stat

import numpy as np
import pytest

import allo
from allo import cli
from allo.backend.hls.toolchain import XILINX_ENV_VARS, find_vendor_tool, vendor_tool_locations
from allo.ir.types import int32

from fake_tools import install_tools
from helpers import check_csim


def vadd(A: int32[4, 5], B: int32[4, 5]) -> int32[4, 5]:
    C: int32[4, 5]
    for i, j in allo.grid(4, 5):
        C[i, j] = A[i, j] + B[i, j]
    return C


def inner2d(X: int32[4, 5]):
    for i, j in allo.grid(4, 5):
        X[i, j] += 1


def passes2d(X: int32[4, 5]):
    inner2d(X)


def kernel(A: int32[4]) -> int32[4]:
    return A


VITIS_FILES = {"kernel.cpp", "kernel.h", "host.cpp", "host_utils.h", "run.tcl", "Makefile",
               "utils.mk", "makefile_us_alveo.mk", "makefile_versal_alveo.mk",
               "makefile_zynqmp.mk", "xrt.ini", "description.json", "hls.cfg", "hls_pre.tcl"}


def _read(project, name):
    with open(os.path.join(project, name), encoding="utf-8") as f:
        return f.read()


@pytest.mark.parametrize("mode", ["csim", "csyn", "sw_emu", "hw_emu", "hw"])
def test_every_vitis_mode_builds_without_vitis(tmp_path, mode):
    project = str(tmp_path / f"{mode}.prj")
    mod = allo.customize(vadd).build(target="vitis_hls", mode=mode, project=project)
    assert VITIS_FILES <= set(os.listdir(project))
    assert _read(project, "kernel.cpp") == mod.hls_code
    assert repr(mod) == f"HLSModule(vadd, {mode}, {project})"
    tcl = _read(project, "run.tcl")
    assert "Copyright Allo authors" in "\n".join(tcl.splitlines()[:6])
    assert "set_top vadd" in tcl and "set_part {xcu280-fsvh2892-2L-e}" in tcl
    assert "create_clock -period 3.33" in tcl
    step = {"csim": "csim_design -O", "csyn": "csynth_design", "sw_emu": "csim_design -O",
            "hw_emu": "cosim_design", "hw": "export_design -flow impl"}[mode]
    assert step in tcl
    assert "create_clock -period 3.3333 -name default" in _read(project, "hls_pre.tcl")
    assert "--kernel_frequency 300" in _read(project, "description.json")
    header = _read(project, "kernel.h")
    assert "#ifndef KERNEL_H" in header and 'extern "C"' in header and "int32_t *v0" in header


@pytest.fixture
def no_vendor_tools(tmp_path, monkeypatch):
    """A PATH holding only an empty directory (returned) and no Xilinx installation roots."""
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    for var in XILINX_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    return empty


def fake_vendor_tool(directory, name: str, label: str):
    """An executable ``name`` in ``directory`` that records ``label`` and its arguments in
    ``ran.txt`` of its working directory."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f'#!/bin/sh\necho "{label} $@" >> ran.txt\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def test_csyn_without_vitis_names_the_tool(tmp_path, no_vendor_tools):
    project = str(tmp_path / "p")
    mod = allo.customize(vadd).build(target="vitis_hls", mode="csyn", project=project)
    with pytest.raises(allo.ToolNotFoundError) as info:
        mod()
    msg = str(info.value)
    assert ("vitis_hls mode 'csyn' needs 'vitis_hls' on PATH or in $XILINX_HLS/bin, "
            "$XILINX_VITIS/bin, $XILINX_VIVADO/bin, which was not found") in msg
    assert os.path.abspath(project) in msg


@pytest.mark.parametrize("var", ["XILINX_HLS", "XILINX_VITIS"])
def test_csyn_runs_vitis_hls_of_a_xilinx_root(tmp_path, no_vendor_tools, monkeypatch, var):
    root = tmp_path / "Xilinx" / "2024.1"
    tool = fake_vendor_tool(root / "bin", "vitis_hls", "from-root")
    monkeypatch.setenv(var, str(root))
    assert find_vendor_tool("vitis_hls") == str(tool)
    assert allo.backend.hls.is_available("vitis_hls")
    project = str(tmp_path / "p")
    allo.customize(vadd).build(target="vitis_hls", mode="csyn", project=project)()
    assert _read(project, "ran.txt") == "from-root -f run.tcl\n"
    # The doctor reports the very tool the build ran.
    assert cli.check_vitis_hls().detail == f"{tool} (from {var})"


def test_vendor_tool_on_path_comes_before_xilinx_roots(tmp_path, no_vendor_tools, monkeypatch):
    on_path = fake_vendor_tool(no_vendor_tools, "vivado_hls", "on-path")
    root = tmp_path / "Vivado"
    in_root = fake_vendor_tool(root / "bin", "vivado_hls", "from-root")
    monkeypatch.setenv("XILINX_VIVADO", str(root))
    assert [loc.path for loc in vendor_tool_locations("vivado_hls")] == [str(on_path),
                                                                          str(in_root)]
    project = str(tmp_path / "p")
    allo.customize(vadd).build(target="vhls", mode="cosim", project=project)()
    assert _read(project, "ran.txt") == "on-path -f run.tcl\n"
    assert cli.check_vitis_hls().detail == f"{on_path}; {in_root} (from XILINX_VIVADO)"


def test_xilinx_root_without_the_tool_is_not_a_match(tmp_path, no_vendor_tools, monkeypatch):
    root = tmp_path / "Vitis"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "vitis_hls").write_text("not executable\n")
    monkeypatch.setenv("XILINX_VITIS", str(root))
    assert find_vendor_tool("vitis_hls") is None
    assert not allo.backend.hls.is_available("vitis_hls")


@pytest.mark.skipif(shutil.which("v++") is not None, reason="Vitis is installed")
def test_hw_emu_without_vitis_names_the_tool(tmp_path):
    project = str(tmp_path / "p")
    mod = allo.customize(vadd).build(target="vitis_hls", mode="hw_emu", project=project)
    A = np.zeros((4, 5), np.int32)
    with pytest.raises(allo.ToolNotFoundError, match=r"'v\+\+' on PATH and the XDEVICE"):
        mod(A, A, A.copy())


def test_hw_emu_run_writes_inputs_runs_make_and_reads_the_output(tmp_path, monkeypatch):
    install_tools(tmp_path, monkeypatch, ["output.data"], "v++")
    monkeypatch.setenv("XDEVICE", "/opt/platforms/xilinx_u280/xilinx_u280.xpfm")
    project = str(tmp_path / "p")
    mod = allo.customize(vadd).build(target="vitis_hls", mode="hw_emu", project=project)
    A = np.arange(20, dtype=np.int32).reshape(4, 5)
    C = np.zeros((4, 5), np.int32)
    mod(A, A, C)
    np.testing.assert_array_equal(C, 2 * A)
    with open(os.path.join(project, "make_args.txt")) as log:
        assert log.read() == "run TARGET=hw_emu PLATFORM=/opt/platforms/xilinx_u280/xilinx_u280.xpfm"


def test_vhls_project_files_and_steps(tmp_path):
    project = str(tmp_path / "v.prj")
    allo.customize(vadd).build(target="vhls", mode="csim|csynth", project=project,
                               configs={"device": "zedboard", "frequency": 125})
    assert {"kernel.cpp", "run.tcl", "Makefile"} <= set(os.listdir(project))
    tcl = _read(project, "run.tcl")
    lines = tcl.splitlines()
    order = ["set hls_prj out.prj", "open_project ${hls_prj} -reset",
             "open_solution -reset solution1 -flow_target vivado", "set_top vadd",
             "# Add design and testbench files", "add_files kernel.cpp",
             'add_files -tb host.cpp -cflags "-std=gnu++0x"', 'open_solution "solution1"',
             "set_part {xc7z020clg484-1}", "create_clock -period 8.00", "csim_design -O",
             "csynth_design", "exit"]
    positions = [lines.index(x) for x in order]
    assert positions == sorted(positions)
    make = _read(project, "Makefile")
    for target in ("csim:", "vivado_hls:", "vitis_hls:", "clean:"):
        assert target in make


def test_embedded_devices_export_an_ip(tmp_path):
    project = str(tmp_path / "p")
    allo.customize(vadd).build(target="vhls", mode="impl", project=project,
                               configs={"device": "pynqz2"})
    assert "export_design -rtl verilog -format ip_catalog" in _read(project, "run.tcl")


def test_hbm_mapping_writes_cfg_and_makefile_flag(tmp_path):
    project = str(tmp_path / "p")
    allo.customize(vadd).build(target="vitis_hls", mode="hw", project=project,
                               configs={"hbm_mapping": {"A": 2, "output_0": "DDR[1]"}})
    cfg = _read(project, "vadd.cfg")
    assert "[connectivity]" in cfg
    assert "sp=vadd_1.v0:HBM[2]" in cfg and "sp=vadd_1.v2:DDR[1]" in cfg
    assert "VPP_LDFLAGS := --config vadd.cfg" in _read(project, "makefile_us_alveo.mk")


def test_mode_and_configuration_errors(tmp_path):
    s = allo.customize(vadd)
    with pytest.raises(allo.BuildError, match="mode must be specified when project is specified"):
        s.build(target="vhls", project=str(tmp_path / "x"))
    with pytest.raises(allo.BuildError, match="Invalid mode 'sw_emu' for target"):
        s.build(target="vhls", mode="sw_emu")
    with pytest.raises(allo.BuildError, match="Invalid mode 'impl' for target 'vitis_hls'"):
        s.build(target="vitis_hls", mode="impl")
    with pytest.raises(allo.BuildError, match="u280"):
        s.build(target="vhls", mode="csim", configs={"device": "nope"})
    with pytest.raises(allo.BuildError, match="Target foo is not supported"):
        s.build(target="foo")
    with pytest.raises(allo.BuildError, match="reserved"):
        allo.customize(kernel).build(target="vitis_hls")
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("kwargs, message", [
    ({"target": "vhls", "configs": ["device", "u280"]},
     "configs must be a dict of configuration keys (device, frequency, ...), got list"),
    ({"target": "vitis_hls", "mode": "csim", "configs": "u280"},
     "configs must be a dict of configuration keys (device, frequency, ...), got str 'u280'"),
    ({"target": "vhls", "mode": "csim", "project": 123},
     "project must be a directory path (str or os.PathLike), got int 123"),
    ({"target": ["vhls"]}, "Target ['vhls'] is not supported"),
])
def test_bad_build_arguments_are_build_errors(kwargs, message):
    with pytest.raises(allo.BuildError) as info:
        allo.customize(vadd).build(**kwargs)
    assert message in str(info.value)


def test_project_naming_a_file_is_a_build_error(tmp_path):
    existing = tmp_path / "kernel.prj"
    existing.write_text("not a directory")
    s = allo.customize(vadd)
    with pytest.raises(allo.BuildError, match=re.escape(
            f"project '{existing}' is an existing file, not a directory")):
        s.build(target="vhls", mode="csim", project=str(existing))
    with pytest.raises(allo.BuildError, match=re.escape(f"'{existing}' is a file, not a directory")):
        s.build(target="vitis_hls", mode="csim", project=existing / "sub" / "deeper")
    assert existing.read_text() == "not a directory"
    # a path object naming a fresh directory is fine
    mod = s.build(target="vhls", mode="csim", project=tmp_path / "ok.prj")
    assert mod.project == str(tmp_path / "ok.prj") and (tmp_path / "ok.prj" / "kernel.cpp").exists()


def test_project_that_cannot_be_written_is_a_build_error(tmp_path):
    project = tmp_path / "p"
    (project / "kernel.cpp").mkdir(parents=True)  # a directory where a file must go
    with pytest.raises(allo.BuildError, match="cannot write the project directory .*kernel.cpp"):
        allo.customize(vadd).build(target="vhls", mode="csim", project=project)


def writes_then_reads(O: int32[4], I: int32[4]):
    for i in range(4):
        O[i] = I[i] * 2


def test_outputs_must_come_last_for_emulation(tmp_path):
    s = allo.customize(writes_then_reads)
    with pytest.raises(allo.BuildError, match="Output arguments must appear at the end."):
        s.build(target="vitis_hls", mode="sw_emu", project=str(tmp_path / "a"))
    s.build(target="vitis_hls", mode="csim", project=str(tmp_path / "b"))
    s.build(target="vitis_hls", mode="sw_emu", project=str(tmp_path / "c"),
            configs={"num_output_args": 1})


def test_mode_without_project_uses_a_temporary_directory():
    mod = allo.customize(vadd).build(target="vhls", mode="csim")
    assert mod.project and os.path.isdir(mod.project)
    assert os.path.isfile(os.path.join(mod.project, "kernel.cpp"))
    shutil.rmtree(mod.project)


def _snapshot(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            path = os.path.join(dirpath, f)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root)] = fh.read()
    return out


@pytest.mark.csim
def test_nothing_written_outside_the_project_and_deterministic(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("ALLO_CACHE_DIR", raising=False)  # default: caches inside the project
    s = allo.customize(vadd)
    mod = s.build(target="vitis_hls", mode="csim", project="a.prj")
    A = np.arange(20, dtype=np.int32).reshape(4, 5)
    if allo.backend.hls.is_available("csim"):
        out = np.zeros((4, 5), np.int32)
        mod(A, A, out)
        np.testing.assert_array_equal(out, 2 * A)
    s.build(target="vitis_hls", mode="csim", project="b.prj")
    assert sorted(os.listdir(work)) == ["a.prj", "b.prj"]
    a = {k: v for k, v in _snapshot(work / "a.prj").items() if not k.startswith("csim")}
    b = _snapshot(work / "b.prj")
    assert a == b
    assert mod.project == str(work / "a.prj")
    assert sorted(os.listdir(tmp_path)) == ["work"]


def test_rebuild_keeps_other_files(tmp_path):
    project = tmp_path / "p"
    allo.customize(vadd).build(target="vhls", mode="csim", project=str(project))
    (project / "notes.txt").write_text("mine")
    allo.customize(vadd).build(target="vhls", mode="csim", project=str(project))
    assert (project / "notes.txt").read_text() == "mine"


def test_vitis_without_wrap_io_linearizes_top_arrays():
    code = allo.customize(vadd).build(target="vitis_hls", wrap_io=False).hls_code
    assert "int32_t *v0" in code and "int32_t *v2" in code
    assert "v0[(i) * 5 + (j)]" in code
    assert "#pragma HLS interface m_axi port=v2 offset=slave bundle=gmem2" in code
    with pytest.raises(allo.BuildError, match="wrap_io"):
        allo.customize(passes2d).build(target="vitis_hls", wrap_io=False)
    # with wrap_io the same design is fine
    assert "load_buf0(v0, buf0);" in allo.customize(passes2d).build(target="vitis_hls").hls_code


@pytest.mark.csim
def test_vitis_csim_with_and_without_wrap_io():
    A = np.arange(20, dtype=np.int32).reshape(4, 5)
    B = (A * 7) % 5
    check_csim(allo.customize(vadd), A, B, target="vitis_hls")
    check_csim(allo.customize(vadd), A, B, target="vitis_hls", wrap_io=False)
    X = A.copy()
    check_csim(allo.customize(passes2d), X, target="vitis_hls")


@pytest.mark.csim
def test_csim_argument_errors():
    mod = allo.customize(vadd).build(target="vhls", mode="csim")
    A = np.zeros((4, 5), np.int32)
    with pytest.raises(allo.ArgumentError, match=r"expected 3 arguments \(inputs then outputs\) "
                                                 r"or 2 \(inputs only; results returned\), got 1"):
        mod(A)
    np.testing.assert_array_equal(mod(A + 1, A + 2), np.full((4, 5), 3))  # the CPU convention
    with pytest.raises(allo.ArgumentError, match="np.asarray"):
        mod(A.tolist(), A, A)
    with pytest.raises(allo.ArgumentError, match="elements"):
        mod(np.zeros(7, np.int32), A, A)
    flat_out = np.zeros(20, np.int32)
    mod(np.ones((4, 5), np.int32), np.ones(20, np.int32), flat_out)
    np.testing.assert_array_equal(flat_out, 2)


def divide(A: int32[4], B: int32[4]) -> int32[4]:
    C: int32[4]
    for i in range(4):
        C[i] = A[i] / B[i]
    return C


@pytest.mark.csim
def test_compile_errors_and_crashes(tmp_path):
    if not allo.backend.hls.is_available("csim"):
        pytest.skip("needs g++ and the hls4ml headers")
    project = tmp_path / "p"
    mod = allo.customize(divide).build(target="vhls", mode="csim", project=str(project))
    A = np.array([7, -7, 9, 1], np.int32)
    out = np.zeros(4, np.int32)
    mod(A, np.array([2, 2, 3, 1], np.int32), out)
    np.testing.assert_array_equal(out, [3, -3, 3, 1])
    # a crash of the simulated program never takes Python down
    with pytest.raises(allo.SimulationError, match="failed with signal"):
        mod(A, np.array([2, 0, 3, 1], np.int32), out)
    mod(A, np.array([1, 1, 1, 1], np.int32), out)  # the next call starts a fresh process
    np.testing.assert_array_equal(out, A)
    # g++ diagnostics and the file's path are reported
    bad = allo.customize(divide).build(target="vhls", mode="csim", project=str(tmp_path / "q"))
    kernel_cpp = tmp_path / "q" / "kernel.cpp"
    kernel_cpp.write_text(kernel_cpp.read_text() + "\nthis is not C++;\n")
    with pytest.raises(allo.BuildError) as info:
        bad(A, A, out)
    assert str(kernel_cpp) in str(info.value) and "error" in str(info.value)


def test_missing_toolchain_is_a_tool_not_found_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ALLO_AP_TYPES_DIR", str(tmp_path / "no_headers"))
    mod = allo.customize(divide).build(target="vhls", mode="csim", project=str(tmp_path / "p"))
    with pytest.raises(allo.ToolNotFoundError) as info:
        mod(np.ones(4, np.int32), np.ones(4, np.int32), np.zeros(4, np.int32))
    assert "vivado_hls mode 'csim' needs the Python package 'hls4ml' (pip install \"allo[hls]\")" \
        in str(info.value)
    assert not allo.backend.hls.is_available("csim")


def scaled(A: int32[4, 5], k: int32) -> int32[4, 5]:
    B: int32[4, 5]
    for i, j in allo.grid(4, 5):
        B[i, j] = A[i, j] * k
    return B


@pytest.mark.parametrize("mode", ["csim", "impl"])
def test_pynq_project(tmp_path, mode):
    project = str(tmp_path / "p")
    mod = allo.customize(scaled).build(target="pynq", mode=mode, project=project,
                                       configs={"device": "pynqz2"})
    assert {"kernel.cpp", "kernel.h", "run.tcl", "block_design.tcl"} <= set(os.listdir(project))
    code = mod.hls_code
    assert "#pragma HLS interface m_axi port=v0 offset=slave bundle=gmem0" in code
    assert "#pragma HLS interface s_axilite port=v0 bundle=control" in code
    assert "#pragma HLS interface s_axilite port=v1 bundle=control" in code
    if mode == "csim" and allo.backend.hls.is_available("csim"):
        A = np.arange(20, dtype=np.int32).reshape(4, 5)
        out = np.zeros((4, 5), np.int32)
        mod(A, 3, out)
        np.testing.assert_array_equal(out, 3 * A)


def union(this: int32[4], new: int32) -> int32[4]:
    auto: int32[4] = 0
    for template in range(4):
        auto[template] = this[template] + new
    return auto


@pytest.mark.csim
def test_cpp_keywords_as_names_in_a_vitis_project(tmp_path):
    s = allo.customize(union)
    mod = s.build(target="vitis_hls", mode="csim", project=str(tmp_path / "kw.prj"))
    assert "void union_(" in mod.hls_code and "template_" in mod.hls_code
    host = (tmp_path / "kw.prj" / "host.cpp").read_text()
    assert 'xrt::kernel(device, uuid, "union_")' in host
    if allo.backend.hls.is_available("csim"):
        out = np.zeros(4, np.int32)
        mod(np.arange(4, dtype=np.int32), 5, out)
        np.testing.assert_array_equal(out, np.arange(4) + 5)


def in_place(A: int32[5]):
    for i in range(5):
        A[i] = A[i] + 7


def count(A: int32[5]):
    in_place(A)


@pytest.mark.csim
@pytest.mark.parametrize("target", ["vhls", "vitis_hls"])
def test_functions_named_like_std_entities(tmp_path, target):
    # the generated code says ``using namespace std``: a function called ``in_place`` or
    # ``count`` would make its calls ambiguous, so such functions get a ``_`` suffix; the
    # top keeps its name (it is only called qualified, ``::count``)
    s = allo.customize(count)
    code = str(s.build(target="vhls"))
    assert "void in_place_(" in code and "void count(" in code
    if allo.backend.hls.is_available("csim"):
        A = np.arange(5, dtype=np.int32)
        expected = A.copy()
        s.build()(expected)
        mod = s.build(target=target, mode="csim", project=str(tmp_path / "std.prj"))
        mod(A)
        np.testing.assert_array_equal(A, expected)
        np.testing.assert_array_equal(A, np.arange(5) + 7)
