"""Vitis HLS C++ backend: emitter, ``HLSModule``, projects, C simulation, external IP.

>>> from allo.backend.hls import HLSModule, IPModule, is_available
>>> is_available("vitis_hls") in (True, False)
True
"""

from ...schedule.targets import register_target
from .module import HLS_TARGETS, HLSModule, build_hls, build_hls_target, estimate  # noqa: F401
from .toolchain import is_available  # noqa: F401
from .ip import IPModule  # noqa: F401

register_target(HLS_TARGETS, build_hls_target)

__all__ = ["HLSModule", "IPModule", "build_hls", "estimate", "is_available"]
