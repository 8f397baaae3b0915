"""Random well-typed Allo programs and random schedules for the differential fuzzer.

Every random decision goes through a :class:`Chooser`, backed either by ``random.Random`` (the
benchmark script) or by hypothesis (``test_fuzz.py``, which then shrinks failing programs).

A program is a top kernel ``top(A, B, D, c)`` over ``[M, N]`` arrays of one *type family*, made
of stages (element-wise maps with conditionals, row reductions with augmented assignments,
3-point stencils, calls of an array kernel ``h``) and expressions that may call a scalar kernel
``g``. Every stage writes a local array that the top returns, so all of them are compared.
``D`` holds non-zero divisors: ``/ // %`` always divide by ``D[...]`` or a positive literal.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from fuzz_program import (Bin, Call, CallArray, Cast, DeclArray, DeclScalar, If, Kernel, Lit, Load,
                          Logic, Loop, MinMax, Name, Neg, Param, Program, Store, Ternary,
                          TypeEnv)
from fuzz_semantics import (ARITH_OPS, BIT_OPS, CMP_OPS, FLOAT32, FLOAT64, INT32, SHIFT_OPS,
                            Fixed, Int, Ty, UFixed, UInt, legal_binary)

FAMILIES: dict[str, list[Ty]] = {
    "int_odd": [Int(5), UInt(13), Int(33), UInt(7), Int(3), Int(17), UInt(31), Int(48), UInt(1)],
    "int_std": [Int(8), Int(16), Int(32), Int(64), UInt(8), UInt(16), UInt(32), UInt(64)],
    "fixed": [Fixed(12, 4), UFixed(8, 3), Fixed(16, 10), Fixed(8, 0), UFixed(20, 12),
              Fixed(24, 6), Fixed(32, 16), UFixed(10, 10)],
    "float": [FLOAT32, FLOAT64],
}


class Chooser:
    """Source of random decisions."""

    def integer(self, lo: int, hi: int) -> int:  # inclusive bounds
        raise NotImplementedError

    def choice(self, options):
        options = list(options)
        return options[self.integer(0, len(options) - 1)]

    def chance(self, percent: int) -> bool:
        return self.integer(0, 99) < percent


class RandomChooser(Chooser):
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)


class DrawChooser(Chooser):
    """Decisions drawn from a hypothesis ``data`` object (shrinks toward small choices)."""

    def __init__(self, data):
        from hypothesis import strategies as st

        self.data = data
        self.st = st

    def integer(self, lo: int, hi: int) -> int:
        return self.data.draw(self.st.integers(lo, hi))


@dataclass
class Stage:
    """What the schedule generator needs to know about one stage of the top kernel."""

    name: str
    kind: str  # map, reduce, stencil
    loops: list  # loop variable names, outermost first
    trips: list
    output: str
    reads: list = field(default_factory=list)  # arrays read (stencil: the shifted one first)


@dataclass
class FuzzCase:
    family: str
    program: Program
    stages: list
    schedule: list  # lines of Python applied to the schedule ``s``
    input_seed: int
    csim: bool = False

    def primitives(self) -> list[str]:
        """Primitive name of each schedule line (``compose`` for a composed sub-schedule)."""
        return [primitive_name(line) for line in self.schedule]


def primitive_name(line: str) -> str:
    """``"split"`` for ``s.split("i0", 2)``; ``"compose"`` for a composed sub-schedule line."""
    return "compose" if "compose" in line else line.split("(")[0].split(".", 1)[1]


# ----------------------------------------------------------------------------- expressions


class ExprGen:
    """Builds typed expressions over the arrays readable at one loop position."""

    def __init__(self, ch: Chooser, env: TypeEnv, family: str, atoms: list, divisors: list,
                 loop_vars: list, scalar_fn: str | None, depth: int, scalars=("c",)):
        self.ch, self.env, self.family, self.scalars = ch, env, family, list(scalars)
        self.atoms, self.divisors, self.loop_vars = atoms, divisors, loop_vars
        self.scalar_fn, self.depth = scalar_fn, depth

    def literal(self):
        """A small literal (float literals are multiples of 1/4, exact in every float type)."""
        if self.family == "float" or self.ch.chance(8):
            return Lit(self.ch.integer(-32, 32) / 4.0)
        return Lit(self.ch.integer(-20, 20))

    def atom(self):
        """An array element, loop variable, scalar or literal."""
        roll = self.ch.integer(0, 99)
        if roll < 70 and self.atoms:
            return self.ch.choice(self.atoms)
        if roll < 80 and self.loop_vars:
            return Name(self.ch.choice(self.loop_vars))
        if roll < 90 and self.scalars:
            return Name(self.ch.choice(self.scalars))
        return self.literal()

    def divisor(self):
        """A right operand of ``/ // %`` that is never zero."""
        if self.divisors and self.ch.chance(75):
            return self.ch.choice(self.divisors)
        return Lit(self.ch.integer(1, 9))

    def expr(self, depth: int | None = None):
        """A random expression of at most ``depth`` operator levels."""
        depth = self.depth if depth is None else depth
        if depth == 0 or self.ch.chance(25):
            return self.atom()
        kind = self.ch.choice(["bin"] * 6 + ["neg", "ternary", "minmax", "call", "cast"])
        if kind == "cast":
            return Cast(self.ch.choice(["float", "int"]), self.expr(depth - 1))
        if kind == "neg":
            operand = self.expr(depth - 1)
            # index values stay non-negative (language.md §4.2 leaves negative ones unspecified)
            return operand if self.env.type_of(operand).kind == "index" else Neg(operand)
        if kind in ("ternary", "minmax"):
            left, right = self.expr(depth - 1), self.expr(depth - 1)
            if "index" in (self.env.type_of(left).kind, self.env.type_of(right).kind):
                left, right = _non_negative(left), _non_negative(right)
            if kind == "ternary":
                return Ternary(self.cond(depth - 1), left, right)
            return MinMax(self.ch.choice(["min", "max"]), left, right)
        if kind == "call" and self.scalar_fn:
            return Call(self.scalar_fn, (self.expr(depth - 1), self.expr(depth - 1)))
        return self.binary(depth)

    def binary(self, depth: int):
        """A binary operation legal for its operand types."""
        left = self.expr(depth - 1)
        op = self.ch.choice(ARITH_OPS + ARITH_OPS[:3] + SHIFT_OPS + BIT_OPS)
        if op in ("/", "//", "%"):
            right = self.divisor()
        elif op in SHIFT_OPS:
            right = Lit(self.ch.integer(0, 12)) if self.ch.chance(70) or not self.loop_vars \
                else Name(self.ch.choice(self.loop_vars))
        else:
            right = self.expr(depth - 1)
        lt, rt = self.env.type_of(left), self.env.type_of(right)
        if not legal_binary(op, lt, rt) or _risky(op, lt, rt):
            op = self.ch.choice(["+", "-", "*"])
            if right == Lit(0) or isinstance(right, Name) and right.name in self.loop_vars:
                right = self.expr(depth - 1)
                rt = self.env.type_of(right)
        if "index" in (lt.kind, rt.kind) and (lt.kind == "index" or isinstance(left, Lit)) \
                and (rt.kind == "index" or isinstance(right, Lit)):
            # index op index / index op literal stay index: keep them non-negative
            left, right = _non_negative(left), _non_negative(right)
            op = "+" if op == "-" else op
        return Bin(op, left, right)

    def cond(self, depth: int):
        """A condition: comparison, ``and``/``or``/``not`` of comparisons, or a truthy value."""
        roll = self.ch.integer(0, 9)
        compare = Bin(self.ch.choice(CMP_OPS), self.expr(depth), self.expr(depth))
        if roll < 6:
            return compare
        if roll < 8:
            other = Bin(self.ch.choice(CMP_OPS), self.expr(depth), self.expr(depth))
            return Logic(self.ch.choice(["and", "or"]), compare, other)
        if roll < 9:
            return Logic("not", compare)
        return self.expr(depth)  # truthiness of a value


