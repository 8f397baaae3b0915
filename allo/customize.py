"""``allo.customize``: compile a kernel to MLIR and return its :class:`Schedule`."""

from __future__ import annotations

from typing import Any, Callable

from .diagnostics import public_entry, public_methods
from .frontend.builder import build_module
from .schedule import Schedule, Partition  # noqa: F401

# Every public Schedule method (primitives, get_loops, compose, build, ...) is an entry
# point: its errors are located at the user's call and show the user's frames only.
public_methods(Schedule)


@public_entry
def customize(
    fn: Callable | str,
    verbose: bool = False,
    enable_tensor: bool = False,
    lower_linalg: bool = False,
    global_vars: dict | None = None,
    instantiate: list | None = None,
    context: Any = None,
    typing_rule_set: str = "default",
    unroll: bool = True,
) -> Schedule:
    """Parse ``fn``'s source, build typed MLIR for it and every kernel it calls, and
    return a :class:`Schedule` of the program.

    :param fn: the kernel (a Python function), or its source text.
    :param verbose: print the generated MLIR module.
    :param enable_tensor: build whole-array operations on tensors instead of buffers.
    :param lower_linalg: lower the built-in array operations (``allo.matmul``, ...) to
        loop nests right away, so primitives can address their loops.
    :param global_vars: extra compile-time names (a dict), on top of the names visible
        from the kernel's definition and from the caller's frames.
    :param instantiate: the template arguments of a template kernel, in order.
    :param context: an MLIR context to build in (a fresh one by default).
    :param typing_rule_set: ``"default"`` (exact, widening integer arithmetic) or
        ``"cpp-style"`` (C++-like promotion to standard widths).
    :param unroll: unroll ``allo.meta_for`` loops at compile time (``False`` may keep a
        loop whose variable need not be constant as a run-time loop).
    :raises AlloSyntaxError: the kernel uses unsupported Python.
    :raises AlloTypeError: types or shapes do not fit.

    >>> from allo.ir.types import int32
    >>> def inc(A: int32[4]) -> int32[4]:
    ...     B: int32[4] = 0
    ...     for i in range(4):
    ...         B[i] = A[i] + 1
    ...     return B
    >>> s = customize(inc)
    >>> s.top_func_name
    'inc'
    """
    built = build_module(
        fn,
        instantiate=instantiate,
        global_vars=global_vars,
        context=context,
        enable_tensor=enable_tensor,
        lower_linalg=lower_linalg,
        typing_rule_set=typing_rule_set,
        unroll=unroll,
        verbose=verbose,
    )
    return Schedule(built)
