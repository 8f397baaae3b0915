"""Vitis HLS C++ respelled with Algorithmic C types, for the Catapult and XLS [CC] targets.

Both targets accept the code the Vitis emitter prints once its arbitrary-precision types and
bit accesses are written the AC way (``backends.md`` §7):

* ``ap_int<W>`` / ``ap_uint<W>`` → ``ac_int<W, true>`` / ``ac_int<W, false>``; ``ap_fixed<W, I>``
  / ``ap_ufixed<W, I>`` → ``ac_fixed<W, I, true|false>`` (the same truncate/wrap defaults);
* ``x.range(hi, lo)`` read → ``x.template slc<W>(lo)``, and the statement
  ``x.range(hi, lo) = v;`` → ``x.set_slc(lo, ac_int<W, false>(v));``, ``W = hi - lo + 1``
  (both bounds literal, or ``hi`` written ``lo + k``);
* ``x.to_ap_int_base()`` (the integer part of a fixed-point value) → ``x.to_ac_int()``;
* ``#pragma HLS`` lines are handed to a per-target translation (``None`` drops the line).

Constructs without an AC spelling (``half``, ``hls::vector`` block streams, ``.reverse()``)
raise :class:`~allo.errors.BuildError` naming the target.

>>> ac_types("ap_int<5> a; ap_ufixed<8, 2> b;")
'ac_int<5, true> a; ac_fixed<8, 2, false> b;'
>>> ac_bit_ranges("  v3.range(7, 0) = v2.range(v1 + 7, v1);", "Catapult")
'  v3.set_slc(0, ac_int<8, false>(v2.template slc<8>(v1)));'
"""

from __future__ import annotations

import re
from typing import Callable

from ...errors import BuildError

_INT = re.compile(r"\bap_(u?)int<(\d+)>")
_FIXED = re.compile(r"\bap_(u?)fixed<(\d+), (-?\d+)>")
_RANGE = re.compile(r"\.range\(([^()]*?), ([^()]*?)\)")
_RANGE_STORE = re.compile(r"^(\s*)([\w\[\]]+)\.range\(([^()]*?), ([^()]*?)\) = (.*);$")
_PRAGMA = re.compile(r"^(\s*)#pragma HLS (.*)$")
_UNSUPPORTED = [
    (re.compile(r"\bhls::vector<"), "block streams (hls::vector)"),
    (re.compile(r"\.reverse\(\)"), "bit reversal (.reverse())"),
]


def ac_types(code: str) -> str:
    """Respell the ``ap_`` integer and fixed-point types of ``code`` as AC types."""
    code = _INT.sub(lambda m: f"ac_int<{m.group(2)}, {'false' if m.group(1) else 'true'}>", code)
    return _FIXED.sub(lambda m: f"ac_fixed<{m.group(2)}, {m.group(3)}, "
                                f"{'false' if m.group(1) else 'true'}>", code)


def _slice_width(hi: str, lo: str, target: str) -> int:
    hi, lo = hi.strip(), lo.strip()
    if hi == lo:
        return 1
    if re.fullmatch(r"-?\d+", hi) and re.fullmatch(r"-?\d+", lo):
        return int(hi) - int(lo) + 1
    m = re.fullmatch(re.escape(lo) + r" \+ (\d+)", hi)
    if m:
        return int(m.group(1)) + 1
    raise BuildError(f"the bit slice .range({hi}, {lo}) has no fixed width; the {target} "
                     "backend needs compile-time slice widths")


def ac_bit_ranges(line: str, target: str) -> str:
    """One line with its ``.range`` reads and its ``.range`` store written the AC way."""
    store = _RANGE_STORE.match(line)
    if store:
        indent, var, hi, lo, value = store.groups()
        width = _slice_width(hi, lo, target)
        value = ac_bit_ranges(value, target)
        return f"{indent}{var}.set_slc({lo}, ac_int<{width}, false>({value}));"
    return _RANGE.sub(lambda m: f".template slc<{_slice_width(m.group(1), m.group(2), target)}>"
                                f"({m.group(2)})", line)


def check_expressible(code: str, target: str) -> None:
    """``BuildError`` for a construct of ``code`` that has no AC spelling."""
    for pattern, what in _UNSUPPORTED:
        if pattern.search(code):
            raise BuildError(f"{what} cannot be expressed by the {target} backend")


def translate_pragmas(code: str, pragma: Callable[[str], str | None]) -> str:
    """Replace every ``#pragma HLS <text>`` line by ``pragma(<text>)`` (``None``: dropped)."""
    out = []
    for line in code.split("\n"):
        m = _PRAGMA.match(line)
        if m is None:
            out.append(line)
            continue
        new = pragma(m.group(2))
        if new is not None:
            out.append(m.group(1) + new)
    return "\n".join(out)


def replace_prelude(code: str, includes: list[str]) -> str:
    """Swap the ``#include`` block (and the ``AP_INT_MAX_W`` define) for ``includes``,
    keeping quoted includes (external IP) after them."""
    lines = code.split("\n")
    out, placed = [], False
    for line in lines:
        if line.startswith("#define AP_INT_MAX_W"):
            continue
        if line.startswith("#include <"):
            if not placed:
                out.extend(f"#include <{h}>" for h in includes)
                placed = True
            continue
        out.append(line)
    return "\n".join(out)


def to_ac(code: str, target: str) -> str:
    """Types and bit ranges of every line in the AC spelling (pragmas untouched)."""
    check_expressible(code, target)
    code = ac_types(code).replace(".to_ap_int_base()", ".to_ac_int()")
    return "\n".join(ac_bit_ranges(line, target) if ".range(" in line else line
                     for line in code.split("\n"))
