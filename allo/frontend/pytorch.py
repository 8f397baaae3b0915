"""PyTorch model → Allo kernel source, through torch.fx (``backends.md`` §9).

The translation half of ``allo.frontend.from_pytorch`` (the façade compiles the source,
composes the library schedules and builds). Steps:

1. trace ``model.forward`` with torch.fx (buffers as graph attributes, stack traces kept);
2. run the traced graph once on the example inputs, recording every node's value: shapes,
   and the values of nodes that do not depend on the inputs (sizes, masks built from
   buffers, ``math.sqrt`` of a head size, and every weight-only expression while weights
   are constants) are folded into compile-time constants;
3. translate the remaining nodes (:mod:`allo.frontend.pytorch_ops`) into one kernel
   ``def forward(<inputs>) -> <results>`` calling library kernels (``nn.linear2d[...]``),
   built-in operations (``dsl.softmax``) and plain loop nests.

torch is imported only when a model is translated; ``import allo`` never imports it.

>>> TranslatedModel.__name__
'TranslatedModel'
"""

from __future__ import annotations

import inspect
import keyword
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import FrontendError, UnsupportedTorchOpError, warn
from ..mlir_utils import fresh_name
from . import types as allo_types
from .types import AlloType, Float, UInt, float32, float64, int32, int64

TORCH_HINT = ('allo.frontend.from_pytorch needs PyTorch: pip install "allo[torch]" '
              '(a CPU build: pip install torch==2.13.0)')

# names the generated source reads from the global environment the façade supplies
LIBRARY_NAME, DSL_NAME, ALLO_NAME = "nn", "dsl", "allo"
RESERVED = {LIBRARY_NAME, DSL_NAME, ALLO_NAME, "forward", "INF", "NEG_INF", "NAN", "range",
            "min", "max", "float", "int", "abs", "bool"}


def import_torch():
    """``torch`` (and ``torch.fx``), or ``ImportError`` with the install hint."""
    try:
        import torch  # noqa: PLC0415 - optional dependency, imported on use
        import torch.fx  # noqa: F401,PLC0415
    except ImportError as err:
        raise ImportError(TORCH_HINT) from err
    return torch


# --------------------------------------------------------------------------- values


@dataclass
class Tensor:
    """A run-time array (or scalar when ``shape == ()``) of the generated kernel."""

    name: str
    shape: tuple
    dtype: AlloType


@dataclass
class Const:
    """A compile-time tensor: a weight, a buffer or a folded expression."""

    array: np.ndarray
    label: str  # global name, e.g. g_fc1_weight, gb_bn1_running_mean, g_const_eq


@dataclass
class KernelUse:
    """One library kernel instance the source calls: ``nn.<kernel>[*instantiate, id]``."""

    kernel: str
    instantiate: list
    id: str


@dataclass
class TranslatedModel:
    """What :func:`translate_model` produced: ``source`` for ``allo.customize`` with
    ``global_vars`` (plus the library, ``dsl`` and ``allo`` the façade adds)."""

    source: str
    global_vars: dict
    kernel_uses: list
    input_names: list
    weight_names: list
    weight_data: list
    line_nodes: dict = field(default_factory=dict)  # source line -> (node, location)

    def located_error(self, err: FrontendError) -> UnsupportedTorchOpError | None:
        """``err`` (raised while compiling the source) re-aimed at the torch node of its line."""
        entry = self.line_nodes.get(err.lineno)
        if entry is None:
            return None
        node, loc = entry
        message = (f"cannot build the Allo code of node '{node.name}' ({_describe_target(node)}): "
                   f"{err.message}")
        return UnsupportedTorchOpError(message, *loc)


# --------------------------------------------------------------------------- source writer


class SourceWriter:
    """Lines of the generated kernel, unique identifiers, and which node wrote each line."""

    def __init__(self):
        self.body: list[str] = []
        self.used: set = set(RESERVED)
        self.line_nodes: dict = {}

    def fresh(self, base: str) -> str:
        name = re.sub(r"\W", "_", str(base)) or "v"
        if name[0].isdigit():
            name = "v_" + name
        if keyword.iskeyword(name) or name in self.used:
            name = fresh_name(name, self.used)
        self.used.add(name)
        return name

    def emit(self, text: str, owner=None, indent: int = 1) -> None:
        self.body.append("    " * indent + text)
        if owner is not None:
            self.line_nodes[len(self.body) + 1] = owner  # line 1 is the def


# --------------------------------------------------------------------------- tracing


def trace_model(model, example_inputs: list, leaf_modules=None):
    """``torch.fx.GraphModule`` of ``model.forward``; parameters beyond the example inputs
    keep their defaults."""
    torch = import_torch()
    leaves = tuple(leaf_modules or ())

    class Tracer(torch.fx.Tracer):
        def is_leaf_module(self, module, qualified_name):
            if leaves and isinstance(module, leaves):
                return True
            return super().is_leaf_module(module, qualified_name)

    tracer = Tracer()
    tracer.record_stack_traces = True
    tracer.proxy_buffer_attributes = True
    params = list(inspect.signature(model.forward).parameters.values())
    if len(example_inputs) > len(params):
        raise UnsupportedTorchOpError(
            f"{type(model).__name__}.forward takes {len(params)} inputs, got "
            f"{len(example_inputs)} example inputs")
    concrete = {}
    for p in params[len(example_inputs):]:
        if p.default is inspect.Parameter.empty:
            raise UnsupportedTorchOpError(
                f"forward parameter '{p.name}' has neither an example input nor a default")
        concrete[p.name] = p.default
    try:
        graph = tracer.trace(model, concrete_args=concrete or None)
    except Exception as err:  # noqa: BLE001 - any tracing failure is reported the same way
        raise UnsupportedTorchOpError(
            f"torch.fx cannot trace {type(model).__name__}.forward: {err}") from None
    return torch.fx.GraphModule(tracer.root, graph), len(example_inputs)


