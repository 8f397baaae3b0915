"""Output-stationary systolic arrays for matrix products (``backends.md`` §10).

``systolic[TyA, TyB, TyC, M, K, N, Mt, Nt](A, B, C)`` writes ``C = A·B`` (accumulated in
``TyC``) tile by tile: stage ``outer_tile`` (loops ``mi, ni``) loads an ``Mt×K`` block of ``A``
(loops ``ak, ai``) into ``local_A`` and a ``K×Nt`` block of ``B`` (``bk, bj``) into
``local_B``, runs ``systolic_tile`` on them into ``local_C`` and stores it (``sj, si``).
``systolic_tile`` is the ``Mt×Nt`` grid of processing elements: ``data_load`` feeds the
left/top edges of ``A_fifo``/``B_fifo``, stage ``PE`` (loops ``i, j``) calls
``PE_kernel`` for every element, each passing its operands on to its right/lower neighbour,
and ``data_drain`` empties the far edges into ``A_drain``/``B_drain``.

As plain kernels the FIFOs are arrays and the PEs run one after another; ``schedule_systolic``
makes the hardware structure explicit (partitions, pipelining, ``unfold`` of the PE grid into
one function per PE, and ``s.to`` in systolic mode turning ``A_fifo``/``B_fifo`` into arrays of
FIFOs between neighbouring PEs).

int8 × int16 → int32 selects the DSP-packed PE (the int8 packing of ``packed_int8xint8_systolic``):
every int16 of ``B`` is a pair of int8 values (lane ``p`` = bits ``[8p, 8p+8)``, i.e. two
adjacent columns of the int8 matrix), every int32 of ``C`` the pair of their int16 sums (lane
``p`` = bits ``[16p, 16p+16)``), and one 8×27-bit multiply gives both products of a step. A
plain mixed-width product takes any other accumulator (``int64``) or operand order.

>>> import numpy as np, allo
>>> from allo.ir.types import int8, int32
>>> s = allo.customize(systolic, instantiate=[int8, int8, int32, 4, 3, 4, 2, 2])
>>> A = np.arange(12, dtype=np.int8).reshape(4, 3); B = np.ones((3, 4), np.int8)
>>> C = np.zeros((4, 4), np.int32); s.build()(A, B, C); C[:, 0].tolist()
[3, 12, 21, 30]
"""

from __future__ import annotations

import allo

from ..frontend.types import Int, index, int8, int16, int32  # noqa: F401 - the kernels' types
from . import KERNEL2SCHEDULE
from .template import type_params


# the low product field of the DSP-packed PEs: |a·b0| <= 2^14 for int8 a, b0 fits 18 signed bits,
# so ``a·(b1·2^18 + b0)`` (a 27-bit operand: a DSP48's wide port) holds both products exactly
PRODUCT_FIELD = 18


@type_params("TyA", "TyB", "TyC", "K", "Mt", "Nt")
def PE_kernel(A_in: TyA[K], B_in: TyB[K], A_out: TyA[K], B_out: TyB[K], C: TyC[Mt, Nt],
              i: index, j: index):
    """One processing element: ``C[i, j] = Σ_k A_in[k]·B_in[k]`` (stage ``reduction``, loop
    ``k``), forwarding every operand to its neighbours.

    int8 × int16 → int32 is the DSP-packed variant: each ``B_in[k]`` is a pair of int8 lanes
    (lane ``p`` = bits ``[8p, 8p+8)``) and ``C[i, j]`` a pair of int16 sums (lane ``p`` = bits
    ``[16p, 16p+16)``, each wrapping like an int16 accumulator); both products of a step come
    from one multiply ``a·(b1·2¹⁸ + b0)``.
    """
    with allo.meta_if(TyA == int8 and TyB == int16 and TyC == int32):
        sum_lo: int16 = 0
        sum_hi: int16 = 0
        for k in range(K, name="reduction"):
            a: int8 = A_in[k]
            pair: int16 = B_in[k]
            b0: int8 = pair[0:8]
            b1: int8 = pair[8:16]
            wide_b: Int(27) = b1
            wide_b = (wide_b << PRODUCT_FIELD) + b0
            product: Int(36) = a * wide_b
            low: Int(PRODUCT_FIELD) = product[0:PRODUCT_FIELD]
            high: Int(PRODUCT_FIELD) = (product - low) >> PRODUCT_FIELD
            sum_lo += low
            sum_hi += high
            A_out[k] = a
            B_out[k] = pair
        word: int32 = 0
        word[0:16] = sum_lo
        word[16:32] = sum_hi
        C[i, j] = word
    with allo.meta_else():
        v: TyC = 0
        for k in range(K, name="reduction"):
            a: TyA = A_in[k]
            b: TyB = B_in[k]
            v += a * b
            A_out[k] = a
            B_out[k] = b
        C[i, j] = v


