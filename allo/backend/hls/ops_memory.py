"""Memory ops: buffers, loads/stores, views, globals, copies and streams."""

from __future__ import annotations

import re

from ..._mlir import ir
from ...errors import BuildError, InternalError
from .affine_print import fold_minmax, map_results_nonneg, print_map_results
from .cpp_types import CType
from .function import handles, has_attr, str_attr
from .pragmas import array_pragmas
from .values import linearize, Array, Scalar, stream_spelling

_DYNAMIC = -(1 << 63)


def memref_shape(mtype) -> tuple:
    """Static shape of a memref type, ``None`` for dynamic dimensions."""
    mt = ir.MemRefType(mtype)
    return tuple(None if d == _DYNAMIC or d < 0 else d for d in mt.shape)


def stream_depth_of(mtype) -> int | None:
    """The FIFO depth when the memref lives in memory space ``"stream:<depth>"``."""
    space = ir.MemRefType(mtype).memory_space
    if space is None:
        return None
    m = re.match(r'"stream:(-?\d+)"', str(space))
    return int(m.group(1)) if m else None


def buffer_elem_ctype(op, mtype) -> CType:
    """Element type of an alloc/global: its ``allo.type`` tag, else the MLIR default."""
    tag = str_attr(op, "allo.type")
    elem = ir.MemRefType(mtype).element_type
    if tag is not None:
        ct = CType.from_tag(tag)
        if not ct.is_integer_like or str(elem) in (f"i{ct.width}", "index"):
            return ct
    return CType.default_for(elem)


@handles("memref.alloc", "memref.alloca")
def emit_alloc(fe, op):
    result = op.result
    if result in fe.result_alias:
        fe.bind(result, fe.result_alias[result])
        return
    mtype = result.type
    shape = memref_shape(mtype)
    if any(d is None for d in shape):
        raise BuildError(f"the HLS backend cannot allocate an array of dynamic shape "
                         f"(in function {fe.sig.source_name})")
    elem = buffer_elem_ctype(op, mtype)
    src_name = str_attr(op, "name")
    name = fe.scope.source_name(src_name) if src_name else fe.scope.fresh()
    depth = stream_depth_of(mtype)
    if depth is not None:
        arr = Array(name, elem, shape, form="stream", stream_depth=depth)
        arr.extra["source_name"] = src_name
        if "allo.stream_block" in op.operation.attributes:
            arr.extra["block"] = tuple(shape[1:])
        if "allo.stream_spatial" in op.operation.attributes:
            arr.extra["spatial"] = ir.IntegerAttr(op.operation.attributes["allo.stream_spatial"]).value
    elif not shape:
        arr = Array(name, elem, shape, form="local_scalar")
    else:
        arr = Array(name, elem, shape)
    fe.bind(result, arr)
    if fe.threaded and depth is not None:  # C simulation: a bounded, named FIFO
        fe.line(f'{arr.declaration()}("{name}", {depth});', op)
    else:
        fe.line(arr.declaration() + ";", op)
    pragmas = array_pragmas(name, mtype, arr.form == "stream")
    if pragmas:
        for p in pragmas:
            fe.line(p)
        fe.blank()


@handles("memref.dealloc")
def emit_dealloc(fe, op):
    """Buffers are automatic variables in C++: nothing to free."""


def _affine_indices(fe, op, first: int) -> list[str]:
    amap = ir.AffineMapAttr(op.operation.attributes["map"]).value
    operands = [fe.expr(v) for v in list(op.operation.operands)[first:]]
    return print_map_results(amap, operands, fe.nonneg)


def _plain_indices(fe, op, first: int) -> list[str]:
    return [fe.expr(v) for v in list(op.operation.operands)[first:]]


def _emit_load(fe, op, indices):
    arr = fe.array(op.operation.operands[0])
    if arr.is_stream and arr.block:
        fe.define(op.result, _block_slot(fe, arr, indices), op, arr.elem)
        return
    if arr.is_stream:
        fe.define(op.result, f"{arr.stream_ref(indices)}.read()", op, arr.elem)
        return
    fe.define(op.result, arr.access(indices), op, arr.elem)


