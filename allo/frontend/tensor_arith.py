"""Scalar arithmetic inside whole-array ops, with the exact Allo semantics (language.md §5).

Two building blocks:

* :func:`binary_in` — ``x op y`` for two values already converted to the op's element type
  ``rt``, the result wrapped back into ``rt`` (``allo.add/sub/mul/div`` use R-CMP, §6.2).
* :func:`accumulate` — ``acc += a * b`` exactly as the statement ``C[i, j] += A[i, k] * B[k, j]``
  would behave in a kernel: the product and sum are typed by §5.2, then converted back to the
  accumulator type (so integers wrap modulo 2^n, fixed point floors, floats round).

>>> # in an op body: acc2 = accumulate(ops, acc, Val(a, int8), Val(b, int8), Int(16))
"""

from __future__ import annotations

from .._mlir import arith_d
from .casting import cast, tag
from .scalars import materialize
from .types import AlloType, Index, Int, UInt
from .values import Val

_DIRECT_INT = {"+": arith_d.AddIOp, "-": arith_d.SubIOp, "*": arith_d.MulIOp}


def _is_plain_int(t: AlloType) -> bool:
    return isinstance(t, (Int, UInt))


def binary_in(ops, op: str, x, y, rt: AlloType):
    """``x op y`` with both MLIR operands of type ``rt``, result converted to ``rt``.

    Integer ``+ - *`` wrap directly in ``rt`` (equal to the exact result wrapped, since the
    operation is a ring homomorphism modulo 2^n); fixed ``+ -`` act on raw bits of equal scale.
    Everything else goes through the frontend's scalar rules and is converted back.
    """
    if op in _DIRECT_INT and (_is_plain_int(rt) or (op != "*" and rt.is_fixed)):
        return tag(_DIRECT_INT[op](x, y), rt).result
    result = ops.scalar_binary(op, Val(x, rt), Val(y, rt))
    return materialize(result, rt)


def accumulate(ops, acc, a: Val, b: Val, rt: AlloType):
    """``acc + a * b`` converted to ``rt`` (``acc`` is an MLIR value of type ``rt``).

    ``a`` and ``b`` are scalar Vals holding MLIR values of their own Allo types.
    """
    if _is_plain_int(rt) and all(isinstance(v.dtype, (Int, UInt, Index)) for v in (a, b)):
        x, y = cast(a.value, a.dtype, rt), cast(b.value, b.dtype, rt)
        prod = tag(arith_d.MulIOp(x, y), rt).result
        return tag(arith_d.AddIOp(acc, prod), rt).result
    prod = ops.scalar_binary("*", a, b)
    total = ops.scalar_binary("+", Val(acc, rt), prod)
    return materialize(total, rt)


def add_in(ops, acc, v: Val, rt: AlloType):
    """``acc + v`` converted to ``rt`` (the sums of ``sumpool`` and the bias of ``linear``)."""
    if v.dtype == rt and (_is_plain_int(rt) or rt.is_fixed):
        return tag(arith_d.AddIOp(acc, v.value), rt).result
    total = ops.scalar_binary("+", Val(acc, rt), v)
    return materialize(total, rt)
