"""The hierarchical dataflow graph of a module (``schedule.md`` §8.1).

Nodes are functions and, inside each, its *processes* (``analysis.stream_access``): stages
(loop nests), call sites (a sub-region whose body is the callee's own node) and other ops.
Edges are buffers: for every buffer of a function, one edge from each process writing it to
each later process reading it, and edges from/to the function's parameter *ports*. Each edge
carries its element type, shape, layout (``analysis.layout``), kind (``fifo`` when the
buffer is a stream, else ``buffer``), FIFO depth, and the access summary of both endpoints,
from which the produce/consume rates (one element per II of the innermost accessing loop)
and the §8.2 depth model follow (:meth:`DataflowGraph.explain_depth`).

The graph is built in one pass over the functions reachable from the top; each buffer's
uses are visited once, so building is near-linear in the size of the module.

>>> # g = s.dataflow_graph(); print(g.explain_depth("Q")); g.render("pipe.svg")
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .._mlir import ir
from ..errors import AlloError, LayoutConflictError
from ..mlir_utils import find_func, func_name
from .fifo_depth import DepthDecision, fallback_depth, fifo_depth
from .layout import decode_layout, is_stream_type, layout_str
from .stream_access import Access, Timing, process_accesses, processes


@dataclass(eq=False)
class Node:
    """A function, a process of one (stage, call, op), or a parameter port."""

    id: str
    kind: str  # "function" | "stage" | "call" | "op" | "port"
    func: str
    name: str
    latency: int | None = None
    callee: str | None = None
    attrs: list = field(default_factory=list)  # pipeline II, dataflow, ...
    children: list = field(default_factory=list)  # ids of a function's processes and ports
    layouts: list = field(default_factory=list)  # calls: (argument, parameter, description)


@dataclass(eq=False)
class Endpoint:
    """One end of an edge: the node and how it accesses the buffer."""

    node: str
    access: Access | None = None  # None for a parameter port

    @property
    def interval(self) -> int | None:
        return None if self.access is None else self.access.interval


@dataclass(eq=False)
class Edge:
    """A buffer between two nodes of one function."""

    func: str
    buffer: str
    src: Endpoint
    dst: Endpoint
    dtype: str
    shape: tuple
    layout: str
    kind: str  # "fifo" | "buffer"
    depth: int | None = None

    @property
    def elements(self) -> int:
        return math.prod(self.shape)

    @property
    def label(self) -> str:
        return f"{self.func}:{self.buffer}"

    def rates(self) -> tuple:
        """``(cycles per write, cycles per read)`` in the endpoints' innermost loops."""
        return self.src.interval, self.dst.interval

    def model_depth(self) -> DepthDecision:
        """The §8.2 depth of this edge were it a FIFO."""
        src, dst = self.src.access, self.dst.access
        if src is None or dst is None:
            return fallback_depth(self.elements, "an endpoint is a parameter port")
        if not (src.in_order and dst.in_order):
            why = (src.reason if not src.in_order else dst.reason) or "out of order"
            return fallback_depth(self.elements, f"an endpoint is not in order ({why})")
        if not (src.timed and dst.timed):
            return fallback_depth(self.elements, "an endpoint has no static timing")
        return fifo_depth(src.times(), dst.times(), self.elements)


