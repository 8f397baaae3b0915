"""Loop-nest discovery: the stages and named loops of a function (``schedule.md`` §1.3).

A *stage* is a loop that has no enclosing loop in its function (``if`` bodies do not count
as loops). Its name is the ``op_name`` attribute of that loop. Every loop is named by its
``loop_name`` attribute; a loop without one is called ``L_<k>`` (``k`` counts the unnamed
loops of the function in program order). Loops are listed in program (depth-first pre-)
order, which is the order ``get_loops`` shows.

>>> from allo._mlir import ir, new_context
>>> ctx = new_context()
>>> with ctx:
...     m = ir.Module.parse('''func.func @f(%A: memref<4xi32>) {
...       affine.for %i = 0 to 4 {
...         affine.for %j = 0 to 4 { } {loop_name = "j"}
...       } {loop_name = "i", op_name = "S_i_0"}
...       return }''')
...     nest = collect_function_loops(m.body.operations[0])
>>> [(st.name, [l.name for l in st.loops]) for st in nest.stages]
[('S_i_0', ['i', 'j'])]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from .._mlir import ir
from ..mlir_utils import func_name

LOOP_OPS = frozenset({"affine.for", "scf.for"})


def is_loop(op) -> bool:
    """True for the loop ops primitives address (``affine.for``, ``scf.for``)."""
    return op.operation.name in LOOP_OPS


def str_attr(op, name: str) -> str | None:
    """The value of string attribute ``name`` on ``op``, or ``None``."""
    attrs = op.operation.attributes
    if name not in attrs:
        return None
    attr = attrs[name]
    return attr.value if isinstance(attr, ir.StringAttr) else None


@dataclass(eq=False)
class LoopNode:
    """One loop of a function as seen at discovery time."""

    op: ir.Operation
    name: str
    stage: str = ""
    depth: int = 1  # 1 = the stage root
    parent: "LoopNode | None" = None
    children: list = field(default_factory=list)
    unnamed: bool = False  # no loop_name: called L_<k> by function-wide numbering

    @property
    def iv(self) -> ir.Value:
        """The induction variable (first block argument of the body)."""
        return self.op.regions[0].blocks[0].arguments[0]

    @property
    def body(self) -> ir.Block:
        return self.op.regions[0].blocks[0]

    def chain_to_root(self) -> list["LoopNode"]:
        """This loop and its enclosing loops, innermost first."""
        out, node = [], self
        while node is not None:
            out.append(node)
            node = node.parent
        return out


@dataclass(eq=False)
class Stage:
    """A top-level loop nest of a function."""

    name: str
    root: LoopNode
    loops: list = field(default_factory=list)  # program order, root first

    def find(self, loop_name: str) -> list[LoopNode]:
        return [node for node in self.loops if node.name == loop_name]


@dataclass(eq=False)
class FunctionLoops:
    """Every stage and loop of one function, in program order."""

    func_name: str
    func_op: ir.Operation
    stages: list = field(default_factory=list)

    def stage(self, name: str) -> Stage | None:
        for st in self.stages:
            if st.name == name:
                return st
        return None

    def stage_of(self, node: LoopNode) -> Stage:
        """The stage whose nest contains ``node`` (stage names may repeat after unfold)."""
        for st in self.stages:
            if any(n is node for n in st.loops):
                return st
        raise KeyError(node.name)

    def stage_names(self) -> list[str]:
        return [st.name for st in self.stages]

    def all_loops(self) -> Iterator[LoopNode]:
        for st in self.stages:
            yield from st.loops

    def find(self, loop_name: str) -> list[LoopNode]:
        """Every loop called ``loop_name`` in the function, in program order."""
        return [node for node in self.all_loops() if node.name == loop_name]

    def node_of(self, op) -> LoopNode | None:
        """The node of loop op ``op`` (identity of the underlying operation)."""
        target = op.operation
        for node in self.all_loops():
            if node.op == target:
                return node
        return None


def collect_function_loops(func_op, stage_cache: dict | None = None) -> FunctionLoops:
    """Discover the stages and loops of ``func_op`` (a ``func.func``).

    ``stage_cache`` maps a stage root op to the loop nodes found under it last time; roots
    present in it are not walked again (the caller evicts the roots a rewrite touched).
    Unnamed loops are numbered ``L_<k>`` over the whole function in program order.
    """
    func_op = func_op.operation
    result = FunctionLoops(func_name(func_op), func_op)
    cache = {} if stage_cache is None else stage_cache
    unnamed = 0
    for root in _stage_roots(func_op):
        nodes = cache.get(root)
        if nodes is None:
            nodes = _discover_stage(root)
            cache[root] = nodes
        for node in nodes:
            if node.unnamed:
                node.name = f"L_{unnamed}"
                unnamed += 1
        stage = Stage(str_attr(root, "op_name") or nodes[0].name, nodes[0], list(nodes))
        for node in nodes:
            node.stage = stage.name
        result.stages.append(stage)
    return result


def _stage_roots(func_op) -> list[ir.Operation]:
    """Loops without an enclosing loop, in program order (``if`` bodies searched)."""
    roots = []

    def visit(op):
        for region in op.regions:
            for block in region.blocks:
                for child in block.operations:
                    child = child.operation
                    if child.name in LOOP_OPS:
                        roots.append(child)
                    elif len(child.regions):
                        visit(child)

    visit(func_op)
    return roots


def _discover_stage(root: ir.Operation) -> list[LoopNode]:
    """Every loop under ``root`` (included) in program order, with parents and depths."""
    nodes: list[LoopNode] = []

    def visit(op, parent):
        if op.name in LOOP_OPS:
            name = str_attr(op, "loop_name")
            node = LoopNode(op, name or "", depth=1 if parent is None else parent.depth + 1,
                            parent=parent, unnamed=name is None)
            if parent is not None:
                parent.children.append(node)
            nodes.append(node)
            parent = node
        for region in op.regions:
            for block in region.blocks:
                for child in block.operations:
                    child = child.operation
                    if len(child.regions):
                        visit(child, parent)

    visit(root, None)
    return nodes


def enclosing_loops(op) -> list[ir.Operation]:
    """Loop ops enclosing ``op`` inside its function, outermost first."""
    loops = []
    parent = op.operation.parent
    while parent is not None and parent.name != "func.func":
        if parent.name in LOOP_OPS:
            loops.append(parent)
        parent = parent.parent
    loops.reverse()
    return loops
