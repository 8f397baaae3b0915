"""The :class:`Schedule` object: the MLIR module of a kernel plus the primitives applied to it."""

from __future__ import annotations

from .ir.module import BuiltModule


class Partition:
    """Partition kinds for ``s.partition``."""

    Complete = 0
    Block = 1
    Cyclic = 2


class Schedule:
    """A customizable program: ``s.module`` is rewritten in place by each primitive."""

    def __init__(self, built: BuiltModule):
        self.built = built
        self.module = built.module
        self.context = built.context
        self.top_func_name = built.top_func_name
        self.func_args = built.func_args
        self.primitive_sequences: list = []

    @property
    def top_func(self):
        return self.built.find_func(self.top_func_name)

    def build(self, target=None, mode=None, project=None, configs=None,
              wrap_io=True, use_memory=False):
        """Build for ``target`` (``backends.md`` §1); never mutates the schedule."""
        from .backend import build_module

        return build_module(self, target=target, mode=mode, project=project,
                            configs=configs, wrap_io=wrap_io, use_memory=use_memory)
