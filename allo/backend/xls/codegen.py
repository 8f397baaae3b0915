"""XLS [CC] C++ of a schedule (``backends.md`` §7): validation, code, RAM rewrites.

The functions are the Vitis HLS emission respelled with AC types (``ac_int<W, S>``) and XLS
pragmas (``#pragma hls_pipeline_init_interval``, ``#pragma hls_unroll yes``). A top with
scalars only stays a function returning its value; a top with arrays becomes
``class TestBlock`` whose ``void <top>()`` reads each array parameter from a channel
``v<i>_in`` and writes the results to the channel ``out`` — or, with ``use_memory``, works on
``__xls_memory`` members, described to XLS by ``rewrites_textproto``.

>>> xls_pragma("pipeline II=1 rewind"), xls_pragma("unroll factor=2"), xls_pragma("dataflow")
('#pragma hls_pipeline_init_interval 1', '#pragma hls_unroll yes', None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..._mlir import ir
from ...errors import BuildError
from ...frontend.arg_directions import analyze_arg_load_store
from ...mlir_utils import find_func
from ..hls.ac_text import replace_prelude, to_ac, translate_pragmas
from .fixed import PRELUDE as FIXED_PRELUDE, fixed_types

INCLUDES = ["algorithm", "cstdint"]  # min/max of loop bounds and of values
LOCAL_INCLUDES = ["xls_int.h", "xls_builtin.h"]
_FLOATS = re.compile(r"\b(bf16|f16|f32|f64)\b")
_DYNAMIC = re.compile(r"memref<(\?|[^>]*x\?)")
# memory space code % 16 (language.md §2.4) -> the storage name, for RAM rewrites
_STORAGES = {0: None, 1: "RAM_1P", 2: "RAM_2P", 3: "RAM_T2P", 4: "RAM_1WNR", 5: "RAM_S2P",
             6: "ROM_1P", 7: "ROM_2P", 8: "ROM_NP"}
_RAM_KIND = {None: "RAM_1R1W", "RAM_2P": "RAM_1R1W", "RAM_S2P": "RAM_1R1W",
             "RAM_1P": "RAM_1RW", "ROM_1P": "RAM_1RW"}


def xls_pragma(text: str) -> str | None:
    """The XLS spelling of a ``#pragma HLS`` line (``None``: XLS has no such pragma)."""
    m = re.fullmatch(r"pipeline II=(\d+)( rewind)?", text)
    if m:
        return f"#pragma hls_pipeline_init_interval {m.group(1)}"
    if text == "unroll" or text.startswith("unroll factor="):
        return "#pragma hls_unroll yes"
    return None


def validation_errors(module_text: str) -> list[str]:
    """One message per floating-point type or dynamic shape, by line of the lowered IR."""
    errors = []
    for k, line in enumerate(module_text.splitlines(), start=1):
        for name in dict.fromkeys(_FLOATS.findall(line)):
            errors.append(f"Line {k}: Floating-point type '{name}' is not supported by XLS [CC] "
                          "backend; use integer or fixed-point types")
        if _DYNAMIC.search(line):
            errors.append(f"Line {k}: Dynamic shapes are not supported by XLS [CC] backend")
    return errors


@dataclass
class Port:
    """One array or scalar the harness exchanges with the top."""

    name: str
    ctype: object
    shape: tuple
    is_result: bool
    memory: str | None = None  # RAM kind with use_memory
    written: bool = False


@dataclass
class XlsCode:
    core_code: str
    final_cpp: str
    rewrites_textproto: str
    style: str  # "function" (scalars only) or "block" (class TestBlock)
    ports: list = field(default_factory=list)


def _function_span(lines: list[str], cname: str) -> tuple[int, int]:
    start = next(k for k, ln in enumerate(lines) if ln == f"void {cname}(")
    end = next(k for k in range(start, len(lines)) if lines[k] == "}")
    return start, end


def _ports(hls_mod, memories: dict) -> list:
    sig = hls_mod._sig
    dirs = analyze_arg_load_store(hls_mod.module)[hls_mod.top_func_name]
    ports = []
    for k, p in enumerate(sig.params):
        if p.kind == "stream":
            raise BuildError("stream parameters of the top cannot be expressed by the XLS [CC] "
                             "backend")
        if p.kind == "scalar":
            ports.append(Port(p.name, p.ctype, (), False))
        else:
            ports.append(Port(p.name, p.array.elem, tuple(p.array.shape), False,
                              memories.get(p.name), dirs[k] in ("out", "both")))
    for r in sig.results:
        if r.kind == "scalar":
            ports.append(Port(r.name, r.ctype, (), True))
        elif r.kind == "array":
            ports.append(Port(r.name, r.array.elem, tuple(r.array.shape), True,
                              memories.get(r.name)))
    for port in ports:
        if port.ctype.width > 64:
            raise BuildError(f"'{port.name}' has {port.ctype.width}-bit values; the XLS [CC] "
                             "test block passes values of at most 64 bits")
    return ports


