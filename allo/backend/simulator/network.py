"""The process network of a module: which calls run concurrently, and what connects them.

A *region-like* function is one whose body only allocates buffers and calls functions with
them: a dataflow region (``allo.region``), a function marked ``dataflow`` by ``s.dataflow``/
``s.to``, or a function whose only work is one call (a kernel instance calling a
sub-region). Starting from the top, region-like functions are expanded recursively; every
other function reached is a *process* that runs in its own thread. Buffers are the top's
parameters, the arrays the expanded functions allocate (shared memory), and the streams they
allocate (bounded FIFOs). A top that is not region-like is a single process (its stream
locals keep the CPU build's program-order semantics).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..._mlir import ir
from ...errors import BuildError
from ...analysis.processes import is_region_like, stream_depth
from ...mlir_utils import find_func, func_name, walk_ops


@dataclass
class SimBuffer:
    """A buffer of the network: ``param`` (top parameter ``index``), ``array`` or ``fifo``."""

    kind: str
    mtype: object  # ir.MemRefType as declared
    label: str
    index: int = -1
    depth: int = 0


@dataclass
class Process:
    """One concurrently running call: ``func`` with ``args[k]`` = buffer id of parameter k."""

    func: str
    label: str
    args: list = field(default_factory=list)
    uses_streams: bool = True


@dataclass
class Network:
    buffers: list = field(default_factory=list)
    processes: list = field(default_factory=list)
    expanded: list = field(default_factory=list)  # names of region-like functions

    def groups(self) -> list[list[int]]:
        """Processes that run together, in order: consecutive processes with stream
        parameters form one group; a process without any runs alone at its place (it can
        only interact through shared arrays, which dataflow hardware hands over from one
        process to the next, like the C simulation does)."""
        out: list = []
        for p, proc in enumerate(self.processes):
            if proc.uses_streams and out and self.processes[out[-1][-1]].uses_streams:
                out[-1].append(p)
            else:
                out.append([p])
        return out

    def fifos(self) -> list[int]:
        return [k for k, b in enumerate(self.buffers) if b.kind == "fifo"]

    def arrays(self) -> list[int]:
        return [k for k, b in enumerate(self.buffers) if b.kind == "array"]


def extract_network(module, top: str) -> Network:
    """The processes and buffers of ``module`` seen from ``top`` (module doc)."""
    top_op = find_func(module, top)
    if top_op is None:
        raise BuildError(f"Top function '{top}' not found in the module")
    net = Network()
    bindings = []
    for k, arg in enumerate(top_op.regions[0].blocks[0].arguments):
        if stream_depth(arg.type) is not None:
            raise BuildError(f"the simulator needs array parameters on the top function "
                             f"'{top}'; parameter {k} is a stream")
        net.buffers.append(SimBuffer("param", arg.type, f"arg{k}", index=k))
        bindings.append(len(net.buffers) - 1)
    _expand(module, top_op, bindings, "", net, set())
    for proc in net.processes:
        _refuse_nested_regions(module, proc.func)
    return net


def _refuse_nested_regions(module, name: str) -> None:
    """A process that calls a region besides doing other work would run the region's
    processes one after another: refused rather than simulated wrongly."""
    seen, todo = set(), [name]
    while todo:
        fop = find_func(module, todo.pop())
        if fop is None or not fop.regions[0].blocks:
            continue
        for op in walk_ops(fop):
            if op.name != "func.call":
                continue
            callee = ir.FlatSymbolRefAttr(op.attributes["callee"]).value
            callee_op = find_func(module, callee)
            if callee_op is not None and "allo.region" in callee_op.attributes:
                raise BuildError(
                    f"'{name}' calls the dataflow region '{callee}' and does other work; the "
                    "simulator runs a region only as the whole body of a kernel instance "
                    "(move the other work into kernels of the region)")
            if callee not in seen:
                seen.add(callee)
                todo.append(callee)


def _expand(module, func_op, bindings: list, prefix: str, net: Network, active: set) -> None:
    name = func_name(func_op)
    if not is_region_like(func_op) or name in active:
        labels = {p.label for p in net.processes}
        label = name if name not in labels else f"{name}#{len(net.processes)}"
        streams = any(stream_depth(a.type) is not None
                      for a in func_op.regions[0].blocks[0].arguments)
        net.processes.append(Process(name, label, list(bindings), streams))
        return
    net.expanded.append(name)
    block = func_op.regions[0].blocks[0]
    local = {arg: b for arg, b in zip(block.arguments, bindings)}
    for op in block.operations:
        opname = op.operation.name
        if opname in ("memref.alloc", "memref.alloca"):
            local[op.result] = _new_buffer(op, prefix, net)
        elif opname == "func.call":
            callee = ir.FlatSymbolRefAttr(op.operation.attributes["callee"]).value
            callee_op = find_func(module, callee)
            if callee_op is None or not callee_op.regions[0].blocks:
                raise BuildError(f"the simulator cannot run the external function '{callee}' "
                                 "as a dataflow process")
            args = [local[v] for v in op.operation.operands]
            nested = f"{callee}." if "allo.region" in callee_op.attributes else prefix
            _expand(module, callee_op, args, nested, net, active | {name})


def _new_buffer(op, prefix: str, net: Network) -> int:
    mtype = op.result.type
    attrs = op.operation.attributes
    name = ir.StringAttr(attrs["name"]).value if "name" in attrs else f"buf{len(net.buffers)}"
    depth = stream_depth(mtype)
    if depth is not None:
        if depth < 1:
            raise BuildError(f"stream '{name}' has depth {depth}; the simulator needs a "
                             "positive depth")
        net.buffers.append(SimBuffer("fifo", mtype, prefix + name, depth=depth))
    else:
        net.buffers.append(SimBuffer("array", mtype, prefix + name))
    return len(net.buffers) - 1
