"""The TAPA target (``backends.md`` §7): task-parallel HLS C++, its project and its runs.

The code is the Vitis HLS emission with TAPA's interfaces: ``#include <tapa.h>`` instead of
the stream and vector headers; the top's arrays (and those of the tasks a region top starts)
are ``tapa::mmap<T>`` ports with linearized accesses; stream parameters are
``tapa::istream< T > &`` or ``tapa::ostream< T > &`` by direction; local streams are
``tapa::stream< T, depth >``; a region top starts its processes with ``tapa::task()``
followed by one ``.invoke(<fn>, <args>)`` line per instance, the last ending ``;``.

>>> region_body(["  #pragma HLS dataflow", "  hls::stream< int32_t > q;",
...              "  #pragma HLS stream variable=q depth=2", "  src_0(v0, q);\\t// L5",
...              "  dst_0(v1, q);\\t// L8"], {"src_0", "dst_0"})
['  tapa::stream< int32_t, 2 > q("q");', '  tapa::task()', '    .invoke(src_0, v0, q)', \
'    .invoke(dst_0, v1, q);']
"""

from __future__ import annotations

import os
import re
import shutil

import numpy as np

from ...analysis.processes import is_region_like
from ...errors import BuildError
from ...frontend.arg_directions import analyze_arg_load_store
from ...mlir_utils import find_func, walk_ops
from ..._mlir import ir
from .toolchain import tool_not_found
from .vitis_run import read_output_files, run_in_project, write_input_files

MODES = ("csim", "fast_hw_emu", "hw_emu", "hw")
_STREAM_DECL = re.compile(r"^(\s*)hls::stream< (.*) > (\w+);(\t//.*)?$")
_DEPTH = re.compile(r"^\s*#pragma HLS stream variable=(\w+) depth=(\d+)$")
_CALL = re.compile(r"^  (\w+)\((.*)\);(\t//.*)?$")


def task_functions(module, top: str) -> set:
    """Functions whose array parameters are ``tapa::mmap`` ports: the top and, for a region
    top (a dataflow function that only declares streams and calls), the tasks it calls."""
    func = find_func(module, top)
    out = {top}
    if func is not None and "dataflow" in func.attributes and is_region_like(func):
        for op in walk_ops(func):
            if op.operation.name == "func.call":
                out.add(ir.FlatSymbolRefAttr(op.operation.attributes["callee"]).value)
    return out


def region_body(lines: list[str], tasks: set) -> list[str]:
    """A region top's body as TAPA code: typed streams, then one task invoking every call."""
    depths = {m.group(1): m.group(2) for m in map(_DEPTH.match, lines) if m}
    out, invokes = [], []
    for line in lines:
        if line.strip() in ("#pragma HLS dataflow", "") or _DEPTH.match(line):
            continue
        decl = _STREAM_DECL.match(line)
        call = _CALL.match(line)
        if decl:
            depth = depths.get(decl.group(3), "2")
            out.append(f'{decl.group(1)}tapa::stream< {decl.group(2)}, {depth} > '
                       f'{decl.group(3)}("{decl.group(3)}");')
        elif call and call.group(1) in tasks:
            args = call.group(2)
            invokes.append(f"    .invoke({call.group(1)}" + (f", {args})" if args else ")"))
        else:
            out.append(line)
    if invokes:
        invokes[-1] += ";"
        out += ["  tapa::task()"] + invokes
    return out


def _function_spans(lines: list[str], cnames: list[str]) -> dict:
    spans = {}
    for name in cnames:
        try:
            start = lines.index(f"void {name}(")
        except ValueError:
            continue
        header_end = next(k for k in range(start, len(lines)) if lines[k].startswith(")"))
        end = next(k for k in range(header_end, len(lines)) if lines[k] == "}")
        spans[name] = (start, header_end, end)
    return spans


