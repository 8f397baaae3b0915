"""wrap_io custom data movement: ``configs["mappings"]`` (backends.md §1.3, §3.7)."""

import numpy as np
import pytest

import allo
from allo.ir.types import int32
from allo.passes import generate_input_output_buffers


def scale(X: int32[3, 4]) -> int32[3, 4]:
    Y: int32[3, 4]
    for i, j in allo.grid(3, 4):
        Y[i, j] = X[i, j] * 2
    return Y


def test_mapping_rewrites_the_helper_loops():
    s = allo.customize(scale)
    # buf0 is read from a column-major external array; res1 is written transposed too
    mapping = ([4, 3], "i1 * 4 + i0", "i1, i0")
    generate_input_output_buffers(s.module, "scale", flatten=True,
                                  mappings={0: mapping, 1: ([4, 3], "i1, i0", "i0 * 3 + i1")})
    text = str(s.module)
    assert "affine.for %arg2 = 0 to 3" in text or "0 to 3" in text
    assert "func.func @load_buf0" in text and "func.func @store_res1" in text


@pytest.mark.csim
def test_transposed_io_in_csim(tmp_path):
    s = allo.customize(scale)
    mapping = {0: ([4, 3], "i0 * 3 + i1", "i1, i0"), 1: ([4, 3], "i1, i0", "i0 * 3 + i1")}
    mod = s.build(target="vitis_hls", mode="csim", project=str(tmp_path / "t.prj"),
                  configs={"mappings": mapping})
    X = np.arange(12, dtype=np.int32).reshape(3, 4)
    if not allo.backend.hls.is_available("csim"):
        pytest.skip("g++ or hls4ml missing")
    ext_in = np.ascontiguousarray(X.T).reshape(-1)  # the host keeps X column-major
    out = np.zeros(12, np.int32)
    mod(ext_in, out)
    np.testing.assert_array_equal(out.reshape(4, 3), (2 * X).T)


def test_bad_mappings_raise_build_errors():
    cases = [(([0, 3], "i0", "i0, i1"), "positive"),
             (([4, 3], "i0, i1", "i1, i0"), "needs 1 index"),
             (([4, 3], "x + 1", "i1, i0"), "not an affine expression"),
             ((4,), "loop_bounds, src_map, dst_map")]
    for bad, msg in cases:
        s = allo.customize(scale)
        with pytest.raises(allo.BuildError, match=msg):
            generate_input_output_buffers(s.module, "scale", flatten=True, mappings={0: bad})
