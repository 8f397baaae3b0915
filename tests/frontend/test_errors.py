"""Bad kernels raise the right AlloError subclass, pointing at the user's line (language.md §0.1, §13)."""

import inspect
import sys
import traceback

import numpy as np
import pytest

import allo
from allo.ir.types import Fixed, Int, UFixed, float32, int8, int32, uint8
from allo.errors import AlloSyntaxError, AlloTypeError, FrontendError

G_ARR = np.arange(4, dtype=np.int32)


def expected_line(fn):
    """Absolute line of the statement marked ``# ERR`` (or the ``def`` line)."""
    lines, start = inspect.getsourcelines(fn)
    for k, line in enumerate(lines):
        if "# ERR" in line:
            return start + k
    for k, line in enumerate(lines):
        if line.lstrip().startswith("def "):
            return start + k
    raise AssertionError("no marker")


def check(fn, cls, fragment, **kw):
    with pytest.raises(cls) as info:
        allo.customize(fn, **kw)
    err = info.value
    assert fragment in str(err), str(err)
    assert isinstance(err, FrontendError)
    assert err.lineno == expected_line(fn), str(err)
    assert err.filename == __file__
    assert f"Line: {err.lineno}" in str(err)
    assert "allo/ir" not in str(err) and "torch_mlir" not in str(err)
    return err


# ----------------------------------------------------------------------------- syntax


def k_lambda_inside(A: int32[4]):
    f = lambda x: x  # ERR  # noqa: E731


def k_try(A: int32[4]):
    try:  # ERR
        A[0] = 1
    except Exception:
        pass


def k_with(A: int32[4]):
    with open("x"):  # ERR
        A[0] = 1


def k_break(A: int32[4]):
    for i in range(4):
        break  # ERR


def k_continue(A: int32[4]):
    for i in range(4):
        continue  # ERR


def k_class(A: int32[4]):
    class Foo:  # ERR
        pass


def k_undefined(A: int32[4]):
    A[0] = undefined_thing + 1  # ERR  # noqa: F821


def k_scope(A: int32[4]):
    for i in range(4):
        tmp: int32 = A[i]
    A[0] = tmp  # ERR  # noqa: F821


def k_shadow(A: int32[4]):
    for A in range(4):  # ERR
        pass


def k_assign_iv(A: int32[4]):
    for i in range(4):
        i = 3  # ERR


def k_print(A: int32[4]):
    print(A)  # ERR


def k_np_call(A: float32[4]):
    A[0] = np.sum(A)  # ERR


def k_chained_assign(A: int32[4]):
    a = b = 0  # ERR


def k_chained_cmp(A: int32[4]):
    if 0 < A[0] < 3:  # ERR
        A[1] = 1


def k_for_else(A: int32[4]):
    for i in range(4):  # ERR
        A[i] = 0
    else:
        A[0] = 1


def k_negative_step(A: int32[4]):
    for i in range(3, 0, -1):  # ERR
        A[i] = 0


def k_for_list(A: int32[4]):
    for x in [1, 2, 3]:  # ERR
        A[0] = x


def k_grid_count(A: int32[4, 4]):
    for i in allo.grid(4, 4):  # ERR
        A[i, 0] = 0


def k_matmul_op(A: int32[4, 4], B: int32[4, 4]) -> int32[4, 4]:
    return A @ B  # ERR


def k_return_in_loop(A: int32[4]) -> int32:
    for i in range(4):
        return A[i]  # ERR


def k_meta_else(A: int32[4]):
    with allo.meta_else():  # ERR
        A[0] = 1


def k_meta_runtime(A: int32[4]):
    with allo.meta_if(A[0] > 1):  # ERR
        A[0] = 1


def k_constexpr_noinit(A: int32[4]):
    n: allo.ir.types.ConstExpr[int32]  # ERR


def k_bad_expr(A: int32[4]):
    A[0] + 1  # ERR


def k_unknown_allo(A: int32[4]):
    B = allo.matmul_error(A, A)  # ERR


def k_is(A: int32[4]):
    if A[0] is A[1]:  # ERR
        A[0] = 2


