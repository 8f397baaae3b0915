"""ASAP scheduling of one loop body or function body, the way an HLS scheduler packs it.

Operations start as soon as their operands are ready. Combinational operators (adders,
comparisons, logic) are *chained*: several fit in one cycle while their summed delay stays
within the usable part of the clock period. Multi-cycle cores (floating point, multipliers,
dividers) and block-RAM reads take whole cycles. Each block-RAM bank serves at most two
accesses per cycle and a stream one; an access that finds its bank busy waits. Accesses to
the same address keep their program order (read after write, write after read, write after
write). Loops and calls met in a body that is not pipelined run one after the other, each
with its entry overhead; in a pipelined body they are unrolled completely (Vitis unrolls
every loop inside a pipelined loop), each copy seeing its own constant induction variable.

The scheduler records every memory access (for the recurrence and port bounds of a
pipeline) and every operator instance (for DSP/LUT/FF counts).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..._mlir import ir
from ...mlir_utils import LinearForm, constant_bounds, trip_count
from ..access import LOAD_OPS, STORE_OPS, access_memref, subscripts
from .order import AccessOrder

LOOP_OPS = ("affine.for", "scf.for")
IF_OPS = ("affine.if", "scf.if")
MAX_UNROLLED_OPS = 200_000  # beyond this a fully unrolled body is not scheduled op by op


@dataclass
class Access:
    """One memory access instance of a scheduled body."""

    memory: object  # MemoryInfo
    root: ir.Value
    is_store: bool
    forms: list  # subscripts with unrolled induction variables substituted
    issue: int
    latency: int
    first_use: int | None = None  # earliest cycle a consumer of a read starts


@dataclass
class OpUse:
    """One operator instance: its kind (op name, type), timing and issue cycle."""

    kind: tuple
    timing: object
    cycle: int


@dataclass
class BodySchedule:
    """The result of scheduling a body: its latency and what it used."""

    latency: int
    accesses: list = field(default_factory=list)
    ops: list = field(default_factory=list)
    truncated: bool = False


def _result_type(op) -> str:
    op = op.operation
    if op.name in ("arith.cmpf", "arith.cmpi", "arith.select") or not op.results:
        vals = list(op.operands)
        if op.name == "arith.select":
            vals = vals[1:]
        return str(vals[0].type) if vals else "i32"
    return str(op.results[0].type)


def _int_width(type_str: str) -> int | None:
    return int(type_str[1:]) if type_str.startswith("i") and type_str[1:].isdigit() else None


def _source_width(value) -> int | None:
    """Width of an integer before sign/zero extension (the frontend widens operands)."""
    owner = value.owner
    if isinstance(owner, (ir.Operation, ir.OpView)) and owner.name in ("arith.extsi",
                                                                        "arith.extui"):
        return _int_width(str(owner.operands[0].type))
    return _int_width(str(value.type))


_LOW_BITS_OPS = ("arith.addi", "arith.subi", "arith.muli")  # low result bits need only
# the operands' low bits


def _needed_width(value, width: int, depth: int = 4) -> int:
    """Bits of ``value`` its users can observe: a truncation keeps the low bits, and sums
    and products pass that on (HLS's bit-width narrowing); anything else sees them all."""
    users = [use.owner for use in value.uses]
    if not users or depth == 0:
        return width
    need = 0
    for user in users:
        if user.name == "arith.trunci":
            need = max(need, _int_width(str(user.results[0].type)) or width)
        elif user.name in _LOW_BITS_OPS + ("arith.extsi", "arith.extui") and user.results:
            own = _int_width(str(user.results[0].type)) or width
            need = max(need, _needed_width(user.results[0], own, depth - 1))
        else:
            return width
    return min(width, need)


def _source_widths(op) -> tuple | None:
    """The widths of ``op``'s integer operands before the frontend widened them (``None``
    when one is not an integer)."""
    widths = tuple(_source_width(v) for v in op.operation.operands)
    return widths if all(w is not None for w in widths) else None


def _effective_type(op, sources: tuple | None) -> str:
    """The type an integer operator really needs: HLS narrows a product or sum whose
    result is truncated, or whose operands (of widths ``sources``) were only widened, to
    the bits that matter."""
    type_str = _result_type(op)
    width = _int_width(type_str)
    name = op.operation.name
    if width is None or name not in _LOW_BITS_OPS:
        return type_str
    width = _needed_width(op.operation.results[0], width)
    if sources is not None:
        need = sum(sources) if name == "arith.muli" else max(sources) + 1
        width = min(width, need)
    return f"i{width}"


def _substitute(form, env: dict):
    if form is None:
        return None
    out = LinearForm(const=form.const)
    for atom, c in form.coeffs.items():
        out = out + (env[atom].scaled(c) if atom in env else LinearForm({atom: c}))
    return out


class BodyScheduler:
    """Schedules the ops of one body; ``ctx`` answers memories, calls and nested loops."""

    def __init__(self, ctx, pipelined: bool, env: dict | None = None):
        self.ctx = ctx
        self.lib = ctx.lib
        self.pipelined = pipelined
        self.env = dict(env or {})
        self.ready: dict = {}
        self.floor = 0  # nothing may start before: the end of the last loop or call
        self.end = 0
        self.port_use: Counter = Counter()
        self.order = AccessOrder()
        self.port_next: dict = {}  # port key -> {full cycle: next cycle to try}
        self.load_of: dict = {}
        self.result = BodySchedule(0)
        self.op_count = 0

    # ------------------------------------------------------------------ driver
    def run(self, ops) -> BodySchedule:
        for op in ops:
            self.schedule_op(op)
        self.result.latency = max(self.end, self.floor)
        return self.result

    def schedule_op(self, op) -> None:
        name = op.operation.name
        self.op_count += 1
        if self.op_count > MAX_UNROLLED_OPS:
            self.result.truncated = True
            return
        if name in LOOP_OPS:
            self._loop(op)
        elif name in IF_OPS:
            self._if(op)
        elif name == "func.call":
            self._call(op)
        elif name in LOAD_OPS or name in STORE_OPS:
            self._access(op, name in STORE_OPS)
        elif name in ("affine.yield", "scf.yield", "func.return", "scf.condition"):
            self._finish_at(self._ready_of(op.operation.operands))
        elif len(op.operation.regions):
            # scf.while and other region ops: their bodies once, as written
            self.ctx.notes.append(f"{name} in {self.ctx.current_function}: its body is "
                                  "counted once")
            self._if(op)
        else:
            self._compute(op)

    # ------------------------------------------------------------------ timing helpers
    def _ready_of(self, values) -> tuple:
        best = (self.floor, 0.0)
        for v in values:
            t = self.ready.get(v)
            if t is not None and t > best:
                best = t
        return best

    def _finish_at(self, t: tuple) -> None:
        cycle = t[0] + (1 if t[1] > 0 else 0)
        self.end = max(self.end, cycle)

    def _note_use(self, values, cycle: int) -> None:
        for v in values:
            acc = self.load_of.get(v)
            if acc is not None and (acc.first_use is None or cycle < acc.first_use):
                acc.first_use = cycle

    def _compute(self, op) -> None:
        operands = list(op.operation.operands)
        name = op.operation.name
        if name == "arith.muli" and any(_is_shift_add_constant(v) for v in operands):
            name = "arith.addi"  # by a constant with at most two set bits: shifts and an add
        sources = _source_widths(op) if op.operation.name in _LOW_BITS_OPS else None
        type_str = _effective_type(op, sources)
        # a product is sized by its factors' own widths: an int8 times a 27-bit word fits
        # one DSP however wide the product's type
        timing = self.lib.timing(name, type_str, sources if name == "arith.muli" else None)
        start = self._ready_of(operands)
        if timing.latency == 0:
            cycle, offset = start
            if offset + timing.delay > self.lib.budget_ns and offset > 0:
                cycle, offset = cycle + 1, 0.0
            done = (cycle, offset + timing.delay)
        else:
            cycle = start[0] + (1 if start[1] > self.lib.budget_ns / 2 else 0)
            done = (cycle + timing.latency, 0.0)
        passthrough = timing.latency == 0 and timing.delay == 0  # casts: wires only
        if not passthrough:
            self._note_use(operands, cycle)
        for r in op.operation.results:
            self.ready[r] = done
            reads = [self.load_of[v] for v in operands if v in self.load_of]
            if passthrough and reads:
                self.load_of[r] = reads[0]
        if timing.dsp or timing.lut or timing.ff or timing.latency:
            self.result.ops.append(OpUse((name, type_str), timing, cycle))
        self._finish_at(done)

    # ------------------------------------------------------------------ memory
    def _access(self, op, is_store: bool) -> None:
        root = access_memref(op)
        mem = self.ctx.memory(root)
        forms = [_substitute(f, self.env) for f in subscripts(op)]
        operands = list(op.operation.operands)
        index_vals = operands[2:] if is_store else operands[1:]
        addr_ready = self._ready_of(index_vals)
        cycle = addr_ready[0] + (1 if addr_ready[1] > self.lib.budget_ns * 0.7 else 0)
        if is_store:
            value_ready = self._ready_of([operands[0]])
            self._note_use([operands[0]], value_ready[0])
            cycle = max(cycle, value_ready[0])
        earlier = self.order.before(root, forms)
        forwarded = None
        if mem.kind == "register":
            if not is_store:
                forwarded = earlier.last_store_done  # a register read sees the write at once
        elif earlier.last_store_issue >= 0:
            cycle = max(cycle, earlier.last_store_issue + 1)
        if is_store:
            cycle = max(cycle, earlier.last_load_issue)
        cycle = self._claim_port(mem, root, forms, cycle, is_store)
        latency = self._access_latency(mem, is_store)
        acc = Access(mem, root, is_store, forms, cycle, latency)
        self.result.accesses.append(acc)
        if is_store:
            done = (cycle, 0.1) if mem.kind == "register" else (cycle + latency, 0.0)
            self.order.record(root, forms, True, cycle, self.ready.get(operands[0], done))
        else:
            done = max(forwarded, (cycle, 0.0)) if forwarded is not None else (
                (cycle, max(addr_ready[1], 0.0) + 0.1) if latency == 0
                else (cycle + latency, 0.0))
            self.order.record(root, forms, False, cycle, done)
            self.ready[op.operation.results[0]] = done
            self.load_of[op.operation.results[0]] = acc
        self._finish_at(done)

    def _access_latency(self, mem, is_store: bool) -> int:
        if mem.kind == "register":
            return 0
        if mem.kind == "stream":
            return self.lib.FIFO_LATENCY
        if is_store:
            return self.lib.BRAM_WRITE_LATENCY
        return self.lib.bram_read_latency if mem.kind == "bram" else 1

    def _claim_port(self, mem, root, forms, cycle: int, is_store: bool) -> int:
        ports = mem.ports
        if ports is None:
            return cycle
        bank = mem.bank_key(forms)
        # a stream has one read port and one write port
        key = (root, bank, is_store if mem.kind == "stream" else None)
        skip = self.port_next.setdefault(key, {})
        cycle = _first_free(skip, cycle)
        self.port_use[(key, cycle)] += 1
        if self.port_use[(key, cycle)] >= ports:
            skip[cycle] = cycle + 1
        return cycle

    # ------------------------------------------------------------------ regions
    def _if(self, op) -> None:
        for region in op.operation.regions:
            for block in region.blocks:
                for inner in block.operations:
                    self.schedule_op(inner)
        t = (self.floor, 0.0)
        for region in op.operation.regions:
            for block in region.blocks:
                ops = list(block.operations)
                if ops and ops[-1].operation.name.endswith("yield"):
                    t = max(t, self._ready_of(ops[-1].operation.operands))
        for r in op.operation.results:
            self.ready[r] = t

    def _barrier(self, latency: int) -> None:
        """A loop or call the FSM runs alone: it starts after everything before it."""
        start = max(self.end, self.floor)
        self.floor = start + latency
        self.end = self.floor

    def _loop(self, op) -> None:
        if not self.pipelined:
            self._barrier(self.ctx.nested_loop_cycles(op, self.env))
            return
        bounds = constant_bounds(op)
        iv = op.operation.regions[0].blocks[0].arguments[0]
        trips = trip_count(*bounds) if bounds else 1
        lower, step = (bounds[0], bounds[2]) if bounds else (0, 1)
        body = list(op.operation.regions[0].blocks[0].operations)
        for j in range(trips):
            self.env[iv] = LinearForm(const=lower + j * step)
            for inner in body:
                self.schedule_op(inner)
        self.env.pop(iv, None)

    def _call(self, op) -> None:
        latency = self.ctx.call_cycles(op)
        if not self.pipelined:
            self._note_use(list(op.operation.operands), max(self.end, self.floor))
            self._barrier(latency)
            for r in op.operation.results:
                self.ready[r] = (self.floor, 0.0)
            return
        start = self._ready_of(op.operation.operands)
        done = (start[0] + (1 if start[1] else 0) + latency, 0.0)
        for r in op.operation.results:
            self.ready[r] = done
        self._finish_at(done)


def _is_shift_add_constant(value) -> bool:
    owner = value.owner
    if not isinstance(owner, (ir.Operation, ir.OpView)) or owner.name != "arith.constant":
        return False
    try:
        constant = ir.IntegerAttr(owner.attributes["value"]).value
    except (ValueError, TypeError):
        return False
    return bin(abs(constant)).count("1") <= 2


def _first_free(skip: dict, cycle: int) -> int:
    """The first cycle from ``cycle`` on whose ports are not all taken (path-compressed)."""
    path = []
    while cycle in skip:
        path.append(cycle)
        cycle = skip[cycle]
    for c in path:
        skip[c] = cycle
    return cycle