def record_values(gm, example_inputs: list) -> None:
    """Run ``gm`` on the example inputs; ``node.meta["allo_value"]`` holds each node's value."""
    torch = import_torch()

    class Recorder(torch.fx.Interpreter):
        def run_node(self, n):
            result = super().run_node(n)
            n.meta["allo_value"] = result
            return result

    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    with torch.no_grad():
        Recorder(gm).run(*example_inputs[:len(placeholders)])


def _torch_value(x):
    """Example inputs as torch values (numpy arrays accepted for convenience)."""
    torch = import_torch()
    if isinstance(x, np.ndarray):
        return torch.from_numpy(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_torch_value(v) for v in x)
    return x


# --------------------------------------------------------------------------- locations


def node_location(node) -> tuple:
    """``(filename, line, function, source)`` of the model line that created ``node``."""
    trace = node.stack_trace or ""
    for match in re.finditer(r'File "([^"]+)", line (\d+), in (\S+)\n(.*)', trace):
        filename = match.group(1)
        if re.search(r"[/\\]site-packages[/\\]torch[/\\]", filename):
            continue  # torch's own frames (fx proxies, nn modules)
        return filename, int(match.group(2)), match.group(3), match.group(4).strip()
    return None, None, None, None


def _describe_target(node) -> str:
    target = node.target
    if node.op == "call_method":
        return f"method Tensor.{target}"
    if node.op == "call_module":
        return f"module {target}"
    name = getattr(target, "__qualname__", None) or getattr(target, "__name__", None) or str(target)
    module = getattr(target, "__module__", None)
    if module and module not in ("builtins", "_operator"):
        module = {"torch._C._nn": "torch.nn.functional", "torch._C._VariableFunctions": "torch",
                  "torch.nn.functional": "torch.nn.functional"}.get(module, module)
        return f"{node.op} {module}.{name}"
    return f"{node.op} {name}"


# --------------------------------------------------------------------------- dtypes


def resolve_dtype(value, key: str) -> AlloType:
    """An ``op_dtypes`` value: an AlloType or the name of one in ``allo.ir.types``."""
    if isinstance(value, AlloType):
        return value
    if isinstance(value, str) and isinstance(getattr(allo_types, value, None), AlloType):
        return getattr(allo_types, value)
    raise UnsupportedTorchOpError(
        f"op_dtypes[{key!r}] must be an Allo type or the name of one in allo.ir.types, "
        f"got {value!r}")


def numpy_allo_dtype(dtype: np.dtype) -> AlloType:
    """The Allo element type of a constant global holding a numpy array of ``dtype``."""
    if dtype.kind == "b":
        return UInt(1)
    if dtype.kind == "f":
        return float64 if dtype.itemsize == 8 else float32
    if dtype.kind in "iu":
        return int64 if dtype.itemsize == 8 else int32
    raise UnsupportedTorchOpError(f"constant tensors of dtype {dtype} are not supported")


def predefined_type_name(dtype: AlloType) -> str | None:
    """``"float32"`` for ``float32`` and the like; None for parameterised types."""
    for name in ("float16", "float32", "float64", "bfloat16", "int8", "int16", "int32",
                 "int64", "uint8", "uint16", "uint32", "uint64", "bool", "index"):
        known = getattr(allo_types, name, None)
        if known == dtype and type(known) is type(dtype):
            return name
    return None


def literal(value) -> str:
    """Python source for a compile-time scalar."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INF" if value > 0 else "NEG_INF"
    return repr(value)


def is_float_type(dtype: AlloType) -> bool:
    return isinstance(dtype, Float)


def warn_training(model) -> None:
    if getattr(model, "training", False):
        warn(f"{type(model).__name__} is in training mode; from_pytorch imports it with "
             f"inference semantics (dropout is the identity, batch norms use running statistics)")


def translate_model(model, example_inputs, op_dtypes=None, weights_as_args=False,
                    leaf_modules=None, for_cpu=False) -> TranslatedModel:
    """Trace ``model`` and translate it into Allo source (see the module docstring).

    ``for_cpu`` (CPU builds) picks the CPU kernels: constant linear weights packed into column
    panels (:mod:`allo.frontend.weight_panels`) for ``nn.linear_packed``, and ``nn.bmm_panels``
    for products whose last dimension is a multiple of 32.
    """
    from .pytorch_translate import Translator  # noqa: PLC0415 - same layer, split for size

    import_torch()
    inputs = [_torch_value(x) for x in example_inputs]
    warn_training(model)
    gm, n_inputs = trace_model(model, inputs, leaf_modules)
    record_values(gm, inputs)
    return Translator(gm, inputs, n_inputs, op_dtypes or {}, weights_as_args,
                      leaf_modules, for_cpu).run()


def scalar_value(x: Any) -> bool:
    return isinstance(x, (bool, int, float, np.integer, np.floating))
