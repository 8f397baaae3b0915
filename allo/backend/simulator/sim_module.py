"""The simulation module: processes rewritten to use bounded FIFOs, one dispatcher entry.

Given the :class:`~allo.backend.simulator.network.Network` of a module (on a private copy):

* the ring buffers of all FIFOs with the same element type and depth are rows of one
  memref ``memref<count x depth x ... x T>`` (few dispatcher parameters however many FIFOs);
* every process function with stream parameters is rewritten: a stream parameter becomes
  its ring group; each ``put`` (a store to the stream, or the whole-block nest tagged
  ``allo.stream_put``) is bracketed by ``allo_fifo_acquire`` (wait for a free slot, get its
  index) and ``allo_fifo_commit``, and stores into row ``ring`` of the group; each ``get``
  likewise. The function takes more parameters: the FIFO control table, the process state
  table, its process number and, per stream parameter, the FIFO number and ring row it is
  bound to;
* the region-like functions that were expanded are removed;
* ``allo_sim_dispatch(%which, <buffers>..., %table, %state)`` calls process ``which`` with
  its buffers, so one compiled entry serves every thread.

The FIFO functions are declared here and defined in the LLVM dialect after lowering
(:mod:`allo.backend.simulator.fifo_runtime`).
"""

from __future__ import annotations

from ..._mlir import affine_d, arith_d, func_d, ir, memref_d, scf_d
from ...errors import BuildError
from ...frontend.types import container_bits
from ...mlir_utils import find_func, walk_ops
from .fifo_runtime import ACQUIRE, CLOCK, COMMIT, ROW_WORDS, STATE_WORDS
from ...analysis.processes import stream_depth
from ...analysis.timing import clock_plan
from .network import Network

DISPATCH = "allo_sim_dispatch"
OFFSET_ATTR = "allo.sim_offset"
_ACCESSES = ("memref.load", "memref.store", "affine.load", "affine.store")


def ring_type(stream_type) -> "ir.MemRefType":
    """The ring buffer of a stream memref: ``depth`` slots of its elements (or blocks)."""
    mtype = ir.MemRefType(stream_type)
    return ir.MemRefType.get([stream_depth(stream_type)] + list(mtype.shape[1:]),
                             mtype.element_type)


def element_bytes(element_type) -> int:
    """Bytes of one element in the CPU build's memory (containers for odd widths)."""
    text = str(element_type)
    if text == "index":
        return 8
    if isinstance(element_type, ir.IntegerType):
        return container_bits(ir.IntegerType(element_type).width) // 8
    return {"f16": 2, "bf16": 2, "f32": 4, "f64": 8}[text]


class RingGroups:
    """FIFOs grouped by ring type: ``group_of[fifo buffer] = (key, row)``."""

    def __init__(self, net: Network):
        self.members: dict = {}
        self.group_of: dict = {}
        for b in net.fifos():
            key = str(ring_type(net.buffers[b].mtype))
            rows = self.members.setdefault(key, [])
            self.group_of[b] = (key, len(rows))
            rows.append(b)
        self.types = {}
        for key, rows in self.members.items():
            rt = ir.MemRefType(ir.Type.parse(key))
            self.types[key] = ir.MemRefType.get([len(rows)] + list(rt.shape), rt.element_type)


def build_simulation_module(module, net: Network) -> tuple:
    """Rewrite ``module`` in place (module doc).

    Returns ``(types, groups)``: the dispatcher's parameter types (``which``, the network's
    non-FIFO buffers in order, one ring group per :class:`RingGroups` key, the control and
    state tables) and the :class:`RingGroups`.
    """
    with module.context, ir.Location.unknown():
        i64 = ir.IntegerType.get_signless(64)
        table_t = ir.MemRefType.get([max(1, len(net.fifos())), ROW_WORDS], i64)
        state_t = ir.MemRefType.get([len(net.processes), STATE_WORDS], i64)
        groups = RingGroups(net)
        _declare_runtime(module)
        streams = {}
        for proc in net.processes:
            if proc.func in streams:
                continue
            fop = find_func(module, proc.func)
            params = fop.regions[0].blocks[0].arguments
            streams[proc.func] = [k for k, a in enumerate(params) if stream_depth(a.type)]
            if streams[proc.func]:
                _rewrite_process(module, fop, streams[proc.func], table_t, state_t, groups)
        for name in dict.fromkeys(net.expanded):
            if name not in streams:
                find_func(module, name).operation.erase()
        _check_no_other_callers(module, [f for f, idx in streams.items() if idx])
        return _add_dispatcher(module, net, streams, table_t, state_t, groups), groups


def _declare_runtime(module) -> None:
    i64, i1 = ir.IntegerType.get_signless(64), ir.IntegerType.get_signless(1)
    with ir.InsertionPoint(module.body):
        for name, inputs, results in ((ACQUIRE, [i64, i64, i64, i1, i64], [i64]),
                                      (COMMIT, [i64, i1], [])):
            f = func_d.FuncOp(name, ir.FunctionType.get(inputs, results))
            f.attributes["sym_visibility"] = ir.StringAttr.get("private")


