"""CPU backend: lowering to the LLVM dialect, the MLIR ExecutionEngine and the numpy boundary.

>>> from allo.backend.llvm import LLVMModule, invoke_mlir_parser
"""

from .module import LLVMModule, invoke_mlir_parser  # noqa: F401

__all__ = ["LLVMModule", "invoke_mlir_parser"]