def _emit_store(fe, op, indices):
    value = op.operation.operands[0]
    arr = fe.array(op.operation.operands[1])
    if arr.is_stream and arr.block:
        expr = fe.convert_for_store(fe.scalar(value), arr.elem)
        fe.line(f"{_block_slot(fe, arr, indices)} = {expr};", op)
        return
    if arr.is_stream:
        expr = fe.convert_for_store(fe.scalar(value), arr.elem)
        fe.line(f"{arr.stream_ref(indices)}.write({expr});", op)
        return
    fe.assign_element(arr.access(indices), arr.elem, value, op)


def _block_slot(fe, arr, indices) -> str:
    """``_vec[k]``: an element of the block being moved (see ``emit_block_transfer``)."""
    vec = fe.block_vectors.get(arr.root.name)
    if vec is None:
        raise BuildError(f"block stream '{arr.root.name}' accessed outside a whole-block put/get")
    return f"{vec}[{linearize(list(indices)[1:], arr.block)}]"


@handles("affine.load")
def emit_affine_load(fe, op):
    _emit_load(fe, op, _affine_indices(fe, op, 1))


@handles("memref.load")
def emit_memref_load(fe, op):
    _emit_load(fe, op, _plain_indices(fe, op, 1))


@handles("affine.store")
def emit_affine_store(fe, op):
    _emit_store(fe, op, _affine_indices(fe, op, 2))


@handles("memref.store")
def emit_memref_store(fe, op):
    _emit_store(fe, op, _plain_indices(fe, op, 2))


@handles("affine.apply")
def emit_affine_apply(fe, op):
    amap = ir.AffineMapAttr(op.operation.attributes["map"]).value
    operands = [fe.expr(v) for v in op.operation.operands]
    exprs = print_map_results(amap, operands, fe.nonneg)
    sc = fe.define(op.result, exprs[0], op, CType.default_for(op.result.type))
    if map_results_nonneg(amap, operands, fe.nonneg)[0]:
        fe.nonneg.add(sc.expr)


@handles("affine.min", "affine.max")
def emit_affine_minmax(fe, op):
    amap = ir.AffineMapAttr(op.operation.attributes["map"]).value
    operands = [fe.expr(v) for v in op.operation.operands]
    exprs = print_map_results(amap, operands, fe.nonneg)
    kind = "min" if op.operation.name == "affine.min" else "max"
    sc = fe.define(op.result, fold_minmax(kind, exprs), op, CType.default_for(op.result.type))
    signs = map_results_nonneg(amap, operands, fe.nonneg)
    if all(signs) if kind == "min" else any(signs):
        fe.nonneg.add(sc.expr)


# --------------------------------------------------------------------------- views


def _static_list(op, name: str) -> list[int]:
    return list(ir.DenseI64ArrayAttr(op.operation.attributes[name]))


def _offset_expr(off: str, idx: str, stride: str) -> str:
    term = idx if stride == "1" else f"({idx} * {stride})"
    if off == "0":
        return term
    return f"({term} + {off})"


@handles("memref.subview")
def emit_subview(fe, op):
    source = fe.array(op.operation.operands[0])
    dyn = [fe.expr(v) for v in list(op.operation.operands)[1:]]
    dyn_iter = iter(dyn)

    def resolve(values):
        return [next(dyn_iter) if v == _DYNAMIC else str(v) for v in values]

    offsets = resolve(_static_list(op, "static_offsets"))
    sizes = resolve(_static_list(op, "static_sizes"))
    strides = resolve(_static_list(op, "static_strides"))
    res_shape = memref_shape(op.result.type)
    kept = _kept_dims(sizes, len(res_shape))

    def remap(indices):
        it = iter(indices)
        out = []
        for d in range(len(offsets)):
            if d in kept:
                out.append(_offset_expr(offsets[d], next(it), strides[d]))
            else:
                out.append(offsets[d])
        return out

    pass_expr = _contiguous_pointer(source, offsets, sizes, strides, kept)
    view = Array(source.name, source.elem, res_shape, base=source, remap=remap,
                 pass_expr=pass_expr)
    fe.bind(op.result, view)


def _kept_dims(sizes: list[str], result_rank: int) -> set[int]:
    """Dimensions of a rank-reducing subview that survive (unit dims dropped from the left)."""
    to_drop = len(sizes) - result_rank
    kept = set()
    for d, size in enumerate(sizes):
        if to_drop > 0 and size == "1":
            to_drop -= 1
            continue
        kept.add(d)
    return kept


