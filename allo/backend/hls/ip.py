"""External C++ IP: ``allo.IPModule(top, impl, include_paths=None, link_hls=True)`` (``backends.md`` §8).

The signature of ``top`` is parsed from ``impl``. Calling the object runs the C++ function on
numpy arrays through a generated C-ABI wrapper compiled into a shared library under
``<impl dir>/_tmp/`` (loaded with ctypes). Inside a kernel the call becomes a ``func.call`` of a
bodiless declaration of ``top`` (emitted by :mod:`allo.frontend.ip_calls`); the CPU build links :attr:`IPModule.shared_lib` (the wrapper
also exports ``_mlir_ciface_<top>``, the MLIR C interface the declaration asks for), the HLS
build includes the file.

>>> import os, tempfile, numpy as np
>>> d = tempfile.mkdtemp()
>>> with open(os.path.join(d, "vadd.cpp"), "w") as f:
...     _ = f.write("void vadd(int A[4], int B[4], int C[4]) {"
...                 " for (int i = 0; i < 4; i++) C[i] = A[i] + B[i]; }")
>>> ip = IPModule("vadd", os.path.join(d, "vadd.cpp"))
>>> [(a.name, str(a.dtype), a.shape) for a in ip.args]
[('A', 'i32', (4,)), ('B', 'i32', (4,)), ('C', 'i32', (4,))]
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import subprocess
from dataclasses import dataclass

import numpy as np

from ...diagnostics import public_methods
from ...errors import ArgumentError, BuildError, ToolNotFoundError
from ...frontend.types import AlloType, Float, Int, UInt, container_bits, numpy_dtype
from .toolchain import HLS4ML_REQUIREMENT, SHIM_DIR, ap_types_dir, gxx

_BASE_TYPES = {
    "bool": UInt(1), "int8_t": Int(8), "int16_t": Int(16), "int": Int(32), "int32_t": Int(32),
    "int64_t": Int(64), "uint8_t": UInt(8), "uint16_t": UInt(16), "unsigned int": UInt(32),
    "unsigned": UInt(32), "uint32_t": UInt(32), "uint64_t": UInt(64), "float": Float(32),
    "double": Float(64),
}
_PARAM = re.compile(r"^(?:const\s+)?(?P<type>unsigned\s+int|unsigned|ap_u?int\s*<\s*\d+\s*>|\w+)"
                    r"\s*(?P<ptr>\*)?\s*(?:const\s+)?(?P<name>\w+)(?P<dims>(?:\s*\[\s*\d+\s*\])*)$")


@dataclass
class IPArg:
    """One parameter of the IP function: ``kind`` is ``pointer``, ``array`` or ``scalar``."""

    name: str
    dtype: AlloType
    shape: tuple
    kind: str
    c_type: str


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def parse_signature(path: str, top: str, link_hls: bool) -> list[IPArg]:
    """The parameters of ``void top(...)`` declared or defined in the file ``path``."""
    with open(path, encoding="utf-8") as f:
        text = _strip_comments(f.read())
    m = re.search(r"\bvoid\s+" + re.escape(top) + r"\s*\(([^)]*)\)", text)
    if m is None:
        raise BuildError(f"Failed to parse {path}: no 'void {top}(...)' found")
    params = [p.strip() for p in m.group(1).split(",") if p.strip()]
    if params == ["void"]:
        params = []
    out = []
    for p in params:
        pm = _PARAM.match(re.sub(r"\s+", " ", p))
        if pm is None:
            raise BuildError(f"Failed to parse {path}: unsupported parameter '{p}'")
        ctype = re.sub(r"\s+", " ", pm.group("type"))
        dtype = _BASE_TYPES.get(ctype)
        ap = re.match(r"ap_(u?)int\s*<\s*(\d+)\s*>", ctype)
        if ap:
            if not link_hls:
                raise BuildError(f"Failed to parse {path}: '{ctype}' needs link_hls=True")
            dtype = (UInt if ap.group(1) else Int)(int(ap.group(2)))
            ctype = f"ap_{ap.group(1)}int<{ap.group(2)}>"
        if dtype is None:
            raise BuildError(f"Failed to parse {path}: unsupported type '{ctype}'")
        dims = tuple(int(d) for d in re.findall(r"\d+", pm.group("dims") or ""))
        if pm.group("ptr"):
            kind = "pointer"
        elif dims:
            kind = "array"
        else:
            kind = "scalar"
        out.append(IPArg(pm.group("name"), dtype, dims, kind, ctype))
    return out


def _container_c(dtype: AlloType) -> str:
    if isinstance(dtype, Float):
        return "float" if dtype.bits == 32 else "double"
    if isinstance(dtype, UInt) and dtype.bits == 1:
        return "bool"
    width = container_bits(dtype.bits)
    return f"{'u' if isinstance(dtype, UInt) else ''}int{width}_t"


@public_methods
class IPModule:
    """An external C++ function usable from kernels and callable on numpy arrays.

    :param top: the C++ function's name.
    :param impl: path of the C++ source file that defines it.
    :param include_paths: extra directories for its ``#include`` files.
    :param link_hls: compile it with the HLS headers (``ap_int``, ``hls::stream``) on the
        include path.
    """

    def __init__(self, top: str, impl, include_paths=None, link_hls: bool = True):
        path = os.path.abspath(os.path.expanduser(os.fspath(impl)))
        if not os.path.exists(path):
            raise FileNotFoundError(f"Path does not exist: {path}. "
                                    "Consider using an absolute path.")
        self.top = top
        self.impl = path
        self.include_paths = [os.path.abspath(os.path.expanduser(p))
                              for p in (include_paths or [])]
        self.link_hls = link_hls
        self.args = parse_signature(path, top, link_hls)
        self._lib = None
        self._lib_path = None

    def __repr__(self) -> str:
        return f"IPModule({self.top!r}, {self.impl!r})"

    # ------------------------------------------------------------------ compilation
    def _flags(self) -> list[str]:
        flags = ["-std=c++17", "-O2", "-fPIC", "-shared", "-ffp-contract=off", "-fwrapv", "-w",
                 f"-I{os.path.dirname(self.impl)}"]
        flags += [f"-I{p}" for p in self.include_paths]
        if self.link_hls:
            headers = ap_types_dir()
            if headers is None:
                raise ToolNotFoundError(f"IPModule '{self.top}' with link_hls=True needs "
                                        f"{HLS4ML_REQUIREMENT}, which was not found")
            flags += [f"-I{SHIM_DIR}", f"-I{headers}"]
        return flags

    @property
    def shared_lib(self) -> str:
        """Path of the compiled shared library (built on first use)."""
        if self._lib_path is None:
            self._lib_path = self._compile()
        return self._lib_path

    def _compile(self) -> str:
        compiler = gxx()
        if compiler is None:
            raise ToolNotFoundError(f"IPModule '{self.top}' needs 'g++' on PATH, which was "
                                    "not found")
        wrapper = generate_wrapper(self.top, self.impl, self.args, self.link_hls)
        flags = self._flags()
        with open(self.impl, "rb") as f:
            impl_text = f.read()
        digest = hashlib.sha256(impl_text + wrapper.encode() + " ".join(flags).encode()
                                ).hexdigest()[:16]
        tmp = os.path.join(os.path.dirname(self.impl), "_tmp")
        os.makedirs(tmp, exist_ok=True)
        lib = os.path.join(tmp, f"lib{self.top}_{digest}.so")
        if os.path.isfile(lib):
            return lib
        src = os.path.join(tmp, f"{self.top}_{digest}_wrapper.cpp")
        with open(src, "w", encoding="utf-8") as f:
            f.write(wrapper)
        cmd = [compiler, *flags, src, "-o", lib]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-30:])
            raise BuildError(f"compiling IP '{self.top}' ({self.impl}) failed:\n"
                             f"$ {' '.join(cmd)}\n{tail}")
        return lib

    # ------------------------------------------------------------------ direct calls
    def __call__(self, *args):
        if len(args) != len(self.args):
            raise ArgumentError(f"{self.top} expects {len(self.args)} arguments "
                                f"({', '.join(a.name for a in self.args)}), got {len(args)}")
        if self._lib is None:
            self._lib = ctypes.CDLL(self.shared_lib)
        fn = getattr(self._lib, f"allo_ip_{self.top}")
        c_args, argtypes = [], []
        for k, (spec, value) in enumerate(zip(self.args, args)):
            if spec.kind == "scalar":
                ctype = _ctypes_scalar(spec.dtype)
                if isinstance(value, np.ndarray):
                    value = value.reshape(-1)[0].item()
                c_args.append(ctype(value))
                argtypes.append(ctype)
                continue
            want = numpy_dtype(spec.dtype, storage=True)
            if not isinstance(value, np.ndarray) or not value.flags["C_CONTIGUOUS"]:
                raise ArgumentError(f"argument {k} ('{spec.name}') of {self.top} must be a "
                                    "C-contiguous numpy array (np.ascontiguousarray)")
            if value.dtype != want:
                raise ArgumentError(f"argument {k} ('{spec.name}') of {self.top} must have "
                                    f"dtype {want}, got {value.dtype}")
            count = int(np.prod(spec.shape)) if spec.kind == "array" else value.size
            if spec.kind == "array" and value.size != count:
                raise ArgumentError(f"argument {k} ('{spec.name}') of {self.top} must have "
                                    f"{count} elements, got {value.size}")
            c_args += [ctypes.c_void_p(value.ctypes.data), ctypes.c_int64(value.size)]
            argtypes += [ctypes.c_void_p, ctypes.c_int64]
        fn.argtypes = argtypes
        fn.restype = None
        fn(*c_args)


def _ctypes_scalar(dtype: AlloType):
    if isinstance(dtype, Float):
        return ctypes.c_float if dtype.bits == 32 else ctypes.c_double
    if isinstance(dtype, UInt) and dtype.bits == 1:
        return ctypes.c_bool
    width = container_bits(dtype.bits)
    return getattr(ctypes, f"c_{'u' if isinstance(dtype, UInt) else ''}int{width}")


def generate_wrapper(top: str, impl: str, args: list[IPArg], link_hls: bool) -> str:
    """C++ source of ``allo_ip_<top>`` (ctypes) and ``_mlir_ciface_<top>`` (MLIR C interface)."""
    lines = ["#include <stdint.h>", "#include <vector>"]
    if link_hls:
        lines += ["#include <ap_int.h>", "#include <ap_fixed.h>"]
    lines += [f'#include "{impl}"', "",
              "template <typename T, int R> struct AlloMemRef {",
              "  T *allocated; T *aligned; int64_t offset; int64_t sizes[R]; int64_t strides[R];",
              "};",
              "template <typename T> struct AlloMemRef<T, 0> {",
              "  T *allocated; T *aligned; int64_t offset;", "};", ""]
    plain_params, plain_call, conv_in, conv_out = [], [], [], []
    for k, a in enumerate(args):
        cont = _container_c(a.dtype)
        if a.kind == "scalar":
            plain_params.append(f"{cont} s{k}")
            plain_call.append(f"({a.c_type})s{k}")
            continue
        plain_params += [f"{cont} *p{k}", f"int64_t n{k}"]
        if a.c_type.startswith("ap_"):
            conv_in += [f"std::vector<{a.c_type}> t{k}(n{k} > 0 ? n{k} : 1);",
                        f"for (int64_t i = 0; i < n{k}; i++) t{k}[i] = p{k}[i];"]
            conv = "to_uint64" if a.c_type.startswith("ap_uint") else "to_int64"
            conv_out.append(f"for (int64_t i = 0; i < n{k}; i++) p{k}[i] = ({cont})t{k}[i].{conv}();")
            ptr = f"t{k}.data()"
        else:
            ptr = f"p{k}"
        if a.kind == "array" and len(a.shape) > 1:
            dims = "".join(f"[{d}]" for d in a.shape[1:])
            plain_call.append(f"({a.c_type} (*){dims}){ptr}")
        else:
            plain_call.append(f"({a.c_type} *){ptr}")
    lines.append(f'extern "C" void allo_ip_{top}({", ".join(plain_params)}) {{')
    lines += ["  " + s for s in conv_in]
    lines.append(f"  {top}({', '.join(plain_call)});")
    lines += ["  " + s for s in conv_out]
    lines += ["}", ""]
    lines += _ciface(top, args)
    return "\n".join(lines) + "\n"


def _ciface(top: str, args: list[IPArg]) -> list[str]:
    """``_mlir_ciface_<top>``: memref descriptors (rank from the IP's shape, 1 for pointers)."""
    params, call = [], []
    for k, a in enumerate(args):
        cont = _container_c(a.dtype)
        if a.kind == "scalar":
            params.append(f"{cont} s{k}")
            call.append(f"s{k}")
            continue
        rank = len(a.shape) if a.kind == "array" else 1
        params.append(f"AlloMemRef<{cont}, {rank}> *d{k}")
        count = " * ".join(f"d{k}->sizes[{r}]" for r in range(rank)) or "1"
        call += [f"d{k}->aligned + d{k}->offset", f"(int64_t)({count})"]
    return [f'extern "C" void _mlir_ciface_{top}({", ".join(params)}) {{',
            f"  allo_ip_{top}({', '.join(call)});", "}"]


__all__ = ["IPModule", "IPArg", "parse_signature", "generate_wrapper"]
