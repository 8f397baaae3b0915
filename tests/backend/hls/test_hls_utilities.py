"""allo.backend.report, allo.backend.vitis and allo.backend.config (backends.md §11.3, §4.4)."""

import json
import shutil
import os

import pytest

import allo
from allo.backend.config import DEFAULT_CONFIG, PART_NUMBER
from allo.backend.report import parse_xml
from allo.backend.vitis import codegen_host, generate_hbm_config, postprocess_hls_code
from allo.ir.types import int32

XML = """<?xml version="1.0" encoding="UTF-8"?>
<profile>
  <ReportVersion><Version>2023.2</Version></ReportVersion>
  <UserAssignments><Part>xcu280-fsvh2892-2L-e</Part><TopModelName>top</TopModelName>
    <TargetClockPeriod>3.33</TargetClockPeriod></UserAssignments>
  <PerformanceEstimates>
    <SummaryOfTimingAnalysis><EstimatedClockPeriod>2.431</EstimatedClockPeriod></SummaryOfTimingAnalysis>
    <SummaryOfOverallLatency><Worst-caseLatency>1090</Worst-caseLatency><Interval-max>1091</Interval-max></SummaryOfOverallLatency>
    <SummaryOfLoopLatency>
      <l_S_i_0_i><TripCount>32</TripCount><Latency>1088</Latency><IterationLatency>34</IterationLatency>
        <l_j><TripCount>32</TripCount><Latency>32</Latency><PipelineII>1</PipelineII><PipelineDepth>3</PipelineDepth></l_j>
      </l_S_i_0_i>
      <l_init><TripCount>8</TripCount><Latency>9</Latency></l_init>
    </SummaryOfLoopLatency>
  </PerformanceEstimates>
  <AreaEstimates><Resources><BRAM_18K>2</BRAM_18K><DSP>3</DSP><FF>400</FF><LUT>500</LUT></Resources>
    <AvailableResources><BRAM_18K>4032</BRAM_18K><DSP>9024</DSP><FF>2607360</FF><LUT>1303680</LUT></AvailableResources>
  </AreaEstimates>
</profile>
"""


def _project(tmp_path):
    rep = tmp_path / "out.prj" / "solution1" / "syn" / "report"
    rep.mkdir(parents=True)
    (rep / "top_csynth.xml").write_text(XML)
    return str(tmp_path)


def test_parse_xml_report(tmp_path, capsys):
    path = _project(tmp_path)
    r = parse_xml(path, "Vitis HLS", print_flag=True)
    printed = capsys.readouterr().out
    for fragment in ["2023.2", "xcu280-fsvh2892-2L-e", "3.33", "2.431", "1090", "1091",
                     "DSP: 3 / 9024"]:
        assert fragment in printed
    assert r.get_max("Latency") == [("l_S_i_0_i", 1088, 0), ("l_j", 32, 1), ("l_init", 9, 0)]
    table = r.display()
    assert "+l_j" in table and "PipelineDepth" in table
    assert "l_init" not in r.display(loops=["l_S_i_0_i", "l_j"])
    assert "+l_j" not in r.display(level=0)
    assert json.load(open(os.path.join(path, "report.json")))["latency"] == "1090"
    with pytest.raises(allo.BuildError, match="unknown report column"):
        r.get_max("Nope")


def test_parse_xml_missing_report(tmp_path):
    with pytest.raises(allo.BuildError, match="Cannot find .*top_csynth.xml, run csyn first"):
        parse_xml(str(tmp_path), "Vitis HLS")


def test_hbm_config():
    text = generate_hbm_config("mv", {"X": 2, "output_0": "DDR[1]"}, {"X": "v0", "output_0": "v2"})
    assert text == "[connectivity]\n\nsp=mv_1.v0:HBM[2]\nsp=mv_1.v2:DDR[1]\n"
    with pytest.raises(ValueError, match="Invalid memory specification for 'X'"):
        generate_hbm_config("mv", {"X": 1.5})


def add2(A: int32[4, 5], B: int32[4, 5]) -> int32[4, 5]:
    C: int32[4, 5]
    for i, j in allo.grid(4, 5):
        C[i, j] = A[i, j] + B[i, j]
    return C


def test_postprocess_and_host_code():
    mod = allo.customize(add2).build("vhls")
    code = postprocess_hls_code(mod.hls_code, "add2")
    assert 'using namespace std;\nextern "C" {' in code
    assert code.rstrip().endswith('} // extern "C"')
    assert "int32_t *v0,\n  int32_t *v1,\n  int32_t *v2\n) {" in code
    for k in range(3):
        assert f"#pragma HLS interface m_axi port=v{k} offset=slave bundle=gmem{k}" in code
    assert "m_axi" not in postprocess_hls_code(mod.hls_code, "add2", pragma=False)
    host = codegen_host("add2", mod.module)
    assert 'allo_read_file("input0.data"' in host and 'allo_write_file("output.data"' in host
    assert 'xrt::kernel(device, uuid, "add2")' in host


def test_config_tables():
    assert DEFAULT_CONFIG == {"device": "u280", "frequency": 300,
                              "mode": "csim|csynth|cosim|impl"}
    assert PART_NUMBER["vck190"] == "xcvc1902-vsva2197-2MP-e-S"
    assert len(PART_NUMBER) == 12


def test_is_available_never_reports_g_plus_plus_as_a_vendor_tool(tmp_path, monkeypatch):
    from allo.backend.hls import is_available

    assert is_available("vitis_hls") == (shutil.which("vitis_hls") is not None)
    assert is_available() == (shutil.which("vivado_hls") is not None)
    gxx = shutil.which("g++")
    if gxx is None:
        pytest.skip("needs g++ to show that it does not count as Vitis")
    # a PATH holding g++ and nothing else: csim may be available, the vendor flows are not
    (tmp_path / "g++").symlink_to(gxx)
    monkeypatch.setenv("PATH", str(tmp_path))
    for backend in ("vitis_hls", "vivado_hls", "tapa", "pynq", "anything"):
        assert is_available(backend) is False, backend
