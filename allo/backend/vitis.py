"""Vitis (XRT) helpers: HBM mapping, host code and the Vitis kernel interface (``backends.md`` §3.7, §4.4).

>>> print(generate_hbm_config("mv", {"X": 2, "output_0": "DDR[1]"}, {"X": "v0", "output_0": "v2"}))
[connectivity]
<BLANKLINE>
sp=mv_1.v0:HBM[2]
sp=mv_1.v2:DDR[1]
<BLANKLINE>
"""

from __future__ import annotations

import re

from .._mlir import ir
from ..diagnostics import as_user_error, public_entry
from ..errors import BuildError
from ..mlir_utils import find_func

COPYRIGHT_CPP = ("// Copyright Allo authors. All Rights Reserved.\n"
                 "// SPDX-License-Identifier: Apache-2.0\n")


@public_entry
def generate_hbm_config(top: str, hbm_mapping: dict, arg_name_mapping: dict | None = None) -> str:
    """The ``[connectivity]`` section mapping each kernel port to a memory bank."""
    lines = ["[connectivity]", ""]
    for key, mem in hbm_mapping.items():
        if isinstance(mem, bool) or not isinstance(mem, (int, str)):
            raise as_user_error(ValueError(
                f"Invalid memory specification for '{key}': {mem!r} (expected an HBM channel "
                "number or a string such as 'DDR[0]')"))
        bank = f"HBM[{mem}]" if isinstance(mem, int) else mem
        name = (arg_name_mapping or {}).get(key, key)
        lines.append(f"sp={top}_1.{name}:{bank}")
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- kernel interface

_TOP_HEADER = re.compile(r"void (?P<name>\w+)\(\n(?P<params>(?:.*\n)*?)\) \{\n")
_ARRAY_PARAM = re.compile(r"^(?P<indent>\s*)(?P<type>.+?) (?P<name>\w+)(?P<dims>(\[\d+\])+)$")


@public_entry
def postprocess_hls_code(code: str, top: str, pragma: bool = True) -> str:
    """Give plain Vitis HLS code the Vitis kernel interface.

    Wraps everything after ``using namespace std;`` in ``extern "C"``, prints the top's array
    parameters as pointers and adds one ``m_axi`` interface pragma per pointer parameter
    (bundles ``gmem0``, ``gmem1``, ...) right after the top's ``) {``. Accesses to
    multi-dimensional parameters are not rewritten: build with ``wrap_io`` (flat parameters)
    or emit for ``vitis_hls`` directly to get linearized accesses.
    """
    if 'extern "C" {' not in code:
        code = code.replace("using namespace std;\n", 'using namespace std;\nextern "C" {\n', 1)
        code = code.rstrip("\n") + '\n} // extern "C"\n'
    for m in _TOP_HEADER.finditer(code):
        if m.group("name") != top:
            continue
        params, pointers = [], []
        for line in m.group("params").splitlines():
            text = line.rstrip(",")
            pm = _ARRAY_PARAM.match(text)
            if pm:
                text = f"{pm.group('indent')}{pm.group('type')} *{pm.group('name')}"
                pointers.append(pm.group("name"))
            elif re.match(r"^\s*.+ \*\w+$", text):
                pointers.append(text.rsplit("*", 1)[1])
            params.append(text)
        header = f"void {top}(\n" + ",\n".join(params) + "\n) {\n"
        if pragma:
            header += "".join(f"  #pragma HLS interface m_axi port={p} offset=slave "
                              f"bundle=gmem{k}\n" for k, p in enumerate(pointers))
        return code[:m.start()] + header + code[m.end():]
    raise BuildError(f"top function '{top}' not found in the HLS code")


# --------------------------------------------------------------------------- host code


def _element_bytes(mtype) -> int:
    elem = str(ir.MemRefType(mtype).element_type) if str(mtype).startswith("memref<") \
        else str(mtype)
    if elem == "index":
        return 4
    if elem in ("f16", "bf16"):
        return 2
    if elem == "f32":
        return 4
    if elem == "f64":
        return 8
    bits = int(elem[1:])
    width = 8
    while width < bits:
        width *= 2
    return width // 8


def _count(mtype) -> int:
    n = 1
    for d in ir.MemRefType(mtype).shape:
        n *= d
    return n


