"""CPU execution of Allo modules: lowering to LLVM, MLIR's ExecutionEngine, the numpy boundary.

>>> import numpy as np
>>> mod = LLVMModule('''func.func @add1(%a: memref<4xi32>) -> memref<4xi32> {
...   %r = memref.alloc() : memref<4xi32>
...   %one = arith.constant 1 : i32
...   affine.for %i = 0 to 4 {
...     %v = affine.load %a[%i] : memref<4xi32>
...     %w = arith.addi %v, %one : i32
...     affine.store %w, %r[%i] : memref<4xi32>
...   }
...   return %r : memref<4xi32> }''', "add1")
>>> mod(np.arange(4, dtype=np.int32))
array([1, 2, 3, 4], dtype=int32)
"""

from __future__ import annotations

import ctypes.util
import hashlib
import os
import threading
from itertools import combinations

import numpy as np

from ..._mlir import execution_engine, ir, new_context
from ...diagnostics import present_user_error, public_entry, public_methods
from ...errors import ArgumentError, BuildError
from ...mlir_utils import find_func
from ..signature import read_signature
from .bounds_checks import SLOT_WORDS
from .call_plan import NOT_HANDLED, build_call_plan
from .memref_descriptors import DescriptorBlock
from .entry_wrapper import ENTRY_NAME
from .lower_to_llvm import lower_to_llvm_dialect, prepare_for_cpu
from .numpy_boundary import marshal_arguments, unmarshal_results, write_back
from .param_writes import params_maybe_written

__all__ = ["LLVMModule", "invoke_mlir_parser"]

OPT_LEVEL = 3

# Run-time bounds checks of dynamic subscripts are on unless this variable is "0" when the
# module is built (only for measuring their cost, benchmarks/bounds_checks.py).
BOUNDS_CHECKS_ENV = "ALLO_BOUNDS_CHECKS"

# Compiled engines by hash of the LLVM-dialect text (+ linked libraries): building the same
# schedule twice reuses the machine code. Modules with mutable globals (``Stateful`` locals)
# are never shared: each build starts from the declared initial state.
_ENGINE_CACHE: dict = {}


def _has_mutable_globals(text: str) -> bool:
    """Whether the LLVM-dialect ``text`` declares a global that is not ``constant``."""
    return any(line.lstrip().startswith("llvm.mlir.global") and " constant " not in line
               for line in text.splitlines())


@public_entry
def invoke_mlir_parser(text: str) -> "ir.Module":
    """Parse MLIR text in a fresh context (``allo.*`` ops allowed); errors → ``BuildError``.

    >>> m = invoke_mlir_parser("func.func @f() { return }")
    >>> "func.func @f" in str(m)
    True
    """
    if not isinstance(text, str):
        raise BuildError(f"invoke_mlir_parser expects MLIR text, got {type(text).__name__}")
    ctx = new_context()
    diagnostics = []

    def keep(diagnostic):
        diagnostics.append(f"{diagnostic.location}: {diagnostic.message}")
        return True

    handler = ctx.attach_diagnostic_handler(keep)
    try:
        with ctx:
            return ir.Module.parse(text)
    except Exception as exc:  # MLIRError: rendered with the diagnostics we captured
        detail = "\n".join(diagnostics) or str(exc)
        raise BuildError(f"cannot parse the MLIR module:\n{detail}") from exc
    finally:
        handler.detach()


def _module_text(mod) -> str:
    if isinstance(mod, str):
        return mod
    op = mod.operation if hasattr(mod, "operation") else mod
    if not isinstance(op, ir.Operation):
        raise BuildError(f"LLVMModule expects an MLIR module or its text, got {type(mod).__name__}")
    # with locations: bounds-check errors name the user's file and line
    return op.get_asm(enable_debug_info=True, print_generic_op_form=False)


def _runtime_libraries() -> list:
    """Compiler runtime for what LLVM lowers to library calls (i128 division, f16 on old
    CPUs, float ↔ i128 conversions): the system's ``libgcc_s``, already in most processes."""
    name = ctypes.util.find_library("gcc_s")
    if name is None:
        return []
    for folder in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
                   "/lib", "/usr/lib"):
        candidate = os.path.join(folder, name)
        if os.path.exists(candidate):
            return [candidate]
    return []


