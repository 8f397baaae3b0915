"""CPU builds of from_pytorch pack constant linear weights once (nn.linear_packed), run products
through nn.bmm_panels; reshapes are copied only when read. HLS and
"mlir" targets keep nn.linear2d/linear3d (weights passed as arguments: test_weight_args_panels)."""

from __future__ import annotations

import numpy as np

from torch_support import require_torch

torch = require_torch()

import allo  # noqa: E402
from allo.frontend.pytorch import translate_model  # noqa: E402

RTOL = ATOL = 1e-5


class TwoLayers(torch.nn.Module):
    """A 3-D input through a biased and a bias-free layer, the first used twice."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(20, 20)
        self.out = torch.nn.Linear(20, 37, bias=False)

    def forward(self, x):
        return self.out(torch.relu(self.fc(self.fc(x))))


def _case():
    torch.manual_seed(3)
    return TwoLayers().eval(), [torch.randn(2, 7, 20)]


def test_cpu_build_packs_weights_and_matches_torch():
    model, inputs = _case()
    source = translate_model(model, inputs, for_cpu=True).source
    assert source.count("nn.linear_packed3d[") == 3 and "linear2d" not in source
    assert source.count("g_fc_weight_panels") == 2  # one packed global for the shared layer
    out = allo.frontend.from_pytorch(model, inputs)(inputs[0].numpy().copy())
    with torch.no_grad():
        expected = model(*inputs).numpy()
    np.testing.assert_allclose(out, expected, rtol=RTOL, atol=ATOL)


def test_other_targets_keep_the_torch_weight_layout():
    model, inputs = _case()
    assert "linear_packed" not in translate_model(model, inputs).source
    s = allo.frontend.from_pytorch(model, inputs, target="mlir")
    assert "linear3d_0" in s._state.function_names()
    weighted = translate_model(model, inputs, weights_as_args=True).source
    assert "linear_packed" not in weighted and "panels" not in weighted


def test_packed_layers_follow_per_layer_op_dtypes():
    from allo.ir.types import Fixed  # noqa: PLC0415

    model, inputs = _case()
    ty = Fixed(32, 16)
    op_dtypes = {"fc": [ty, ty, ty], "out": ["float32", "float32", "float32"]}
    source = translate_model(model, inputs, op_dtypes=op_dtypes, for_cpu=True).source
    assert source.count("nn.linear_packed3d[") == 3
    out = allo.frontend.from_pytorch(model, inputs, op_dtypes=op_dtypes)(
        inputs[0].numpy().copy())
    s = allo.frontend.from_pytorch(model, inputs, target="mlir", op_dtypes=op_dtypes)
    np.testing.assert_array_equal(out, s.build()(inputs[0].numpy().copy()))  # same arithmetic
    with torch.no_grad():
        np.testing.assert_allclose(out, model(*inputs).numpy(), atol=2e-3)


def test_attention_products_use_bmm_panels_on_the_cpu():
    import torch_models as M  # noqa: PLC0415

    torch.manual_seed(5)
    model, inputs = M.MultiHeadSelfAttention(64, 2).eval(), [torch.randn(2, 32, 64)]
    source = translate_model(model, inputs, for_cpu=True).source
    assert source.count("nn.bmm_panels[") == 2  # scores (N = 32 keys) and context (N = 32)
    assert "bmm_panels" not in translate_model(model, inputs).source
    out = allo.frontend.from_pytorch(model, inputs)(inputs[0].numpy().copy())
    with torch.no_grad():
        np.testing.assert_allclose(out, model(*inputs).numpy(), rtol=RTOL, atol=ATOL)


class Reshapes(torch.nn.Module):
    """A chain of reshapes (one copy needed) and a reshape back to the input shape (none)."""

    def forward(self, x):
        y = x.view(4, 6).view(2, 12).reshape(24)
        back = x.flatten().view(2, 3, 4)
        return y * 2.0, back + 1.0


def test_reshapes_are_copied_only_when_read():
    inputs = [torch.randn(2, 3, 4)]
    model = Reshapes().eval()
    source = translate_model(model, inputs).source
    assert source.count("dsl.view(") == 1 and "dsl.view(x, (24,))" in source
    outs = allo.frontend.from_pytorch(model, inputs)(inputs[0].numpy().copy())
    expected = model(*inputs)
    for out, ref in zip(outs, expected):
        np.testing.assert_array_equal(out, ref.numpy())
