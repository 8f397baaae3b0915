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
extern "C" {

void load_buf0(
  int32_t v0[15],
  int32_t v1[3][5]
) {
  l_S_load_buf0_i: for (int i = 0; i < 3; i++) {	//
    l_j: for (int j = 0; j < 5; j++) {	//
      #pragma HLS pipeline II=1 rewind
      int32_t v4 = v0[((i * 5) + j)];	//
      v1[i][j] = v4;	//
    }
  }
}

void store_res1(
  int32_t v0[3][5],
  int32_t v1[15]
) {
  l_S_store_res1_i: for (int i = 0; i < 3; i++) {	//
    l_j: for (int j = 0; j < 5; j++) {	//
      #pragma HLS pipeline II=1 rewind
      int32_t v4 = v0[i][j];	//
      v1[((i * 5) + j)] = v4;	//
    }
  }
}

/// This is top function.
void scale2(
  int32_t *v0,
  int32_t *v1
) {
  #pragma HLS interface m_axi port=v0 offset=slave bundle=gmem0
  #pragma HLS interface m_axi port=v1 offset=slave bundle=gmem1
  int32_t buf0[3][5];	// L43
  load_buf0(v0, buf0);	// L43
  int32_t Y[3][5];	// L44
  l_S_i_j_0_i: for (int i = 0; i < 3; i++) {	// L45
    l_j: for (int j = 0; j < 5; j++) {	// L45
      int32_t v6 = buf0[i][j];	// L46
      int64_t v7 = v6;	// L46
      int64_t v8 = 2;	// L46
      int64_t v9 = v7 * v8;	// L46
      int32_t v10 = v9;	// L46
      Y[i][j] = v10;	// L46
    }
  }
  store_res1(Y, v1);	// L43
}

} // extern "C"
