"""C simulation: compile the emitted kernel with g++ and run it on numpy arrays (``backends.md`` §5).

The driver (``csim_main.cpp``, see :mod:`.csim_main`) is compiled once into
``<project>/csim/`` and reused while the hash of the sources, flags and headers is unchanged.
Each call writes the inputs to binary files, runs the executable in a child process (a crash
never takes Python down) and reads the outputs back.
"""

from __future__ import annotations

import hashlib
import os
import re
import resource
import shutil
import subprocess
import tempfile
import weakref
from typing import Callable

import numpy as np

from ...diagnostics import SourceLoc
from ...errors import (ArgumentError, BuildError, DeadlockError, DTypeWarning,
                       SimulationError, StreamError, warn)
from ...frontend.types import Index, numpy_dtype, type_from_str
from ..numpy_codec import (bytes_array_to_ints, conversion_loss, fixed_to_raw,
                           int_to_bytes_array, raw_to_fixed, wrap_int_array)
from .ap_width import prelude_defines
from .cpp_types import CType
from .csim_main import element_count, generate_driver
from .toolchain import SHIM_DIR, require_csim

# "kernel.cpp:<line>:<column>:" in a g++ diagnostic (errors, and "required from here" notes);
# kernel_csim.cpp is the copy with named streams, whose lines are kernel.cpp's lines
_KERNEL_LINE = re.compile(r"\bkernel(?:_csim)?\.cpp:(\d+):\d+:")

CSIM_FLAGS = ["-std=c++17", "-O2", "-ffp-contract=off", "-fwrapv", "-w"]
EMPTY_STREAM_EXIT = 86
LEFTOVER_STREAM_EXIT = 87
DEADLOCK_EXIT = 88
# C simulation of dataflow regions (threads, bounded blocking streams; allo_csim_dataflow.h)
DATAFLOW_DEFINE = "#define ALLO_CSIM_DATAFLOW 1"
CSIM_KERNEL = "kernel_csim.cpp"
# A local stream declaration of the emitted code (not a parameter): indentation, the
# declaration up to the name, the name, array extents.
_STREAM_DECL = re.compile(r"^(\s*hls::stream<.*>\s+(\w+)(?:\[\d+\])*;)", re.MULTILINE)
_STREAM_MESSAGE = re.compile(r"stream '([^']*)'.*?kernel (\w+)")
PCH_NAME = "allo_csim_pch.h"
PCH_HEADERS = ["algorithm", "ap_axi_sdata.h", "ap_fixed.h", "ap_int.h", "hls_math.h",
               "hls_stream.h", "hls_vector.h", "math.h", "stdint.h", "stdio.h", "stdlib.h",
               "string"]


def cache_dir(project: str) -> str:
    """Where the precompiled HLS headers live.

    By default inside the project (``<project>/csim``), so a build writes nothing outside its
    project; setting ``ALLO_CACHE_DIR`` shares one cache between projects (the test suite
    does, to compile faster).
    """
    return os.environ.get("ALLO_CACHE_DIR") or os.path.join(project, "csim")


def precompiled_header(compiler: str, ap_dir: str, project: str,
                       defines: list[str] = ()) -> str | None:
    """A directory holding a precompiled header of the HLS headers, or ``None``.

    Parsing ``ap_fixed.h`` dominates the compile time of small kernels; the precompiled
    header is built once per compiler, flags, header set and ``defines`` (the kernel's
    ``#define`` lines that precede its includes, such as ``AP_INT_MAX_W``: the header is
    included before the kernel, so it must see them, and one built without them must not be
    reused), per project or shared through ``ALLO_CACHE_DIR``. A stale or unusable one is
    ignored by g++ (it then reads the headers as usual).
    """
    defines = list(defines)
    key = hashlib.sha256("\0".join([compiler, " ".join(CSIM_FLAGS), *defines,
                                     _header_fingerprint([SHIM_DIR, ap_dir])]).encode())
    target = os.path.join(cache_dir(project), "csim-pch", key.hexdigest()[:16])
    if os.path.isfile(os.path.join(target, PCH_NAME + ".gch")):
        return target
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        work = tempfile.mkdtemp(prefix="pch_", dir=os.path.dirname(target))
        header = os.path.join(work, PCH_NAME)
        with open(header, "w", encoding="utf-8") as f:
            f.write("".join(f"{d}\n" for d in defines)
                    + "".join(f"#include <{h}>\n" for h in PCH_HEADERS))
        proc = subprocess.run([compiler, *CSIM_FLAGS, f"-I{SHIM_DIR}", f"-I{ap_dir}",
                               "-x", "c++-header", header, "-o", header + ".gch"],
                              capture_output=True, check=False)
        if proc.returncode != 0:
            shutil.rmtree(work, ignore_errors=True)
            return None
        try:
            os.rename(work, target)
        except OSError:  # another process finished first
            shutil.rmtree(work, ignore_errors=True)
        return target if os.path.isfile(os.path.join(target, PCH_NAME + ".gch")) else None
    except OSError:
        return None


