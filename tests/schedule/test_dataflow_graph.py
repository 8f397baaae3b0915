"""The dataflow graph (``schedule.md`` §8.1), FIFO sizing (§8.2) and its pictures.

Golden Graphviz files live in ``tests/schedule/golden``; ``pytest --update-golden`` rewrites
them (review the diff).
"""

import os
import shutil

import numpy as np
import pytest

import allo
from allo.analysis.fifo_depth import fifo_depth

from helpers import check_csim
from helpers_schedule import assert_cpu_matches
import stream_kernels as K

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def _fork_join_schedule():
    s = allo.customize(K.fork_join)
    s.to(s.B, "C")
    s.to(s.C, "D", depth="auto")
    s.to(s.C, "E")
    s.to(s.D, "F", depth=4)
    s.to(s.E, "F", depth=4)
    return s


def _nested_schedule():
    s = allo.customize(K.nested_top)
    s.to(s.Q, "leaf_read", depth=2)
    s.partition("leaf_read:R", allo.Partition.Cyclic, dim=2, factor=3)
    return s


@pytest.mark.parametrize("name, make", [("fork_join", _fork_join_schedule),
                                        ("nested_top", _nested_schedule)])
def test_golden_dot(name, make, update_golden):
    text = make().dataflow_graph().to_dot()
    path = os.path.join(GOLDEN, f"dataflow_{name}.dot")
    if update_golden:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    if not os.path.exists(path):
        pytest.fail(f"golden file {path} missing; run pytest with --update-golden")
    with open(path, encoding="utf-8") as f:
        assert text == f.read(), f"graph differs from {path} (review, then --update-golden)"


def test_graph_structure_of_nested_functions():
    g = _nested_schedule().dataflow_graph()
    assert {n.name for n in g.functions()} == {"nested_top", "mid_write", "leaf_write",
                                              "leaf_read"}
    (fifo,) = g.fifos()
    assert (fifo.label, fifo.depth, fifo.elements) == ("nested_top:Q", 2, 72)
    assert [g.nodes[fifo.src.node].name, g.nodes[fifo.dst.node].name] == ["mid_write",
                                                                           "leaf_read"]
    assert fifo.src.access.path == ["mid_write", "leaf_write"]
    assert fifo.rates() == (1, 1)
    (port_edge,) = [e for e in g.edges if e.label == "leaf_read:R"]
    assert port_edge.layout == "⟨⊤, Y(3)⟩"
    g.check_layouts()


def test_layout_check_across_a_call_edge():
    g = _nested_schedule().dataflow_graph()
    call = next(n for n in g.nodes.values() if n.kind == "call" and n.name == "leaf_read")
    call.layouts[1] = ("⟨⊤, ⊤⟩", call.layouts[1][1], call.layouts[1][2])
    with pytest.raises(allo.LayoutConflictError, match="argument 1 of the call to leaf_read"):
        g.check_layouts()


# --------------------------------------------------------------------------- depth="auto"


def test_auto_depth_burst_producer_slow_consumer(tmp_path):
    # Producer row i (period 24 cycles): 8 cycles filling T, then writes B[i, 0..7] at
    # cycles 24i+8+k, then 8 cycles clearing T. Consumer pipelined at II=3 wants B[i, k] at
    # 24i+3k; the first element arrives at cycle 8, so every read is 9 cycles late:
    # A = 24i+3k+9. When B[i, k] is written (24i+8+k) the reads of row i done are those with
    # 3k' + 9 <= 8 + k, i.e. k' <= (k-1)/3: at k = 6 that is 2 reads for 7 writes -> 5
    # elements waiting (k = 7 as well). Depth = 5 + 1 = 6.
    s = allo.customize(K.bursty)
    s.pipeline(s.get_loops()["cons"]["j"], 3)
    s.to(s.B, "cons", depth="auto")
    assert '"stream:6"' in str(s.module)
    text = s.dataflow_graph().explain_depth("B")
    assert "at most 5 element(s) written and not yet read (cycle 14)" in text
    assert "writes one element every 1 cycle(s)" in text
    assert "reads one element every 3 cycle(s)" in text
    A = np.arange(32, dtype=np.int32).reshape(4, 8)
    assert_cpu_matches(s, lambda a: a * 3 + 1, A)
    check_csim(s, A, project=str(tmp_path / "p"))


def test_auto_depth_model_matches_a_cycle_simulation():
    # the closed form against a direct cycle-by-cycle simulation of the same model
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(1, 40))
        P = np.cumsum(rng.integers(1, 4, n)) - 1
        C = np.cumsum(rng.integers(1, 4, n)) - 1
        got = fifo_depth(P, C, n)
        last_read, waiting_max, reads = -1, 0, []
        for e in range(n):  # the consumer reads e when scheduled and one cycle after the write
            nominal = C[e] if e == 0 else reads[-1] + (C[e] - C[e - 1])
            reads.append(max(nominal, P[e] + 1))
        for e in range(n):
            done = sum(1 for r in reads if r <= P[e])
            waiting_max = max(waiting_max, e + 1 - done)
        assert got.max_waiting == waiting_max
        assert got.depth == min(max(waiting_max + 1, 2), n)


def test_auto_depth_falls_back_to_the_element_count_without_timing():
    s = allo.customize(K.two_bands)
    s.to(s.B, "C", depth="auto")
    assert '"stream:2"' in str(s.module)
    g = s.dataflow_graph()
    assert g.auto_depths()["two_bands:B"].depth == 2


# --------------------------------------------------------------------------- pictures


@needs_dot
def test_render_svg(tmp_path):
    g = _fork_join_schedule().dataflow_graph()
    path = g.render(str(tmp_path / "g.svg"))
    with open(path, encoding="utf-8") as f:
        svg = f.read()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "FIFO depth 4" in svg and "cluster_fork_join" in svg
    assert g._repr_svg_().count("<svg") == 1


def test_render_without_dot_names_the_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    g = _fork_join_schedule().dataflow_graph()
    with pytest.raises(allo.ToolNotFoundError, match="apt-get install graphviz"):
        g.render(str(tmp_path / "g.svg"))
    assert g.render(str(tmp_path / "g.dot")).endswith("g.dot")  # plain text needs no tool


def test_explain_unknown_buffer():
    g = allo.customize(K.pipe2).dataflow_graph()
    with pytest.raises(allo.AlloError, match="no buffer nowhere"):
        g.explain_depth("nowhere")
