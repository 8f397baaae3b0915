"""The XLS [CC] target: ``s.build(target="xls" | "xlscc", mode=None | "sw_emu", project=None,
use_memory=False)`` returns an :class:`XLSCCModule` (``backends.md`` §7).

Floating-point values and dynamic shapes are refused with one line per hit. Without vendor
tools, ``mode="sw_emu"`` compiles the code with g++ against our emulation headers and runs it:
``mod(3, 4)`` returns an int, ``mod(A, B)`` an array of the result's shape.

>>> import allo
>>> from allo.ir.types import int32
>>> def add(a: int32, b: int32) -> int32:
...     return a + b
>>> mod = allo.customize(add).build(target="xls")
>>> "#pragma hls_top" in mod.hls_code and "int32_t add(int32_t v0, int32_t v1) {" in mod.hls_code
True
"""

from __future__ import annotations

import os
import shutil
import tempfile

from ...diagnostics import public_methods
from ...errors import BuildError
from ...schedule.targets import register_target
from ..hls.module import HLSModule
from ..hls.prepare import prepare_module
from ..hls.project import project_directory, write_project
from ..hls.toolchain import gxx, tool_not_found
from . import harness
from .codegen import generate, validation_errors

MODES = (None, "sw_emu")


def is_available() -> bool:
    """Whether XLS code can run here: ``g++`` (software emulation) or ``xlscc`` on PATH."""
    return gxx() is not None or shutil.which("xlscc") is not None


@public_methods
class XLSCCModule:
    """XLS [CC] C++ of a schedule; ``str(mod)`` is :attr:`final_cpp` (= :attr:`hls_code`).

    Attributes: ``final_cpp`` (the translation unit), ``core_code`` (the functions before the
    test-block wrapper), ``rewrites_textproto`` (RAM rewrites with ``use_memory``, else
    ``""``), ``mlir_text`` (the lowered IR), ``project`` and ``mode``.
    """

    def __init__(self, schedule, mode=None, project=None, use_memory: bool = False):
        if mode not in MODES:
            raise BuildError(f"Invalid mode '{mode}' for target 'xls'; expected one of None, "
                             "sw_emu")
        if project is not None and mode is None:
            raise BuildError("mode must be specified when project is specified")
        self.top_func_name = schedule.top_func_name
        self.mode = mode
        self.use_memory = bool(use_memory)
        project = project_directory(project) if project is not None else None
        lowered, _ = prepare_module(schedule.module, self.top_func_name, False)
        self.mlir_text = str(lowered)
        errors = validation_errors(self.mlir_text)
        if errors:
            message = f"XLS [CC] validation failed ({len(errors)} errors):\n" + "\n".join(errors)
            if project is not None:
                write_project(project, {"xls_errors.txt": message + "\n"})
            raise BuildError(message)
        # memories are linear: the Vitis pointer interface linearizes the top's arrays
        hls = HLSModule(schedule.module, self.top_func_name,
                        platform="vitis_hls" if self.use_memory else "vivado_hls",
                        func_args=getattr(schedule, "func_args", None), wrap_io=False)
        self._code = generate(hls, self.use_memory)
        self.final_cpp = self._code.final_cpp
        self.hls_code = self.final_cpp
        self.core_code = self._code.core_code
        self.rewrites_textproto = self._code.rewrites_textproto
        files = {"test_block.cpp": self.final_cpp}
        if self.rewrites_textproto:
            files["rewrites.textproto"] = self.rewrites_textproto
        if mode == "sw_emu":
            harness.check_emulated_widths(self.final_cpp)
            files["test_harness.cpp"] = harness.harness_code(self._code, hls._sig.cname)
            files["Makefile"] = harness.MAKEFILE.format(include=harness.INCLUDE_DIR)
        self.project = None
        if project is not None or mode is not None:
            self.project = project if project is not None else tempfile.mkdtemp(prefix="allo_xls_")
            write_project(self.project, files)
        self._gxx = gxx()
        self._compiled = False

    def __str__(self) -> str:
        return self.final_cpp

    def __repr__(self) -> str:
        if self.mode is None:
            return self.final_cpp
        return f"XLSCCModule({self.top_func_name}, {self.mode}, {self.project})"

    def __call__(self, *args):
        if self.mode is None:
            raise BuildError("built for code generation only (mode=None)")
        if self._gxx is None:
            raise tool_not_found("xls", self.mode, "'g++' on PATH", self.project)
        return harness.run(self, args)


def build_xls(schedule, target: str, mode=None, project=None, configs=None, wrap_io=True,
              use_memory: bool = False) -> XLSCCModule:
    """The builder of targets ``xls`` and ``xlscc``."""
    return XLSCCModule(schedule, mode=mode, project=project, use_memory=use_memory)


register_target(["xls", "xlscc"], build_xls)

__all__ = ["XLSCCModule", "build_xls", "is_available"]
