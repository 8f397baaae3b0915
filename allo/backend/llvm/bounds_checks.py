"""Run-time bounds checks of array subscripts in the CPU build (docs/cpu_backend.md).

An out-of-range subscript must raise :class:`allo.IndexOutOfBoundsError` at the numpy
boundary instead of reading or writing outside the buffer. Two steps:

1. :func:`insert_bounds_checks` (structured IR, end of ``prepare_for_cpu``): every subscript of
   a load/store that :class:`~allo.backend.llvm.index_ranges.IndexRanges` cannot prove inside its
   dimension gets a marker ``"allo.bounds_check"(%index, %size) {site = k}`` just before the
   access; site ``k`` is recorded as a :class:`BoundsSite` (array, axis, size, file, line).
   Every heap allocation gets one too (:mod:`allo.backend.llvm.alloc_checks`: failed malloc).
   Functions holding a check, or calling one that may fail, take one more parameter, the
   *error slot* ``memref<3xi64>``; after each call to such a function an
   ``"allo.bounds_propagate"`` marker stands. ``allo_entry`` always receives the slot last.
2. :func:`expand_bounds_checks` (after ``convert-scf-to-cf``, when every function body is a
   plain CFG): a check splits its block and branches on ``index <u size`` to the rest, or to a
   block that stores ``[k + 1, index, size]`` into the slot and returns poison values; a
   propagate marker branches out the same way when the slot is already set. The kernel thus
   stops at the first bad access, like Python would, and the caller reads the slot.

Subscripts proven in bounds (constants, affine nests whose bounds keep them inside) get no
code at all.

>>> from allo.backend.llvm.module import invoke_mlir_parser
>>> m = invoke_mlir_parser('''func.func @k(%A: memref<8xi32>, %n: index) -> i32 {
...   %c2 = arith.constant 2 : index
...   %a = memref.load %A[%c2] {from = "A"} : memref<8xi32>
...   %b = memref.load %A[%n] {from = "A"} : memref<8xi32>
...   %s = arith.addi %a, %b : i32
...   return %s : i32 }''')
>>> from allo.backend.llvm.entry_wrapper import add_entry_wrapper
>>> add_entry_wrapper(m, "k")
>>> sites = insert_bounds_checks(m)
>>> [(s.array, s.axis, s.size) for s in sites]
[('A', 0, 8)]
>>> str(m).count("allo.bounds_check")
1
"""

from __future__ import annotations

import linecache
from dataclasses import dataclass

from ..._mlir import affine_d, arith_d, cf_d, func_d, ir, memref_d, ub_d
from ...mlir_utils import LinearForm
from ...diagnostics import SourceLoc
from ...errors import BuildError, IndexOutOfBoundsError
from . import arith_builder as ab
from .alloc_checks import add_allocation_checks
from .entry_wrapper import ENTRY_NAME
from .index_ranges import IndexRanges
from ...mlir_utils import collect_ops, func_name, func_ops, ops_named, string_attr

__all__ = ["BoundsSite", "insert_bounds_checks", "expand_bounds_checks", "SLOT_WORDS",
           "CHECK_MARKER", "PROPAGATE_MARKER"]

CHECK_MARKER = "allo.bounds_check"
PROPAGATE_MARKER = "allo.bounds_propagate"
SLOT_ATTR = "allo.error_slot"  # on functions whose last parameter is the error slot
SLOT_WORDS = 3  # [site + 1 (0: no error), index, size]
_ACCESSES = ("affine.load", "affine.store", "memref.load", "memref.store")
_UNLIKELY = [1 << 20, 1]  # branch weights: the error exit is cold


@dataclass(frozen=True)
class BoundsSite:
    """One checked subscript: where it is and what it indexes (``size`` None if dynamic)."""

    array: str
    axis: int
    size: int | None
    filename: str | None
    lineno: int | None
    func_name: str

    def error(self, index: int, size: int) -> IndexOutOfBoundsError:
        """The error for ``index`` found out of ``[0, size)`` at this site."""
        source = linecache.getline(self.filename, self.lineno) if self.lineno else None
        return IndexOutOfBoundsError(self.array, index, self.axis, size, self.filename,
                                     self.lineno, self.func_name, source)


# ---------------------------------------------------------------------- step 1: markers


