module {
  func.func @twopass(%arg0: memref<6x12xi32>) -> memref<6xi32> attributes {allo.itypes = ["i32"], allo.otypes = ["i32"], itypes = "s", otypes = "s"} {
    %alloc = memref.alloc() {name = "out"} : memref<6xi32>
    %c0_i32 = arith.constant 0 : i32
    linalg.fill ins(%c0_i32 : i32) outs(%alloc : memref<6xi32>)
    affine.for %arg1 = 0 to 6 {
      affine.for %arg2 = 0 to 12 {
        %0 = affine.load %alloc[%arg1] {from = "out"} : memref<6xi32>
        %1 = affine.load %arg0[%arg1, %arg2] {from = "X"} : memref<6x12xi32>
        %2 = arith.extsi %0 : i32 to i33
        %3 = arith.extsi %1 : i32 to i33
        %4 = arith.addi %2, %3 : i33
        %5 = arith.trunci %4 : i33 to i32
        affine.store %5, %alloc[%arg1] {to = "out"} : memref<6xi32>
      } {loop_name = "q"}
    } {loop_name = "r", op_name = "S_r_q_0"}
    affine.for %arg1 = 0 to 6 {
      affine.for %arg2 = 0 to 3 {
        %0 = affine.load %alloc[%arg1] {from = "out"} : memref<6xi32>
        %1 = affine.load %arg0[%arg1, %arg2] {from = "X"} : memref<6x12xi32>
        %2 = arith.extsi %0 : i32 to i33
        %3 = arith.extsi %1 : i32 to i33
        %4 = arith.addi %2, %3 : i33
        %5 = arith.trunci %4 : i33 to i32
        affine.store %5, %alloc[%arg1] {to = "out"} : memref<6xi32>
      } {loop_name = "u", reduction}
    } {loop_name = "t", op_name = "S_t_1"}
    affine.for %arg1 = 0 to 6 {
      %0 = affine.load %alloc[%arg1] {from = "out"} : memref<6xi32>
      %1 = arith.extsi %0 : i32 to i64
      %c2_i64 = arith.constant 2 : i64
      %2 = arith.muli %1, %c2_i64 : i64
      %3 = arith.trunci %2 : i64 to i32
      affine.store %3, %alloc[%arg1] {to = "out"} : memref<6xi32>
    } {loop_name = "z", op_name = "S_z_3"}
    return %alloc : memref<6xi32>
  }
}
