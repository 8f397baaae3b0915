"""Which array parameters a function provably overwrites in full.

``wrap_io`` copies a parameter into its on-chip buffer before the kernel runs and copies the
whole buffer back afterwards. Skipping the copy-in of a written-only parameter is safe only
when every element of the buffer receives a value from the kernel; otherwise the elements it
never touches would carry uninitialised on-chip data back to the caller. This module proves
that: a parameter is *fully written* when one operation that always runs writes every
element of it:

* ``memref.copy`` into it, or ``linalg.fill``/``copy``/``transpose``/``broadcast`` with it
  as the output (whole-array assignments);
* an ``affine.store`` inside a nest of constant-bound ``affine.for`` loops (nothing else
  between the store and the function body) whose subscripts enumerate the whole index
  space: each subscript is ``sum(c_k * iv_k)`` over distinct loop variables whose scaled
  ranges form a mixed-radix number ``0 .. extent - 1`` (``A[i]``, ``B[j, i]``,
  ``A[io * 4 + ii]`` after a split, ``A[i * 4 + j]`` on a flat buffer).

* a call that always runs, passing it whole to a parameter its callee fully writes (a
  dataflow region handing an output array to the kernel instance that produces it).

Anything else (conditions, ``scf`` loops, accesses through views, non-linear subscripts) is
not a proof, and the caller keeps the copy-in.

>>> from allo._mlir import ir, new_context
>>> text = '''
... func.func @k(%a: memref<8xi32>, %b: memref<8xi32>, %c: memref<2x4xi32>) {
...   %one = arith.constant 1 : i32
...   affine.for %i = 0 to 7 {
...     affine.store %one, %a[%i] : memref<8xi32>
...   }
...   affine.for %o = 0 to 2 {
...     affine.for %i = 0 to 4 {
...       affine.store %one, %b[%o * 4 + %i] : memref<8xi32>
...       affine.store %one, %c[%o, %i] : memref<2x4xi32>
...     }
...   }
...   return
... }'''
>>> with new_context():
...     m = ir.Module.parse(text)
...     sorted(fully_written_params(list(m.body.operations)[0]))
[1, 2]
"""

from __future__ import annotations

from .._mlir import ir
from ..mlir_utils import constant_bounds, find_func, func_name, loop_iv, trip_count
from .access import access_map, subscripts

_WHOLE_OUTPUT_LINALG = {"linalg.fill", "linalg.copy", "linalg.transpose", "linalg.broadcast"}


def fully_written_params(func_op, _active: frozenset = frozenset()) -> set[int]:
    """Indices of the array parameters of ``func_op`` one always-executed op writes in full."""
    if len(func_op.regions[0].blocks) == 0:
        return set()
    active = _active | {func_name(func_op)}
    body = func_op.regions[0].blocks[0]
    found = set()
    for index, arg in enumerate(body.arguments):
        if not str(arg.type).startswith("memref<"):
            continue
        shape = list(ir.MemRefType(arg.type).shape)
        if any(d < 0 for d in shape):
            continue
        if any(_covers(use.owner, use.operand_number, shape, func_op, active)
               for use in arg.uses):
            found.add(index)
    return found


def _covers(owner, operand_number: int, shape: list[int], func_op, active) -> bool:
    op = owner.operation if hasattr(owner, "operation") else owner
    loops = _enclosing_loops(op, func_op)
    if loops is None:
        return False
    name = op.name
    if name == "memref.copy":
        return operand_number == 1
    if name in _WHOLE_OUTPUT_LINALG:
        return operand_number == len(op.operands) - 1
    if name == "affine.store" and operand_number == 1 and access_map(op) is not None:
        return _store_enumerates(op, loops, shape)
    if name == "func.call":
        return _callee_covers(op, operand_number, active)
    return False


def _callee_covers(call, operand_number: int, active) -> bool:
    callee = find_func(call, ir.FlatSymbolRefAttr(call.attributes["callee"]).value)
    if callee is None or func_name(callee) in active or not callee.regions[0].blocks:
        return False
    params = callee.regions[0].blocks[0].arguments
    if operand_number >= len(params) or \
            str(params[operand_number].type) != str(call.operands[operand_number].type):
        return False
    return operand_number in fully_written_params(callee, active)


def _enclosing_loops(op, func_op) -> list | None:
    """The ``affine.for`` loops around ``op`` up to ``func_op`` when each has constant bounds
    and runs at least once (so ``op`` always executes); ``None`` otherwise."""
    loops = []
    parent = op.parent
    target = func_op.operation
    while parent is not None and parent != target:
        bounds = constant_bounds(parent)
        if bounds is None or trip_count(*bounds) < 1:
            return None
        loops.append(parent)
        parent = parent.parent
    return loops if parent is not None else None


def _store_enumerates(store, loops: list, shape: list[int]) -> bool:
    """The store's subscripts visit every index of ``shape`` over the loops' iterations."""
    by_iv = {loop_iv(loop): constant_bounds(loop) for loop in loops}
    used = set()
    for form, extent in zip(subscripts(store), shape):
        if form is None:
            return False
        offset = form.const
        digits = []
        for atom, coeff in form.coeffs.items():
            bounds = by_iv.get(atom)
            if bounds is None or atom in used:
                return False
            used.add(atom)
            lower, _, step = bounds
            weight, count = coeff * step, trip_count(*bounds)
            offset += coeff * lower
            if weight < 0:  # a reversed walk: count down from the last value instead
                offset += weight * (count - 1)
                weight = -weight
            digits.append((weight, count))
        if not _mixed_radix(offset, digits, extent):
            return False
    return True


def _mixed_radix(offset: int, digits: list[tuple[int, int]], extent: int) -> bool:
    """``offset + sum(w * t for t in range(n))`` over ``(w, n)`` digits is exactly
    ``0 .. extent - 1``, each value once."""
    if offset != 0:
        return False
    place = 1
    for weight, count in sorted(d for d in digits if d[1] > 1):
        if weight != place:
            return False
        place *= count
    return place == extent
