"""Project directories for the HLS platforms (``backends.md`` §4.2).

All file contents are computed first (:func:`project_files`), then written by
:func:`write_project`, so an error never leaves a half-written project. Contents are
deterministic: no timestamps, no absolute paths.
"""

from __future__ import annotations

import json
import os

from ...errors import BuildError
from ..config import EMBEDDED_DEVICES, PART_NUMBER
from ..vitis import COPYRIGHT_CPP, HOST_UTILS, codegen_host, generate_hbm_config
from .ap_width import prelude_defines

COPYRIGHT_SCRIPT = ("# Copyright Allo authors. All Rights Reserved.\n"
                    "# SPDX-License-Identifier: Apache-2.0\n")


def tcl_steps(mode: str, device: str) -> list[str]:
    """The ``run.tcl`` steps named (as substrings) in the mode string, in flow order."""
    steps = []
    if "csim" in mode or "sw_emu" in mode:
        steps.append("csim_design -O")
    if "csyn" in mode or "debug" in mode:
        steps.append("csynth_design")
    if "cosim" in mode or "hw_emu" in mode:
        steps.append("cosim_design")
    if "impl" in mode or mode == "hw" or "|hw" in mode or mode.startswith("hw|"):
        if device in EMBEDDED_DEVICES:
            steps.append("export_design -rtl verilog -format ip_catalog")
        else:
            steps.append("export_design -flow impl")
    return steps


def run_tcl(top: str, configs: dict, ip_files: list[str]) -> str:
    """``run.tcl`` for Vivado/Vitis HLS."""
    device = configs["device"]
    lines = [COPYRIGHT_SCRIPT.rstrip("\n"), "",
             "#=============================================================================",
             "# run.tcl: HLS flow for the generated kernel",
             "#=============================================================================",
             "set hls_prj out.prj",
             "open_project ${hls_prj} -reset",
             "open_solution -reset solution1 -flow_target vivado",
             f"set_top {top}",
             "# Add design and testbench files",
             "add_files kernel.cpp"]
    lines += [f"add_files {f}" for f in ip_files]
    lines += ['add_files -tb host.cpp -cflags "-std=gnu++0x"',
              'open_solution "solution1"',
              f"set_part {{{PART_NUMBER[device]}}}",
              f"create_clock -period {1000 / configs['frequency']:.2f}"]
    lines += tcl_steps(str(configs.get("mode") or ""), device)
    lines += ["exit", ""]
    return "\n".join(lines)


def _vhls_makefile() -> str:
    return COPYRIGHT_SCRIPT + """
# Build targets for the generated kernel (Vivado HLS / Vitis HLS).
.PHONY: all csim vivado_hls vitis_hls clean

all: csim

csim:
\tvitis_hls -f run.tcl

vivado_hls:
\tvivado_hls -f run.tcl

vitis_hls:
\tvitis_hls -f run.tcl

clean:
\trm -rf out.prj csim *.log
"""


def kernel_header(sig, top_cname: str, defines: list[str] = ()) -> str:
    """``kernel.h``: the ``extern "C"`` declaration of the top with pointer parameters;
    ``defines`` (``AP_INT_MAX_W``) precede its includes as in ``kernel.cpp``."""
    params = ",\n".join("  " + p for p in sig.c_params())
    prelude = "".join(f"{d}\n" for d in defines)
    return (COPYRIGHT_CPP + "\n#ifndef KERNEL_H\n#define KERNEL_H\n\n" + prelude +
            "#include <ap_fixed.h>\n#include <ap_int.h>\n#include <hls_math.h>\n"
            "#include <hls_stream.h>\n#include <stdint.h>\n\n"
            f'extern "C" {{\nvoid {top_cname}(\n{params}\n);\n}} // extern "C"\n\n'
            "#endif  // KERNEL_H\n")