_RUNTIME_LIBS = _runtime_libraries()


def _library_path(lib) -> str:
    for attr in ("shared_lib", "lib_path", "so_path"):
        if hasattr(lib, attr):
            lib = getattr(lib, attr)
            break
    path = os.fspath(lib)
    if not os.path.exists(path):
        raise BuildError(f"external library not found: {path}")
    return os.path.abspath(path)


# --------------------------------------------------------------------------- engines


def _compile(llvm_module: "ir.Module", libs: list, opt_level: int = OPT_LEVEL):
    text = str(llvm_module)
    shareable = not _has_mutable_globals(text)
    key = hashlib.sha256((text + "\0" + "\0".join(libs)
                          + f"\0O{opt_level}").encode()).hexdigest()
    cached = _ENGINE_CACHE.get(key) if shareable else None
    if cached is not None:
        return cached
    try:
        engine = execution_engine.ExecutionEngine(llvm_module, opt_level=opt_level,
                                                  shared_libs=libs)
        entry = engine.lookup(ENTRY_NAME)
    except Exception as exc:  # LLVM reports JIT failures as generic exceptions
        raise BuildError(f"the LLVM execution engine failed to compile the module: {exc}") \
            from exc
    compiled = (engine, entry, llvm_module)
    if shareable:
        _ENGINE_CACHE[key] = compiled
    return compiled


class _Variant:
    """One compiled form of the module (argument arrays distinct, or possibly overlapping)."""

    def __init__(self, text: str, top: str, libs: list, distinct_args: bool,
                 bounds_checks: bool):
        module = invoke_mlir_parser(text)
        prepared = prepare_for_cpu(module, top, distinct_args=distinct_args,
                                   bounds_checks=bounds_checks)
        self.sites = prepared.sites
        self.intermediate_module = module
        lowered = invoke_mlir_parser(str(module))
        lower_to_llvm_dialect(lowered, distinct_args=distinct_args,
                              distinct_functions=prepared.distinct_functions)
        self.module = lowered
        # the variant keeps the engine alive: its machine code is freed with it
        self.engine, self.entry, _ = _compile(lowered, libs)


