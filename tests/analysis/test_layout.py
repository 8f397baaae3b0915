"""Layout analysis: map encoding/decoding, alias classes across calls (§7), the alias view of
get_equivalent_variables (§9.3), and refusals for streams and views."""

import os
import sys

import numpy as np
import pytest

import allo
from allo._mlir import ir, new_context
from allo.analysis.layout import (BLOCK, COMPLETE, CYCLIC, AliasGraph, DimLayout,
                                  LayoutRecords, decode_layout, layout_map, layout_str)
from allo.frontend.module import BuiltModule
from allo.ir.types import int32
from allo.schedule import Schedule

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "schedule"))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from helpers_schedule import assert_refused  # noqa: E402
import memory_kernels as K  # noqa: E402


@pytest.mark.parametrize("dims", [
    [None, None], [DimLayout(COMPLETE)] * 2, [DimLayout(BLOCK, 2), None],
    [None, DimLayout(CYCLIC, 4)], [DimLayout(CYCLIC, 3), DimLayout(BLOCK, 4)],
    [DimLayout(BLOCK, 3), DimLayout(COMPLETE)],
])
def test_layout_map_round_trip(dims):
    with new_context(), ir.Location.unknown():
        amap = layout_map([6, 12], dims)
        mtype = ir.MemRefType.get([6, 12], ir.IntegerType.get_signless(32),
                                  None if all(d is None for d in dims)
                                  else ir.AffineMapAttr.get(amap))
        assert list(decode_layout(mtype)) == dims


def test_block_of_single_elements_reads_back_as_complete():
    with new_context(), ir.Location.unknown():
        amap = layout_map([6], [DimLayout(BLOCK, 6)])  # banks of one element
        mtype = ir.MemRefType.get([6], ir.IntegerType.get_signless(32), ir.AffineMapAttr.get(amap))
        assert str(amap) == "(d0) -> (d0, 0)"
        assert decode_layout(mtype) == (DimLayout(COMPLETE),)


def test_decode_rejects_foreign_maps_and_formats_layouts():
    with new_context():
        t = ir.MemRefType.parse("memref<6x12xi32, affine_map<(d0, d1) -> (d1, d0)>>")
        with pytest.raises(ValueError):
            decode_layout(t)
    assert layout_str([DimLayout(CYCLIC, 2), None, DimLayout(COMPLETE)]) == "⟨Y(2), ⊤, C⟩"


def test_records_keep_sources_in_parallel_with_the_public_view():
    arrays, sources = {}, {}
    rec = LayoutRecords(arrays, sources)
    rec.add(["f:A", "g:B"], BLOCK, 2, 4, "f:A")
    rec.add(["g:B"], COMPLETE, 1, 0, "g:B")
    assert arrays == {"f:A": [(1, 2, 4)], "g:B": [(1, 2, 4), (0, 1, 0)]}
    assert [r.source for r in rec.entries("g:B")] == ["f:A", "g:B"]


def test_alias_classes_of_the_spec_example():
    s = allo.customize(K.top6)
    with s.context:
        g = AliasGraph(s.module, s.func_args)
        cls = {n.display for n in g.class_of(g.find("inc6", "V"))}
    assert {"inc6:V", "inc6:W", "top6:X", "top6:T", "top6:R"} <= cls


def helper_g(a: int32) -> int32:
    return a + 1


def helper_f(a: int32) -> int32:
    return helper_g(a)


def scalar_main(A: int32[4]) -> int32:
    d: int32 = A[1]
    return helper_f(d)


def test_equivalent_variables_follow_scalars_through_calls():
    s = allo.customize(scalar_main)
    assert s.get_equivalent_variables("scalar_main:d") == \
        {"scalar_main:d", "helper_f:0", "helper_g:0"}
    assert s.get_equivalent_variables("helper_g:0") == \
        {"scalar_main:d", "helper_f:0", "helper_g:0"}
    assert s.get_equivalent_variables("scalar_main:A") == {"scalar_main:0"}
    assert s.get_equivalent_variables("scalar_main:nope") == set()
    assert s.get_equivalent_variables("nofunc:d") == set()
    assert s.build()(np.array([5, 7, 9, 11], dtype=np.int32)) == 8


