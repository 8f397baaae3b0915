"""Backends: ``llvm`` (CPU execution) and ``hls`` (Vitis HLS C++), and the target dispatch."""

from __future__ import annotations

import warnings

from ..errors import BuildError, warn

HLS_TARGETS = {
    "vhls": "vivado_hls", "vivado_hls": "vivado_hls", "vitis_hls": "vitis_hls",
    "pynq": "pynq", "tapa": "tapa", "ihls": "intel_hls", "catapult": "catapult",
}


def build_module(schedule, target=None, mode=None, project=None, configs=None,
                 wrap_io=True, use_memory=False):
    """Dispatch ``s.build(...)`` to the backend of ``target`` (``backends.md`` §1.1)."""
    if target is None or target == "llvm" or target in HLS_TARGETS:
        warn_undefined_reads(schedule.module)
    if target is None or target == "llvm":
        from .llvm import LLVMModule

        built = getattr(schedule, "built", None)
        func_args = getattr(schedule, "func_args", None) or {}
        return LLVMModule(schedule.module, schedule.top_func_name,
                          ext_libs=getattr(built, "ext_libs", None),
                          arg_names=func_args.get(schedule.top_func_name))
    if isinstance(target, str) and target in HLS_TARGETS:
        from .hls import build_hls

        return build_hls(schedule, platform=HLS_TARGETS[target], mode=mode, project=project,
                         configs=configs, wrap_io=wrap_io)
    raise BuildError(f"Target {target} is not supported")


def warn_undefined_reads(module) -> None:
    """Warn, at the kernel line that reads it, about every buffer read before it is written
    (``allo/analysis/uninitialized.py``): the program computes with undefined values."""
    from ..analysis.uninitialized import undefined_reads

    for read in undefined_reads(module):
        if read.filename is not None and read.line is not None:
            warnings.warn_explicit(read.message(), UserWarning, read.filename, read.line)
        else:
            warn(read.message())
