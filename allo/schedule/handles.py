"""User-facing handles to buffers and loops (``schedule.md`` §1.4, §1.5).

* :class:`MockBuffer` ``(func, name)`` addresses a buffer of any function; ``s.X`` returns
  one for the top function. Handles compare (and hash) by ``(func, name)``.
* :class:`LoopHandle` is a loop seen by ``s.get_loops()``; it is resolved **by name** when a
  primitive uses it (see ``allo.schedule.args.resolve_loop``), so it survives rewrites that
  keep the loop's name.
* :class:`LoopBand` is the snapshot ``get_loops`` returns: a function band maps stage names to
  stage bands, a stage band maps loop names to handles.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterator

from ..diagnostics import public_entry
from ..errors import LoopNotFoundError


class MockBuffer:
    """Address of buffer ``name`` in function ``func``.

    >>> MockBuffer("gemm", "A") == MockBuffer("gemm", "A")
    True
    >>> MockBuffer("gemm", "A")
    MockBuffer('gemm', 'A')
    """

    def __init__(self, func: str, name: str, idx: int | None = None):
        self.func = func
        self.name = name
        self.idx = idx  # parameter index when the buffer is a parameter (informational)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, MockBuffer) and (self.func, self.name) == (other.func, other.name)

    def __hash__(self) -> int:
        return hash(("MockBuffer", self.func, self.name))

    def __repr__(self) -> str:
        return f"MockBuffer({self.func!r}, {self.name!r})"

    def __str__(self) -> str:
        return f"{self.func}:{self.name}"


class LoopHandle:
    """A loop of a ``get_loops`` snapshot: ``.name`` is ``"fn:stage.loop"``.

    ``.func`` is the function, ``.band`` the stage, ``.loop_name`` the loop's own name and
    ``.loop`` the IR op at snapshot time (informational: primitives re-resolve by name).

    >>> h = LoopHandle("gemm", "S_i_j_0", "j", None)
    >>> h.name
    'gemm:S_i_j_0.j'
    """

    def __init__(self, func: str, band: str, loop_name: str, op: Any):
        self.func = func
        self.band = band
        self.loop_name = loop_name
        self.loop = op

    @property
    def name(self) -> str:
        return f"{self.func}:{self.band}.{self.loop_name}"

    def __repr__(self) -> str:
        return f"LoopHandle({self.name!r})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, LoopHandle) and self.name == other.name

    def __hash__(self) -> int:
        return hash(("LoopHandle", self.name))


class AmbiguousLoop:
    """Placeholder for a name carried by two loops of one stage; resolving it raises."""

    def __init__(self, func: str, band: str, loop_name: str, count: int):
        self.func = func
        self.band = band
        self.loop_name = loop_name
        self.count = count

    @property
    def name(self) -> str:
        return f"{self.func}:{self.band}.{self.loop_name}"

    def __repr__(self) -> str:
        return f"AmbiguousLoop({self.name!r}, {self.count} loops)"


class LoopBand:
    """Snapshot of loops: a function band (stages) or a stage band (loops).

    Access members by attribute or item (``band.S_i_0``, ``band["c.outer"]``); iterating
    yields ``(name, member)`` pairs in program order; ``.loops`` is the ordered dict.
    An unknown name raises :class:`allo.LoopNotFoundError` (an ``AttributeError``).
    """

    def __init__(self, func: str, stage: str | None, members: list[tuple[str, Any]]):
        self.func = func
        self.stage = stage
        self._pairs = list(members)
        table: OrderedDict[str, Any] = OrderedDict()
        counts: dict[str, int] = {}
        for key, member in self._pairs:
            counts[key] = counts.get(key, 0) + 1
            table.setdefault(key, member)
        for key, count in counts.items():
            if count > 1 and stage is not None:
                table[key] = AmbiguousLoop(func, stage, key, count)
        self.loops = table

    @property
    def name(self) -> str:
        return self.func if self.stage is None else f"{self.func}:{self.stage}"

    @property
    def band(self) -> str | None:
        return self.stage

    def _lookup(self, key: str):
        member = self.loops.get(key)
        if member is None:
            what = "stage" if self.stage is None else "loop"
            where = f"function {self.func}" if self.stage is None else f"stage {self.name}"
            raise LoopNotFoundError(
                f"get_loops: {what} {key} not found in {where}; available: "
                f"{', '.join(self.loops) or '(none)'}")
        if isinstance(member, AmbiguousLoop):
            raise LoopNotFoundError(
                f"get_loops: loop name {key} is ambiguous in stage {self.name} "
                f"({member.count} loops carry it)")
        return member

    @public_entry
    def __getattr__(self, key: str):
        if key.startswith("__") or key in ("loops", "_pairs", "func", "stage"):
            raise AttributeError(key)
        return self._lookup(key)

    @public_entry
    def __getitem__(self, key: str):
        return self._lookup(key)

    def __contains__(self, key: str) -> bool:
        return key in self.loops

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def __repr__(self) -> str:
        return f"LoopBand({self.name!r}, [{', '.join(self.loops)}])"