async def k_async(A: int32[4]):  # ERR
    A[0] = 1


def k_async_nested(A: int32[4]):
    async def inner(x: int32) -> int32:  # ERR
        return x


@pytest.mark.parametrize("fn, fragment", [
    (k_async, 'Unsupported node "AsyncFunctionDef": a kernel cannot be an async function'),
    (k_async_nested, 'Unsupported node "AsyncFunctionDef"'),
    (k_lambda_inside, 'Unsupported node "Lambda"'),
    (k_try, 'Unsupported node "Try"'),
    (k_with, "Unsupported meta function"),
    (k_break, 'Unsupported node "Break"'),
    (k_continue, 'Unsupported node "Continue"'),
    (k_class, 'Unsupported node "ClassDef"'),
    (k_undefined, "is not defined"),
    (k_scope, "name 'tmp' is not defined in this scope"),
    (k_shadow, "Please choose a different name for the loop iterator"),
    (k_assign_iv, "cannot assign to loop variable 'i'"),
    (k_print, "Unsupported function call `print`"),
    (k_np_call, "Unsupported function call"),
    (k_chained_assign, "chained assignment not supported"),
    (k_chained_cmp, "chained comparisons are not supported"),
    (k_for_else, "'else' clause for 'for' not supported in Allo kernels"),
    (k_negative_step, "Step in for loop range should be positive, got: -1"),
    (k_for_list, "Unsupported for loop"),
    (k_grid_count, "grid expects 2 loop variables"),
    (k_matmul_op, "use allo.matmul"),
    (k_return_in_loop, "return inside a loop or a run-time 'if' is not supported"),
    (k_meta_else, "Unmatched allo.meta_else()"),
    (k_meta_runtime, "meta_if condition must be a compile-time constant"),
    (k_constexpr_noinit, "ConstExpr variable 'n' must be initialized"),
    (k_bad_expr, "Unsupported expression"),
    (k_unknown_allo, "Unsupported function call or attribute method `.matmul_error`"),
    (k_is, 'Unsupported node "Is"'),
])
def test_syntax_errors(fn, fragment):
    check(fn, AlloSyntaxError, fragment)


# ----------------------------------------------------------------------------- types


def k_missing_annotation(A: int32[4], b):
    A[0] = b


def k_unknown_type(A: "Undefined[4]"):
    pass


def k_shape_undefined_param(A: "int32[QQ]"):
    pass


def k_shape_undefined_local(A: int32[4]):
    B: int32[4, QQ + 1] = 0  # ERR  # noqa: F821


def k_shape_undefined_result(A: int32[4]) -> "int32[QQ]":
    return A


def k_shape_undefined_multiline(
    A: int32[4],
    B: "int32[2, QQ]",  # ERR
) -> int32[4]:
    return A


def k_fixed_fracs_local(A: int32[4]):
    B: Fixed(8, 10)[4] = 0  # ERR


def k_fixed_fracs_scalar(A: int32[4]):
    x: int32 = 1
    y: Fixed(8, 10) = x  # ERR


def k_ufixed_fracs_param(A: "UFixed(8, 10)[4]"):
    pass


def k_fixed_fracs_result(A: int32[4]) -> "Fixed(8, 10)":
    return 0


@pytest.mark.parametrize("fn, written", [
    (k_fixed_fracs_local, "Fixed(8, 10)"),
    (k_fixed_fracs_scalar, "Fixed(8, 10)"),
    (k_ufixed_fracs_param, "UFixed(8, 10)"),
    (k_fixed_fracs_result, "Fixed(8, 10)"),
])
def test_fixed_with_more_fraction_bits_than_width(fn, written):
    check(fn, AlloTypeError,
          f"{written}: Number of fractional bits (10) exceeds the bitwidth (8).")


