"""Schedule primitives, one module per family; importing this package registers them all.

* ``args``        — argument resolution shared by every primitive
* ``registry``    — the primitive table and the ``@primitive`` decorator
* ``loops``       — split, reorder, fuse, unroll, pipeline, parallel
* ``compute_at``  — compute_at
* ``unfold``      — unfold (spatial replication)
* ``functions``   — inline, dataflow
* ``memory``      — partition, reshape
* ``buffer_at``   — buffer_at
* ``reuse``       — reuse_at
* ``compose``     — ``Schedule.compose``: replay of sub-schedules (not a primitive itself;
  imported by ``allo.schedule`` when used)
"""

from .registry import PRIMITIVES, primitive  # noqa: F401
from . import loops, compute_at, unfold, functions  # noqa: F401,E402
from . import memory, buffer_at, reuse  # noqa: F401,E402
