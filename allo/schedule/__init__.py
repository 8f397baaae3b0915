"""Schedules: the :class:`Schedule` façade and the primitives that rewrite its MLIR in place.

One module per primitive family (``loops``, ``compute_at``, ``unfold``, ``functions``,
``memory``, ``buffer_at``, ``reuse``) plus what they share: ``args`` (argument resolution),
``registry`` (the primitive table), ``diagnostics``, ``legality``, ``rewrite`` (in-place IR
rewriting), ``handles`` (``MockBuffer``, loop handles) and ``compose`` (replay).
"""

from .schedule import Partition, Schedule  # noqa: F401