def _index(value: int):
    return arith_d.ConstantOp(ir.IndexType.get(), value).result


def _to_i64(index_value):
    return arith_d.IndexCastOp(ir.IntegerType.get_signless(64), index_value).result


def _row_address(table, number, row_bytes: int):
    base = memref_d.ExtractAlignedPointerAsIndexOp(table).result
    offset = arith_d.MulIOp(number, _index(row_bytes)).result
    return _to_i64(arith_d.AddIOp(base, offset).result)


def _rewrite_process(module, fop, stream_params: list, table_t, state_t,
                     groups: RingGroups) -> None:
    block = fop.regions[0].blocks[0]
    loc = ir.Location.unknown()
    plan = clock_plan(module, fop, [block.arguments[k] for k in stream_params])
    table = block.add_argument(table_t, loc)
    state = block.add_argument(state_t, loc)
    proc = block.add_argument(ir.IndexType.get(), loc)
    _apply_clock_plan(plan, state, proc)
    fids = [block.add_argument(ir.IndexType.get(), loc) for _ in stream_params]
    rows = [block.add_argument(ir.IndexType.get(), loc) for _ in stream_params]
    i64 = ir.IntegerType.get_signless(64)
    with ir.InsertionPoint.at_block_begin(block):
        state_row = _row_address(state, proc, STATE_WORDS * 8)
        channels = []
        for fid in fids:
            row = _row_address(table, fid, ROW_WORDS * 8)
            code = arith_d.MulIOp(_to_i64(fid), arith_d.ConstantOp(i64, 2).result).result
            get_code = arith_d.AddIOp(code, arith_d.ConstantOp(i64, 1).result).result
            put_code = arith_d.AddIOp(code, arith_d.ConstantOp(i64, 2).result).result
            channels.append((row, get_code, put_code))
    for k, channel, ring_row in zip(stream_params, channels, rows):
        group_t = groups.types[str(ring_type(block.arguments[k].type))]
        _rewrite_stream(fop, block.arguments[k], channel, state_row, group_t, ring_row)
    ftype = ir.FunctionType(ir.TypeAttr(fop.attributes["function_type"]).value)
    fop.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(
        [a.type for a in block.arguments], list(ftype.results)))


def _apply_clock_plan(plan, state, proc) -> None:
    """Advance the process's clock (word ``CLOCK`` of its state row) where the plan says, and
    tag each FIFO access with its offset in its segment (read by :func:`_rewrite_stream`)."""
    i64 = ir.IntegerType.get_signless(64)
    for op, offset in plan.offsets:
        op.attributes[OFFSET_ATTR] = ir.IntegerAttr.get(i64, offset)
    for op, cycles, where in plan.increments:
        if where == "drain":
            _apply_drain(op, cycles, state, proc)
            continue
        point = ir.InsertionPoint(op) if where == "before" else ir.InsertionPoint.after(op)
        with point, op.location:
            word = _index(CLOCK)
            now = memref_d.LoadOp(state, [proc, word]).result
            later = arith_d.AddIOp(now, arith_d.ConstantOp(i64, cycles).result).result
            memref_d.StoreOp(later, state, [proc, word])


def _apply_drain(loop, cycles: int, state, proc) -> None:
    """After pipelined ``loop``, add ``cycles`` (the last iteration's drain, negative when its
    depth is below the II) if the loop ran: every iteration advances the clock, so an
    unchanged clock means no iteration."""
    i64 = ir.IntegerType.get_signless(64)
    with ir.InsertionPoint(loop), loop.location:
        before = memref_d.LoadOp(state, [proc, _index(CLOCK)]).result
    with ir.InsertionPoint.after(loop), loop.location:
        word = _index(CLOCK)
        now = memref_d.LoadOp(state, [proc, word]).result
        ran = arith_d.CmpIOp(1, now, before).result  # 1: ne
        step = arith_d.SelectOp(ran, arith_d.ConstantOp(i64, cycles).result,
                                arith_d.ConstantOp(i64, 0).result).result
        memref_d.StoreOp(arith_d.AddIOp(now, step).result, state, [proc, word])


def _offset(anchor) -> int:
    if OFFSET_ATTR in anchor.attributes:
        return ir.IntegerAttr(anchor.attributes[OFFSET_ATTR]).value
    return 0


def _anchor(op):
    """The op a put/get is bracketed around: its whole-block nest, or the access itself."""
    anchor, cur = op, op
    while cur is not None and cur.name != "func.func":
        attrs = cur.attributes
        if "allo.stream_put" in attrs or "allo.stream_get" in attrs:
            anchor = cur
        cur = cur.parent
    return anchor


