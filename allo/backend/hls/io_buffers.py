"""``generate_input_output_buffers``: on-chip buffers around the top function (``wrap_io``).

``backends.md`` §3.7: every array parameter the top reads is copied into a local buffer
``buf<i>`` by a helper ``load_buf<i>``; results are copied out of the kernel by
``store_res<k>``; with ``flatten`` the external side becomes one-dimensional. The module is
rewritten in place. A parameter the top only writes is copied in as well unless the top
provably writes every element of it (:mod:`.write_coverage`): its buffer is copied back
whole, so elements the top leaves alone must hold the caller's data.

>>> from allo._mlir import ir, new_context
>>> text = '''
... func.func @scale2(%x: memref<3x5xi16>) -> memref<3x5xi16> {
...   %y = memref.alloc() {name = "Y"} : memref<3x5xi16>
...   affine.for %i = 0 to 3 {
...     affine.for %j = 0 to 5 {
...       %v = affine.load %x[%i, %j] : memref<3x5xi16>
...       %w = arith.addi %v, %v : i16
...       affine.store %w, %y[%i, %j] : memref<3x5xi16>
...     }
...   }
...   return %y : memref<3x5xi16>
... }'''
>>> with new_context():
...     m = ir.Module.parse(text)
...     bufs = generate_input_output_buffers(m, "scale2", flatten=True)
...     "func.func @scale2(%arg0: memref<15xi16>) -> memref<15xi16>" in str(m)
True
>>> bufs["inputs"], bufs["outputs"]
([MockBuffer('scale2', 'buf0')], [MockBuffer('scale2', 'res1')])
"""

from __future__ import annotations

import re

from ..._mlir import func_d, ir, memref_d
from ...analysis.write_coverage import fully_written_params
from ...diagnostics import public_entry
from ...errors import BuildError
from ...frontend.arg_directions import analyze_arg_load_store
from ...mlir_utils import find_func
from ...schedule.handles import MockBuffer

_DYNAMIC = -(1 << 63)


def _find_top(module, name: str):
    top = find_func(module, name)
    if top is None:
        raise BuildError(f"top function '{name}' not found in the module")
    return top


def _strings(func_op, attr: str) -> list[str] | None:
    if attr not in func_op.attributes:
        return None
    return [ir.StringAttr(a).value for a in ir.ArrayAttr(func_op.attributes[attr])]


def _plain_type(mtype) -> str:
    """``memref<3x5xi16>`` without layout or memory space."""
    mt = ir.MemRefType(mtype)
    dims = "".join(f"{d}x" for d in mt.shape)
    return f"memref<{dims}{mt.element_type}>"


def _flat_type(mtype) -> str:
    mt = ir.MemRefType(mtype)
    size = 1
    for d in mt.shape:
        size *= d
    return f"memref<{size}x{mt.element_type}>"


def _copyable(mtype) -> bool:
    mt = ir.MemRefType(mtype)
    if not mt.shape or any(d == _DYNAMIC or d < 0 for d in mt.shape):
        return False
    space = mt.memory_space
    return space is None or not str(space).startswith('"stream')


def _mapped_indices(mapping, src_rank: int, dst_rank: int):
    """``(bounds, src index text, dst index text)`` of a custom data movement.

    ``mapping = (loop_bounds, src_map, dst_map)``: a loop nest over ``loop_bounds`` whose
    variables are ``i0, i1, ...``; ``src_map``/``dst_map`` are comma-separated affine
    expressions of them indexing the source and destination buffers.
    """
    try:
        bounds, src_map, dst_map = mapping
        bounds = [int(b) for b in bounds]
    except (TypeError, ValueError) as err:
        raise BuildError("a mapping is (loop_bounds, src_map, dst_map)") from err
    if not bounds or any(b < 1 for b in bounds):
        raise BuildError(f"mapping loop bounds must be positive integers, got {bounds}")

    def indices(text, rank, what):
        parts = [p.strip() for p in str(text).split(",") if p.strip()]
        if len(parts) != rank:
            raise BuildError(f"mapping {what} '{text}' needs {rank} index expressions")
        for p in parts:
            if not re.fullmatch(r"(\s|\d|[+*()\-]|i\d+|floordiv|mod|ceildiv)+", p):
                raise BuildError(f"mapping {what} '{p}' is not an affine expression of i0, i1, ...")
        return ", ".join(re.sub(r"\bi(\d+)\b", r"%i\1", p) for p in parts)

    return bounds, indices(src_map, src_rank, "src_map"), indices(dst_map, dst_rank, "dst_map")


