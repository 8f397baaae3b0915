"""Per-operation rules of the PyTorch frontend (``backends.md`` §9 table).

:func:`translate_node` maps a call_module / call_function / call_method node to a canonical
operation name and calls its handler with the translated arguments. Handlers emit source
through the :class:`~allo.frontend.pytorch_translate.Translator` and return the node's value.
Shapes of results are taken from the recorded run, so they are always torch's.

>>> sorted(METHOD_OPS)[:3]
['add', 'bmm', 'chunk']
"""

from __future__ import annotations

import operator

import numpy as np

from .pytorch import DSL_NAME as DSL
from .pytorch import Const, Tensor, is_float_type, literal, scalar_value
from .pytorch_layout import (LAYOUT_HANDLERS, _prod, _rank_dim, _reshape, _tensor_operands)
from .types import UInt
from .weight_panels import PANEL, pack_linear_weights, panel_count

# ----------------------------------------------------------------------------- dispatch

METHOD_OPS = {
    "view": "reshape", "reshape": "reshape", "flatten": "reshape", "unsqueeze": "reshape",
    "squeeze": "reshape", "transpose": "transpose", "permute": "permute", "t": "t",
    "contiguous": "identity", "clone": "identity", "detach": "identity", "float": "identity",
    "add": "add", "sub": "sub", "mul": "mul", "div": "div", "neg": "neg",
    "masked_fill": "masked_fill", "softmax": "softmax", "log_softmax": "log_softmax",
    "relu": "relu", "repeat": "repeat", "split": "split", "chunk": "chunk",
    "matmul": "matmul", "bmm": "matmul", "tanh": "tanh", "exp": "exp", "sqrt": "sqrt",
    "sigmoid": "sigmoid", "gt": "gt", "lt": "lt", "ge": "ge", "le": "le", "eq": "eq",
    "ne": "ne",
}


def _function_ops(torch) -> dict:
    F = torch.nn.functional
    table = {
        operator.add: "add", operator.sub: "sub", operator.mul: "mul",
        operator.truediv: "div", operator.neg: "neg", operator.matmul: "matmul",
        operator.getitem: "getitem", operator.gt: "gt", operator.lt: "lt", operator.ge: "ge",
        operator.le: "le", operator.eq: "eq", operator.ne: "ne", torch.gt: "gt", torch.lt: "lt",
        torch.ge: "ge", torch.le: "le", torch.eq: "eq", torch.ne: "ne", torch.add: "add",
        torch.sub: "sub", torch.mul: "mul", torch.div: "div", torch.neg: "neg",
        torch.matmul: "matmul", torch.bmm: "matmul",
        F.linear: "linear", F.relu: "relu", torch.relu: "relu", F.gelu: "gelu",
        F.softmax: "softmax", torch.softmax: "softmax", F.log_softmax: "log_softmax",
        torch.log_softmax: "log_softmax", F.layer_norm: "layer_norm", F.dropout: "identity",
        torch.cat: "cat", torch.concat: "cat", torch.flatten: "reshape",
        torch.reshape: "reshape", torch.squeeze: "reshape", torch.unsqueeze: "reshape",
        torch.transpose: "transpose", torch.permute: "permute", torch.tanh: "tanh",
        F.tanh: "tanh", torch.exp: "exp", torch.sqrt: "sqrt", torch.sigmoid: "sigmoid",
        F.sigmoid: "sigmoid", torch.where: "where", torch.masked_fill: "masked_fill",
        F.scaled_dot_product_attention: "sdpa", torch.tril: "tril", torch.split: "split",
        torch.chunk: "chunk", F.max_pool2d: "max_pool2d", F.avg_pool2d: "avg_pool2d",
    }
    return table


def translate_node(tr, node):
    """The value of call node ``node`` (emitting its source through ``tr``)."""
    args = tr.map_args(node.args)
    kwargs = tr.map_args(dict(node.kwargs))
    if node.op == "call_module":
        module = tr.gm.get_submodule(node.target)
        if tr.leaf_classes and isinstance(module, tr.leaf_classes):
            from .pytorch_leaves import translate_leaf  # noqa: PLC0415 - it imports this module

            return translate_leaf(tr, module, node.target, node, args, kwargs)
        for cls_name, handler in MODULE_HANDLERS:
            cls = getattr(tr.torch.nn, cls_name)
            # a subclass counts only while it keeps the class's forward
            if isinstance(module, cls) and type(module).forward is cls.forward:
                return handler(tr, module, node.target, *args, **kwargs)
        raise tr.unsupported(f"module class {type(module).__name__}")
    if node.op == "call_function":
        name = _function_ops(tr.torch).get(node.target)
    elif node.op == "call_method":
        name = METHOD_OPS.get(node.target)
    else:
        name = None
    handler = OP_HANDLERS.get(name)
    if handler is None:
        raise tr.unsupported()
    return handler(tr, *args, **kwargs)


