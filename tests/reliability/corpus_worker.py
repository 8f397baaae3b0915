"""Worker process of the bad-input corpus: imports allo once, then runs many case files.

Protocol: the parent writes one JSON request per line on stdin (``{"path": ...}``) and reads one
JSON result per line on the file descriptor that was stdout when the worker started. Everything
the library or a case prints goes to stderr instead, so it cannot corrupt the protocol.

A result describes what happened, the parent decides whether it was right:

* ``outcome``: ``"ok"`` (no exception), ``"raised"`` or ``"harness"`` (the case file itself is
  broken, e.g. a Python syntax error in the snippet);
* ``phase``: ``"load"`` (executing the file) or ``"trigger"`` (calling its ``trigger()``);
* ``mro``: class names of the exception and its bases, ``message``: ``str(exc)``;
* ``ir_unchanged``: for a case whose module defines a ``Schedule`` named ``s`` and a
  ``trigger()``, whether ``str(s.module)`` and ``s.primitive_sequences`` are identical before and
  after the trigger.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import traceback
import warnings


def _describe(exc: BaseException, phase: str) -> dict:
    try:
        message = str(exc)
    except Exception as inner:  # a broken __str__ is itself worth reporting
        message = f"<str() failed: {type(inner).__name__}: {inner}>"
    return {
        "outcome": "raised",
        "phase": phase,
        "cls": type(exc).__name__,
        "mro": [klass.__name__ for klass in type(exc).__mro__],
        "module": type(exc).__module__,
        "message": message,
        "traceback": "".join(traceback.format_exception(exc)[-6:]),
    }


def _snapshot(schedule) -> tuple | None:
    """Printed IR and trace of a schedule (``None`` if the object is no schedule)."""
    import allo

    if not isinstance(schedule, allo.Schedule):
        return None
    return str(schedule.module), repr(schedule.primitive_sequences)


def run_case(path: str, index: int) -> dict:
    """Execute one case file and describe the outcome."""
    name = f"allo_corpus_case_{index}"
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
    except Exception as exc:
        return {"outcome": "harness", "message": f"cannot load {path}: {exc}"}
    sys.modules[name] = module
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                spec.loader.exec_module(module)
            except SyntaxError as exc:
                if exc.filename == path:
                    return {"outcome": "harness", "message": f"snippet is not valid Python: {exc}"}
                return _describe(exc, "load")
            except (Exception, SystemExit) as exc:
                return _describe(exc, "load")
            trigger = getattr(module, "trigger", None)
            if trigger is None:
                return {"outcome": "ok", "phase": "load"}
            before = _snapshot(getattr(module, "s", None))
            try:
                trigger()
            except (Exception, SystemExit) as exc:
                result = _describe(exc, "trigger")
                if before is not None:
                    result["ir_unchanged"] = before == _snapshot(module.s)
                return result
            return {"outcome": "ok", "phase": "trigger"}
    finally:
        sys.modules.pop(name, None)


def main() -> None:
    """Serve requests until stdin closes."""
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # prints of cases and of the library go to stderr
    sys.stdout = sys.stderr
    import allo  # noqa: F401  (imported once, before the first case)

    protocol.write(json.dumps({"ready": True}) + "\n")
    for index, line in enumerate(sys.stdin):
        request = json.loads(line)
        try:
            result = run_case(request["path"], index)
        except BaseException as exc:  # never let one case end the worker silently
            result = {"outcome": "harness", "message": f"worker error: {exc!r}"}
        protocol.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