def _helper_text(name: str, shape: list[int], src_t: str, dst_t: str, flat_src: bool,
                 flat_dst: bool, elem_tag: str | None, sign: str, mapping=None) -> str:
    """``func.func @<name>(src, dst)`` copying element-wise with a pipelined loop nest."""
    rank = len(shape)
    ivs = [f"%i{d}" for d in range(rank)]
    strides = [1] * rank
    for d in range(rank - 2, -1, -1):
        strides[d] = strides[d + 1] * shape[d + 1]
    flat = " + ".join(f"{iv} * {s}" if s != 1 else iv for iv, s in zip(ivs, strides))
    full = ", ".join(ivs)
    src_idx = flat if flat_src else full
    dst_idx = flat if flat_dst else full
    if mapping is not None:
        shape, src_idx, dst_idx = _mapped_indices(
            mapping, 1 if flat_src else rank, 1 if flat_dst else rank)
        rank = len(shape)
        ivs = [f"%i{d}" for d in range(rank)]
    tag = f' {{allo.type = "{elem_tag}"}}' if elem_tag else ""
    lines = [f"func.func @{name}(%src: {src_t}, %dst: {dst_t}) attributes "
             f'{{itypes = "{sign}{sign}"'
             + (f', allo.itypes = ["{elem_tag}", "{elem_tag}"]' if elem_tag else "") + "} {"]
    for d, extent in enumerate(shape):
        lines.append("  " * (d + 1) + f"affine.for {ivs[d]} = 0 to {extent} {{")
    ind = "  " * (rank + 1)
    lines.append(f"{ind}%v = affine.load %src[{src_idx}]{tag} : {src_t}")
    lines.append(f"{ind}affine.store %v, %dst[{dst_idx}] : {dst_t}")
    for d in range(rank - 1, -1, -1):
        attrs = [f'loop_name = "{name}_l_{d}"']
        if d == 0:
            attrs.append(f'op_name = "S_{name}"')
        if d == rank - 1:
            attrs += ["pipeline_ii = 1 : ui32", "rewind"]
        lines.append("  " * (d + 1) + "} {" + ", ".join(attrs) + "}")
    lines.append("  return")
    lines.append("}")
    return "\n".join(lines)


def _insert_helper(module, top, text: str):
    try:
        helper_mod = ir.Module.parse(text)
    except ir.MLIRError as err:  # e.g. a custom mapping that is not a valid affine access
        first = str(err).splitlines()[0] if str(err) else ""
        raise BuildError(f"cannot build the I/O helper: {first}") from err
    op = list(helper_mod.body.operations)[0]
    op.operation.detach_from_parent()
    ir.InsertionPoint(top).insert(op.operation)


def _make_alloc(mtype, name: str, tag: str | None, unsigned: bool, ip):
    alloc = memref_d.AllocOp(mtype, [], [], ip=ip)
    alloc.attributes["name"] = ir.StringAttr.get(name)
    if tag:
        alloc.attributes["allo.type"] = ir.StringAttr.get(tag)
        if unsigned:
            alloc.attributes["unsigned"] = ir.UnitAttr.get()
    return alloc


def _elem_info(tags, chars, k):
    tag = tags[k] if tags is not None and k < len(tags) else None
    sign = chars[k] if chars and k < len(chars) else "_"
    needs_tag = tag is not None and (tag.startswith("ui") or "fixed" in tag or tag == "i1")
    unsigned = tag is not None and (tag.startswith("ui") or tag.startswith("ufixed"))
    return (tag if needs_tag else None), sign, unsigned


@public_entry
def generate_input_output_buffers(module, top_func_name: str, flatten: bool = False,
                                  mappings: dict | None = None) -> dict:
    """Rewrite ``module`` so the top function ``top_func_name`` copies its arrays through
    on-chip buffers (``flatten``: one-dimensional buffers; ``mappings``: per-argument custom
    data movement ``(loop_bounds, src_map, dst_map)``).

    Returns ``{"inputs": [MockBuffer(top, "buf<i>"), ...], "outputs": [...]}``.
    """
    top = _find_top(module, top_func_name)
    if len(top.regions[0].blocks) == 0:
        raise BuildError(f"top function '{top_func_name}' has no body")
    directions = analyze_arg_load_store(module)[top_func_name]
    copy_in = _copied_in(top, directions)
    with module.context, top.location:
        return _rewrite(module, top, top_func_name, copy_in, directions, flatten,
                        _mapping_table(mappings))


def _copied_in(top, directions: list[str]) -> list[bool]:
    """Which parameters are copied into their buffer before the top runs.

    Every buffer that is copied back must start from the caller's data, except when the top
    provably overwrites every element of it without reading it first: a written-only
    parameter whose writes cover only part of the array keeps its copy-in, or the untouched
    elements would return uninitialised on-chip data.
    """
    full = fully_written_params(top)
    return [d in ("in", "both", "func") or (d == "out" and i not in full)
            for i, d in enumerate(directions)]


def _mapping_table(mappings) -> dict:
    """``{buffer index: mapping}``; ``mappings`` is a dict keyed by the index ``i`` of
    ``buf<i>``/``res<i>`` (parameters first, then results) or a list in that order."""
    if not mappings:
        return {}
    if isinstance(mappings, dict):
        return {int(k): v for k, v in mappings.items() if v is not None}
    return {k: v for k, v in enumerate(mappings) if v is not None}