def _contiguous_pointer(source: Array, offsets, sizes, strides, kept) -> str | None:
    """``&A[o0][o1]`` when the view is a contiguous row-major block of an array."""
    if source.base is not None or source.form not in ("array", "flat"):
        return None
    if any(s != "1" for s in strides):
        return None
    if source.form == "flat" and len(offsets) > 1:
        return None
    first = min(kept) if kept else len(offsets)
    for d in range(first + 1, len(offsets)):
        if offsets[d] != "0" or sizes[d] != str(source.shape[d]):
            return None
    prefix = offsets[: first + 1] if kept else offsets
    return "&" + source.access(prefix) if prefix else source.name


@handles("memref.cast")
def emit_memref_cast(fe, op):
    source = fe.array(op.operation.operands[0])
    fe.bind(op.result, source)


@handles("memref.expand_shape", "memref.collapse_shape")
def emit_reshape(fe, op):
    source = fe.array(op.operation.operands[0])
    src_shape = source.shape
    new_shape = memref_shape(op.result.type)
    if any(d is None for d in src_shape + new_shape):
        raise BuildError("the HLS backend cannot reshape arrays of dynamic shape")

    def remap(indices):
        flat = _linear_text(indices, new_shape)
        return _delinearize(flat, src_shape)

    pass_expr = None
    if source.base is None and source.form in ("array", "flat"):
        elem = source.elem.spelling
        if len(new_shape) <= 1:
            pass_expr = f"({elem} *){source.name}"
        else:
            dims = "".join(f"[{d}]" for d in new_shape[1:])
            pass_expr = f"({elem} (*){dims}){source.name}"
    fe.bind(op.result, Array(source.name, source.elem, new_shape, base=source, remap=remap,
                             pass_expr=pass_expr))


def _linear_text(indices, shape) -> str:
    text = None
    for idx, extent in zip(indices, shape):
        text = idx if text is None else f"(({text} * {extent}) + {idx})"
    return text if text is not None else "0"


def _delinearize(flat: str, shape) -> list[str]:
    out = []
    for k in range(len(shape)):
        stride = 1
        for d in shape[k + 1:]:
            stride *= d
        term = flat if stride == 1 else f"({flat} / {stride})"
        if k > 0:
            term = f"({term} % {shape[k]})"
        out.append(term)
    return out


@handles("memref.get_global")
def emit_get_global(fe, op):
    sym = ir.FlatSymbolRefAttr(op.operation.attributes["name"]).value
    info = fe.mod.global_info(sym)
    if info.is_static and sym not in fe.statics_emitted:
        raise InternalError(f"static {sym} not declared in {fe.sig.cname}")
    fe.bind(op.result, info.array)


@handles("memref.copy")
def emit_memref_copy(fe, op):
    src = fe.array(op.operation.operands[0])
    dst = fe.array(op.operation.operands[1])
    emit_copy_loops(fe, src, dst, op)


def emit_copy_loops(fe, src: Array, dst: Array, op) -> None:
    """Element-wise copy ``dst = src`` as a loop nest (raw bits preserved)."""
    shape = dst.shape
    if any(d is None for d in shape):
        raise BuildError("the HLS backend cannot copy arrays of dynamic shape")
    ivs = []
    for extent in shape:
        iv = fe.scope.fresh()
        ivs.append(iv)
        fe.line(f"{fe.loop_label('l_' + iv)}: for (int {iv} = 0; {iv} < {extent}; {iv}++) {{",
                op)
        fe.indent += 1
    value = Scalar(src.access(ivs), src.elem)
    fe.line(f"{dst.access(ivs)} = {fe.convert_for_store(value, dst.elem)};", op)
    for _ in shape:
        fe.indent -= 1
        fe.line("}")


@handles("memref.dim")
def emit_memref_dim(fe, op):
    raise BuildError("the HLS backend cannot query the size of a dynamic array "
                     "(memref.dim); pass the size as a scalar argument")


def stream_param_decl(elem: CType, name: str) -> str:
    return f"{stream_spelling(elem)} &{name}"


def is_static_global(op) -> bool:
    return has_attr(op, "static")