def _non_negative(expr):
    return Lit(abs(expr.value)) if isinstance(expr, Lit) else expr


def _risky(op: str, left: Ty, right: Ty) -> bool:
    """Combinations left out on purpose: float ``//``/``%`` of huge quotients, shifts of index."""
    if op in SHIFT_OPS and left.kind == "index":
        return True
    if op in ("//", "%") and (left.is_float or right.is_float):
        return False
    return False


# ----------------------------------------------------------------------------- programs


def _pick_type(ch: Chooser, family: str) -> Ty:
    return ch.choice(FAMILIES[family])


def generate(ch: Chooser, families=None) -> FuzzCase:
    """A random program, its stage list and a random schedule."""
    family = ch.choice(families or list(FAMILIES))
    rows, cols = ch.integer(2, 5), ch.integer(3, 6)
    shape = (rows, cols)
    params = [Param("A", _pick_type(ch, family), shape), Param("B", _pick_type(ch, family), shape),
              Param("D", _pick_type(ch, family), shape),
              Param("c", _pick_type(ch, family) if ch.chance(70) else INT32)]
    kernels = []
    scalar_fn = None
    if ch.chance(40):
        scalar_fn = "g"
        kernels.append(_scalar_kernel(ch, family))
    array_fn = None
    if ch.chance(40):
        array_fn = _array_kernel(ch, family, params, shape, kernels, scalar_fn)
        kernels.append(array_fn)
    top = Kernel("top", params, [], [])
    program = Program(kernels + [top])
    env = TypeEnv(program, top)
    stages = []
    for k in range(ch.integer(1, 4)):
        kind = ch.choice(["map", "map", "reduce", "stencil", "recurrence", "inout"]
                         + (["call"] if array_fn else []))
        stage = _stage(ch, family, env, top, k, kind, shape, scalar_fn, array_fn)
        if stage is not None:
            stages.append(stage)
    if not top.results:
        stages.append(_stage(ch, family, env, top, 9, "map", shape, scalar_fn, None))
    case = FuzzCase(family, program, stages, [], ch.integer(0, 2**31 - 1))
    calls_h = any(isinstance(stmt, CallArray) for stmt in top.body)
    case.schedule = generate_schedule(ch, case, array_fn if calls_h else None)
    return case


