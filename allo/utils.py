"""Small helpers users call around the numpy boundary (``backends.md`` §11.2)."""

from __future__ import annotations

import re

import numpy as np

from .backend.signature import read_signature
from .frontend.types import get_np_struct_type  # noqa: F401 - public here (backends.md §11.2)

np_supported_types = {
    "bf16": np.uint16, "f16": np.float16, "f32": np.float32, "f64": np.float64,
    "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64,
    "ui1": np.bool_, "ui8": np.uint8, "ui16": np.uint16, "ui32": np.uint32, "ui64": np.uint64,
}


def get_bitwidth_from_type(dtype: str) -> int:
    """The bit width of the printed type name ``dtype``.

    >>> get_bitwidth_from_type("ui17"), get_bitwidth_from_type("fixed(8, 3)")
    (17, 8)
    """
    m = re.match(r"^u?i(\d+)$", dtype) or re.match(r"^u?fixed\((\d+),", dtype) or re.match(r"^b?f(\d+)$", dtype)
    if not m:
        raise ValueError(f"Unsupported type {dtype}")
    return int(m.group(1))


def construct_kernel_name(prefix: str, ids) -> str:
    """The name of dataflow kernel instance ``ids`` of kernel ``prefix``.

    >>> construct_kernel_name("mm", (1, 2))
    'mm_1_2'
    """
    return "_".join([prefix] + [str(i) for i in ids])


def parse_kernel_name(name: str):
    """Split an instance ``name`` into the kernel name and its instance indices.

    >>> parse_kernel_name("mm_1_2")
    ('mm', (1, 2))
    """
    parts = name.split("_")
    ids = []
    while parts and parts[-1].isdigit():
        ids.insert(0, int(parts.pop()))
    return "_".join(parts), tuple(ids)


def get_func_inputs_outputs(func_op):
    """``([(type_str, shape), ...] inputs, [...] outputs)`` of the ``func.func`` op
    ``func_op``.

    Shapes are ``()`` for scalars; type strings are Allo type names (``"ui8"``,
    ``"fixed(16, 8)"``), as ``LLVMModule.in_types``/``out_types`` report them.
    """
    sig = read_signature(func_op)
    ins = [(p.type_str, p.shape if p.is_array else ()) for p in sig.params]
    outs = [(p.type_str, p.shape if p.is_array else ()) for p in sig.results]
    return ins, outs


def make_anywidth_numpy_array(array, bitwidth: int) -> np.ndarray:
    """Python/numpy integers → a structured array of ``bitwidth``-bit two's complement values.

    >>> make_anywidth_numpy_array([1, -1], 16).view(np.uint16).tolist()
    [1, 65535]
    """
    arr = np.asarray(array, dtype=object)
    n_bytes = (bitwidth + 7) // 8
    mask = (1 << (8 * n_bytes)) - 1
    flat = [(int(v) & mask).to_bytes(n_bytes, "little") for v in arr.reshape(-1)]
    raw = np.frombuffer(b"".join(flat), dtype=np.uint8) if flat else np.zeros(0, np.uint8)
    return raw.view(get_np_struct_type(bitwidth)).reshape(arr.shape)


def struct_array_to_int_array(array, bitwidth: int, signed: bool = True) -> np.ndarray:
    """A structured ``array`` of ``bitwidth``-bit values → an object array of Python ints
    (two's complement when ``signed``).

    >>> struct_array_to_int_array(make_anywidth_numpy_array([5, -3], 72), 72).tolist()
    [5, -3]
    """
    arr = np.asarray(array)
    n_bytes = arr.dtype.itemsize
    data = np.ascontiguousarray(arr).view(np.uint8).reshape(-1, n_bytes) if arr.size else \
        np.zeros((0, n_bytes), np.uint8)
    out = []
    for row in data:
        value = int.from_bytes(bytes(row), "little") & ((1 << bitwidth) - 1)
        if signed and value >= 1 << (bitwidth - 1):
            value -= 1 << bitwidth
        out.append(value)
    return np.array(out, dtype=object).reshape(arr.shape)
