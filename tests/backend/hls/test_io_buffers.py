"""``allo.passes.generate_input_output_buffers`` (backends.md §3.7): the printed MLIR."""

import pytest

import allo
from allo.ir.types import int16, int32
from allo.ir.utils import MockBuffer
from allo.passes import generate_input_output_buffers


def scale2(X: int16[3, 5]) -> int16[3, 5]:
    Y: int16[3, 5]
    for i, j in allo.grid(3, 5):
        Y[i, j] = X[i, j] * 2
    return Y


def inout(A: int32[4], B: int32[4], k: int32):
    for i in range(4):
        B[i] = A[i] + k
        A[i] = 0


def test_flatten_matches_the_spec_example():
    s = allo.customize(scale2)
    bufs = generate_input_output_buffers(s.module, "scale2", flatten=True)
    text = str(s.module)
    for fragment in [
        "func.func @scale2(%arg0: memref<15xi16>) -> memref<15xi16>",
        "func.func @load_buf0(%arg0: memref<15xi16>, %arg1: memref<3x5xi16>)",
        "func.func @store_res1(%arg0: memref<3x5xi16>, %arg1: memref<15xi16>)",
        '%alloc = memref.alloc() {name = "buf0"} : memref<3x5xi16>',
        "call @load_buf0(%arg0, %alloc) : (memref<15xi16>, memref<3x5xi16>) -> ()",
        '%alloc_0 = memref.alloc() {name = "res1"} : memref<15xi16>',
        "call @store_res1(%alloc_1, %alloc_0) : (memref<3x5xi16>, memref<15xi16>) -> ()",
        "return %alloc_0 : memref<15xi16>",
        'loop_name = "load_buf0_l_0", op_name = "S_load_buf0"',
        'loop_name = "load_buf0_l_1", pipeline_ii = 1 : ui32, rewind',
    ]:
        assert fragment in text, fragment
    # helpers sit right before the top, loads first
    assert text.index("@load_buf0(") < text.index("@store_res1(") < text.index("@scale2(")
    assert bufs == {"inputs": [MockBuffer("scale2", "buf0")],
                    "outputs": [MockBuffer("scale2", "res1")]}


def test_without_flatten_keeps_shapes():
    s = allo.customize(scale2)
    generate_input_output_buffers(s.module, "scale2", flatten=False)
    text = str(s.module)
    assert "memref<15xi16>" not in text
    assert "func.func @scale2(%arg0: memref<3x5xi16>) -> memref<3x5xi16>" in text
    assert "func.func @load_buf0(%arg0: memref<3x5xi16>, %arg1: memref<3x5xi16>)" in text


def test_void_top_stores_written_parameters():
    s = allo.customize(inout)
    bufs = generate_input_output_buffers(s.module, "inout", flatten=True)
    text = str(s.module)
    assert "func.func @load_buf0(" in text
    assert "func.func @load_buf1(" not in text  # B is only written
    assert "call @store_res0(" in text and "call @store_res1(" in text
    assert "func.func @inout(%arg0: memref<4xi32>, %arg1: memref<4xi32>, %arg2: i32)" in text
    assert [b.name for b in bufs["inputs"]] == ["buf0", "buf1"]
    assert [b.name for b in bufs["outputs"]] == ["buf0", "buf1"]


def test_pass_keeps_cpu_results():
    import numpy as np

    s = allo.customize(scale2)
    X = np.arange(15, dtype=np.int16).reshape(3, 5)
    before = s.build()(X)
    generate_input_output_buffers(s.module, "scale2", flatten=True)
    after = allo.LLVMModule(s.module, "scale2")(X.reshape(15))
    np.testing.assert_array_equal(after.reshape(3, 5), before)


def test_unknown_top_raises():
    s = allo.customize(scale2)
    with pytest.raises(allo.BuildError, match="not found"):
        generate_input_output_buffers(s.module, "nope")
