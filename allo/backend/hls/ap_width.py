"""Arbitrary-precision widths in emitted HLS C++: ``AP_INT_MAX_W`` and the 4096-bit limit.

``ap_int``/``ap_fixed`` refuse widths above ``AP_INT_MAX_W`` (1024 unless the translation
unit defines it before including ``ap_int.h``; C simulation aborts at run time). Vitis HLS
accepts a definition up to 4096. So the emitted code defines it when a type is wider than
1024 bits, to the storage width of the widest one (the C-simulation driver moves values in
that container width), and any type wider than 4096 bits is refused at build time.

>>> max_width_define("ap_int<2048> a; ap_ufixed<1100, 3> b; ap_uint<7> c;")
'#define AP_INT_MAX_W 2048'
>>> max_width_define("ap_int<1024> a;") is None
True
>>> prelude_defines("// banner\\n#define AP_INT_MAX_W 4096\\n#include <ap_int.h>\\n#define X 1")
['#define AP_INT_MAX_W 4096']
"""

from __future__ import annotations

import re

from ..._mlir import ir
from ...mlir_utils import walk_ops
from ...diagnostics import SourceLoc
from ...errors import BuildError
from ...frontend.types import container_bits

DEFAULT_MAX_WIDTH = 1024
VITIS_MAX_WIDTH = 4096

_AP_TYPE = re.compile(r"\bap_u?(?:int|fixed)<\s*(\d+)")


def max_width_define(code: str) -> str | None:
    """``#define AP_INT_MAX_W <n>`` for emitted ``code`` using types wider than 1024 bits."""
    widths = [int(w) for w in _AP_TYPE.findall(code)]
    widest = max(widths, default=0)
    if widest <= DEFAULT_MAX_WIDTH:
        return None
    if widest > VITIS_MAX_WIDTH:  # checked per value before emission; this is a backstop
        raise BuildError(f"the emitted code needs a {widest}-bit ap_int, wider than the "
                         f"{VITIS_MAX_WIDTH} bits Vitis HLS supports (AP_INT_MAX_W)")
    return f"#define AP_INT_MAX_W {min(container_bits(widest), VITIS_MAX_WIDTH)}"


def prelude_defines(code: str) -> list[str]:
    """The ``#define`` lines before the first ``#include`` of a translation unit."""
    out = []
    for line in code.splitlines():
        stripped = line.strip()
        if stripped.startswith("#include"):
            break
        if stripped.startswith("#define"):
            out.append(stripped)
    return out


def check_type_widths(module) -> None:
    """Raise ``BuildError`` naming a value whose type is wider than 4096 bits, preferring
    one with a location in the user's source (``wrap_io`` helpers have none)."""
    found = list(_wide_values(module))
    if not found:
        return
    located = [item for item in found if SourceLoc.from_mlir_loc(item[2].location)]
    tag, width, op = (located or found)[0]
    raise BuildError(f"type {tag or f'i{width}'} is {width} bits wide, but HLS supports "
                     f"arbitrary-precision types of at most {VITIS_MAX_WIDTH} bits "
                     f"(AP_INT_MAX_W); narrow the type, or the operands of an operation whose "
                     f"result is wider", loc=SourceLoc.of_op(op))


def _wide_values(module):
    """``(allo type tag or None, width, op)`` of every value wider than 4096 bits."""
    for func in module.body.operations:
        if func.operation.name == "func.func" and len(func.regions[0].blocks):
            tags = _param_tags(func)
            for k, arg in enumerate(func.regions[0].blocks[0].arguments):
                width = _width(arg.type)
                if width > VITIS_MAX_WIDTH:
                    yield (tags[k] if k < len(tags) else None), width, func
        elif func.operation.name == "memref.global":
            width = _width(ir.TypeAttr(func.operation.attributes["type"]).value)
            if width > VITIS_MAX_WIDTH:
                yield None, width, func
        for op in walk_ops(func):
            attrs = op.attributes
            tag = ir.StringAttr(attrs["allo.type"]).value if "allo.type" in attrs else None
            for result in op.results:
                width = _width(result.type)
                if width > VITIS_MAX_WIDTH:
                    yield tag, width, op


def _param_tags(func) -> list:
    if "allo.itypes" not in func.attributes:
        return []
    return [ir.StringAttr(a).value for a in ir.ArrayAttr(func.attributes["allo.itypes"])]


def _width(mlir_type) -> int:
    """Bits of an integer type or of the elements of a memref of integers, else 0."""
    scalar = mlir_type.element_type if isinstance(mlir_type, ir.MemRefType) else mlir_type
    return ir.IntegerType(scalar).width if isinstance(scalar, ir.IntegerType) else 0

