"""Run one fuzz case: reference interpreter vs CPU build, schedule, and C simulation.

Mismatch stages: ``cpu`` (CPU build of the unscheduled program vs the reference),
``schedule`` (CPU build after the schedule vs before it), ``csim`` (C simulation of the
scheduled program vs the reference).

:func:`run_case` returns a :class:`Outcome`; a mismatch or an unexpected exception carries a
self-contained reproducer (kernel source, schedule lines, inputs).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np

import allo
from fuzz_gen import FuzzCase, primitive_name
from fuzz_interp import Interpreter
from fuzz_semantics import Ty, Unspecified, container_dtype, from_boundary, to_boundary


@dataclass
class Outcome:
    family: str
    primitives: list  # primitive name per schedule line
    refused: list = field(default_factory=list)  # names of refused primitives
    mismatches: list = field(default_factory=list)  # (stage, detail)
    errors: list = field(default_factory=list)  # (stage, detail)
    discarded: bool = False
    csim: bool = False
    seconds: float = 0.0
    reproducer: str = ""

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.errors


# ----------------------------------------------------------------------------- inputs


def random_inputs(case: FuzzCase, seed: int) -> list:
    """numpy arguments for ``top`` (divisor array ``D`` non-zero and positive)."""
    rng = np.random.default_rng(seed)
    args = []
    for param in case.program.top.params:
        count = int(np.prod(param.shape)) if param.shape else 1
        raws = [_random_raw(rng, param.ty, param.name == "D") for _ in range(count)]
        if param.ty.is_float:
            values = np.array(raws, dtype=container_dtype(param.ty))
        elif param.ty.kind == "fixed":
            values = np.array([r / (1 << param.ty.frac) for r in raws], np.float64)
        else:
            values = np.array(raws, dtype=container_dtype(param.ty))
        if param.shape:
            args.append(values.reshape(param.shape))
        else:
            args.append(values[0].item())
    return args


def _random_raw(rng, ty: Ty, divisor: bool):
    if ty.is_float:
        if divisor:
            return float(rng.uniform(0.5, 4.0)) * (1 if rng.random() < 0.5 else -1)
        if rng.random() < 0.2:
            return float(rng.integers(-4, 5))
        return float(rng.uniform(-8.0, 8.0))
    lo = -(1 << (ty.width - 1)) if ty.signed else 0
    hi = (1 << (ty.width - 1)) - 1 if ty.signed else (1 << ty.width) - 1
    if divisor:
        return int(rng.integers(1, min(hi, 1 << 12) + 1)) if hi >= 1 else 1
    if rng.random() < 0.3:
        return max(lo, min(hi, int(rng.integers(-8, 9))))
    return int(rng.integers(lo, hi, endpoint=True)) if hi - lo < 1 << 63 else \
        lo + int.from_bytes(rng.bytes(8), "little") % (hi - lo + 1)


def _raw_args(case: FuzzCase, inputs: list) -> dict:
    raw = {}
    for param, value in zip(case.program.top.params, inputs):
        if param.shape:
            raw[param.name] = from_boundary(value, param.ty)
        else:
            raw[param.name] = from_boundary(np.array([value]), param.ty)[0]
    return raw


def reference(case: FuzzCase, inputs: list) -> list:
    """Expected returned arrays then final array arguments (numpy, boundary dtypes), or raise
    :class:`Unspecified`."""
    results, finals = Interpreter(case.program).run_top(_raw_args(case, inputs))
    expected = [to_boundary(r, p.ty) for r, p in zip(results, case.program.top.results)]
    return expected + [to_boundary(finals[p.name], p.ty) for p in array_params(case)]


def array_params(case: FuzzCase) -> list:
    """The top kernel's array parameters."""
    return [p for p in case.program.top.params if p.shape]


def output_names(case: FuzzCase) -> list:
    """What each compared array is: returned results, then array arguments."""
    return ([f"result {r.name}" for r in case.program.top.results]
            + [f"argument {p.name}" for p in array_params(case)])


# ----------------------------------------------------------------------------- comparing


def same(expected: np.ndarray, actual) -> bool:
    """Bit-exact equality (floats too: the operation order is the reference's)."""
    actual = np.asarray(actual)
    if actual.shape != expected.shape:
        return False
    if expected.dtype.kind == "f":
        return bool(np.array_equal(expected, actual.astype(expected.dtype), equal_nan=True))
    return bool(np.array_equal(expected, actual))


def describe_difference(expected: np.ndarray, actual) -> str:
    """How many elements differ, and the first one."""
    actual = np.asarray(actual)
    if actual.shape != expected.shape:
        return f"shape {actual.shape} != {expected.shape}"
    diff = np.argwhere(~np.isclose(expected.astype(np.float64), actual.astype(np.float64),
                                   rtol=0, atol=0, equal_nan=True)
                       if expected.dtype.kind == "f" else expected != actual)
    where = tuple(int(v) for v in diff[0]) if len(diff) else ()
    return (f"{len(diff)} element(s) differ; first at {where}: expected "
            f"{expected[where]!r}, got {actual[where]!r}")


