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
