"""Pictures of the dataflow graph: Graphviz text, and SVG/PNG/PDF through the ``dot`` program.

Functions are clusters; stages are boxes (trip/latency, II), call sites are rounded boxes
linked (dotted) to the callee's cluster, parameter ports are ellipses. FIFO edges are bold
and blue with their depth and rates; plain buffers are grey with their layout.

``dot`` comes from Graphviz (Debian package ``graphviz``); no Python package ships it.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from ..errors import BuildError, ToolNotFoundError

INSTALL_HINT = ("install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), "
                "`dnf install graphviz` (Fedora) or `brew install graphviz` (macOS)")


def _q(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _node_line(node) -> str:
    if node.kind == "port":
        return f"    {_q(node.id)} [shape=ellipse, label={_q(node.name)}];"
    label = node.name if node.kind != "call" else f"call {node.name}"
    details = []
    if node.latency is not None and node.kind in ("stage", "call"):
        details.append(f"{node.latency} cycles")
    details += node.attrs
    if details:
        label += "\\n" + ", ".join(details)
    style = "rounded" if node.kind == "call" else ("dashed" if node.kind == "op" else "solid")
    return (f"    {_q(node.id)} [shape=box, style={_q(style)}, "
            f"label={_q(label).replace(chr(92) * 2 + 'n', chr(92) + 'n')}];")


def _edge_line(edge) -> str:
    shape = "x".join(str(d) for d in edge.shape)
    if edge.kind == "fifo":
        write, read = edge.rates()
        rates = []
        if write is not None:
            rates.append(f"write 1/{write} cyc")
        if read is not None:
            rates.append(f"read 1/{read} cyc")
        label = f"{edge.buffer}: FIFO depth {edge.depth}\\n{edge.dtype}[{shape}]"
        if rates:
            label += "\\n" + ", ".join(rates)
        attrs = "style=bold, color=blue, fontcolor=blue"
    else:
        label = f"{edge.buffer}: {edge.dtype}[{shape}]"
        if any(c != "⊤" for c in edge.layout.strip("⟨⟩").split(", ")):
            label += f"\\n{edge.layout}"
        attrs = "color=gray40"
    text = _q(label).replace(chr(92) * 2 + "n", chr(92) + "n")
    return f"  {_q(edge.src.node)} -> {_q(edge.dst.node)} [label={text}, {attrs}];"


def graph_to_dot(graph) -> str:
    """Graphviz text of ``graph`` (deterministic: golden-tested)."""
    lines = [f"digraph {_q('dataflow ' + graph.top)} {{", "  compound=true;", "  rankdir=LR;",
             '  node [fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']
    for fnode in graph.functions():
        label = fnode.name + (f" ({', '.join(fnode.attrs)})" if fnode.attrs else "")
        lines.append(f"  subgraph {_q('cluster_' + fnode.name)} {{")
        lines.append(f"    label={_q(label)}; style=rounded;")
        if not fnode.children:
            lines.append(f"    {_q(fnode.id + '/empty')} [shape=point, label=\"\"];")
        for child in fnode.children:
            lines.append(_node_line(graph.nodes[child]))
        lines.append("  }")
    for node in graph.nodes.values():
        if node.kind == "call" and node.callee in graph.nodes:
            callee = graph.nodes[node.callee]
            if callee.children:
                lines.append(f"  {_q(node.id)} -> {_q(callee.children[0])} [style=dotted, "
                             f"arrowhead=none, lhead={_q('cluster_' + callee.name)}];")
    lines += [_edge_line(e) for e in graph.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_program() -> str:
    """The path of Graphviz ``dot``; ``ToolNotFoundError`` naming how to install it."""
    path = shutil.which("dot")
    if path is None:
        raise ToolNotFoundError(f"drawing the dataflow graph needs the Graphviz program `dot`, "
                                f"which is not on PATH; {INSTALL_HINT}")
    return path


def _run_dot(text: str, fmt: str, output: str | None = None) -> bytes:
    cmd = [dot_program(), f"-T{fmt}"] + ([f"-o{output}"] if output else [])
    proc = subprocess.run(cmd, input=text.encode(), capture_output=True, check=False)
    if proc.returncode != 0:
        raise BuildError(f"dot failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def render_dot(text: str, path: str) -> str:
    """Write ``text`` drawn by ``dot`` to ``path`` (format from its extension)."""
    fmt = os.path.splitext(path)[1].lstrip(".").lower() or "svg"
    if fmt == "dot":
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path
    _run_dot(text, fmt, path)
    return path


def dot_to_svg(text: str) -> str:
    """SVG text of a Graphviz graph."""
    return _run_dot(text, "svg").decode()


__all__ = ["graph_to_dot", "render_dot", "dot_to_svg", "dot_program", "INSTALL_HINT"]
