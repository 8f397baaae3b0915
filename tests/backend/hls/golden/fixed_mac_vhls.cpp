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
void fixed_mac(
  ap_fixed<12, 8> v0[8],
  ap_fixed<8, 2> v1[8],
  ap_fixed<12, 8> v2,
  ap_fixed<16, 8> *v3
) {
  ap_fixed<16, 8> acc;	// L27
  ap_fixed<16, 8> v5 = v2;	// L27
  acc = v5;	// L27
  l_S_i_0_i: for (int i = 0; i < 8; i++) {	// L28
    ap_fixed<16, 8> v7 = acc;	// L29
    ap_fixed<12, 8> v8 = v0[i];	// L29
    ap_fixed<8, 2> v9 = v1[i];	// L29
    ap_fixed<20, 16> v10 = v8;	// L29
    ap_fixed<20, 14> v11 = v9;	// L29
    ap_fixed<20, 10> v12 = v10 * v11;	// L29
    ap_fixed<21, 11> v13 = v7;	// L29
    ap_fixed<21, 11> v14 = v12;	// L29
    ap_fixed<21, 11> v15 = v13 + v14;	// L29
    ap_fixed<16, 8> v16 = v15;	// L29
    acc = v16;	// L29
  }
  ap_fixed<16, 8> v17 = acc;	// L30
  *v3 = v17;	// L30
}
