"""Every docstring example in the package runs (public functions document a runnable example)."""

import doctest
import importlib
import pkgutil

import pytest

import allo

MODULES = sorted(m.name for m in pkgutil.walk_packages(allo.__path__, "allo."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
