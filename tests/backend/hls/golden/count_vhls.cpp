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

const int16_t table[4] = {3, -1, 7, 250};

/// This is top function.
void count(
  float v0[4],
  int16_t v1,
  float *v2
) {
  static int32_t __stateful_count_n = {0};
  int v3 = 0;	//
  int v4 = 4;	//
  int v5 = 1;	//
  float v6 = (float)0;	//
  int v7 = v3;	//
  float v8 = v6;	//
  int v9;	//
  float v10;	//
  while (true) {	//
    bool v11 = v7 < v4;	//
    v9 = v7;	//
    v10 = v8;	//
    if (!(v11)) break;	//
    float v12 = v0[v9];	//
    int16_t v13 = table[v9];	//
    int16_t v14 = v13 * v1;	//
    float v15 = v14;	//
    int32_t v16;	//
    union { float from; int32_t to;} _converter_v12_to_v16;
    _converter_v12_to_v16.from = v12;
    v16 = _converter_v12_to_v16.to;
    float v17 = v10 + v15;	//
    int v18 = v9 + v5;	//
    int v7_next = v18;	//
    float v8_next = v17;	//
    v7 = v7_next;	//
    v8 = v8_next;	//
  }
  int32_t v19 = __stateful_count_n;	//
  int32_t v20 = 1;	//
  int32_t v21 = v19 + v20;	//
  __stateful_count_n = v21;	//
  *v2 = v10;	//
}