# ----------------------------------------------------------------------------- helpers


def _as_2d(tr, x: Tensor) -> Tensor:
    return tr.view(x, (_prod(x.shape[:-1]), x.shape[-1]))


def _element(tr, value, out_shape: tuple, ivs: list, dtype=None) -> str:
    """Source of ``value`` at output position ``ivs`` (numpy broadcasting)."""
    if scalar_value(value) or (isinstance(value, Const) and value.array.ndim == 0):
        return tr.operand(value)
    shape = value.shape if isinstance(value, Tensor) else value.array.shape
    if not shape:
        return tr.operand(value)
    name = tr.operand(value, dtype)
    offset = len(out_shape) - len(shape)
    index = ["0" if d == 1 and out_shape[offset + k] != 1 else ivs[offset + k]
             for k, d in enumerate(shape)]
    return f"{name}[{', '.join(index)}]"


# ----------------------------------------------------------------------------- element-wise

_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def _binary(kind):
    def handler(tr, a, b, alpha=1, rounding_mode=None, out=None):
        if alpha != 1 or rounding_mode is not None or out is not None:
            raise tr.unsupported("alpha, rounding_mode and out= are not supported")
        tensors = _tensor_operands([a, b])
        dtype = tensors[0].dtype if tensors else tr.dtype_for(kind)
        left, right = tr.operand(a, dtype if _is_array(a) else None), \
            tr.operand(b, dtype if _is_array(b) else None)
        shape = tr.out_shape()
        expr = f"{left} {_SYMBOLS[kind]} {right}"
        return tr.bind(expr, shape, dtype, declare=not is_float_type(dtype))

    return handler


def _is_array(value) -> bool:
    return (isinstance(value, Tensor) and bool(value.shape)) or \
        (isinstance(value, Const) and value.array.ndim > 0)


_COMPARISONS = {"gt": ">", "lt": "<", "ge": ">=", "le": "<=", "eq": "==", "ne": "!="}


def _compare(kind):
    """``a <op> b`` on run-time tensors: a ``bool`` array (torch's mask tensors)."""
    def handler(tr, a, b):
        tensors = _tensor_operands([a, b])
        dtype = tensors[0].dtype
        shape = tr.out_shape()
        return tr.loop_nest(shape, UInt(1), lambda ivs: (
            f"{_element(tr, a, shape, ivs, dtype)} {_COMPARISONS[kind]} "
            f"{_element(tr, b, shape, ivs, dtype)}"))

    return handler


def _neg(tr, x):
    x = tr.tensor(x)
    return tr.bind(f"0.0 - {x.name}", x.shape, x.dtype, declare=not is_float_type(x.dtype))


def _unary_dsl(op):
    def handler(tr, x, *args, **kwargs):
        if args or kwargs:
            raise tr.unsupported("extra arguments are not supported")
        x = tr.tensor(x)
        dtype = tr.dtype_for(op)
        return tr.dsl(op, [tr.operand(x, dtype)], x.shape, dtype)

    return handler


def _sigmoid(tr, x):
    x = tr.tensor(x)
    dtype = tr.dtype_for("sigmoid")
    name = tr.operand(x, dtype)
    return tr.bind(f"1.0 / (1.0 + {DSL}.exp(0.0 - {name}))", x.shape, dtype)



def _identity(tr, x, *args, **kwargs):
    return x


def _masked_fill(tr, x, mask, value):
    x = tr.tensor(x)
    shape = tr.out_shape()
    fill = tr.operand(value)
    return tr.loop_nest(shape, x.dtype, lambda ivs: (
        f"{fill} if {_element(tr, mask, shape, ivs)} else {_element(tr, x, shape, ivs)}"))


