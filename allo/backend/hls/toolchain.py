"""Where the tools and headers C simulation needs live, and which vendor tools exist.

The open-source ``ap_int.h``/``ap_fixed.h`` come from the installed ``hls4ml`` package
(``<hls4ml>/templates/vivado/ap_types``), found without importing it; the environment
variable ``ALLO_AP_TYPES_DIR`` overrides the location. Our shim headers (``hls_stream.h``,
``hls_math.h``, ``hls_vector.h``, ``ap_axi_sdata.h``, ``hls_half.h``) sit in ``include/``
beside this file and are searched first.

Vendor tools (``vitis_hls``, ``vivado_hls``, ``v++``) are looked up on ``PATH`` first, then in
the ``bin/`` of each installation root a Vitis/Vivado ``settings64.sh`` exports
(``$XILINX_HLS``, ``$XILINX_VITIS``, ``$XILINX_VIVADO``); ``allo doctor`` and the builds share
that one lookup, so a tool the doctor reports is a tool the build runs.

>>> isinstance(is_available("vitis_hls"), bool)
True
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass

from ...errors import ToolNotFoundError

SHIM_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "include")
HLS4ML_REQUIREMENT = "the Python package 'hls4ml' (pip install \"allo[hls]\")"


#: Environment variables a Vitis/Vivado installation sets, each the root of an installation
#: whose ``bin/`` holds the tools; searched in this order after ``PATH``.
XILINX_ENV_VARS = ("XILINX_HLS", "XILINX_VITIS", "XILINX_VIVADO")


@dataclass(frozen=True)
class ToolLocation:
    """Where a vendor tool was found: its ``path`` and the environment variable whose
    installation root held it (``None`` when it was found on ``PATH``).

    >>> ToolLocation("/opt/Xilinx/bin/vitis_hls", "XILINX_HLS").describe()
    '/opt/Xilinx/bin/vitis_hls (from XILINX_HLS)'
    """

    path: str
    env_var: str | None = None

    def describe(self) -> str:
        """The path, naming the environment variable it came from, if any."""
        return self.path if self.env_var is None else f"{self.path} (from {self.env_var})"


def vendor_tool_locations(tool: str) -> list[ToolLocation]:
    """Every executable ``tool`` found: on ``PATH`` first, then in ``$XILINX_HLS/bin``,
    ``$XILINX_VITIS/bin`` and ``$XILINX_VIVADO/bin``, without repeats.

    >>> all(loc.path.endswith("vitis_hls") for loc in vendor_tool_locations("vitis_hls"))
    True
    """
    found: list[ToolLocation] = []
    on_path = shutil.which(tool)
    if on_path is not None:
        found.append(ToolLocation(on_path))
    for var in XILINX_ENV_VARS:
        root = os.environ.get(var)
        if not root:
            continue
        cand = shutil.which(tool, path=os.path.join(root, "bin"))
        if cand is not None and all(os.path.realpath(cand) != os.path.realpath(loc.path)
                                    for loc in found):
            found.append(ToolLocation(cand, var))
    return found


def find_vendor_tool(tool: str) -> str | None:
    """Path of the vendor tool ``tool`` the builds run (the first of
    ``vendor_tool_locations``), or ``None``.

    >>> find_vendor_tool("no_such_vendor_tool") is None
    True
    """
    locations = vendor_tool_locations(tool)
    return locations[0].path if locations else None


def vendor_requirement(tool: str) -> str:
    """How a ``ToolNotFoundError`` names where ``tool`` was looked for.

    >>> vendor_requirement("vitis_hls")
    "'vitis_hls' on PATH or in $XILINX_HLS/bin, $XILINX_VITIS/bin, $XILINX_VIVADO/bin"
    """
    roots = ", ".join(f"${var}/bin" for var in XILINX_ENV_VARS)
    return f"'{tool}' on PATH or in {roots}"


def tool_not_found(target: str, mode: str, requirement: str, project: str | None):
    """The ``ToolNotFoundError`` of ``backends.md`` §0.1, naming the project directory."""
    where = os.path.abspath(project) if project else "(no project was written)"
    return ToolNotFoundError(f"{target} mode '{mode}' needs {requirement}, which was not found; "
                             f"the generated project is in {where}")


def ap_types_dir() -> str | None:
    """The directory holding ``ap_int.h``/``ap_fixed.h``, or ``None``."""
    override = os.environ.get("ALLO_AP_TYPES_DIR")
    if override:
        return override if os.path.isfile(os.path.join(override, "ap_int.h")) else None
    try:
        spec = importlib.util.find_spec("hls4ml")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        cand = os.path.join(root, "templates", "vivado", "ap_types")
        if os.path.isfile(os.path.join(cand, "ap_int.h")):
            return cand
    return None


def gxx() -> str | None:
    """Path of the system C++ compiler (``g++``), or ``None``."""
    return shutil.which("g++")


def require_csim(target: str, mode: str, project: str | None) -> tuple[str, str]:
    """``(g++ path, ap_types dir)`` or ``ToolNotFoundError`` naming what is missing."""
    compiler = gxx()
    if compiler is None:
        raise tool_not_found(target, mode, "'g++' on PATH", project)
    headers = ap_types_dir()
    if headers is None:
        raise tool_not_found(target, mode, HLS4ML_REQUIREMENT, project)
    return compiler, headers


def is_available(backend: str = "vivado_hls") -> bool:
    """Whether the tool flow ``backend`` can run here.

    ``"vivado_hls"`` → ``vivado_hls`` (on PATH or under a ``XILINX_*`` root, see
    ``find_vendor_tool``); ``"tapa"`` → ``tapa`` on PATH; ``"csim"`` → g++ and the hls4ml
    headers; anything else → ``vitis_hls`` (never g++ C simulation).

    >>> is_available("csim") in (True, False)
    True
    """
    if backend == "vivado_hls":
        return find_vendor_tool("vivado_hls") is not None
    if backend == "tapa":
        return shutil.which("tapa") is not None
    if backend == "csim":
        return gxx() is not None and ap_types_dir() is not None
    return find_vendor_tool("vitis_hls") is not None
