"""Values exchanged with a generated C++ test bench as text, one value per line.

The Catapult and XLS [CC] test benches read ``input<i>.data`` and write ``output<i>.data``.
Integers travel as decimal numbers, fixed-point values as their raw bits (an unsigned
decimal number), floats as C99 hexadecimal floats (``%a``), so every value round-trips
exactly. :func:`read_snippet`/:func:`write_snippet` give the C++ statements for one element,
:func:`encode`/:func:`decode` the Python side (numpy arrays as in ``backends.md`` §2.2).

>>> from allo.backend.hls.cpp_types import CType
>>> fx = CType("fixed", 8, True, 3, "fixed(8, 3)")
>>> encode(np.array([1.3, -1.3]), fx)
['10', '246']
>>> decode(['10', '246'], fx).tolist()
[1.25, -1.25]
"""

from __future__ import annotations

import numpy as np

from ...errors import BuildError
from .cpp_types import CType


def _check(ct: CType, target: str) -> None:
    if ct.kind in ("int", "fixed") and ct.width > 64:
        raise BuildError(f"the {target} test bench passes values of at most 64 bits "
                         f"(got {ct.spelling})")


def read_snippet(ct: CType, lvalue: str, token: str, target: str) -> str:
    """C++ statement storing the text ``token`` (a ``std::string``) into ``lvalue``."""
    _check(ct, target)
    if ct.kind == "float":
        return f"{lvalue} = ({ct.spelling})strtod({token}.c_str(), nullptr);"
    if ct.kind == "fixed":
        return (f"{{ ac_int<{ct.width}, false> raw = (unsigned long long)strtoull("
                f"{token}.c_str(), nullptr, 10); {lvalue}.set_slc(0, raw); }}")
    if ct.signed or ct.kind == "index":
        return f"{lvalue} = ({ct.spelling})(long long)strtoll({token}.c_str(), nullptr, 10);"
    return (f"{lvalue} = ({ct.spelling})(unsigned long long)strtoull({token}.c_str(), "
            "nullptr, 10);")


def write_snippet(ct: CType, rvalue: str, stream: str, target: str) -> str:
    """C++ statement printing ``rvalue`` on its own line of the ``FILE *`` ``stream``."""
    _check(ct, target)
    if ct.kind == "float":
        return f'fprintf({stream}, "%a\\n", (double)({rvalue}));'
    if ct.kind == "fixed":
        return (f'fprintf({stream}, "%llu\\n", (unsigned long long)({rvalue}).template '
                f"slc<{ct.width}>(0).to_uint64());")
    native = ct.is_native_int or ct.kind in ("bool", "index")
    if ct.signed or ct.kind == "index":
        value = f"(long long)({rvalue})" if native else f"(long long)({rvalue}).to_int64()"
        return f'fprintf({stream}, "%lld\\n", {value});'
    value = f"(unsigned long long)({rvalue})" if native else \
        f"(unsigned long long)({rvalue}).to_uint64()"
    return f'fprintf({stream}, "%llu\\n", {value});'


def encode(values, ct: CType) -> list[str]:
    """The text lines of ``values`` (array or scalar) for elements of type ``ct``."""
    flat = np.asarray(values).reshape(-1)
    if ct.kind == "float":
        return [float(v).hex() for v in flat.astype(np.float64)]
    if ct.kind == "fixed":
        scaled = np.trunc(flat.astype(np.float64) * (1 << ct.frac))
        mask = (1 << ct.width) - 1
        return [str(int(v) & mask) for v in scaled]
    return [str(int(v)) for v in flat.astype(np.int64 if ct.signed or ct.kind != "int"
                                              or ct.width < 64 else np.uint64)]


def decode(lines: list[str], ct: CType) -> np.ndarray:
    """The values printed by :func:`write_snippet`, as a flat numpy array."""
    if ct.kind == "float":
        return np.array([float.fromhex(s) for s in lines], dtype=np.float64)
    if ct.kind == "fixed":
        raws = []
        for s in lines:
            raw = int(s)
            if ct.signed and raw >> (ct.width - 1):
                raw -= 1 << ct.width
            raws.append(raw / (1 << ct.frac))
        return np.array(raws, dtype=np.float64)
    return np.array([int(s) for s in lines], dtype=object)