def _where(tr, cond, a, b):
    tensors = _tensor_operands([a, b])
    if not tensors:
        raise tr.unsupported("torch.where needs a tensor operand")
    dtype = tensors[0].dtype
    shape = tr.out_shape()
    return tr.loop_nest(shape, dtype, lambda ivs: (
        f"{_element(tr, a, shape, ivs, dtype)} if {_element(tr, cond, shape, ivs)} "
        f"else {_element(tr, b, shape, ivs, dtype)}"))


def _relu(tr, x, inplace=False):
    x = tr.tensor(x)
    dtype = tr.dtype_for("relu")
    name = tr.operand(x, dtype)
    if 2 <= len(x.shape) <= 4:
        return tr.kernel(f"relu{len(x.shape)}d", [dtype, *x.shape], [name], x.shape, dtype)
    return tr.dsl("relu", [name], x.shape, dtype)


def _gelu(tr, x, approximate="none"):
    x = tr.tensor(x)
    dtype = tr.dtype_for("gelu")
    x = tr.convert(x, dtype) if x.dtype != dtype else x
    if approximate == "tanh":
        return tr.dsl("gelu", [x.name], x.shape, dtype)
    if approximate != "none":
        raise tr.unsupported(f"GELU approximate={approximate!r}")
    flat = _as_2d(tr, x)
    out = tr.kernel("gelu_erf", [dtype, *flat.shape], [flat.name], flat.shape, dtype)
    return tr.view(out, x.shape)


# ----------------------------------------------------------------------------- linear algebra


def _linear(tr, x, weight, bias=None, fx_name=""):
    x = tr.tensor(x)
    tx, tw, to = tr.linear_dtypes(fx_name or tr.node.name)
    if tr.for_cpu and isinstance(weight, Const) and weight.array.ndim == 2:
        return _linear_packed(tr, x, weight, bias, (tx, tw, to))
    if tr.for_cpu and isinstance(weight, Tensor) and len(weight.shape) == 2:
        return _linear_run_time_panels(tr, x, weight, bias, (tx, tw, to))
    n, k = weight.shape if isinstance(weight, Tensor) else weight.array.shape
    xs, ws = tr.operand(x, tx), tr.operand(weight, tw)
    out_shape = (*x.shape[:-1], n)
    if bias is None:
        return tr.bind(f"{DSL}.linear({xs}, {ws})", out_shape, to, declare=True)
    bs = tr.operand(bias, to)
    if len(x.shape) == 2:
        return tr.kernel("linear2d", [tx, tw, to, x.shape[0], n, k], [xs, ws, bs], out_shape, to)
    if len(x.shape) == 3:
        return tr.kernel("linear3d", [tx, tw, to, *x.shape, n], [xs, ws, bs], out_shape, to)
    flat = _as_2d(tr, Tensor(xs, x.shape, tx))
    out = tr.kernel("linear2d", [tx, tw, to, flat.shape[0], n, k], [flat.name, ws, bs],
                    (flat.shape[0], n), to)
    return tr.view(out, out_shape)


def _linear_packed(tr, x: Tensor, weight: Const, bias, dtypes: tuple) -> Tensor:
    """CPU build, constant weights: ``nn.linear_packed`` on weights packed once, here.

    The packed weights and the bias are passed as the globals themselves (no per-call copy;
    that copy exists for HLS C++, which cannot pass a constant global to a non-const
    parameter, and this path is never emitted for HLS).
    """
    tx, tw, to = dtypes
    n, k = weight.array.shape
    entry = tr.packed_weights.get(id(weight))
    if entry is None:  # holding ``weight`` in the entry keeps its id from being reused
        entry = (weight, Const(pack_linear_weights(weight.array), weight.label + "_panels"))
        tr.packed_weights[id(weight)] = entry
    packed = entry[1]
    if bias is None:
        bias = Const(np.zeros(n, dtype=weight.array.dtype), weight.label + "_nobias")
    x = tr.convert(x, tx) if x.dtype != tx else x
    args = [tr.operand(packed, tw), tr.operand(bias, to)]
    if len(x.shape) == 3:  # the common [batch, sequence, features]: no flattening copies
        inst = [tx, tw, to, *x.shape[:2], n, k, panel_count(n)]
        return tr.kernel("linear_packed3d", inst, [x.name, *args], (*x.shape[:2], n), to)
    flat = _as_2d(tr, x)
    inst = [tx, tw, to, flat.shape[0], n, k, panel_count(n)]
    out = tr.kernel("linear_packed", inst, [flat.name, *args], (flat.shape[0], n), to)
    return tr.view(out, (*x.shape[:-1], n))


