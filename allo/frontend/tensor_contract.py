"""Reductions over products and windows: ``matmul``, ``bmm``, ``linear``, ``conv2d``,
``maxpool``, ``sumpool`` (language.md §6.2).

Accumulations start at 0 (``maxpool``: at the lowest value of the type, a true max) in the
result type and run in ascending index order, each step behaving like ``C[...] += a * b`` in a
kernel (:func:`allo.frontend.tensor_arith.accumulate`). When a ``linalg`` named op computes exactly
that — plain operands, conversions it can express (sign/zero extension or ``sitofp``/
``uitofp``/``extf`` to the result type, see :func:`linalg_cast`), no ``lower_linalg`` — the op
is ``linalg.matmul`` / ``linalg.batch_matmul`` / ``linalg.conv_2d_nchw_fchw`` /
``linalg.pooling_nchw_max|sum`` into a zero-filled fresh buffer; otherwise an explicit loop nest.

>>> # C = allo.matmul(A, B)   # A: int8[4, 5], B: int16[5, 3] -> C: int16[4, 3] (linalg.matmul)
"""

from __future__ import annotations

from .._mlir import ir, linalg_d
from ..errors import AlloTypeError
from . import memory as mem
from .casting import constant
from .tensor_arith import accumulate, add_in
from .tensor_emit import OpEmitter, index_add, lowest_value, max_value
from .types import AlloType, Fixed, Float, Int, UInt
from .typing_rules import common_type
from .values import Val


# --------------------------------------------------------------------------- linalg fitness


def _cast_kind(src: AlloType, dst: AlloType):
    """How a linalg named op (a sum of products) must convert ``src`` to ``dst`` to be exact.

    ``"any"`` (identity or truncation/extension either cast gives), ``"signed"``,
    ``"unsigned"``, or ``None`` when no linalg cast is exact (fixed point, index, narrowing
    floats, float to integer).
    """
    if not isinstance(src, (Int, UInt, Float)) or not isinstance(dst, (Int, UInt, Float)):
        return None  # fixed point: a raw product has twice the fraction bits; index
    if src == dst:
        return "any"
    if isinstance(dst, Float):
        if isinstance(src, Float):
            return "any" if src.bits <= dst.bits and {src.name, dst.name} != {"f16", "bf16"} else None
        return "unsigned" if isinstance(src, UInt) else "signed"
    if isinstance(src, Float):
        return None
    if src.bits >= dst.bits:
        return "any"  # truncation: the same bits whichever cast
    return "unsigned" if isinstance(src, UInt) else "signed"


def linalg_cast(srcs: list, dst: AlloType):
    """The single linalg cast (``"signed"``/``"unsigned"``) valid for all operands, or None.

    >>> from allo.ir.types import int8, uint8, int16
    >>> linalg_cast([int8, int16], int16), linalg_cast([uint8, uint8], int16)
    ('signed', 'unsigned')
    >>> linalg_cast([int8, uint8], int16) is None
    True
    """
    kinds = {_cast_kind(s, dst) for s in srcs}
    if None in kinds:
        return None
    kinds.discard("any")
    if len(kinds) > 1:
        return None
    if kinds:
        return kinds.pop()
    # no extension needed: name the signedness of the result (informative for readers/emitters)
    return "unsigned" if isinstance(dst, UInt) else "signed"


def _linalg_ok(em: OpEmitter, operands: list) -> bool:
    return not em.lowered and all(mem.is_plain(v) for v in operands)


def _named_op(em: OpEmitter, cls, inputs: list, out: Val, cast_kind="signed", **kw):
    if cast_kind == "unsigned":
        kw["cast"] = ir.Attribute.parse("#linalg.type_fn<cast_unsigned>")
    op = cls([], [v.value for v in inputs], [out.value], **kw)
    linalg_d.fill_builtin_region(op.operation)
    return em.name_linalg(op, out.dtype)


def _zero(t: AlloType):
    return constant(0.0 if t.is_float else 0, t)


def _expect_array(v: Val, op: str, what: str):
    if not isinstance(v, Val) or not v.is_array:
        raise AlloTypeError(f"allo.{op} expects an array as its {what} argument")


# --------------------------------------------------------------------------- matmul family


