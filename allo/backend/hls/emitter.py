"""Module-level Vitis HLS C++ emission: prelude, signatures, globals and function order.

``emit_module(module, top, options)`` returns the complete translation unit
(``backends.md`` §3.1). Functions appear in module order with every callee moved before its
first caller; constants are printed before the first function that reads them; the top
function is preceded by ``/// This is top function.``; bodiless (external IP) functions are
not printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..._mlir import ir
from ...analysis.processes import is_region_like
from ...diagnostics import SourceLoc
from ...errors import AlloError, BuildError
from ...mlir_utils import walk_ops
from . import ops_arith, ops_control, ops_memory  # noqa: F401  (register op handlers)
from .ap_width import check_type_widths, max_width_define
from .constants import dense_values, scalar_literal
from .cpp_types import CType
from .function import FunctionEmitter, has_attr, str_attr
from .naming import NameScope
from .ops_memory import buffer_elem_ctype, memref_shape, stream_depth_of
from .pragmas import array_pragmas, function_pragmas
from .values import Array, Scalar, stream_spelling

BANNER = (
    "//===------------------------------------------------------------*- C++ -*-===//\n"
    "//\n"
    "// Automatically generated file for High-level Synthesis (HLS).\n"
    "//\n"
    "//===----------------------------------------------------------------------===//"
)

INCLUDES = ["algorithm", "ap_axi_sdata.h", "ap_fixed.h", "ap_int.h", "hls_math.h",
            "hls_stream.h", "hls_vector.h", "math.h", "stdint.h"]


@dataclass
class EmitOptions:
    """How to print: ``vitis`` adds the Vitis interface (extern "C", m_axi pointers)."""

    vitis: bool = False
    pynq: bool = False
    # C simulation of dataflow regions: each region runs its stream-connected calls in
    # threads (allo_csim::process_group) and declares its streams with their depth
    csim_threads: bool = False
    func_args: dict = field(default_factory=dict)
    ip_headers: list = field(default_factory=list)
    # functions whose array parameters are pointers with linearized accesses (TAPA's mmap
    # ports: the top and the tasks of a region top)
    flat_funcs: set = field(default_factory=set)


@dataclass
class ParamSpec:
    kind: str  # scalar | array | stream
    name: str
    ctype: CType | None = None
    array: Array | None = None

    def decl(self) -> str:
        if self.kind == "scalar":
            return f"{self.ctype.spelling} {self.name}"
        if self.kind == "stream":
            return f"{stream_spelling(self.array.elem, self.array.block)} &{self.name}"
        return array_param_decl(self.array)


@dataclass
class ResultSpec:
    kind: str  # scalar | array | alias
    name: str = ""
    ctype: CType | None = None
    array: Array | None = None
    alias_index: int = -1

    def decl(self) -> str:
        if self.kind == "scalar":
            return f"{self.ctype.spelling} *{self.name}"
        return array_param_decl(self.array)


def array_param_decl(arr: Array) -> str:
    elem = arr.elem.spelling
    if arr.form in ("flat", "pointer_scalar"):
        return f"{elem} *{arr.name}"
    return f"{elem} {arr.name}" + "".join(f"[{d}]" for d in arr.shape)


@dataclass
class FuncSignature:
    """The C++ interface of one function, computed before any body is printed."""

    cname: str
    source_name: str
    scope: NameScope
    params: list
    results: list
    external: bool = False
    result_alias: dict = field(default_factory=dict)

    def c_params(self) -> list[str]:
        return [p.decl() for p in self.params] + [r.decl() for r in self.results
                                                   if r.kind != "alias"]

    def header(self) -> str:
        params = self.c_params()
        if not params:
            return f"void {self.cname}(\n) {{"
        return f"void {self.cname}(\n" + ",\n".join("  " + p for p in params) + "\n) {"

    def pointer_params(self) -> list[str]:
        """Names of the parameters printed as pointers (Vitis m_axi ports), in order."""
        out = [p.name for p in self.params if p.kind == "array"
               and p.array.form in ("flat", "pointer_scalar")]
        out += [r.name for r in self.results if r.kind == "scalar"
                or (r.kind == "array" and r.array.form in ("flat", "pointer_scalar"))]
        return out

    def scalar_params(self) -> list[str]:
        return [p.name for p in self.params if p.kind == "scalar"]


@dataclass
class GlobalInfo:
    cname: str
    array: Array
    is_static: bool
    op: object


def _string_list(func_op, name: str) -> list[str] | None:
    attrs = func_op.operation.attributes
    if name not in attrs:
        return None
    return [ir.StringAttr(a).value for a in ir.ArrayAttr(attrs[name])]


def _elem_ctypes(func_op, mlir_types, allo_attr: str, char_attr: str) -> list[CType]:
    tags = _string_list(func_op, allo_attr)
    chars = str_attr(func_op, char_attr, "")
    out = []
    for k, t in enumerate(mlir_types):
        scalar_t = ir.MemRefType(t).element_type if str(t).startswith("memref<") else t
        ct = None
        if tags is not None and k < len(tags) and tags[k]:
            cand = CType.from_tag(tags[k])
            if not cand.is_integer_like or str(scalar_t) in (f"i{cand.width}", "index"):
                ct = cand
        if ct is None:
            ct = CType.default_for(scalar_t)
            if k < len(chars) and chars[k] == "u" and ct.kind == "int":
                ct = ct.with_view(False, 0)
        out.append(ct)
    return out


class ModuleEmitter:
    """Prints a prepared (HLS-ready) module; see :func:`emit_module`."""

    def __init__(self, module, top: str, options: EmitOptions):
        self.module = module
        self.top = top
        self.options = options
        self.funcs = {}
        self.globals = {}
        self.module_scope = NameScope()
        self._signatures: dict[str, FuncSignature] = {}
        # line of the emitted code (1-based) -> the IR op it came from, or None (see emit)
        self.source_map: dict[int, object] = {}
        self._collect()

    # ------------------------------------------------------------------ symbols
    def _collect(self):
        for op in self.module.body.operations:
            name = op.operation.name
            if name == "func.func":
                sym = ir.StringAttr(op.attributes["sym_name"]).value
                self.funcs[sym] = op
            elif name == "memref.global":
                sym = ir.StringAttr(op.attributes["sym_name"]).value
                self.globals[sym] = op
        if self.top not in self.funcs:
            raise BuildError(f"top function '{self.top}' not found in the module")
        # external functions keep their C++ names; everything else is sanitized
        for sym, op in self.funcs.items():
            if _is_external(op):
                self.module_scope.taken.add(sym)
        self.cnames = {}
        for sym, op in self.funcs.items():
            if not _is_external(op):
                # the top is only called qualified (``::top``), other functions unqualified
                self.cnames[sym] = self.module_scope.temp(sym, avoid_std=sym != self.top)
            else:
                self.cnames[sym] = sym
        self.gnames = {sym: self.module_scope.temp(sym) for sym in self.globals}
        self._global_info = {}
        # C++ refuses a ``const T[]`` for a callee's ``T[]`` parameter: such globals are
        # printed without ``const`` (a never-written array still maps to a ROM in synthesis)
        self.globals_passed_to_calls = _globals_passed_to_calls(self.module)

    def global_info(self, sym: str) -> GlobalInfo:
        if sym not in self._global_info:
            op = self.globals[sym]
            mtype = ir.TypeAttr(op.attributes["type"]).value
            elem = buffer_elem_ctype(op, mtype)
            shape = memref_shape(mtype)
            form = "local_scalar" if not shape else "array"
            arr = Array(self.gnames[sym], elem, shape, form=form)
            self._global_info[sym] = GlobalInfo(self.gnames[sym], arr, has_attr(op, "static"), op)
        return self._global_info[sym]

    # ------------------------------------------------------------------ signatures
    def signature(self, sym: str) -> FuncSignature:
        if sym not in self._signatures:
            if sym not in self.funcs:
                raise BuildError(f"call to unknown function '{sym}'")
            try:
                self._signatures[sym] = self._make_signature(sym, self.funcs[sym])
            except AlloError as err:  # a parameter or result type: the function's def line
                raise err.locate(SourceLoc.of_op(self.funcs[sym]))
        return self._signatures[sym]

    def _make_signature(self, sym: str, func_op) -> FuncSignature:
        ftype = ir.FunctionType(ir.TypeAttr(func_op.attributes["function_type"]).value)
        arg_types, res_types = list(ftype.inputs), list(ftype.results)
        ins = _elem_ctypes(func_op, arg_types, "allo.itypes", "itypes")
        outs = _elem_ctypes(func_op, res_types, "allo.otypes", "otypes")
        scope = NameScope(reserved=self.module_scope.taken)
        is_top = sym == self.top
        top_pointers = (is_top and self.options.vitis) or sym in self.options.flat_funcs
        src_names = self.options.func_args.get(sym, [])
        ip_kinds = _string_list(func_op, "allo.ip_args") or []
        block_streams = ({int(ir.IntegerAttr(a).value)
                          for a in ir.ArrayAttr(func_op.attributes["allo.block_streams"])}
                         if "allo.block_streams" in func_op.attributes else set())
        params = []
        for k, (t, ct) in enumerate(zip(arg_types, ins)):
            pointer = top_pointers or (k < len(ip_kinds) and ip_kinds[k] == "pointer")
            params.append(self._param_spec(scope, t, ct, pointer,
                                           src_names[k] if k < len(src_names) else None,
                                           k in block_streams))
        results, alias = [], {}
        returned = _returned_values(func_op) if not _is_external(func_op) else []
        for k, (t, ct) in enumerate(zip(res_types, outs)):
            value = returned[k] if k < len(returned) else None
            arg_index = _block_arg_index(func_op, value)
            if arg_index is not None and str(t).startswith("memref<"):
                results.append(ResultSpec("alias", alias_index=arg_index))
                continue
            name = scope.fresh()
            if not str(t).startswith("memref<"):
                results.append(ResultSpec("scalar", name, ctype=ct))
                continue
            shape = memref_shape(t)
            form = "flat" if top_pointers else "array"
            arr = Array(name, ct, shape, form=form)
            results.append(ResultSpec("array", name, array=arr))
            if value is not None and _aliasable(value) and value not in alias:
                alias[value] = arr
        return FuncSignature(self.cnames[sym], sym, scope, params, results,
                             external=_is_external(func_op), result_alias=alias)

    def _param_spec(self, scope, mlir_type, ct, top_pointers, src_name,
                    block_stream=False) -> ParamSpec:
        if not str(mlir_type).startswith("memref<"):
            return ParamSpec("scalar", scope.fresh(), ctype=ct)
        shape = memref_shape(mlir_type)
        depth = stream_depth_of(mlir_type)
        if depth is not None:
            name = scope.source_name(src_name) if src_name else scope.fresh()
            arr = Array(name, ct, shape, form="stream", stream_depth=depth)
            # block streams and whole-block put/get find the stream by its source name
            arr.extra["source_name"] = src_name
            if block_stream:
                arr.extra["block"] = tuple(shape[1:])
            return ParamSpec("stream", name, array=arr)
        name = scope.fresh()
        if not shape:
            form = "pointer_scalar"
        elif top_pointers or any(d is None for d in shape):
            form = "flat"
        else:
            form = "array"
        if form == "flat" and any(d is None for d in shape) and len(shape) > 1:
            raise BuildError("only one-dimensional arrays may have a dynamic shape in HLS")
        return ParamSpec("array", name, array=Array(name, ct, shape, form=form))

    # ------------------------------------------------------------------ order
    def _order(self):
        order, done, visiting, forward = [], set(), set(), []
        emitted_globals = set()

        def visit(sym):
            if sym in done or _is_external(self.funcs[sym]):
                return
            if sym in visiting:
                if sym not in forward:
                    forward.append(sym)
                return
            visiting.add(sym)
            for callee in _callees(self.funcs[sym]):
                if callee in self.funcs:
                    visit(callee)
            for g in _globals_used(self.funcs[sym]):
                if g in self.globals and not has_attr(self.globals[g], "static") \
                        and g not in emitted_globals:
                    emitted_globals.add(g)
                    order.append(("global", g))
            visiting.discard(sym)
            done.add(sym)
            order.append(("func", sym))

        for op in self.module.body.operations:
            name = op.operation.name
            sym = ir.StringAttr(op.attributes["sym_name"]).value if "sym_name" in op.attributes \
                else None
            if name == "memref.global" and not has_attr(op, "static") and sym not in emitted_globals:
                emitted_globals.add(sym)
                order.append(("global", sym))
            elif name == "func.func":
                visit(sym)
        return order, forward

    # ------------------------------------------------------------------ printing
    def emit(self) -> str:
        check_type_widths(self.module)
        order, forward = self._order()
        for sym in self.funcs:
            self.signature(sym)
        out = [f"#include <{h}>" for h in INCLUDES]
        out += [f'#include "{h}"' for h in self.options.ip_headers]
        out.append("using namespace std;")
        if self.options.vitis:
            out.append('extern "C" {')
        out.append("")
        for sym in forward:
            out.append(self.signature(sym).header()[:-2] + ";")
            out.append("")
        out_ops = [None] * len(out)  # the IR op of each entry of ``out``
        for kind, sym in order:
            if kind == "global":
                out.append(self._global_text(sym))
                out.append("")
                out_ops += [None, None]
            else:
                if sym == self.top:
                    out.append("/// This is top function.")
                    out_ops.append(None)
                try:
                    lines, ops = self._function_lines(sym)
                except AlloError as err:  # pragmas of parameters: the function's def line
                    raise err.locate(SourceLoc.of_op(self.funcs[sym]))
                out.extend(lines)
                out_ops.extend(ops)
                out.append("")
                out_ops.append(None)
        if self.options.vitis:
            out.append('} // extern "C"')
            out.append("")
        code = "\n".join(out)
        # the limit must be raised before the first include of ap_int.h
        define = max_width_define(code)
        prelude = [BANNER] + ([define] if define else [])
        self._map_lines(sum(text.count("\n") + 1 for text in prelude), out, out_ops)
        return "\n".join(prelude + [code])

    def _map_lines(self, first: int, out: list, out_ops: list) -> None:
        """Fill :attr:`source_map`: the first line of every entry of ``out`` (an entry may
        span lines) after ``first`` lines of prelude -> its op (None: no user source)."""
        line = first + 1
        for text, op in zip(out, out_ops):
            self.source_map[line] = op
            line += text.count("\n") + 1

    def source_loc_of_line(self, line: int) -> SourceLoc | None:
        """The user's source line that the emitted C++ ``line`` (1-based) came from: the op
        of the nearest line at or above it, when that op carries a location."""
        for k in range(line, 0, -1):
            if k in self.source_map:
                op = self.source_map[k]
                return None if op is None else SourceLoc.of_op(op)
        return None

    def _global_text(self, sym: str, static: bool = False) -> str:
        info = self.global_info(sym)
        op = info.op
        arr = info.array
        count = 1
        for d in arr.shape:
            count *= d
        if "initial_value" not in op.attributes:
            init = None
        else:
            init = op.attributes["initial_value"]
        if init is None or str(init) == "unit":
            values = [0] * count if static else None
        else:
            values = dense_values(init, count)
        const = has_attr(op, "constant") and sym not in self.globals_passed_to_calls
        prefix = "static " if static else ("const " if const else "")
        decl = prefix + arr.declaration()
        if values is None:
            return decl + ";"
        lits = [scalar_literal(v, arr.elem) for v in values]
        if not arr.shape:
            return f"{decl} = {{{lits[0]}}};" if static else f"{decl} = {lits[0]};"
        if len(lits) <= 16:
            return f"{decl} = {{{', '.join(lits)}}};"
        rows = [", ".join(lits[i:i + 16]) for i in range(0, len(lits), 16)]
        return f"{decl} = {{\n  " + ",\n  ".join(rows) + "\n};"

    def _function_lines(self, sym: str) -> list[str]:
        func_op = self.funcs[sym]
        sig = self.signature(sym)
        fe = FunctionEmitter(self, func_op, sig)
        fe.result_alias = dict(sig.result_alias)
        fe.threaded = self.options.csim_threads and "dataflow" in func_op.attributes \
            and is_region_like(func_op)
        block = func_op.regions[0].blocks[0]
        for k, spec in enumerate(sig.params):
            fe.bind(block.arguments[k], spec.array if spec.kind != "scalar"
                    else _scalar(spec))
        lines = [sig.header()]
        if sym == self.top and self.options.vitis:
            for k, port in enumerate(sig.pointer_params()):
                lines.append(f"  #pragma HLS interface m_axi port={port} offset=slave "
                             f"bundle=gmem{k}")
                if self.options.pynq:
                    lines.append(f"  #pragma HLS interface s_axilite port={port} bundle=control")
            if self.options.pynq:
                for port in sig.scalar_params():
                    lines.append(f"  #pragma HLS interface s_axilite port={port} bundle=control")
        lines += ["  " + p for p in function_pragmas(func_op)]
        param_pragmas = []
        for k, spec in enumerate(sig.params):
            # a pointer (an m_axi port of a Vitis top, a dynamic-shape array) is not an
            # array the tool can partition or bind: its layout lives on the callee side
            if spec.kind == "stream" or (spec.kind == "array" and spec.array.form == "array"):
                param_pragmas += array_pragmas(spec.name, block.arguments[k].type,
                                               spec.kind == "stream")
        ftype = ir.FunctionType(ir.TypeAttr(func_op.attributes["function_type"]).value)
        for r, t in zip(sig.results, ftype.results):
            if r.kind == "array" and r.array.form == "array":
                param_pragmas += array_pragmas(r.name, t)
        if param_pragmas:
            lines += ["  " + p for p in param_pragmas]
            lines.append("")
        for g in _globals_used(func_op):
            if g in self.globals and has_attr(self.globals[g], "static"):
                lines.append("  " + self._global_text(g, static=True))
                fe.statics_emitted.add(g)
        fe.emit_block(block)
        ops = [func_op] * len(lines)
        lines += fe.lines
        ops += fe.line_ops
        lines.append("}")
        ops.append(func_op)
        return lines, ops


def _scalar(spec: ParamSpec):
    return Scalar(spec.name, spec.ctype)


def _is_external(func_op) -> bool:
    return len(func_op.regions[0].blocks) == 0


def _returned_values(func_op) -> list:
    block = func_op.regions[0].blocks[0]
    ops = list(block.operations)
    if not ops or ops[-1].operation.name != "func.return":
        return []
    return list(ops[-1].operation.operands)


def _block_arg_index(func_op, value):
    if value is None or _is_external(func_op):
        return None
    for k, arg in enumerate(func_op.regions[0].blocks[0].arguments):
        if arg == value:
            return k
    return None


def _aliasable(value) -> bool:
    """Returned buffers that can *be* the result parameter (no copy needed)."""
    owner = value.owner
    if isinstance(owner, ir.Block):
        return False
    name = owner.operation.name
    if name in ("memref.alloc", "memref.alloca"):
        return stream_depth_of(value.type) is None and bool(memref_shape(value.type))
    return name == "func.call"


def _callees(func_op) -> list[str]:
    out = []
    for op in walk_ops(func_op):
        if op.operation.name == "func.call":
            sym = ir.FlatSymbolRefAttr(op.operation.attributes["callee"]).value
            if sym not in out:
                out.append(sym)
    return out


def _globals_used(func_op) -> list[str]:
    out = []
    for op in walk_ops(func_op):
        if op.operation.name == "memref.get_global":
            sym = ir.FlatSymbolRefAttr(op.operation.attributes["name"]).value
            if sym not in out:
                out.append(sym)
    return out


def _globals_passed_to_calls(module) -> set[str]:
    """Symbols of the globals whose ``memref.get_global`` value (or a cast of it) is an
    operand of a ``func.call``."""
    out = set()
    for op in walk_ops(module.operation):
        if op.operation.name != "func.call":
            continue
        for value in op.operation.operands:
            source = getattr(value.owner, "operation", None)  # None: a block argument
            while source is not None and source.name == "memref.cast":
                source = getattr(source.operands[0].owner, "operation", None)
            if source is not None and source.name == "memref.get_global":
                out.add(ir.FlatSymbolRefAttr(source.attributes["name"]).value)
    return out


def emit_module(module, top: str, options: EmitOptions | None = None) -> str:
    """The complete HLS C++ translation unit of a prepared module.

    >>> from allo._mlir import ir, new_context
    >>> with new_context():
    ...     m = ir.Module.parse("func.func @f(%a: i32) -> i32 { return %a : i32 }")
    ...     code = emit_module(m, "f")
    >>> print(code.split("using namespace std;")[1].strip().replace(chr(9), " "))
    /// This is top function.
    void f(
      int32_t v0,
      int32_t *v1
    ) {
      *v1 = v0; //
    }
    """
    return ModuleEmitter(module, top, options or EmitOptions()).emit()
