module {
  func.func @scale_add(%arg0: memref<6x10xi8>, %arg1: i8) -> memref<6x10xi16> attributes {allo.itypes = ["i8", "i8"], allo.otypes = ["i16"], itypes = "ss", otypes = "s"} {
    %alloc = memref.alloc() {name = "R"} : memref<6x10xi16>
    %c0_i16 = arith.constant 0 : i16
    linalg.fill ins(%c0_i16 : i16) outs(%alloc : memref<6x10xi16>)
    affine.for %arg2 = 0 to 6 {
      affine.for %arg3 = 0 to 10 {
        %0 = affine.load %arg0[%arg2, %arg3] {from = "P"} : memref<6x10xi8>
        %1 = arith.extsi %0 : i8 to i40
        %c3_i40 = arith.constant 3 : i40
        %2 = arith.muli %1, %c3_i40 : i40
        %3 = arith.extsi %2 : i40 to i41
        %4 = arith.extsi %arg1 : i8 to i41
        %5 = arith.addi %3, %4 : i41
        %6 = arith.trunci %5 : i41 to i16
        affine.store %6, %alloc[%arg2, %arg3] {to = "R"} : memref<6x10xi16>
      } {loop_name = "v"}
    } {loop_name = "u", op_name = "S_u_v_0"}
    return %alloc : memref<6x10xi16>
  }
}
