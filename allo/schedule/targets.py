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

from typing import Callable, Iterable

from ..errors import BuildError

DEFAULT_TARGET = "llvm"

BUILDERS: dict[str, Callable] = {}


def register_target(names: Iterable[str], build: Callable) -> None:
    """Make ``s.build(target=name)`` call ``build`` for every name in ``names``."""
    for name in names:
        BUILDERS[name] = build


def build_schedule(schedule, target: str | None = None, **options):
    """Build ``schedule`` for ``target`` (``None`` = ``"llvm"``) (``backends.md`` §1.1)."""
    build = BUILDERS.get(DEFAULT_TARGET if target is None else target)
    if build is None:
        raise BuildError(f"Target {target} is not supported")
    return build(schedule, target, **options)