def _linear_run_time_panels(tr, x: Tensor, weight: Tensor, bias, dtypes: tuple) -> Tensor:
    """CPU build, weights passed as arguments: ``nn.linear_panels`` on a 2-D view of ``x``.
    It packs each 32-column panel of the weights into one L2-resident buffer just before
    using it; the views copy ``1/N`` and ``1/K`` of the product's work. The sums are those
    of ``linear2d``, in the same order."""
    tx, tw, to = dtypes
    n, k = weight.shape
    ws = tr.operand(weight, tw)
    if bias is None:
        bias = Const(np.zeros(n, dtype=np.float32), f"g_{ws}_nobias")
    flat = _as_2d(tr, tr.convert(x, tx) if x.dtype != tx else x)
    out = tr.kernel("linear_panels", [tx, tw, to, flat.shape[0], n, k],
                    [flat.name, ws, tr.operand(bias, to)], (flat.shape[0], n), to)
    return tr.view(out, (*x.shape[:-1], n))


def _linear_module(tr, module, name, x):
    return _linear(tr, x, tr.module_weight(name, "weight"), tr.module_weight(name, "bias"),
                   fx_name=name)


def _matmul(tr, a, b, out=None):
    dtype = tr.dtype_for("matmul")
    shape = tr.out_shape()
    sa = a.shape if isinstance(a, Tensor) else a.array.shape
    sb = b.shape if isinstance(b, Tensor) else b.array.shape
    if len(sa) >= 2 and len(sa) == len(sb) and tuple(sa[:-2]) == tuple(sb[:-2]):
        if tr.for_cpu and is_float_type(dtype) and sb[-1] % PANEL == 0:
            return _bmm_panels(tr, a, b, dtype, shape)
        return tr.dsl("matmul", [tr.operand(a, dtype), tr.operand(b, dtype)], shape, dtype)
    if len(sa) >= 3 and len(sb) == 2:  # [..., M, K] @ [K, N]: one 2-D product
        left = tr.tensor(a)
        flat = _as_2d(tr, tr.convert(left, dtype) if left.dtype != dtype else left)
        prod = tr.dsl("matmul", [flat.name, tr.operand(b, dtype)], (flat.shape[0], sb[1]), dtype)
        return tr.view(prod, shape)
    raise tr.unsupported(f"matmul of shapes {tuple(sa)} and {tuple(sb)} (broadcast batch "
                         f"dimensions)")


def _bmm_panels(tr, a, b, dtype, shape: tuple) -> Tensor:
    """CPU build: ``nn.bmm_panels`` (register-blocked) on 3-D views of equal-batch operands."""
    views = []
    for value in (a, b):
        t = tr.tensor(value)
        t = tr.convert(t, dtype) if t.dtype != dtype else t
        views.append(tr.view(t, (_prod(t.shape[:-2]), *t.shape[-2:])))
    (batch, m, k), n = views[0].shape, views[1].shape[-1]
    out = tr.kernel("bmm_panels", [dtype, dtype, dtype, batch, m, k, n],
                    [v.name for v in views], (batch, m, n), dtype)
    return tr.view(out, shape)


def _sdpa(tr, q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
          enable_gqa=False):
    if attn_mask is not None or scale is not None or enable_gqa:
        raise tr.unsupported("attn_mask, scale and enable_gqa are not supported")
    q, k, v = (tr.tensor(t) for t in (q, k, v))
    dtype = tr.dtype_for("sdpa")
    if q.shape[:-2] != k.shape[:-2] or k.shape != v.shape or q.shape[-1] != k.shape[-1]:
        raise tr.unsupported(f"query/key/value shapes {q.shape}, {k.shape}, {v.shape}")
    batch = _prod(q.shape[:-2])
    views = [tr.view(tr.convert(t, dtype) if t.dtype != dtype else t, (batch, *t.shape[-2:]))
             for t in (q, k, v)]
    out = tr.kernel("sdp_attention", [dtype, batch, q.shape[-2], k.shape[-2], q.shape[-1],
                                      int(bool(is_causal))],
                    [t.name for t in views], views[0].shape, dtype)
    return tr.view(out, q.shape)


