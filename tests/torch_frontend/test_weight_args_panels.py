"""CPU builds with weights_as_args=True run linear layers through nn.linear_panels, which packs
the run-time weights into 32-column panels as it goes: results bit-identical to the
linear2d/linear3d build they replace, close to torch; HLS targets keep linear2d."""

from __future__ import annotations

import numpy as np
import pytest

from torch_support import require_torch

torch = require_torch()

import allo  # noqa: E402
from allo.frontend.pytorch import translate_model  # noqa: E402
from allo.ir.types import Fixed  # noqa: E402

import torch_models as M  # noqa: E402
from test_packed_linear import TwoLayers  # noqa: E402

RTOL = ATOL = 1e-5


def _np(inputs):
    return [t.numpy().copy() for t in inputs]


def _torch_out(model, inputs):
    with torch.no_grad():
        return model(*inputs).numpy()


def _previous_path(model, inputs, weights, **kwargs):
    """The build without run-time panels (``target="mlir"`` keeps linear2d/linear3d)."""
    s = allo.frontend.from_pytorch(model, inputs, target="mlir", weights_as_args=True,
                                   **kwargs)
    names = s._state.function_names()
    assert any(n.startswith(("linear2d_", "linear3d_")) for n in names)
    assert not any(n.startswith("linear_panels") for n in names)
    return s.build()(*_np(inputs), *weights)


def _linear_count(model) -> int:
    return sum(isinstance(m, torch.nn.Linear) for m in model.modules())  # each called once


@pytest.mark.parametrize("cls, shape", [(M.MLP, (4, 16)), (M.BertLayer, (1, 16, 64)),
                                        (M.GPT2Block, (2, 16, 64))])
def test_models_pack_run_time_weights_bit_identical_to_linear2d(cls, shape):
    torch.manual_seed(1)
    model = M.randomize_norms(cls().eval(), 1)
    inputs = [torch.randn(*shape, generator=torch.Generator().manual_seed(2))]
    source = translate_model(model, inputs, weights_as_args=True, for_cpu=True).source
    assert source.count("nn.linear_panels[") == _linear_count(model)
    assert "linear2d" not in source and "linear3d" not in source
    mod = allo.frontend.from_pytorch(model, inputs, weights_as_args=True)
    out = mod(*_np(inputs))
    np.testing.assert_array_equal(out, _previous_path(model, inputs, mod.weight_data))
    np.testing.assert_allclose(out, _torch_out(model, inputs), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("shape", [(2, 7, 20), (7, 20), (2, 2, 3, 20)])
def test_any_rank_and_new_weights_are_used(shape):
    torch.manual_seed(3)
    model, inputs = TwoLayers().eval(), [torch.randn(*shape)]
    source = translate_model(model, inputs, weights_as_args=True, for_cpu=True).source
    assert source.count("nn.linear_panels[") == 3  # fc twice, out (no bias: zero bias)
    mod = allo.frontend.from_pytorch(model, inputs, weights_as_args=True)
    np.testing.assert_allclose(mod(*_np(inputs)), _torch_out(model, inputs),
                               rtol=RTOL, atol=ATOL)
    # other weights, passed at call time, are the ones packed: torch's result with them
    scaled = [w * np.float32(-0.75) for w in mod.weight_data]
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(-0.75)
    out = mod(*_np(inputs), *scaled)
    np.testing.assert_allclose(out, _torch_out(model, inputs), rtol=RTOL, atol=ATOL)
    np.testing.assert_array_equal(out, _previous_path(model, inputs, scaled))


def test_fixed_point_layers_match_the_previous_path():
    torch.manual_seed(3)
    model, inputs = TwoLayers().eval(), [torch.randn(2, 7, 20)]
    ty = Fixed(32, 16)
    op_dtypes = {"fc": [ty, ty, ty], "out": ["float32", "float32", "float32"]}
    source = translate_model(model, inputs, op_dtypes=op_dtypes, weights_as_args=True,
                             for_cpu=True).source
    assert source.count("nn.linear_panels[") == 3
    mod = allo.frontend.from_pytorch(model, inputs, op_dtypes=op_dtypes, weights_as_args=True)
    out = mod(*_np(inputs))
    previous = _previous_path(model, inputs, mod.weight_data, op_dtypes=op_dtypes)
    np.testing.assert_array_equal(out, previous)  # same fixed-point arithmetic
    np.testing.assert_allclose(out, _torch_out(model, inputs), atol=2e-3)


def test_hls_targets_keep_linear2d_with_weights_as_args():
    torch.manual_seed(1)
    model, inputs = M.MLP().eval(), [torch.randn(4, 16)]
    source = translate_model(model, inputs, weights_as_args=True).source
    assert "panels" not in source and "linear_packed" not in source
    code = allo.frontend.from_pytorch(model, inputs, target="vhls",
                                      weights_as_args=True).hls_code
    assert "void linear2d_0(" in code and "panels" not in code
