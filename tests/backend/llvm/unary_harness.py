"""Run one scalar MLIR op element-wise over an array through the CPU backend (test helper)."""

from __future__ import annotations

import numpy as np

from allo.backend.llvm import LLVMModule
from allo.utils import get_np_struct_type
from allo.ir.types import container_bits


def mlir_type(kind: str) -> str:
    """``"i12"``/``"ui12"``/``"fixed(12, 4)"`` → ``i12``; floats unchanged."""
    if kind.startswith(("ui", "i")) and kind.lstrip("ui").isdigit():
        return "i" + kind.lstrip("ui")
    if "fixed(" in kind:
        return "i" + kind.split("(")[1].split(",")[0]
    return kind


def raw_kind(kind: str) -> str:
    """The integer type that carries ``kind``'s raw bits across the boundary."""
    if "fixed(" in kind:
        width = kind.split("(")[1].split(",")[0]
        return ("ui" if kind.startswith("u") else "i") + width
    return kind


def run_elementwise(op_text: str, src: str, dst: str, values, extra_operands=""):
    """Apply ``op_text`` (uses ``%x``, defines ``%y``) to every element of ``values``."""
    n = len(values)
    tin, tout = mlir_type(src), mlir_type(dst)
    text = f'''
    func.func @k(%A: memref<{n}x{tin}>) -> memref<{n}x{tout}>
        attributes {{"allo.itypes" = ["{raw_kind(src)}"], "allo.otypes" = ["{raw_kind(dst)}"]}} {{
      %R = memref.alloc() : memref<{n}x{tout}>
      affine.for %i = 0 to {n} {{
        %x = affine.load %A[%i] : memref<{n}x{tin}>
        {extra_operands}
        {op_text}
        affine.store %y, %R[%i] : memref<{n}x{tout}>
      }}
      return %R : memref<{n}x{tout}>
    }}'''
    mod = LLVMModule(text, "k")
    return from_container(mod(to_container(values, src)), dst)


def _bits(kind):
    return int(mlir_type(kind)[1:])


def _signed(kind):
    return not kind.startswith("u")


def to_container(values, kind):
    if mlir_type(kind) in ("f16", "bf16", "f32", "f64"):
        import ml_dtypes  # noqa: F401  (bf16 arrays)

        dtype = {"f16": np.float16, "f32": np.float32, "f64": np.float64,
                 "bf16": ml_dtypes.bfloat16}[mlir_type(kind)]
        return np.array(values, dtype=dtype)
    bits = _bits(kind)
    width = container_bits(bits)
    if width <= 64:
        return np.array([int(v) for v in values], dtype=f"{'' if _signed(kind) else 'u'}int{width}")
    nbytes = width // 8
    raw = b"".join((int(v) & ((1 << width) - 1)).to_bytes(nbytes, "little") for v in values)
    return np.frombuffer(raw, dtype=get_np_struct_type(width)).copy()


def from_container(arr, kind):
    if mlir_type(kind) in ("f16", "bf16", "f32", "f64"):
        return [float(v) for v in arr]
    if arr.dtype.names is not None:
        nbytes = arr.dtype.itemsize
        data = arr.view(np.uint8).reshape(-1, nbytes)
        return [int.from_bytes(bytes(row), "little", signed=_signed(kind)) for row in data]
    return [int(v) for v in arr]


def wrap(value: int, bits: int, signed: bool) -> int:
    value &= (1 << bits) - 1
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value