def channel_type(ports) -> str:
    """``int`` for channels of values of at most 32 bits, else ``int64_t``."""
    return "int" if all(p.ctype.width <= 32 for p in ports) else "int64_t"


def memory_kinds(hls_mod) -> dict:
    """``{C name: XLS RAM kind}`` of the top's array parameters and results."""
    func = find_func(hls_mod.module, hls_mod.top_func_name)
    ftype = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
    names = [p.name for p in hls_mod._sig.params] + \
        [r.name for r in hls_mod._sig.results if r.kind != "alias"]
    kinds = {}
    for name, t in zip(names, list(ftype.inputs) + list(ftype.results)):
        if not str(t).startswith("memref<") or not ir.MemRefType(t).shape:
            continue
        space = ir.MemRefType(t).memory_space
        code = ir.IntegerAttr(space).value if isinstance(space, ir.IntegerAttr) else 0
        storage = _STORAGES.get(code % 16)
        if storage not in _RAM_KIND:
            raise BuildError(f"storage type {storage} of array '{name}' is not supported by the "
                             "XLS [CC] backend; use RAM_1P, RAM_2P or ROM_1P")
        kinds[name] = _RAM_KIND[storage]
    return kinds


def rewrites_textproto(ports: list) -> str:
    """RAM rewrites for every memory port (``""`` without memories)."""
    memories = [p for p in ports if p.memory]
    if not memories:
        return ""
    out = ["# proto-file: xls/codegen/ram_rewrite.proto", "# proto-message: RamRewritesProto",
           "# Automatically Generated by Allo", "# XLS [CC] Backend", ""]
    for p in memories:
        depth = 1
        for d in p.shape:
            depth *= d
        if p.memory == "RAM_1RW":
            chans = [("abstract_read_req", "req"), ("abstract_read_resp", "resp"),
                     ("abstract_write_req", "req"), ("write_completion", "resp")]
        else:
            chans = [("abstract_read_req", "read_request"), ("abstract_read_resp",
                                                             "read_response"),
                     ("abstract_write_req", "write_request"),
                     ("write_completion", "write_response")]
        out.append("rewrites {")
        out.append(f"  from_config {{ kind: RAM_ABSTRACT depth: {depth} }}")
        out.append(f"  to_config {{ kind: {p.memory} depth: {depth} }}")
        for key, suffix in chans:
            out.append(f'  from_channels_logical_to_physical: {{ key: "{key}" '
                       f'value: "{p.name}_{suffix}" }}')
        out.append(f'  to_name_prefix: "{p.name}_"')
        out.append("}")
    return "\n".join(out) + "\n"


def _loops(shape: tuple, body: str, indent: str) -> list[str]:
    lines, idx = [], []
    for d, n in enumerate(shape):
        lines.append(f"{indent}{'  ' * d}for (int i{d} = 0; i{d} < {n}; i{d}++) {{")
        idx.append(f"i{d}")
    lines.append(f"{indent}{'  ' * len(shape)}" + body.format(idx="".join(f"[{i}]" for i in idx)))
    lines += [f"{indent}{'  ' * d}}}" for d in reversed(range(len(shape)))]
    return lines


def is_fixed_struct(ct) -> bool:
    """Whether values of ``ct`` are ``Fixed`` structs (fixed point with fraction bits; without
    any, fixed point is the plain ``ac_int``)."""
    return ct.kind == "fixed" and ct.frac != 0


def _from_channel(p: Port, expr: str) -> str:
    """A value read from a channel: fixed point travels as its raw bits."""
    return f"{p.ctype.spelling}::from_raw({expr})" if is_fixed_struct(p.ctype) else expr


def _to_channel(p: Port, value: str, channel: str) -> str:
    return f"({channel}){value}.raw" if is_fixed_struct(p.ctype) else f"({channel}){value}"