def _scalar_kernel(ch: Chooser, family: str) -> Kernel:
    x, y = Param("x", _pick_type(ch, family)), Param("y", _pick_type(ch, family))
    kernel = Kernel("g", [x, y], [Param("", _pick_type(ch, family))], [])
    env = TypeEnv(Program([kernel]), kernel)
    gen = ExprGen(ch, env, family, [Name("x"), Name("y")], [], [], None, 2, scalars=("x", "y"))
    kernel.scalar_expr = gen.expr()
    return kernel


def _array_kernel(ch, family, params, shape, kernels, scalar_fn) -> Kernel:
    first, second = ch.choice(params[:3]), ch.choice(params[:3])
    out_ty = _pick_type(ch, family)
    kernel = Kernel("h", [Param("P", first.ty, shape), Param("Q", second.ty, shape)],
                    [Param("R", out_ty, shape)], [])
    env = TypeEnv(Program(kernels + [kernel]), kernel)
    index = (("ha", 0), ("hb", 0))
    gen = ExprGen(ch, env, family, [Load("P", index), Load("Q", index)], [], ["ha", "hb"],
                  scalar_fn, 2, scalars=())
    kernel.body = [DeclArray("R", out_ty, shape),
                   Loop("grid", ("ha", "hb"), shape, [Store("R", index, gen.expr())], name="H")]
    kernel.arg_names = (first.name, second.name)
    return kernel


def _readable(env: TypeEnv, shape: tuple, index2: tuple, row_var: str) -> list:
    atoms = []
    for name, (ty, arr_shape) in env.arrays.items():
        if name == "D":
            continue
        if arr_shape == shape:
            atoms.append(Load(name, index2))
        elif arr_shape == shape[:1]:
            atoms.append(Load(name, ((row_var, 0),)))
    return atoms


