"""CPU backend: lowering to the LLVM dialect, the MLIR ExecutionEngine and the numpy boundary.

>>> from allo.backend.llvm import LLVMModule, invoke_mlir_parser
"""

from ...schedule.targets import register_target
from .module import LLVMModule, build_llvm, invoke_mlir_parser  # noqa: F401

register_target(["llvm"], build_llvm)

__all__ = ["LLVMModule", "invoke_mlir_parser"]
