"""Backends: ``llvm`` (CPU execution) and ``hls`` (Vitis HLS C++), and the target dispatch."""

from __future__ import annotations

from ..errors import BuildError

HLS_TARGETS = {
    "vhls": "vivado_hls", "vivado_hls": "vivado_hls", "vitis_hls": "vitis_hls",
    "pynq": "pynq", "tapa": "tapa", "ihls": "intel_hls", "catapult": "catapult",
}


def build_module(schedule, target=None, mode=None, project=None, configs=None,
                 wrap_io=True, use_memory=False):
    """Dispatch ``s.build(...)`` to the backend of ``target`` (``backends.md`` §1.1)."""
    if target is None or target == "llvm":
        from .llvm.module import LLVMModule

        built = getattr(schedule, "built", None)
        func_args = getattr(schedule, "func_args", None) or {}
        return LLVMModule(schedule.module, schedule.top_func_name,
                          ext_libs=getattr(built, "ext_libs", None),
                          arg_names=func_args.get(schedule.top_func_name))
    if target in HLS_TARGETS:
        from .hls import build_hls

        return build_hls(schedule, platform=HLS_TARGETS[target], mode=mode, project=project,
                         configs=configs, wrap_io=wrap_io)
    raise BuildError(f"Target {target} is not supported")