def _stage(ch, family, env, top, k, kind, shape, scalar_fn, array_fn) -> Stage | None:
    rows, cols = shape
    out_ty = _pick_type(ch, family)
    i, j, name = f"i{k}", f"j{k}", f"S{k}"
    if kind == "call":
        target = f"X{k}"
        top.body.append(CallArray(target, array_fn.name, array_fn.arg_names))
        env.arrays[target] = (array_fn.results[0].ty, shape)
        top.results.append(Param(target, array_fn.results[0].ty, shape))
        return None
    if kind == "reduce":
        return _reduce_stage(ch, family, env, top, k, out_ty, shape, scalar_fn)
    if kind == "recurrence":
        return _recurrence_stage(ch, family, env, top, k, out_ty, shape, scalar_fn)
    index = ((i, 0), (j, 0))
    atoms = _readable(env, shape, index, i)
    divisors = [Load("D", index)]
    gen = ExprGen(ch, env, family, atoms, divisors, [i, j], scalar_fn, ch.integer(1, 3))
    target = f"X{k}"
    reads = []
    if kind == "inout":  # write into the array parameter B (passed by reference)
        value = gen.expr()
        body = [Store("B", index, value, aug=ch.choice(["", "+", "-"]))]
        top.body.append(Loop("grid", (i, j), shape, body, name=name))
        return Stage(name, "map", [i, j], list(shape), "B", sorted({a.array for a in atoms}))
    if kind == "stencil":
        source = ch.choice([a.array for a in atoms if len(a.index) == 2])
        taps = [Load(source, ((i, 0), (j, d))) for d in range(3)]
        value = Bin(ch.choice(["+", "-", "*"]), taps[0],
                    Bin(ch.choice(["+", "-"]), taps[1], taps[2]))
        if ch.chance(50):
            value = Bin(ch.choice(["+", "-"]), value, gen.expr(1))
        body = [Store(target, index, value)]
        extents = (rows, cols - 2)
        reads = [source]
    else:
        body = _map_body(ch, gen, target, index, out_ty, k)
        extents = shape
    top.body.append(DeclArray(target, out_ty, shape))
    top.body.append(Loop("grid", (i, j), extents, body, name=name))
    env.arrays[target] = (out_ty, shape)
    top.results.append(Param(target, out_ty, shape))
    reads += sorted({a.array for a in atoms})
    return Stage(name, "stencil" if kind == "stencil" else "map", [i, j], list(extents),
                 target, reads)


RECURRENCES = {  # (written index offsets, read index offsets): a loop-carried dependence
    "wave": ((1, 0), (0, 1)),  # distance (1, -1): interchanging i and j is illegal
    "diagonal": ((1, 1), (0, 0)),  # distance (1, 1)
    "row": ((0, 1), (0, 0)),  # distance (0, 1)
}


def _recurrence_stage(ch, family, env, top, k, out_ty, shape, scalar_fn) -> Stage:
    rows, cols = shape
    i, j, name, target = f"i{k}", f"j{k}", f"S{k}", f"X{k}"
    index = ((i, 0), (j, 0))
    atoms = _readable(env, shape, index, i)
    gen = ExprGen(ch, env, family, atoms, [Load("D", index)], [i, j], scalar_fn, ch.integer(1, 2))
    written, read = RECURRENCES[ch.choice(sorted(RECURRENCES))]
    value = Bin(ch.choice(["+", "-", "*"]), Load(target, ((i, read[0]), (j, read[1]))), gen.expr())
    store = Store(target, ((i, written[0]), (j, written[1])), value)
    top.body.append(DeclArray(target, out_ty, shape, ch.integer(0, 3)))
    top.body.append(Loop("grid", (i, j), (rows - 1, cols - 1), [store], name=name))
    env.arrays[target] = (out_ty, shape)
    top.results.append(Param(target, out_ty, shape))
    return Stage(name, "recurrence", [i, j], [rows - 1, cols - 1], target,
                 sorted({a.array for a in atoms}))


def _map_body(ch, gen: ExprGen, target: str, index: tuple, out_ty: Ty, k: int) -> list:
    body = []
    if ch.chance(30):
        local = f"t{k}"
        local_ty = ch.choice(FAMILIES[gen.family])
        body.append(DeclScalar(local, local_ty, gen.expr()))
        gen.env.scalars[local] = local_ty
        gen.scalars.append(local)
    if ch.chance(35):
        then = [Store(target, index, gen.expr())]
        other = [Store(target, index, gen.expr())] if ch.chance(70) else []
        body.append(If(gen.cond(1), then, other))
    else:
        body.append(Store(target, index, gen.expr()))
    if ch.chance(20):
        body.append(Store(target, index, gen.expr(1), aug=ch.choice(["+", "-", "*"])))
    return body


