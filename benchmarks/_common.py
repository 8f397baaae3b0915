"""Shared helpers for the benchmark scripts: timing, C compilation, verification, tables.

The scripts in this directory are run directly (``python benchmarks/cpu_kernels.py``), so this
module is imported as ``_common`` from the script's own directory.

>>> t = best_time(lambda: sum(range(100)), target_seconds=0.01)
>>> t > 0
True
>>> format_seconds(0.00123)
'1.23 ms'
"""

from __future__ import annotations

import ctypes
import os
import platform
import shutil
import subprocess
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

__all__ = [
    "best_time",
    "format_seconds",
    "format_ratio",
    "SharedLibrary",
    "compile_c_library",
    "CFunctions",
    "array_address",
    "wrap_signed",
    "gcc_version",
    "render_table",
    "machine_summary",
    "Benchmark",
    "Row",
    "Problem",
    "mismatch",
    "measure",
    "COLUMNS",
    "table_cells",
]

# A single timed sample should last at least this long, so that perf_counter's resolution and
# the loop overhead stay negligible for kernels that take microseconds.
_MIN_SAMPLE_SECONDS = 0.005


def best_time(fn: Callable[[], object], target_seconds: float = 0.2, min_repeat: int = 3,
              max_repeat: int = 200) -> float:
    """Best-of-N seconds per call of ``fn``, after one warm-up call.

    Each sample runs ``fn`` ``number`` times in a row (enough for ~5 ms); the number of samples
    is chosen so that the whole measurement takes about ``target_seconds`` (at least
    ``min_repeat`` samples, so slow kernels may take longer).

    >>> best_time(lambda: None, target_seconds=0.01) < 1e-3
    True
    """
    start = time.perf_counter()
    fn()  # warm-up: first-call costs (JIT compilation, page faults, caches) stay out of samples
    first = max(time.perf_counter() - start, 1e-9)
    number = max(1, int(_MIN_SAMPLE_SECONDS / first))
    repeat = int(target_seconds / (first * number))
    repeat = min(max(repeat, min_repeat), max_repeat)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def format_seconds(seconds: float | None) -> str:
    """Render a duration with three significant digits and a unit that fits.

    >>> format_seconds(2.5e-6), format_seconds(0.5), format_seconds(None)
    ('2.50 us', '500 ms', '-')
    """
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{_three_digits(seconds / scale)} {unit}"
    return f"{_three_digits(seconds / 1e-9)} ns"