@type_params("TyA", "TyB", "TyC", "K", "Mt", "Nt")
def systolic_tile(A: TyA[Mt, K], B: TyB[K, Nt], C: TyC[Mt, Nt]):
    """``C = A·B`` on an ``Mt×Nt`` grid of :func:`PE_kernel` (see the module docstring)."""
    A_fifo: TyA[Mt, Nt + 1, K]
    B_fifo: TyB[Nt, Mt + 1, K]
    A_drain: TyA[Mt]
    B_drain: TyB[Nt]
    for k in range(K, name="data_load"):
        for m in range(Mt):
            A_fifo[m, 0, k] = A[m, k]
        for n in range(Nt):
            B_fifo[n, 0, k] = B[k, n]
    for i, j in allo.grid(Mt, Nt, name="PE"):
        PE_kernel[TyA, TyB, TyC, K, Mt, Nt](A_fifo[i, j], B_fifo[j, i], A_fifo[i, j + 1],
                                            B_fifo[j, i + 1], C, i, j)
    for k in range(K, name="data_drain"):
        for m in range(Mt):
            A_drain[m] = A_fifo[m, Nt, k]
        for n in range(Nt):
            B_drain[n] = B_fifo[n, Mt, k]


@type_params("TyA", "TyB", "TyC", "M", "K", "N", "Mt", "Nt",
             requires=("M % Mt == 0", "N % Nt == 0"))
