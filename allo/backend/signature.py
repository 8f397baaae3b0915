"""The boundary view of a top function: each parameter/result's Allo type, shape and dtypes.

>>> from allo.backend.llvm import invoke_mlir_parser
>>> from allo.mlir_utils import find_func
>>> m = invoke_mlir_parser('''func.func @k(%A: memref<4xi12>, %n: f32) -> memref<4xi12>
...     attributes {itypes = "u_", otypes = "u"} { return %A : memref<4xi12> }''')
>>> sig = read_signature(find_func(m, "k"), ["A", "n"])
>>> [(p.name, str(p.allo_type), p.shape) for p in sig.params]
[('A', 'ui12', (4,)), ('n', 'f32', None)]
>>> sig.params[0].storage_dtype
dtype('uint16')
"""

from __future__ import annotations

from dataclasses import dataclass

from .._mlir import ir
from ..analysis.memref_roots import param_allo_types, result_allo_types
from ..diagnostics import SourceLoc, message_of
from ..errors import AlloError, BuildError, DTypeError
from ..frontend.types import AlloType, Fixed, UFixed, numpy_dtype
from ..mlir_utils import func_name


@dataclass
class Port:
    """One parameter or result. ``shape`` is ``None`` for scalars; dynamic dims are ``None``."""

    name: str
    position: int
    allo_type: AlloType
    shape: tuple | None

    def __post_init__(self):
        # computed once: every call consults them
        self.is_array = self.shape is not None
        try:
            self.storage_dtype = numpy_dtype(self.allo_type, storage=True)
            self.user_dtype = numpy_dtype(self.allo_type)
        except DTypeError as err:
            raise BuildError(message_of(err)) from err
        self.type_str = str(self.allo_type)
        self.is_fixed = isinstance(self.allo_type, (Fixed, UFixed))
        self.static_shape = self.is_array and all(d is not None for d in self.shape)
        size = self.storage_dtype.itemsize
        self.alignment = min(16, size) if size & (size - 1) == 0 else 1


@dataclass
class Signature:
    func_name: str
    params: list
    results: list

    def describe_params(self) -> str:
        return ", ".join(p.name for p in self.params)


def _shape_of(type_: "ir.Type"):
    if not isinstance(type_, (ir.MemRefType, ir.RankedTensorType)):
        return None
    mtype = ir.ShapedType(type_)
    return tuple(None if mtype.is_dynamic_dim(i) else mtype.shape[i] for i in range(mtype.rank))


def read_signature(func_op, arg_names=None) -> Signature:
    """Build the :class:`Signature` of ``func_op`` (``arg_names``, by default ``arg<i>``); a type
    that cannot cross the boundary is a ``BuildError`` at the function's ``def`` line."""
    try:
        return _read_signature(func_op, arg_names)
    except AlloError as err:
        raise err.locate(SourceLoc.of_op(func_op))


def _read_signature(func_op, arg_names) -> Signature:
    ftype = ir.FunctionType(ir.TypeAttr(func_op.attributes["function_type"]).value)
    name = func_name(func_op)
    in_types, out_types = param_allo_types(func_op), result_allo_types(func_op)
    names = list(arg_names or [])
    params = []
    for i, (mlir_type, t) in enumerate(zip(ftype.inputs, in_types)):
        if t is None:
            raise BuildError(f"parameter {i} of {name} has type {mlir_type}, which cannot "
                             "cross the numpy boundary")
        label = names[i] if i < len(names) and names[i] else f"arg{i}"
        params.append(Port(label, i, t, _shape_of(mlir_type)))
    results = []
    for i, (mlir_type, t) in enumerate(zip(ftype.results, out_types)):
        if t is None:
            raise BuildError(f"result {i} of {name} has type {mlir_type}, which cannot "
                             "cross the numpy boundary")
        results.append(Port(f"result {i}", i, t, _shape_of(mlir_type)))
    return Signature(name, params, results)
