"""Vitis HLS C++ backend: emitter, ``HLSModule``, projects, C simulation, external IP.

>>> from allo.backend.hls import HLSModule, IPModule, is_available
>>> is_available("vitis_hls") in (True, False)
True
"""

from .module import HLSModule, build_hls  # noqa: F401
from .toolchain import is_available  # noqa: F401
from .ip import IPModule  # noqa: F401

__all__ = ["HLSModule", "IPModule", "build_hls", "is_available"]
