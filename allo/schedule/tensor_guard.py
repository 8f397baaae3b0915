"""Primitives on an ``enable_tensor=True`` schedule (language.md §10.3).

Such a schedule's user kernels are tensor-level IR, which the primitives (loop and buffer
rewrites) do not address; the buffer functions of the same program (library kernels such as
``allo.library.nn`` or the systolic arrays, which keep their loops) can still be scheduled,
and their default schedules composed. :func:`guard_tensor_functions` runs one primitive so:
if it fails, or changes a tensor-level function, the module is put back as it was and a
``ScheduleError`` naming ``enable_tensor=True`` is raised.

>>> import allo
>>> from allo.ir.types import int32
>>> def inc(A: int32[4]) -> int32[4]:
...     return A + 1
>>> inc.__module__ = "my_kernels"  # a user's kernel (those of allo.* are library ones)
>>> s = allo.customize(inc, enable_tensor=True)
>>> try:
...     s.partition("inc:A")
... except allo.ScheduleError as err:
...     print("enable_tensor=True" in str(err))
True
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from ..errors import ScheduleError


def tensor_function_texts(state) -> list[str]:
    """The printed tensor-level functions of ``state``'s module."""
    texts = []
    for name in state.built.tensor_funcs:
        op = state.func_op(name)
        texts.append("" if op is None else op.operation.get_asm(enable_debug_info=False))
    return texts


def refusal(name: str, reason: Exception | None) -> ScheduleError:
    """The ``ScheduleError`` refusing primitive ``name`` (with the primitive's own error)."""
    detail = f" ({reason})" if reason is not None else ""
    return ScheduleError(
        f"{name}: the kernels of an enable_tensor=True schedule are tensor-level IR, which "
        f"primitives do not rewrite (only its buffer functions, such as library kernels, "
        f"can be scheduled); customize without enable_tensor to schedule them{detail}")


@contextmanager
def guard_tensor_functions(state, name: str) -> Iterator[None]:
    """Run primitive ``name`` on ``state``; on a tensor schedule, undo it and raise a
    ``ScheduleError`` when it fails or touches a tensor-level function."""
    if not getattr(state.built, "tensor_ir", False):
        yield
        return
    saved = state.checkpoint()
    before = tensor_function_texts(state)
    try:
        yield
        changed = tensor_function_texts(state) != before
    except Exception as err:
        state.restore(saved)
        state.forget_analyses()
        raise refusal(name, err) from err
    if changed:
        state.restore(saved)
        state.forget_analyses()
        raise refusal(name, None)
