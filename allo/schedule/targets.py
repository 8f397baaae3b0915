"""Build targets: ``s.build(target=...)`` runs the backend registered for ``target``.

The backends sit above the schedule layer, so each registers its target names here when
it is imported (``import allo`` imports them all): ``allo.backend.llvm`` registers
``"llvm"`` (also the default), ``allo.backend.hls`` the HLS targets (``"vhls"``,
``"vitis_hls"``, ...). A builder is called as ``build(schedule, target, mode=...,
project=..., configs=..., wrap_io=..., use_memory=...)`` and never mutates the schedule.

>>> "llvm" in BUILDERS and "vhls" in BUILDERS
True
"""

from __future__ import annotations

import warnings
from typing import Callable, Iterable

from ..analysis.uninitialized import undefined_reads
from ..errors import BuildError, warn

DEFAULT_TARGET = "llvm"

BUILDERS: dict[str, Callable] = {}


def register_target(names: Iterable[str], build: Callable) -> None:
    """Make ``s.build(target=name)`` call ``build`` for every name in ``names``."""
    for name in names:
        BUILDERS[name] = build


def build_schedule(schedule, target: str | None = None, **options):
    """Build ``schedule`` for ``target`` (``None`` = ``"llvm"``) (``backends.md`` §1.1)."""
    if target is not None and not isinstance(target, str):
        raise BuildError(f"Target {target!r} is not supported: a target is a string such as "
                         f"'llvm' or 'vhls'")
    build = BUILDERS.get(DEFAULT_TARGET if target is None else target)
    if build is None:
        raise BuildError(f"Target {target} is not supported")
    warn_undefined_reads(schedule.module)
    return build(schedule, target, **options)


def warn_undefined_reads(module) -> None:
    """Warn, at the kernel line that reads it, about every buffer read before it is written
    (``allo/analysis/uninitialized.py``): the program computes with undefined values."""
    for read in undefined_reads(module):
        if read.filename is not None and read.line is not None:
            warnings.warn_explicit(read.message(), UserWarning, read.filename, read.line)
        else:
            warn(read.message())
