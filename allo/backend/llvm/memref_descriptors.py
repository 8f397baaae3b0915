"""Memref descriptors in ctypes memory, and the ndarray fields the fast call paths read.

A data pointer or the flags of an ndarray are read straight from the object (``id(arr)``
plus the field's offset in numpy's ``PyArrayObject``): about 8x faster than
``arr.ctypes.data``. The offsets are found and verified at import on arrays whose pointers and
flags numpy reports; if that fails they are ``None`` and callers use numpy's attributes.

>>> import numpy as np
>>> a = np.arange(6, dtype=np.int16)[2:]
>>> data_address(a) == a.ctypes.data
True
>>> block = DescriptorBlock([1, 0]); block.set_layout(0, (4,)); list(block.words[3:5])
[4, 1]
>>> block.set_array(0, np.zeros((3, 4), np.int32)[:, 1]); list(block.words[3:5])
[3, 4]
"""

from __future__ import annotations

import ctypes

import numpy as np

__all__ = ["ADDRESS_SPACE", "DATA_OFFSET", "FLAGS_OFFSET", "WORD", "C_CONTIGUOUS", "WRITEABLE",
           "DescriptorBlock", "data_address"]

WORD = 8
# The whole address space as 64-bit words: reading one field of an object is an index.
try:
    ADDRESS_SPACE = (ctypes.c_uint64 * (1 << 59)).from_address(0)
except (OverflowError, ValueError, TypeError):  # not a 64-bit address space: numpy's attributes
    ADDRESS_SPACE = None


def _find_data_offset():
    """Offset of an ndarray's data pointer from ``id(arr)``, verified on several arrays, or
    ``None`` (then :func:`data_address` uses ``arr.ctypes.data``)."""
    if ADDRESS_SPACE is None:
        return None
    samples = [np.arange(16, dtype=np.float32), np.zeros((3, 5), np.int8)[1:],
               np.empty(0, np.int64), np.ones(7, np.uint16)[::2].copy()]
    for offset in range(WORD, 12 * WORD, WORD):
        if all(ADDRESS_SPACE[(id(a) + offset) // WORD] == a.ctypes.data for a in samples):
            return offset
    return None


DATA_OFFSET = _find_data_offset()


def _find_flags_offset():
    """Offset of an ndarray's ``flags`` int from ``id(arr)`` (low 32 bits of that word),
    verified on arrays with different flags, or ``None`` (then ``arr.flags`` is read)."""
    if ADDRESS_SPACE is None:
        return None
    base = np.zeros((4, 6), np.float64)
    samples = [base, base[:, 1:], base.T, base[::2], np.frombuffer(b"abcd", np.uint8),
               np.arange(3)]
    for offset in range(WORD, 16 * WORD, WORD):
        if all(ADDRESS_SPACE[(id(a) + offset) // WORD] & 0xFFFFFFFF == a.flags.num
               for a in samples):
            return offset
    return None


FLAGS_OFFSET = _find_flags_offset()
C_CONTIGUOUS, WRITEABLE = 0x1, 0x400  # numpy's NPY_ARRAY_* flag bits


def data_address(arr: np.ndarray) -> int:
    """The address of ``arr``'s first element.

    >>> a = np.arange(4, dtype=np.int32)
    >>> data_address(a) == a.ctypes.data
    True
    """
    if DATA_OFFSET is None:
        return arr.ctypes.data
    return ADDRESS_SPACE[(id(arr) + DATA_OFFSET) >> 3]


class DescriptorBlock:
    """Memref descriptors of every port in one block of int64 words, plus the packed array of
    pointers to pointers that ``allo_entry``'s packed interface takes (:attr:`argument`).

    With ``error_words`` one more descriptor, of rank 1 and last, points at :attr:`error`:
    that many int64 words the kernel fills when a bounds check fails
    (allo.backend.llvm.bounds_checks); without, :attr:`error` is ``None``.

    >>> block = DescriptorBlock([0], error_words=3)
    >>> block.starts, list(block.words[5:8]), block.words[4] == ctypes.addressof(block.error)
    ([0, 3], [0, 3, 1], True)
    """

    def __init__(self, ranks: list, error_words: int = 0):
        if error_words:
            ranks = list(ranks) + [1]
        self.starts = []
        total = 0
        for rank in ranks:
            self.starts.append(total)
            total += 3 + 2 * rank  # allocated, aligned, offset, shape[rank], strides[rank]
        self.words = (ctypes.c_int64 * max(total, 1))()
        base = ctypes.addressof(self.words)
        self.pointers = (ctypes.c_void_p * max(len(ranks), 1))(
            *[base + WORD * s for s in self.starts])
        first = ctypes.addressof(self.pointers)
        self.packed = (ctypes.c_void_p * max(len(ranks), 1))(
            *[first + WORD * i for i in range(len(ranks))])
        self.argument = ctypes.c_void_p(ctypes.addressof(self.packed))
        self.error = (ctypes.c_int64 * error_words)() if error_words else None
        if error_words:
            self.point_at(len(ranks) - 1, ctypes.addressof(self.error))
            self.set_layout(len(ranks) - 1, (error_words,))

    def set_layout(self, index: int, shape: tuple) -> None:
        """Descriptor ``index`` describes a C-contiguous array of ``shape``."""
        start, rank = self.starts[index], len(shape)
        stride = 1
        strides = []
        for extent in reversed(shape):
            strides.append(stride)
            stride *= extent
        for axis, extent in enumerate(shape):
            self.words[start + 3 + axis] = extent
            self.words[start + 3 + rank + axis] = strides[rank - 1 - axis]

    def point_at(self, index: int, address: int) -> None:
        """Descriptor ``index`` points at ``address`` (its allocated and aligned pointers)."""
        start = self.starts[index]
        self.words[start] = self.words[start + 1] = address

    def set_array(self, index: int, arr: np.ndarray) -> None:
        """Descriptor ``index`` describes ``arr``: its data, shape and strides (in elements,
        so any strided view); a 0-d array is a scalar slot, only its address."""
        start = self.starts[index]
        self.words[start] = self.words[start + 1] = data_address(arr)  # ~8x .ctypes.data
        rank = arr.ndim
        if rank:
            itemsize = arr.itemsize
            self.words[start + 3:start + 3 + rank] = arr.shape
            self.words[start + 3 + rank:start + 3 + 2 * rank] = [st // itemsize
                                                                 for st in arr.strides]

    def fill(self, arrays: list) -> ctypes.c_void_p:
        """Describe ``arrays`` in the first descriptors (:meth:`set_array`); returns the
        argument for ``allo_entry``."""
        for index, arr in enumerate(arrays):
            self.set_array(index, arr)
        return self.argument