def test_equivalent_variables_of_call_results():
    s = allo.customize(K.twice_called)
    assert s.get_equivalent_variables("twice_called:C") == \
        {"twice_called:C", "twice_called:D", "inc6:W"}
    assert s.get_equivalent_variables("inc6:0") == \
        {"inc6:0", "twice_called:0", "twice_called:1"}
    assert s.get_equivalent_variables("twice_called:E") == {"twice_called:E"}


STREAM_AND_VIEW = '''
func.func @consume(%S: memref<6xi32, "stream:6">) {
  return
}
func.func @top(%X: memref<6xi32>) {
  %S = memref.alloc() {name = "S"} : memref<6xi32, "stream:6">
  call @consume(%S) : (memref<6xi32, "stream:6">) -> ()
  %V = memref.alloc() {name = "V"} : memref<4x6xi32>
  %row = memref.subview %V[1, 0] [1, 6] [1, 1] : memref<4x6xi32> to memref<6xi32, strided<[1], offset: 6>>
  return
}
'''


def _hand_written(text, top, func_args):
    ctx = new_context()
    with ctx:
        module = ir.Module.parse(text)
    return Schedule(BuiltModule(module, ctx, top, func_args))


def test_streams_and_views_are_refused_without_change():
    s = _hand_written(STREAM_AND_VIEW, "top", {"top": ["X"], "consume": ["S"]})
    assert_refused(s, allo.ScheduleError, "is a stream", "partition", "consume:S")
    assert_refused(s, allo.ScheduleError, "is a stream", "reshape", "top:S", (2, 3))
    assert_refused(s, allo.ScheduleError, "accessed through a view", "partition", "top:V")
    assert_refused(s, allo.ScheduleError, "accessed through a view", "reshape", "top:V", (24,))
    s.partition("top:X", allo.Partition.Cyclic, dim=1, factor=3)
    assert "memref<6xi32, #map>" in str(s.module)


def test_partition_of_an_unnamed_intermediate_flows_through_calls():
    text = '''
    func.func @k(%A: memref<4xi32>) -> memref<4xi32> {
      %B = memref.alloc() {name = "B"} : memref<4xi32>
      return %B : memref<4xi32>
    }
    func.func @top(%X: memref<4xi32>) -> memref<4xi32> {
      %t = call @k(%X) : (memref<4xi32>) -> memref<4xi32>
      %u = call @k(%t) {name = "U"} : (memref<4xi32>) -> memref<4xi32>
      return %u : memref<4xi32>
    }
    '''
    s = _hand_written(text, "top", {"k": ["A"], "top": ["X"]})
    s.partition("top:U", allo.Partition.Block, dim=1, factor=2)
    out = str(s.module)
    assert out.count("memref<4xi32, #map>") >= 6 and "memref<4xi32>" not in out
    assert set(s.partitioned_arrays) == {"k:A", "k:B", "top:X", "top:U"}


GLOBAL_PASSED = '''
memref.global "private" constant @G : memref<6xi32> = dense<[1, 2, 3, 4, 5, 6]>
func.func @k(%A: memref<6xi32>, %B: memref<6xi32>) {
  affine.for %i = 0 to 6 {
    %v = affine.load %A[%i] {from = "A"} : memref<6xi32>
    affine.store %v, %B[%i] {to = "B"} : memref<6xi32>
  } {loop_name = "i", op_name = "S_i_0"}
  return
}
func.func @top(%X: memref<6xi32>) attributes {allo.itypes = ["i32"], allo.otypes = [],
                                             itypes = "s", otypes = ""} {
  %g = memref.get_global @G : memref<6xi32>
  call @k(%g, %X) : (memref<6xi32>, memref<6xi32>) -> ()
  return
}
'''


def test_a_global_read_directly_takes_the_layout_of_its_class():
    s = _hand_written(GLOBAL_PASSED, "top", {"k": ["A", "B"], "top": ["X"]})
    s.partition("k:A", allo.Partition.Cyclic, dim=1, factor=2)
    text = str(s.module)
    assert 'memref.global "private" constant @G : memref<6xi32, #map>' in text
    assert "memref.get_global @G : memref<6xi32, #map>" in text
    assert s.module.operation.verify()
    out = np.zeros(6, dtype=np.int32)
    s.build()(out)
    np.testing.assert_array_equal(out, np.arange(1, 7))
    s2 = _hand_written(GLOBAL_PASSED, "top", {"k": ["A", "B"], "top": ["X"]})
    assert_refused(s2, allo.ScheduleError, "global constant @G", "reshape", "k:A", (2, 3))