def _three_digits(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_ratio(numerator: float | None, denominator: float | None) -> str:
    """``numerator / denominator`` as ``"1.23x"``, or ``"-"`` when either is missing.

    >>> format_ratio(3.0, 2.0), format_ratio(None, 1.0)
    ('1.50x', '-')
    """
    if numerator is None or denominator is None or denominator <= 0:
        return "-"
    return f"{numerator / denominator:.2f}x"


class SharedLibrary:
    """A C shared library compiled into a private temporary directory and loaded with ctypes.

    The directory lives as long as this object; ``lib`` is the ``ctypes.CDLL``; ``seconds`` is
    how long the compiler ran.
    """

    def __init__(self, lib: ctypes.CDLL, workdir: tempfile.TemporaryDirectory, seconds: float):
        self.lib = lib
        self.seconds = seconds
        self._workdir = workdir

    def function(self, name: str, argtypes: Sequence, restype=None):
        """The C function ``name`` with its ctypes signature set.

        >>> # lib.function("gemm", [ctypes.c_int, ctypes.c_void_p], None)
        """
        fn = getattr(self.lib, name)
        fn.argtypes = list(argtypes)
        fn.restype = restype
        return fn


def compile_c_library(source: str, flags: Sequence[str] = ("-O3", "-march=native"),
                      compiler: str = "gcc") -> SharedLibrary:
    """Compile C ``source`` into a shared library with ``compiler`` and load it.

    Raises ``FileNotFoundError`` when the compiler is missing and ``RuntimeError`` (with the
    compiler's output) when compilation fails.

    >>> lib = compile_c_library("int twice(int x) { return 2 * x; }")  # doctest: +SKIP
    >>> lib.function("twice", [ctypes.c_int], ctypes.c_int)(21)         # doctest: +SKIP
    42
    """
    exe = shutil.which(compiler)
    if exe is None:
        raise FileNotFoundError(f"'{compiler}' is not on PATH")
    workdir = tempfile.TemporaryDirectory(prefix="allo_bench_")
    src_path = os.path.join(workdir.name, "kernels.c")
    lib_path = os.path.join(workdir.name, "libkernels.so")
    with open(src_path, "w") as f:
        f.write(source)
    cmd = [exe, *flags, "-std=c11", "-shared", "-fPIC", src_path, "-o", lib_path, "-lm"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout}{proc.stderr}")
    return SharedLibrary(ctypes.CDLL(lib_path), workdir, seconds)


class CFunctions:
    """The functions of a C ``source``, compiled once with gcc -O3 -march=native and set up
    from ``signatures`` (name -> (argument ctypes, result ctype)); attribute access by name.

    >>> sigs = {"twice": ([ctypes.c_int], ctypes.c_int)}
    >>> CFunctions("int twice(int x) { return 2 * x; }", sigs).twice(21)  # doctest: +SKIP
    42
    """

    def __init__(self, source: str, signatures: dict):
        self.library = compile_c_library(source)
        for name, (argtypes, restype) in signatures.items():
            setattr(self, name, self.library.function(name, argtypes, restype))


def array_address(arr: np.ndarray) -> int:
    """The address of ``arr``'s data, to hand to a C function taking a pointer.

    >>> array_address(np.zeros(4)) > 0
    True
    """
    return arr.ctypes.data


def wrap_signed(value: int, bits: int) -> int:
    """``value`` wrapped to a ``bits``-bit two's complement integer (as an Allo assignment does).

    >>> wrap_signed(2**47, 48), wrap_signed(-1, 48)
    (-140737488355328, -1)
    """
    half = 1 << (bits - 1)
    return ((int(value) + half) % (1 << bits)) - half


def gcc_version(compiler: str = "gcc") -> str:
    """First line of ``gcc --version``, or ``"not found"``.

    >>> isinstance(gcc_version(), str)
    True
    """
    exe = shutil.which(compiler)
    if exe is None:
        return "not found"
    proc = subprocess.run([exe, "--version"], capture_output=True, text=True)
    return proc.stdout.splitlines()[0] if proc.stdout else "unknown"


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]],
                 left_columns: int = 2) -> str:
    """Plain-text table: the first ``left_columns`` columns left-aligned, the rest right-aligned.

    >>> print(render_table(["a", "b"], [["x", "1"]], left_columns=1))
    a  b
    -  -
    x  1
    """
    widths = [max(len(str(r[c])) for r in [headers, *rows]) for c in range(len(headers))]

    def line(cells):
        parts = [str(cell).ljust(w) if c < left_columns else str(cell).rjust(w)
                 for c, (cell, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *[line(r) for r in rows]])


def machine_summary() -> str:
    """One line naming the CPU count, the CPU model, Python, numpy and gcc versions.

    >>> "cores" in machine_summary()
    True
    """
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for text in f:
                if text.startswith("model name"):
                    model = text.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({model}); Python {platform.python_version()}; "
            f"numpy {np.__version__}; {gcc_version()}")


# --------------------------------------------------------------------------- harness

class Benchmark:
    """One kernel in every implementation. ``size`` is the problem size parameter.

    Subclasses define ``inputs`` (fresh numpy arrays), ``allo_module`` (customize + build),
    ``run_allo``, ``run_numpy``, ``run_numba``, ``run_c``; all ``run_*`` return comparable
    results (kernels that update arrays in place return those arrays).
    """

    name = ""
    sizes: tuple = ()
    exact = False  # integers and fixed point compare bit for bit, floats with allclose

    def label(self, size) -> str:
        """How the size is printed in the table (square problems by default)."""
        return f"{size}x{size}"

    def allo_args(self, inputs: tuple) -> tuple:
        """The arguments the Allo module takes, computed once outside the timed region."""
        return inputs


@dataclass
class Row:
    """Measurements of one kernel at one size (seconds; None = not measured)."""

    kernel: str
    size: str
    build: float | None = None
    times: dict = field(default_factory=dict)  # implementation name -> seconds or a status


@dataclass
class Problem:
    """An implementation that failed to build, failed to run or gave a wrong result."""

    kernel: str
    size: str
    implementation: str
    detail: str


