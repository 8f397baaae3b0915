"""Generation of ``csim_main.cpp``: the driver that runs the emitted top on binary files.

For each C parameter ``k`` of the top the driver reads ``in<k>.bin`` (the numpy container
array: native dtypes as is, narrow integers and fixed-point raw bits in 8/16/32/64-bit
containers, wider values as little-endian bytes), converts it to the kernel's C++ type, calls
the top, and writes every array and scalar result back to ``out<k>.bin``.

The driver serves several calls in one process (so ``static`` state of stateful kernels
persists between calls, as on the CPU): it reads one directory per line on stdin and answers
``ALLO-CSIM-DONE`` on stdout after each; given a directory argument it runs once.
"""

from __future__ import annotations

from ...errors import BuildError
from ...frontend.types import container_bits
from .cpp_types import CType, ap_int_spelling

DRIVER_PRELUDE = r"""
#include <stdio.h>
#include <stdlib.h>
#include <iostream>
#include <string>

static std::string allo_dir;

static long allo_file_size(int k) {
  std::string path = allo_dir + "/in" + std::to_string(k) + ".bin";
  FILE* f = fopen(path.c_str(), "rb");
  if (!f) { fprintf(stderr, "ALLO-CSIM: cannot open %s\n", path.c_str()); exit(2); }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fclose(f);
  return n;
}

static void allo_read(int k, void* dst, size_t bytes) {
  std::string path = allo_dir + "/in" + std::to_string(k) + ".bin";
  FILE* f = fopen(path.c_str(), "rb");
  if (!f || fread(dst, 1, bytes, f) != bytes) {
    fprintf(stderr, "ALLO-CSIM: cannot read %s\n", path.c_str());
    exit(2);
  }
  fclose(f);
}

static void allo_write(int k, const void* src, size_t bytes) {
  std::string path = allo_dir + "/out" + std::to_string(k) + ".bin";
  FILE* f = fopen(path.c_str(), "wb");
  if (!f || fwrite(src, 1, bytes, f) != bytes) {
    fprintf(stderr, "ALLO-CSIM: cannot write %s\n", path.c_str());
    exit(2);
  }
  fclose(f);
}
"""


DRIVER_MAIN = r"""int main(int argc, char** argv) {
  if (argc >= 2) {
    allo_dir = argv[1];
    allo_run();
    return 0;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    allo_dir = line;
    allo_run();
    printf("\nALLO-CSIM-DONE\n");
    fflush(stdout);
  }
  return 0;
}
"""


def container_ctype(ct: CType) -> tuple[str, int]:
    """``(C type of one container element, its size in bytes)`` for the numpy side."""
    if ct.kind == "float":
        return {"f16": ("half", 2), "f32": ("float", 4), "f64": ("double", 8)}[ct.name]
    if ct.kind == "bool":
        return "bool", 1
    if ct.kind == "index":
        return "int64_t", 8
    width = container_bits(ct.width)
    if width > 64:
        return "unsigned char", width // 8
    return f"{'' if ct.signed else 'u'}int{width}_t", width // 8


def _is_direct(ct: CType) -> bool:
    """Whether the container bytes are exactly the C++ object representation."""
    return ct.kind in ("float", "bool") or (ct.kind == "int" and ct.width in (8, 16, 32, 64))


def _load_element(ct: CType, dst: str, src: str, nbytes: int) -> list[str]:
    if ct.kind == "index":
        return [f"{dst} = (int){src};"]
    if nbytes > 8:
        bits = nbytes * 8
        lines = [f"ap_uint<{bits}> t = 0;"]
        lines += [f"t.range({8 * j + 7}, {8 * j}) = {src}[{j}];" for j in range(nbytes)]
        if ct.kind == "fixed":
            lines.append(f"{dst}.range({ct.width - 1}, 0) = t.range({ct.width - 1}, 0);")
        else:
            lines.append(f"{dst} = t.range({ct.width - 1}, 0);")
        return lines
    if ct.kind == "fixed":
        return [f"{dst}.range({ct.width - 1}, 0) = ap_uint<{ct.width}>({src});"]
    return [f"{dst} = {src};"]


def _store_element(ct: CType, dst: str, src: str, cname: str, nbytes: int) -> list[str]:
    if ct.kind == "index":
        return [f"{dst} = ({cname}){src};"]
    raw = f"{ap_int_spelling(ct.width, ct.signed)}({src}.range({ct.width - 1}, 0))" \
        if ct.kind == "fixed" else src
    if nbytes > 8:
        bits = nbytes * 8
        lines = [f"{ap_int_spelling(bits, ct.signed)} t = {raw};"]
        lines += [f"{dst}[{j}] = (unsigned char)(t.range({8 * j + 7}, {8 * j}).to_uint());"
                  for j in range(nbytes)]
        return lines
    conv = "to_int64" if ct.signed else "to_uint64"
    if ct.kind == "fixed":
        return [f"{dst} = ({cname})({raw}.{conv}());"]
    return [f"{dst} = ({cname})({src}.{conv}());"]


