"""The CPU lowering pipeline: from our IR (docs/ir.md) to the LLVM dialect.

Two stages, both on a private copy of the user's module:

1. :func:`prepare_for_cpu` — Allo-level rewrites: ``allo.*`` ops to ``arith`` with trap guards,
   HLS annotations stripped from memref types, tensors bufferized, linalg to affine loops,
   odd-width integer memory legalised, buffer lifetimes, the ``allo_entry`` wrapper, and the
   locality rewrites: transposed copies of matrices read column-wise
   (:mod:`allo.backend.llvm.transpose_reads`) and loop permutation
   (:mod:`allo.backend.llvm.loop_permute`). The result is what
   ``LLVMModule.intermediate_module`` shows.
2. :func:`lower_to_llvm_dialect` — upstream conversion passes to the LLVM dialect.

>>> from allo.backend.llvm.module import invoke_mlir_parser
>>> m = invoke_mlir_parser('''func.func @k(%a: memref<4xi32>) -> i32 {
...   %c0 = arith.constant 0 : index
...   %v = memref.load %a[%c0] : memref<4xi32>
...   return %v : i32 }''')
>>> prepared = prepare_for_cpu(m, "k"); lower_to_llvm_dialect(m)
>>> "llvm.func @allo_entry" in str(m)
True
"""

from __future__ import annotations

from dataclasses import dataclass

from ..._mlir import ir, passmanager
from ...diagnostics import SourceLoc
from ...errors import BuildError
from ...mlir_utils import collect_ops
from .allo_ops import insert_arith_guards, lower_allo_ops
from .bounds_checks import expand_bounds_checks, insert_bounds_checks
from .buffer_lifetime import manage_buffer_lifetimes
from .entry_noalias import (distinct_param_ranks, entry_memref_ranks, mark_entry_args_noalias,
                            mark_params_noalias)
from .distinct_params import functions_with_distinct_params
from .entry_wrapper import add_entry_wrapper
from .loop_permute import permute_loops_for_locality
from .memref_types import legalize_memref_int_widths, strip_memref_annotations
from .narrow_ints import narrow_integer_arithmetic
from .stream_checks import insert_stream_checks
from .transpose_reads import transpose_column_reads

__all__ = ["CpuPreparation", "prepare_for_cpu", "lower_to_llvm_dialect", "run_pipeline",
           "LLVM_PIPELINE"]

BUFFERIZE_PIPELINE = (
    "builtin.module(one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map})"
)

LINALG_PIPELINE = "builtin.module(func.func(convert-linalg-to-affine-loops))"

# Up to plain CFGs: bounds-check markers become branches there (allo.backend.llvm.bounds_checks).
CFG_PASSES = (
    "canonicalize, cse, "
    "lower-affine, arith-expand, memref-expand, "
    "convert-scf-to-cf"
)
LLVM_CONVERSION_PASSES = (
    "canonicalize, "
    "expand-strided-metadata, lower-affine, finalize-memref-to-llvm, "
    "convert-math-to-llvm, convert-math-to-libm, "
    "convert-arith-to-llvm, convert-index-to-llvm, convert-func-to-llvm, "
    "convert-cf-to-llvm, convert-ub-to-llvm, reconcile-unrealized-casts, "
    "canonicalize"
)
LLVM_PIPELINE = f"builtin.module({CFG_PASSES}, {LLVM_CONVERSION_PASSES})"


def run_pipeline(module: "ir.Module", pipeline: str, what: str) -> None:
    """Run an upstream pass pipeline; a failure becomes ``BuildError`` with MLIR's diagnostics."""
    diagnostics, located = [], []

    def keep(diagnostic):  # a diagnostic is valid only during this call: read it now
        diagnostics.append(str(diagnostic.message))
        loc = SourceLoc.from_mlir_loc(diagnostic.location)
        if loc is not None:
            located.append(loc)
        return True

    with module.context:
        handler = module.context.attach_diagnostic_handler(keep)
        try:
            passmanager.PassManager.parse(pipeline).run(module.operation)
        except Exception as exc:  # MLIR reports pass failures as generic exceptions
            detail = "\n".join(diagnostics) or str(exc)
            # located at the first diagnostic that points into the user's source
            raise BuildError(f"CPU lowering failed while {what}:\n{detail}",
                             loc=located[0] if located else None) from exc
        finally:
            handler.detach()


def _has_tensors(module: "ir.Module") -> bool:
    def uses_tensor(op):
        if op.name in ("memref.global",):
            return False
        return any(isinstance(v.type, ir.RankedTensorType) or "tensor<" in str(v.type)
                   for v in list(op.results) + list(op.operands))

    return bool(collect_ops(module.operation, uses_tensor))


