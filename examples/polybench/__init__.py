"""The 30 PolyBench/C 4.2 kernels as Allo programs with expert FPGA schedules.

``registry.KERNELS`` maps each PolyBench name to its entry (kernel, numpy reference, input
generator, expert schedule); ``sizes.dims(name, preset)`` gives the problem sizes.

>>> from examples.polybench import KERNELS, dims
>>> e = KERNELS["gemm"]
>>> mod = e.customize("MINI").build()
>>> got = e.run(mod, e.arguments("MINI"))
>>> from examples.polybench.common import matches
>>> matches(e, got, e.expected("MINI")) is None
True
"""

from .registry import CATEGORIES, KERNELS
from .sizes import PRESETS, SIZES, dims

__all__ = ["KERNELS", "CATEGORIES", "PRESETS", "SIZES", "dims"]