def _vitis_makefile(top: str) -> str:
    return COPYRIGHT_SCRIPT + f"""
# Vitis flow: make run TARGET=<sw_emu|hw_emu|hw> PLATFORM=$XDEVICE
TARGET ?= sw_emu
PLATFORM ?= $(XDEVICE)
KERNEL := {top}

include ./utils.mk
include ./makefile_us_alveo.mk
"""


def _utils_mk() -> str:
    return COPYRIGHT_SCRIPT + """
# Shared definitions of the Vitis makefiles.
XSA := $(strip $(patsubst %.xpfm, % , $(shell basename $(PLATFORM))))
TEMP_DIR := ./_x.$(TARGET).$(XSA)
BUILD_DIR := ./build_dir.$(TARGET).$(XSA)
VPP := v++
EMCONFIG_DIR := $(TEMP_DIR)

check-platform:
ifndef PLATFORM
\t$(error PLATFORM not set; pass PLATFORM=$$XDEVICE)
endif
"""


def _alveo_mk(top: str, has_hbm: bool, frequency) -> str:
    ld = f"VPP_LDFLAGS := --config {top}.cfg\n" if has_hbm else "VPP_LDFLAGS :=\n"
    return COPYRIGHT_SCRIPT + f"""
# Alveo (Ultrascale+) build rules.
CXXFLAGS += -std=c++17 -Wall -O2 -I$(XILINX_XRT)/include
LDFLAGS += -L$(XILINX_XRT)/lib -lxrt_coreutil -pthread
VPP_FLAGS := -t $(TARGET) --platform $(PLATFORM) --save-temps --config hls.cfg
{ld}VPP_LDFLAGS += --kernel_frequency {frequency}

XCLBIN := $(BUILD_DIR)/$(KERNEL).xclbin
EXECUTABLE := ./host_exe

.PHONY: all run build host clean
all: check-platform $(EXECUTABLE) $(XCLBIN) emconfig

host: $(EXECUTABLE)
$(EXECUTABLE): host.cpp host_utils.h
\tg++ $(CXXFLAGS) host.cpp -o $@ $(LDFLAGS)

build: $(XCLBIN)
$(TEMP_DIR)/$(KERNEL).xo: kernel.cpp
\tmkdir -p $(TEMP_DIR)
\t$(VPP) $(VPP_FLAGS) -c -k $(KERNEL) --temp_dir $(TEMP_DIR) -I. -o $@ $<
$(XCLBIN): $(TEMP_DIR)/$(KERNEL).xo
\tmkdir -p $(BUILD_DIR)
\t$(VPP) $(VPP_FLAGS) -l $(VPP_LDFLAGS) --temp_dir $(TEMP_DIR) -o $@ $<

emconfig: $(EMCONFIG_DIR)/emconfig.json
$(EMCONFIG_DIR)/emconfig.json:
\tmkdir -p $(EMCONFIG_DIR)
\temconfigutil --platform $(PLATFORM) --od $(EMCONFIG_DIR)

run: all
ifeq ($(TARGET),$(filter $(TARGET),sw_emu hw_emu))
\tcp -rf $(EMCONFIG_DIR)/emconfig.json .
\tXCL_EMULATION_MODE=$(TARGET) $(EXECUTABLE) $(XCLBIN)
else
\t$(EXECUTABLE) $(XCLBIN)
endif

clean:
\trm -rf $(TEMP_DIR) $(BUILD_DIR) $(EXECUTABLE) *.log *.jou _x* .run emconfig.json
"""


def _variant_mk(kind: str) -> str:
    return COPYRIGHT_SCRIPT + f"""
# {kind} platforms use the same rules as Alveo Ultrascale+ boards.
include ./makefile_us_alveo.mk
"""