def test_fixed_with_more_fraction_bits_than_width_in_python():
    for make, written in [(lambda: Fixed(8, 10), "Fixed(8, 10)"),
                          (lambda: UFixed(3, 4), "UFixed(3, 4)")]:
        with pytest.raises(allo.DTypeError) as info:
            make()
        assert isinstance(info.value, (allo.AlloError, TypeError))
        assert str(info.value).startswith(f"{written}: Number of fractional bits")
    # a parameter annotation is evaluated by Python when the def runs: the same DTypeError,
    # raised at the def line
    code = "def k(A: Fixed(8, 10)[4]):\n    pass\n"
    with pytest.raises(allo.DTypeError, match=r"Fixed\(8, 10\): Number of fractional") as info:
        exec(compile(code, "<user kernel>", "exec"), {"Fixed": Fixed})  # noqa: S102
    frames = [f for f in traceback.extract_tb(info.tb) if f.filename == "<user kernel>"]
    assert [f.lineno for f in frames] == [1]


@pytest.mark.parametrize("fn, annotation", [
    (k_shape_undefined_param, "int32[QQ]"),
    (k_shape_undefined_local, "int32[4, QQ + 1]"),
    (k_shape_undefined_result, "int32[QQ]"),
    (k_shape_undefined_multiline, "int32[2, QQ]"),
])
def test_undefined_name_in_a_shape_is_named(fn, annotation):
    err = check(fn, AlloSyntaxError,
                f"name 'QQ' is not defined (in the type annotation `{annotation}`)")
    assert "Unsupported type" not in str(err)


def k_bad_redeclare(A: int32[4]):
    x: int32 = 0
    x: float32 = 1.0  # ERR


def k_shape_list(A: int32[2, 2]):
    B: int32[2, 2] = [[1, 2, 3], [4, 5, 6]]  # ERR


def k_broadcast(A: int32[4, 3], B: int32[2]) -> int32[4, 3]:
    return A + B  # ERR


def helper4(X: int32[4]) -> int32[4]:
    return X


def k_arg_shape(A: int32[8]) -> int32[4]:
    return helper4(A)  # ERR


def k_arg_dtype(A: int8[4]) -> int32[4]:
    return helper4(A)  # ERR


def k_missing_return(A: int32[4]) -> int32:
    A[0] = 1


def k_mismatch_sig(A: int32[4]) -> int32:
    return  # ERR


def k_no_result(A: int32[4]):
    return A[0]  # ERR


def k_return_shape(A: int32[4]) -> int32[8]:
    return A  # ERR


def k_bit_float(a: float32) -> float32:
    b = a[0]  # ERR
    return a


def k_reverse_float(a: float32) -> float32:
    b = a.reverse()  # ERR
    return a


def k_bitcast_24(a: Int(24)) -> float32:
    return a.bitcast()  # ERR


def k_neg_index(A: int32[4]):
    A[-1] = 0  # ERR


def k_out_of_range(A: int32[4]):
    A[4] = 0  # ERR


def k_shift_float(a: float32) -> float32:
    return a << 1  # ERR


def k_bit_and_fixed(a: Fixed(8, 3)) -> Fixed(8, 3):
    return a & a  # ERR


def k_slice_width(a: int32, b: int32) -> int32:
    return a[b:3]  # ERR


def k_slice_order(a: int32) -> int32:
    return a[4:2]  # ERR


def k_zero_dim(A: int32[0]):
    pass


def k_ragged_list(A: int32[4]):
    B: int32[2, 2] = [[1, 2], [3]]  # ERR


def k_list_mixing_rows_and_numbers(A: int32[4]):
    B: int32[2, 2, 2] = [[[1, 2], [3, 4]], [5, 6]]  # ERR


def k_np_shape(A: int32[5]):
    B: int32[5] = G_ARR  # ERR


def k_template_nogen(A: int32[4]) -> int32[4]:
    return A