def generate_driver(sig, top_cname: str, kernel_file: str = "kernel.cpp",
                    defines: tuple = ()) -> str:
    """The C++ text of ``csim_main.cpp`` for the top function signature ``sig``.

    ``kernel_file`` is the translation unit it includes, after the ``defines`` lines."""
    ports = []  # (k, ctype, count or None for dynamic, kind, shape)
    for p in sig.params:
        if p.kind == "stream":
            raise BuildError("C simulation of a top function with stream parameters is not "
                             "supported; wrap the streams in a top function with arrays")
        if p.kind == "scalar":
            ports.append((p.ctype, 1, "scalar", ()))
        else:
            ports.append((p.array.elem, element_count(p.array.shape), p.array.form, p.array.shape))
    for r in sig.results:
        if r.kind == "scalar":
            ports.append((r.ctype, 1, "result_scalar", ()))
        elif r.kind == "array":
            ports.append((r.array.elem, element_count(r.array.shape), r.array.form, r.array.shape))
    lines = [*defines, f'#include "{kernel_file}"', DRIVER_PRELUDE, "static void allo_run() {"]
    call_args = []
    for k, (ct, count, form, shape) in enumerate(ports):
        cname, nbytes = container_ctype(ct)
        n = f"n{k}"
        if count is None:
            lines.append(f"  long {n} = allo_file_size({k}) / {nbytes};")
        else:
            lines.append(f"  long {n} = {count};")
        lines.append(f"  {ct.spelling} *a{k} = new {ct.spelling}[{n} > 0 ? {n} : 1];")
        if _is_direct(ct):
            lines.append(f"  allo_read({k}, a{k}, {n} * {nbytes});")
        else:
            ctype_decl = f"unsigned char (*c{k})[{nbytes}]" if nbytes > 8 else f"{cname} *c{k}"
            alloc = f"new unsigned char[{n} > 0 ? {n} : 1][{nbytes}]" if nbytes > 8 else \
                f"new {cname}[{n} > 0 ? {n} : 1]"
            lines.append(f"  {ctype_decl} = {alloc};")
            lines.append(f"  allo_read({k}, c{k}, {n} * {nbytes});")
            lines.append(f"  for (long i = 0; i < {n}; i++) {{")
            lines += ["    " + s for s in _load_element(ct, f"a{k}[i]", f"c{k}[i]", nbytes)]
            lines.append("  }")
        call_args.append(_call_arg(k, ct, form, shape))
    # qualified: ``using namespace std`` in kernel.cpp makes a top named like a std entity
    # (``in_place``, ``count``, ``move``...) ambiguous
    lines.append(f"  ::{top_cname}({', '.join(call_args)});")
    for k, (ct, count, form, shape) in enumerate(ports):
        if form == "scalar":
            continue
        cname, nbytes = container_ctype(ct)
        if _is_direct(ct):
            lines.append(f"  allo_write({k}, a{k}, n{k} * {nbytes});")
            continue
        lines.append(f"  for (long i = 0; i < n{k}; i++) {{")
        lines.append("    {")
        lines += ["      " + s for s in _store_element(ct, f"c{k}[i]", f"a{k}[i]", cname, nbytes)]
        lines.append("    }")
        lines.append("  }")
        lines.append(f"  allo_write({k}, c{k}, n{k} * {nbytes});")
    for k, (ct, count, form, shape) in enumerate(ports):
        lines.append(f"  delete[] a{k};")
        if not _is_direct(ct):
            lines.append(f"  delete[] c{k};")
    lines += ["}", "", DRIVER_MAIN]
    return "\n".join(lines)


def element_count(shape) -> int | None:
    """Number of elements of ``shape`` (``None`` when a dimension is dynamic)."""
    n = 1
    for d in shape:
        if d is None:
            return None
        n *= d
    return n


def _call_arg(k: int, ct: CType, form: str, shape) -> str:
    if form == "scalar":
        return f"a{k}[0]"
    if form == "array" and len(shape) > 1:
        dims = "".join(f"[{d}]" for d in shape[1:])
        return f"({ct.spelling} (*){dims})a{k}"
    return f"a{k}"
