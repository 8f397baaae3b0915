"""Where a memref comes from, and the Allo types a function declares (docs/ir.md tags).

>>> from allo.backend.llvm import invoke_mlir_parser
>>> m = invoke_mlir_parser('''func.func @f(%a: memref<4xi5>) attributes {itypes = "u"} {
...   return }''')
>>> from allo.mlir_utils import find_func
>>> [str(t) for t in param_allo_types(find_func(m, "f"))]
['ui5']
"""

from __future__ import annotations

from .._mlir import ir
from ..diagnostics import SourceLoc
from ..errors import DTypeError, InternalError
from ..frontend.types import AlloType, Float, Index, Int, UInt, UFixed, type_from_str
from ..mlir_utils import find_func, find_symbol

_VIEWS = {
    "memref.subview", "memref.cast", "memref.reinterpret_cast", "memref.collapse_shape",
    "memref.expand_shape", "memref.transpose", "memref.view", "memref.assume_alignment",
}


def _element_or_scalar(type_: "ir.Type") -> "ir.Type":
    if isinstance(type_, ir.MemRefType):
        return ir.MemRefType(type_).element_type
    if isinstance(type_, ir.ShapedType):
        return ir.ShapedType(type_).element_type
    return type_


def default_allo_type(type_: "ir.Type", unsigned: bool = False) -> AlloType | None:
    """The Allo type of an untagged MLIR scalar (or element) type: signed ints, ``i1`` = bool."""
    element = _element_or_scalar(type_)
    text = str(element)
    if text == "index":
        return Index()
    if text in ("f16", "bf16", "f32", "f64"):
        return type_from_str(text)
    if isinstance(element, ir.IntegerType):
        width = ir.IntegerType(element).width
        return UInt(width) if unsigned or width == 1 else Int(width)
    return None


def _declared_types(func_op, typed_attr: str, sign_attr: str, mlir_types) -> list:
    names = None
    if typed_attr in func_op.attributes:
        attr = func_op.attributes[typed_attr]
        if isinstance(attr, ir.ArrayAttr):
            names = [ir.StringAttr(a).value for a in ir.ArrayAttr(attr)]
    signs = None
    if sign_attr in func_op.attributes:
        signs = ir.StringAttr(func_op.attributes[sign_attr]).value
    out = []
    for i, mlir_type in enumerate(mlir_types):
        if names is not None and i < len(names) and names[i]:
            out.append(type_from_str(names[i]))
            continue
        unsigned = signs is not None and i < len(signs) and signs[i] == "u"
        out.append(default_allo_type(mlir_type, unsigned))
    return out


def param_allo_types(func_op) -> list:
    """Allo scalar/element type of every parameter (``allo.itypes``, else ``itypes``, else MLIR)."""
    ft = ir.FunctionType(ir.TypeAttr(func_op.attributes["function_type"]).value)
    return _declared_types(func_op, "allo.itypes", "itypes", list(ft.inputs))


def result_allo_types(func_op) -> list:
    """Allo scalar/element type of every result (``allo.otypes``, else ``otypes``, else MLIR)."""
    ft = ir.FunctionType(ir.TypeAttr(func_op.attributes["function_type"]).value)
    return _declared_types(func_op, "allo.otypes", "otypes", list(ft.results))


def is_unsigned_type(t: AlloType | None) -> bool:
    return isinstance(t, (UInt, UFixed))


def signed_from_tags(op, default_width: int = 0) -> bool:
    """Signedness of the integer an op defines, from ``allo.type`` / ``unsigned`` tags."""
    if "allo.type" in op.attributes:
        text = ir.StringAttr(op.attributes["allo.type"]).value
        try:
            tagged = type_from_str(text)
        except (DTypeError, ValueError) as err:  # the frontend writes only known tags
            raise InternalError(f"'{op.name}' carries the unknown type tag "
                                f"allo.type = {text!r}", loc=SourceLoc.of_op(op)) from err
        return not is_unsigned_type(tagged) and not isinstance(tagged, Float)
    if "unsigned" in op.attributes:
        return False
    return default_width != 1


def _op_of(value):
    owner = value.owner
    return owner.operation if hasattr(owner, "operation") else owner


def root_of(value: "ir.Value") -> "ir.Value":
    """The memref a view chain starts from (the value itself when it is not a view)."""
    while not isinstance(value, ir.BlockArgument):
        op = _op_of(value)
        if op.name not in _VIEWS:
            break
        value = op.operands[0]
    return value


def element_is_signed(memref: "ir.Value") -> bool:
    """Whether the integer elements of ``memref`` are signed, from the nearest type tag."""
    width = ir.IntegerType(ir.MemRefType(memref.type).element_type).width
    value = memref
    while True:
        if isinstance(value, ir.BlockArgument):
            arg = ir.BlockArgument(value)
            parent = arg.owner.owner
            parent = parent.operation if hasattr(parent, "operation") else parent
            if parent.name == "func.func" and arg.owner == parent.regions[0].blocks[0]:
                t = param_allo_types(parent)[arg.arg_number]
                return not is_unsigned_type(t)
            return width != 1
        op = _op_of(value)
        if "allo.type" in op.attributes or "unsigned" in op.attributes:
            return signed_from_tags(op, width)
        if op.name == "func.call":
            callee = find_func(op, ir.FlatSymbolRefAttr(op.attributes["callee"]).value)
            if callee is not None:
                index = list(op.results).index(value)
                return not is_unsigned_type(result_allo_types(callee)[index])
            return width != 1
        if op.name == "memref.get_global":
            g = find_symbol(op, ir.FlatSymbolRefAttr(op.attributes["name"]).value, "memref.global")
            if g is not None and ("allo.type" in g.attributes or "unsigned" in g.attributes):
                return signed_from_tags(g, width)
            return width != 1
        if op.name in _VIEWS:
            value = op.operands[0]
            continue
        return width != 1
