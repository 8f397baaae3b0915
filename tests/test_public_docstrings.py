"""Every public function, class and method has a docstring that names its parameters.

The public API is what a user reaches from ``import allo``: the names ``allo`` exports, the
methods of the objects they return (schedules with every primitive, built modules), and the
public modules users import (``allo.dataflow``, ``allo.ir.types``, ``allo.passes``,
``allo.utils``, ``allo.backend.hls``, ``allo.cli``).
"""

from __future__ import annotations

import inspect
import re
import types

import pytest

import allo
import allo.backend.hls
import allo.cli
import allo.dataflow
import allo.passes
import allo.utils
from allo.ir import types as allo_types

PUBLIC_MODULES = [allo, allo.dataflow, allo.passes, allo.utils, allo.cli, allo_types]
EXTRA = {
    "allo.backend.hls.is_available": allo.backend.hls.is_available,
    "allo.frontend.from_pytorch": allo.frontend.from_pytorch,
}
# Exported names that are data or re-exported modules, not functions/classes to document here.
SKIPPED_TYPES = (types.ModuleType,)


def exported(module) -> dict[str, object]:
    """Public callables of ``module``: its ``__all__`` or its non-underscore names defined in
    the ``allo`` package."""
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    found = {}
    for name in names:
        value = getattr(module, name, None)
        if isinstance(value, SKIPPED_TYPES) or not callable(value):
            continue
        owner = getattr(value, "__module__", "") or ""
        if not owner.startswith("allo"):
            continue  # numpy, typing, ... re-exported for convenience
        found[f"{module.__name__}.{name}"] = value
    return found


def methods(cls: type) -> dict[str, object]:
    """Public methods and properties defined by ``cls`` itself."""
    found = {}
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if callable(value) or isinstance(value, property):
            found[f"{cls.__module__}.{cls.__qualname__}.{name}"] = value
    return found


def public_api() -> dict[str, object]:
    api = {}
    for module in PUBLIC_MODULES:
        api.update(exported(module))
    api.update(EXTRA)
    for cls in (allo.Schedule, allo.LLVMModule, allo.HLSModule, allo.IPModule):
        api[f"{cls.__module__}.{cls.__qualname__}"] = cls
        api.update(methods(cls))
    return api


API = public_api()


def parameter_names(value) -> list[str]:
    """Names a docstring must mention: the parameters after ``self``/``cls``."""
    if isinstance(value, property) or inspect.isclass(value):
        target = value.__init__ if inspect.isclass(value) else None
    else:
        target = value
    if target is None or target is object.__init__:
        return []
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return []
    return [p.name for p in signature.parameters.values()
            if p.name not in ("self", "cls") and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def docstring_of(value) -> str:
    doc = inspect.getdoc(value.fget if isinstance(value, property) else value) or ""
    if inspect.isclass(value) and value.__init__ is not object.__init__:
        doc += "\n" + (inspect.getdoc(value.__init__) or "")
    return doc


def test_the_public_api_is_large():
    assert len(API) > 80
    for primitive in ("split", "reorder", "pipeline", "partition", "reuse_at", "to", "compose"):
        assert f"allo.schedule.schedule.Schedule.{primitive}" in API


@pytest.mark.parametrize("name", sorted(API))
def test_public_object_has_a_docstring_naming_its_parameters(name):
    value = API[name]
    doc = docstring_of(value)
    assert doc.strip(), f"{name} has no docstring"
    missing = [p for p in parameter_names(value)
               if not re.search(rf"(?<![\w]){re.escape(p)}(?![\w])", doc)]
    assert not missing, f"the docstring of {name} does not mention parameter(s) {missing}"


def test_build_lists_its_targets_and_modes():
    doc = inspect.getdoc(allo.Schedule.build)
    for target in ("llvm", "vhls", "vivado_hls", "vitis_hls", "pynq", "tapa", "ihls", "catapult",
                   "simulator"):
        assert f'"{target}"' in doc, target
    for mode in ("csim", "csyn", "cosim", "impl", "sw_emu", "hw_emu", "hw", "fast_hw_emu"):
        assert f'"{mode}"' in doc, mode


def primitive_functions() -> dict[str, object]:
    from allo.schedule.registry import PRIMITIVES
    return {name: entry.fn for name, entry in sorted(PRIMITIVES.items())}


@pytest.mark.parametrize("name", sorted(primitive_functions()))
def test_primitive_docstring_examples_run(name):
    """``doctest.testmod`` does not see primitives (registered objects, not functions), so
    their examples run here."""
    import doctest

    fn = primitive_functions()[name]
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    module = inspect.getmodule(fn)
    for test in finder.find(fn, name, module=module, globs=dict(vars(module))):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0, f"the docstring of {name} has no runnable example"
    assert result.failed == 0, f"{result.failed} example(s) of {name} failed"
