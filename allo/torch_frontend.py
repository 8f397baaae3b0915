"""``allo.frontend.from_pytorch``: import a PyTorch model as an Allo design (``backends.md`` §9).

The translation (torch.fx → Allo source) is :mod:`allo.frontend.pytorch`; this façade
compiles that source with the library kernels in scope, composes each library kernel's
default schedule (``allo.library.KERNEL2SCHEDULE``, ids ``"0"``, ``"1"``, … per kernel) and
builds the requested target. ``import allo`` never imports torch: it is imported when a model
is translated.

>>> callable(from_pytorch)
True
"""

from __future__ import annotations

from typing import Any, Sequence

from . import dsl
from .customize import customize
from .errors import FrontendError
from .frontend.pytorch import ALLO_NAME, DSL_NAME, LIBRARY_NAME, translate_model

__all__ = ["from_pytorch", "WeightedModule"]


def from_pytorch(model, example_inputs: Sequence, leaf_modules=None, verbose: bool = False,
                 enable_tensor: bool = False, target: str | None = None, mode: str | None = None,
                 project: str | None = None, op_dtypes: dict | None = None,
                 weights_as_args: bool = False) -> Any:
    """Trace ``model.forward`` on ``example_inputs`` and build it for ``target``.

    ``target=None``/``"llvm"`` returns the CPU module, an HLS target the ``HLSModule``
    (``mode``/``project`` as in ``s.build``), ``"mlir"`` the composed Schedule. With
    ``weights_as_args=True`` parameters become kernel arguments after the inputs and the
    result is a :class:`WeightedModule` (call it with the inputs alone, or inputs + weights).
    ``op_dtypes`` picks element types per op kind (``"default"``, ``"inputs"``,
    ``"outputs"``, ``"linear"``, ``"relu"``, ..., or a linear layer's fx name mapped to
    ``[TyX, TyW, TyO]``). ``leaf_modules`` lists module classes torch.fx must not trace
    into; ``verbose=True`` prints the generated kernel; ``enable_tensor`` is passed to
    ``allo.customize``.
    """
    from .library import nn  # noqa: PLC0415 - the library imports allo itself

    program = translate_model(model, list(example_inputs), op_dtypes, weights_as_args,
                              leaf_modules, for_cpu=target in (None, "llvm"))
    if verbose:
        print(program.source)
    import allo  # noqa: PLC0415 - the generated source reads allo.grid

    env = dict(program.global_vars)
    env.update({LIBRARY_NAME: nn, DSL_NAME: dsl, ALLO_NAME: allo})
    try:
        s = customize(program.source, global_vars=env, enable_tensor=enable_tensor,
                      verbose=verbose)
    except FrontendError as err:
        located = program.located_error(err)
        if located is None:
            raise
        raise located from err
    for use in program.kernel_uses:
        s.compose(getattr(nn, use.kernel), id=use.id, instantiate=use.instantiate)
    if target == "mlir":
        return s
    mod = s.build(target=target, mode=mode, project=project)
    if weights_as_args:
        return WeightedModule(mod, program.weight_data, len(program.input_names))
    return mod


class WeightedModule:
    """A built model whose weights are kernel arguments.

    ``mod(*inputs)`` appends :attr:`weight_data`; ``mod(*inputs, *weights)`` passes the given
    weights. For a C-simulation module the trailing output arrays follow as usual
    (``mod(*inputs, *outputs)`` or ``mod(*inputs, *weights, *outputs)``). Other attributes
    (``hls_code``, ``project``, ...) are those of the wrapped module.
    """

    def __init__(self, module, weight_data: list, n_inputs: int):
        self.module = module
        self.weight_data = list(weight_data)
        self.n_inputs = n_inputs

    def __call__(self, *args):
        n_in, n_w = self.n_inputs, len(self.weight_data)
        if len(args) == n_in:
            return self.module(*args, *self.weight_data)
        if len(args) >= n_in + n_w and self._weights_given(args[n_in:n_in + n_w]):
            return self.module(*args)
        return self.module(*args[:n_in], *self.weight_data, *args[n_in:])

    def _weights_given(self, items) -> bool:
        return all(getattr(a, "shape", None) == w.shape for a, w in zip(items, self.weight_data))

    def __getattr__(self, name):
        return getattr(self.module, name)

    def __repr__(self):
        return f"WeightedModule({self.module!r}, {len(self.weight_data)} weights)"
