"""Template kernels written without PEP 695 syntax, so they load on Python 3.11 too.

``def k[T, N](X: "T[N]")`` needs Python 3.12. The frontend only looks at a kernel's
``__type_params__`` (the names a template call binds), so a decorator that sets them gives
the same template on any supported Python::

    @type_params("Ty", "N")
    def scale(X: "Ty[N]") -> "Ty[N]":
        ...

    scale[int32, 16, "a"](X)             # inside a kernel, as for a PEP 695 template
    allo.customize(scale, instantiate=[int32, 16])

Annotations naming the parameters must be strings (or the module must use
``from __future__ import annotations``) because the names exist only at compile time.

>>> @type_params("Ty", "N")
... def twice(X: "Ty[N]") -> "Ty[N]":
...     return X + X
>>> [p.__name__ for p in twice.__type_params__]
['Ty', 'N']
"""

from __future__ import annotations

import typing
from typing import Callable

__all__ = ["type_params"]


def type_params(*names: str) -> Callable:
    """Decorator giving a kernel the type parameters ``names`` (in template-call order)."""
    if not names or not all(isinstance(n, str) and n.isidentifier() for n in names):
        raise TypeError(f"type_params expects parameter names, got {names!r}")
    if len(set(names)) != len(names):
        raise TypeError(f"type_params: duplicate parameter name in {names!r}")

    def attach(fn: Callable) -> Callable:
        fn.__type_params__ = tuple(typing.TypeVar(n) for n in names)
        return fn

    return attach