def _header_line(line: str, name: str, kind: str, direction: str) -> str:
    if kind == "pointer":
        return re.sub(r"^  (.+) \*" + name + r"(,?)$", r"  tapa::mmap<\1> " + name + r"\2", line)
    stream = "tapa::ostream" if direction == "out" else "tapa::istream"
    return line.replace("hls::stream< ", f"{stream}< ", 1)


def tapa_code(code: str, emitter, module, top: str, tasks: set) -> str:
    """The TAPA translation unit of the emitted Vitis HLS ``code``."""
    if "hls::vector<" in code:
        raise BuildError("block streams (hls::vector) cannot be expressed by the TAPA backend")
    code = code.replace("#include <hls_stream.h>\n#include <hls_vector.h>\n", "")
    code = code.replace("#include <stdint.h>\n", "#include <stdint.h>\n#include <tapa.h>\n", 1)
    lines = code.split("\n")
    directions = analyze_arg_load_store(module)
    syms = [s for s in emitter.funcs if not len(emitter.funcs[s].regions[0].blocks) == 0]
    names = {emitter.signature(s).cname: s for s in syms}
    spans = _function_spans(lines, list(names))
    for cname, (start, header_end, end) in sorted(spans.items(), key=lambda kv: -kv[1][0]):
        sym = names[cname]
        sig = emitter.signature(sym)
        dirs = directions.get(sym, [])
        pointers = set(sig.pointer_params()) if sym in tasks else set()
        header = lines[start:header_end + 1]
        for k, p in enumerate(sig.params):
            kind = "pointer" if p.name in pointers else ("stream" if p.kind == "stream" else None)
            if kind:
                header = [_header_line(ln, p.name, kind, dirs[k] if k < len(dirs) else "in")
                          if re.search(r"[ *&]" + p.name + r",?$", ln) else ln for ln in header]
        for r in sig.results:
            if r.kind != "alias" and r.name in pointers:
                header = [_header_line(ln, r.name, "pointer", "out")
                          if re.search(r"\*" + r.name + r",?$", ln) else ln for ln in header]
        body = lines[header_end + 1:end]
        scalar_ports = [r.name for r in sig.results if r.kind == "scalar" and r.name in pointers]
        for name in scalar_ports:  # a scalar result is one element of its mmap port
            body = [re.sub(r"^(\s*)\*" + name + " = ", r"\g<1>" + name + "[0] = ", ln)
                    for ln in body]
        if sym == top and len(tasks) > 1:
            body = region_body(body, tasks)
        else:
            body = [_local_stream(ln, body) for ln in body if not _DEPTH.match(ln)]
        while body and body[0] == "":  # the blank line that closed the removed depth pragmas
            body.pop(0)
        lines[start:end] = header + body
    return "\n".join(lines)


def _local_stream(line: str, body: list[str]) -> str:
    decl = _STREAM_DECL.match(line)
    if not decl:
        return line
    depth = next((m.group(2) for m in map(_DEPTH.match, body) if m and m.group(1) == decl.group(3)),
                 "2")
    return f'{decl.group(1)}tapa::stream< {decl.group(2)}, {depth} > {decl.group(3)}("{decl.group(3)}");'


