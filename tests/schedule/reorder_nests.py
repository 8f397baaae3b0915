"""Random perfect loop nests for the reorder property tests.

A :class:`Nest` is a perfect nest of 2–4 loops ``l0, l1, ...`` (extents 2–4) whose body holds
1–3 statements, each on buffers of its own (``A``/``FA`` are read-only inputs):

* ``carried``: ``X[l_a + 1 + o_a, ...] = X[l_a + 1, ...] + A[...]`` over a subset of the loops
  with offsets ``o`` in {-1, 0, 1}: a real carried dependence of distance ``o`` (an ``add``
  reduction when every offset is 0 and a loop is missing from the subscripts);
* ``reduce``: ``R[subset] op= A[...]`` for an integer ``op`` (``+ ^ * max``); an empty subset
  is a scalar local accumulator, copied to ``R[0]`` after the nest;
* ``freduce``: the same with ``+`` into a float32 buffer (or scalar).

From one description the module writes the kernel's source for ``allo.customize``, a plain
Python reference that runs the original loop order on numpy scalars (int32 wraps like the
kernel), and an exact oracle for a final band order: enumerate every pair of accesses to one
element (at least one write, different iterations) and check the new order keeps their
order, ignoring integer reductions; a reversed float reduction means "refuse"; and the inner
loop of a split with a remainder stays inside its outer loop.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

import allo
from allo.ir.types import float32, int32

INT_OPS = {"+": "{t} += {v}", "^": "{t} ^= {v}", "*": "{t} *= {v}", "max": "{t} = max({t}, {v})"}


@dataclass
class Stmt:
    kind: str  # "carried" | "reduce" | "freduce"
    loops: tuple  # loop positions used in the target's subscripts
    offsets: tuple = ()  # carried only, one per used loop
    op: str = "+"


@dataclass
class Nest:
    extents: tuple
    stmts: list
    splits: list = field(default_factory=list)  # [(loop position, factor)], at most one per loop

    # ----------------------------------------------------------------- kernel text

    def buffer_shapes(self) -> dict:
        shapes = {"A": self.extents, "FA": self.extents}
        for k, st in enumerate(self.stmts):
            if st.kind == "carried":
                shapes[f"X{k}"] = tuple(self.extents[p] + 2 for p in st.loops)
            else:
                name = ("R" if st.kind == "reduce" else "F") + str(k)
                shapes[name] = tuple(self.extents[p] for p in st.loops) or (1,)
        return shapes

    def _statement(self, k: int, st: Stmt) -> str:
        full = ", ".join(f"l{p}" for p in range(len(self.extents)))
        if st.kind == "carried":
            dst = ", ".join(f"l{p} + 1 + {o}" for p, o in zip(st.loops, st.offsets))
            src = ", ".join(f"l{p} + 1" for p in st.loops)
            return f"X{k}[{dst}] = X{k}[{src}] + A[{full}]"
        prefix = "R" if st.kind == "reduce" else "F"
        target = f"{prefix}{k}[{', '.join(f'l{p}' for p in st.loops)}]" if st.loops \
            else f"s{k}"
        value = f"A[{full}]" if st.kind == "reduce" else f"FA[{full}]"
        return INT_OPS[st.op].format(t=target, v=value)

    def _scalars(self) -> list:
        return [(k, st) for k, st in enumerate(self.stmts) if st.kind != "carried" and not st.loops]

    def kernel_source(self) -> str:
        shapes = self.buffer_shapes()
        params = ", ".join(f"{name}: {'float32' if name.startswith('F') else 'int32'}"
                           f"{list(shape)}" for name, shape in shapes.items())
        names = ", ".join(f"l{p}" for p in range(len(self.extents)))
        lines = [f"def nest_kernel({params}):"]
        for k, st in self._scalars():
            init = "0.0" if st.kind == "freduce" else ("1" if st.op == "*" else "0")
            lines.append(f"    s{k}: {'float32' if st.kind == 'freduce' else 'int32'} = {init}")
        lines.append(f"    for {names} in allo.grid({', '.join(map(str, self.extents))}, "
                     f"name=\"nest\"):")
        lines += [f"        {self._statement(k, st)}" for k, st in enumerate(self.stmts)]
        for k, st in self._scalars():
            lines.append(f"    {'R' if st.kind == 'reduce' else 'F'}{k}[0] = s{k}")
        return "\n".join(lines) + "\n"

    def customize(self):
        s = allo.customize(self.kernel_source(),
                           global_vars={"allo": allo, "int32": int32, "float32": float32})
        for pos, factor in self.splits:
            s.split(f"nest.l{pos}", factor)
        return s

    # ----------------------------------------------------------------- reference

    def inputs(self, seed: int) -> list:
        rng = np.random.default_rng(seed)
        out = []
        for name, shape in self.buffer_shapes().items():
            if name.startswith("F"):
                out.append(rng.standard_normal(shape).astype(np.float32))
            else:
                out.append(rng.integers(-(2 ** 31), 2 ** 31, shape).astype(np.int32)
                           if name == "A" else rng.integers(-9, 9, shape).astype(np.int32))
        return out

    def reference(self, *arrays) -> None:
        """Run the nest in its original order on ``arrays`` (updated in place)."""
        env = dict(zip(self.buffer_shapes(), arrays))
        scalars = {f"s{k}": (np.float32(0) if st.kind == "freduce"
                             else np.int32(1 if st.op == "*" else 0))
                   for k, st in self._scalars()}
        env.update(scalars)
        code = [compile(self._statement(k, st), "<ref>", "exec")
                for k, st in enumerate(self.stmts)]
        with np.errstate(over="ignore"):
            for idx in itertools.product(*(range(e) for e in self.extents)):
                env.update({f"l{p}": v for p, v in enumerate(idx)})
                for c in code:
                    exec(c, {"max": max}, env)
        for k, st in self._scalars():
            env[f"{'R' if st.kind == 'reduce' else 'F'}{k}"][0] = env[f"s{k}"]

    # ----------------------------------------------------------------- band and oracle

    def band(self) -> list:
        """Loop names of the nest after the splits, outermost first."""
        split = dict(self.splits)
        names = []
        for p in range(len(self.extents)):
            names += [f"l{p}.outer", f"l{p}.inner"] if p in split else [f"l{p}"]
        return names

    def _band_coordinates(self, idx: tuple) -> tuple:
        split = dict(self.splits)
        coords = []
        for p, v in enumerate(idx):
            coords += [v // split[p], v % split[p]] if p in split else [v]
        return tuple(coords)

    def _touches(self, idx: tuple):
        """``(stmt, buffer, element, is_write)`` for each access of one iteration, in order."""
        for k, st in enumerate(self.stmts):
            used = tuple(idx[p] for p in st.loops)
            if st.kind == "carried":
                yield k, f"X{k}", tuple(v + 1 for v in used), False
                yield k, f"X{k}", tuple(v + 1 + o for v, o in zip(used, st.offsets)), True
            else:
                name = f"R{k}" if st.kind == "reduce" else f"F{k}"
                yield k, name, used, False
                yield k, name, used, True

    def expected_verdict(self, final: list) -> bool:
        """True when reordering the band to ``final`` is legal (see the module docstring)."""
        band = self.band()
        for pos, factor in self.splits:
            # a remainder bound min(f, N - f*outer) must stay inside its outer loop
            if self.extents[pos] % factor and \
                    final.index(f"l{pos}.inner") < final.index(f"l{pos}.outer"):
                return False
        order = [band.index(name) for name in final]
        by_element: dict = {}
        for idx in itertools.product(*(range(e) for e in self.extents)):
            coords = self._band_coordinates(idx)
            new_time = tuple(coords[k] for k in order)
            for seq, (k, buf, elem, is_write) in enumerate(self._touches(idx)):
                by_element.setdefault((buf, elem), []).append((coords, new_time, seq, is_write, k))
        for (buf, _), touches in by_element.items():
            stmt = self.stmts[touches[0][4]]
            if self._is_integer_reduction(stmt):
                continue
            for p, q in itertools.combinations(touches, 2):
                if (p[3] or q[3]) and p[0] != q[0] and p[1] > q[1]:
                    return False
        return True

    @staticmethod
    def _is_integer_reduction(st: Stmt) -> bool:
        if st.kind == "reduce":
            return True
        return st.kind == "carried" and not any(st.offsets)
