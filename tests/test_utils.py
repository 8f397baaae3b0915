"""allo.utils helpers (backends.md §11.2)."""

import numpy as np

import allo
from allo import utils
from allo.ir.types import Fixed, UInt, int32


def test_struct_type_and_round_trip():
    assert utils.get_np_struct_type(256).itemsize == 32
    values = [0, 1, -1, 2**70, -(2**71)]
    arr = utils.make_anywidth_numpy_array(values, 128)
    assert arr.dtype == utils.get_np_struct_type(128)
    assert utils.struct_array_to_int_array(arr, 128).tolist() == values


def test_names_and_widths():
    assert utils.get_bitwidth_from_type("ui17") == 17
    assert utils.get_bitwidth_from_type("fixed(16, 8)") == 16
    assert utils.construct_kernel_name("mm", (1, 2)) == "mm_1_2"
    assert utils.parse_kernel_name("mm_1_2") == ("mm", (1, 2))
    assert utils.np_supported_types["i32"] is np.int32


def test_func_inputs_outputs():
    def k(A: UInt(3)[4], x: Fixed(16, 8)) -> int32[2]:
        B: int32[2] = 0
        return B

    s = allo.customize(k)
    ins, outs = utils.get_func_inputs_outputs(s.top_func)
    assert ins == [("ui3", (4,)), ("fixed(16, 8)", ())]
    assert outs == [("i32", (2,))]
