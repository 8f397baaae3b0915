"""Emitted HLS C++ of representative kernels compared with golden files (``--update-golden``)."""

import os

import pytest

import allo
from allo._mlir import ir, new_context

import hls_golden_kernels as K

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")

HANDWRITTEN = """
module {
  memref.global "private" constant @table : memref<4xi16> = dense<[3, -1, 7, 250]>
  memref.global "private" @__stateful_count_n : memref<i32> = dense<0> {static}
  func.func @count(%x: memref<4xf32>, %k: i16) -> f32 attributes {itypes = "_s", otypes = "_"} {
    %c0 = arith.constant 0 : index
    %c4 = arith.constant 4 : index
    %c1 = arith.constant 1 : index
    %t = memref.get_global @table : memref<4xi16>
    %n = memref.get_global @__stateful_count_n : memref<i32>
    %init = arith.constant 0.0 : f32
    %r:2 = scf.while (%i = %c0, %acc = %init) : (index, f32) -> (index, f32) {
      %lt = arith.cmpi slt, %i, %c4 : index
      scf.condition(%lt) %i, %acc : index, f32
    } do {
    ^bb0(%j: index, %a: f32):
      %v = memref.load %x[%j] : memref<4xf32>
      %w = memref.load %t[%j] : memref<4xi16>
      %m = arith.muli %w, %k : i16
      %f = arith.sitofp %m : i16 to f32
      %bits = arith.bitcast %v : f32 to i32
      %sum = arith.addf %a, %f : f32
      %nj = arith.addi %j, %c1 : index
      scf.yield %nj, %sum : index, f32
    }
    %old = memref.load %n[] : memref<i32>
    %one = arith.constant 1 : i32
    %new = arith.addi %old, %one : i32
    memref.store %new, %n[] : memref<i32>
    return %r#1 : f32
  }
}
"""


def _check(name: str, code: str, update: bool) -> None:
    path = os.path.join(GOLDEN, name)
    if update or not os.path.exists(path):
        if not update:
            pytest.fail(f"golden file {path} missing; run pytest with --update-golden")
        with open(path, "w", encoding="utf-8") as f:
            f.write(code)
        return
    with open(path, encoding="utf-8") as f:
        expected = f.read()
    assert code == expected, f"emitted code differs from {path} (review, then --update-golden)"


def test_gemm_split_reorder_pipeline_partition(update_golden):
    _check("gemm_vhls.cpp", K.gemm_schedule().build("vhls").hls_code, update_golden)


def test_fixed_point_mac(update_golden):
    _check("fixed_mac_vhls.cpp", allo.customize(K.fixed_mac).build("vhls").hls_code,
           update_golden)


def test_bit_operations(update_golden):
    _check("bits_vhls.cpp", allo.customize(K.bits).build("vhls").hls_code, update_golden)


def test_vitis_wrap_io(update_golden):
    _check("scale2_vitis.cpp", allo.customize(K.scale2).build("vitis_hls").hls_code,
           update_golden)


def test_while_globals_statics_bitcast(update_golden):
    with new_context():
        module = ir.Module.parse(HANDWRITTEN)
    _check("count_vhls.cpp", allo.HLSModule(module, "count").hls_code, update_golden)