def host_code(sig, copyright_cpp: str) -> str:
    """``tapa_host.cpp``: raw ``input<i>.data`` in, ``tapa::invoke`` with
    ``tapa::read_write_mmap``, raw ``output<i>.data`` out (the Vitis host's file layout)."""
    decl, body, args, outs = [], [], [], []
    ports = [(p.name, p.kind, p.ctype if p.kind == "scalar" else p.array.elem,
              () if p.kind == "scalar" else tuple(p.array.shape)) for p in sig.params]
    ports += [(r.name, "result", r.ctype if r.kind == "scalar" else r.array.elem,
               () if r.kind == "scalar" else tuple(r.array.shape))
              for r in sig.results if r.kind != "alias"]
    for k, (name, kind, ct, shape) in enumerate(ports):
        t = ct.spelling
        if kind == "scalar":
            decl.append(f"{t} {name}")
            body += [f"  {t} {name};", f'  allo_read_file("input{k}.data", &{name}, sizeof({name}));']
            args.append(name)
            continue
        count = int(np.prod(shape)) if shape else 1
        decl.append(f"tapa::mmap<{t}> {name}")
        body.append(f"  std::vector<{t}> {name}({count});")
        if kind != "result":
            body.append(f'  allo_read_file("input{k}.data", {name}.data(), '
                        f"{name}.size() * sizeof({t}));")
        args.append(f"tapa::read_write_mmap<{t}>({name})")
        outs.append(f'  allo_write_file("output{k}.data", {name}.data(), '
                    f"{name}.size() * sizeof({t}));")
    return (copyright_cpp + "#include <string>\n#include <vector>\n\n#include <tapa.h>\n"
            '#include <ap_int.h>\n#include <ap_fixed.h>\n#include "host_utils.h"\n\n'
            f"void {sig.cname}({', '.join(decl)});\n\nint main(int argc, char **argv) {{\n"
            '  std::string bitstream = argc > 1 ? argv[1] : "";\n' + "\n".join(body) +
            f"\n  tapa::invoke({sig.cname}, bitstream, {', '.join(args)});\n" + "\n".join(outs) +
            "\n  return 0;\n}\n")


def makefile(top: str, frequency) -> str:
    return f"""# Copyright Allo authors. All Rights Reserved.
# SPDX-License-Identifier: Apache-2.0

# TAPA flow: make csim | make fast_hw_emu | make run TARGET=<hw_emu|hw> PLATFORM=$XDEVICE
TARGET ?= hw_emu
PLATFORM ?= $(XDEVICE)
TOP := {top}
CXXFLAGS := -std=c++17 -O2 $(shell tapa --print-cflags 2>/dev/null)
LDLIBS := -ltapa -lfrt -lglog -lgflags -lOpenCL

.PHONY: csim fast_hw_emu run clean
tapa_host: tapa_host.cpp kernel.cpp host_utils.h
\tg++ $(CXXFLAGS) tapa_host.cpp kernel.cpp -o $@ $(LDLIBS)

csim: tapa_host
\t./tapa_host

$(TOP).xo: kernel.cpp
\ttapa compile --top $(TOP) --part-num xcu280-fsvh2892-2L-e --clock-period {1000 / frequency:.2f} -f kernel.cpp -o $@

fast_hw_emu: tapa_host $(TOP).xo
\t./tapa_host $(TOP).xo

$(TOP).$(TARGET).xclbin: $(TOP).xo
\tv++ -l -t $(TARGET) --platform $(PLATFORM) --kernel_frequency {frequency} -o $@ $<

run: tapa_host $(TOP).$(TARGET).xclbin
\t./tapa_host $(TOP).$(TARGET).xclbin

clean:
\trm -rf tapa_host *.xo *.xclbin work.out output*.data
"""


def run(mod, args) -> None:
    """Call a TAPA :class:`HLSModule`: inputs to raw files, the make target, outputs back."""
    if shutil.which("tapa") is None:
        raise tool_not_found("tapa", mod.mode, "'tapa' on PATH", mod.project)
    device = os.environ.get("XDEVICE")
    if mod.mode in ("hw_emu", "hw") and not device:
        raise tool_not_found("tapa", mod.mode, "'tapa' on PATH and the XDEVICE environment "
                             "variable", mod.project)
    outs = write_input_files(mod, args)
    target = {"csim": ["csim"], "fast_hw_emu": ["fast_hw_emu"]}.get(
        mod.mode, ["run", f"TARGET={mod.mode}", f"PLATFORM={device}"])
    run_in_project(["make"] + target, mod.project)
    n_params = len(mod._sig.params)
    read_output_files(mod, args, outs, lambda j: f"output{n_params + j}.data")
