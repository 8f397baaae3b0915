"""Drop the position counters of stream locals from the HLS copy of a module.

The frontend keeps a write and a read position for each stream local (docs/ir.md, "Stream
locals") so the CPU can run the FIFO as an array. In C++ a stream access is ``write()`` /
``read()`` whatever its index, so on the HLS copy the counters are dead weight: each stream
access gets a constant index and the counters, their loads, increments and stores go.
"""

from __future__ import annotations

from ..._mlir import arith_d, ir
from ...mlir_utils import collect_ops

COUNTER_ATTR = "allo.stream_counter"


def _users(value):
    out = []
    for use in value.uses:
        owner = use.owner
        out.append((owner.operation if hasattr(owner, "operation") else owner, use.operand_number))
    return out


def _is_stream_access(op, operand_number: int) -> bool:
    if op.name not in ("memref.load", "memref.store"):
        return False
    memref = op.operands[1] if op.name == "memref.store" else op.operands[0]
    first_index = 2 if op.name == "memref.store" else 1
    return operand_number >= first_index and '"stream:' in str(memref.type)


def _plan(counter):
    """Ops to erase and stream-access operands to zero, or ``None`` if the shape is unexpected."""
    erase, zero = [], []
    for user, number in _users(counter.results[0]):
        if user.name == "affine.store" and number == 1:
            erase.append(user)
            continue
        if user.name != "affine.load":
            return None
        erase.append(user)
        for inner, k in _users(user.results[0]):
            if _is_stream_access(inner, k):
                zero.append((inner, k))
            elif inner.name == "arith.addi" and all(
                    u.name == "affine.store" and u.operands[1] == counter.results[0]
                    for u, _ in _users(inner.results[0])):
                erase.insert(0, inner)
            else:
                return None
    return erase, zero


def drop_stream_counters(module) -> int:
    """Remove stream position counters from ``module`` (an HLS private copy); returns count."""
    counters = collect_ops(module.operation, lambda o: o.name == "memref.alloc"
                           and COUNTER_ATTR in o.attributes)
    done = 0
    zeros = {}  # one shared zero index per entry block
    with module.context, ir.Location.unknown():
        for counter in counters:
            plan = _plan(counter)
            if plan is None:
                continue
            erase, zero = plan
            if zero:
                entry = counter.block  # counters live in the function's entry block
                key = str(entry.owner.operation.attributes["sym_name"]) \
                    if "sym_name" in entry.owner.operation.attributes else id(entry)
                if key not in zeros:
                    with ir.InsertionPoint.at_block_begin(entry):
                        zeros[key] = arith_d.ConstantOp(
                            ir.IndexType.get(), ir.IntegerAttr.get(ir.IndexType.get(), 0)).result
                zero_index = zeros[key]
                for op, k in zero:
                    op.operands[k] = zero_index
            stores = [op for op in erase if op.name == "affine.store"]
            others = [op for op in erase if op.name != "affine.store"]
            for op in stores + [o for o in others if o.name == "arith.addi"] + \
                    [o for o in others if o.name == "affine.load"]:
                operands = list(op.operands)
                op.erase()
                for value in operands:
                    _erase_if_dead_constant(value)
            counter.erase()
            done += 1
    return done


def _erase_if_dead_constant(value) -> None:
    owner = value.owner
    owner = owner.operation if hasattr(owner, "operation") else owner
    if not isinstance(owner, ir.Block) and owner.name == "arith.constant" and not list(value.uses):
        owner.erase()
