//===------------------------------------------------------------*- C++ -*-===//
//
// Automatically generated file for High-level Synthesis (HLS).
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <ap_axi_sdata.h>
#include <ap_fixed.h>
#include <ap_int.h>
#include <hls_math.h>
#include <hls_stream.h>
#include <hls_vector.h>
#include <math.h>
#include <stdint.h>
using namespace std;

/// This is top function.
void bits(
  ap_uint<12> v0[6],
  bool v1,
  int8_t v2[6]
) {
  l_S_i_0_i: for (int i = 0; i < 6; i++) {	// L35
    ap_uint<12> v;	// L36
    ap_uint<12> v5 = v0[i];	// L36
    v = v5;	// L36
    if (v1) {	// L37
      ap_uint<12> v6 = v;	// L38
      bool v7 = 1;	// L38
      int v8 = 3;	// L38
      ap_uint<12> v9;	// L38
      ap_uint<12> v9_bits = v6;
      v9_bits[v8] = v7;
      v9 = v9_bits;
      v = v9;	// L38
    }
    ap_uint<12> v10 = v;	// L39
    int v11 = 0;	// L39
    uint8_t v12 = ap_uint<12>(v10).range(v11 + 7, v11);	// L39
    ap_uint<12> v13 = v;	// L39
    int v14 = 11;	// L39
    bool v15 = ap_uint<12>(v13)[v14];	// L39
    ap_uint<9> v16 = v12;	// L39
    ap_uint<9> v17 = v15;	// L39
    ap_uint<9> v18 = v16 + v17;	// L39
    int8_t v19 = v18;	// L39
    v2[i] = v19;	// L39
  }
}
