"""Operator timing and cost for static QoR estimates, per FPGA part and clock.

One table says what each MLIR operator costs once Vitis HLS binds it to a core: its
combinational delay (ns) when it can be chained with neighbours in one clock cycle, or its
pipeline latency (cycles) when it is a multi-cycle core, and the DSP/LUT/FF it takes.
Multi-cycle cores follow Vitis's rule of thumb: a core with total delay ``D`` ns needs
``ceil(D / usable_period)`` register stages, never fewer than its minimum latency, where the
usable period is the clock period minus Vitis's default clock uncertainty (27 %). The
numbers are UltraScale+ (-2 speed grade) values; other parts scale by ``Part.speed``.

>>> lib = OperatorLibrary()                      # Alveo U280 at 300 MHz
>>> lib.timing("arith.addf", "f32").latency, lib.timing("arith.mulf", "f32").latency
(4, 3)
>>> lib.timing("arith.muli", "i32").dsp, lib.timing("arith.addi", "i32").latency
(3, 0)
>>> OperatorLibrary(clock_mhz=100).timing("arith.addf", "f32").latency
3
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import BuildError

CLOCK_UNCERTAINTY = 0.27  # Vitis default: 27 % of the period is reserved for routing
DEFAULT_DEVICE = "u280"
DEFAULT_CLOCK_MHZ = 300.0


@dataclass(frozen=True)
class Part:
    """An FPGA part: its available resources and a delay scale (1.0 = UltraScale+ -2)."""

    name: str
    part_number: str
    dsp: int
    bram18k: int
    ff: int
    lut: int
    speed: float = 1.0


PARTS = {
    "u280": Part("u280", "xcu280-fsvh2892-2L-e", 9024, 4032, 2607360, 1303680),
    "u250": Part("u250", "xcu250-figd2104-2L-e", 12288, 5376, 3456000, 1728000),
    "u200": Part("u200", "xcu200-fsgd2104-2-e", 6840, 4320, 2364480, 1182240),
    "zcu102": Part("zcu102", "xczu9eg-ffvb1156-2-e", 2520, 1824, 548160, 274080),
    "zcu104": Part("zcu104", "xczu7ev-ffvc1156-2-e", 1728, 624, 460800, 230400),
    "ultra96v2": Part("ultra96v2", "xczu3eg-sbva484-1-i", 360, 432, 141120, 70560, 1.15),
    "pynqz2": Part("pynqz2", "xc7z020clg400-1", 220, 280, 106400, 53200, 1.6),
    "zedboard": Part("zedboard", "xc7z020clg484-1", 220, 280, 106400, 53200, 1.6),
    "vck190": Part("vck190", "xcvc1902-vsva2197-2MP-e-S", 1968, 1934, 1799680, 899840, 0.9),
}


def find_part(part: str | None) -> Part:
    """The :class:`Part` named by a board name (``"u280"``) or a part number.

    >>> find_part("xcu280-fsvh2892-2L-e").name
    'u280'
    """
    if part is None:
        return PARTS[DEFAULT_DEVICE]
    key = str(part).lower()
    for p in PARTS.values():
        if key in (p.name, p.part_number.lower()):
            return p
    raise BuildError(f"unknown part '{part}' for estimates; known: " + ", ".join(PARTS))


@dataclass(frozen=True)
class OpTiming:
    """How one operator instance is implemented: ``latency`` cycles (0 = combinational,
    chained within a cycle using ``delay`` ns) and its resources."""

    latency: int
    delay: float
    dsp: int = 0
    lut: int = 0
    ff: int = 0


# kind -> (min latency, total delay ns, DSP, LUT, FF) for the floating-point cores. The
# delays give the latencies of Vitis's cores at 300 MHz on UltraScale+ (fadd 4, fmul 3,
# fdiv 15, fsqrt 15, dadd 5, dmul 5, ddiv 30, int->float 3, fcmp 1).
_FLOAT_CORES = {
    ("add", 32): (3, 9.0, 2, 220, 350), ("mul", 32): (2, 6.5, 3, 90, 150),
    ("div", 32): (8, 36.0, 0, 800, 1400), ("sqrt", 32): (8, 36.0, 0, 500, 900),
    ("cmp", 32): (1, 2.0, 0, 70, 40), ("cast", 32): (2, 7.0, 0, 250, 300),
    ("add", 64): (3, 11.5, 3, 700, 1000), ("mul", 64): (3, 11.5, 11, 200, 400),
    ("div", 64): (15, 72.0, 0, 3200, 6000), ("sqrt", 64): (15, 72.0, 0, 1900, 3500),
    ("cmp", 64): (1, 2.2, 0, 130, 70), ("cast", 64): (2, 8.0, 0, 350, 400),
    ("add", 16): (2, 6.5, 2, 120, 180), ("mul", 16): (2, 5.0, 1, 60, 90),
    ("div", 16): (5, 20.0, 0, 350, 500), ("sqrt", 16): (5, 20.0, 0, 250, 400),
    ("cmp", 16): (1, 1.5, 0, 40, 20), ("cast", 16): (2, 5.0, 0, 120, 150),
}
# transcendental functions: (min latency, delay ns, DSP, LUT, FF) at single precision
_MATH_F32 = {
    "exp": (5, 21.0, 7, 900, 1000), "log": (6, 28.0, 9, 1300, 1400),
    "sin": (8, 40.0, 10, 2500, 2000), "cos": (8, 40.0, 10, 2500, 2000),
    "tanh": (10, 50.0, 9, 3000, 2500), "pow": (12, 65.0, 20, 4000, 4000),
    "rsqrt": (8, 40.0, 0, 900, 1500),
}
_FLOAT_KIND = {"arith.addf": "add", "arith.subf": "add", "arith.mulf": "mul",
               "arith.divf": "div", "math.sqrt": "sqrt", "arith.cmpf": "cmp",
               "arith.maximumf": "cmp", "arith.minimumf": "cmp", "arith.maxnumf": "cmp",
               "arith.minnumf": "cmp", "arith.sitofp": "cast", "arith.uitofp": "cast",
               "arith.fptosi": "cast", "arith.fptoui": "cast", "arith.extf": "cast",
               "arith.truncf": "cast", "arith.negf": "neg", "math.absf": "neg"}
_FREE_OPS = {"arith.constant", "arith.extsi", "arith.extui", "arith.trunci",
             "arith.index_cast", "arith.index_castui", "arith.bitcast", "affine.apply",
             "memref.subview", "memref.cast", "memref.reinterpret_cast",
             "memref.expand_shape", "memref.collapse_shape", "memref.alloc",
             "memref.alloca", "memref.dealloc", "memref.get_global", "arith.shli",
             "arith.shrsi", "arith.shrui", "affine.yield", "scf.yield", "func.return",
             "memref.dim"}
_ADDER_OPS = {"arith.addi", "arith.subi", "arith.cmpi", "arith.maxsi", "arith.minsi",
              "arith.maxui", "arith.minui"}
_LOGIC_OPS = {"arith.andi", "arith.ori", "arith.xori", "arith.select"}
_INT_DIV_OPS = {"arith.divsi", "arith.divui", "arith.remsi", "arith.remui",
                "arith.floordivsi", "arith.ceildivsi", "arith.ceildivui"}


def type_width(type_str: str) -> tuple[str, int]:
    """``("f"|"i", bits)`` of an MLIR scalar type spelling (index counts as 32 bits).

    >>> type_width("f32"), type_width("i17"), type_width("index")
    (('f', 32), ('i', 17), ('i', 32))
    """
    m = re.fullmatch(r"(f|bf|i|ui|si)(\d+)", type_str.strip())
    if m:
        kind = "f" if m.group(1) in ("f", "bf") else "i"
        return kind, int(m.group(2))
    if type_str.strip() == "index":
        return "i", 32
    return "i", 32


def multiplier_dsps(width: int, operand_widths: tuple[int, int] | None = None) -> int:
    """DSP48E2 slices (27x18) for a product kept to ``width`` bits: the partial products
    that reach the kept bits, the wider operand on the 27-bit port; products below 10 bits
    go to LUTs. ``operand_widths`` are the factors' own widths (default: ``width`` each).

    >>> [multiplier_dsps(w) for w in (8, 16, 32, 64)]
    [0, 1, 3, 8]
    >>> multiplier_dsps(35, (8, 27))  # an int8 times a 27-bit word: one DSP
    1
    """
    if width < 10:
        return 0
    wide, narrow = sorted((min(w, width) for w in (operand_widths or (width, width))),
                          reverse=True)
    return sum(1 for a in range(math.ceil(wide / 27)) for b in range(math.ceil(narrow / 18))
               if 27 * a + 18 * b < width)


class OperatorLibrary:
    """Operator timings for one part and clock (defaults: Alveo U280 at 300 MHz)."""

    def __init__(self, part: str | None = None, clock_mhz: float | None = None):
        clock = DEFAULT_CLOCK_MHZ if clock_mhz is None else clock_mhz
        if isinstance(clock, bool) or not isinstance(clock, (int, float)) or clock <= 0:
            raise BuildError(f"clock_mhz must be a positive number of MHz, got {clock_mhz!r}")
        self.part = find_part(part)
        self.clock_mhz = float(clock)
        self.period_ns = 1000.0 / self.clock_mhz
        # the part of each cycle chained combinational logic may use
        self.budget_ns = self.period_ns * (1.0 - CLOCK_UNCERTAINTY)

    def stages(self, min_latency: int, delay_ns: float) -> int:
        """Register stages of a core of total delay ``delay_ns``: never below its minimum."""
        return max(min_latency, math.ceil(delay_ns * self.part.speed / self.budget_ns))

    def _core(self, spec) -> OpTiming:
        lat, delay, dsp, lut, ff = spec
        if lat == 0:
            return OpTiming(0, delay * self.part.speed, dsp, lut, ff)
        return OpTiming(self.stages(lat, delay), delay, dsp, lut, ff)

    def timing(self, op_name: str, type_str: str,
               operand_widths: tuple[int, int] | None = None) -> OpTiming:
        """Timing and cost of ``op_name`` producing (or comparing) values of ``type_str``;
        ``operand_widths``: an integer product's factor widths, when narrower."""
        kind, width = type_width(type_str)
        if op_name in _FREE_OPS:
            return OpTiming(0, 0.0)
        if op_name in _FLOAT_KIND:
            fkind = _FLOAT_KIND[op_name]
            if fkind == "neg":
                return OpTiming(0, 0.2 * self.part.speed, 0, width // 8)
            bits = 64 if width > 32 else (16 if width <= 16 else 32)
            return self._core(_FLOAT_CORES[(fkind, bits)])
        if op_name.startswith("math."):
            return self._math(op_name[5:], width)
        if op_name == "arith.muli":
            dsp = multiplier_dsps(width, operand_widths)
            delay = 2.5 + 0.06 * width
            lat = self.stages(1, delay) if dsp else 0
            lut = 0 if dsp else width * width // 2
            return OpTiming(lat, delay * self.part.speed, dsp, lut, width * lat)
        if op_name in _INT_DIV_OPS:
            return OpTiming(width + 3, 0.0, 0, width * width // 2, width * (width + 3))
        if op_name in _ADDER_OPS:
            return OpTiming(0, (0.6 + 0.02 * width) * self.part.speed, 0, width)
        if op_name in _LOGIC_OPS:
            return OpTiming(0, 0.35 * self.part.speed, 0, width)
        return OpTiming(0, 0.5 * self.part.speed, 0, width)

    def _math(self, fn: str, width: int) -> OpTiming:
        spec = _MATH_F32.get(fn)
        if spec is None:
            if fn in ("absi", "ctlz", "cttz", "ctpop"):
                return OpTiming(0, 1.0 * self.part.speed, 0, width)
            spec = _MATH_F32["exp"]
        lat, delay, dsp, lut, ff = spec
        if width > 32:  # double precision: about twice the stages and four times the area
            lat, delay, dsp, lut, ff = 2 * lat, 2 * delay, 3 * dsp, 4 * lut, 4 * ff
        return self._core((lat, delay, dsp, lut, ff))

    # ------------------------------------------------------------------ memories, control
    @property
    def bram_read_latency(self) -> int:
        """Cycles from a BRAM read's address to its data (2 above 250 MHz: output register)."""
        return 2 if self.clock_mhz > 250 else 1

    BRAM_WRITE_LATENCY = 1
    BRAM_PORTS = 2            # true dual-port block RAM: two accesses per bank per cycle
    FIFO_LATENCY = 1          # hls::stream read or write
    LOOP_OVERHEAD = 1         # entering and leaving a non-pipelined loop
    PIPELINE_OVERHEAD = 2     # starting and flushing a pipelined loop
    CALL_OVERHEAD = 1         # ap_start/ap_done handshake of a called function
    DATAFLOW_OVERHEAD = 2     # starting the processes of a dataflow region and joining them


# ---------------------------------------------------------------------- untyped, by name
# The dataflow simulator's timing model costs operations by name alone (it runs before the
# types of every value are at hand): integer operators are costed at 32 bits, floating-point
# ones at single precision, all on the default part and clock of the library above.
_DEFAULT_LIBRARY = OperatorLibrary()
_BY_NAME_FIXED = {
    "memref.load": _DEFAULT_LIBRARY.bram_read_latency,
    "affine.load": _DEFAULT_LIBRARY.bram_read_latency,
    "memref.store": OperatorLibrary.BRAM_WRITE_LATENCY,
    "affine.store": OperatorLibrary.BRAM_WRITE_LATENCY,
    "fifo.get": OperatorLibrary.FIFO_LATENCY, "fifo.put": OperatorLibrary.FIFO_LATENCY,
    "func.call": OperatorLibrary.CALL_OVERHEAD,
}
DEFAULT_LATENCY = 1


def op_latency(name: str) -> int:
    """Cycles of the operation named ``name`` on the default part and clock (32-bit integer
    or single-precision operands); unknown operations cost :data:`DEFAULT_LATENCY`.

    >>> op_latency("arith.muli"), op_latency("arith.constant"), op_latency("fifo.put")
    (2, 0, 1)
    """
    if name in _BY_NAME_FIXED:
        return _BY_NAME_FIXED[name]
    known = (name in _FREE_OPS or name in _FLOAT_KIND or name.startswith("math.")
             or name in _ADDER_OPS or name in _LOGIC_OPS or name in _INT_DIV_OPS
             or name == "arith.muli")
    if not known:
        return DEFAULT_LATENCY
    type_str = "f32" if name in _FLOAT_KIND or name.startswith("math.") else "i32"
    return _DEFAULT_LIBRARY.timing(name, type_str).latency


class _LatencyTable(dict):
    """``OP_LATENCY[name]``: :func:`op_latency` as a read-only mapping."""

    def __missing__(self, name: str) -> int:
        return op_latency(name)


OP_LATENCY = _LatencyTable()


# ---------------------------------------------------------------------- loops
def loop_latency(trips: float, iteration: float, ii: int | None = None) -> float:
    """Cycles of a loop of ``trips`` iterations, each taking ``iteration`` cycles (at least 1).

    Not pipelined (``ii`` is ``None``) the iterations run one after the other:
    ``trips * iteration``. Pipelined at initiation interval ``ii`` a new iteration starts
    every ``ii`` cycles and the last one takes ``iteration`` cycles (the pipeline depth) to
    drain: ``(trips - 1) * ii + iteration``. ``trips`` may be an average (a loop whose bounds
    follow enclosing loops); below one iteration the loop costs that fraction of one
    iteration. The cycles of entering and leaving the loop are the caller's to add (the QoR
    estimate adds :attr:`OperatorLibrary.LOOP_OVERHEAD` or ``PIPELINE_OVERHEAD``; the
    simulator's timing model adds none).

    >>> loop_latency(8, 4), loop_latency(8, 4, ii=1), loop_latency(8, 2, ii=2), loop_latency(0, 5)
    (32, 11, 16, 0)
    """
    iteration = max(iteration, 1)
    if ii is None or trips < 1:
        return max(trips, 0) * iteration
    return (trips - 1) * ii + iteration
