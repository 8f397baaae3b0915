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
    AlloError, InternalError, FrontendError, AlloSyntaxError, AlloTypeError, DTypeError, DTypeWarning,
    ScheduleError, LoopNotFoundError, BufferNotFoundError, LayoutConflictError,
    ScheduleArgumentError, DependenceError, ImperfectNestError, NotAffineError,
    BuildError, ToolNotFoundError, ArgumentError, IndexOutOfBoundsError, InternalError,
    AllocationError,
    SimulationError, DeadlockError, StreamError, UnsupportedTorchOpError,
)
from .ir import types  # noqa: F401
from .language import *  # noqa: F401,F403
from . import dsl  # noqa: F401
from .customize import customize, Schedule, Partition  # noqa: F401
from .backend.llvm import LLVMModule, invoke_mlir_parser  # noqa: F401

from .backend.hls import HLSModule, IPModule, estimate  # noqa: F401
from .backend import simulator as _simulator  # noqa: F401,E402 - registers target "simulator"
from .backend import xls as _xls  # noqa: F401,E402 - registers targets "xls", "xlscc"
from .verify import verify  # noqa: F401,E402
from . import passes, primitives, utils, memory, dataflow  # noqa: F401,E402 - reachable as allo.<name> after import allo
from . import library  # noqa: F401,E402 - allo.library.KERNEL2SCHEDULE; kernels in allo.library.nn
from .torch_frontend import from_pytorch  # noqa: E402
from . import frontend as _frontend  # noqa: E402

# ``allo.frontend.from_pytorch`` (backends.md §9) lives in the façade because it composes
# schedules and builds; the frontend package exposes it under the spec's path.
_frontend.from_pytorch = from_pytorch