@pytest.mark.parametrize("fn, fragment", [
    (k_missing_annotation, "missing type annotation for parameter 'b'"),
    (k_unknown_type, "Unsupported type `Undefined`"),
    (k_bad_redeclare, "Invalid assignment to x, type mismatch"),
    (k_shape_list, "Shape mismatch, got (2, 3) and (2, 2)"),
    (k_broadcast, "cannot be broadcasted"),
    (k_arg_shape, "Argument 0 of helper4 shape mismatch, got (8,) and (4,)"),
    (k_arg_dtype, "dtype mismatch"),
    (k_missing_return, "Missing return statement"),
    (k_mismatch_sig, "Mismatch in function signature"),
    (k_no_result, "Return value should have a dtype in function signature"),
    (k_return_shape, "return shape mismatch"),
    (k_bit_float, "Can only access bit (slice) for integers"),
    (k_reverse_float, "Can only reverse integers"),
    (k_bitcast_24, "Unsupported bitwidth 24"),
    (k_neg_index, "Unsupported negative index"),
    (k_out_of_range, "Index out of range"),
    (k_shift_float, "operator '<<' is not defined for types f32"),
    (k_bit_and_fixed, "is not defined for types"),
    (k_slice_width, "cannot infer the width of the bit slice"),
    (k_slice_order, "upper bound must be greater than lower bound"),
    (k_zero_dim, "positive"),
    (k_np_shape, "`G_ARR` shape mismatch"),
    (k_ragged_list, "ragged nested list: its rows have lengths 1, 2"),
    (k_list_mixing_rows_and_numbers, "ragged nested list: it mixes nested lists and numbers"),
])
def test_type_errors(fn, fragment):
    check(fn, AlloTypeError, fragment)


def test_customize_lambda():
    with pytest.raises(AlloSyntaxError, match="Lambda"):
        allo.customize(lambda x: x)


def test_error_is_systemexit_and_allo_error():
    for cls in (SystemExit, allo.AlloError):
        with pytest.raises(cls):
            allo.customize(k_print)
    try:
        allo.customize(k_print)
    except SystemExit as err:
        assert err.code.startswith("AlloSyntaxError: ")
        assert "print(A)" in err.code


def test_message_format():
    err = check(k_print, AlloSyntaxError, "print")
    lines = str(err).splitlines()
    assert lines[1] == f'  File "{__file__}", Line: {err.lineno}, in k_print'
    assert lines[2] == "    print(A)  # ERR"
    assert (err.func_name, err.source) == ("k_print", "print(A)  # ERR")


def test_error_in_callee_points_at_callee():
    def bad_callee(A: int32[4]):
        A[0] = nothing_here  # ERR  # noqa: F821

    def top(A: int32[4]):
        bad_callee(A)

    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(top)
    assert info.value.lineno == expected_line(bad_callee)
    assert info.value.func_name == "bad_callee"


def test_async_callee_points_at_its_def():
    def top(A: int32[4]):
        k_async(A)

    with pytest.raises(AlloSyntaxError, match="AsyncFunctionDef") as info:
        allo.customize(top)
    assert (info.value.filename, info.value.lineno) == (__file__, expected_line(k_async))
    assert info.value.func_name == "k_async"


def test_async_kernel_in_a_source_string():
    with pytest.raises(AlloSyntaxError, match="cannot be an async function") as info:
        allo.customize("async def k(A: int32[4]):\n    A[0] = 1\n")
    assert info.value.lineno == 1 and "async def k" in str(info.value)


class NotAKernel:
    pass


@pytest.mark.parametrize("thing, fragment", [
    (print, "customize expects a kernel function, got builtin_function_or_method 'print'"),
    (NotAKernel, "customize expects a kernel function, got type 'NotAKernel'"),
    (5, "customize expects a kernel function, got int"),
    ("this is not python", "the source string holds no function definition"),
    ("def k(A: int32[4]:\n    A[0] = 1\n", "the kernel source string is not valid Python: "),
])
def test_customize_of_a_non_kernel_names_the_callers_line(thing, fragment):
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(thing)  # CALL
    err = info.value
    assert fragment in str(err)
    assert (err.filename, err.func_name) == (__file__, inspect.currentframe().f_code.co_name)
    assert err.lineno == line_marked(test_customize_of_a_non_kernel_names_the_callers_line,
                                     "# CALL")
    assert f"Line: {err.lineno}" in str(err) and "allo.customize(thing)" in str(err)


def test_source_string_syntax_error_names_its_line_in_the_string():
    with pytest.raises(AlloSyntaxError, match=r"not valid Python: .* \(line 3 of the string\)"):
        allo.customize("def k(A: int32[4]):\n    A[0] = 1\n    A[1] = = 2\n")


