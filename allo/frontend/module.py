"""The result of compiling a kernel: an MLIR module plus what the frontend knows about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..mlir_utils import find_func


@dataclass
class BuiltModule:
    """An MLIR module produced by the frontend (docs/ir.md) and its metadata.

    ``func_args`` maps every function name to its parameter names (source names).
    ``ext_libs`` lists external IP modules called from the kernels.
    """

    module: Any
    context: Any
    top_func_name: str
    func_args: dict = field(default_factory=dict)
    ext_libs: list = field(default_factory=list)
    tensor_ir: bool = False  # enable_tensor=True raised some kernels to tensors
    tensor_funcs: tuple = ()  # ... these ones (the others keep buffer IR)

    def find_func(self, name: str):
        """The ``func.func`` op named ``name`` in the module, or ``None``."""
        op = find_func(self.module, name)
        return None if op is None else op.opview