def vitis_files(top: str, sig, module, configs: dict, ip_files: list[str],
                defines: list[str] = ()) -> dict:
    """Every file of a ``vitis_hls`` project except ``kernel.cpp``."""
    num_out = configs.get("num_output_args", 0) or 0
    files = {
        "kernel.h": kernel_header(sig, top, defines),
        "host.cpp": codegen_host(sig.source_name, module, num_out, kernel_name=top),
        "host_utils.h": HOST_UTILS,
        "run.tcl": run_tcl(top, configs, ip_files),
        "Makefile": _vitis_makefile(top),
        "utils.mk": _utils_mk(),
        "makefile_us_alveo.mk": _alveo_mk(top, bool(configs.get("hbm_mapping")),
                                          configs["frequency"]),
        "makefile_versal_alveo.mk": _variant_mk("Versal Alveo"),
        "makefile_zynqmp.mk": _variant_mk("Zynq UltraScale+ MPSoC"),
        "xrt.ini": "[Runtime]\nruntime_log=console\n[Emulation]\ndebug_mode=batch\n",
        "description.json": json.dumps({
            "name": top, "description": ["Kernel generated by Allo"], "flow": "vitis",
            "platform_type": "pcie", "launch": [{"cmd_args": f"BUILD/{top}.xclbin",
                                                 "name": "generic launch"}],
            "host": {"host_exe": "host_exe", "compiler": {"sources": ["host.cpp"]}},
            "containers": [{"name": top, "ldclflags": f"--kernel_frequency {configs['frequency']}",
                            "accelerators": [{"name": top, "location": "kernel.cpp",
                                              "clflags": "--config hls.cfg"}]}],
        }, indent=2) + "\n",
        "hls.cfg": "[hls]\npre_tcl=hls_pre.tcl\n",
        "hls_pre.tcl": COPYRIGHT_SCRIPT +
        f"create_clock -period {1000 / configs['frequency']:.4f} -name default\n",
    }
    if configs.get("hbm_mapping"):
        files[f"{top}.cfg"] = generate_hbm_config(top, configs["hbm_mapping"],
                                                  hbm_arg_names(sig, configs))
    return files


def hbm_arg_names(sig, configs: dict) -> dict:
    """User names (parameters, then ``output_<k>``) → emitted port names, positionally."""
    names = list(configs.get("_param_names") or [])
    ports = [p.name for p in sig.params]
    mapping = {}
    for k, port in enumerate(ports):
        mapping[names[k] if k < len(names) else port] = port
    outs = [r.name for r in sig.results if r.kind != "alias"]
    for k, port in enumerate(outs):
        mapping[f"output_{k}"] = port
    return mapping


def pynq_files(top: str, sig, configs: dict, ip_files: list[str],
               defines: list[str] = ()) -> dict:
    return {
        "kernel.h": kernel_header(sig, top, defines),
        "run.tcl": run_tcl(top, configs, ip_files),
        "block_design.tcl": _block_design(top, configs),
    }


def _block_design(top: str, configs: dict) -> str:
    part = PART_NUMBER[configs["device"]]
    return COPYRIGHT_SCRIPT + f"""
# Vivado block design: Zynq processing system + the HLS IP over AXI; bitstream in build_vivado/
create_project -force {top}_bd build_vivado -part {part}
set_property ip_repo_paths out.prj/solution1/impl/ip [current_project]
update_ip_catalog
create_bd_design "design_1"
create_bd_cell -type ip -vlnv xilinx.com:ip:processing_system7:5.5 processing_system7_0
apply_bd_automation -rule xilinx.com:bd_rule:processing_system7 -config {{make_external "FIXED_IO, DDR" }} [get_bd_cells processing_system7_0]
create_bd_cell -type ip -vlnv xilinx.com:hls:{top}:1.0 {top}_0
apply_bd_automation -rule xilinx.com:bd_rule:axi4 -config {{Master "/processing_system7_0/M_AXI_GP0" Clk "Auto"}} [get_bd_intf_pins {top}_0/s_axi_control]
validate_bd_design
make_wrapper -files [get_files build_vivado/{top}_bd.srcs/sources_1/bd/design_1/design_1.bd] -top
add_files -norecurse build_vivado/{top}_bd.gen/sources_1/bd/design_1/hdl/design_1_wrapper.v
launch_runs impl_1 -to_step write_bitstream -jobs 2
wait_on_run impl_1
exit
"""


