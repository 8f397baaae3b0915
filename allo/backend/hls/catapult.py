"""The Catapult HLS target (``backends.md`` §7): AC-typed C++, its project, and its runs.

The code is the Vitis HLS emission respelled (:mod:`.ac_text`): the AC headers, ``ac_int``
for non-standard widths, ``ac_fixed``, ``ac_channel`` streams and Catapult's pragmas — never a
``#pragma HLS`` line. ``mode="csim"`` compiles ``kernel.cpp`` with a generated ``host.cpp``
(values as text, :mod:`.text_io`) against the AC headers of ``$MGC_HOME/shared/include`` or
``$AC_TYPES_DIR``; ``mode="csyn"`` runs ``catapult -shell -f run.tcl``.

>>> catapult_pragma("pipeline II=2 rewind"), catapult_pragma("unroll factor=4")
('#pragma hls_pipeline_init_interval 2', '#pragma hls_unroll 4')
>>> catapult_pragma("array_partition variable=v0 complete dim=1") is None
True
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import numpy as np

from ...errors import ArgumentError, BuildError, SimulationError
from ..vitis import COPYRIGHT_CPP
from .ac_text import ac_types, replace_prelude, to_ac, translate_pragmas
from .text_io import decode, encode, read_snippet, write_snippet
from .toolchain import gxx, tool_not_found

INCLUDES = ["algorithm", "ac_int.h", "ac_fixed.h", "ac_channel.h", "math.h", "stdint.h"]
COPYRIGHT_SCRIPT = ("# Copyright Allo authors. All Rights Reserved.\n"
                    "# SPDX-License-Identifier: Apache-2.0\n")


def catapult_pragma(text: str) -> str | None:
    """The Catapult spelling of the ``#pragma HLS`` line ``text`` (``None``: no equivalent;
    array partitions, storage bindings, stream depths and interfaces are Catapult
    directives, not pragmas)."""
    m = re.fullmatch(r"pipeline II=(\d+)( rewind)?", text)
    if m:
        return f"#pragma hls_pipeline_init_interval {m.group(1)}"
    if text == "unroll":
        return "#pragma hls_unroll yes"
    m = re.fullmatch(r"unroll factor=(\d+)", text)
    if m:
        return f"#pragma hls_unroll {m.group(1)}"
    if text in ("dataflow", "inline"):
        return f"#pragma hls_design {text}"
    return None


def catapult_code(vhls_code: str, top_cname: str, module_text: str = "") -> str:
    """The Catapult translation unit of the Vivado HLS code ``vhls_code`` (``module_text``:
    the printed MLIR it came from, checked for float16)."""
    if re.search(r"\bf16\b", module_text):
        raise BuildError("float16 (half) cannot be expressed by the Catapult backend")
    code = replace_prelude(vhls_code, INCLUDES)
    code = code.replace("hls::stream< ", "ac_channel< ")
    code = re.sub(r"\bhls::(\w+)\(", r"\1(", code)  # the C library's math functions
    code = to_ac(code, "Catapult")
    code = translate_pragmas(code, catapult_pragma)
    marker = f"/// This is top function.\nvoid {top_cname}("
    return code.replace(marker, f"/// This is top function.\n#pragma hls_design top\n"
                                f"void {top_cname}(")


def run_tcl(top: str, configs: dict, mode: str) -> str:
    """Catapult's ``run.tcl`` for ``mode`` (``csim`` or ``csyn``)."""
    lines = [COPYRIGHT_SCRIPT.rstrip("\n"), "",
             "set sfd [file dirname [info script]]",
             "solution new -state initial",
             "solution options defaults",
             "solution options set /Input/CppStandard c++11",
             'solution file add "$sfd/kernel.cpp" -type C++']
    if mode == "csim":
        lines.append('solution file add "$sfd/host.cpp" -type C++ -exclude true')
    lines += [f"directive set -DESIGN_HIERARCHY {top}",
              f"directive set -CLOCKS {{clk {{-CLOCK_PERIOD {1000 / configs['frequency']:.1f}}}}}",
              "go analyze", "go compile"]
    if mode == "csim":
        lines += ["solution app linkage", "solution app execution"]
    elif mode == "csyn":
        lines += ["solution library add nangate-45nm_beh -- -rtlsyntool OasysRTL",
                  "solution library add ccs_sample_mem", "go assembly", "go extract"]
    lines += ["exit", ""]
    return "\n".join(lines)


def _makefile() -> str:
    return COPYRIGHT_SCRIPT + """
# Catapult flow: make csim (needs the AC headers in $(AC_INCLUDE)) or make csyn.
AC_INCLUDE ?= $(MGC_HOME)/shared/include
.PHONY: csim csyn clean
csim:
\tg++ -std=c++11 -ffp-contract=off -I$(AC_INCLUDE) -I. kernel.cpp host.cpp -o csim_exe && ./csim_exe
csyn:
\tcatapult -shell -f run.tcl
clean:
\trm -rf csim_exe Catapult* catapult.log output*.data
"""


def kernel_header(code: str, sig) -> str:
    params = ",\n".join("  " + p for p in sig.c_params())
    includes = "\n".join(f"#include <{h}>" for h in INCLUDES)
    decl = f"void {sig.cname}(\n{params}\n);" if params else f"void {sig.cname}();"
    return (f"{COPYRIGHT_CPP}\n#ifndef KERNEL_H\n#define KERNEL_H\n\n{includes}\n\n"
            f"{decl}\n\n#endif  // KERNEL_H\n")


