"""The TAPA target (backends.md §7): mmap ports, directed streams, task invocation, project."""

import os
import shutil

import numpy as np
import pytest

import allo
import allo.dataflow as df
from allo.ir.types import Stream, int32

from fake_tools import install_tools


@df.region()
def twostage(X: int32[6, 10], Y: int32[6, 10]):
    q: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[X])
    def src(x: int32[6, 10]):
        for a, b in allo.grid(6, 10):
            q.put(x[a, b] * 3)

    @df.kernel(mapping=[1], args=[Y])
    def dst(y: int32[6, 10]):
        for a, b in allo.grid(6, 10):
            y[a, b] = q.get() - 1


def vadd(A: int32[4, 5], B: int32[4, 5]) -> (int32[4, 5], int32):
    C: int32[4, 5]
    for i, j in allo.grid(4, 5):
        C[i, j] = A[i, j] + B[i, j]
    return C, A[0, 0]


def test_region_is_a_task_of_invocations():
    mod = df.build(twostage, target="tapa", mode=None, project=None)
    assert isinstance(mod, allo.HLSModule) and mod.platform == "tapa"
    code = mod.hls_code
    assert "#include <tapa.h>" in code
    assert "hls_stream.h" not in code and "hls_vector.h" not in code and "hls::stream" not in code
    assert "void src_0(\n  tapa::mmap<int32_t> v0,\n  tapa::ostream< int32_t > &q\n) {" in code
    assert "void dst_0(\n  tapa::mmap<int32_t> v0,\n  tapa::istream< int32_t > &q\n) {" in code
    assert "v0[(a) * 10 + (b)]" in code
    top = code[code.index("/// This is top function."):]
    assert ('  tapa::stream< int32_t, 2 > q("q");\n  tapa::task()\n'
            "    .invoke(src_0, v0, q)\n    .invoke(dst_0, v1, q);\n}") in top
    assert "#pragma HLS dataflow" not in top


def test_plain_top_has_mmap_ports_and_a_project(tmp_path):
    project = tmp_path / "p"
    mod = allo.customize(vadd).build(target="tapa", mode="csim", project=str(project))
    code = mod.hls_code
    assert "void vadd(\n  tapa::mmap<int32_t> v0,\n  tapa::mmap<int32_t> v1,\n" \
           "  tapa::mmap<int32_t> v2,\n  tapa::mmap<int32_t> v3\n) {" in code
    assert "v3[0] = " in code and "v2[(i) * 5 + (j)] = " in code
    files = set(os.listdir(project))
    assert {"kernel.cpp", "tapa_host.cpp", "host.cpp", "description.json", "Makefile",
            "makefile_us_alveo.mk", "utils.mk"} <= files
    host = (project / "tapa_host.cpp").read_text()
    assert "tapa::invoke(vadd, bitstream, tapa::read_write_mmap<int32_t>(v0)" in host
    makefile = (project / "Makefile").read_text()
    for target in ("csim:", "fast_hw_emu:", "run:"):
        assert target in makefile
    if shutil.which("tapa") is None:
        A = np.ones((4, 5), np.int32)
        with pytest.raises(allo.ToolNotFoundError, match="tapa mode 'csim' needs 'tapa' on PATH"):
            mod(A, A, np.zeros((4, 5), np.int32), np.zeros(1, np.int32))
    with pytest.raises(allo.BuildError, match="Invalid mode 'sw_emu' for target 'tapa'"):
        allo.customize(vadd).build(target="tapa", mode="sw_emu", project=str(tmp_path / "q"))
    for mode in ("fast_hw_emu", "hw_emu", "hw"):
        allo.customize(vadd).build(target="tapa", mode=mode, project=str(tmp_path / mode))


def test_a_tapa_run_writes_inputs_runs_make_and_reads_outputs(tmp_path, monkeypatch):
    install_tools(tmp_path, monkeypatch, ["output2.data", "output3.data"], "tapa")
    project = str(tmp_path / "t.prj")
    mod = allo.customize(vadd).build(target="tapa", mode="csim", project=project)
    A = np.arange(20, dtype=np.int32).reshape(4, 5)
    B = np.full((4, 5), 7, np.int32)
    C, first = np.zeros((4, 5), np.int32), np.zeros(1, np.int32)
    mod(A, B, C, first)
    np.testing.assert_array_equal(C, A + B)
    assert first[0] == A[0, 0]
    with open(os.path.join(project, "make_args.txt")) as log:
        assert log.read() == "csim"
