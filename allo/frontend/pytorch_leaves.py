"""Leaf modules of ``from_pytorch(..., leaf_modules=[cls, …])`` (``backends.md`` §9).

torch.fx does not trace into a module whose class is listed in ``leaf_modules``: its call stays
one ``call_module`` node, translated by the builder registered under the class name in
:data:`LEAF_BUILDERS` (``build_<ClassName>``). Provided:

- ``CoreAttention(q, k, v)``, ``q: [..., L, D]``, ``k, v: [..., S, D]``: ``softmax(q·kᵀ/√D)·v``,
  causal (upper triangle masked) when the module has a true ``is_causal`` attribute; the
  library kernel ``sdp_attention``.
- ``KVCache(k, v)``: the module's buffers ``k_cache``/``v_cache`` (``[..., S0, D]``) followed by
  the new ``k``/``v`` along the sequence dimension (-2); returns the pair.
- ``SliceClsToken(x)``, ``x: [B, N, …]``: the class token ``x[:, 0]``.

A builder assumes what a class computes, so each comes with a numpy reference: the torch
output recorded on the example inputs must match it (``rtol = 1e-4``), else the node is
reported unsupported; a class that merely shares a name is never mistranslated silently.
Projects add their own entries with :func:`register_leaf_builder`.

>>> sorted(LEAF_BUILDERS)
['CoreAttention', 'KVCache', 'SliceClsToken']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .pytorch_ops import OP_HANDLERS, _sdpa

__all__ = ["LEAF_BUILDERS", "LeafBuilder", "register_leaf_builder", "translate_leaf"]

REFERENCE_RTOL, REFERENCE_ATOL = 1e-4, 1e-5


@dataclass(frozen=True)
class LeafBuilder:
    """``build(tr, module, name, *args)`` emits the node's Allo source and returns its value;
    ``reference(module, *arrays)`` is the numpy result the class must produce."""

    build: Callable
    reference: Callable


LEAF_BUILDERS: dict[str, LeafBuilder] = {}


def register_leaf_builder(class_name: str, build: Callable, reference: Callable) -> None:
    """Translate leaf modules of class ``class_name`` with ``build`` (checked by ``reference``).

    >>> register_leaf_builder("Twice", lambda tr, m, name, x: x, lambda m, x: 2 * x)
    >>> LEAF_BUILDERS.pop("Twice").reference(None, np.ones(2)).tolist()
    [2.0, 2.0]
    """
    LEAF_BUILDERS[class_name] = LeafBuilder(build, reference)


def translate_leaf(tr, module, name: str, node, args: tuple, kwargs: dict):
    """The value of the leaf-module call ``node`` (``module`` at ``name``)."""
    cls_name = type(module).__name__
    builder = LEAF_BUILDERS.get(cls_name)
    if builder is None:
        raise tr.unsupported(f"leaf module class {cls_name} has no builder (build_{cls_name}); "
                             f"provided: {', '.join(sorted(LEAF_BUILDERS))}")
    if kwargs:
        raise tr.unsupported(f"leaf module {cls_name} called with keyword arguments")
    _check_reference(tr, builder, module, node, cls_name)
    return builder.build(tr, module, name, *args)


def _check_reference(tr, builder: LeafBuilder, module, node, cls_name: str) -> None:
    arrays = [_as_numpy(a.meta.get("allo_value")) if hasattr(a, "meta") else a
              for a in node.args]
    expected = builder.reference(module, *arrays)
    actual = _as_numpy(node.meta.get("allo_value"))
    expected = expected if isinstance(expected, tuple) else (expected,)
    actual = actual if isinstance(actual, tuple) else (actual,)
    same = len(expected) == len(actual) and all(
        np.shape(e) == np.shape(a) and np.allclose(a, e, rtol=REFERENCE_RTOL,
                                                   atol=REFERENCE_ATOL)
        for e, a in zip(expected, actual))
    if not same:
        raise tr.unsupported(f"leaf module {cls_name} does not compute what build_{cls_name} "
                             f"translates (its output on the example inputs differs)")


def _as_numpy(value):
    if isinstance(value, (list, tuple)):
        return tuple(_as_numpy(v) for v in value)
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return value


# --------------------------------------------------------------------- CoreAttention


def _is_causal(module) -> bool:
    return bool(getattr(module, "is_causal", False))


def build_CoreAttention(tr, module, name, q, k, v):
    return _sdpa(tr, q, k, v, is_causal=_is_causal(module))


def reference_CoreAttention(module, q, k, v):
    scores = (q.astype(np.float64) @ np.swapaxes(k, -1, -2)) / np.sqrt(q.shape[-1])
    if _is_causal(module):
        upper = np.triu(np.ones(scores.shape[-2:], bool), 1)
        scores = np.where(upper, -np.inf, scores)
    scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (scores / scores.sum(axis=-1, keepdims=True)) @ v


# --------------------------------------------------------------------- KVCache


def build_KVCache(tr, module, name, k, v):
    cat = OP_HANDLERS["cat"]
    return (cat(tr, [tr.module_weight(name, "k_cache"), k], dim=-2),
            cat(tr, [tr.module_weight(name, "v_cache"), v], dim=-2))


def reference_KVCache(module, k, v):
    caches = (_as_numpy(module.k_cache), _as_numpy(module.v_cache))
    return tuple(np.concatenate([c, x], axis=-2) for c, x in zip(caches, (k, v)))


# --------------------------------------------------------------------- SliceClsToken


def build_SliceClsToken(tr, module, name, x):
    x = tr.tensor(x)
    if len(x.shape) < 2:
        raise tr.unsupported(f"SliceClsToken of a {len(x.shape)}-D tensor")
    shape = (x.shape[0], *x.shape[2:])
    return tr.loop_nest(shape, x.dtype,
                        lambda ivs: f"{x.name}[{', '.join([ivs[0], '0', *ivs[1:]])}]")


def reference_SliceClsToken(module, x):
    return x[:, 0]


register_leaf_builder("CoreAttention", build_CoreAttention, reference_CoreAttention)
register_leaf_builder("KVCache", build_KVCache, reference_KVCache)
register_leaf_builder("SliceClsToken", build_SliceClsToken, reference_SliceClsToken)