def systolic(A: TyA[M, K], B: TyB[K, N], C: TyC[M, N]):
    """``C = A·B`` by ``Mt×Nt`` tiles (``M % Mt == N % Nt == 0``), written into ``C``."""
    local_A: TyA[Mt, K]
    local_B: TyB[K, Nt]
    local_C: TyC[Mt, Nt]
    for mi, ni in allo.grid(M // Mt, N // Nt, name="outer_tile"):
        for ak, ai in allo.grid(K, Mt):
            local_A[ai, ak] = A[mi * Mt + ai, ak]
        for bk, bj in allo.grid(K, Nt):
            local_B[bk, bj] = B[bk, ni * Nt + bj]
        systolic_tile[TyA, TyB, TyC, K, Mt, Nt](local_A, local_B, local_C)
        for sj, si in allo.grid(Nt, Mt):
            C[mi * Mt + si, ni * Nt + sj] = local_C[si, sj]


def schedule_systolic(s):
    """Partition the local tiles, pipeline the loads/stores and each PE's reduction, fuse the
    tile loops, unfold the PE grid into one function per PE and stream ``A_fifo`` (along
    the PE rows, depth ``Mt+1``) and ``B_fifo`` (along the columns, depth ``Nt+1``)."""
    return schedule_systolic_instance(s, s.top_func_name, "systolic_tile", "PE_kernel")


def schedule_systolic_instance(s, top: str, tile: str, pe: str):
    """:func:`schedule_systolic` on the instance ``top`` whose tile and PE functions are
    ``tile`` and ``pe`` (e.g. ``systolic_QKT``, ``systolic_tile_QKT``, ``PE_kernel_QKT``)."""
    s.partition(f"{top}:local_C", dim=0)
    s.partition(f"{top}:local_A", dim=1)
    s.partition(f"{top}:local_B", dim=2)
    s.pipeline(f"{top}:ak")
    s.pipeline(f"{top}:bk")
    s.pipeline(f"{top}:sj")
    s.fuse(f"{top}:mi", f"{top}:ni")
    s.pipeline(f"{pe}:k")
    stream_pe_grid(s, tile)
    return s


def stream_pe_grid(s, tile: str) -> None:
    """Unfold stage ``PE`` of ``tile`` (one function per PE) and turn its ``A_fifo``/``B_fifo``
    into arrays of FIFOs between neighbouring PEs (``s.to`` in systolic mode)."""
    pe_axes = s.unfold(f"{tile}:PE", [0, 1])
    rows, cols = _fifo_rows(s, tile, "A_fifo"), _fifo_rows(s, tile, "B_fifo")
    s.to(f"{tile}:A_fifo", pe_axes, axis=1, depth=rows + 1)
    s.to(f"{tile}:B_fifo", pe_axes, axis=0, depth=cols + 1)


def _fifo_rows(s, func: str, name: str) -> int:
    """The first extent of the local ``name`` of ``func``: ``Mt`` for ``A_fifo[Mt, Nt+1, K]``,
    the PE columns for ``B_fifo``."""
    return s._state.buffers(func)[name].value.type.shape[0]


@type_params("TyA", "TyB", "TyC", "M", "K", "N", "Mt", "Nt", "Kt",
             requires=("M % Mt == 0", "N % Nt == 0", "K % Kt == 0"))
def cascaded_systolic(A: TyA[M, K], B: TyB[K, N], C: TyC[M, N]):
    """``C = A·B`` with the reduction cut into ``K // Kt`` slices (``K % Kt == 0``): per output
    tile, stage ``cascade`` (loop ``kc``) runs one ``Mt×Nt×Kt`` :func:`systolic_tile` per slice
    and adds its result ``local_C`` into ``acc`` (loops ``ui, uj``), the next tile of the cascade
    continuing from there; ``acc`` is cleared (``zi, zj``) and stored (``sj, si``) per tile.
    Integer results equal :func:`systolic`'s (lane by lane for the DSP-packed int8 × int16 →
    int32 tile); floats differ only by the summation order."""
    local_A: TyA[Mt, Kt]
    local_B: TyB[Kt, Nt]
    local_C: TyC[Mt, Nt]
    acc: TyC[Mt, Nt]
    for mi, ni in allo.grid(M // Mt, N // Nt, name="outer_tile"):
        for zi, zj in allo.grid(Mt, Nt):
            acc[zi, zj] = 0
        for kc in range(K // Kt, name="cascade"):
            for ak, ai in allo.grid(Kt, Mt):
                local_A[ai, ak] = A[mi * Mt + ai, kc * Kt + ak]
            for bk, bj in allo.grid(Kt, Nt):
                local_B[bk, bj] = B[kc * Kt + bk, ni * Nt + bj]
            systolic_tile[TyA, TyB, TyC, Kt, Mt, Nt](local_A, local_B, local_C)
            for ui, uj in allo.grid(Mt, Nt):
                with allo.meta_if(TyA == int8 and TyB == int16 and TyC == int32):
                    # the DSP-packed tile's words hold two int16 sums: add lane by lane
                    total: int32 = acc[ui, uj]
                    part: int32 = local_C[ui, uj]
                    sum_lo: int16 = total[0:16] + part[0:16]
                    sum_hi: int16 = total[16:32] + part[16:32]
                    total[0:16] = sum_lo
                    total[16:32] = sum_hi
                    acc[ui, uj] = total
                with allo.meta_else():
                    acc[ui, uj] += local_C[ui, uj]
        for sj, si in allo.grid(Nt, Mt):
            C[mi * Mt + si, ni * Nt + sj] = acc[si, sj]


def schedule_cascaded_systolic(s):
    """As :func:`schedule_systolic`, plus a partitioned ``acc`` and pipelined clear (``zi``)
    and accumulation (``ui``) loops."""
    top = s.top_func_name
    s.partition(f"{top}:acc", dim=0)
    s.pipeline(f"{top}:zi")
    s.pipeline(f"{top}:ui")
    return schedule_systolic_instance(s, top, "systolic_tile", "PE_kernel")


KERNEL2SCHEDULE[systolic] = schedule_systolic
KERNEL2SCHEDULE[cascaded_systolic] = schedule_cascaded_systolic

# the packed and int8 DSP-packed variants live in their own module (which imports this one);
# they are reachable from here too, resolved on first access
_PACKED_NAMES = ("PE_kernel_int8x2", "int8xint8_mat_vec", "packed_int8xint8_systolic",
                 "packed_systolic", "pe_kernel", "schedule_int8xint8_mat_vec",
                 "schedule_packed_int8xint8_systolic", "schedule_packed_systolic",
                 "schedule_systolic_tile_int8xint8", "systolic_tile_int8xint8")


def __getattr__(name: str):
    if name in _PACKED_NAMES:
        from . import systolic_packed  # noqa: PLC0415 - it imports this module

        return getattr(systolic_packed, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
