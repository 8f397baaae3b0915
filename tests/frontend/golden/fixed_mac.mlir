module {
  func.func @fixed_mac(%arg0: memref<4xi8>, %arg1: memref<4xi12>) -> i24 attributes {allo.itypes = ["fixed(8, 3)", "fixed(12, 6)"], allo.otypes = ["fixed(24, 9)"], itypes = "ss", otypes = "s"} {
    %alloc = memref.alloc() {allo.type = "fixed(24, 9)", name = "acc"} : memref<i24>
    %c0_i24 = arith.constant {allo.type = "fixed(24, 9)"} 0 : i24
    affine.store %c0_i24, %alloc[] {to = "acc"} : memref<i24>
    affine.for %arg2 = 0 to 4 {
      %1 = affine.load %alloc[] {allo.type = "fixed(24, 9)", from = "acc"} : memref<i24>
      %2 = affine.load %arg0[%arg2] {allo.type = "fixed(8, 3)", from = "A"} : memref<4xi8>
      %3 = affine.load %arg1[%arg2] {allo.type = "fixed(12, 6)", from = "B"} : memref<4xi12>
      %4 = "allo.cast"(%2) {allo.type = "fixed(20, 3)", dst = "fixed(20, 3)", src = "fixed(8, 3)"} : (i8) -> i20
      %5 = "allo.cast"(%3) {allo.type = "fixed(20, 6)", dst = "fixed(20, 6)", src = "fixed(12, 6)"} : (i12) -> i20
      %6 = arith.muli %4, %5 {allo.type = "fixed(20, 9)"} : i20
      %7 = "allo.cast"(%1) {allo.type = "fixed(25, 9)", dst = "fixed(25, 9)", src = "fixed(24, 9)"} : (i24) -> i25
      %8 = "allo.cast"(%6) {allo.type = "fixed(25, 9)", dst = "fixed(25, 9)", src = "fixed(20, 9)"} : (i20) -> i25
      %9 = arith.addi %7, %8 {allo.type = "fixed(25, 9)"} : i25
      %10 = "allo.cast"(%9) {allo.type = "fixed(24, 9)", dst = "fixed(24, 9)", src = "fixed(25, 9)"} : (i25) -> i24
      affine.store %10, %alloc[] {to = "acc"} : memref<i24>
    } {loop_name = "i", op_name = "S_i_0", pipeline_ii = 1 : ui32}
    %0 = affine.load %alloc[] {allo.type = "fixed(24, 9)", from = "acc"} : memref<i24>
    return %0 : i24
  }
}