# ----------------------------------------------------------------------------- normalisation


def _softmax(tr, x, dim=None, _stacklevel=3, dtype=None):
    x = tr.tensor(x)
    if dim is None or _rank_dim(dim, len(x.shape)) != len(x.shape) - 1 or dtype is not None:
        raise tr.unsupported("softmax is supported along the last dimension only")
    ty = tr.dtype_for("softmax")
    return tr.dsl("softmax", [tr.operand(x, ty)], x.shape, ty)


def _log_softmax(tr, x, dim=None, _stacklevel=3, dtype=None):
    x = tr.tensor(x)
    if dim is None or _rank_dim(dim, len(x.shape)) != len(x.shape) - 1 or dtype is not None:
        raise tr.unsupported("log_softmax is supported along the last dimension only")
    ty = tr.dtype_for("log_softmax")
    flat = _as_2d(tr, tr.convert(x, ty) if x.dtype != ty else x)
    out = tr.kernel("log_softmax", [ty, *flat.shape], [flat.name], flat.shape, ty)
    return tr.view(out, x.shape)


def _layer_norm(tr, x, normalized_shape, weight=None, bias=None, eps=1e-5):
    x = tr.tensor(x)
    if tuple(normalized_shape) != tuple(x.shape[-1:]):
        raise tr.unsupported("layer_norm over more than the last dimension")
    ty = tr.dtype_for("layernorm")
    width = x.shape[-1]
    gamma = tr.operand(weight, ty) if weight is not None else _filled(tr, width, 1.0, ty)
    beta = tr.operand(bias, ty) if bias is not None else _filled(tr, width, 0.0, ty)
    return tr.dsl("layernorm", [tr.operand(x, ty), gamma, beta, literal(float(eps))],
                  x.shape, ty)


def _filled(tr, width: int, value: float, dtype) -> str:
    name = tr.writer.fresh("fill")
    tr.emit(f"{name}: {tr.array_type(dtype, (width,))} = {literal(value)}")
    return name


def _layer_norm_module(tr, module, name, x):
    weight = tr.module_weight(name, "weight")
    bias = tr.module_weight(name, "bias")
    return _layer_norm(tr, x, module.normalized_shape, weight, bias, module.eps)


def _batch_norm_module(tr, module, name, x):
    x = tr.tensor(x)
    if module.running_mean is None:
        raise tr.unsupported("batch norm without running statistics (track_running_stats=False)")
    rank = len(x.shape)
    kind = {(2, "BatchNorm2d"): None, (4, "BatchNorm2d"): "batchnorm2d",
            (2, "BatchNorm1d"): "batchnorm1d_2d", (3, "BatchNorm1d"): "batchnorm1d_3d"}.get(
        (rank, type(module).__name__))
    if kind is None:
        raise tr.unsupported(f"{type(module).__name__} on a {rank}-D input")
    ty = tr.dtype_for(kind)
    channels = x.shape[1]
    gamma = tr.operand(tr.module_weight(name, "weight"), ty) \
        if module.weight is not None else _filled(tr, channels, 1.0, ty)
    beta = tr.operand(tr.module_weight(name, "bias"), ty) \
        if module.bias is not None else _filled(tr, channels, 0.0, ty)
    mean = tr.operand(tr.module_weight(name, "running_mean"), ty)
    var = tr.operand(tr.module_weight(name, "running_var"), ty)
    args = [tr.operand(x, ty), gamma, beta, literal(float(module.eps)), mean, var]
    return tr.kernel(kind, [ty, *x.shape], args, x.shape, ty)


# ----------------------------------------------------------------------------- conv, pooling