@dataclass(frozen=True)
class CpuPreparation:
    """What :func:`prepare_for_cpu` found, for the rest of the build.

    ``sites``: the bounds-checked subscripts
    (:class:`~allo.backend.llvm.bounds_checks.BoundsSite`, indexed by site id), or ``None``
    without bounds checks. ``distinct_functions``: the functions whose array parameters never
    overlap (:mod:`allo.backend.llvm.distinct_params`), computed once per build and handed to
    :func:`lower_to_llvm_dialect`; empty without the distinct-arguments promise.

    >>> CpuPreparation(None, frozenset({"top"})).distinct_functions
    frozenset({'top'})
    """

    sites: list | None
    distinct_functions: frozenset


def prepare_for_cpu(module: "ir.Module", top: str, distinct_args: bool = False,
                    permute_loops: bool = True, bounds_checks: bool = True) -> CpuPreparation:
    """Allo-level CPU rewrites on ``module`` (a private copy), ending with ``allo_entry``.

    ``distinct_args`` promises that the top function's array arguments never overlap (the
    numpy boundary checks it per call); loop permutation may then reorder across them.
    With ``bounds_checks`` (the default) every subscript not proven in bounds is checked at
    run time and ``allo_entry`` takes the error slot last. Returns the checked sites and the
    functions with non-overlapping parameters (:class:`CpuPreparation`).

    The latter are found once, on the loop-level IR before any of our rewrites add calls or
    parameters (the bounds checks' error slot is shared along a call chain and would hide
    sub-kernels whose data arrays are fresh allocations); the locality rewrites here and the
    ``noalias`` marking of the lowering all use that one set.
    """
    sites = None
    with module.context, ir.Location.unknown():
        lower_allo_ops(module)
        stream_sites: list = []
        if bounds_checks:
            insert_stream_checks(module, stream_sites)
        strip_memref_annotations(module)
        if _has_tensors(module):
            run_pipeline(module, BUFFERIZE_PIPELINE, "bufferizing tensors")
        run_pipeline(module, LINALG_PIPELINE, "lowering linalg to loops")
        insert_arith_guards(module)
        narrow_integer_arithmetic(module)
        distinct = frozenset(functions_with_distinct_params(module, top if distinct_args
                                                            else None))
        if permute_loops:
            transpose_column_reads(module, distinct_functions=distinct)
        add_entry_wrapper(module, top)
        manage_buffer_lifetimes(module)
        legalize_memref_int_widths(module)
        if permute_loops:
            permute_loops_for_locality(module, distinct_functions=distinct)
        if bounds_checks:
            sites = insert_bounds_checks(module, sites=stream_sites)
    try:
        module.operation.verify()
    except Exception as exc:  # a lowering bug, reported with MLIR's message
        raise BuildError(f"CPU lowering produced invalid IR: {exc}",
                         loc=SourceLoc.of_diagnostics(exc)) from exc
    return CpuPreparation(sites, distinct)


def lower_to_llvm_dialect(module: "ir.Module", distinct_args: bool = False,
                          distinct_functions: frozenset = frozenset()) -> None:
    """Lower a prepared module to the LLVM dialect (upstream passes, :data:`LLVM_PIPELINE`,
    with the bounds-check markers expanded to branches once the bodies are plain CFGs).

    ``distinct_args`` (the arrays passed to ``allo_entry`` never overlap) marks their data
    pointers ``noalias`` (:mod:`allo.backend.llvm.entry_noalias`), and also those of the
    functions in ``distinct_functions`` (``CpuPreparation.distinct_functions``: the top
    function and the sub-kernels that inherit the promise)."""
    ranks = entry_memref_ranks(module) if distinct_args else None
    param_ranks = distinct_param_ranks(module, distinct_functions) if distinct_args else {}
    run_pipeline(module, f"builtin.module({CFG_PASSES})", "lowering loops to branches")
    expand_bounds_checks(module)
    run_pipeline(module, f"builtin.module({LLVM_CONVERSION_PASSES})",
                 "converting to the LLVM dialect")
    if ranks is not None:
        mark_entry_args_noalias(module, ranks)
    mark_params_noalias(module, param_ranks)
    leftovers = collect_ops(
        module.operation,
        lambda op: not op.name.startswith("llvm.") and op.name != "builtin.module")
    if leftovers:
        names = sorted({op.name for op in leftovers})
        located = [loc for loc in map(SourceLoc.of_op, leftovers) if loc is not None]
        raise BuildError(f"the CPU backend cannot lower: {', '.join(names)}",
                         loc=located[0] if located else None)

