"""Estimated latency, in clock cycles, of each IR operation on an Alveo U280 at 300 MHz.

One table shared by every estimator (the simulator's timing model, docs/dataflow.md, and any
QoR estimate): ``OP_LATENCY[op name]`` is the number of cycles from an operation's operands
to its result as Vitis HLS typically schedules it at a 3.33 ns clock (integer multiplies on
DSPs, floating point on its standard cores, BRAM reads with their output register). Values
are estimates for planning, not a substitute for synthesis reports. Operations that only
rename, extend or truncate bits cost nothing; an operation missing from the table costs
:data:`DEFAULT_LATENCY`.

>>> op_latency("arith.muli"), op_latency("arith.constant"), op_latency("my.op")
(3, 0, 1)
"""

from __future__ import annotations

DEFAULT_LATENCY = 1

OP_LATENCY: dict[str, int] = {
    # wiring: no logic
    "arith.constant": 0, "arith.index_cast": 0, "arith.index_castui": 0, "arith.extsi": 0,
    "arith.extui": 0, "arith.trunci": 0, "arith.bitcast": 0, "affine.apply": 0,
    "affine.yield": 0, "scf.yield": 0, "func.return": 0, "memref.alloc": 0,
    "memref.alloca": 0, "memref.subview": 0, "memref.cast": 0, "memref.reinterpret_cast": 0,
    "memref.dealloc": 0, "memref.get_global": 0, "arith.select": 0,
    # integer logic and arithmetic
    "arith.addi": 1, "arith.subi": 1, "arith.andi": 1, "arith.ori": 1, "arith.xori": 1,
    "arith.shli": 1, "arith.shrsi": 1, "arith.shrui": 1, "arith.cmpi": 1, "arith.maxsi": 1,
    "arith.minsi": 1, "arith.maxui": 1, "arith.minui": 1,
    "arith.muli": 3, "arith.divsi": 36, "arith.divui": 36, "arith.remsi": 36,
    "arith.remui": 36, "arith.ceildivsi": 36, "arith.floordivsi": 36,
    # floating point (single precision cores; doubles are similar or slower)
    "arith.addf": 4, "arith.subf": 4, "arith.mulf": 3, "arith.divf": 9, "arith.cmpf": 1,
    "arith.maximumf": 1, "arith.minimumf": 1, "arith.maxnumf": 1, "arith.minnumf": 1,
    "arith.negf": 0, "arith.sitofp": 4, "arith.uitofp": 4, "arith.fptosi": 4,
    "arith.fptoui": 4, "arith.extf": 1, "arith.truncf": 1,
    "math.sqrt": 12, "math.exp": 8, "math.log": 12, "math.tanh": 20, "math.sin": 20,
    "math.cos": 20, "math.powf": 30, "math.absf": 0, "math.absi": 1, "math.fma": 5,
    # on-chip memory: a BRAM read returns its data two cycles later, a write takes one
    "memref.load": 2, "affine.load": 2, "memref.store": 1, "affine.store": 1,
    # a FIFO read or write takes one cycle (stream accesses are costed as this)
    "fifo.get": 1, "fifo.put": 1,
    # a call costs this on top of its callee's own cycles
    "func.call": 1,
}


def op_latency(name: str) -> int:
    """Cycles of the operation named ``name`` (``DEFAULT_LATENCY`` if not in the table)."""
    return OP_LATENCY.get(name, DEFAULT_LATENCY)