@public_methods
class LLVMModule:
    """A module compiled for the CPU; call it with numpy arrays and Python scalars.

    ``mod`` is an MLIR module (never modified) or its text; ``top_func_name`` the function to
    call; ``ext_libs`` shared libraries (paths, or objects with a ``shared_lib`` path) linked
    into the engine; ``arg_names`` the source names of the parameters, used in error messages.
    A subscript out of its array's bounds at run time stops the kernel at that access and
    raises :class:`allo.IndexOutOfBoundsError` (see "Bounds checks" in the CPU backend internals).

    >>> import allo, numpy as np
    >>> from allo.ir.types import int32
    >>> def inc(A: int32[4]) -> int32[4]:
    ...     B: int32[4] = 0
    ...     for i in range(4):
    ...         B[i] = A[i] + 1
    ...     return B
    >>> mod = allo.customize(inc).build()
    >>> mod(np.arange(4, dtype=np.int32))
    array([1, 2, 3, 4], dtype=int32)
    >>> mod.in_types, mod.out_types
    ([('i32', (4,))], [('i32', (4,))])
    """

    def __init__(self, mod, top_func_name: str, ext_libs=None, arg_names=None):
        self.top_func_name = top_func_name
        self._text = _module_text(mod)
        parsed = invoke_mlir_parser(self._text)
        top = find_func(parsed, top_func_name)
        if top is None:
            raise BuildError(f"Top function '{top_func_name}' not found in the module")
        self._signature = read_signature(top, arg_names)
        self._may_write = params_maybe_written(parsed, top_func_name)
        self._libs = _RUNTIME_LIBS + [_library_path(lib) for lib in (ext_libs or [])]
        self._streams = [("stream" in str(t)) for t in
                         ir.FunctionType(ir.TypeAttr(top.attributes["function_type"]).value).inputs]
        self._checks = os.environ.get(BOUNDS_CHECKS_ENV, "1") != "0"
        self._fast = _Variant(self._text, top_func_name, self._libs, distinct_args=True,
                              bounds_checks=self._checks)
        self._safe = None
        self._slots = threading.local()
        self._plans = threading.local()  # allo.backend.llvm.call_plan, one per thread

    # ------------------------------------------------------------------ attributes
    @property
    def module(self) -> "ir.Module":
        """The LLVM-dialect module that was compiled."""
        return self._fast.module

    @property
    def intermediate_module(self) -> "ir.Module":
        """The module after the Allo-level CPU rewrites, before LLVM lowering."""
        return self._fast.intermediate_module

    @property
    def in_types(self) -> list:
        """``(type name, shape)`` of each parameter (streams excluded); ``()`` for scalars."""
        return [(p.type_str, p.shape if p.is_array else ())
                for p, stream in zip(self._signature.params, self._streams) if not stream]

    @property
    def out_types(self) -> list:
        """``(type name, shape)`` of each result; ``()`` for scalars."""
        return [(p.type_str, p.shape if p.is_array else ()) for p in self._signature.results]

    # ------------------------------------------------------------------ calls
    def _variant_for(self, frame) -> _Variant:
        arrays = [b for b, p in zip(frame.buffers, self._signature.params) if p.is_array]
        overlapping = len(arrays) > 1 and any(
            np.may_share_memory(a, b) for a, b in combinations(arrays, 2))
        if not overlapping:
            return self._fast
        if self._safe is None:
            self._safe = _Variant(self._text, self.top_func_name, self._libs,
                                  distinct_args=False, bounds_checks=self._checks)
        return self._safe

    def __call__(self, *args, **kwargs):
        try:  # public_entry's handling inline: its wrapper frame costs ~10% of a fast call
            if not kwargs:
                plan = getattr(self._plans, "value", None)
                if plan is not None:  # the cached plan of common calls (call_plan.py)
                    result = plan(args)
                    if result is not NOT_HANDLED:
                        return result
            return self._general_call(args, kwargs)
        except BaseException as err:
            present_user_error(err)
            raise

    __call__.__allo_public_entry__ = True

    def _general_call(self, args: tuple, kwargs: dict):
        if kwargs:
            raise ArgumentError(f"{self.top_func_name} takes positional arguments only, got "
                                f"keyword(s) {', '.join(sorted(kwargs))}")
        if getattr(self._plans, "value", False) is False:  # not tried yet in this thread
            plan = build_call_plan(self._signature, self._may_write, self._fast.entry,
                                   self._fast.sites, error_slot=self._checks)
            self._plans.value = plan.run if plan is not None else None
        frame = marshal_arguments(self._signature, args, self._may_write)
        variant = self._variant_for(frame)
        slots = getattr(self._slots, "value", None)
        if slots is None:  # one set per thread: calls from several threads stay independent
            ranks = [len(p.shape) if p.is_array else 0
                     for p in self._signature.params + self._signature.results]
            slots = self._slots.value = DescriptorBlock(
                ranks, error_words=SLOT_WORDS if self._checks else 0)
        error = slots.error
        if error is not None:
            error[0] = 0
        variant.entry(slots.fill(frame.buffers + frame.results))
        write_back(frame)  # also after an error: the writes before it stay, as in Python
        if error is not None and error[0]:
            raise variant.sites[error[0] - 1].error(error[1], error[2])
        return unmarshal_results(self._signature, frame)

    def __repr__(self):
        return f"<LLVMModule {self.top_func_name}>"


def build_llvm(schedule, target: str | None = None, **options) -> LLVMModule:
    """The builder registered for ``s.build(target="llvm")``; the HLS-only options
    (``mode``, ``project``, ``configs``, ``wrap_io``, ``use_memory``) do not apply."""
    built = getattr(schedule, "built", None)
    func_args = getattr(schedule, "func_args", None) or {}
    return LLVMModule(schedule.module, schedule.top_func_name,
                      ext_libs=getattr(built, "ext_libs", None),
                      arg_names=func_args.get(schedule.top_func_name))