def _check_matmul_shapes(a: tuple, b: tuple):
    if len(a) < 2 or len(b) < 2:
        raise AlloTypeError(f"allo.matmul expects inputs of rank >= 2, got {a} and {b}")
    if a[-1] != b[-2]:
        raise AlloTypeError(
            "The last dimension of the first input and the second last dimension of the second "
            f"input must be the same, got {a} and {b}")
    if a[:-2] != b[:-2]:
        raise AlloTypeError(f"allo.matmul requires identical batch dimensions, got {a} and {b}")


def matmul_op(ops, op: str, p: dict) -> Val:
    """``allo.matmul(A, B)``: ``[..., M, K] × [..., K, N] → [..., M, N]`` in R-CMP."""
    A, B = p["A"], p["B"]
    _expect_array(A, op, "first")
    _expect_array(B, op, "second")
    sa, sb = tuple(A.shape), tuple(B.shape)
    _check_matmul_shapes(sa, sb)
    return _emit_matmul(ops, op, A, B, p["name"])


def bmm_op(ops, op: str, p: dict) -> Val:
    """``allo.bmm(A, B)``: ``[B, M, K] × [B, K, N] → [B, M, N]`` (3-D inputs only)."""
    A, B = p["A"], p["B"]
    if not (isinstance(A, Val) and isinstance(B, Val) and len(A.shape) == 3 and len(B.shape) == 3):
        raise AlloTypeError("Only support batch matrix multiplication of two 3D inputs")
    sa, sb = tuple(A.shape), tuple(B.shape)
    if sa[0] != sb[0]:
        raise AlloTypeError(f"allo.bmm requires the same batch size, got {sa} and {sb}")
    _check_matmul_shapes(sa, sb)
    return _emit_matmul(ops, op, A, B, p["name"])


def _emit_matmul(ops, op: str, A: Val, B: Val, name) -> Val:
    rt = common_type(A.dtype, B.dtype)
    batch = tuple(A.shape[:-2])
    m, k = A.shape[-2:]
    n = B.shape[-1]
    em = OpEmitter(ops, op, name)
    out = em.fresh(rt, batch + (m, n))
    em.fill(out, _zero(rt))
    kind = linalg_cast([A.dtype, B.dtype], rt)
    if kind is not None and len(batch) <= 1 and _linalg_ok(em, [A, B]):
        cls = linalg_d.BatchMatmulOp if batch else linalg_d.MatmulOp
        _named_op(em, cls, [A, B], out, kind)
        return out

    def body(ivs):
        lead, i, j = ivs[:-2], ivs[-2], ivs[-1]

        def step(kv):
            kk = kv[0]
            a = Val(em.load(A, lead + [i, kk]), A.dtype)
            b = Val(em.load(B, lead + [kk, j]), B.dtype)
            em.store(accumulate(ops, em.load(out, ivs), a, b, rt), out, ivs)

        em.nest((k,), step, reduction=True)

    em.nest(batch + (m, n), body)
    return out


def linear_op(ops, op: str, p: dict) -> Val:
    """``allo.linear(X, W, bias=None)``: ``X[..., K] @ W[N, K].T (+ bias[N])``, type of ``X``."""
    X, W, bias = p["X"], p["W"], p["bias"]
    _expect_array(X, op, "input")
    if not isinstance(W, Val) or len(W.shape) != 2:
        raise AlloTypeError(f"allo.linear expects a 2-D weight, got shape {tuple(getattr(W, 'shape', ()))}")
    n, k = W.shape
    if X.shape[-1] != k:
        raise AlloTypeError("allo.linear: the last dimension of the input and the second dimension "
                            f"of the weight must be the same, got {tuple(X.shape)} and {tuple(W.shape)}")
    if bias is not None and (not bias.is_array or tuple(bias.shape) != (n,)):
        raise AlloTypeError(f"allo.linear: bias shape mismatch, got {tuple(bias.shape)} and ({n},)")
    rt = X.dtype
    lead = tuple(X.shape[:-1])
    em = OpEmitter(ops, op, p["name"])
    out = em.fresh(rt, lead + (n,))
    em.fill(out, _zero(rt))

    def body(ivs):
        rows, j = ivs[:-1], ivs[-1]

        def step(kv):
            x = Val(em.load(X, rows + [kv[0]]), X.dtype)
            w = Val(em.load(W, [j, kv[0]]), W.dtype)
            em.store(accumulate(ops, em.load(out, ivs), x, w, rt), out, ivs)

        em.nest((k,), step, reduction=True)
        if bias is not None:
            b = Val(em.load(bias, [j]), bias.dtype)
            em.store(add_in(ops, em.load(out, ivs), b, rt), out, ivs)

    em.nest(lead + (n,), body)
    return out


