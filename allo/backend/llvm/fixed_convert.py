"""float64 → fixed-point raw bits in one compiled pass, for large arrays at the CPU boundary.

The numpy version (:func:`allo.backend.numpy_codec.fixed_to_raw_checked`) needs four passes
over each cache-sized block (scale, min, max, cast). This module JIT-compiles, once per
fixed-point type, a loop that reads each value once, scales it, checks that it lies strictly
inside the range whose truncation needs no wrapping (NaN fails the check), stores the
truncated raw value and returns whether every value passed. LLVM vectorises it, so it runs at
the speed of a plain ``astype``. When some value failed, the caller redoes the array with the
numpy version, which wraps and reports NaN/infinity exactly as before: results never depend on
which version ran.

>>> import numpy as np
>>> from allo.frontend.types import Fixed
>>> fixed_to_raw_compiled(np.array([1.3, -1.3, 0.0]), Fixed(8, 3)).tolist()
[10, -10, 0]
>>> fixed_to_raw_compiled(np.array([1e9]), Fixed(8, 3)) is None   # needs wrapping
True
"""

from __future__ import annotations

import ctypes
import threading

import numpy as np

from ...errors import BuildError
from ...frontend.types import AlloType, container_bits, numpy_dtype
from ..numpy_codec import fixed_to_raw_checked, truncation_bounds
from .memref_descriptors import DescriptorBlock, data_address

__all__ = ["COMPILED_MIN_SIZE", "fixed_to_raw_compiled", "quantize"]

# Below this many elements the numpy version is as fast (its per-call cost is a few numpy
# calls, the compiled one's a descriptor fill and a ctypes call).
COMPILED_MIN_SIZE = 1 << 10

_KERNELS: dict = {}
_LOCK = threading.Lock()


def _kernel_text(t: AlloType) -> str:
    signed = not t.is_unsigned
    width = container_bits(t.bits)
    via = 32 if t.bits <= 31 else 64  # every in-range value fits this signed integer
    low, high = truncation_bounds(t.bits, signed)
    narrow = (f"%r = arith.trunci %w : i{via} to i{width}" if width < via else
              f"%r = arith.extsi %w : i{via} to i{width}" if width > via else
              f"%r = arith.addi %w, %zi : i{via}")
    return f"""
func.func @to_raw(%src: memref<?xf64>, %dst: memref<?xi{width}>) -> i8 {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %src, %c0 : memref<?xf64>
  %scale = arith.constant {2.0 ** t.fracs!r} : f64
  %low = arith.constant {low!r} : f64
  %high = arith.constant {high!r} : f64
  %zero = arith.constant 0.0 : f64
  %zi = arith.constant 0 : i{via}
  %true = arith.constant true
  %ok = scf.for %i = %c0 to %n step %c1 iter_args(%all = %true) -> (i1) {{
    %x = memref.load %src[%i] : memref<?xf64>
    %s = arith.mulf %x, %scale : f64
    %above = arith.cmpf ogt, %s, %low : f64
    %below = arith.cmpf olt, %s, %high : f64
    %inside = arith.andi %above, %below : i1
    %safe = arith.select %inside, %s, %zero : f64
    %w = arith.fptosi %safe : f64 to i{via}
    {narrow}
    memref.store %r, %dst[%i] : memref<?xi{width}>
    %next = arith.andi %all, %inside : i1
    scf.yield %next : i1
  }}
  %flag = arith.extui %ok : i1 to i8
  return %flag : i8
}}
"""


class _Kernel:
    """One compiled conversion and its descriptors (one set per thread)."""

    def __init__(self, t: AlloType):
        from .lower_to_llvm import lower_to_llvm_dialect, prepare_for_cpu
        from .module import _RUNTIME_LIBS, _compile, invoke_mlir_parser  # (import cycle)

        module = invoke_mlir_parser(_kernel_text(t))
        prepare_for_cpu(module, "to_raw", bounds_checks=False)
        lowered = invoke_mlir_parser(str(module))
        lower_to_llvm_dialect(lowered)
        _, self.entry, _ = _compile(lowered, _RUNTIME_LIBS)
        self.dtype = numpy_dtype(t, storage=True)
        self.local = threading.local()

    def descriptors(self):
        block = getattr(self.local, "value", None)
        if block is None:
            # (source, destination, flag)
            block = self.local.value = (DescriptorBlock([1, 1, 0]), ctypes.c_int8())
            block[0].point_at(2, ctypes.addressof(block[1]))
        return block

    def __call__(self, values: np.ndarray, out=None):
        if out is None:
            out = np.empty(values.shape, self.dtype)
        block, flag = self.descriptors()
        words, size = block.words, values.size
        # descriptors {allocated, aligned, offset, size, stride} of the source and destination
        words[0] = words[1] = data_address(values)
        words[5] = words[6] = data_address(out)
        words[3] = words[8] = size
        words[4] = words[9] = 1
        self.entry(block.argument)
        return out if flag.value else None


def fixed_to_raw_compiled(values: np.ndarray, t: AlloType, out=None):
    """Raw bits of ``t`` for a 1-D C-contiguous float64 array when no value needs wrapping and
    none is NaN or infinite; otherwise ``None`` (then use the numpy version). ``out`` (same
    size, the container dtype) receives them instead of a new array."""
    key = (t.bits, t.fracs, t.is_unsigned)
    kernel = _KERNELS.get(key)
    if kernel is None:
        with _LOCK:
            kernel = _KERNELS.get(key)
            if kernel is None:
                try:
                    kernel = _Kernel(t)
                except BuildError:  # no JIT for it here: the numpy version does the work
                    kernel = False
                _KERNELS[key] = kernel
    return kernel(values, out) if kernel else None


def quantize(values: np.ndarray, t: AlloType, out=None) -> tuple:
    """``(raw bits of t, every value finite)``, as :func:`~allo.backend.numpy_codec.
    fixed_to_raw_checked`, with the compiled pass for large C-contiguous float64 arrays
    (writing into ``out``, an array of the result's shape and dtype, when given: a reused
    buffer costs no page faults).

    >>> from allo.frontend.types import Fixed
    >>> raw, finite = quantize(np.full(1 << 15, 0.75), Fixed(16, 8))
    >>> int(raw[0]), raw.dtype.name, finite
    (192, 'int16', True)
    """
    if (values.size >= COMPILED_MIN_SIZE and values.dtype == np.float64 and t.bits <= 62
            and values.flags.c_contiguous and values.flags.aligned):
        raw = fixed_to_raw_compiled(values.reshape(-1), t,
                                    None if out is None else out.reshape(-1))
        if raw is not None:
            return raw.reshape(values.shape), True
    return fixed_to_raw_checked(values, t)