class DataflowGraph:
    """Nodes and edges of a module below its top function (see the module docstring)."""

    def __init__(self, top: str):
        self.top = top
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []

    # ------------------------------------------------------------------ queries
    def functions(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind == "function"]

    def fifos(self) -> list[Edge]:
        """FIFO edges between two processes (stream parameter ports excluded)."""
        return [e for e in self.edges if e.kind == "fifo" and e.src.access is not None
                and e.dst.access is not None]

    def edges_of(self, buffer: str) -> list[Edge]:
        """Edges of ``"fn:X"`` or ``"X"`` (any function)."""
        if ":" in buffer:
            return [e for e in self.edges if e.label == buffer]
        return [e for e in self.edges if e.buffer == buffer]

    def auto_depths(self) -> dict[str, DepthDecision]:
        """The §8.2 depth of every FIFO edge, by ``"fn:X"``."""
        return {e.label: e.model_depth() for e in self.fifos()}

    def explain_depth(self, buffer: str) -> str:
        """Why the FIFO ``buffer`` (``"X"`` or ``"fn:X"``) has the depth the model gives.

        >>> # print(s.dataflow_graph().explain_depth("B"))
        """
        edges = [e for e in self.edges_of(buffer) if e.src.access is not None
                 and e.dst.access is not None] or self.edges_of(buffer)
        if not edges:
            raise AlloError(f"no buffer {buffer} between two processes in the dataflow graph "
                            f"of {self.top}; buffers: "
                            f"{', '.join(sorted({e.label for e in self.edges})) or '(none)'}")
        return "\n".join(_explain(self, e) for e in edges)

    def check_layouts(self) -> None:
        """Every call passes a buffer whose layout equals the callee parameter's (§7)."""
        for node in self.nodes.values():
            if node.kind != "call":
                continue
            for arg_layout, param_layout, what in node.layouts:
                if arg_layout != param_layout:
                    raise LayoutConflictError(
                        f"{what}: the argument has layout {arg_layout} but the parameter "
                        f"{param_layout}")

    # ------------------------------------------------------------------ pictures
    def to_dot(self) -> str:
        """Graphviz text of the graph (``analysis.dataflow_dot``)."""
        from .dataflow_dot import graph_to_dot  # noqa: PLC0415 - sibling, cycle-free
        return graph_to_dot(self)

    def render(self, path: str) -> str:
        """Write a picture (format from the extension: svg, png, pdf) with Graphviz ``dot``."""
        from .dataflow_dot import render_dot  # noqa: PLC0415
        return render_dot(self.to_dot(), path)

    def _repr_svg_(self) -> str:
        from .dataflow_dot import dot_to_svg  # noqa: PLC0415
        return dot_to_svg(self.to_dot())

    def __repr__(self) -> str:
        return (f"<DataflowGraph {self.top}: {len(self.functions())} function(s), "
                f"{sum(n.kind in ('stage', 'call') for n in self.nodes.values())} process(es), "
                f"{len(self.fifos())} FIFO(s), {len(self.edges) - len(self.fifos())} buffer(s)>")