def insert_bounds_checks(module: "ir.Module", entry: str = ENTRY_NAME,
                         sites: list | None = None) -> list:
    """Insert check markers and thread the error slot (module doc); returns the sites.

    ``sites`` holds the sites of markers already in the module (stream checks,
    :mod:`allo.backend.llvm.stream_checks`); new sites are appended to it."""
    with module.context, ir.Location.unknown():
        ranges = IndexRanges()
        sites = [] if sites is None else sites
        bodies = [f for f in func_ops(module)
                  if f.regions[0].blocks and func_name(f) != entry]
        checked = set()
        for f in bodies:
            subscripts = _check_function(f, ranges, sites)
            if add_allocation_checks(f, sites, CHECK_MARKER, _location) or subscripts:
                checked.add(func_name(f))
        checked |= {func_name(f) for f in bodies if ops_named(f, CHECK_MARKER)}
        fallible = _fallible_functions(bodies, checked)
        slot_type = ir.MemRefType.get([SLOT_WORDS], ir.IntegerType.get_signless(64))
        for f in func_ops(module):
            if func_name(f) in fallible or func_name(f) == entry:
                _add_slot_parameter(f, slot_type)
        for f in func_ops(module):
            if f.regions[0].blocks:
                _pass_slot_to_calls(f, fallible, propagate=func_name(f) != entry)
    return sites


def _check_function(f, ranges: IndexRanges, sites: list) -> bool:
    """Markers before every unproven subscript of ``f``; whether any was added.

    A subscript already checked earlier in the same block (``A[i] += 1``: the store repeats
    the load's subscripts) is not checked again."""
    checked = set()
    for access in ops_named(f, *_ACCESSES):
        memref = access.operands[1 if access.name.endswith("store") else 0]
        mtype = ir.MemRefType(memref.type)
        for dim in range(mtype.rank):
            key = (access.block, memref, dim, _subscript_key(access, dim))
            if key in checked:
                continue
            size = None if mtype.is_dynamic_dim(dim) else mtype.shape[dim]
            bound = (LinearForm(const=size) if size is not None
                     else LinearForm({("dim", memref, dim): 1}))
            if ranges.in_bounds(access, dim, bound):
                continue
            _add_marker(access, memref, dim, len(sites))
            sites.append(_site(f, access, memref, dim, size))
            checked.add(key)
    return bool(checked)


def _subscript_key(access, dim: int):
    """What subscript ``dim`` of ``access`` computes, comparable across accesses."""
    operands = tuple(access.operands)[2 if access.name.endswith("store") else 1:]
    if access.name.startswith("affine."):
        amap = ir.AffineMapAttr(access.attributes["map"]).value
        return str(amap.results[dim]), amap.n_dims, operands
    return operands[dim]


def _add_marker(access, memref, dim: int, site: int) -> None:
    with ir.InsertionPoint(access), access.location:
        operands = list(access.operands)[2 if access.name.endswith("store") else 1:]
        if access.name.startswith("affine."):
            amap = ir.AffineMapAttr(access.attributes["map"]).value
            single = ir.AffineMap.get(amap.n_dims, amap.n_symbols, [amap.results[dim]])
            index = affine_d.AffineApplyOp(single, operands).result
        else:
            index = operands[dim]
        if ir.MemRefType(memref.type).is_dynamic_dim(dim):
            size = memref_d.DimOp(memref, ab.const_index(dim)).result
        else:
            size = ab.const_index(ir.MemRefType(memref.type).shape[dim])
        site_attr = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), site)
        ir.Operation.create(CHECK_MARKER, operands=[index, size], attributes={"site": site_attr})


def _location(op) -> tuple:
    """``(filename, lineno)`` of the user's source line of ``op``, or ``(None, None)``."""
    # MLIR text parsed without a file ("-") has no user source: from_mlir_loc gives None
    loc = SourceLoc.from_mlir_loc(op.location)
    return (loc.filename, loc.line) if loc is not None else (None, None)


def _site(f, access, memref, dim: int, size) -> BoundsSite:
    filename, lineno = _location(access)
    return BoundsSite(_array_name(access, memref), dim, size, filename, lineno, func_name(f))


def _array_name(access, memref) -> str:
    """The source name of the accessed array (``from``/``to`` tags, else its allocation)."""
    name = string_attr(access, "from") or string_attr(access, "to")
    if name:
        return name
    owner = memref.owner
    if isinstance(owner, ir.Block):
        return f"arg{memref.arg_number}"
    attr = owner.operation.attributes["name"] if "name" in owner.operation.attributes else None
    if isinstance(attr, ir.StringAttr):
        return attr.value
    if isinstance(attr, ir.FlatSymbolRefAttr):  # memref.get_global
        return attr.value
    return "<array>"


def _callees(f) -> set:
    return {ir.FlatSymbolRefAttr(c.attributes["callee"]).value for c in ops_named(f, "func.call")}


