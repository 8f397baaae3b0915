"""The ``allo`` command: ``allo --version`` and ``allo doctor``.

``allo doctor`` reports, for each backend, whether the tools it needs are on this machine:
where each one was found, or how to get it. It never fails because a tool is missing (the
CPU backend needs nothing outside the package); it only reports.

>>> report = format_report(run_checks())
>>> "g++" in report and "PyTorch" in report
True
>>> main(["--version"]) == 0  # doctest: +ELLIPSIS
allo ...
True
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Sequence

from .backend.hls.toolchain import XILINX_ENV_VARS, ap_types_dir, gxx, vendor_tool_locations

VITIS_TOOLS = ("vitis_hls", "vivado_hls")


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report.

    ``name`` is what was looked for, ``needed_for`` the feature that needs it, ``found``
    whether it is there and ``detail`` where it was found or how to get it.

    >>> Check("g++", "C simulation", True, "/usr/bin/g++").status
    'ok'
    """

    name: str
    needed_for: str
    found: bool
    detail: str

    @property
    def status(self) -> str:
        """``"ok"`` when found, else ``"missing"``."""
        return "ok" if self.found else "missing"


def package_version() -> str:
    """The installed version of the ``allo`` distribution (``"unknown"`` when run from a
    source tree that was never installed).

    >>> isinstance(package_version(), str)
    True
    """
    try:
        return importlib.metadata.version("allo")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _first_line_of(command: list[str]) -> str:
    """The first output line of ``command`` (``""`` when it cannot run)."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].strip() if lines else ""


def check_gxx() -> Check:
    """Whether ``g++`` (the compiler C simulation uses) is on ``PATH``.

    >>> check_gxx().needed_for
    'C simulation (mode="csim")'
    """
    path = gxx()  # the compiler C simulation itself would use
    if path is None:
        return Check("g++", 'C simulation (mode="csim")', False,
                     "not on PATH; install a C++17 compiler (Debian/Ubuntu: apt install g++)")
    version = _first_line_of([path, "--version"])
    return Check("g++", 'C simulation (mode="csim")', True,
                 f"{path} ({version})" if version else path)


def check_ap_headers() -> Check:
    """Whether the ``ap_int.h``/``ap_fixed.h`` headers C simulation compiles against exist.

    >>> check_ap_headers().name
    'ap_int/ap_fixed headers'
    """
    found = ap_types_dir()
    name, needed = "ap_int/ap_fixed headers", 'C simulation (mode="csim")'
    if found is None:
        hint = ('not found; pip install "allo[hls]" (they ship with the hls4ml package), '
                "or point ALLO_AP_TYPES_DIR at a directory holding ap_int.h")
        if os.environ.get("ALLO_AP_TYPES_DIR"):
            hint = (f"ALLO_AP_TYPES_DIR={os.environ['ALLO_AP_TYPES_DIR']} holds no ap_int.h; "
                    "fix it or unset it and pip install \"allo[hls]\"")
        return Check(name, needed, False, hint)
    return Check(name, needed, True, found)


def check_graphviz() -> Check:
    """Whether Graphviz ``dot`` (used to render dataflow graphs to SVG/PNG) is on ``PATH``.

    >>> check_graphviz().name
    'Graphviz dot'
    """
    path = shutil.which("dot")
    needed = "rendering dataflow graphs (DataflowGraph.render)"
    if path is None:
        return Check("Graphviz dot", needed, False,
                     "not on PATH; install Graphviz (Debian/Ubuntu: apt install graphviz); "
                     "to_dot() text works without it")
    version = _first_line_of([path, "-V"])
    return Check("Graphviz dot", needed, True, f"{path} ({version})" if version else path)


def _vitis_tool_locations() -> list[str]:
    """Every ``vitis_hls``/``vivado_hls`` on ``PATH`` or under a ``XILINX_*`` root, those on
    ``PATH`` first (the lookup the builds use, ``toolchain.vendor_tool_locations``)."""
    found = [loc for tool in VITIS_TOOLS for loc in vendor_tool_locations(tool)]
    found.sort(key=lambda loc: loc.env_var is not None)
    return [loc.describe() for loc in found]


def check_vitis_hls() -> Check:
    """Whether Vitis HLS (or Vivado HLS) can run synthesis, co-simulation and emulation.

    >>> check_vitis_hls().name
    'Vitis HLS'
    """
    found = _vitis_tool_locations()
    needed = 'synthesis and emulation (mode="csyn", "cosim", "hw_emu", ...)'
    if not found:
        set_vars = [f"{var}={os.environ[var]}" for var in XILINX_ENV_VARS if os.environ.get(var)]
        where = (f"{', '.join(set_vars)} but no bin/vitis_hls or bin/vivado_hls there"
                 if set_vars else "no XILINX_HLS/XILINX_VITIS set")
        return Check("Vitis HLS", needed, False,
                     f"vitis_hls/vivado_hls not on PATH and {where}; "
                     "install AMD Vitis and `source <install>/settings64.sh` "
                     "(code generation and C simulation work without it)")
    return Check("Vitis HLS", needed, True, "; ".join(found))


def check_torch() -> Check:
    """Whether PyTorch (needed by ``allo.frontend.from_pytorch``) is importable.

    Looked up without importing it (importing torch takes seconds).

    >>> check_torch().name
    'PyTorch'
    """
    needed = "the PyTorch frontend (allo.frontend.from_pytorch)"
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return Check("PyTorch", needed, False,
                     'not installed; pip install "allo[torch]" (a CPU-only build is enough)')
    try:
        version = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown version"
    where = os.path.dirname(spec.origin) if spec.origin else "installed"
    return Check("PyTorch", needed, True, f"{version} at {where}")


def check_mlir() -> Check:
    """Whether the MLIR provider the compiler is built on (``torch-mlir``) is installed.

    >>> check_mlir().found
    True
    """
    needed = "every build: the IR and the CPU backend"
    try:
        version = importlib.metadata.version("torch-mlir")
    except importlib.metadata.PackageNotFoundError:
        return Check("torch-mlir (MLIR)", needed, False, "not installed; pip install allo")
    return Check("torch-mlir (MLIR)", needed, True, f"version {version}")


def run_checks() -> list[Check]:
    """Every check of ``allo doctor``, in report order.

    >>> names = [check.name for check in run_checks()]
    >>> names.index("g++") < names.index("PyTorch")
    True
    """
    return [check_mlir(), check_gxx(), check_ap_headers(), check_graphviz(),
            check_vitis_hls(), check_torch()]


def format_report(checks: Sequence[Check]) -> str:
    """The doctor's report for ``checks``: one block per check (status, what needs it,
    where it was found or how to get it).

    >>> print(format_report([Check("dot", "graphs", False, "apt install graphviz")]))
    [missing] dot  (needed for graphs)
              apt install graphviz
    """
    lines = []
    for check in checks:
        lines.append(f"[{check.status}] {check.name}  (needed for {check.needed_for})")
        lines.append(" " * (len(check.status) + 3) + check.detail)
    return "\n".join(lines)


def summary_line(checks: Sequence[Check]) -> str:
    """Which backends are usable, from the checks.

    >>> summary_line([Check("g++", "c", True, ""), Check("ap_int/ap_fixed headers", "c", False, "")])
    'CPU: yes · HLS C++ code: yes · C simulation: no · Vitis HLS: no · PyTorch: no'
    """
    found = {check.name: check.found for check in checks}
    yes = {True: "yes", False: "no"}
    csim = found.get("g++", False) and found.get("ap_int/ap_fixed headers", False)
    return " · ".join([
        f"CPU: {yes[found.get('torch-mlir (MLIR)', True)]}",
        f"HLS C++ code: {yes[found.get('torch-mlir (MLIR)', True)]}",
        f"C simulation: {yes[csim]}",
        f"Vitis HLS: {yes[found.get('Vitis HLS', False)]}",
        f"PyTorch: {yes[found.get('PyTorch', False)]}",
    ])


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``allo`` command.

    >>> build_parser().parse_args(["doctor"]).command
    'doctor'
    """
    parser = argparse.ArgumentParser(
        prog="allo", description="Allo accelerator design language: tools and diagnostics.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("doctor", help="report which backends' tools this machine has")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``allo`` command with ``argv`` (default: the process arguments); returns the
    exit status.

    >>> main(["doctor"])  # doctest: +ELLIPSIS
    allo ...
    [ok] torch-mlir (MLIR)...
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        print(f"allo {package_version()}")
        return 0
    if args.command == "doctor":
        checks = run_checks()
        print(f"allo {package_version()}")
        print(format_report(checks))
        print(summary_line(checks))
        return 0
    parser.print_help()
    return 2