# --------------------------------------------------------------------------- windows


def conv2d_op(ops, op: str, p: dict) -> Val:
    """``allo.conv2d(X, Wt)``: NCHW × FCHW → ``[N, F, H-KH+1, W-KW+1]``, stride 1, type of ``X``."""
    X, Wt = p["X"], p["W"]
    sx, sw = tuple(getattr(X, "shape", ())), tuple(getattr(Wt, "shape", ()))
    if len(sx) != 4 or len(sw) != 4:
        raise AlloTypeError(f"allo.conv2d expects 4-D input (NCHW) and weight (FCHW), got {sx} and {sw}")
    if sx[1] != sw[1]:
        raise AlloTypeError(f"allo.conv2d channel mismatch, got {sx} and {sw}")
    nb, c, h, w = sx
    f, _, kh, kw = sw
    if kh > h or kw > w:
        raise AlloTypeError(f"allo.conv2d kernel is larger than the input, got {sx} and {sw}")
    rt = X.dtype
    em = OpEmitter(ops, op, p["name"])
    out = em.fresh(rt, (nb, f, h - kh + 1, w - kw + 1))
    em.fill(out, _zero(rt))
    # linalg.conv_2d_nchw_fchw always sign-extends (it has no cast attribute)
    if all(_cast_kind(t, rt) in ("any", "signed") for t in (X.dtype, Wt.dtype)) \
            and _linalg_ok(em, [X, Wt]):
        _named_op(em, linalg_d.Conv2DNchwFchwOp, [X, Wt], out)
        return out

    def body(ivs):
        b, fo, y, x = ivs

        def step(rv):
            ch, r, s = rv
            xv = Val(em.load(X, [b, ch, index_add(y, r), index_add(x, s)]), X.dtype)
            wv = Val(em.load(Wt, [fo, ch, r, s]), Wt.dtype)
            em.store(accumulate(ops, em.load(out, ivs), xv, wv, rt), out, ivs)

        em.nest((c, kh, kw), step, reduction=True)

    em.nest(out.shape, body)
    return out


def pool_op(ops, op: str, p: dict) -> Val:
    """``allo.maxpool/sumpool(X, win)``: window shape from ``win``, stride 1, type of ``X``."""
    X, win = p["X"], p["win"]
    sx, swin = tuple(getattr(X, "shape", ())), tuple(getattr(win, "shape", ()))
    if len(sx) != 4:
        raise AlloTypeError(f"allo.{op} expects a 4-D input (NCHW), got shape {sx}")
    if len(swin) != 2:
        raise AlloTypeError(f"allo.{op} expects a 2-D window, got shape {swin}")
    nb, c, h, w = sx
    kh, kw = swin
    if kh > h or kw > w:
        raise AlloTypeError(f"allo.{op} window is larger than the input, got {sx} and {swin}")
    rt = X.dtype
    is_max = op == "maxpool"
    em = OpEmitter(ops, op, p["name"])
    out = em.fresh(rt, (nb, c, h - kh + 1, w - kw + 1))
    em.fill(out, lowest_value(rt) if is_max else _zero(rt))
    # max_signed orders raw bits as signed; sums are sign-agnostic (raw adds of one scale)
    fits = isinstance(rt, (Int, Fixed, Float)) if is_max else (
        isinstance(rt, (Int, UInt, Float)) or rt.is_fixed)
    if fits and _linalg_ok(em, [X]):
        window = win if mem.is_plain(win) else Val(mem.alloc(rt, swin), rt, swin)
        cls = linalg_d.PoolingNchwMaxOp if is_max else linalg_d.PoolingNchwSumOp
        _named_op(em, cls, [X, window], out)
        return out

    def body(ivs):
        b, ch, y, x = ivs

        def step(rv):
            v = em.load(X, [b, ch, index_add(y, rv[0]), index_add(x, rv[1])])
            acc = em.load(out, ivs)
            new = max_value(acc, v, rt) if is_max else add_in(ops, acc, Val(v, rt), rt)
            em.store(new, out, ivs)

        em.nest((kh, kw), step, reduction=True)

    em.nest(out.shape, body)
    return out


OPS = {"matmul": matmul_op, "bmm": bmm_op, "linear": linear_op, "conv2d": conv2d_op,
       "maxpool": pool_op, "sumpool": pool_op}
