"""``analyze_arg_load_store_in_func`` / ``analyze_arg_load_store`` (backends.md §11.1)."""

import allo
from allo._mlir import ir, new_context
from allo.ir.types import int32
from allo.passes import analyze_arg_load_store, analyze_arg_load_store_in_func


def k(P: int32[4], Q: int32[4], R: int32[4]):
    for i in range(4):
        R[i] = P[i] - Q[i]


def acc(A: int32[4], s: int32):
    for i in range(4):
        A[i] += s


def outer(X: int32[4], Y: int32[4], Z: int32[4], n: int32):
    k(X, Y, Z)
    acc(Y, n)


def test_spec_example():
    s = allo.customize(k)
    assert analyze_arg_load_store_in_func(s.top_func) == ["in", "in", "out"]


def test_through_calls_to_a_fixed_point():
    s = allo.customize(outer)
    result = analyze_arg_load_store(s.module)
    assert result["k"] == ["in", "in", "out"]
    assert result["acc"] == ["both", "scalar"]
    assert result["outer"] == ["in", "both", "out", "scalar"]
    # without a mapping the callee directions are unknown
    assert analyze_arg_load_store_in_func(s.top_func) == ["func", "func", "func", "scalar"]


TEXT = """
func.func private @ext(memref<4xi32>)
func.func @b(%x: memref<4xi32>) {
  call @a(%x) : (memref<4xi32>) -> ()
  return
}
func.func @a(%x: memref<4xi32>) {
  %v = memref.subview %x[1] [2] [1] : memref<4xi32> to memref<2xi32, strided<[1], offset: 1>>
  %c = arith.constant 0 : index
  %e = memref.load %v[%c] : memref<2xi32, strided<[1], offset: 1>>
  call @ext(%x) : (memref<4xi32>) -> ()
  return
}
func.func @s(%q: memref<4xi32, "stream:2">, %o: memref<4xi32>) {
  %c = arith.constant 0 : index
  %e = memref.load %q[%c] : memref<4xi32, "stream:2">
  memref.store %e, %o[%c] : memref<4xi32>
  return
}
"""


def test_views_bodiless_functions_streams_and_any_order():
    with new_context():
        m = ir.Module.parse(TEXT)
        result = analyze_arg_load_store(m)
    assert result["ext"] == ["in"]
    assert result["a"] == ["in"]
    assert result["b"] == ["in"]
    assert result["s"] == ["in", "out"]