def project_files(platform: str, top: str, hls_code: str, sig, module, configs: dict,
                  ip_sources: dict) -> dict:
    """``{relative path: text}`` of the whole project of ``platform``."""
    ip_files = sorted(ip_sources)
    if "kernel.cpp" in ip_sources:
        raise BuildError("kernel.cpp is reserved for the top function")
    files = {"kernel.cpp": hls_code}
    if platform == "vitis_hls":
        files.update(vitis_files(top, sig, module, configs, ip_files,
                                 prelude_defines(hls_code)))
    elif platform == "pynq":
        files.update(pynq_files(top, sig, configs, ip_files, prelude_defines(hls_code)))
    elif platform == "tapa":
        from .tapa import host_code as tapa_host, makefile as tapa_makefile
        files.update(vitis_files(top, sig, module, configs, ip_files,
                                 prelude_defines(hls_code)))
        files["tapa_host.cpp"] = tapa_host(sig, COPYRIGHT_CPP)
        files["Makefile"] = tapa_makefile(top, configs["frequency"])
        files.pop("run.tcl", None)
    elif platform == "intel_hls":
        files["Makefile"] = COPYRIGHT_SCRIPT + (
            "\n# oneAPI SYCL flow for Intel FPGAs: make fpga_emu | fpga_sim | fpga\n"
            "fpga_emu:\n\ticpx -fsycl -fintelfpga -DFPGA_EMULATOR kernel.cpp -o kernel.fpga_emu\n"
            "fpga_sim:\n\ticpx -fsycl -fintelfpga -DFPGA_SIMULATOR -Xssimulation kernel.cpp "
            "-o kernel.fpga_sim\n"
            "fpga:\n\ticpx -fsycl -fintelfpga -DFPGA_HARDWARE -Xshardware kernel.cpp "
            "-o kernel.fpga\n")
    else:
        files["run.tcl"] = run_tcl(top, configs, ip_files)
        files["Makefile"] = _vhls_makefile()
    for name, text in ip_sources.items():
        if platform == "vitis_hls":
            text = 'extern "C" {\n' + text.rstrip("\n") + '\n} // extern "C"\n'
        files[name] = text
    return files


def project_directory(project) -> str:
    """The absolute directory a ``project=`` argument names (``BuildError`` when it is not a
    path, or names an existing file)."""
    if not isinstance(project, (str, os.PathLike)):
        raise BuildError(f"project must be a directory path (str or os.PathLike), got "
                         f"{type(project).__name__} {project!r}")
    path = os.path.abspath(os.fspath(project))
    if os.path.exists(path) and not os.path.isdir(path):
        raise BuildError(f"project '{path}' is an existing file, not a directory")
    parent = os.path.dirname(path)
    while parent and not os.path.exists(parent) and os.path.dirname(parent) != parent:
        parent = os.path.dirname(parent)
    if os.path.exists(parent) and not os.path.isdir(parent):
        raise BuildError(f"project '{path}' cannot be created: '{parent}' is a file, not a "
                         "directory")
    return path


def write_project(project: str, files: dict) -> None:
    """Create ``project`` (with parents) and write ``files``; other files are kept."""
    try:
        os.makedirs(project, exist_ok=True)
        for rel, text in files.items():
            path = os.path.join(project, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as f:
                    if f.read() == text:
                        continue
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    except OSError as err:  # a parent is a file, no permission, disk full, ...
        where = f" ({err.filename})" if err.filename and err.filename != project else ""
        raise BuildError(f"cannot write the project directory '{project}': "
                         f"{err.strerror}{where}") from err
