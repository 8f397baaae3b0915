"""Where the tools and headers C simulation needs live, and which vendor tools exist.

The open-source ``ap_int.h``/``ap_fixed.h`` come from the installed ``hls4ml`` package
(``<hls4ml>/templates/vivado/ap_types``), found without importing it; the environment
variable ``ALLO_AP_TYPES_DIR`` overrides the location. Our shim headers (``hls_stream.h``,
``hls_math.h``, ``hls_vector.h``, ``ap_axi_sdata.h``, ``hls_half.h``) sit in ``include/``
beside this file and are searched first.

>>> isinstance(is_available("vitis_hls"), bool)
True
"""

from __future__ import annotations

import importlib.util
import os
import shutil

from ...errors import ToolNotFoundError

SHIM_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "include")
HLS4ML_REQUIREMENT = "the Python package 'hls4ml' (pip install \"allo[hls]\")"


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

    ``"vivado_hls"`` → ``vivado_hls`` on PATH; ``"tapa"`` → ``tapa``; ``"csim"`` → g++ and
    the hls4ml headers; anything else → ``vitis_hls`` on PATH (never g++ C simulation).

    >>> is_available("csim") in (True, False)
    True
    """
    if backend == "vivado_hls":
        return shutil.which("vivado_hls") is not None
    if backend == "tapa":
        return shutil.which("tapa") is not None
    if backend == "csim":
        return gxx() is not None and ap_types_dir() is not None
    return shutil.which("vitis_hls") is not None
