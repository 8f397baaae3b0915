"""Memory placement and distributed layouts (``allo.memory``).

``Memory`` places an array in a memory resource (``int32[32] @ Memory(resource="URAM")``,
language.md §2.4). ``Layout`` says how a tensor is distributed over the processing elements of
a dataflow kernel: one entry per tensor dimension, ``Layout.Shard(axis)`` (the dimension is
split across mesh axis ``axis``) or ``Layout.Replicate()`` (every PE sees it whole). Only the
AIE target uses layouts; every other target accepts and ignores them
(``A: int32[M, N] @ [S(0), R]`` compiles as ``int32[M, N]``). ``DTensor`` bundles a tensor's
description with its memory spec or layout.

>>> S, R = Layout.Shard, Layout.Replicate
>>> lay = Layout([S(0), R()])
>>> lay
Layout([Shard(0), Replicate()])
>>> lay.get_placement([2, 2])
{(0, 0): [(0, 0), (0, 1)], (1, 0): [(1, 0), (1, 1)]}
"""

from __future__ import annotations

import itertools

from .language import Memory

__all__ = ["Memory", "Layout", "DTensor"]


class _Shard:
    """The tensor dimension is split evenly across mesh axis ``axis``."""

    def __init__(self, axis: int):
        if not isinstance(axis, int) or isinstance(axis, bool) or axis < 0:
            raise ValueError(f"Shard axis must be a non-negative integer, got {axis!r}")
        self.axis = axis

    def __repr__(self):
        return f"Shard({self.axis})"

    def __eq__(self, other):
        return isinstance(other, _Shard) and other.axis == self.axis

    def __hash__(self):
        return hash(("shard", self.axis))


class _Replicate:
    """The tensor dimension is not split: every PE along the mesh holds all of it."""

    def __repr__(self):
        return "Replicate()"

    def __eq__(self, other):
        return isinstance(other, _Replicate)

    def __hash__(self):
        return hash("replicate")


class Layout:
    """How each dimension of a tensor is distributed over a mesh of PEs (module doc)."""

    Shard = _Shard
    Replicate = _Replicate

    def __init__(self, placement):
        if isinstance(placement, Layout):
            placement = placement.placement
        items = []
        for entry in placement:
            if entry is _Replicate:
                entry = _Replicate()
            if not isinstance(entry, (_Shard, _Replicate)):
                raise ValueError(f"a layout entry is Layout.Shard(axis) or Layout.Replicate(), "
                                 f"got {entry!r}")
            items.append(entry)
        axes = [e.axis for e in items if isinstance(e, _Shard)]
        if len(axes) != len(set(axes)):
            raise ValueError(f"two tensor dimensions are sharded over the same mesh axis: {items}")
        self.placement = items

    def __repr__(self):
        return f"Layout([{', '.join(map(repr, self.placement))}])"

    def __eq__(self, other):
        return isinstance(other, Layout) and other.placement == self.placement

    def __hash__(self):
        return hash(tuple(self.placement))

    def get_placement(self, mesh_dims) -> dict:
        """``{tensor tile: [PE coordinates holding it]}`` on a mesh of shape ``mesh_dims``.

        A tile index has one entry per tensor dimension: the PE's coordinate along the mesh
        axis the dimension is sharded over, or 0 for a replicated dimension.
        """
        mesh = [int(d) for d in mesh_dims]
        for e in self.placement:
            if isinstance(e, _Shard) and e.axis >= len(mesh):
                raise ValueError(f"{e} refers to mesh axis {e.axis}, but the mesh has "
                                 f"{len(mesh)} axes")
        out: dict = {}
        for pe in itertools.product(*(range(d) for d in mesh)):
            tile = tuple(pe[e.axis] if isinstance(e, _Shard) else 0 for e in self.placement)
            out.setdefault(tile, []).append(pe)
        return out


class DTensor:
    """A distributed tensor: ``DTensor(rank, mapping, shape, dtype, spec, name)``.

    ``spec`` is a :class:`Memory` (kept in ``.memory``) or a :class:`Layout` (in ``.layout``).
    """

    def __init__(self, rank, mapping, shape, dtype, spec=None, name=None):
        self.rank = rank
        self.mapping = mapping
        self.shape = tuple(shape)
        self.dtype = dtype
        self.name = name
        self.memory = spec if isinstance(spec, Memory) else None
        self.layout = spec if isinstance(spec, Layout) else None

    def __str__(self):
        return (f"DTensor(name={self.name}, shape={list(self.shape)}, dtype={self.dtype}, "
                f"mapping={self.mapping}, rank={self.rank}, layout={self.layout}, "
                f"memory={self.memory})")

    __repr__ = __str__
