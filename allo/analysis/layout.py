"""Memory layouts (partitions) and their inference across calls (``schedule.md`` §7).

**Layouts.** One entry per dimension: ``None`` (⊤, not partitioned) or a :class:`DimLayout`
(complete ``C``, block ``B(f)``, cyclic ``Y(f)``). In the IR a layout is the affine map of
the memref type, ``(d0, ..) -> (bank exprs.., address exprs..)`` (§10)::

    complete (dk, 0)   block (dk floordiv s, dk mod s), s = ceil(N/f)
    cyclic   (dk mod f, dk floordiv f)                  untouched (0, dk)

**Alias classes.** :class:`AliasGraph` is a union-find over every buffer of the module:
parameters, named and unnamed local buffers, call results, function result slots and
globals. It joins an actual argument with the callee parameter, a call result with the
callee's result slot, the slot with the buffer the callee returns, and every
``memref.get_global`` of one global with that global. One walk of the module builds it, so
inference costs ``O((V + E)·α(V))``. Every member of a class has one memref type; a layout
(or reshape) is applied by retyping the whole class (:func:`retype_class`).

>>> from allo._mlir import ir, new_context
>>> with new_context():
...     m = ir.Module.parse('''
...     func.func @inc(%V: memref<6xi32>) -> memref<6xi32> {
...       %W = memref.alloc() {name = "W"} : memref<6xi32>
...       return %W : memref<6xi32> }
...     func.func @top(%X: memref<6xi32>) -> memref<6xi32> {
...       %T = call @inc(%X) {name = "T"} : (memref<6xi32>) -> memref<6xi32>
...       %R = call @inc(%T) {name = "R"} : (memref<6xi32>) -> memref<6xi32>
...       return %R : memref<6xi32> }''')
...     g = AliasGraph(m, {"inc": ["V"], "top": ["X"]})
...     sorted(n.label for n in g.class_of(g.find("inc", "V")) if n.label)
['inc:0', 'inc:W', 'top:0', 'top:R', 'top:T']
"""

from __future__ import annotations

from dataclasses import dataclass

from .._mlir import ir
from ..mlir_utils import func_name

COMPLETE, BLOCK, CYCLIC = 0, 1, 2
KIND_NAMES = {COMPLETE: "complete", BLOCK: "block", CYCLIC: "cyclic"}


@dataclass(frozen=True)
class DimLayout:
    """The partition of one dimension: ``kind`` and number of banks ``factor``."""

    kind: int
    factor: int = 0

    def __str__(self) -> str:
        if self.kind == COMPLETE:
            return "C"
        return f"{'B' if self.kind == BLOCK else 'Y'}({self.factor})"


def layout_str(dims) -> str:
    """The spec's notation: ``⟨Y(2), ⊤⟩``.

    >>> layout_str([DimLayout(CYCLIC, 2), None])
    '⟨Y(2), ⊤⟩'
    """
    return "⟨" + ", ".join("⊤" if d is None else str(d) for d in dims) + "⟩"


# --------------------------------------------------------------------------- maps


