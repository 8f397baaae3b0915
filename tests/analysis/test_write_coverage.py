"""``fully_written_params``: which written-only parameters wrap_io may leave uncopied."""

import pytest

from allo._mlir import ir, new_context
from allo.analysis.write_coverage import fully_written_params

FULL = {
    "loop": "affine.for %i = 0 to 8 { affine.store %c, %a[%i] : memref<8xi32> }",
    "reversed": "affine.for %i = 0 to 8 { affine.store %c, %a[7 - %i] : memref<8xi32> }",
    "offset loop": "affine.for %i = 1 to 9 { affine.store %c, %a[%i - 1] : memref<8xi32> }",
    "split": "affine.for %o = 0 to 2 { affine.for %i = 0 to 4 {"
             " affine.store %c, %a[%o * 4 + %i] : memref<8xi32> } }",
    "extra outer loop": "affine.for %r = 0 to 3 { affine.for %i = 0 to 8 {"
                        " affine.store %c, %a[%i] : memref<8xi32> } }",
    "copy": "memref.copy %x, %a : memref<8xi32> to memref<8xi32>",
    "fill": "linalg.fill ins(%c : i32) outs(%a : memref<8xi32>)",
}

PARTIAL = {
    "short loop": "affine.for %i = 0 to 7 { affine.store %c, %a[%i] : memref<8xi32> }",
    "shifted": "affine.for %i = 0 to 7 { affine.store %c, %a[%i + 1] : memref<8xi32> }",
    "step 2": "affine.for %i = 0 to 8 step 2 { affine.store %c, %a[%i] : memref<8xi32> }",
    "every other": "affine.for %i = 0 to 4 { affine.store %c, %a[%i * 2] : memref<8xi32> }",
    "one element": "affine.for %i = 0 to 8 { affine.store %c, %a[3] : memref<8xi32> }",
    "overlapping digits": "affine.for %o = 0 to 2 { affine.for %i = 0 to 4 {"
                          " affine.store %c, %a[%o * 3 + %i] : memref<8xi32> } }",
    "conditional": "affine.for %i = 0 to 8 { affine.if affine_set<(d0) : (d0 - 2 >= 0)>(%i) {"
                   " affine.store %c, %a[%i] : memref<8xi32> } }",
    "outer loop that never runs": "affine.for %r = 0 to 0 { affine.for %i = 0 to 8 {"
                                  " affine.store %c, %a[%i] : memref<8xi32> } }",
    "scf loop": "scf.for %i = %c0 to %c8 step %c1 { memref.store %c, %a[%i] : memref<8xi32> }",
    "bound from an argument": "affine.for %i = 0 to %n { affine.store %c, %a[%i] : memref<8xi32> }",
    "copy into a view": "%v = memref.subview %a[0] [4] [1] : memref<8xi32> to memref<4xi32>\n"
                        "memref.copy %y, %v : memref<4xi32> to memref<4xi32>",
    "copy out of it": "memref.copy %a, %x : memref<8xi32> to memref<8xi32>",
}


def _written(body: str) -> bool:
    text = f"""
    func.func @k(%a: memref<8xi32>, %x: memref<8xi32>, %y: memref<4xi32>, %n: index) {{
      %c = arith.constant 1 : i32
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c8 = arith.constant 8 : index
      {body}
      return
    }}"""
    with new_context():
        module = ir.Module.parse(text)
        return 0 in fully_written_params(list(module.body.operations)[0])


@pytest.mark.parametrize("case", sorted(FULL))
def test_full_writes_are_proved(case):
    assert _written(FULL[case])


@pytest.mark.parametrize("case", sorted(PARTIAL))
def test_partial_writes_are_not(case):
    assert not _written(PARTIAL[case])


def test_two_dimensional_nests():
    text = """
    func.func @k(%a: memref<2x3xi32>, %b: memref<3x3xi32>, %d: memref<2x3xi32>) {
      %c = arith.constant 1 : i32
      affine.for %i = 0 to 3 {
        affine.for %j = 0 to 2 {
          affine.store %c, %a[%j, %i] : memref<2x3xi32>
          affine.store %c, %d[%j, %j + %i - %j] : memref<2x3xi32>
        }
        affine.store %c, %b[%i, %i] : memref<3x3xi32>
      }
      return
    }"""
    with new_context():
        module = ir.Module.parse(text)
        # the diagonal of b is not the whole of it; %j + %i - %j folds to %i
        assert fully_written_params(list(module.body.operations)[0]) == {0, 2}


def test_writes_through_calls():
    """A call that always runs covers what its callee fully writes (a region handing an
    output to the instance producing it); partial callees and recursion prove nothing."""
    text = """
    func.func @fill(%a: memref<4xi32>) {
      %c = arith.constant 1 : i32
      affine.for %i = 0 to 4 {
        affine.store %c, %a[%i] : memref<4xi32>
      }
      return
    }
    func.func @half(%a: memref<4xi32>) {
      %c = arith.constant 1 : i32
      affine.for %i = 0 to 2 {
        affine.store %c, %a[%i] : memref<4xi32>
      }
      return
    }
    func.func @again(%a: memref<4xi32>) {
      call @again(%a) : (memref<4xi32>) -> ()
      return
    }
    func.func @top(%x: memref<4xi32>, %y: memref<4xi32>, %z: memref<4xi32>,
                   %w: memref<4xi32>) {
      call @fill(%x) : (memref<4xi32>) -> ()
      call @half(%y) : (memref<4xi32>) -> ()
      call @again(%z) : (memref<4xi32>) -> ()
      %b = arith.constant 0 : index
      scf.for %i = %b to %b step %b {
        func.call @fill(%w) : (memref<4xi32>) -> ()
      }
      return
    }"""
    with new_context():
        module = ir.Module.parse(text)
        top = [op for op in module.body.operations
               if ir.StringAttr(op.attributes["sym_name"]).value == "top"][0]
        assert fully_written_params(top) == {0}