def _allo_type(ct: CType):
    return Index() if ct.kind == "index" else type_from_str(ct.name)


def _header_fingerprint(dirs: list[str]) -> str:
    h = hashlib.sha256()
    for d in dirs:
        for root, _, files in sorted(os.walk(d)):
            for f in sorted(files):
                path = os.path.join(root, f)
                st = os.stat(path)
                h.update(f"{path}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _raise_stack_limit():  # pragma: no cover - runs in the child process
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 30
    if soft == resource.RLIM_INFINITY or soft >= target:
        return
    try:
        resource.setrlimit(resource.RLIMIT_STACK, (target, hard))
    except (ValueError, OSError):
        pass


class CSimRunner:
    """Builds and runs the C simulation executable of one HLS module."""

    def __init__(self, project: str, target: str, sig, top_cname: str, written: list[bool],
                 dataflow_code: str | None = None,
                 emitted: tuple[str, Callable[[int], SourceLoc | None]] | None = None):
        """``dataflow_code``: the translation unit whose regions run their processes in
        threads (None: the design has no dataflow region and kernel.cpp is compiled as is).
        ``emitted``: the generated code and the map from its lines to the user's source,
        used to locate a compiler error while ``kernel.cpp`` still holds that code."""
        self.project = project
        self.dataflow_code = dataflow_code
        self.emitted = emitted
        self.target = target
        self.sig = sig
        self.top_cname = top_cname
        self.written = written
        # Results' shapes as declared in the kernel (set by the HLS module); the C signature
        # may be flattened (wrap_io), and returned arrays take the declared shape.
        self.result_shapes: list[tuple] | None = None
        self.exe = None
        self._proc = None
        self._log = None
        self._finalizer = None

    # ------------------------------------------------------------------ build
    def build(self) -> str:
        compiler, ap_dir = require_csim(self.target, "csim", self.project)
        self.close()
        csim_dir = os.path.join(self.project, "csim")
        os.makedirs(csim_dir, exist_ok=True)
        main_path = os.path.join(csim_dir, "csim_main.cpp")
        with open(os.path.join(self.project, "kernel.cpp"), encoding="utf-8") as f:
            emitted = f.read()
        extra = []
        if self.dataflow_code is not None:
            kernel = self.dataflow_code
            defines = [DATAFLOW_DEFINE, *prelude_defines(emitted)]
            extra = ["-pthread"]
            driver = generate_driver(self.sig, self.top_cname, CSIM_KERNEL, (DATAFLOW_DEFINE,))
        else:
            kernel = name_streams(emitted)  # same lines as kernel.cpp
            defines = prelude_defines(kernel)
            driver = generate_driver(self.sig, self.top_cname, CSIM_KERNEL)
        with open(os.path.join(csim_dir, CSIM_KERNEL), "w", encoding="utf-8") as f:
            f.write(kernel)
        pch = precompiled_header(compiler, ap_dir, self.project, defines)
        pch_flags = [f"-I{pch}", "-include", PCH_NAME] if pch else []
        cmd = [compiler, *CSIM_FLAGS, *extra, *pch_flags, f"-I{SHIM_DIR}", f"-I{ap_dir}",
               f"-I{self.project}", main_path, "-o", os.path.join(csim_dir, "csim_exe")]
        digest = hashlib.sha256("\0".join(
            [kernel, driver, " ".join(cmd), _header_fingerprint([SHIM_DIR, ap_dir]),
             _ip_fingerprint(self.project)]).encode()).hexdigest()
        stamp = os.path.join(csim_dir, "build.hash")
        exe = os.path.join(csim_dir, "csim_exe")
        if os.path.isfile(exe) and os.path.isfile(stamp):
            with open(stamp, encoding="utf-8") as f:
                if f.read().strip() == digest:
                    self.exe = exe
                    return exe
        with open(main_path, "w", encoding="utf-8") as f:
            f.write(driver)
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=csim_dir, check=False)
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-40:])
            raise BuildError(
                f"C simulation build failed for {os.path.join(self.project, 'kernel.cpp')} "
                f"(driver {main_path}):\n$ {' '.join(cmd)}\n{tail}",
                loc=self._source_of_diagnostics(emitted, proc.stderr))
        with open(stamp, "w", encoding="utf-8") as f:
            f.write(digest)
        self.exe = exe
        return exe

    def _source_of_diagnostics(self, kernel: str, stderr: str) -> SourceLoc | None:
        """The user's line behind the first line of ``kernel.cpp`` the compiler complains
        about (None when the file is not the code this module emitted, e.g. edited)."""
        if self.emitted is None or self.emitted[0] != kernel:
            return None
        found = _KERNEL_LINE.search(stderr)
        return None if found is None else self.emitted[1](int(found.group(1)))

    # ------------------------------------------------------------------ run
    def ports(self) -> list:
        """(kind, ctype, shape, result alias index) for every user argument, in order."""
        out = []
        for p in self.sig.params:
            if p.kind == "scalar":
                out.append(("scalar", p.ctype, (), None))
            else:
                out.append(("array", p.array.elem, p.array.shape, None))
        for r in self.sig.results:
            if r.kind == "scalar":
                out.append(("result_scalar", r.ctype, (), None))
            elif r.kind == "array":
                out.append(("result_array", r.array.elem, r.array.shape, None))
            else:
                spec = self.sig.params[r.alias_index]
                out.append(("alias", spec.array.elem, spec.array.shape, r.alias_index))
        return out

    def __call__(self, *args):
        """Run once. Two calling conventions, told apart by the argument count:

        * inputs then outputs (the reference's): results are written into the trailing
          arrays, ``None`` is returned;
        * inputs only (the CPU build's): results are returned as the CPU build returns
          them (``None``, one value, or a list; scalars as Python numbers).
        """
        ports = self.ports()
        inputs = sum(1 for kind, *_ in ports if kind in ("scalar", "array"))
        if len(args) == inputs and inputs != len(ports):
            outputs = [_result_container(kind, ct, shape) for kind, ct, shape, _ in ports[inputs:]]
            self._run(ports, list(args) + outputs)
            values = [_returned(kind, ct, out) for (kind, ct, _, _), out in
                      zip(ports[inputs:], outputs)]
            values = self._in_declared_shapes(values)
            return values[0] if len(values) == 1 else values
        if len(args) != len(ports):
            expected = f"{len(ports)} arguments (inputs then outputs)"
            if inputs != len(ports):
                expected += f" or {inputs} (inputs only; results returned)"
            raise ArgumentError(f"expected {expected}, got {len(args)}")
        self._run(ports, args)
        return None

    def _in_declared_shapes(self, values: list) -> list:
        """Returned arrays reshaped to the kernel's declared result shapes (same data)."""
        shapes = self.result_shapes
        if shapes is None or len(shapes) != len(values):
            return values
        return [value.reshape(shape) if isinstance(value, np.ndarray) and shape
                and value.size == int(np.prod(shape)) else value
                for value, shape in zip(values, shapes)]

    def _run(self, ports: list, args) -> None:
        exe = self.exe or self.build()
        csim_dir = os.path.join(self.project, "csim")
        work = tempfile.mkdtemp(prefix="run_", dir=csim_dir)
        try:
            c_index = 0
            c_ports = []
            for pos, ((kind, ct, shape, alias), value) in enumerate(zip(ports, args)):
                if kind == "alias":
                    continue
                data = _to_container(value, ct, shape, pos, kind)
                data.tofile(os.path.join(work, f"in{c_index}.bin"))
                c_ports.append((c_index, pos, kind, ct, data))
                c_index += 1
            self._execute(exe, work)
            outputs = {}
            for c_idx, pos, kind, ct, data in c_ports:
                if kind == "scalar":
                    continue
                raw = np.fromfile(os.path.join(work, f"out{c_idx}.bin"), dtype=data.dtype)
                outputs[pos] = raw
                if kind in ("result_scalar", "result_array") or self.written[pos]:
                    _copy_back(args[pos], raw, ct)
            for pos, (kind, ct, shape, alias) in enumerate(ports):
                if kind == "alias" and alias in outputs:
                    _copy_back(args[pos], outputs[alias], ct)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _server(self, exe: str):
        """The running driver process (started on first use, restarted after a crash)."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            return proc
        log = os.path.join(os.path.dirname(exe), "csim_stderr.log")
        self._log = open(log, "w+", encoding="utf-8")  # noqa: SIM115 - lives with the process
        proc = subprocess.Popen([exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=self._log, text=True, preexec_fn=_raise_stack_limit)
        self._proc = proc
        self._finalizer = weakref.finalize(self, _stop, proc, self._log)
        return proc

    def close(self) -> None:
        """Stop the driver process (its static state is lost)."""
        if self._proc is not None:
            self._finalizer()
            self._proc = None

    def _execute(self, exe: str, work: str) -> None:
        proc = self._server(exe)
        try:
            proc.stdin.write(work + "\n")
            proc.stdin.flush()
            while True:
                line = proc.stdout.readline()
                if not line or line.strip() == "ALLO-CSIM-DONE":
                    break
        except (BrokenPipeError, OSError):
            line = ""
        if line:
            return
        code = proc.wait()
        self._log.seek(0)
        self._fail(exe, code, self._log.read())

    def _fail(self, exe: str, returncode: int, stderr: str) -> None:
        self._proc = None
        tail = "\n".join((stderr or "").strip().splitlines()[-20:])
        if returncode == DEADLOCK_EXIT or "ALLO-CSIM-DEADLOCK" in tail:
            report = tail[tail.index("ALLO-CSIM-DEADLOCK"):] if "ALLO-CSIM-DEADLOCK" in tail \
                else tail
            lines = report.splitlines()
            raise DeadlockError("C simulation deadlocked: every unfinished dataflow process "
                                "is blocked on a stream\n" + "\n".join(lines[1:]))
        named = _STREAM_MESSAGE.search(tail)
        stream, kernel = (named.group(1), named.group(2)) if named else (None, None)
        if returncode == LEFTOVER_STREAM_EXIT or "still holds" in tail:
            raise StreamError(f"C simulation left data in a stream:\n{tail}", stream, kernel)
        if returncode == EMPTY_STREAM_EXIT or "read from the empty stream" in tail:
            raise StreamError(
                f"C simulation read an empty stream: the design is not sequentially "
                f"executable (processes run one after another in C simulation); use "
                f'target="simulator" to simulate it concurrently.\n{tail}', stream, kernel)
        how = f"signal {-returncode}" if returncode < 0 else f"exit status {returncode}"
        raise SimulationError(f"C simulation executable {exe} failed with {how}\n{tail}")


def name_streams(kernel: str) -> str:
    """The C simulation copy of ``kernel``: every local stream declaration is followed (on
    the same line) by ``hls::allo_name_stream(x, "x");`` so that the shim's messages name it.

    >>> name_streams("  hls::stream< int32_t > Q; // L3")
    '  hls::stream< int32_t > Q; hls::allo_name_stream(Q, "Q"); // L3'
    """
    return _STREAM_DECL.sub(lambda m: f'{m.group(1)} hls::allo_name_stream({m.group(2)}, '
                                      f'"{m.group(2)}");', kernel)


def _stop(proc, log) -> None:
    """Close the driver's stdin so it exits, then reap it."""
    try:
        if proc.poll() is None:
            proc.stdin.close()
            proc.wait(timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        proc.kill()
    finally:
        log.close()


def _ip_fingerprint(project: str) -> str:
    h = hashlib.sha256()
    for name in sorted(os.listdir(project)):
        path = os.path.join(project, name)
        if os.path.isfile(path) and name.endswith((".cpp", ".h", ".hpp", ".cc")) \
                and name != "kernel.cpp":
            with open(path, "rb") as f:
                h.update(name.encode() + b"\0" + f.read())
    return h.hexdigest()


def _to_container(value, ct: CType, shape, pos: int, kind: str) -> np.ndarray:
    """The user's argument ``value`` as the flat container array the driver reads."""
    t = _allo_type(ct)
    count = element_count(shape)
    if kind == "scalar":
        if isinstance(value, float) and ct.kind in ("int", "index", "bool"):
            raise ArgumentError(f"argument {pos}: a float for an integer parameter would "
                                "truncate")
        arr = np.asarray(value)
        if arr.size != 1:
            raise ArgumentError(f"argument {pos}: expected a scalar, got an array of shape "
                                f"{arr.shape}")
        arr = arr.reshape(1)
    else:
        if not isinstance(value, np.ndarray):
            raise ArgumentError(f"argument {pos}: expected a numpy array, got "
                                f"{type(value).__name__} (use np.asarray)")
        if not value.flags["C_CONTIGUOUS"]:
            raise ArgumentError(f"argument {pos}: the array must be C-contiguous "
                                "(use np.ascontiguousarray)")
        if count is not None and value.size != count:
            raise ArgumentError(f"argument {pos}: expected {count} elements, got {value.size}")
        arr = value.reshape(-1)
    if ct.kind == "fixed":
        if arr.dtype.names is not None:
            return np.ascontiguousarray(arr)
        return np.ascontiguousarray(fixed_to_raw(arr.astype(np.float64), t).reshape(-1))
    if ct.kind == "index":
        return np.ascontiguousarray(arr.astype(np.int64))
    target = numpy_dtype(t, storage=True)
    python_scalar = kind == "scalar" and isinstance(value, (int, float, bool))
    if target.names is not None:
        if arr.dtype.names is not None:
            out = arr.view(target) if arr.dtype.itemsize == target.itemsize else arr
        else:
            out = int_to_bytes_array(arr.astype(object), ct.width, ct.signed, target)
    elif ct.kind == "float":
        out = arr.astype(target)
    else:
        out = wrap_int_array(arr, t, target)
    if arr.dtype != target and kind not in ("result_array", "result_scalar") \
            and not python_scalar:
        if target.names is None or arr.dtype.itemsize != target.itemsize:
            loss = conversion_loss(arr, out, t) if target.names is None else ""
            warn(f"argument {pos}: converting {arr.dtype} to {target}{loss}", DTypeWarning)
    return np.ascontiguousarray(out)


def _result_container(kind: str, ct: CType, shape: tuple) -> np.ndarray:
    """The array a result is read into, of the dtype the CPU build returns it in."""
    t = _allo_type(ct)
    dtype = np.dtype(np.float64) if ct.kind == "fixed" else numpy_dtype(t, storage=True)
    return np.zeros(tuple(shape) if kind != "result_scalar" else (1,), dtype=dtype)


def _returned(kind: str, ct: CType, out: np.ndarray):
    """A result as the CPU build returns it: arrays as they are, scalars as Python values."""
    if kind != "result_scalar":
        return out
    if out.dtype.names is not None:
        return bytes_array_to_ints(out.reshape(1), ct.signed)[0]
    value = out.reshape(())[()]
    if ct.kind == "float" and out.dtype.itemsize < 4:
        return value  # half precision stays a numpy scalar, as on the CPU
    if out.dtype.kind == "f":
        return float(value)
    return bool(value) if out.dtype == np.bool_ else int(value)


def _copy_back(user, raw: np.ndarray, ct: CType) -> None:
    """Write the driver's output container array into the user's array, converting."""
    if not isinstance(user, np.ndarray):
        return
    t = _allo_type(ct)
    if ct.kind == "fixed":
        if user.dtype.names is not None:
            values = raw
        else:
            values = raw_to_fixed(raw, t)
    elif raw.dtype.names is not None and user.dtype.names is None:
        values = np.array(bytes_array_to_ints(raw, ct.signed), dtype=object)
    else:
        values = raw
    flat = user.reshape(-1)
    if values.dtype == flat.dtype:
        flat[...] = values
    else:
        flat[...] = values.astype(flat.dtype, casting="unsafe")
