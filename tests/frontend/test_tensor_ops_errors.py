"""Bad whole-array builtin calls (language.md §6.2): error class, message, and the user's line."""

import inspect

import pytest

import allo
from allo.errors import AlloSyntaxError, AlloTypeError, FrontendError
from allo.ir.types import float32, int32


def expected_line(fn):
    """Absolute line of the statement marked ``# ERR``."""
    lines, start = inspect.getsourcelines(fn)
    for k, line in enumerate(lines):
        if "# ERR" in line:
            return start + k
    raise AssertionError("no # ERR marker")


def check(fn, cls, fragment):
    with pytest.raises(cls) as info:
        allo.customize(fn)
    err = info.value
    assert isinstance(err, FrontendError)
    assert fragment in str(err), str(err)
    assert err.lineno == expected_line(fn), str(err)
    assert err.filename == __file__
    assert "torch_mlir" not in str(err) and "Traceback" not in str(err)
    return err


def k_matmul_inner(A: float32[4, 5], B: float32[6, 3]):
    C = allo.matmul(A, B)  # ERR


def k_matmul_batch(A: float32[2, 4, 5], B: float32[3, 5, 3]):
    C = allo.matmul(A, B)  # ERR


def k_matmul_rank1(A: float32[4], B: float32[4, 3]):
    C = allo.matmul(A, B)  # ERR


def k_matmul_scalar(A: float32[4, 4], b: float32):
    C = allo.matmul(A, b)  # ERR


def k_bmm_2d(A: float32[4, 5], B: float32[5, 3]):
    C = allo.bmm(A, B)  # ERR


def k_bmm_batch(A: float32[2, 4, 5], B: float32[3, 5, 3]):
    C = allo.bmm(A, B)  # ERR


def k_bmm_inner(A: float32[2, 4, 5], B: float32[2, 4, 3]):
    C = allo.bmm(A, B)  # ERR


def k_linear_weight_3d(X: float32[4, 5], W: float32[2, 3, 5]):
    C = allo.linear(X, W)  # ERR


def k_linear_k(X: float32[4, 5], W: float32[3, 6]):
    C = allo.linear(X, W)  # ERR


def k_linear_bias(X: float32[4, 5], W: float32[3, 5], b: float32[4]):
    C = allo.linear(X, W, bias=b)  # ERR


def k_add_shapes(A: int32[4, 3], B: int32[2]):
    C = allo.add(A, B)  # ERR


def k_softmax_int(A: int32[4, 3]):
    C = allo.softmax(A)  # ERR


def k_layernorm_gamma(X: float32[4, 8], g: float32[4], b: float32[8]):
    C = allo.layernorm(X, g, b)  # ERR


def k_tril_3d(A: int32[2, 3, 3]):
    C = allo.tril(A)  # ERR


def k_transpose_axes(A: int32[2, 3, 4]):
    C = allo.transpose(A, (0, 0, 1))  # ERR


def k_transpose_rank(A: int32[2, 3, 4]):
    C = allo.transpose(A, axes=(1, 0))  # ERR


def k_view_count(A: int32[12, 5]):
    C = allo.view(A, (7, 8))  # ERR


def k_view_runtime_shape(A: int32[12, 5], n: int32):
    C = allo.view(A, shape=(n, 5))  # ERR


def k_concat_rank(A: int32[2, 3], B: int32[2, 3, 1]):
    C = allo.concat(A, B)  # ERR


def k_concat_shape(A: int32[2, 3, 4], B: int32[2, 4, 5]):
    C = allo.concat(A, B, axis=2)  # ERR


def k_concat_axis(A: int32[2, 3], B: int32[2, 3]):
    C = allo.concat(A, B, axis=2)  # ERR


def k_conv_channels(X: float32[1, 3, 6, 6], W: float32[2, 4, 3, 3]):
    C = allo.conv2d(X, W)  # ERR


def k_conv_rank(X: float32[3, 6, 6], W: float32[2, 3, 3, 3]):
    C = allo.conv2d(X, W)  # ERR


def k_maxpool_window(X: float32[1, 3, 6, 6], win: float32[2, 2, 2]):
    C = allo.maxpool(X, win)  # ERR


def k_sumpool_input(X: float32[3, 6, 6], win: float32[2, 2]):
    C = allo.sumpool(X, win)  # ERR


def k_ones_dtype(A: int32[2]):
    C = allo.ones((2, 2), dtype="int32")  # ERR


def k_unknown_keyword(A: float32[4, 4], B: float32[4, 4]):
    C = allo.matmul(A, B, transpose_b=True)  # ERR


