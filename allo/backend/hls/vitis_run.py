"""Running a ``vitis_hls`` module in ``sw_emu``/``hw_emu``/``hw`` through the XRT host program.

Needs ``v++`` (on PATH or in ``$XILINX_VITIS/bin``, see ``toolchain.find_vendor_tool``) and the
``XDEVICE`` environment variable (the platform); without them the call raises
``ToolNotFoundError`` while the project stays usable elsewhere.
"""

from __future__ import annotations

import os
import subprocess

import numpy as np

from ...errors import ArgumentError, SimulationError
from .csim import _copy_back, _to_container
from .toolchain import find_vendor_tool, tool_not_found

REQUIREMENT = "'v++' on PATH and the XDEVICE environment variable"


def run_vitis_emulation(mod, args) -> None:
    """Write ``input<i>.data``, build/run the host, read outputs into the trailing arguments."""
    device = os.environ.get("XDEVICE")
    vpp = find_vendor_tool("v++")
    if vpp is None or not device:
        raise tool_not_found(mod.target, mod.mode, REQUIREMENT, mod.project)
    outs = write_input_files(mod, args)
    xsa = os.path.splitext(os.path.basename(device))[0]
    xclbin = os.path.join(mod.project, f"build_dir.{mod.mode}.{xsa}", f"{mod.top_cname}.xclbin")
    # The project's Makefile calls v++ by name: put the directory it was found in first.
    env = dict(os.environ, PATH=os.pathsep.join([os.path.dirname(vpp), os.environ.get("PATH", "")]))
    if os.path.isfile(xclbin) and os.path.isfile(os.path.join(mod.project, "host_exe")):
        if mod.mode in ("sw_emu", "hw_emu"):
            env["XCL_EMULATION_MODE"] = mod.mode
        cmd = ["./host_exe", xclbin]
    else:
        cmd = ["make", "run", f"TARGET={mod.mode}", f"PLATFORM={device}"]
    run_in_project(cmd, mod.project, env)
    read_output_files(mod, args, outs,
                      lambda j: "output.data" if len(outs) == 1 else f"output{j}.data")


def write_input_files(mod, args) -> list:
    """Check ``args`` (the inputs, then one array per output) and write ``input<i>.data``
    (raw container bytes) into the project; returns the module's output results."""
    sig = mod._sig
    outs = [r for r in sig.results if r.kind != "alias"]
    if len(args) != len(sig.params) + len(outs):
        raise ArgumentError(f"expected {len(sig.params) + len(outs)} arguments (inputs then "
                            f"outputs), got {len(args)}")
    for i, p in enumerate(sig.params):
        ct = p.ctype if p.kind == "scalar" else p.array.elem
        shape = () if p.kind == "scalar" else p.array.shape
        data = _to_container(args[i], ct, shape, i, "scalar" if p.kind == "scalar" else "array")
        data.tofile(os.path.join(mod.project, f"input{i}.data"))
    return outs


def run_in_project(cmd: list, project: str, env: dict | None = None) -> None:
    """Run ``cmd`` in ``project``; a failure is a ``SimulationError`` with the output's end."""
    proc = subprocess.run(cmd, cwd=project, capture_output=True, text=True, env=env,
                          check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-30:])
        raise SimulationError(f"{' '.join(cmd)} failed in {project}:\n{tail}")


def read_output_files(mod, args, outs: list, file_name) -> None:
    """Copy output ``j`` (raw container bytes in ``file_name(j)``) into its trailing argument."""
    n_params = len(mod._sig.params)
    for j, r in enumerate(outs):
        ct = r.ctype if r.kind == "scalar" else r.array.elem
        template = _to_container(np.zeros(1), ct, (None,), 0, "result_array")
        raw = np.fromfile(os.path.join(mod.project, file_name(j)), dtype=template.dtype)
        _copy_back(args[n_params + j], raw, ct)
