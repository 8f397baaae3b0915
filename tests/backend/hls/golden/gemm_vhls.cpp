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
void gemm(
  float v0[16][12],
  float v1[12][8],
  float v2[16][8]
) {
  #pragma HLS array_partition variable=v0 cyclic dim=2 factor=4

  float v3 = (float)0;	// L10
  l_v4: for (int v4 = 0; v4 < 16; v4++) {	// L10
    l_v5: for (int v5 = 0; v5 < 8; v5++) {	// L10
      v2[v4][v5] = v3;	// L10
    }
  }
  l_S_i_j_0_i_outer: for (int i_outer = 0; i_outer < 4; i_outer++) {	// L11
    l_j: for (int j = 0; j < 8; j++) {	// L11
      l_i_inner: for (int i_inner = 0; i_inner < 4; i_inner++) {	// L11
        l_k: for (int k = 0; k < 12; k++) {	// L12
          #pragma HLS pipeline II=1
          float v10 = v2[((i_outer * 4) + i_inner)][j];	// L13
          float v11 = v0[((i_outer * 4) + i_inner)][k];	// L13
          float v12 = v1[k][j];	// L13
          float v13 = v11 * v12;	// L13
          float v14 = v10 + v13;	// L13
          v2[((i_outer * 4) + i_inner)][j] = v14;	// L13
        }
      }
    }
  }
}
