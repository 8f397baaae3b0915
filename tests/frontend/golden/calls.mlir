module {
  memref.global "private" @__stateful_calls_total : memref<f32> = dense<0.000000e+00> {static}
  memref.global "private" constant @COEFFS : memref<4xi32> = dense<[1, -2, 3, -4]>
  func.func @helper(%arg0: memref<4xi32>) -> memref<4xi32> attributes {allo.itypes = ["i32"], allo.otypes = ["i32"], itypes = "s", otypes = "s"} {
    %alloc = memref.alloc() {name = "B"} : memref<4xi32>
    affine.for %arg1 = 0 to 4 {
      %0 = affine.load %arg0[%arg1] {from = "A"} : memref<4xi32>
      %c0_i32 = arith.constant 0 : i32
      %1 = arith.cmpi sgt, %0, %c0_i32 : i32
      %2 = affine.load %arg0[%arg1] {from = "A"} : memref<4xi32>
      %3 = memref.get_global @COEFFS : memref<4xi32>
      %4 = affine.load %3[%arg1] {from = "COEFFS"} : memref<4xi32>
      %5 = arith.extsi %2 : i32 to i64
      %6 = arith.extsi %4 : i32 to i64
      %7 = arith.muli %5, %6 : i64
      %8 = affine.load %arg0[%arg1] {from = "A"} : memref<4xi32>
      %9 = arith.extsi %8 : i32 to i33
      %c0_i33 = arith.constant 0 : i33
      %10 = arith.subi %c0_i33, %9 : i33
      %11 = arith.extsi %10 : i33 to i64
      %12 = arith.select %1, %7, %11 : i64
      %13 = arith.trunci %12 : i64 to i32
      affine.store %13, %alloc[%arg1] {to = "B"} : memref<4xi32>
    } {loop_name = "i", op_name = "S_i_0"}
    return %alloc : memref<4xi32>
  }
  func.func @calls(%arg0: memref<4xi32>, %arg1: f32) -> f32 attributes {allo.itypes = ["i32", "f32"], allo.otypes = ["f32"], itypes = "s_", otypes = "_"} {
    %0 = call @helper(%arg0) {name = "T"} : (memref<4xi32>) -> memref<4xi32>
    %1 = memref.get_global @__stateful_calls_total : memref<f32>
    affine.for %arg2 = 0 to 4 {
      %3 = affine.load %1[] {from = "total"} : memref<f32>
      %4 = affine.load %0[%arg2] {from = "T"} : memref<4xi32>
      %5 = arith.sitofp %4 : i32 to f32
      %6 = arith.mulf %5, %arg1 : f32
      %7 = arith.addf %3, %6 : f32
      affine.store %7, %1[] {to = "total"} : memref<f32>
    } {loop_name = "i", op_name = "S_i_0"}
    %2 = affine.load %1[] {from = "total"} : memref<f32>
    return %2 : f32
  }
}