def _block_size(extent: int, factor: int) -> int:
    return -(-extent // factor) if factor > 0 else 0


def layout_map(shape, dims) -> ir.AffineMap:
    """The affine map of a layout (an MLIR context must be active).

    Block/cyclic with factor 0 keep the literal 0 (``d0 mod 0``), as §10 specifies.
    """
    banks, addrs = [], []
    for k, (extent, d) in enumerate(zip(shape, dims)):
        dk = ir.AffineDimExpr.get(k)
        if d is None:
            bank, addr = ir.AffineConstantExpr.get(0), dk
        elif d.kind == COMPLETE:
            bank, addr = dk, ir.AffineConstantExpr.get(0)
        else:
            c = ir.AffineConstantExpr.get(
                _block_size(extent, d.factor) if d.kind == BLOCK else d.factor)
            if d.kind == BLOCK:
                bank, addr = ir.AffineExpr.get_floor_div(dk, c), ir.AffineExpr.get_mod(dk, c)
            else:
                bank, addr = ir.AffineExpr.get_mod(dk, c), ir.AffineExpr.get_floor_div(dk, c)
        banks.append(bank)
        addrs.append(addr)
    return ir.AffineMap.get(len(dims), 0, banks + addrs)


def decode_layout(memref_type) -> tuple:
    """Per-dimension layout of a memref type (all ``None`` for the identity layout).

    Block factors are recovered as ``ceil(N / bank size)``, which equals the requested
    factor whenever it divides the extent (otherwise it is the number of non-empty banks,
    the same hardware); a block partition into one-element banks reads back as complete,
    which it is. Raises ``ValueError`` for a map that is not a partition layout.

    >>> from allo._mlir import new_context
    >>> with new_context():
    ...     t = ir.MemRefType.parse(
    ...         "memref<6x12xi32, affine_map<(d0, d1) -> (d0 mod 2, d1, d0 floordiv 2, 0)>>")
    ...     layout_str(decode_layout(t))
    '⟨Y(2), C⟩'
    """
    mtype = ir.MemRefType(memref_type)
    rank = mtype.rank
    layout = mtype.layout
    if not isinstance(layout, ir.AffineMapAttr):
        return (None,) * rank
    amap = ir.AffineMapAttr(layout).value
    results = list(amap.results)
    if len(results) == rank and all(
            _is_dim(e, k) for k, e in enumerate(results)):
        return (None,) * rank
    if len(results) != 2 * rank:
        raise ValueError(f"not a partition layout: {amap}")
    return tuple(_decode_dim(results[k], results[rank + k], k, mtype.shape[k])
                 for k in range(rank))


def _is_dim(expr, k: int) -> bool:
    expr = expr.maybe_downcast()
    return isinstance(expr, ir.AffineDimExpr) and expr.position == k


def _is_const(expr, value: int) -> bool:
    expr = expr.maybe_downcast()
    return isinstance(expr, ir.AffineConstantExpr) and expr.value == value


def _binary(expr, cls, k: int) -> int | None:
    """``c`` when ``expr`` is ``dk <op> c`` for the binary expression class ``cls``."""
    expr = expr.maybe_downcast()
    if not isinstance(expr, cls) or not _is_dim(expr.lhs, k):
        return None
    rhs = expr.rhs.maybe_downcast()
    return rhs.value if isinstance(rhs, ir.AffineConstantExpr) else None


def _decode_dim(bank, addr, k: int, extent: int):
    if _is_const(bank, 0) and _is_dim(addr, k):
        return None
    if _is_dim(bank, k) and _is_const(addr, 0):
        return DimLayout(COMPLETE, 0)
    size = _binary(bank, ir.AffineFloorDivExpr, k)
    if size is not None and _binary(addr, ir.AffineModExpr, k) == size:
        return DimLayout(BLOCK, -(-extent // size) if size > 0 else 0)
    factor = _binary(bank, ir.AffineModExpr, k)
    if factor is not None and _binary(addr, ir.AffineFloorDivExpr, k) == factor:
        return DimLayout(CYCLIC, factor)
    raise ValueError(f"not a partition layout in dimension {k + 1}: ({bank}, {addr})")


def is_stream_type(mtype) -> bool:
    """True for a memref in a ``"stream:<depth>"`` memory space (a FIFO, §4.1)."""
    space = ir.MemRefType(mtype).memory_space
    return space is not None and isinstance(space, ir.StringAttr) and \
        ir.StringAttr(space).value.startswith("stream")


def with_layout(mtype, amap: ir.AffineMap | None, shape=None) -> ir.MemRefType:
    """``mtype`` with another layout map (``None`` = identity) and optionally shape."""
    mtype = ir.MemRefType(mtype)
    shape = list(mtype.shape) if shape is None else list(shape)
    layout = None if amap is None else ir.AffineMapAttr.get(amap)
    return ir.MemRefType.get(shape, mtype.element_type, layout, mtype.memory_space)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class PartitionRecord:
    """One partition request as recorded on a buffer: ``dim`` 0 means every dimension.

    ``source`` is the buffer the request was made on (the buffer itself, or another
    member of its alias class when the layout was propagated)."""

    kind: int
    dim: int
    factor: int
    source: str

    def dim_layout(self) -> DimLayout:
        return DimLayout(self.kind, 0 if self.kind == COMPLETE else self.factor)


class LayoutRecords:
    """Partitions applied or propagated so far, per buffer ``"fn:X"``.

    ``arrays`` is the public view (``s.partitioned_arrays``: label → ``[(kind, dim,
    factor)]``); ``sources`` holds, in parallel, the buffer each entry came from.

    >>> r = LayoutRecords({}, {})
    >>> r.add(["k:A", "top:X"], CYCLIC, 1, 2, "k:A")
    >>> r.arrays["top:X"], r.entries("top:X")[0].source
    ([(2, 1, 2)], 'k:A')
    """

    def __init__(self, arrays: dict, sources: dict):
        self.arrays = arrays
        self.sources = sources

    def entries(self, label: str) -> list[PartitionRecord]:
        triples = self.arrays.get(label, [])
        srcs = self.sources.get(label, [])
        return [PartitionRecord(k, d, f, srcs[i] if i < len(srcs) else label)
                for i, (k, d, f) in enumerate(triples)]

    def add(self, labels, kind: int, dim: int, factor: int, source: str) -> None:
        for label in labels:
            self.arrays.setdefault(label, []).append((kind, dim, factor))
            self.sources.setdefault(label, []).append(source)


def dims_of_records(records, rank: int) -> list:
    """The per-dimension layout that a list of records describes."""
    dims: list = [None] * rank
    for rec in records:
        for k in (range(rank) if rec.dim == 0 else [rec.dim - 1]):
            dims[k] = rec.dim_layout()
    return dims


# --------------------------------------------------------------------------- alias graph

PARAM, LOCAL, CALL_RESULT, FUNC_RESULT, GLOBAL, VIEW = (
    "param", "local", "call result", "function result", "global", "view")
VIEW_OPS = frozenset({"memref.subview", "memref.cast", "memref.reinterpret_cast", "memref.view",
                      "memref.expand_shape", "memref.collapse_shape", "memref.transpose",
                      "memref.reshape"})


@dataclass(eq=False)
class BufferNode:
    """One member of the alias graph."""

    kind: str
    func: str | None
    name: str | None = None  # source name (parameter name, ``name`` attribute, global symbol)
    index: int | None = None  # parameter / result position
    value: object = None  # the SSA value (None for result slots, globals, declarations)
    op: object = None  # defining op / func op / memref.global op

    @property
    def label(self) -> str | None:
        """``"fn:<index>"`` for parameters, ``"fn:<name>"`` for named locals, else None."""
        if self.kind == PARAM and self.func is not None:
            return f"{self.func}:{self.index}"
        if self.kind in (LOCAL, CALL_RESULT) and self.name:
            return f"{self.func}:{self.name}"
        return None

    @property
    def display(self) -> str:
        """``"fn:name"`` for messages and ``partitioned_arrays``."""
        if self.kind == GLOBAL:
            return f"@{self.name}"
        if self.kind == FUNC_RESULT:
            return f"{self.func}:<result {self.index}>"
        if self.name:
            return f"{self.func}:{self.name}"
        if self.kind == PARAM:
            return f"{self.func}:{self.index}"
        return f"{self.func}:<unnamed {self.kind}>"

    def type(self, graph: "AliasGraph"):
        """The current memref (or scalar) type of this member."""
        if self.value is not None:
            return self.value.type
        if self.kind == GLOBAL:
            return ir.TypeAttr(self.op.attributes["type"]).value
        ftype = graph.function_type(self.func)
        return (ftype.results if self.kind == FUNC_RESULT else ftype.inputs)[self.index]


class AliasGraph:
    """Union-find alias classes of every buffer of ``module`` (see module docstring).

    ``func_args`` maps function names to parameter source names. With ``with_scalars``
    scalar call arguments join too (a loaded element joins the buffer it came from, a scalar
    parameter passed on joins the callee's); that is the view of §9.3, while layouts use
    memref edges only, so two arrays never share a layout because one element of each was
    passed to the same scalar parameter.
    """

    def __init__(self, module, func_args: dict | None = None, with_scalars: bool = False):
        self.module = module
        self.func_args = func_args or {}
        self.with_scalars = with_scalars
        self.nodes: list[BufferNode] = []
        self._parent: list[int] = []
        self._size: list[int] = []
        self._index: dict = {}  # Value or tuple key → node id
        self.func_ops: dict[str, object] = {}
        self.globals: dict[str, object] = {}
        self._build()

    # -- union-find
    def _add(self, key, node: BufferNode) -> int:
        idx = len(self.nodes)
        self.nodes.append(node)
        self._parent.append(idx)
        self._size.append(1)
        self._index[key] = idx
        return idx

    def root(self, idx: int) -> int:
        parent = self._parent
        while parent[idx] != idx:
            parent[idx] = parent[parent[idx]]
            idx = parent[idx]
        return idx

    def union(self, a: int, b: int) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return
        if self._size[ra] < self._size[rb]:
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._size[ra] += self._size[rb]
        self._groups = None

    # -- construction
    def _build(self) -> None:
        body = self.module.body
        for op in body.operations:
            op = op.operation
            if op.name == "memref.global":
                sym = ir.StringAttr(op.attributes["sym_name"]).value
                self.globals[sym] = op
                self._add(("global", sym), BufferNode(GLOBAL, None, sym, op=op))
            elif op.name == "func.func":
                self.func_ops[func_name(op)] = op
        for name, fop in self.func_ops.items():
            self._add_signature(name, fop)
        for name, fop in self.func_ops.items():
            if fop.regions[0].blocks:
                self._visit_block(name, fop.regions[0].blocks[0])

    def _add_signature(self, fname: str, fop) -> None:
        ftype = self.function_type(fname)
        names = self.func_args.get(fname, [])
        blocks = fop.regions[0].blocks
        args = list(blocks[0].arguments) if blocks else []
        for i in range(len(ftype.inputs)):
            value = args[i] if args else None
            node = BufferNode(PARAM, fname, names[i] if i < len(names) else None, i,
                              value, fop)
            idx = self._add(("param", fname, i), node)
            if value is not None:
                self._index[value] = idx
        for j in range(len(ftype.results)):
            self._add(("result", fname, j), BufferNode(FUNC_RESULT, fname, None, j, op=fop))

    def _visit_block(self, fname: str, block) -> None:
        for op in block.operations:
            op = op.operation
            self._visit_op(fname, op)
            for region in op.regions:
                for blk in region.blocks:
                    self._visit_block(fname, blk)

    def _visit_op(self, fname: str, op) -> None:
        name = op.name
        if name == "func.call":
            callee = ir.FlatSymbolRefAttr(op.attributes["callee"]).value
            for j, res in enumerate(op.results):
                idx = self._value_node(fname, res, op, CALL_RESULT)
                if ("result", callee, j) in self._index:
                    self.union(idx, self._index[("result", callee, j)])
            for i, arg in enumerate(op.operands):
                self._join_argument(fname, arg, ("param", callee, i))
            return
        if name == "func.return":
            for j, val in enumerate(op.operands):
                if isinstance(val.type, ir.MemRefType):
                    self.union(self._node_of(fname, val), self._index[("result", fname, j)])
            return
        for res in op.results:
            if not isinstance(res.type, ir.MemRefType):
                continue
            if name in VIEW_OPS:
                idx = self._value_node(fname, res, op, VIEW)
                self.union(idx, self._node_of(fname, op.operands[0]))
            else:
                idx = self._value_node(fname, res, op, LOCAL)
                if name == "memref.get_global":
                    sym = ir.FlatSymbolRefAttr(op.attributes["name"]).value
                    if ("global", sym) in self._index:
                        self.union(idx, self._index[("global", sym)])

    def _join_argument(self, fname: str, arg, param_key) -> None:
        if param_key not in self._index:
            return
        if isinstance(arg.type, ir.MemRefType):
            self.union(self._node_of(fname, arg), self._index[param_key])
        elif self.with_scalars:
            src = self._scalar_source(arg)
            if src is not None and (not isinstance(src.owner, ir.Block) or src in self._index):
                self.union(self._node_of(fname, src), self._index[param_key])

    @staticmethod
    def _scalar_source(value):
        """The buffer a scalar was loaded from, or the scalar parameter it is."""
        owner = value.owner
        if isinstance(owner, ir.Block):
            return value
        op = owner.operation
        if op.name in ("affine.load", "memref.load"):
            return op.operands[0]
        return None

    def _value_node(self, fname: str, value, op, kind: str) -> int:
        if value in self._index:
            return self._index[value]
        return self._add(value, BufferNode(kind, fname, result_name(op, value), value=value,
                                           op=op))

    def _node_of(self, fname: str, value) -> int:
        if value in self._index:
            return self._index[value]
        owner = value.owner
        op = owner.operation if not isinstance(owner, ir.Block) else None
        return self._add(value, BufferNode(LOCAL, fname, value=value, op=op))

    # -- queries
    def function_type(self, fname: str) -> ir.FunctionType:
        return ir.FunctionType(ir.TypeAttr(self.func_ops[fname].attributes["function_type"]).value)

    def node_id(self, node: BufferNode) -> int:
        if node.kind == PARAM:
            return self._index[("param", node.func, node.index)]
        if node.kind == FUNC_RESULT:
            return self._index[("result", node.func, node.index)]
        if node.kind == GLOBAL:
            return self._index[("global", node.name)]
        return self._index[node.value]

    def node_of_value(self, value) -> BufferNode | None:
        idx = self._index.get(value)
        return None if idx is None else self.nodes[idx]

    def find(self, fname: str, name: str) -> BufferNode | None:
        """The buffer ``fn:name``: a parameter by source name or index, else the first
        op in program order carrying ``name = "<name>"``."""
        if fname not in self.func_ops:
            return None
        names = self.func_args.get(fname, [])
        ftype = self.function_type(fname)
        if name in names:
            return self.nodes[self._index[("param", fname, names.index(name))]]
        if name.isdigit() and int(name) < len(ftype.inputs):
            return self.nodes[self._index[("param", fname, int(name))]]
        for node in self.nodes:  # program order within each function
            if node.func == fname and node.kind in (LOCAL, CALL_RESULT) and node.name == name:
                return node
        return None

    def class_of(self, node: BufferNode) -> list[BufferNode]:
        """Every member of ``node``'s class (in discovery order)."""
        r = self.root(self.node_id(node))
        groups = self.__dict__.get("_groups")
        if groups is None or groups[0] != len(self.nodes):  # grouped once, after building
            table: dict = {}
            for i, n in enumerate(self.nodes):
                table.setdefault(self.root(i), []).append(n)
            groups = self._groups = (len(self.nodes), table)
        return list(groups[1].get(r, []))

    def classes(self) -> list[list[BufferNode]]:
        """Every class with more than zero members, each in discovery order."""
        groups: dict[int, list] = {}
        for i, n in enumerate(self.nodes):
            groups.setdefault(self.root(i), []).append(n)
        return list(groups.values())


def result_name(op, value) -> str | None:
    """The source name of result ``value`` of ``op``: ``name = "X"`` on a one-result op, or
    entry ``k`` of ``names = [...]`` for result ``k`` of a multi-result call."""
    attrs = op.attributes
    if len(op.results) == 1 and "name" in attrs and isinstance(attrs["name"], ir.StringAttr):
        return attrs["name"].value
    if "names" in attrs and isinstance(attrs["names"], ir.ArrayAttr):
        names = list(attrs["names"])
        k = value.result_number
        if k < len(names) and isinstance(names[k], ir.StringAttr):
            return names[k].value or None
    return None


def equivalent_variables(module, func_args: dict, text: str) -> set[str]:
    """The alias class of ``"fn:var"`` / ``"fn:<index>"`` as labels (§9.3); empty if unknown.

    >>> from allo._mlir import new_context
    >>> with new_context():
    ...     m = ir.Module.parse('''
    ...     func.func @g(%a: i32) { return }
    ...     func.func @f(%a: i32) { call @g(%a) : (i32) -> () return }
    ...     func.func @main() {
    ...       %d = memref.alloc() {name = "d"} : memref<i32>
    ...       %v = affine.load %d[] : memref<i32>
    ...       call @f(%v) : (i32) -> ()
    ...       return }''')
    ...     sorted(equivalent_variables(m, {}, "main:d"))
    ['f:0', 'g:0', 'main:d']
    """
    if not isinstance(text, str) or ":" not in text:
        return set()
    fname, _, name = text.partition(":")
    graph = AliasGraph(module, func_args, with_scalars=True)
    node = graph.find(fname, name)
    if node is None:
        return set()
    return {n.label for n in graph.class_of(node) if n.label}


# --------------------------------------------------------------------------- retyping


def retype_class(graph: AliasGraph, members: list[BufferNode], make_type) -> None:
    """Give every memref member the type ``make_type(old_type)`` (the only mutation).

    Updates SSA values (parameters, allocs, globals' uses, call results), the
    ``function_type`` of every function whose parameter or result is a member, and the type
    of every member global.
    """
    signatures: dict[str, tuple[list, list]] = {}
    for node in members:
        old = node.type(graph)
        if not isinstance(old, ir.MemRefType):
            continue
        new = make_type(old)
        if node.kind in (PARAM, FUNC_RESULT):
            if node.func not in signatures:
                ftype = graph.function_type(node.func)
                signatures[node.func] = (list(ftype.inputs), list(ftype.results))
            slots = signatures[node.func][0 if node.kind == PARAM else 1]
            slots[node.index] = new
        if node.kind == GLOBAL:
            node.op.attributes["type"] = ir.TypeAttr.get(new)
        elif node.value is not None:
            node.value.set_type(new)
    for fname, (inputs, results) in signatures.items():
        graph.func_ops[fname].attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get(inputs, results))
