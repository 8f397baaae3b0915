"""Normalisations along the last axis: ``softmax`` and ``layernorm`` (language.md §6.2).

Both are float-only and compute in the input's element type. Each is one stage: one loop per
leading dimension (a single loop of extent 1 for a 1-D input, so the op is still one stage),
then sibling inner loops for the phases (max, exp-and-sum, scale / statistics, normalise),
named ``L_0``, ``L_1``, ... in order. Running values live in unnamed rank-0 buffers.

>>> # P = allo.softmax(S)       # exp(S - max) / sum(exp(S - max)) along the last axis
"""

from __future__ import annotations

from .._mlir import arith_d, math_d
from ..errors import AlloTypeError
from .casting import constant
from .tensor_emit import OpEmitter, lowest_value, max_value
from .values import Val


def _rows_and_width(x: Val, op: str):
    if not isinstance(x, Val) or not x.is_array:
        raise AlloTypeError(f"allo.{op} expects an array argument")
    if not x.dtype.is_float:
        raise AlloTypeError(f"allo.{op} expects a float array, got {x.dtype}")
    shape = tuple(x.shape)
    lead = shape[:-1]
    return lead, shape[-1]


def _over_rows(em: OpEmitter, lead: tuple, body):
    """Run ``body(row_ivs)`` once per leading index (once, with no index, for 1-D inputs)."""
    if lead:
        em.nest(lead, body)
    else:
        em.nest((1,), lambda _ivs: body([]))


def softmax_op(ops, op: str, p: dict) -> Val:
    """``allo.softmax(x)``: ``exp(x - max) / Σ exp(x - max)`` along the last axis."""
    x = p["x"]
    lead, width = _rows_and_width(x, op)
    t = x.dtype
    em = OpEmitter(ops, op, p["name"])
    out = em.fresh(t, tuple(x.shape))
    running_max, total = em.scalar_buffer(t), em.scalar_buffer(t)

    def row(rows):
        em.write_scalar(lowest_value(t), running_max)

        def find_max(kv):
            v = em.load(x, rows + kv)
            em.write_scalar(max_value(em.read_scalar(running_max), v, t), running_max)

        em.nest((width,), find_max, reduction=True)
        em.write_scalar(constant(0.0, t), total)

        def exp_sum(kv):
            shifted = arith_d.SubFOp(em.load(x, rows + kv), em.read_scalar(running_max)).result
            e = math_d.ExpOp(shifted).result
            em.store(e, out, rows + kv)
            em.write_scalar(arith_d.AddFOp(em.read_scalar(total), e).result, total)

        em.nest((width,), exp_sum, reduction=True)

        def scale(kv):
            q = arith_d.DivFOp(em.load(out, rows + kv), em.read_scalar(total)).result
            em.store(q, out, rows + kv)

        em.nest((width,), scale)

    _over_rows(em, lead, row)
    return out


def layernorm_op(ops, op: str, p: dict) -> Val:
    """``allo.layernorm(x, gamma, beta, eps=1e-5)`` over the last axis D (``gamma``, ``beta``: [D]).

    ``gamma·(x − mean)/sqrt(var + eps) + beta`` with ``var = mean(x²) − mean²``.
    """
    x, gamma, beta = p["x"], p["gamma"], p["beta"]
    lead, width = _rows_and_width(x, op)
    for what, v in (("gamma", gamma), ("beta", beta)):
        if not isinstance(v, Val) or tuple(v.shape) != (width,):
            raise AlloTypeError(f"allo.layernorm: {what} shape mismatch, got "
                                f"{tuple(getattr(v, 'shape', ()))} and ({width},)")
    try:
        eps = float(p["eps"])
    except (TypeError, ValueError) as err:
        raise AlloTypeError(f"eps of allo.layernorm must be a number, got {p['eps']!r}") from err
    t = x.dtype
    em = OpEmitter(ops, op, p["name"])
    out = em.fresh(t, tuple(x.shape))
    total, squares = em.scalar_buffer(t), em.scalar_buffer(t)

    def row(rows):
        em.write_scalar(constant(0.0, t), total)
        em.write_scalar(constant(0.0, t), squares)

        def stats(kv):
            v = em.load(x, rows + kv)
            em.write_scalar(arith_d.AddFOp(em.read_scalar(total), v).result, total)
            sq = arith_d.MulFOp(v, v).result
            em.write_scalar(arith_d.AddFOp(em.read_scalar(squares), sq).result, squares)

        em.nest((width,), stats, reduction=True)
        n = constant(float(width), t)
        mean = arith_d.DivFOp(em.read_scalar(total), n).result
        mean_sq = arith_d.DivFOp(em.read_scalar(squares), n).result
        var = arith_d.SubFOp(mean_sq, arith_d.MulFOp(mean, mean).result).result
        denom = math_d.SqrtOp(arith_d.AddFOp(var, constant(eps, t)).result).result

        def normalise(kv):
            g = em.load_as(gamma, kv, t)
            b = em.load_as(beta, kv, t)
            centred = arith_d.SubFOp(em.load(x, rows + kv), mean).result
            scaled = arith_d.DivFOp(arith_d.MulFOp(g, centred).result, denom).result
            em.store(arith_d.AddFOp(scaled, b).result, out, rows + kv)

        em.nest((width,), normalise)

    _over_rows(em, lead, row)
    return out


OPS = {"softmax": softmax_op, "layernorm": layernorm_op}