def _rewrite_stream(fop, arg, channel, state_row, group_t, ring_row) -> None:
    row, get_code, put_code = channel
    name = ir.StringAttr(fop.attributes["sym_name"]).value
    accesses = []
    for use in list(arg.uses):
        owner = use.owner
        owner = owner.operation if hasattr(owner, "operation") else owner
        if owner.name not in _ACCESSES:
            raise BuildError(f"the simulator cannot run '{name}': its stream parameter is "
                             f"used by {owner.name} (only put/get are supported)")
        accesses.append(owner)
    groups = []  # [anchor, is_put, [accesses]]
    for op in accesses:
        anchor = _anchor(op)
        is_put = op.name.endswith("store")
        for group in groups:
            if group[0] == anchor:
                if group[1] != is_put:
                    raise BuildError(f"the simulator cannot run '{name}': one block both "
                                     "reads and writes a stream")
                group[2].append(op)
                break
        else:
            groups.append([anchor, is_put, [op]])
    i1 = ir.IntegerType.get_signless(1)
    arg.set_type(group_t)
    for anchor, is_put, ops in groups:
        with ir.InsertionPoint(anchor), anchor.location:
            flag = arith_d.ConstantOp(i1, 1 if is_put else 0).result
            code = put_code if is_put else get_code
            i64 = ir.IntegerType.get_signless(64)
            offset = arith_d.ConstantOp(i64, _offset(anchor)).result
            slot = func_d.CallOp([i64], ir.FlatSymbolRefAttr.get(ACQUIRE),
                                 [row, state_row, code, flag, offset]).result
            slot = arith_d.IndexCastOp(ir.IndexType.get(), slot).result
        with ir.InsertionPoint.after(anchor), anchor.location:
            func_d.CallOp([], ir.FlatSymbolRefAttr.get(COMMIT), [row, flag])
        for op in ops:
            _replace_access(op, arg, [ring_row, slot])


def _access_indices(op) -> list:
    if op.name.startswith("memref."):
        first = 2 if op.name == "memref.store" else 1
        return list(op.operands)[first:]
    amap = ir.AffineMapAttr(op.attributes["map"]).value
    first = 2 if op.name == "affine.store" else 1
    operands = list(op.operands)[first:]
    out = []
    for k in range(amap.n_results):
        single = ir.AffineMap.get(amap.n_dims, amap.n_symbols, [amap.results[k]])
        out.append(affine_d.AffineApplyOp(single, operands).result)
    return out


def _replace_access(op, ring, position: list) -> None:
    with ir.InsertionPoint(op), op.location:
        indices = position + _access_indices(op)[1:]
        if op.name.endswith("store"):
            memref_d.StoreOp(op.operands[0], ring, indices)
        else:
            new = memref_d.LoadOp(ring, indices)
            op.results[0].replace_all_uses_with(new.result)
    op.erase()


def _check_no_other_callers(module, rewritten: list) -> None:
    for op in walk_ops(module.operation):
        if op.name == "func.call":
            callee = ir.FlatSymbolRefAttr(op.attributes["callee"]).value
            if callee in rewritten:
                raise BuildError(f"the simulator runs '{callee}' as a dataflow process; it "
                                 "cannot also be called from another function")


def _add_dispatcher(module, net: Network, streams: dict, table_t, state_t,
                    groups: RingGroups) -> list:
    fifo_number = {b: k for k, b in enumerate(net.fifos())}
    plain = [k for k, buf in enumerate(net.buffers) if buf.kind != "fifo"]
    keys = list(groups.members)
    types = [ir.IndexType.get()] + [net.buffers[k].mtype for k in plain]
    types += [groups.types[key] for key in keys] + [table_t, state_t]
    with ir.InsertionPoint(module.body):
        f = func_d.FuncOp(DISPATCH, ir.FunctionType.get(types, []))
        entry = f.add_entry_block()
    with ir.InsertionPoint(entry):
        which = entry.arguments[0]
        args = list(entry.arguments)
        buffers = dict(zip(plain, args[1:1 + len(plain)]))
        rings = dict(zip(keys, args[1 + len(plain):1 + len(plain) + len(keys)]))
        for b, (key, _) in groups.group_of.items():
            buffers[b] = rings[key]
        table, state = entry.arguments[-2], entry.arguments[-1]
        for p, proc in enumerate(net.processes):
            number = _index(p)
            cond = arith_d.CmpIOp(arith_d.CmpIPredicate.eq, which, number).result
            branch = scf_d.IfOp(cond)
            with ir.InsertionPoint(branch.then_block):
                args = [buffers[b] for b in proc.args]
                if streams[proc.func]:
                    args += [table, state, number]
                    args += [_index(fifo_number[proc.args[k]]) for k in streams[proc.func]]
                    args += [_index(groups.group_of[proc.args[k]][1]) for k in streams[proc.func]]
                func_d.CallOp([], ir.FlatSymbolRefAttr.get(proc.func), args)
                scf_d.YieldOp([])
        func_d.ReturnOp([])
    return types