def compare(outcome: Outcome, stage: str, expected: list, actual: list, names: list) -> bool:
    """Record the first differing array of ``actual`` as a mismatch of ``stage``."""
    for name, e, a in zip(names, expected, actual):
        if not same(e, a):
            outcome.mismatches.append((stage, f"{name}: {describe_difference(e, a)}"))
            return False
    return True


# ----------------------------------------------------------------------------- running


def load_module(source: str, directory: str, tag: str):
    """Write ``source`` to a file (allo reads kernel source from files) and import it."""
    path = os.path.join(directory, f"fuzz_{tag}.py")
    with open(path, "w") as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location(f"fuzz_{tag}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _copies(inputs: list) -> list:
    return [np.copy(a) if isinstance(a, np.ndarray) else a for a in inputs]


def call_cpu(mod, inputs: list) -> list:
    """Returned arrays, then the final contents of the array arguments."""
    args = _copies(inputs)
    result = mod(*args)
    results = result if isinstance(result, list) else [result]
    return results + [a for a in args if isinstance(a, np.ndarray)]


def call_csim(hmod, case: FuzzCase, inputs: list) -> list:
    """C simulation takes the inputs then one output array per result."""
    args = _copies(inputs)
    outputs = [np.zeros(p.shape, container_dtype(p.ty)) for p in case.program.top.results]
    hmod(*args, *outputs)
    return outputs + [a for a in args if isinstance(a, np.ndarray)]


def apply_schedule(outcome: Outcome, s, case: FuzzCase, namespace: dict) -> None:
    """Run the schedule lines; refused primitives must leave the IR unchanged."""
    namespace["s"] = s
    for line in case.schedule:
        before = str(s.module)
        try:
            exec(line, namespace)  # noqa: S102 (our own generated schedule line)
        except allo.ScheduleError as exc:
            outcome.refused.append(primitive_name(line))
            if str(s.module) != before:
                outcome.errors.append(("schedule", f"refused {line!r} changed the IR: {exc}"))
        except Exception as exc:  # anything else is a library bug
            outcome.errors.append(("schedule", f"{line!r} raised {type(exc).__name__}: {exc}"))


def build_scheduled(outcome: Outcome, s, case) -> object | None:
    """The CPU build after the schedule (``None`` ends the case: a refusal it expects)."""
    return s.build()


def run_case(case: FuzzCase, tag: str, workdir: str | None = None, csim: bool = False,
             build_after=build_scheduled) -> Outcome:
    """Differential check of one case (see the module docstring).

    ``build_after(outcome, s, case)`` builds the scheduled program for the CPU; a kind of
    case whose build may be refused on purpose passes its own.
    """
    start = time.monotonic()
    outcome = Outcome(case.family, case.primitives(), csim=csim)
    workdir = workdir or tempfile.mkdtemp(prefix="allo-fuzz-")
    expected, inputs = None, None
    for attempt in range(4):
        inputs = random_inputs(case, case.input_seed + attempt)
        try:
            expected = reference(case, inputs)
            break
        except Unspecified:
            continue
    if expected is None:
        outcome.discarded = True
        outcome.seconds = time.monotonic() - start
        return outcome
    stage = "customize"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = load_module(case.program.source(), workdir, tag)
            s = allo.customize(module.top)
            stage = "cpu"
            names = output_names(case)
            before = call_cpu(s.build(), inputs)
            compare(outcome, "cpu", expected, before, names)
            stage = "schedule"
            namespace = dict(vars(module))
            namespace["allo"] = allo
            apply_schedule(outcome, s, case, namespace)
            stage = "cpu after schedule"
            scheduled = build_after(outcome, s, case)
            if scheduled is None:
                return outcome
            compare(outcome, "schedule", before, call_cpu(scheduled, inputs), names)
            if csim:
                stage = "csim"
                project = os.path.join(workdir, f"csim_{tag}")
                hmod = s.build(target="vhls", mode="csim", project=project)
                compare(outcome, "csim", expected, call_csim(hmod, case, inputs), names)
    except Exception as exc:
        tail = traceback.format_exception(exc)[-1].strip()
        outcome.errors.append((stage, f"{type(exc).__name__}: {str(exc)[:400]} [{tail[:200]}]"))
    finally:
        sys.modules.pop(f"fuzz_{tag}", None)
        if not outcome.ok:
            outcome.reproducer = reproducer(case, inputs, csim)
        outcome.seconds = time.monotonic() - start
    return outcome


def reproducer(case: FuzzCase, inputs: list, csim: bool) -> str:
    """A standalone script that shows the problem."""
    args = ", ".join(_literal(a) for a in inputs)
    lines = [case.program.source(), "import numpy as np", "s = allo.customize(top)"]
    lines += list(case.schedule)
    lines.append(f"args = [{args}]")
    if csim:
        lines.append('mod = s.build(target="vhls", mode="csim", project="fuzz.prj")')
    else:
        lines.append("print(s.build()(*args))")
    return "\n".join(lines) + "\n"


def _literal(value) -> str:
    if isinstance(value, np.ndarray):
        return f"np.array({value.tolist()!r}, dtype=np.{value.dtype.name})"
    return repr(value)
