"""Templates (language.md §7.3): PEP 695 kernels, instantiate=, ids, bounds. Needs Python 3.12."""

import sys

import numpy as np
import pytest

import allo
from allo.ir.types import float32, int8, int16, int32

pytestmark = pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 695 needs Python 3.12")

if sys.version_info >= (3, 12):
    import importlib.util
    import pathlib

    _spec = importlib.util.spec_from_file_location(
        "kernels_pep695", pathlib.Path(__file__).with_name("kernels_pep695.py"))
    K = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(K)


def test_top_level_instantiate():
    s = allo.customize(K.shift_all, instantiate=[int16, 24])
    assert "memref<24xi16>" in str(s.module)
    V = np.arange(24, dtype=np.int16)
    np.testing.assert_array_equal(s.build()(V, 5), V + 5)


def test_instance_id_names_function():
    s = allo.customize(K.user)
    assert "func.func @shift_all_a" in str(s.module)
    X = np.arange(24, dtype=np.int16)
    np.testing.assert_array_equal(s.build()(X), X + 3)


def test_two_ids_and_unnamed_numbering():
    text = str(allo.customize(K.two_scales).module)
    assert "@scale_lo" in text and "@scale_hi" in text
    text = str(allo.customize(K.unnamed_instances).module)
    assert "func.func @scale(" in text and "func.func @scale_1(" in text
    assert text.count("func.func @scale") == 2


def test_wrong_count_and_bounds():
    with pytest.raises(allo.AlloTypeError, match="type parameters mismatch"):
        allo.customize(K.scale, instantiate=[int32])
    with pytest.raises(allo.AlloTypeError, match="Cannot resolve type"):
        allo.customize(K.shift_all, instantiate=[int16, 2.5])
    with pytest.raises(allo.AlloTypeError, match="called without type arguments"):
        allo.customize(K.no_type_args)


def test_bits_in_annotation():
    s = allo.customize(K.widen, instantiate=[int8])
    assert "i10" in str(s.module)
    assert s.build()(127) == 254 - 1024 * 0 and s.build()(-128) == -256


def test_meta_if_on_template_args():
    X = np.arange(20, dtype=np.int32)
    np.testing.assert_array_equal(allo.customize(K.pick, instantiate=[int32, 20]).build()(X), X - 1)
    Xf = np.arange(8, dtype=np.float32)
    np.testing.assert_array_equal(allo.customize(K.pick, instantiate=[float32, 8]).build()(Xf), Xf * 0.5)
    Xs = np.arange(8, dtype=np.int32)
    np.testing.assert_array_equal(allo.customize(K.pick, instantiate=[int32, 8]).build()(Xs), Xs)


def _line_of(fn, marker: str) -> int:
    import inspect

    lines, start = inspect.getsourcelines(fn)
    return start + next(k for k, line in enumerate(lines) if marker in line)


def test_a_single_type_is_a_one_element_instantiate_list():
    # instantiate=int8 used to loop forever: an Allo type was endlessly iterable
    s = allo.customize(K.widen, instantiate=int8)
    assert "i10" in str(s.module)
    assert s.build()(-128) == -256


def test_instantiate_that_is_not_a_list_is_refused():
    # located where the template arguments are written: the customize call
    with pytest.raises(allo.AlloTypeError, match="instantiate= takes a list of template "
                                                 "arguments for widen, got str 'int8'") as info:
        line = sys._getframe().f_lineno + 1
        allo.customize(K.widen, instantiate="int8")
    assert (info.value.filename, info.value.lineno) == (__file__, line)


def test_bad_template_argument_is_named():
    with pytest.raises(allo.AlloTypeError) as info:
        line = sys._getframe().f_lineno + 1
        allo.customize(K.scale, instantiate=[[1], 4])
    err = info.value
    assert "template argument 1 (Ty) of scale must be an Allo type or a number, got list [1]" \
        in str(err)
    assert "list index out of range" not in str(err)
    assert (err.filename, err.lineno) == (__file__, line)
    assert f"Line: {err.lineno}" in str(err)
    with pytest.raises(allo.AlloTypeError, match=r"template argument 2 \(N\) of scale .* got "
                                                 r"str 'x'"):
        allo.customize(K.scale, instantiate=[int32, "x"])


def test_bad_template_argument_at_a_call_site_points_at_the_call():
    with pytest.raises(allo.AlloTypeError) as info:
        allo.customize(K.bad_template_call)
    err = info.value
    assert "template argument 1 (Ty) of scale" in str(err)
    assert err.filename == K.__file__
    assert err.lineno == _line_of(K.bad_template_call, "# ERR")


def test_unresolvable_call_keeps_the_error():
    with pytest.raises(allo.AlloTypeError, match="called without type arguments: cannot infer N") as err:
        allo.customize(K.no_type_args)
    assert "kernels_pep695.py" in str(err.value) and "filled(X[0])" in str(err.value)


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_inferred_call_inside_template(dtype):
    elem = float32 if dtype == np.float32 else int32
    s = allo.customize(K.affine_twice, instantiate=[elem, 6, 4])
    text = str(s.module)
    assert "func.func @affine_rows(" in text and "func.func @affine_rows_1" not in text
    A = (np.arange(24).reshape(4, 6) % 7).astype(dtype)
    r, c = dtype(3), dtype(2)
    np.testing.assert_array_equal(s.build()(A, r, c), (A * r + c) * c + r)


def test_inferred_shapes_come_from_arguments_before_caller_names():
    s = allo.customize(K.sums_of_both, instantiate=[int32, 3, 5])
    text = str(s.module)
    # two instances of row_sums: (5, 3) for A and (3, 5) for B
    assert "func.func @row_sums(" in text and "func.func @row_sums_1(" in text
    A = np.arange(15, dtype=np.int32).reshape(5, 3)
    B = np.arange(15, dtype=np.int32).reshape(3, 5) * 2
    P, Q = A.sum(axis=1), B.sum(axis=1)
    np.testing.assert_array_equal(s.build()(A, B), P + Q[np.arange(5) % 3])


def test_parameter_only_in_the_result_comes_from_the_caller():
    s = allo.customize(K.broadcast_first, instantiate=[float32, 7])
    A = np.linspace(1, 2, 7).astype(np.float32)
    np.testing.assert_array_equal(s.build()(A), np.full(7, A[0], dtype=np.float32))


def test_conflicting_arguments_are_a_located_error():
    with pytest.raises(allo.AlloTypeError, match="cannot infer T: argument 0 gives i32 but argument 1 gives f32") as err:
        allo.customize(K.calls_mixed_pair)
    assert "mixed_pair(X, Y)" in str(err.value)


def test_constant_arguments_bind_nothing():
    with pytest.raises(allo.AlloTypeError, match="cannot infer T") as err:
        allo.customize(K.calls_with_constant_only)
    assert "fill_like(3)" in str(err.value)