class _Top:
    """What the rewrite needs to know about the top function."""

    def __init__(self, top, top_name: str, flatten: bool):
        self.op = top
        self.name = top_name
        self.flatten = flatten
        ftype = ir.FunctionType(ir.TypeAttr(top.attributes["function_type"]).value)
        self.arg_types, self.res_types = list(ftype.inputs), list(ftype.results)
        self.itags, self.otags = _strings(top, "allo.itypes"), _strings(top, "allo.otypes")
        attrs = top.attributes
        self.ichars = ir.StringAttr(attrs["itypes"]).value if "itypes" in attrs else ""
        self.ochars = ir.StringAttr(attrs["otypes"]).value if "otypes" in attrs else ""
        self.block = top.regions[0].blocks[0]
        self.ret = list(self.block.operations)[-1]
        self.entry_ip = ir.InsertionPoint(list(self.block.operations)[0])
        self.new_args = list(self.arg_types)
        self.new_results = list(self.res_types)

    def external_type(self, t):
        return ir.Type.parse(_flat_type(t) if self.flatten else _plain_type(t))


def _buffer_parameters(module, top: _Top, copy_in, directions, table):
    """``buf<i>`` + ``load_buf<i>`` per array parameter; returns (inputs, buffers, written)."""
    inputs, buffers, written = [], {}, []
    for i, t in enumerate(top.arg_types):
        if not str(t).startswith("memref<") or not _copyable(t):
            continue
        tag, sign, unsigned = _elem_info(top.itags, top.ichars, i)
        arg = top.block.arguments[i]
        alloc = _make_alloc(t, f"buf{i}", tag, unsigned, top.entry_ip)
        arg.replace_all_uses_with(alloc.result)
        ext_t = top.external_type(t)
        arg.set_type(ext_t)
        top.new_args[i] = ext_t
        buffers[i] = alloc.result
        inputs.append(MockBuffer(top.name, f"buf{i}"))
        if copy_in[i]:
            _insert_helper(module, top.op, _helper_text(
                f"load_buf{i}", list(ir.MemRefType(t).shape), str(ext_t), str(t), top.flatten,
                False, tag, sign, table.get(i)))
            func_d.CallOp([], f"load_buf{i}", [arg, alloc.result], ip=top.entry_ip)
        if directions[i] in ("out", "both", "func"):
            written.append(i)
    return inputs, buffers, written


def _buffer_results(top: _Top, ret_values: list, ret_ip, table):
    """``res<n+j>`` + ``store_res<n+j>`` per array result; returns (outputs, helper texts)."""
    n = len(top.arg_types)
    outputs, helpers = [], []
    for j, t in enumerate(top.res_types):
        if not str(t).startswith("memref<") or not _copyable(t):
            continue
        tag, sign, unsigned = _elem_info(top.otags, top.ochars, j)
        res_t = top.external_type(t)
        res = _make_alloc(res_t, f"res{n + j}", tag, unsigned, top.entry_ip)
        outputs.append(MockBuffer(top.name, f"res{n + j}"))
        helpers.append(_helper_text(f"store_res{n + j}", list(ir.MemRefType(t).shape), str(t),
                                    str(res_t), False, top.flatten, tag, sign, table.get(n + j)))
        func_d.CallOp([], f"store_res{n + j}", [ret_values[j], res.result], ip=ret_ip)
        ret_values[j] = res.result
        top.new_results[j] = res_t
    return outputs, helpers


def _rewrite(module, top, top_name, copy_in, directions, flatten, table):
    info = _Top(top, top_name, flatten)
    inputs, buffers, written = _buffer_parameters(module, info, copy_in, directions, table)
    ret_ip = ir.InsertionPoint(info.ret)
    ret_values = list(info.ret.operation.operands)
    outputs, helpers = _buffer_results(info, ret_values, ret_ip, table)
    # parameters the top writes are copied back too (also when it has results)
    for i in written:
        t = info.arg_types[i]
        tag, sign, _ = _elem_info(info.itags, info.ichars, i)
        mapping = table.get(i)
        if mapping is not None:  # the write-back moves data the other way round
            mapping = (mapping[0], mapping[2], mapping[1])
        helpers.append(_helper_text(f"store_res{i}", list(ir.MemRefType(t).shape), str(t),
                                    str(info.new_args[i]), False, flatten, tag, sign, mapping))
        func_d.CallOp([], f"store_res{i}", [buffers[i], info.block.arguments[i]], ip=ret_ip)
        outputs.append(MockBuffer(top_name, f"buf{i}"))
    for text in helpers:
        _insert_helper(module, top, text)
    func_d.ReturnOp(ret_values, ip=ret_ip)
    info.ret.operation.erase()
    top.attributes["function_type"] = ir.TypeAttr.get(
        ir.FunctionType.get(info.new_args, info.new_results))
    return {"inputs": inputs, "outputs": outputs}