def line_marked(fn, marker: str) -> int:
    lines, start = inspect.getsourcelines(fn)
    return start + next(k for k, line in enumerate(lines) if marker in line)


@pytest.mark.parametrize("rule_set", ["python-style", "Default", None, 5])
def test_unknown_typing_rule_set_names_the_valid_ones(rule_set):
    with pytest.raises(AlloTypeError) as info:
        line = sys._getframe().f_lineno + 1
        allo.customize(k_store_one, typing_rule_set=rule_set)
    assert f"unknown typing_rule_set {rule_set!r}; the rule sets are 'default', 'cpp-style'" \
        == info.value.message
    # an option of the customize call: located at that call
    assert (info.value.filename, info.value.lineno) == (__file__, line)


def k_store_one(A: int32[4]):
    A[0] = 1


def test_known_typing_rule_sets_are_taken():
    for rule_set in ("default", "cpp-style"):
        A = np.zeros(4, dtype=np.int32)
        allo.customize(k_store_one, typing_rule_set=rule_set).build()(A)
        assert A[0] == 1


def test_uint8_param_ok():
    def fine(A: uint8[4]) -> uint8[4]:
        return A

    allo.customize(fine)


def k_recursive(A: int32[4]):
    k_recursive(A)  # ERR


def k_kwargs_call(A: int32[4]) -> int32[4]:
    return helper4(X=A)  # ERR


def k_walrus(A: int32[4]):
    if (n := A[0]) > 1:  # ERR
        A[1] = n


def k_listcomp(A: int32[4]):
    B = [A[i] for i in range(4)]  # ERR


def k_in(A: int32[4]):
    if A[0] in A:  # ERR
        A[1] = 0


def k_constexpr_reassign(A: int32[4]):
    n: allo.ir.types.ConstExpr[int32] = 4
    n = 5  # ERR


def k_capture(A: int32[4]):
    B: int32[4] = 0

    def inner(X: int32[4]):
        X[0] = B[0]  # ERR

    inner(A)


def k_fn_name_conflict(A: int32[4]):
    def A(X: int32[4]):  # ERR
        pass


def k_arg_name_conflict(A: int32[4]):
    def inner(A: int32[4]):  # ERR
        pass


G_DICT = {"a": 1}


def k_global_obj(A: int32[4]):
    A[0] = G_DICT  # ERR


G_LABEL = "abc"


def k_global_string_value(A: int32[4]):
    A[0] = G_LABEL  # ERR


def k_global_module_value(A: int32[4]) -> int32:
    return np  # ERR


def k_nonlocal_never_called(A: int32[4]):
    def inner(B: int32[4]):
        nonlocal A  # ERR
        B[0] = 1


def k_global_in_nested(A: int32[4]):
    def inner(B: int32[4]):
        if B[0] > 0:
            global G_DICT  # ERR
        B[0] = 1

    inner(A)


@pytest.mark.parametrize("fn, fragment", [
    (k_nonlocal_never_called, 'Unsupported node "Nonlocal"'),
    (k_global_in_nested, 'Unsupported node "Global"'),
    (k_recursive, "recursive call to 'k_recursive'"),
    (k_kwargs_call, "keyword arguments"),
    (k_walrus, 'Unsupported node "NamedExpr"'),
    (k_listcomp, 'Unsupported node "ListComp"'),
    (k_in, 'Unsupported node "In"'),
    (k_constexpr_reassign, "cannot assign to ConstExpr variable 'n'"),
    (k_capture, "nested function 'inner' cannot capture run-time variable 'B'"),
    (k_fn_name_conflict, "Function name 'A' conflicts with an existing symbol"),
    (k_arg_name_conflict, "Argument name 'A' conflicts with an existing symbol"),
    (k_global_obj, "Unsupported global variable `G_DICT`"),
    (k_global_string_value, "Unsupported global variable `G_LABEL`"),
    (k_global_module_value, "Unsupported global variable `np`"),
])
def test_more_syntax_errors(fn, fragment):
    check(fn, AlloSyntaxError, fragment)