def _explain(graph: DataflowGraph, edge: Edge) -> str:
    decision = edge.model_depth()
    lines = [f"{edge.label} ({edge.kind}, {edge.dtype}{list(edge.shape)}, "
             f"{edge.elements} elements"
             + (f", depth {edge.depth})" if edge.depth is not None else ")")]
    for role, end in (("producer", edge.src), ("consumer", edge.dst)):
        node = graph.nodes[end.node]
        acc = end.access
        if acc is None:
            lines.append(f"  {role} {node.name}: parameter port")
            continue
        what = "writes" if role == "producer" else "reads"
        if acc.timed:
            times = acc.times()
            lines.append(f"  {role} {node.name}: {what} one element every {acc.interval} "
                         f"cycle(s) in its innermost loop, cycles {int(times[0])}.."
                         f"{int(times[-1])}")
        else:
            lines.append(f"  {role} {node.name}: {what} it, not statically timed "
                         f"({acc.reason or 'dynamic bounds'})")
    lines.append(f"  model (schedule.md §8.2): {decision.reason}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- building


def build_dataflow_graph(module, func_args: dict, top: str) -> DataflowGraph:
    """The graph of every function reachable from ``top`` (an MLIR context must be active)."""
    graph = DataflowGraph(top)
    timing = Timing()
    todo, seen = [top], set()
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.add(name)
        fop = find_func(module.operation, name)
        if fop is None or not fop.regions[0].blocks:
            continue
        todo.extend(_add_function(graph, fop, func_args.get(name, []), timing))
    _drop_lonely_ops(graph)
    return graph


def _drop_lonely_ops(graph: DataflowGraph) -> None:
    """Initializers and other ops with no edge left (e.g. a fill later overwritten)."""
    linked = {e.src.node for e in graph.edges} | {e.dst.node for e in graph.edges}
    for node in [n for n in graph.nodes.values() if n.kind == "op" and n.id not in linked]:
        del graph.nodes[node.id]
        graph.nodes[node.func].children.remove(node.id)


def _add_function(graph: DataflowGraph, fop, params: list, timing: Timing) -> list[str]:
    name = func_name(fop)
    fnode = Node(name, "function", name, name, timing.function_latency(name, fop),
                 attrs=[a for a in ("dataflow", "inline") if a in fop.attributes])
    graph.nodes[name] = fnode
    ids = {}
    callees = []
    for proc in processes(fop):
        pid = f"{name}/{proc.index}"
        ids[proc.op] = (proc.index, pid)
        node = Node(pid, proc.kind, name, proc.name, timing.op_latency(proc.op),
                    callee=proc.name if proc.kind == "call" else None)
        if proc.kind == "stage" and "pipeline_ii" in proc.op.attributes:
            node.attrs.append(f"II={ir.IntegerAttr(proc.op.attributes['pipeline_ii']).value}")
        if proc.kind == "call":
            callees.append(proc.name)
            node.layouts = _call_layouts(proc.op, fop)
        graph.nodes[pid] = node
        fnode.children.append(pid)
    block = fop.regions[0].blocks[0]
    for k, arg in enumerate(block.arguments):
        if isinstance(arg.type, ir.MemRefType):
            label = params[k] if k < len(params) else f"arg{k}"
            _add_buffer(graph, fnode, fop, arg, label, ids, timing, port=True)
    for op in _buffer_ops(block):
        for value in op.results:
            if isinstance(value.type, ir.MemRefType):
                label = _name_of(op) or f"<{op.name}>"
                _add_buffer(graph, fnode, fop, value, label, ids, timing, port=False)
    return callees


def _indexed(proc, ids: dict):
    """``proc`` with its position in the function body (``ids``: op -> (index, node id))."""
    proc.index = ids[proc.op][0]
    return proc


def _buffer_ops(block) -> list:
    out = []
    for op in block.operations:
        op = op.operation
        if op.name in ("memref.alloc", "memref.alloca", "memref.get_global", "func.call"):
            out.append(op)
    return out


def _name_of(op) -> str | None:
    if "name" in op.attributes and isinstance(op.attributes["name"], ir.StringAttr):
        return ir.StringAttr(op.attributes["name"]).value
    return None


def _add_buffer(graph, fnode, fop, value, label, ids, timing, port: bool) -> None:
    uses = [(_indexed(p, ids), a) for p, a in process_accesses(fop, value, timing)]
    mtype = ir.MemRefType(value.type)
    if any(d < 0 for d in mtype.shape):
        return
    writers = [(p, a) for p, a in uses if a.mode != "read" and p.op.name != "linalg.fill"]
    readers = [(p, a) for p, a in uses if a.mode != "write"]
    own = [(p, a) for p, a in uses if p.kind == "call" and value in list(p.op.results)]
    try:
        layout = layout_str(decode_layout(mtype))
    except ValueError:
        layout = str(mtype.layout)
    kind = "fifo" if is_stream_type(mtype) else "buffer"
    depth = None
    if kind == "fifo":
        depth = int(ir.StringAttr(mtype.memory_space).value.split(":")[1])
    common = dict(dtype=str(mtype.element_type), shape=tuple(mtype.shape), layout=layout,
                  kind=kind, depth=depth)
    port_id = None
    if port:
        port_id = f"{fnode.id}:{label}"
        graph.nodes[port_id] = Node(port_id, "port", fnode.id, label)
        fnode.children.append(port_id)
    for w, wa in writers + own:
        for r, ra in readers:
            if r.index > w.index or (kind == "fifo" and r.index != w.index):
                graph.edges.append(Edge(fnode.id, label, Endpoint(ids[w.op][1], wa),
                                        Endpoint(ids[r.op][1], ra), **common))
    returned = [u for u in value.uses if _owner(u).name == "func.return"]
    if returned and writers and not port:
        port_id = f"{fnode.id}:return"
        if port_id not in graph.nodes:
            graph.nodes[port_id] = Node(port_id, "port", fnode.id, "return")
            fnode.children.append(port_id)
        w, wa = writers[-1]
        graph.edges.append(Edge(fnode.id, label, Endpoint(ids[w.op][1], wa),
                                Endpoint(port_id), **common))
        return
    if port_id is None:
        return
    for r, ra in readers:
        if not any(w.index < r.index for w, _ in writers):
            graph.edges.append(Edge(fnode.id, label, Endpoint(port_id),
                                    Endpoint(ids[r.op][1], ra), **common))
    if writers:
        w, wa = writers[-1]
        graph.edges.append(Edge(fnode.id, label, Endpoint(ids[w.op][1], wa),
                                Endpoint(port_id), **common))


def _owner(use):
    owner = use.owner
    return owner.operation if hasattr(owner, "operation") else owner


def _call_layouts(call, fop) -> list:
    """``(argument layout, parameter layout, description)`` for each array argument."""
    callee = find_func(fop, ir.FlatSymbolRefAttr(call.attributes["callee"]).value)
    if callee is None:
        return []
    ftype = ir.FunctionType(ir.TypeAttr(callee.attributes["function_type"]).value)
    out = []
    for k, (arg, ptype) in enumerate(zip(call.operands, ftype.inputs)):
        if isinstance(arg.type, ir.MemRefType) and isinstance(ptype, ir.MemRefType):
            try:
                a, p = decode_layout(arg.type), decode_layout(ptype)
            except ValueError:
                continue
            out.append((layout_str(a), layout_str(p),
                        f"argument {k} of the call to {func_name(callee)} in {func_name(fop)}"))
    return out


__all__ = ["DataflowGraph", "Node", "Edge", "Endpoint", "build_dataflow_graph"]