def _ports(sig) -> list:
    """``(kind, name, ctype, shape, is_result)`` of every C parameter, in call order."""
    out = []
    for p in sig.params:
        if p.kind == "stream":
            raise BuildError("the Catapult test bench cannot drive stream parameters of the top")
        if p.kind == "scalar":
            out.append(("scalar", p.name, p.ctype, (), False))
        else:
            out.append(("array", p.name, p.array.elem, tuple(p.array.shape), False))
    for r in sig.results:
        if r.kind == "scalar":
            out.append(("scalar", r.name, r.ctype, (), True))
        elif r.kind == "array":
            out.append(("array", r.name, r.array.elem, tuple(r.array.shape), True))
    return out


def host_code(sig) -> str:
    """``host.cpp``: read every input, call the top, write every port back."""
    body, args = [], []
    for k, (kind, name, ct, shape, is_result) in enumerate(_ports(sig)):
        count = int(np.prod(shape)) if shape else 1
        decl = f"{ct.spelling} {name}" + "".join(f"[{d}]" for d in shape) + ";"
        body.append(f"  static {decl}" if shape else f"  {decl}")
        elem = f"(({ct.spelling} *){name})[k]" if shape else name
        if not is_result:
            body += [f'  {{ std::vector<std::string> t = read_lines("input{k}.data", {count});',
                     f"    for (int k = 0; k < {count}; k++) "
                     f"{read_snippet(ct, elem, 't[k]', 'Catapult')} }}"]
        args.append(f"&{name}" if is_result and kind == "scalar" else name)
    body.append(f"  {sig.cname}({', '.join(args)});")
    for k, (kind, name, ct, shape, _) in enumerate(_ports(sig)):
        count = int(np.prod(shape)) if shape else 1
        elem = f"(({ct.spelling} *){name})[k]" if shape else name
        body += [f'  {{ FILE *f = fopen("output{k}.data", "w");',
                 f"    for (int k = 0; k < {count}; k++) {write_snippet(ct, elem, 'f', 'Catapult')}",
                 "    fclose(f); }"]
    return (COPYRIGHT_CPP + "\n// C simulation test bench of the Catapult kernel.\n"
            "#include <cstdio>\n#include <cstdlib>\n#include <fstream>\n#include <string>\n"
            '#include <vector>\n#include "kernel.h"\n\n'
            "static std::vector<std::string> read_lines(const char *path, int count) {\n"
            "  std::ifstream in(path);\n  std::vector<std::string> out;\n  std::string s;\n"
            "  while ((int)out.size() < count && in >> s) out.push_back(s);\n"
            "  if ((int)out.size() != count) { fprintf(stderr, \"%s: too few values\\n\", path); "
            "exit(2); }\n  return out;\n}\n\nint main() {\n" + "\n".join(body) +
            "\n  return 0;\n}\n")


def project_files(code: str, sig, configs: dict, mode: str) -> dict:
    """Every file of a Catapult project (``host.cpp`` for csim only), AC-typed."""
    files = {"kernel.cpp": code, "kernel.h": ac_types(kernel_header(code, sig)),
             "run.tcl": run_tcl(sig.cname, configs, mode), "Makefile": _makefile()}
    if mode == "csim":
        files["host.cpp"] = ac_types(host_code(sig))
    return files


def ac_include_dir() -> str | None:
    """``$MGC_HOME/shared/include``, else ``$AC_TYPES_DIR``, when it holds ``ac_int.h``."""
    for path in (os.path.join(os.environ["MGC_HOME"], "shared", "include")
                 if os.environ.get("MGC_HOME") else None, os.environ.get("AC_TYPES_DIR")):
        if path and os.path.isfile(os.path.join(path, "ac_int.h")):
            return path
    return None


def run(mod, args) -> None:
    """Call a Catapult :class:`HLSModule` in its mode (``csim`` or ``csyn``)."""
    if mod.mode == "csyn":
        if args:
            raise ArgumentError("csyn runs synthesis only; call the module without arguments")
        if shutil.which("catapult") is None:
            raise tool_not_found("catapult", "csyn", "'catapult' on PATH", mod.project)
        _check_run(["catapult", "-shell", "-f", "run.tcl"], mod.project, BuildError)
        return None
    include = ac_include_dir()
    if include is None:
        raise tool_not_found("catapult", "csim", "the AC headers ($MGC_HOME/shared/include "
                             "or $AC_TYPES_DIR)", mod.project)
    compiler = gxx()
    if compiler is None:
        raise tool_not_found("catapult", "csim", "'g++' on PATH", mod.project)
    ports = _ports(mod._sig)
    if len(args) != len(ports):
        raise ArgumentError(f"expected {len(ports)} arguments (inputs then outputs), got "
                            f"{len(args)}")
    for k, ((kind, name, ct, shape, is_result), value) in enumerate(zip(ports, args)):
        if not is_result:
            with open(os.path.join(mod.project, f"input{k}.data"), "w", encoding="utf-8") as f:
                f.write("\n".join(encode(value, ct)) + "\n")
    _check_run([compiler, "-std=c++11", "-ffp-contract=off", f"-I{include}", "-I.", "kernel.cpp",
                "host.cpp", "-o",
                "csim_exe"], mod.project, BuildError)
    _check_run(["./csim_exe"], mod.project, SimulationError)
    for k, ((kind, name, ct, shape, is_result), value) in enumerate(zip(ports, args)):
        if not isinstance(value, np.ndarray):
            continue
        with open(os.path.join(mod.project, f"output{k}.data"), encoding="utf-8") as f:
            lines = f.read().split()
        value.reshape(-1)[...] = decode(lines, ct).astype(value.dtype)
    return None


def _check_run(cmd: list, cwd: str, error) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-30:])
        raise error(f"{' '.join(cmd)} failed in {cwd}:\n{tail}")