def _reduce_stage(ch, family, env, top, k, out_ty, shape, scalar_fn) -> Stage:
    rows, cols = shape
    i, r, name, target = f"i{k}", f"r{k}", f"S{k}", f"R{k}"
    index = ((i, 0), (r, 0))
    atoms = [a for a in _readable(env, shape, index, i) if len(a.index) == 2]
    gen = ExprGen(ch, env, family, atoms, [Load("D", index)], [i, r], scalar_fn, ch.integer(1, 2))
    value = gen.expr()
    ops = ["+", "+", "-", "*", "max"] + (["|", "^"] if out_ty.kind == "int" else [])
    op = ch.choice(ops)
    if op in BIT_OPS and not legal_binary(op, out_ty, env.type_of(value)):
        op = "+"
    if op == "max":
        update = Store(target, ((i, 0),), MinMax("max", Load(target, ((i, 0),)), value))
    else:
        update = Store(target, ((i, 0),), value, aug=op)
    init = ch.integer(-3, 3) if out_ty.signed else ch.integer(0, 3)
    top.body.append(DeclArray(target, out_ty, (rows,), init))
    top.body.append(Loop("range", (i,), (rows,), [Loop("reduction", (r,), (cols,), [update])],
                         name=name))
    env.arrays[target] = (out_ty, (rows,))
    top.results.append(Param(target, out_ty, (rows,)))
    return Stage(name, "reduce", [i, r], [rows, cols], target, sorted({a.array for a in atoms}))


# ----------------------------------------------------------------------------- schedules

PARTITIONS = ["allo.Partition.Complete", "allo.Partition.Block", "allo.Partition.Cyclic"]


def generate_schedule(ch: Chooser, case: FuzzCase, array_fn: Kernel | None) -> list[str]:
    """Python lines applying random primitives to ``s`` (some of them illegal on purpose)."""
    lines = []
    stages = [st for st in case.stages]
    buffers = [p.name for p in case.program.top.params if p.shape] + [st.output for st in stages]
    for _ in range(ch.integer(0, 4)):
        options = ["split", "unroll", "pipeline", "partition", "reorder", "fuse"]
        if any(st.kind == "stencil" for st in stages):
            options.append("reuse_at")
        if any(st.kind == "reduce" for st in stages):
            options.append("buffer_at")
        if sum(st.kind != "reduce" for st in stages) >= 2:
            options += ["compute_at", "compute_at"]
        if array_fn is not None and not any("compose" in line for line in lines):
            options.append("compose")
        line = _primitive(ch, ch.choice(options), stages, buffers, array_fn)
        if line:
            lines.append(line)
    return lines


def _primitive(ch, name, stages, buffers, array_fn) -> str:
    if not stages and name not in ("partition", "compose"):
        return ""
    stage = ch.choice(stages) if stages else None
    if name == "split":
        pos = ch.integer(0, 1)
        return f's.split("{stage.loops[pos]}", {ch.integer(2, max(2, stage.trips[pos]))})'
    if name == "unroll":
        return f's.unroll("{ch.choice(stage.loops)}", {ch.choice([0, 2, 3])})'
    if name == "pipeline":
        return f's.pipeline("{ch.choice(stage.loops)}", initiation_interval={ch.integer(1, 2)})'
    if name == "reorder":
        return f's.reorder("{stage.loops[1]}", "{stage.loops[0]}")'
    if name == "fuse":
        return f's.fuse("{stage.loops[0]}", "{stage.loops[1]}")'
    if name == "partition":
        kind = ch.integer(0, 2)
        factor = f", factor={ch.integer(2, 3)}" if kind else ""
        return (f's.partition("top:{ch.choice(buffers)}", {PARTITIONS[kind]}, '
                f"dim={ch.integer(0, 2)}{factor})")
    if name == "reuse_at":
        stencil = ch.choice([st for st in stages if st.kind == "stencil"])
        return f's.reuse_at("top:{stencil.reads[0]}", "{stencil.loops[1]}")'
    if name == "buffer_at":
        reduce = ch.choice([st for st in stages if st.kind == "reduce"])
        return f's.buffer_at("top:{reduce.output}", "{reduce.loops[0]}")'
    if name == "compute_at":
        grids = [st for st in stages if st.kind != "reduce"]
        first = ch.integer(0, len(grids) - 2)
        second = ch.integer(first + 1, len(grids) - 1)
        depth = ch.integer(0, 1)
        return f's.compute_at("{grids[first].loops[depth]}", "{grids[second].loops[depth]}")'
    if name == "compose":
        sub = ch.choice(['sh.split("ha", 2)', 'sh.pipeline("hb")', 'sh.unroll("hb", 2)',
                         'sh.reorder("hb", "ha")', 'sh.partition("h:R", allo.Partition.Cyclic, '
                         'dim=2, factor=2)', 'sh.fuse("ha", "hb")'])
        return f"sh = allo.customize(h); {sub}; s.compose(sh)"
    return ""
