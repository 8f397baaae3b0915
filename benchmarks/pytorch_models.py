"""PyTorch models through ``allo.frontend.from_pytorch``: import + build time, CPU run time of
our build, torch eager on the CPU with the same thread count (one), and their ratio; each
model with constant weights (packed at import) and with ``weights_as_args=True`` (packed into
panels on every call).

    python benchmarks/pytorch_models.py            # default sizes (a few minutes)
    python benchmarks/pytorch_models.py --quick    # small sizes (seconds)
    python benchmarks/pytorch_models.py --full     # attention at sequence 512
    python benchmarks/pytorch_models.py --weights args --tables models  # weights_as_args only

Run it from the repository root with ``PYTHONPATH=.`` to measure the working tree's ``allo``.

A second table times the operations that dominate these models one by one, to show where
the difference to torch comes from.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "torch_frontend"))

import torch  # noqa: E402

import allo  # noqa: E402
from allo.frontend.weight_panels import pack_linear_weights, panel_count  # noqa: E402
from allo.ir.types import float32  # noqa: E402
from allo.library import nn as lib  # noqa: E402

from _common import (best_time, format_ratio, format_seconds, machine_summary,  # noqa: E402
                     render_table)
import torch_models as M  # noqa: E402


def model_cases(size: str) -> list:
    """``(label, model, inputs)`` for the four models."""
    if size == "quick":
        hidden, heads, ffn, seq, mlp = 64, 4, 256, 16, (32, 128, 256, 64)
    else:
        hidden, heads, ffn, seq, mlp = 768, 12, 3072, 128, (128, 512, 1024, 256)
    attn_batch, attn_seq = (2, 512) if size == "full" else (2, seq)
    torch.manual_seed(0)
    batch, d_in, d_hidden, d_out = mlp
    return [
        (f"MLP {d_in}-{d_hidden}-{d_out}, batch {batch}", M.MLP(d_in, d_hidden, d_out),
         [torch.randn(batch, d_in)]),
        (f"attention h{hidden}/{heads} heads, {attn_batch}x{attn_seq}",
         M.MultiHeadSelfAttention(hidden, heads), [torch.randn(attn_batch, attn_seq, hidden)]),
        (f"BERT layer h{hidden}, ffn {ffn}, 1x{seq}", M.BertLayer(hidden, heads, ffn),
         [torch.randn(1, seq, hidden)]),
        (f"GPT-2 block h{hidden}, 1x{seq}", M.GPT2Block(hidden, heads, seq),
         [torch.randn(1, seq, hidden)]),
    ]


def run_models(size: str, target: float, weights: str = "both") -> list:
    """One row per model and weight mode: ``constant`` (packed at import) and/or ``args``
    (``weights_as_args=True``: the weights are call arguments, packed on every call)."""
    modes = {"both": (False, True), "constant": (False,), "args": (True,)}[weights]
    rows = []
    for label, model, inputs in model_cases(size):
        model = M.randomize_norms(model)
        arrays = [t.numpy().copy() for t in inputs]
        with torch.no_grad():
            expected = model(*inputs).numpy()
            eager = best_time(lambda: model(*inputs), target_seconds=target)
        for as_args in modes:
            start = time.perf_counter()
            mod = allo.frontend.from_pytorch(model, inputs, weights_as_args=as_args)
            build = time.perf_counter() - start
            ours = best_time(lambda: mod(*arrays), target_seconds=target, min_repeat=2)
            error = float(np.max(np.abs(mod(*arrays) - expected)))
            rows.append([label, "args" if as_args else "constant", format_seconds(build),
                         format_seconds(ours), format_seconds(eager), format_ratio(ours, eager),
                         f"{error:.1e}"])
        print(f"  {label}: done", file=sys.stderr)
    return rows


def _kernel_row(label, build_allo, args, torch_fn, torch_args, target):
    mod = build_allo()
    ours = best_time(lambda: mod(*args), target_seconds=target, min_repeat=2)
    with torch.no_grad():
        eager = best_time(lambda: torch_fn(*torch_args), target_seconds=target)
    return [label, format_seconds(ours), format_seconds(eager), format_ratio(ours, eager)]


def run_ops(size: str, target: float) -> list:
    """The dominant operations of the BERT layer, one at a time, at its sizes."""
    hidden, heads, seq = (64, 4, 16) if size == "quick" else (768, 12, 128)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((seq, hidden)).astype(np.float32)
    w = rng.standard_normal((hidden, hidden)).astype(np.float32)
    b = rng.standard_normal(hidden).astype(np.float32)
    wt = np.ascontiguousarray(w.T)
    tx, tw, tb = (torch.from_numpy(a) for a in (x, w, b))
    f32 = [float32] * 3
    rows = []

    # builders are named build_*: a kernel resolves the names it calls in the caller's frames
    # first, so a local called linear_packed would hide the one bmm_panels runs
    def build_linear2d():
        s = allo.customize(lib.linear2d, instantiate=[*f32, seq, hidden, hidden])
        lib.schedule_linear2d(s)
        return s.build()

    rows.append(_kernel_row(f"nn.linear2d {seq}x{hidden}x{hidden} (weights [N, K])",
                            build_linear2d,
                            (x, w, b), torch.nn.functional.linear, (tx, tw, tb), target))

    def build_linear_packed():
        inst = [*f32, seq, hidden, hidden, panel_count(hidden)]
        s = allo.customize(lib.linear_packed, instantiate=inst)
        lib.schedule_linear_packed(s)
        return s.build()

    rows.append(_kernel_row(f"nn.linear_packed, same product, weights packed at import",
                            build_linear_packed, (x, pack_linear_weights(w), b),
                            torch.nn.functional.linear, (tx, tw, tb), target))

    def build_linear_panels():
        s = allo.customize(lib.linear_panels, instantiate=[*f32, seq, hidden, hidden])
        lib.schedule_linear_panels(s)
        return s.build()

    rows.append(_kernel_row(f"nn.linear_panels, same product, weights [N, K] packed per call",
                            build_linear_panels, (x, w, b),
                            torch.nn.functional.linear, (tx, tw, tb), target))

    def matmul_kn():
        s = allo.customize(lib.matmul, instantiate=[*f32, seq, hidden, hidden])
        lib.schedule_matmul(s)
        return s.build()

    rows.append(_kernel_row(f"nn.matmul, same product, weights pre-transposed [K, N]",
                            matmul_kn, (x, wt), torch.matmul, (tx, tw.T), target))
    d = hidden // heads
    q = rng.standard_normal((1, heads, seq, d)).astype(np.float32)
    kt = rng.standard_normal((1, heads, d, seq)).astype(np.float32)

    def scores(Q: float32[1, heads, seq, d],
               KT: float32[1, heads, d, seq]) -> float32[1, heads, seq, seq]:
        return allo.matmul(Q, KT)

    rows.append(_kernel_row(f"dsl.matmul scores 1x{heads}x{seq}x{d} @ ..x{d}x{seq}",
                            lambda: allo.customize(scores).build(), (q, kt), torch.matmul,
                            (torch.from_numpy(q), torch.from_numpy(kt)), target))

    def scores_panels():
        s = allo.customize(lib.bmm_panels, instantiate=[*f32, heads, seq, d, seq])
        lib.schedule_bmm_panels(s)
        return s.build()

    rows.append(_kernel_row(f"nn.bmm_panels, same scores", scores_panels,
                            (q.reshape(heads, seq, d), kt.reshape(heads, d, seq)), torch.matmul,
                            (torch.from_numpy(q), torch.from_numpy(kt)), target))
    s_in = rng.standard_normal((1, heads, seq, seq)).astype(np.float32)

    def softmax(S: float32[1, heads, seq, seq]) -> float32[1, heads, seq, seq]:
        return allo.softmax(S)

    rows.append(_kernel_row(f"dsl.softmax 1x{heads}x{seq}x{seq}",
                            lambda: allo.customize(softmax).build(), (s_in,),
                            lambda t: torch.softmax(t, -1), (torch.from_numpy(s_in),), target))

    def layernorm(X: float32[seq, hidden], g: float32[hidden],
                  bb: float32[hidden]) -> float32[seq, hidden]:
        return allo.layernorm(X, g, bb)

    rows.append(_kernel_row(f"dsl.layernorm {seq}x{hidden}",
                            lambda: allo.customize(layernorm).build(), (x, b, b),
                            lambda t, g, bb: torch.nn.functional.layer_norm(t, (hidden,), g, bb),
                            (tx, tb, tb), target))

    def build_gelu_erf():
        return allo.customize(lib.gelu_erf, instantiate=[float32, seq, hidden]).build()

    rows.append(_kernel_row(f"nn.gelu_erf {seq}x{hidden}", build_gelu_erf, (x,),
                            torch.nn.functional.gelu, (tx,), target))
    ffn = 4 * hidden
    xf = rng.standard_normal((seq, ffn)).astype(np.float32)

    def gelu_tanh(X: float32[seq, ffn]) -> float32[seq, ffn]:
        return allo.gelu(X)

    rows.append(_kernel_row(f"dsl.gelu (tanh form, GPT-2) {seq}x{ffn}",
                            lambda: allo.customize(gelu_tanh).build(), (xf,),
                            lambda t: torch.nn.functional.gelu(t, approximate="tanh"),
                            (torch.from_numpy(xf),), target))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--full", action="store_true", help="attention at sequence 512")
    parser.add_argument("--target", type=float, default=1.0, help="seconds per measurement")
    parser.add_argument("--weights", choices=("both", "constant", "args"), default="both",
                        help="model weights as constants (packed at import), as call "
                             "arguments (weights_as_args=True), or both")
    parser.add_argument("--tables", choices=("both", "models", "ops"), default="both",
                        help="which tables to print")
    args = parser.parse_args()
    size = "quick" if args.quick else "full" if args.full else "default"
    torch.set_num_threads(1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    print(machine_summary())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread; allo CPU builds are "
          f"single-threaded\n")
    if args.tables in ("both", "models"):
        headers = ["model", "weights", "import + build", "allo CPU run", "torch eager",
                   "allo / torch", "max |diff|"]
        print(render_table(headers, run_models(size, args.target, args.weights),
                           left_columns=2))
        print()
    if args.tables in ("both", "ops"):
        headers = ["operation (BERT layer sizes)", "allo CPU", "torch eager", "allo / torch"]
        print(render_table(headers, run_ops(size, args.target), left_columns=1))


if __name__ == "__main__":
    main()
