"""The translator of traced torch.fx graphs into Allo source (see :mod:`allo.frontend.pytorch`).

:class:`Translator` owns the generated kernel: its signature, body lines, the global names
the body reads (weights, folded constants, types), the library kernel instances it calls,
and the value of every fx node (:class:`~allo.frontend.pytorch.Tensor` for run-time arrays,
:class:`~allo.frontend.pytorch.Const` for compile-time tensors, plain Python values for
sizes and other scalars). The per-operation rules live in :mod:`allo.frontend.pytorch_ops`.

>>> Translator.__name__
'Translator'
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import UnsupportedTorchOpError
from .pytorch import (ALLO_NAME, DSL_NAME, LIBRARY_NAME, Const, KernelUse, SourceWriter, Tensor,
                      TranslatedModel, _describe_target, import_torch, literal, node_location,
                      numpy_allo_dtype, predefined_type_name, resolve_dtype, scalar_value)
from .types import AlloType, UInt, float32, int32

# tensor methods whose results depend on tensor data: never folded into constants
DATA_DEPENDENT_METHODS = {"item", "tolist", "numpy", "nonzero", "any", "all"}


def _contains_tensor(value, torch) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(_contains_tensor(v, torch) for v in value)
    if isinstance(value, dict):
        return any(_contains_tensor(v, torch) for v in value.values())
    return False


def has_runtime(value) -> bool:
    """Whether ``value`` holds a run-time array (so a node using it cannot be folded)."""
    if isinstance(value, Tensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(has_runtime(v) for v in value)
    if isinstance(value, dict):
        return any(has_runtime(v) for v in value.values())
    return False


class ReshapedView(Tensor):
    """``dsl.view(source, shape)`` whose line is written into its reserved (blank) line of the
    kernel the first time its name is read: unread reshapes cost no copy. The generated
    kernel never writes an array after creating it, so the deferred copy sees the same data.
    """

    def __init__(self, writer, line: int, name: str, source: Tensor, shape: tuple):
        self.shape, self.dtype = tuple(shape), source.dtype
        self.source, self.emitted = source, False
        self._writer, self._line, self._name = writer, line, name

    @property
    def name(self) -> str:
        if not self.emitted:
            self.emitted = True
            dims = ", ".join(map(str, self.shape)) + ("," if len(self.shape) == 1 else "")
            self._writer.body[self._line] = \
                f"    {self._name} = {DSL_NAME}.view({self.source.name}, ({dims}))"
        return self._name


class Translator:
    """Translate the nodes of ``gm`` (values recorded by :func:`record_values`) in order."""

    def __init__(self, gm, inputs: list, n_inputs: int, op_dtypes: dict, weights_as_args: bool,
                 leaf_modules=(), for_cpu: bool = False):
        self.torch = import_torch()
        self.leaf_classes = tuple(leaf_modules or ())
        self.gm = gm
        self.inputs = inputs
        self.n_inputs = n_inputs
        self.op_dtypes = dict(op_dtypes)
        self.weights_as_args = weights_as_args
        self.for_cpu = for_cpu  # CPU build: packed linear weights, panel products
        self.packed_weights: dict = {}  # id(weight Const) -> (it, its packed Const)
        self.writer = SourceWriter()
        self.global_vars: dict = {"INF": math.inf, "NEG_INF": -math.inf, "NAN": math.nan}
        self.type_idents: dict = {}
        self.kernel_uses: list = []
        self.kernel_counts: dict = {}
        self.values: dict = {}
        self.params_sig: list = []
        self.input_names: list = []
        self.weight_names: list = []
        self.weight_data: list = []
        self.weight_tensors: dict = {}
        self.converted: dict = {}
        self.const_names: dict = {}
        self.weight_consts: dict = {}
        self.results_sig: list = []
        self.parameters = dict(gm.named_parameters())
        self.buffers = dict(gm.named_buffers())
        self.node = None
        self._placeholder_index = 0
        self._check_op_dtypes()

    # ------------------------------------------------------------------ driver
    def run(self) -> TranslatedModel:
        from .pytorch_ops import translate_node  # noqa: PLC0415 - mutual helpers

        for node in self.gm.graph.nodes:
            self.node = node
            if node.op == "placeholder":
                value = self.placeholder(node)
            elif node.op == "output":
                self.output(node.args[0])
                value = None
            elif self.is_static(node):
                named = node.op == "get_attr" and (node.target in self.parameters
                                                   or node.target in self.buffers)
                value = self.weight(node.target) if named else \
                    self.static_value(node.meta.get("allo_value"), node)
            elif node.op == "get_attr":
                value = self.weight(node.target)
            else:
                value = translate_node(self, node)
            self.values[node] = value
        return TranslatedModel(self.render(), self.global_vars, self.kernel_uses,
                               self.input_names, self.weight_names, self.weight_data,
                               dict(self.writer.line_nodes))

    def render(self) -> str:
        params = ", ".join(self.params_sig)
        if len(self.results_sig) == 1:
            results = self.results_sig[0]
        else:
            results = "(" + ", ".join(self.results_sig) + ")"
        return "\n".join([f"def forward({params}) -> {results}:", *self.writer.body]) + "\n"

    # ------------------------------------------------------------------ errors
    def unsupported(self, reason: str = "") -> UnsupportedTorchOpError:
        node = self.node
        message = f"from_pytorch: unsupported torch operation {_describe_target(node)} " \
                  f"(node '{node.name}')"
        if reason:
            message += f": {reason}"
        return UnsupportedTorchOpError(message, *node_location(node))

    # ------------------------------------------------------------------ dtypes
    def _check_op_dtypes(self) -> None:
        for key, value in self.op_dtypes.items():
            if isinstance(value, (list, tuple)):
                if len(value) != 3:
                    raise UnsupportedTorchOpError(
                        f"op_dtypes[{key!r}] for a linear layer must list [TyX, TyW, TyO], "
                        f"got {value!r}")
                self.op_dtypes[key] = [resolve_dtype(v, key) for v in value]
            else:
                self.op_dtypes[key] = resolve_dtype(value, key)

    def dtype_for(self, kind: str) -> AlloType:
        """The element type of an op kind: ``op_dtypes[kind]``, else ``"default"``, else f32."""
        value = self.op_dtypes.get(kind, self.op_dtypes.get("default", float32))
        return value if isinstance(value, AlloType) else self.op_dtypes.get("default", float32)

    def linear_dtypes(self, fx_name: str) -> list:
        """``[TyX, TyW, TyO]`` of a linear layer (by its fx name, else the op kinds)."""
        per_layer = self.op_dtypes.get(fx_name)
        if isinstance(per_layer, list):
            return per_layer
        return [self.dtype_for("linear_input"), self.dtype_for("linear_weight"),
                self.dtype_for("linear")]

    def type_name(self, dtype: AlloType) -> str:
        """An identifier for ``dtype`` in the generated source (registered as a global)."""
        name = predefined_type_name(dtype)
        if name is not None:
            self.global_vars[name] = dtype
            return name
        key = str(dtype)
        if key not in self.type_idents:
            ident = self.writer.fresh("Ty_" + "".join(c if c.isalnum() else "_" for c in key))
            self.type_idents[key] = ident
            self.global_vars[ident] = dtype
        return self.type_idents[key]

    def array_type(self, dtype: AlloType, shape: tuple) -> str:
        if not shape:
            return self.type_name(dtype)
        return f"{self.type_name(dtype)}[{', '.join(str(int(d)) for d in shape)}]"

    # ------------------------------------------------------------------ inputs, outputs
    def placeholder(self, node):
        k = self._placeholder_index
        self._placeholder_index += 1
        value = node.meta.get("allo_value")
        if k >= self.n_inputs:
            return self.static_value(value, node)  # a parameter left at its default
        return self.input_value(value, str(node.target))

    def input_value(self, value, name: str):
        torch = self.torch
        if isinstance(value, (list, tuple)):
            return tuple(self.input_value(v, f"{name}_{k}") for k, v in enumerate(value))
        if isinstance(value, torch.Tensor):
            if value.dtype.is_floating_point:
                dtype = self.dtype_for("inputs")
            elif value.dtype == torch.bool:
                dtype = UInt(1)
            else:
                dtype = int32
            return self.add_param(name, tuple(value.shape), dtype, is_input=True)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.unsupported(f"input '{name}' of type {type(value).__name__} is not a "
                                   f"tensor, a list of tensors or a number")
        return self.add_param(name, (), int32 if isinstance(value, int) else float32,
                              is_input=True)

    def add_param(self, name: str, shape: tuple, dtype: AlloType, is_input: bool) -> Tensor:
        ident = self.writer.fresh(name)
        self.params_sig.append(f"{ident}: {self.array_type(dtype, shape)}")
        (self.input_names if is_input else self.weight_names).append(ident)
        return Tensor(ident, shape, dtype)

    def output(self, result) -> None:
        items = list(result) if isinstance(result, (list, tuple)) else [result]
        names = []
        out_dtype = self.op_dtypes.get("outputs")
        for item in items:
            value = self.values.get(item) if hasattr(item, "op") else item
            if isinstance(value, Const):
                value = self.materialize(value)
            if not isinstance(value, Tensor) or not value.shape:
                raise self.unsupported("the model must return tensors (or a tuple/list of them)")
            if out_dtype is not None and value.dtype != out_dtype:
                value = self.convert(value, out_dtype)
            names.append(value.name)
            self.results_sig.append(self.array_type(value.dtype, value.shape))
        self.writer.emit(f"return {', '.join(names)}", self.owner())

    # ------------------------------------------------------------------ folding
    def is_static(self, node) -> bool:
        """Whether ``node``'s recorded value is a compile-time constant of the kernel."""
        if node.op == "call_method" and node.target in DATA_DEPENDENT_METHODS:
            return False
        value = node.meta.get("allo_value")
        if not _contains_tensor(value, self.torch):
            return True  # sizes, shapes, Python scalars: shapes are static here
        if node.op == "get_attr":
            return not (self.weights_as_args and node.target in self.parameters)
        if node.op == "call_module" and self.weights_as_args:
            module = self.gm.get_submodule(node.target)
            if any(True for _ in module.parameters()):
                return False
        return not any(has_runtime(self.values.get(n)) for n in node.all_input_nodes)

    def static_value(self, value, node):
        torch = self.torch
        if isinstance(value, torch.Tensor):
            return Const(value.detach().cpu().numpy().copy(), self.const_label(node))
        if isinstance(value, torch.Size):
            return tuple(int(d) for d in value)
        if isinstance(value, (list, tuple)):
            return type(value)(self.static_value(v, node) for v in value)
        return value

    def const_label(self, node) -> str:
        if node.op == "get_attr":
            prefix = "gb_" if node.target in self.buffers else "g_"
            return prefix + node.target.replace(".", "_")
        return "g_const_" + node.name

    # ------------------------------------------------------------------ weights
    def weight(self, qualname: str):
        """Parameter or buffer ``qualname`` (``fc1.weight``): a kernel argument when weights
        are arguments (parameters only), else a constant global."""
        if qualname in self.parameters:
            tensor = self.parameters[qualname]
            if self.weights_as_args:
                if qualname not in self.weight_tensors:
                    array = tensor.detach().cpu().numpy().copy()
                    self.weight_tensors[qualname] = self.add_param(
                        qualname.replace(".", "_"), tuple(array.shape),
                        numpy_allo_dtype(array.dtype), is_input=False)
                    self.weight_data.append(array)
                return self.weight_tensors[qualname]
            prefix = "g_"
        elif qualname in self.buffers:
            tensor, prefix = self.buffers[qualname], "gb_"
        else:
            raise self.unsupported(f"no parameter or buffer named {qualname}")
        if qualname not in self.weight_consts:
            self.weight_consts[qualname] = Const(tensor.detach().cpu().numpy().copy(),
                                                 prefix + qualname.replace(".", "_"))
        return self.weight_consts[qualname]

    def module_weight(self, module_name: str, attr: str):
        """``module.<attr>`` of the submodule at ``module_name`` (None when unset)."""
        module = self.gm.get_submodule(module_name)
        if getattr(module, attr, None) is None:
            return None
        return self.weight(f"{module_name}.{attr}" if module_name else attr)

    # ------------------------------------------------------------------ operands
    def global_name(self, const: Const) -> str:
        """The global holding ``const`` (registered on first use, one per Const object)."""
        entry = self.const_names.get(id(const))
        if entry is None:
            entry = (self.writer.fresh(const.label), const)  # keeps ``const`` (and its id) alive
            self.global_vars[entry[0]] = const.array
            self.const_names[id(const)] = entry
        return entry[0]

    def operand(self, value, dtype: AlloType | None = None) -> str:
        """Source text of ``value`` used as an operand, converted to ``dtype`` when given.

        A constant of its natural type is the global itself, also as a kernel-call argument
        (no copy into a local array).
        """
        if isinstance(value, Tensor):
            if dtype is None or value.dtype == dtype:
                return value.name
            return self.convert(value, dtype).name
        if isinstance(value, Const):
            if value.array.ndim == 0:
                return literal(value.array.item())
            name = self.global_name(value)
            natural = numpy_allo_dtype(value.array.dtype)
            if dtype is None:
                dtype = natural
            if natural == dtype:
                return name
            key = (name, str(dtype))
            if key not in self.converted:
                local = self.writer.fresh(name[2:] if name.startswith("g_") else name)
                self.emit(f"{local}: {self.array_type(dtype, value.array.shape)} = {name}")
                self.converted[key] = local
            return self.converted[key]
        if scalar_value(value):
            return literal(value)
        raise self.unsupported(f"unexpected operand {value!r}")

    def tensor(self, value, what: str = "input") -> Tensor:
        """``value`` as a run-time array (constants are copied into a local array)."""
        if isinstance(value, Tensor):
            return value
        if isinstance(value, Const) and value.array.ndim > 0:
            return self.materialize(value)
        raise self.unsupported(f"expected a tensor as the {what}, got {value!r}")

    def materialize(self, const: Const) -> Tensor:
        dtype = numpy_allo_dtype(const.array.dtype)
        name = self.writer.fresh(const.label[2:] if const.label.startswith("g_") else const.label)
        self.emit(f"{name}: {self.array_type(dtype, const.array.shape)} = "
                  f"{self.global_name(const)}")
        return Tensor(name, tuple(const.array.shape), dtype)

    def convert(self, value: Tensor, dtype: AlloType) -> Tensor:
        key = (value.name, str(dtype))
        if key not in self.converted:
            name = self.writer.fresh(f"{value.name}_{self.type_name(dtype)}")
            self.emit(f"{name}: {self.array_type(dtype, value.shape)} = {value.name}")
            self.converted[key] = name
        return Tensor(self.converted[key], value.shape, dtype)

    # ------------------------------------------------------------------ emission
    def owner(self):
        return (self.node, node_location(self.node)) if self.node is not None else None

    def emit(self, text: str, indent: int = 1) -> None:
        self.writer.emit(text, self.owner(), indent)

    def out_shape(self) -> tuple:
        value = self.node.meta.get("allo_value")
        if not isinstance(value, self.torch.Tensor):
            raise self.unsupported("expected a tensor result")
        return tuple(int(d) for d in value.shape)

    def bind(self, expr: str, shape: tuple, dtype: AlloType, declare: bool = False) -> Tensor:
        """``<name> = expr`` (or a declaration converting to ``dtype``) for the current node."""
        name = self.writer.fresh(self.node.name)
        if declare:
            self.emit(f"{name}: {self.array_type(dtype, shape)} = {expr}")
        else:
            self.emit(f"{name} = {expr}")
        return Tensor(name, tuple(shape), dtype)

    def dsl(self, op: str, args: list, shape: tuple, dtype: AlloType, declare=False) -> Tensor:
        return self.bind(f"{DSL_NAME}.{op}({', '.join(args)})", shape, dtype, declare)

    def kernel(self, kernel: str, instantiate: list, args: list, shape: tuple,
               dtype: AlloType) -> Tensor:
        """Call library kernel ``nn.<kernel>`` with the next id of its kind."""
        k = self.kernel_counts.get(kernel, 0)
        self.kernel_counts[kernel] = k + 1
        inst_id = str(k)
        params = [self.type_name(a) if isinstance(a, AlloType) else str(int(a))
                  for a in instantiate]
        expr = f'{LIBRARY_NAME}.{kernel}[{", ".join(params)}, "{inst_id}"]({", ".join(args)})'
        self.kernel_uses.append(KernelUse(kernel, list(instantiate), inst_id))
        return self.bind(expr, shape, dtype)

    def loop_nest(self, shape: tuple, dtype: AlloType, element) -> Tensor:
        """A fresh array filled by ``element(ivs) -> source text`` over ``shape``."""
        if not shape:
            raise self.unsupported("a 0-d result is not supported")
        name = self.writer.fresh(self.node.name)
        ivs = [f"i{k}" for k in range(len(shape))]
        self.emit(f"{name}: {self.array_type(dtype, shape)}")
        self.emit(f"for {', '.join(ivs)} in {ALLO_NAME}.grid({', '.join(map(str, shape))}):")
        self.emit(f"{name}[{', '.join(ivs)}] = {element(ivs)}", indent=2)
        return Tensor(name, tuple(shape), dtype)

    def view(self, x: Tensor, shape: tuple) -> Tensor:
        """``x`` reshaped (row-major copy) to ``shape``; ``x`` itself when the shape matches.

        The copy is written only if something reads it (:class:`ReshapedView`), so a chain
        of reshapes costs one copy and a reshape back to the original shape none.
        """
        shape = tuple(int(d) for d in shape)
        if shape == tuple(x.shape):
            return x
        if isinstance(x, ReshapedView) and not x.emitted:
            x = x.source  # nothing reads x: reshape what it reshapes
            if shape == tuple(x.shape):
                return x
        name = self.writer.fresh(self.node.name)
        self.emit("")  # the line the copy takes once it is read
        return ReshapedView(self.writer, len(self.writer.body) - 1, name, x, shape)

    def map_args(self, value):
        """fx arguments with nodes replaced by their translated values."""
        if hasattr(value, "op") and hasattr(value, "all_input_nodes"):
            return self.values[value]
        if isinstance(value, (list, tuple)):
            return type(value)(self.map_args(v) for v in value)
        if isinstance(value, dict):
            return {k: self.map_args(v) for k, v in value.items()}
        return value
