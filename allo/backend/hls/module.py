"""``HLSModule``: emitted Vitis HLS C++, its project, and the ways to run it (``backends.md`` §4).

>>> import allo
>>> from allo._mlir import ir, new_context
>>> with new_context():
...     m = ir.Module.parse("func.func @inc(%a: i32) -> i32 { %c = arith.constant 1 : i32 "
...                         "%r = arith.addi %a, %c : i32 return %r : i32 }")
>>> mod = HLSModule(m, "inc")
>>> "int32_t v3 = v0 + v2;" in mod.hls_code
True
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping

from ..._mlir import ir
from ...diagnostics import public_entry, public_methods
from ...errors import ArgumentError, BuildError
from ...analysis.processes import is_region_like, stream_depth
from ...analysis.qor import QoRReport, estimate_module
from ...mlir_utils import find_func, func_ops
from ...frontend.arg_directions import analyze_arg_load_store
from ..config import DEFAULT_CONFIG, PART_NUMBER
from ..report import parse_xml
from . import catapult, intel_hls, tapa
from .csim import CSimRunner
from .emitter import EmitOptions, ModuleEmitter
from .prepare import prepare_module, private_copy
from .project import project_directory, project_files, write_project
from .toolchain import find_vendor_tool, tool_not_found, vendor_requirement
from .vitis_run import run_vitis_emulation

PLATFORM_MODES = {
    "vivado_hls": None,  # '|'-joined subset of VHLS_STEPS
    "vitis_hls": ("csim", "csyn", "sw_emu", "hw_emu", "hw"),
    "pynq": ("csim", "csyn", "impl"),
    "catapult": ("csim", "csyn"),
    "tapa": tapa.MODES,
    "intel_hls": ("csim", "csyn"),
}
VHLS_STEPS = ("csim", "csyn", "csynth", "cosim", "impl", "debug", "custom")
WRAP_IO_PLATFORMS = ("vitis_hls", "pynq")


def check_mode(platform: str, mode: str | None, target: str | None = None) -> None:
    """``BuildError`` for a mode the platform does not know (``backends.md`` §1.2)."""
    if mode is None:
        return
    allowed = PLATFORM_MODES[platform]
    if allowed is None:
        parts = str(mode).split("|")
        if all(p in VHLS_STEPS for p in parts) and parts:
            return
        expected = ", ".join(VHLS_STEPS) + " (joined by '|')"
    else:
        if mode in allowed:
            return
        expected = ", ".join(allowed)
    raise BuildError(f"Invalid mode '{mode}' for target '{target or platform}'; "
                     f"expected one of {expected}")


def merge_configs(configs: dict | None, mode: str | None) -> dict:
    """``configs`` over ``DEFAULT_CONFIG``, with ``mode`` taken from the argument."""
    if configs is not None and not isinstance(configs, Mapping):
        raise BuildError(f"configs must be a dict of configuration keys (device, frequency, "
                         f"...), got {type(configs).__name__} {configs!r}")
    merged = dict(DEFAULT_CONFIG)
    for key, value in (configs or {}).items():
        if key not in ("device", "frequency", "mode", "num_output_args", "hbm_mapping",
                       "mappings"):
            raise BuildError(f"Unknown configuration key '{key}'")
        merged[key] = value
    if mode is not None:
        merged["mode"] = mode
    if merged["device"] not in PART_NUMBER:
        raise BuildError(f"Unknown device '{merged['device']}'; known devices: "
                         + ", ".join(PART_NUMBER))
    freq = merged["frequency"]
    if isinstance(freq, bool) or not isinstance(freq, (int, float)) or freq <= 0:
        raise BuildError(f"configs['frequency'] must be a positive number of MHz, got {freq!r}")
    return merged


@public_methods
class HLSModule:
    """Vitis HLS C++ for a module; ``mod.hls_code`` is the translation unit.

    ``allo.HLSModule(mod, top_func_name, platform="vivado_hls", mode=None, project=None,
    ext_libs=None, configs=None, func_args=None, wrap_io=True)``; ``mod`` is an MLIR module
    (never modified) or its text. With ``project`` (or a ``mode``) the project directory is
    written; calling the module runs it in that mode (``mode="csim"``: g++ C simulation,
    ``mod(*inputs, *outputs)``). ``target`` is the name the module was built for (the
    platform by default).

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def inc(A: int32[4]) -> int32[4]:
    ...     B: int32[4] = 0
    ...     for i in range(4):
    ...         B[i] = A[i] + 1
    ...     return B
    >>> hls = allo.customize(inc).build(target="vhls")
    >>> hls.top_func_name, hls.platform, "void inc(" in str(hls)
    ('inc', 'vivado_hls', True)
    """

    def __init__(self, mod, top_func_name: str, platform: str = "vivado_hls", mode=None,
                 project=None, ext_libs=None, configs=None, func_args=None, wrap_io=True,
                 target: str | None = None):
        if platform not in PLATFORM_MODES:
            raise BuildError(f"HLS platform '{platform}' is not supported by this backend")
        self.top_func_name = top_func_name
        self.platform = platform
        self.mode = mode
        self.target = target or platform
        check_mode(platform, mode, self.target)
        if project is not None and mode is None:
            raise BuildError("mode must be specified when project is specified")
        project = project_directory(project) if project is not None else None
        self.configs = merge_configs(configs, mode)
        self.func_args = dict(func_args or {})
        self.ext_libs = list(ext_libs or [])
        wrap = bool(wrap_io) and platform in WRAP_IO_PLATFORMS
        self.wrap_io = wrap
        if isinstance(mod, str):  # parsed once: the declared shapes are read before wrap_io
            mod = private_copy(mod)
        # wrap_io flattens the top's arrays; C simulation returns results in these shapes
        self._result_shapes = declared_result_shapes(mod, top_func_name)
        # B3: everything is emitted before any file is written
        self.module, self._buffers = prepare_module(mod, top_func_name, wrap,
                                                    self.configs.get("mappings"))
        self._check_vitis_interface()
        ip_sources = self._ip_sources()
        options = self._emit_options(ip_sources)
        emitter = ModuleEmitter(self.module, top_func_name, options)
        self._emitter = emitter  # maps lines of hls_code back to the user's source
        self._sig = emitter.signature(top_func_name)
        self.hls_code = self._platform_code(emitter.emit(), options)
        self._dataflow_code = None
        if mode == "csim" and platform in ("vivado_hls", "vitis_hls", "pynq") \
                and has_dataflow_region(self.module):
            options.csim_threads = True
            self._dataflow_code = ModuleEmitter(self.module, top_func_name, options).emit()
        self.top_cname = self._sig.cname
        self.args = self._c_args()
        self.configs["_param_names"] = self.func_args.get(top_func_name, [])
        if platform == "catapult":
            files = catapult.project_files(self.hls_code, self._sig, self.configs, mode)
        else:
            files = project_files(platform, self.top_cname, self.hls_code, self._sig,
                                  self.module, self.configs, ip_sources)
        self.configs.pop("_param_names", None)
        self.host_code = files.get("host.cpp", "")
        self.project = None
        if project is not None or mode is not None:
            self.project = project if project is not None else \
                tempfile.mkdtemp(prefix="allo_hls_")
            write_project(self.project, files)
        self._csim = None

    # ------------------------------------------------------------------ emission
    def _emit_options(self, ip_sources: dict) -> EmitOptions:
        options = EmitOptions(vitis=self.platform in WRAP_IO_PLATFORMS,
                              pynq=self.platform == "pynq", func_args=self.func_args,
                              ip_headers=sorted(ip_sources))
        if self.platform == "tapa":
            options.flat_funcs = tapa.task_functions(self.module, self.top_func_name)
        elif self.platform == "intel_hls":
            intel_hls.check_single_function(self.module)
            options.flat_funcs = {self.top_func_name}
        return options

    def _platform_code(self, code: str, options: EmitOptions) -> str:
        """The Vitis HLS emission ``code`` respelled for Catapult, TAPA or SYCL (§7)."""
        if self.platform == "catapult":
            return catapult.catapult_code(code, self._sig.cname, str(self.module))
        if self.platform == "tapa":
            return tapa.tapa_code(code, self._emitter, self.module, self.top_func_name,
                                  options.flat_funcs)
        if self.platform == "intel_hls":
            return intel_hls.sycl_code(code, self._sig)
        return code

    # ------------------------------------------------------------------ checks
    def _check_vitis_interface(self) -> None:
        if self.platform != "vitis_hls":
            return
        if self.top_func_name == "kernel":
            raise BuildError("'kernel' is a reserved name in Vitis; rename the top function")
        if self.mode not in ("sw_emu", "hw_emu", "hw") or "num_output_args" in self.configs:
            return
        func = _find_top(self.module, self.top_func_name)
        ftype = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
        if ftype.results:
            return
        dirs = analyze_arg_load_store(self.module)[self.top_func_name]
        seen_output = False
        for d in dirs:
            if d in ("out", "both"):
                seen_output = True
            elif d == "in" and seen_output:
                raise BuildError("Output arguments must appear at the end.")

    def _ip_sources(self) -> dict:
        sources = {}
        for lib in self.ext_libs:
            path = getattr(lib, "impl", None) or str(lib)
            name = os.path.basename(path)
            with open(path, encoding="utf-8") as f:
                sources[name] = f.read()
        return sources

    def _c_args(self) -> list:
        out = []
        for p in self._sig.params:
            if p.kind == "scalar":
                out.append((p.ctype.spelling, ()))
            else:
                out.append((p.array.elem.spelling, tuple(p.array.shape)))
        for r in self._sig.results:
            if r.kind == "scalar":
                out.append((r.ctype.spelling, ()))
            elif r.kind == "array":
                out.append((r.array.elem.spelling, tuple(r.array.shape)))
        return out

    # ------------------------------------------------------------------ presentation
    def __str__(self) -> str:
        return self.hls_code

    def __repr__(self) -> str:
        if self.mode is None:
            return self.hls_code
        return f"HLSModule({self.top_func_name}, {self.mode}, {self.project})"

    # ------------------------------------------------------------------ estimates
    def estimate(self, part: str | None = None, clock_mhz: float | None = None) -> QoRReport:
        """Static latency and resource estimate of this design, without vendor tools.

        ``part`` (a board such as ``"u280"`` or a part number) and ``clock_mhz`` default to
        the build's ``configs`` (``device``, ``frequency``): Alveo U280 at 300 MHz.
        See docs/qor_estimates.md for the model.

        >>> import allo
        >>> from allo.ir.types import int32
        >>> def inc(A: int32[8]) -> int32[8]:
        ...     B: int32[8] = 0
        ...     for i in range(8):
        ...         B[i] = A[i] + 1
        ...     return B
        >>> s = allo.customize(inc)
        >>> s.pipeline("i")
        >>> report = s.build(target="vhls").estimate()
        >>> report.loops[-1].achieved_ii, report.resources["DSP"]
        (1, 0)
        """
        part = self.configs.get("device") if part is None else part
        clock = self.configs.get("frequency") if clock_mhz is None else clock_mhz
        return estimate_module(self.module, self.top_func_name, part, clock)

    # ------------------------------------------------------------------ running
    def __call__(self, *args):
        if self.mode is None:
            raise BuildError("built for code generation only (mode=None)")
        if self.platform == "catapult":
            return catapult.run(self, args)
        if self.platform == "tapa":
            return tapa.run(self, args)
        if self.platform == "intel_hls":
            raise BuildError("the ihls target generates code only; compile the project's "
                             "kernel.cpp with icpx -fsycl -fintelfpga")
        if self.mode == "csim":
            return self._run_csim(args)
        if self.platform == "vitis_hls" and self.mode == "csyn":
            if args:
                raise ArgumentError("csyn runs synthesis only; call the module without arguments")
            return self._run_tool("vitis_hls", ["-f", "run.tcl"])
        if self.platform == "vitis_hls":
            return self._run_vitis(args)
        if self.platform == "pynq":
            if args:
                raise ArgumentError(f"mode '{self.mode}' takes no arguments")
            return self._run_tool("vitis_hls", ["-f", "run.tcl"])
        return self._run_vivado_hls(args)

    def _run_csim(self, args):
        if self._csim is None:
            dirs = analyze_arg_load_store(self.module)[self.top_func_name]
            written = [d in ("out", "both", "func") for d in dirs]
            written += [True] * len(self._sig.results)
            self._csim = CSimRunner(self.project, self.target, self._sig, self.top_cname,
                                    written, self._dataflow_code,
                                    emitted=(self.hls_code, self._emitter.source_loc_of_line))
            self._csim.result_shapes = self._result_shapes
        return self._csim(*args)

    def _run_tool(self, tool: str, tool_args: list):
        path = find_vendor_tool(tool)
        if path is None:
            raise tool_not_found(self.target, self.mode, vendor_requirement(tool), self.project)
        cmd = [path, *tool_args]
        proc = subprocess.run(cmd, cwd=self.project, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-30:])
            raise BuildError(f"{' '.join(cmd)} failed in {self.project}:\n{tail}")
        return None

    def _run_vivado_hls(self, args):
        if args:
            raise ArgumentError(f"mode '{self.mode}' runs the Vivado HLS flow and takes no "
                                "arguments")
        self._run_tool("vivado_hls", ["-f", "run.tcl"])
        if self.mode != "custom" and "csyn" in self.mode:
            print(parse_xml(self.project, "Vivado HLS", top=self.top_cname).display())
        return None

    def _run_vitis(self, args):
        return run_vitis_emulation(self, args)


def has_dataflow_region(module) -> bool:
    """Whether a function runs stream-connected calls as dataflow processes (its C
    simulation then runs them in threads, allo_csim_dataflow.h)."""
    for f in func_ops(module):
        if "dataflow" in f.attributes and is_region_like(f) and any(
                op.operation.name == "memref.alloc" and stream_depth(op.result.type)
                for op in f.regions[0].blocks[0].operations):
            return True
    return False


def _find_top(module, name: str):
    top = find_func(module, name)
    if top is None:
        raise BuildError(f"top function '{name}' not found in the module")
    return top


# ``s.build(target=...)`` names of the HLS flows -> the platform HLSModule generates for.
HLS_TARGETS = {
    "vhls": "vivado_hls", "vivado_hls": "vivado_hls", "vitis_hls": "vitis_hls",
    "pynq": "pynq", "tapa": "tapa", "ihls": "intel_hls", "catapult": "catapult",
}


def build_hls(schedule, platform: str = "vivado_hls", mode=None, project=None, configs=None,
              wrap_io: bool = True, target: str | None = None) -> HLSModule:
    """``s.build(target=<hls target>, ...)``: an :class:`HLSModule` of the schedule's module.

    The schedule is not changed (B1): the module is copied before anything is lowered.
    """
    built = getattr(schedule, "built", None)
    ext_libs = list(getattr(built, "ext_libs", None) or getattr(schedule, "ext_libs", None) or [])
    return HLSModule(schedule.module, schedule.top_func_name, platform=platform, mode=mode,
                     project=project, ext_libs=ext_libs, configs=configs,
                     func_args=getattr(schedule, "func_args", None), wrap_io=wrap_io,
                     target=target)


@public_entry
def estimate(schedule, part: str | None = None, clock_mhz: float | None = None) -> QoRReport:
    """``allo.estimate(s)``: the QoR estimate of ``schedule`` built for Vitis HLS, for the
    board or part ``part`` at ``clock_mhz`` (defaults: the build's device and frequency).

    >>> import allo
    >>> from allo.ir.types import float32
    >>> def dot(A: float32[16], B: float32[16]) -> float32:
    ...     acc: float32 = 0.0
    ...     for i in range(16):
    ...         acc += A[i] * B[i]
    ...     return acc
    >>> s = allo.customize(dot)
    >>> s.pipeline("i")
    >>> allo.estimate(s).loops[0].achieved_ii     # the float adder's latency at 300 MHz
    4
    """
    if isinstance(schedule, HLSModule):
        return schedule.estimate(part, clock_mhz)
    if not hasattr(schedule, "module") or not hasattr(schedule, "top_func_name"):
        raise BuildError(f"allo.estimate expects a schedule (allo.customize(...)) or an "
                         f"HLS module, got {type(schedule).__name__}")
    return build_hls(schedule).estimate(part, clock_mhz)


def declared_result_shapes(mod, top: str) -> list[tuple] | None:
    """The shape of each result of function ``top`` of ``mod`` (a module or its MLIR text) as
    declared (``()`` for scalars), or ``None`` when ``mod`` has no such function.

    >>> import allo
    >>> from allo.ir.types import int32
    >>> def inc(A: int32[2, 3]) -> int32[2, 3]:
    ...     return A + 1
    >>> declared_result_shapes(allo.customize(inc).module, "inc")
    [(2, 3)]
    >>> declared_result_shapes(str(allo.customize(inc).module), "inc")
    [(2, 3)]
    """
    if isinstance(mod, str):
        mod = private_copy(mod)
    func = find_func(mod, top)
    if func is None:
        return None
    func_type = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
    return [tuple(t.shape) if isinstance(t, ir.ShapedType) else () for t in func_type.results]


__all__ = ["HLSModule", "build_hls", "estimate"]


def build_hls_target(schedule, target: str, mode=None, project=None, configs=None,
                     wrap_io: bool = True, use_memory: bool = False) -> HLSModule:
    """The builder registered for every name of :data:`HLS_TARGETS` (``backends.md`` §1.1)."""
    return build_hls(schedule, platform=HLS_TARGETS[target], mode=mode, project=project,
                     configs=configs, wrap_io=wrap_io)
