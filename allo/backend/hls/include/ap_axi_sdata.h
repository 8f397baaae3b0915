// Copyright Allo authors. All Rights Reserved.
// SPDX-License-Identifier: Apache-2.0
//
// AXI4-Stream side-channel structs (ap_axis / ap_axiu / hls::axis) for C simulation.
#ifndef ALLO_AP_AXI_SDATA_H
#define ALLO_AP_AXI_SDATA_H

#include <ap_int.h>

#define ALLO_AXI_W(n) ((n) > 0 ? (n) : 1)

template <int D, int U, int TI, int TD>
struct ap_axis {
  ap_int<D> data;
  ap_uint<ALLO_AXI_W((D + 7) / 8)> keep;
  ap_uint<ALLO_AXI_W((D + 7) / 8)> strb;
  ap_uint<ALLO_AXI_W(U)> user;
  ap_uint<1> last;
  ap_uint<ALLO_AXI_W(TI)> id;
  ap_uint<ALLO_AXI_W(TD)> dest;
};

template <int D, int U, int TI, int TD>
struct ap_axiu {
  ap_uint<D> data;
  ap_uint<ALLO_AXI_W((D + 7) / 8)> keep;
  ap_uint<ALLO_AXI_W((D + 7) / 8)> strb;
  ap_uint<ALLO_AXI_W(U)> user;
  ap_uint<1> last;
  ap_uint<ALLO_AXI_W(TI)> id;
  ap_uint<ALLO_AXI_W(TD)> dest;
};

namespace hls {
template <typename T, int U = 0, int TI = 0, int TD = 0>
struct axis {
  T data;
  ap_uint<ALLO_AXI_W((int)((sizeof(T) * 8 + 7) / 8))> keep;
  ap_uint<ALLO_AXI_W((int)((sizeof(T) * 8 + 7) / 8))> strb;
  ap_uint<ALLO_AXI_W(U)> user;
  ap_uint<1> last;
  ap_uint<ALLO_AXI_W(TI)> id;
  ap_uint<ALLO_AXI_W(TD)> dest;
};
}  // namespace hls

#endif  // ALLO_AP_AXI_SDATA_H