def _pair(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _conv2d_module(tr, module, name, x):
    x = tr.tensor(x)
    if module.groups != 1 or _pair(module.dilation) != (1, 1) or module.padding_mode != "zeros":
        raise tr.unsupported("Conv2d with groups, dilation or non-zero padding modes")
    if isinstance(module.padding, str) and module.padding != "valid":
        raise tr.unsupported(f"Conv2d padding={module.padding!r}")
    pad = (0, 0) if isinstance(module.padding, str) else _pair(module.padding)
    ty = tr.dtype_for("conv2d")
    weight = tr.module_weight(name, "weight")
    cout, cin, kh, kw = weight.shape if isinstance(weight, Tensor) else weight.array.shape
    bias = tr.operand(tr.module_weight(name, "bias"), ty) \
        if module.bias is not None else _filled(tr, cout, 0.0, ty)
    shape = tr.out_shape()
    stride = _pair(module.stride)
    inst = [ty, x.shape[0], cin, cout, x.shape[2], x.shape[3], kh, kw, shape[2], shape[3],
            *stride, *pad]
    args = [tr.operand(x, ty), tr.operand(weight, ty), bias]
    return tr.kernel("conv2d", inst, args, shape, ty)


def _pool(tr, kind, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
          return_indices=False, count_include_pad=True, divisor_override=None):
    x = tr.tensor(x)
    k, s, p = _pair(kernel_size), _pair(stride if stride not in (None, []) else kernel_size), \
        _pair(padding)
    if len(x.shape) != 4 or k[0] != k[1] or s[0] != s[1] or p[0] != p[1]:
        raise tr.unsupported("pooling needs a 4-D input and square kernel, stride and padding")
    if _pair(dilation) != (1, 1) or ceil_mode or return_indices or not count_include_pad \
            or divisor_override is not None:
        raise tr.unsupported("dilation, ceil_mode, return_indices, count_include_pad=False and "
                             "divisor_override are not supported")
    ty = tr.dtype_for(kind)
    shape = tr.out_shape()
    inst = [ty, *x.shape, k[0], shape[2], shape[3], s[0], p[0]]
    return tr.kernel(kind, inst, [tr.operand(x, ty)], shape, ty)


def _maxpool_module(tr, module, name, x):
    return _pool(tr, "maxpool2d", x, module.kernel_size, module.stride, module.padding,
                 module.dilation, module.ceil_mode, module.return_indices)


def _avgpool_module(tr, module, name, x):
    return _pool(tr, "avgpool2d", x, module.kernel_size, module.stride, module.padding,
                 ceil_mode=module.ceil_mode, count_include_pad=module.count_include_pad,
                 divisor_override=module.divisor_override)


# ----------------------------------------------------------------------------- tables

OP_HANDLERS = {
    "add": _binary("add"), "sub": _binary("sub"), "mul": _binary("mul"), "div": _binary("div"),
    "neg": _neg, "identity": _identity, "relu": _relu, "gelu": _gelu,
    "tanh": _unary_dsl("tanh"), "exp": _unary_dsl("exp"), "sqrt": _unary_dsl("sqrt"),
    "sigmoid": _sigmoid, "linear": _linear, "matmul": _matmul, "sdpa": _sdpa,
    "softmax": _softmax, "log_softmax": _log_softmax, "layer_norm": _layer_norm,
    "masked_fill": _masked_fill, "where": _where,
    **LAYOUT_HANDLERS,
    **{kind: _compare(kind) for kind in _COMPARISONS},
    "max_pool2d": lambda tr, x, *a, **k: _pool(tr, "maxpool2d", x, *a, **k),
    "avg_pool2d": lambda tr, x, *a, **k: _pool(tr, "avgpool2d", x, *a, **k),
}


def _module(handler):
    return lambda tr, module, name, x, *args, **kwargs: handler(tr, x, *args, **kwargs)


MODULE_HANDLERS = [
    ("Linear", _linear_module),
    ("ReLU", lambda tr, module, name, x: _relu(tr, x)),
    ("GELU", lambda tr, module, name, x: _gelu(tr, x, module.approximate)),
    ("Tanh", _module(_unary_dsl("tanh"))),
    ("Sigmoid", _module(_sigmoid)),
    ("Dropout", _module(_identity)),
    ("Identity", _module(_identity)),
    ("LayerNorm", _layer_norm_module),
    ("BatchNorm1d", _batch_norm_module),
    ("BatchNorm2d", _batch_norm_module),
    ("Conv2d", _conv2d_module),
    ("MaxPool2d", _maxpool_module),
    ("AvgPool2d", _avgpool_module),
    ("Softmax", lambda tr, module, name, x: _softmax(tr, x, module.dim)),
    ("LogSoftmax", lambda tr, module, name, x: _log_softmax(tr, x, module.dim)),
    ("Flatten", lambda tr, module, name, x: _reshape(tr, x)),
]

__all__ = ["translate_node", "METHOD_OPS", "OP_HANDLERS", "MODULE_HANDLERS"]
