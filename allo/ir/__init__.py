"""``allo.ir``: the previous home of the frontend; the import paths users write still work.

``allo.ir.types`` is :mod:`allo.frontend.types`, ``allo.ir.utils`` (``MockBuffer``, loop
handles) is :mod:`allo.schedule.handles` and ``allo.ir.transform`` (``find_loop_in_bands``)
is :mod:`allo.schedule.rewrite`: the very same module objects under their old names.

>>> from allo.ir.types import int32
>>> from allo.ir.utils import MockBuffer
>>> from allo.ir.transform import find_loop_in_bands
"""

import sys

from ..frontend import types
from ..schedule import handles as utils, rewrite as transform

for _name, _module in (("types", types), ("utils", utils), ("transform", transform)):
    sys.modules[f"{__name__}.{_name}"] = _module
del _name, _module