def _fallible_functions(bodies: list, checked: set) -> set:
    """Functions with a check, and every function that calls one (a fixpoint)."""
    calls = {func_name(f): _callees(f) for f in bodies}
    fallible = set(checked)
    changed = True
    while changed:
        changed = False
        for name, callees in calls.items():
            if name not in fallible and callees & fallible:
                fallible.add(name)
                changed = True
    return fallible


def _add_slot_parameter(f, slot_type) -> None:
    ftype = ir.FunctionType(ir.TypeAttr(f.attributes["function_type"]).value)
    f.regions[0].blocks[0].add_argument(slot_type, f.location)
    f.attributes["function_type"] = ir.TypeAttr.get(
        ir.FunctionType.get(list(ftype.inputs) + [slot_type], list(ftype.results)))
    f.attributes[SLOT_ATTR] = ir.UnitAttr.get()


def _pass_slot_to_calls(f, fallible: set, propagate: bool) -> None:
    """Calls to fallible functions get ``f``'s slot; a propagate marker follows each."""
    slot = f.regions[0].blocks[0].arguments[-1] if SLOT_ATTR in f.attributes else None
    for call in ops_named(f, "func.call"):
        callee = ir.FlatSymbolRefAttr(call.attributes["callee"]).value
        if callee not in fallible:
            continue
        with ir.InsertionPoint(call), call.location:
            new = func_d.CallOp([r.type for r in call.results], ir.FlatSymbolRefAttr.get(callee),
                                list(call.operands) + [slot])
            for key in call.attributes:
                if key != "callee":
                    new.attributes[key] = call.attributes[key]
        for old, fresh in zip(call.results, new.results):
            old.replace_all_uses_with(fresh)
        call.erase()
        if propagate:
            with ir.InsertionPoint(new), new.location:
                marker = ir.Operation.create(PROPAGATE_MARKER)
            marker.move_after(new.operation)


# ---------------------------------------------------------------------- step 2: branches


def expand_bounds_checks(module: "ir.Module") -> int:
    """Turn the markers of a CFG-form module into branches (module doc); returns how many."""
    count = 0
    with module.context, ir.Location.unknown():
        for f in func_ops(module):
            markers = collect_ops(f, lambda op: op.name in (CHECK_MARKER, PROPAGATE_MARKER))
            if not markers:
                continue
            if SLOT_ATTR not in f.attributes:
                raise BuildError(f"bounds check in '{func_name(f)}' without an error slot")
            exits = _ErrorExits(f)
            for marker in reversed(markers):
                exits.expand(marker)
                count += 1
    return count


class _ErrorExits:
    """The two exit blocks of one function: record an error, or pass one on."""

    def __init__(self, f):
        self.slot = f.regions[0].blocks[0].arguments[-1]
        self.func = f
        ftype = ir.FunctionType(ir.TypeAttr(f.attributes["function_type"]).value)
        i64 = ir.IntegerType.get_signless(64)
        last = list(f.regions[0].blocks)[-1]
        self.passing = last.create_after()
        self.failing = last.create_after(i64, i64, i64, arg_locs=[f.location] * 3)
        with ir.InsertionPoint(self.failing), f.location:
            for word, value in enumerate(self.failing.arguments):
                memref_d.StoreOp(value, self.slot, [ab.const_index(word)])
            func_d.ReturnOp([ub_d.poison(t) for t in ftype.results])
        with ir.InsertionPoint(self.passing), f.location:
            func_d.ReturnOp([ub_d.poison(t) for t in ftype.results])

    def expand(self, marker) -> None:
        parent = marker.parent.operation
        if parent != self.func.operation:
            raise BuildError(f"bounds check nested in {parent.name} after lowering")
        block = marker.block
        rest = block.create_after()
        following = []
        op = marker.operation
        for candidate in block.operations:
            if following or candidate.operation == op:
                following.append(candidate.operation)
        for moved in following[1:]:
            rest.append(moved)
        with ir.InsertionPoint(block), marker.location:
            if marker.name == CHECK_MARKER:
                index, size = marker.operands
                ok = ab.cmp("ult", index, size)
                site = ir.IntegerAttr(marker.attributes["site"]).value
                details = [ab.const(64, site + 1), _as_i64(index), _as_i64(size)]
                cf_d.CondBranchOp(ok, [], details, rest, self.failing, branch_weights=_UNLIKELY)
            else:
                word = memref_d.LoadOp(self.slot, [ab.const_index(0)]).result
                ok = ab.cmp("eq", word, ab.const(64, 0))
                cf_d.CondBranchOp(ok, [], [], rest, self.passing, branch_weights=_UNLIKELY)
        marker.erase()


def _as_i64(value: "ir.Value") -> "ir.Value":
    return arith_d.IndexCastOp(ir.IntegerType.get_signless(64), value).result