def k_softmax_axis_keyword(A: float32[4, 4]):
    C = allo.softmax(A, axis=0)  # ERR


def k_name_not_string(A: float32[4, 4], B: float32[4, 4]):
    C = allo.matmul(A, B, name=3)  # ERR


def k_inside_loop(A: float32[4, 5], B: float32[6, 3]):
    for i in range(2):
        C = allo.matmul(A, B)  # ERR


def helper_bad_view(A: int32[12, 5]) -> int32[7, 8]:
    return allo.view(A, (7, 8))  # ERR


def k_calls_helper(A: int32[12, 5]):
    C = helper_bad_view(A)


def k_multiline(A: float32[4, 5], B: float32[6, 3]):
    C = allo.add(  # ERR
        A,
        allo.matmul(A, B),
    )


CASES = [
    (k_matmul_inner, AlloTypeError, "The last dimension of the first input and the second last "
     "dimension of the second input must be the same, got (4, 5) and (6, 3)"),
    (k_matmul_batch, AlloTypeError, "identical batch dimensions, got (2, 4, 5) and (3, 5, 3)"),
    (k_matmul_rank1, AlloTypeError, "rank >= 2"),
    (k_matmul_scalar, AlloTypeError, "expects an array"),
    (k_bmm_2d, AlloTypeError, "Only support batch matrix multiplication of two 3D inputs"),
    (k_bmm_batch, AlloTypeError, "same batch size"),
    (k_bmm_inner, AlloTypeError, "The last dimension of the first input"),
    (k_linear_weight_3d, AlloTypeError, "expects a 2-D weight, got shape (2, 3, 5)"),
    (k_linear_k, AlloTypeError, "got (4, 5) and (3, 6)"),
    (k_linear_bias, AlloTypeError, "bias shape mismatch, got (4,) and (3,)"),
    (k_add_shapes, AlloTypeError, "Shape mismatch, got (4, 3) and (2,), and cannot be broadcasted"),
    (k_softmax_int, AlloTypeError, "expects a float array, got i32"),
    (k_layernorm_gamma, AlloTypeError, "gamma shape mismatch, got (4,) and (8,)"),
    (k_tril_3d, AlloTypeError, "expects a 2-D array, got shape (2, 3, 3)"),
    (k_transpose_axes, AlloTypeError, "Transpose shape mismatch"),
    (k_transpose_rank, AlloTypeError, "Transpose shape mismatch"),
    (k_view_count, AlloTypeError, "cannot view (12, 5) as (7, 8)"),
    (k_view_runtime_shape, AlloTypeError, "must be a compile-time constant"),
    (k_concat_rank, AlloTypeError, "Concatenation requires the same number of dimensions"),
    (k_concat_shape, AlloTypeError, "the same shape except the concatenation axis 2"),
    (k_concat_axis, AlloTypeError, "axis 2 is out of range"),
    (k_conv_channels, AlloTypeError, "channel mismatch"),
    (k_conv_rank, AlloTypeError, "expects 4-D input"),
    (k_maxpool_window, AlloTypeError, "expects a 2-D window, got shape (2, 2, 2)"),
    (k_sumpool_input, AlloTypeError, "expects a 4-D input"),
    (k_ones_dtype, AlloTypeError, "must be an Allo type, int or float"),
    (k_unknown_keyword, AlloSyntaxError, "unexpected keyword argument 'transpose_b'"),
    (k_softmax_axis_keyword, AlloSyntaxError, "unexpected keyword argument 'axis'"),
    (k_name_not_string, AlloTypeError, "must be a non-empty string"),
    (k_inside_loop, AlloTypeError, "got (4, 5) and (6, 3)"),
    (k_multiline, AlloTypeError, "The last dimension of the first input"),
]


@pytest.mark.parametrize("fn,cls,fragment", CASES, ids=[c[0].__name__ for c in CASES])
def test_builtin_errors(fn, cls, fragment):
    check(fn, cls, fragment)


def test_error_in_a_callee_points_at_the_callee_line():
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k_calls_helper)
    err = info.value
    assert "cannot view (12, 5) as (7, 8)" in str(err)
    assert err.lineno == expected_line(helper_bad_view)
    assert err.func_name == "helper_bad_view"
    assert "return allo.view(A, (7, 8))" in str(err)


def test_errors_are_catchable_as_system_exit_and_allo_error():
    with pytest.raises(SystemExit):
        allo.customize(k_view_count)
    with pytest.raises(allo.AlloError):
        allo.customize(k_bmm_2d)
