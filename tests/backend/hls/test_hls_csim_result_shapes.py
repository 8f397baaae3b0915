"""C simulation in the CPU build's convention returns arrays in the kernel's declared shapes,
also where the C interface is flattened (``vitis_hls`` wraps the top's I/O as 1-D buffers)."""

import numpy as np
import pytest

import allo
from allo.backend.hls import is_available
from allo.backend.hls.module import declared_result_shapes
from allo.ir.types import float32, int32

pytestmark = pytest.mark.csim

if not is_available("csim"):
    pytest.skip("C simulation needs g++ and the hls4ml headers", allow_module_level=True)


def axpb(x: float32[4, 6], a: float32) -> float32[4, 6]:
    y: float32[4, 6]
    for i, j in allo.grid(4, 6):
        y[i, j] = a * x[i, j] + 1.0
    return y


def grid_and_sum(X: int32[3, 5]) -> (int32[3, 5], int32):
    Y: int32[3, 5] = 0
    total: int32 = 0
    for i, j in allo.grid(3, 5):
        Y[i, j] = X[i, j] * 2
        total += X[i, j]
    return Y, total


@pytest.mark.parametrize("target", ["vhls", "vitis_hls"])
def test_single_2d_result_keeps_its_shape(target, tmp_path):
    s = allo.customize(axpb)
    x = np.random.default_rng(1).random((4, 6), dtype=np.float32)
    cpu = s.build()(x, 3.0)
    sim = s.build(target=target, mode="csim", project=str(tmp_path / "p"))
    got = sim(x, 3.0)
    assert got.shape == (4, 6)
    np.testing.assert_array_equal(got, cpu)


@pytest.mark.parametrize("target", ["vhls", "vitis_hls"])
def test_several_results_keep_their_shapes(target, tmp_path):
    s = allo.customize(grid_and_sum)
    X = np.arange(15, dtype=np.int32).reshape(3, 5)
    grid, total = s.build(target=target, mode="csim", project=str(tmp_path / "p"))(X)
    assert grid.shape == (3, 5)
    np.testing.assert_array_equal(grid, 2 * X)
    assert total == int(X.sum())


def test_declared_result_shapes_of_modules_and_text():
    s = allo.customize(grid_and_sum)
    assert declared_result_shapes(s.module, "grid_and_sum") == [(3, 5), ()]
    assert declared_result_shapes(str(s.module), "grid_and_sum") == [(3, 5), ()]
    assert declared_result_shapes(s.module, "missing") is None


TEXT_KERNEL = """
func.func @scale3d(%x: memref<2x3x4xi32>) -> (memref<2x3x4xi32>, memref<6xi32>) {
  %out = memref.alloc() : memref<2x3x4xi32>
  %rows = memref.alloc() : memref<6xi32>
  affine.for %i = 0 to 2 {
    affine.for %j = 0 to 3 {
      affine.for %k = 0 to 4 {
        %v = affine.load %x[%i, %j, %k] : memref<2x3x4xi32>
        %d = arith.muli %v, %v : i32
        affine.store %d, %out[%i, %j, %k] : memref<2x3x4xi32>
      }
      %first = affine.load %x[%i, %j, 0] : memref<2x3x4xi32>
      affine.store %first, %rows[%i * 3 + %j] : memref<6xi32>
    }
  }
  return %out, %rows : memref<2x3x4xi32>, memref<6xi32>
}
"""


@pytest.mark.parametrize("platform", ["vivado_hls", "vitis_hls"])
def test_module_from_mlir_text_returns_the_declared_shapes(platform, tmp_path):
    x = np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 7
    cpu_out, cpu_rows = allo.LLVMModule(TEXT_KERNEL, "scale3d")(x)
    sim = allo.HLSModule(TEXT_KERNEL, "scale3d", platform=platform, mode="csim",
                         project=str(tmp_path / "p"))
    out, rows = sim(x)
    assert out.shape == (2, 3, 4) and rows.shape == (6,)
    np.testing.assert_array_equal(out, x * x)
    np.testing.assert_array_equal(out, cpu_out)
    np.testing.assert_array_equal(rows, x[:, :, 0].reshape(-1))
    np.testing.assert_array_equal(rows, cpu_rows)
