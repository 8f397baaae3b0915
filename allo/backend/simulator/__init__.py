"""The dataflow simulator (``target="simulator"``, backends.md §6.4; docs/dataflow.md).

Each kernel instance of a dataflow design runs compiled code (the CPU pipeline of
:mod:`allo.backend.llvm`) in its own thread; streams are FIFOs bounded by their declared
depth; a deadlock raises :class:`allo.DeadlockError` naming every blocked instance.
"""

from ...schedule.targets import register_target
from .module import LLVMOMPModule, build_simulator

__all__ = ["LLVMOMPModule", "build_simulator"]

register_target(["simulator"], build_simulator)
