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
    with pytest.raises(allo.AlloTypeError, match="instantiate= takes a list of template "
                                                 "arguments for widen, got str 'int8'") as info:
        allo.customize(K.widen, instantiate="int8")
    assert info.value.filename == K.__file__
    assert info.value.lineno == _line_of(K.widen, "def widen")


def test_bad_template_argument_is_named():
    with pytest.raises(allo.AlloTypeError) as info:
        allo.customize(K.scale, instantiate=[[1], 4])
    err = info.value
    assert "template argument 1 (Ty) of scale must be an Allo type or a number, got list [1]" \
        in str(err)
    assert "list index out of range" not in str(err)
    assert err.filename == K.__file__ and err.lineno == _line_of(K.scale, "def scale")
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