def mismatch(got, ref, exact: bool) -> str | None:
    """Why ``got`` differs from the numpy reference ``ref``, or None when they agree.

    Tuples compare element by element; ``exact`` demands bit equality, otherwise
    ``allclose`` with a tolerance scaled to the reference's magnitude.

    >>> mismatch(np.arange(3), np.arange(3), exact=True) is None
    True
    >>> mismatch(np.float32(1.5), np.float32(1.0), exact=False)
    'max abs error 0.5 (|ref| up to 1)'
    """
    gots = got if isinstance(got, tuple) else (got,)
    refs = ref if isinstance(ref, tuple) else (ref,)
    for g, r in zip(gots, refs):
        g, r = np.asarray(g), np.asarray(r)
        if g.shape != r.shape:
            return f"shape {g.shape} instead of {r.shape}"
        if exact:
            if not np.array_equal(g, r):
                bad = np.argwhere(g != r)
                where = tuple(bad[0]) if g.ndim else ()
                return (f"{len(bad)} of {r.size} elements differ, first at {where}: "
                        f"got {g[where]!r}, expected {r[where]!r}")
        else:
            scale = max(1.0, float(np.abs(r).max()))
            if not np.allclose(g, r, rtol=1e-4, atol=1e-5 * scale):
                return f"max abs error {float(np.abs(g - r).max()):.3g} (|ref| up to {scale:.3g})"
    return None


def _copies(args: tuple) -> tuple:
    return tuple(a.copy() for a in args)


def _short_error(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def measure(bench: Benchmark, size, ckernels, rng, target: float, problems: list,
            with_numba: bool) -> Row:
    """Verify every implementation of ``bench`` at ``size`` against numpy, then time it.

    ``ckernels`` (None: no C column) is passed to ``bench.run_c``; failures are appended to
    ``problems`` and shown as a status in the row instead of a time.

    >>> # row = measure(Gemm(), 64, ckernels, np.random.default_rng(0), 0.2, [], True)
    """
    row = Row(bench.name, bench.label(size))
    inputs = bench.inputs(size, rng)
    reference = bench.run_numpy(*_copies(inputs))
    allo_inputs = bench.allo_args(inputs)

    def fail(impl: str, status: str, detail: str):
        row.times[impl] = status
        problems.append(Problem(row.kernel, row.size, impl, detail))

    candidates = {"numpy": (lambda *a: bench.run_numpy(*a), inputs)}
    try:
        start = time.perf_counter()
        mod = bench.allo_module(size)
        row.build = time.perf_counter() - start
        candidates["allo"] = (lambda *a: bench.run_allo(mod, *a), allo_inputs)
    except Exception as exc:  # reported in the table and in the problem list, never fatal
        fail("allo", "BUILD FAILED", _short_error(exc))
    if with_numba:
        candidates["numba"] = (lambda *a: bench.run_numba(*a), inputs)
    if ckernels is not None:
        candidates["gcc"] = (lambda *a: bench.run_c(ckernels, *a), inputs)

    # Verify everything before timing anything: timing in-place kernels (jacobi-2d) changes
    # the shared input arrays, and the reference was computed from the original ones.
    verified = []
    for impl, (run, args) in candidates.items():
        try:
            why = mismatch(run(*_copies(args)), reference, bench.exact)
        except Exception as exc:
            fail(impl, "RUN FAILED", _short_error(exc))
            continue
        if why is not None:
            fail(impl, "WRONG", why)
            continue
        verified.append(impl)
    for impl in verified:
        run, args = candidates[impl]
        row.times[impl] = best_time(lambda: run(*args), target_seconds=target)
    return row


COLUMNS = ["kernel", "size", "allo build", "allo run", "numpy", "numba", "gcc -O3", "allo/gcc"]


def table_cells(row: Row) -> list:
    """The cells of ``row`` under ``COLUMNS``.

    >>> table_cells(Row("k", "8", 0.1, {"allo": 2e-6, "gcc": 1e-6, "numpy": "WRONG"}))
    ['k', '8', '100 ms', '2.00 us', 'WRONG', '-', '1.00 us', '2.00x']
    """
    def cell(impl):
        value = row.times.get(impl)
        return value if isinstance(value, str) else format_seconds(value)

    def number(impl):
        value = row.times.get(impl)
        return value if isinstance(value, float) else None

    return [row.kernel, row.size, format_seconds(row.build), cell("allo"), cell("numpy"),
            cell("numba"), cell("gcc"), format_ratio(number("allo"), number("gcc"))]