@public_entry
def codegen_host(top: str, module, num_output_args: int = 0, kernel_name: str | None = None) -> str:
    """An XRT host program for kernel ``top`` of the HLS-ready ``module``.

    ``kernel_name`` is the top's C++ name when it differs from the MLIR one (a C++ keyword
    such as ``union`` is emitted as ``union_``).

    Inputs are read from raw files ``input<i>.data`` (one per parameter, in order); a
    returned array is written to ``output.data``; without results, the last
    ``num_output_args`` array parameters are written to ``output<i>.data``.
    """
    func = find_func(module, top)
    if func is None:
        raise BuildError(f"top function '{top}' not found in the module")
    ftype = ir.FunctionType(ir.TypeAttr(func.attributes["function_type"]).value)
    ins, outs = list(ftype.inputs), list(ftype.results)
    lines = [COPYRIGHT_CPP, "#include <cstdint>", "#include <iostream>", "#include <string>",
             "#include <vector>", "", '#include "xrt/xrt_bo.h"', '#include "xrt/xrt_device.h"',
             '#include "xrt/xrt_kernel.h"', '#include "host_utils.h"', "",
             "int main(int argc, char **argv) {",
             "  if (argc < 2) {",
             '    std::cerr << "usage: " << argv[0] << " <kernel.xclbin>" << std::endl;',
             "    return 1;", "  }",
             "  auto device = xrt::device(0);",
             "  auto uuid = device.load_xclbin(argv[1]);",
             f'  auto krnl = xrt::kernel(device, uuid, "{kernel_name or top}");']
    args = []
    n_in = len(ins)
    first_output = n_in - num_output_args if not outs else n_in
    for i, t in enumerate(ins):
        if str(t).startswith("memref<"):
            nbytes = _count(t) * _element_bytes(t)
            lines += [f"  std::vector<uint8_t> h{i}({nbytes});",
                      f'  allo_read_file("input{i}.data", h{i}.data(), h{i}.size());',
                      f"  auto b{i} = xrt::bo(device, h{i}.size(), krnl.group_id({i}));",
                      f"  b{i}.write(h{i}.data());",
                      f"  b{i}.sync(XCL_BO_SYNC_BO_TO_DEVICE);"]
            args.append(f"b{i}")
        else:
            ctype = {1: "uint8_t", 2: "uint16_t", 4: "uint32_t", 8: "uint64_t"}[_element_bytes(t)]
            if str(t) == "f32":
                ctype = "float"
            elif str(t) == "f64":
                ctype = "double"
            lines += [f"  {ctype} s{i};",
                      f'  allo_read_file("input{i}.data", &s{i}, sizeof(s{i}));']
            args.append(f"s{i}")
    for j, t in enumerate(outs):
        k = n_in + j
        nbytes = _count(t) * _element_bytes(t) if str(t).startswith("memref<") else \
            _element_bytes(t)
        lines += [f"  std::vector<uint8_t> h{k}({nbytes});",
                  f"  auto b{k} = xrt::bo(device, h{k}.size(), krnl.group_id({k}));"]
        args.append(f"b{k}")
    lines += [f"  auto run = krnl({', '.join(args)});", "  run.wait();"]
    for j, _ in enumerate(outs):
        k = n_in + j
        name = "output.data" if len(outs) == 1 else f"output{j}.data"
        lines += [f"  b{k}.sync(XCL_BO_SYNC_BO_FROM_DEVICE);", f"  b{k}.read(h{k}.data());",
                  f'  allo_write_file("{name}", h{k}.data(), h{k}.size());']
    for i in range(first_output, n_in):
        if str(ins[i]).startswith("memref<"):
            lines += [f"  b{i}.sync(XCL_BO_SYNC_BO_FROM_DEVICE);", f"  b{i}.read(h{i}.data());",
                      f'  allo_write_file("output{i}.data", h{i}.data(), h{i}.size());']
    lines += ['  std::cout << "Kernel finished." << std::endl;', "  return 0;", "}", ""]
    return "\n".join(lines)


HOST_UTILS = COPYRIGHT_CPP + r"""
// Raw binary file helpers shared by the generated host programs.
#ifndef ALLO_HOST_UTILS_H
#define ALLO_HOST_UTILS_H

#include <cstdio>
#include <cstdlib>
#include <string>

inline void allo_read_file(const std::string &path, void *dst, size_t bytes) {
  FILE *f = fopen(path.c_str(), "rb");
  if (!f || fread(dst, 1, bytes, f) != bytes) {
    fprintf(stderr, "cannot read %s\n", path.c_str());
    exit(1);
  }
  fclose(f);
}

inline void allo_write_file(const std::string &path, const void *src, size_t bytes) {
  FILE *f = fopen(path.c_str(), "wb");
  if (!f || fwrite(src, 1, bytes, f) != bytes) {
    fprintf(stderr, "cannot write %s\n", path.c_str());
    exit(1);
  }
  fclose(f);
}

#endif  // ALLO_HOST_UTILS_H
"""
