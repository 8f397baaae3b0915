"""No module of ``allo`` imports from a layer above its own (docs/architecture.md).

Layers, lowest first: base (errors, the MLIR provider, shared MLIR utilities) < frontend <
analysis < schedule < backend < façade (the public entry points and the re-export packages
that keep earlier import paths working). Every ``import`` counts: top level, inside
functions, ``from . import x`` and relative imports (resolved against the module's package).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ALLO = Path(__file__).resolve().parent.parent / "allo"

LAYERS = ("base", "frontend", "analysis", "schedule", "backend", "facade")

# Module (or package) -> layer; the longest matching prefix decides. A module not listed
# under a lower layer falls under ``allo`` (façade): lower layers cannot import it.
LAYER_OF_PREFIX = {
    "allo.errors": "base",
    "allo.diagnostics": "base",
    "allo._mlir": "base",
    "allo.mlir_utils": "base",
    "allo.frontend": "frontend",
    "allo.language": "frontend",  # the kernel built-ins the frontend compiles
    "allo.analysis": "analysis",
    "allo.schedule": "schedule",
    "allo.backend": "backend",
    "allo": "facade",  # allo/__init__.py
    "allo.customize": "facade",
    "allo.verify": "facade",
    "allo.utils": "facade",
    "allo.dsl": "facade",
    "allo.library": "facade",
    "allo.ir": "facade",  # re-exports: allo.ir.types, allo.ir.utils, allo.ir.transform
    "allo.passes": "facade",  # re-exports
    "allo.primitives": "facade",  # re-exports
}


def layer_of(module: str) -> str | None:
    """The layer of dotted module name ``module`` (``None`` outside ``allo``)."""
    best = None
    for prefix in LAYER_OF_PREFIX:
        if module == prefix or module.startswith(prefix + "."):
            if best is None or len(prefix) > len(best):
                best = prefix
    return None if best is None else LAYER_OF_PREFIX[best]


def module_name(path: Path, root: Path = ALLO) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(dotted: str, root: Path = ALLO) -> bool:
    """Whether ``dotted`` names a module or package file under ``root``."""
    base = root.parent.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imported_modules(path: Path, root: Path = ALLO) -> list[tuple[int, str, bool]]:
    """``(line, module, function_local)`` for every ``allo`` module ``path`` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path, root)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    local = {id(node) for fn in ast.walk(tree)
             if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
             for node in ast.walk(fn) if isinstance(node, (ast.Import, ast.ImportFrom))}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # ``from pkg import sub`` imports the submodule ``pkg.sub`` when there is one.
            targets = [f"{target}.{alias.name}" if is_module(f"{target}.{alias.name}", root)
                       else target for alias in node.names]
        else:
            continue
        for target in dict.fromkeys(targets):
            if target == "allo" or target.startswith("allo."):
                found.append((node.lineno, target, id(node) in local))
    return found


def layering_violations(root: Path = ALLO) -> list[str]:
    """One message per import of a higher layer, naming file:line and both layers."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        name = module_name(path, root)
        own = layer_of(name)
        rel = path.relative_to(root.parent)
        for line, target, local in imported_modules(path, root):
            other = layer_of(target)
            if other is not None and LAYERS.index(other) > LAYERS.index(own):
                where = "function-local import" if local else "import"
                problems.append(f"{rel}:{line}: {where} of {target} ({other} layer) from "
                                f"{name} ({own} layer)")
    return problems


def test_every_module_imports_only_its_own_layer_or_lower():
    problems = layering_violations()
    assert not problems, "layer violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("source, target, line, kind", [
    ("from ..backend import llvm\n", "allo.backend.llvm", 1, "import"),
    ("import os\nfrom ..schedule.schedule import Schedule\n", "allo.schedule.schedule", 2,
     "import"),
    ("def f():\n    from .. import schedule\n", "allo.schedule", 2, "function-local import"),
    ("import allo.backend.hls\n", "allo.backend.hls", 1, "import"),
])
def test_the_check_reports_upward_imports_of_every_form(tmp_path, source, target, line, kind):
    root = tmp_path / "allo"
    for package in ("", "frontend", "schedule", "backend", "backend/llvm", "backend/hls"):
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").write_text("")
    (root / "schedule" / "schedule.py").write_text("")
    (root / "frontend" / "types.py").write_text("")
    (root / "frontend" / "probe.py").write_text(source)
    (root / "frontend" / "fine.py").write_text("from . import types\nfrom ..errors import x\n")
    problems = layering_violations(root)
    layer = layer_of(target)
    assert problems == [f"allo/frontend/probe.py:{line}: {kind} of {target} ({layer} layer) "
                        f"from allo.frontend.probe (frontend layer)"]

