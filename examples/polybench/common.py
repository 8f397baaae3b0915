"""What one PolyBench entry holds, and the helpers that build, run and check it.

Every kernel follows PolyBench's C convention: a procedure that updates array arguments in
place (scalars such as ``alpha`` come first). An entry lists the indices of the arguments the
kernel writes (``outputs``); the numpy reference mutates its own copies the same way, so the
Allo build, the numpy reference and the C version are compared on those arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

import allo
from allo.ir.types import float32

from .sizes import dims


@dataclass(frozen=True)
class PolyKernel:
    """One PolyBench kernel: Allo program, numpy reference, input generator, expert schedule.

    ``type_args(d, T)`` gives the template arguments for dimensions ``d`` and element type
    ``T``; ``inputs(d)`` returns the arguments (float64 arrays and Python scalars, PolyBench's
    deterministic initialisation); ``reference(*args)`` updates its arrays in place with numpy;
    ``schedule(s, d)`` applies the expert schedule to ``s = allo.customize(kernel, ...)``.
    ``rtol`` is the relative tolerance of float32 results against the float64 reference
    (errors are scaled by the largest reference magnitude, see :func:`max_relative_error`).
    With ``steps`` (the name of a time-step dimension, ``"TSTEPS"``), ``reference(steps)``
    builds the reference for that many steps. ``defined(d)``, when given, returns one index per output selecting the part of it that
    PolyBench's algorithm defines (the rest is rounding noise); only that part is compared.

    >>> from examples.polybench.registry import KERNELS
    >>> KERNELS["gemm"].category
    'blas'
    """

    name: str
    category: str
    kernel: Callable
    type_args: Callable[[dict, object], list]
    inputs: Callable[[dict], tuple]
    reference: Callable[..., None]
    schedule: Callable[[object, dict], None]
    outputs: tuple[int, ...]
    rtol: float = 1e-4
    integer: bool = False
    defined: Callable[[dict], tuple] | None = None
    steps: str | None = None

    def customize(self, preset: str = "MINI", scheduled: bool = True, dtype=float32):
        """``allo.customize`` of this kernel at ``preset``, with the expert schedule if asked.

        >>> from examples.polybench.registry import KERNELS
        >>> s = KERNELS["atax"].customize("MINI")
        >>> s.top_func_name
        'atax'
        """
        d = dims(self.name, preset)
        s = allo.customize(self.kernel, instantiate=self.type_args(d, dtype))
        if scheduled:
            self.schedule(s, d)
        return s

    def arguments(self, preset: str = "MINI", dtype=np.float32) -> tuple:
        """Fresh inputs at ``preset``: arrays converted to ``dtype`` (ints stay int32).

        >>> from examples.polybench.registry import KERNELS
        >>> [a.shape for a in KERNELS["atax"].arguments("MINI")]
        [(38, 42), (42,), (42,), (38,)]
        """
        args = self.inputs(dims(self.name, preset))
        target = np.int32 if self.integer else dtype
        return tuple(np.ascontiguousarray(a, dtype=target) if isinstance(a, np.ndarray) else a
                     for a in args)

    def expected(self, preset: str = "MINI") -> list[np.ndarray]:
        """The numpy reference's written arguments (float64, or int for integer kernels).

        >>> from examples.polybench.registry import KERNELS
        >>> KERNELS["trisolv"].expected("MINI")[0].shape
        (40,)
        """
        args = [a.copy() if isinstance(a, np.ndarray) else a
                for a in self.arguments(preset, np.float64)]
        self.reference_for(dims(self.name, preset))(*args)
        return self.select(preset, [np.asarray(args[k]) for k in self.outputs])

    def reference_for(self, d: dict) -> Callable[..., None]:
        """The numpy reference for dimensions ``d`` (time-stepped kernels need the count).

        >>> from examples.polybench.registry import KERNELS
        >>> callable(KERNELS["jacobi-1d"].reference_for({"TSTEPS": 2, "N": 8}))
        True
        """
        return self.reference(d[self.steps]) if self.steps else self.reference

    def select(self, preset: str, outputs: list[np.ndarray]) -> list[np.ndarray]:
        """The compared part of each output (everything unless ``defined`` says otherwise).

        >>> from examples.polybench.registry import KERNELS
        >>> len(KERNELS["mvt"].select("MINI", [np.zeros(3), np.zeros(3)]))
        2
        """
        if self.defined is None:
            return outputs
        return [out[index] for out, index in zip(outputs, self.defined(dims(self.name, preset)))]

    def run(self, module, args: tuple, preset: str = "MINI") -> list[np.ndarray]:
        """Call a built ``module`` on copies of ``args`` (made at ``preset``); return the
        compared part of the written arguments.

        >>> # outs = entry.run(entry.customize().build(), entry.arguments())
        """
        copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        module(*copies)
        return self.select(preset, [copies[k] for k in self.outputs])


def max_relative_error(got: np.ndarray, ref: np.ndarray) -> float:
    """Largest ``|got - ref|`` divided by ``max(1, max |ref|)``: robust to entries near zero.

    >>> round(max_relative_error(np.array([1.0, 4.0]), np.array([1.0, 4.004])), 6)
    0.000999
    """
    scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
    return float(np.abs(np.asarray(got, np.float64) - ref).max(initial=0.0)) / scale


def matches(entry: PolyKernel, got: list[np.ndarray], ref: list[np.ndarray]) -> str | None:
    """None when ``got`` agrees with ``ref`` (bit-exact for integer kernels), else why not.

    >>> from examples.polybench.registry import KERNELS
    >>> e = KERNELS["trisolv"]
    >>> matches(e, e.expected(), e.expected()) is None
    True
    """
    for k, (g, r) in enumerate(zip(got, ref)):
        if entry.integer:
            if not np.array_equal(g, r):
                return f"output {k}: {int((g != r).sum())} elements differ"
            continue
        if not np.all(np.isfinite(g)):
            return f"output {k}: non-finite values"
        err = max_relative_error(g, r)
        if err > entry.rtol:
            return f"output {k}: relative error {err:.3g} > {entry.rtol:g}"
    return None
