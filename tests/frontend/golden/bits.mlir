module {
  func.func @bits(%arg0: i32, %arg1: i32) -> i8 attributes {allo.itypes = ["ui32", "i32"], allo.otypes = ["ui8"], itypes = "us", otypes = "u"} {
    %alloc = memref.alloc() {allo.type = "ui32", name = "y", unsigned} : memref<i32>
    affine.store %arg0, %alloc[] {to = "y"} : memref<i32>
    %0 = affine.load %alloc[] {allo.type = "ui32", from = "y"} : memref<i32>
    %c5_i4 = arith.constant {allo.type = "ui4"} 5 : i4
    %c0 = arith.constant 0 : index
    %1 = "allo.set_slice"(%0, %c0, %c5_i4) {allo.type = "ui32"} : (i32, index, i4) -> i32
    affine.store %1, %alloc[] {to = "y"} : memref<i32>
    %c28 = arith.constant 28 : index
    %2 = "allo.get_slice"(%arg0, %c28) {allo.type = "ui4"} : (i32, index) -> i4
    %c3 = arith.constant 3 : index
    %3 = "allo.get_bit"(%arg0, %c3) : (i32, index) -> i1
    %4 = arith.extui %2 {allo.type = "ui5"} : i4 to i5
    %5 = arith.extui %3 {allo.type = "ui5"} : i1 to i5
    %6 = arith.addi %4, %5 {allo.type = "ui5"} : i5
    %alloc_0 = memref.alloc() {allo.type = "ui5", name = "z", unsigned} : memref<i5>
    affine.store %6, %alloc_0[] {to = "z"} : memref<i5>
    %true = arith.constant true
    %7 = affine.load %alloc[] {allo.type = "ui32", from = "y"} : memref<i32>
    %8 = affine.load %alloc_0[] {allo.type = "ui5", from = "z"} : memref<i5>
    %9 = arith.extui %8 {allo.type = "ui32"} : i5 to i32
    %10 = arith.xori %7, %9 {allo.type = "ui32"} : i32
    %11 = arith.extsi %arg1 : i32 to i33
    %c8_i33 = arith.constant 8 : i33
    %12 = arith.addi %11, %c8_i33 : i33
    %13 = arith.index_cast %arg1 : i32 to index
    %14 = "allo.get_slice"(%10, %13) {allo.type = "ui8"} : (i32, index) -> i8
    %15 = arith.extui %14 : i8 to i32
    %c0_i32 = arith.constant 0 : i32
    %16 = arith.select %true, %15, %c0_i32 : i32
    %17 = arith.trunci %16 {allo.type = "ui8"} : i32 to i8
    return %17 : i8
  }
}
