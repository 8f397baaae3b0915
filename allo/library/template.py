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
>>> @type_params("N", "P", requires=("N % P == 0",))
... def halves(X: "int32[N]") -> "int32[N // P]":
...     return X[0:N // P]
>>> halves.__template_requires__
('N % P == 0',)
"""

from __future__ import annotations

import typing
from typing import Callable

__all__ = ["type_params"]


def type_params(*names: str, requires: tuple[str, ...] = ()) -> Callable:
    """Decorator giving a kernel the type parameters ``names`` (in template-call order).

    ``requires``: conditions on the arguments (Python expressions over the parameter names,
    such as ``"M % Mt == 0"``); an instantiation violating one raises ``AlloTypeError``
    naming it, instead of compiling a kernel that silently skips rows.
    """
    if not names or not all(isinstance(n, str) and n.isidentifier() for n in names):
        raise TypeError(f"type_params expects parameter names, got {names!r}")
    if len(set(names)) != len(names):
        raise TypeError(f"type_params: duplicate parameter name in {names!r}")
    for condition in requires:
        compile(condition, "<requires>", "eval")  # a typo fails at import, not at use

    def attach(fn: Callable) -> Callable:
        fn.__type_params__ = tuple(typing.TypeVar(n) for n in names)
        fn.__template_requires__ = tuple(requires)
        return fn

    return attach
