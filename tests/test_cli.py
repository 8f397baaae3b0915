"""The ``allo`` command: ``--version`` and ``doctor`` (what each backend finds, or how to get it)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from allo import cli

ROOT = Path(__file__).resolve().parent.parent


def fake_tool(directory: Path, name: str, output: str) -> Path:
    """An executable shell script ``name`` in ``directory`` printing ``output``."""
    path = directory / name
    path.write_text(f"#!/bin/sh\necho '{output}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def bare_machine(tmp_path, monkeypatch):
    """A PATH with no tools, no Xilinx environment and no ap_types headers."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    for var in cli.XILINX_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ALLO_AP_TYPES_DIR", str(tmp_path / "no_headers"))
    return empty


def by_name(checks):
    return {check.name: check for check in checks}


def test_version_from_python_m():
    done = subprocess.run([sys.executable, "-m", "allo", "--version"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"allo {cli.package_version()}"
    assert done.stdout.startswith("allo ")


def test_console_script_is_declared():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'allo = "allo.cli:main"' in text


def test_doctor_on_a_bare_machine_says_how_to_get_each_tool(bare_machine, capsys):
    checks = by_name(cli.run_checks())
    assert not checks["g++"].found and "apt install g++" in checks["g++"].detail
    headers = checks["ap_int/ap_fixed headers"]
    assert not headers.found and "ALLO_AP_TYPES_DIR" in headers.detail
    assert not checks["Graphviz dot"].found and "graphviz" in checks["Graphviz dot"].detail
    assert not checks["Vitis HLS"].found and "settings64.sh" in checks["Vitis HLS"].detail
    assert checks["torch-mlir (MLIR)"].found
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "[missing] g++" in out and "[missing] Vitis HLS" in out
    assert "C simulation: no" in out and "Vitis HLS: no" in out


def test_doctor_reports_where_tools_were_found(bare_machine, tmp_path, monkeypatch):
    gxx = fake_tool(bare_machine, "g++", "g++ (Fake) 99.1")
    dot = fake_tool(bare_machine, "dot", "dot - graphviz version 9.9")
    vitis = fake_tool(bare_machine, "vitis_hls", "vitis")
    headers = tmp_path / "ap_types"
    headers.mkdir()
    (headers / "ap_int.h").write_text("// header\n")
    monkeypatch.setenv("ALLO_AP_TYPES_DIR", str(headers))
    checks = by_name(cli.run_checks())
    assert checks["g++"].found and checks["g++"].detail == f"{gxx} (g++ (Fake) 99.1)"
    assert checks["Graphviz dot"].detail == f"{dot} (dot - graphviz version 9.9)"
    assert checks["ap_int/ap_fixed headers"].detail == str(headers)
    assert checks["Vitis HLS"].found and checks["Vitis HLS"].detail == str(vitis)
    assert "C simulation: yes" in cli.summary_line(checks.values())


def test_doctor_finds_vitis_through_xilinx_environment(bare_machine, tmp_path, monkeypatch):
    root = tmp_path / "Vitis_HLS" / "2024.1"
    (root / "bin").mkdir(parents=True)
    tool = fake_tool(root / "bin", "vitis_hls", "vitis")
    monkeypatch.setenv("XILINX_HLS", str(root))
    check = cli.check_vitis_hls()
    assert check.found and check.detail == f"{tool} (from XILINX_HLS)"


def test_doctor_reports_pytorch_either_way():
    check = cli.check_torch()
    try:
        import importlib.util
        has_torch = importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        has_torch = False
    assert check.found == has_torch
    if has_torch:
        assert " at " in check.detail
    else:
        assert 'pip install "allo[torch]"' in check.detail


def test_doctor_subprocess_exits_zero():
    env = dict(os.environ)
    done = subprocess.run([sys.executable, "-m", "allo", "doctor"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    for name in ("g++", "ap_int/ap_fixed headers", "Graphviz dot", "Vitis HLS", "PyTorch"):
        assert name in done.stdout


def test_no_command_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    assert "doctor" in capsys.readouterr().out


def test_doctor_names_a_xilinx_variable_without_tools(bare_machine, tmp_path, monkeypatch):
    monkeypatch.setenv("XILINX_VITIS", str(tmp_path / "Vitis"))
    check = cli.check_vitis_hls()
    assert not check.found
    assert f"XILINX_VITIS={tmp_path / 'Vitis'} but no bin/vitis_hls" in check.detail