def _block(top: str, body: list[str], ports: list, use_memory: bool) -> list[str]:
    """``class TestBlock`` around the top's body."""
    members, head, tail = [], [], []
    outputs = [p for p in ports if p.is_result or (p.written and not use_memory)]
    out_type = channel_type([p for p in outputs if not (p.shape and use_memory)])
    for k, p in enumerate(ports):
        spelling = p.ctype.spelling
        if p.shape and use_memory:
            size = 1
            for d in p.shape:
                size *= d
            members.append(f"  __xls_memory<{spelling}, {size}> {p.name};")
            continue
        if not p.is_result:
            members.append(f"  __xls_channel<{channel_type([p])}, __xls_channel_dir_In> "
                           f"{p.name}_in;")
            received = _from_channel(p, f"{p.name}_in.read()")
            if p.shape:
                head.append(f"    {spelling} {p.name}" + "".join(f"[{d}]" for d in p.shape) + ";")
                head += _loops(p.shape, f"{p.name}{{idx}} = {received};", "    ")
            else:
                head.append(f"    {spelling} {p.name} = {received};")
        elif p.shape:
            head.append(f"    {spelling} {p.name}" + "".join(f"[{d}]" for d in p.shape) + ";")
            tail += _loops(p.shape, f"out.write({_to_channel(p, p.name + '{idx}', out_type)});",
                           "    ")
        else:  # the body stores ``*v<k> = x;``
            head += [f"    {spelling} {p.name}_value;", f"    {spelling} *{p.name} = &{p.name}_value;"]
            tail.append(f"    out.write({_to_channel(p, p.name + '_value', out_type)});")
    results = [p for p in ports if p.is_result]
    if not results and not use_memory:  # a void top: its written arrays are the outputs
        for p in ports:
            if p.shape and p.written:
                tail += _loops(p.shape, f"out.write({_to_channel(p, p.name + '{idx}', out_type)});",
                               "    ")
    if not use_memory or any(not p.shape for p in results):
        members.append(f"  __xls_channel<{out_type}, __xls_channel_dir_Out> out;")
    return (["class TestBlock {", " public:"] + members + ["", "  #pragma hls_top",
            f"  void {top}() {{"] + head + ["  " + ln for ln in body] + tail + ["  }", "};"])


def generate(hls_mod, use_memory: bool) -> XlsCode:
    """The XLS [CC] code of an emitted :class:`~allo.backend.hls.HLSModule`."""
    memories = memory_kinds(hls_mod) if use_memory else {}
    ports = _ports(hls_mod, memories)
    cname = hls_mod._sig.cname
    if re.search(r"\bhls::stream<", hls_mod.hls_code):
        raise BuildError("streams (FIFOs inside the design) cannot be expressed by the XLS [CC] "
                         "backend of this version")
    code = replace_prelude(hls_mod.hls_code, [])
    code = re.sub(r'extern "C" \{\n|\} // extern "C"\n', "", code)
    code = translate_pragmas(to_ac(code, "XLS [CC]"), xls_pragma)
    lines = code.split("\n")
    start, end = _function_span(lines, cname)
    header_end = next(k for k in range(start, end) if lines[k] == ") {")
    body = lines[header_end + 1:end]
    before = [ln for ln in lines[:start] if ln != "/// This is top function."]
    before = [ln for ln in before if not ln.startswith("//") and ln != "using namespace std;"]
    core = "\n".join(before + lines[start:end + 1]).strip("\n") + "\n"
    if not any(p.shape for p in ports):
        top = _scalar_function(cname, body, ports)
        style = "function"
    else:
        top = _block(cname, body, ports, use_memory)
        style = "block"
    prelude = ["// Automatically generated by Allo for the XLS [CC] backend."]
    prelude += [f"#include <{h}>" for h in INCLUDES] + [f'#include "{h}"' for h in LOCAL_INCLUDES]
    prelude.append("using namespace std;")
    helpers = "\n".join(before).strip("\n")
    final = "\n".join(prelude + [""] + ([helpers, ""] if helpers else []) + top) + "\n"
    final = to_ac(final, "XLS [CC]")
    if "ac_fixed<" in final:
        final = fixed_types(final).replace("using namespace std;\n",
                                           "using namespace std;\n\n" + FIXED_PRELUDE, 1)
        core = fixed_types(core)
    return XlsCode(core, final, rewrites_textproto(ports), style, ports)


def _scalar_function(cname: str, body: list[str], ports: list) -> list[str]:
    results = [p for p in ports if p.is_result]
    if len(results) > 1:
        raise BuildError("a scalar-only top returns one value in the XLS [CC] backend; "
                         f"'{cname}' returns {len(results)}")
    params = [p for p in ports if not p.is_result]
    ret = results[0].ctype.spelling if results else "void"
    if results:
        store = re.compile(r"^(\s*)\*" + re.escape(results[0].name) + r" = (.*);(\t//.*)?$")
        body = [store.sub(r"\1return \2;\3", ln) for ln in body]
    args = ", ".join(f"{p.ctype.spelling} {p.name}" for p in params)
    return ["#pragma hls_top", f"{ret} {cname}({args}) {{"] + body + ["}"]
