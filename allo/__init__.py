"""Allo: a Python accelerator design language and compiler on upstream MLIR.

>>> import allo
>>> from allo.frontend.types import int32
>>> def add1(A: int32[4]) -> int32[4]:
...     B: int32[4] = 0
...     for i in range(4):
...         B[i] = A[i] + 1
...     return B
>>> s = allo.customize(add1)
"""

from .errors import (  # noqa: F401
    AlloError, FrontendError, AlloSyntaxError, AlloTypeError, DTypeError, DTypeWarning,
    ScheduleError, LoopNotFoundError, BufferNotFoundError, LayoutConflictError,
    BuildError, ToolNotFoundError, ArgumentError, IndexOutOfBoundsError, SimulationError,
    DeadlockError, StreamError,
)
from .ir import types  # noqa: F401
from .language import *  # noqa: F401,F403
from . import dsl  # noqa: F401
from .customize import customize, Schedule, Partition  # noqa: F401
from .backend.llvm import LLVMModule, invoke_mlir_parser  # noqa: F401

from .backend.hls import HLSModule, IPModule  # noqa: F401
from .verify import verify  # noqa: F401,E402
from . import passes, primitives, utils  # noqa: F401,E402 - reachable as allo.<name> after import allo
