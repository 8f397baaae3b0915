"""allo.frontend.from_pytorch on models built from torch.nn: CPU results match torch, HLS
code is emitted, C simulation matches the CPU build, weights as arguments, op_dtypes, errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

from torch_support import require_torch

torch = require_torch()

import allo  # noqa: E402
from allo.ir.types import Fixed  # noqa: E402

import torch_models as M  # noqa: E402
from helpers import check_csim  # noqa: E402

RTOL = ATOL = 1e-5  # float32 results against torch eager


def _inputs(*shapes, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(*s, generator=gen) for s in shapes]


def _model(cls, *args, seed=0, **kwargs):
    torch.manual_seed(seed)
    return M.randomize_norms(cls(*args, **kwargs), seed)


def _torch_out(model, inputs):
    with torch.no_grad():
        return model(*inputs).numpy()


def _np(inputs):
    return [t.numpy().copy() for t in inputs]


def assert_cpu_matches_torch(model, inputs, rtol=RTOL, atol=ATOL, **kwargs):
    mod = allo.frontend.from_pytorch(model, inputs, **kwargs)
    out = mod(*_np(inputs))
    np.testing.assert_allclose(out, _torch_out(model, inputs), rtol=rtol, atol=atol)
    return mod, out


def assert_hls_and_csim(model, inputs, functions, **kwargs):
    """HLS C++ names the library instances; its C simulation equals the CPU build bit for bit."""
    s = allo.frontend.from_pytorch(model, inputs, target="mlir", **kwargs)
    code = s.build(target="vhls").hls_code
    assert "void forward(" in code
    for fn in functions:
        assert f"void {fn}(" in code, fn
    outs = check_csim(s, *_np(inputs))
    return s, outs


# ----------------------------------------------------------------------- int8 linear


class IntLinear(torch.nn.Module):
    """A linear layer whose weights and bias hold integers (a quantized layer)."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(16, 8)
        gen = torch.Generator().manual_seed(8)
        with torch.no_grad():
            self.fc.weight.copy_(torch.randint(-128, 128, (8, 16), generator=gen).float())
            self.fc.bias.copy_(torch.randint(-1000, 1000, (8,), generator=gen).float())

    def forward(self, x):
        return self.fc(x)


@pytest.mark.csim
def test_int8_linear_matches_torch_exactly():
    from allo.ir.types import int8, int32  # noqa: PLC0415

    model = IntLinear().eval()
    x = torch.randint(-128, 128, (4, 16), generator=torch.Generator().manual_seed(9)).float()
    op_dtypes = {"inputs": int8, "fc": [int8, int8, int32], "outputs": int32}
    expected = torch.nn.functional.linear(x.int(), model.fc.weight.int(), model.fc.bias.int())
    mod = allo.frontend.from_pytorch(model, [x], op_dtypes=op_dtypes)
    out = mod(x.numpy().astype(np.int8))
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, expected.numpy())
    s = allo.frontend.from_pytorch(model, [x], target="mlir", op_dtypes=op_dtypes)
    code = s.build(target="vhls").hls_code
    assert "void linear2d_0(" in code and "int8_t v0[4][16]" in code
    (csim_out,) = check_csim(s, x.numpy().astype(np.int8))
    np.testing.assert_array_equal(csim_out, expected.numpy())


# ----------------------------------------------------------------------- MLP


def test_mlp_matches_torch_and_uses_the_library_kernels():
    model, inputs = _model(M.MLP), _inputs((4, 16))
    assert_cpu_matches_torch(model, inputs)
    s = allo.frontend.from_pytorch(model, inputs, target="mlir")
    assert isinstance(s, allo.Schedule)
    names = s._state.function_names()
    assert {"forward", "linear2d_0", "relu2d_0", "linear2d_1"} <= set(names)
    # the library schedules were composed: pipelined loops in every instance
    pipelined = [args[0] for name, args, _ in s.primitive_sequences if name == "pipeline"]
    assert "linear2d_0:j" in pipelined and "linear2d_1:j" in pipelined and "relu2d_0:j" in pipelined


@pytest.mark.csim
def test_mlp_hls_csim_matches_the_cpu_build():
    model, inputs = _model(M.MLP), _inputs((4, 16))
    s, outs = assert_hls_and_csim(model, inputs, ["linear2d_0", "relu2d_0", "linear2d_1"])
    # the constant weights reach the library kernels directly (no copy into a local array)
    code = s.build(target="vhls").hls_code
    assert "linear2d_0(v0, g_fc1_weight, g_fc1_bias, " in code
    assert "const float g_fc1_weight" not in code
    np.testing.assert_allclose(outs[0], _torch_out(model, inputs), rtol=RTOL, atol=ATOL)


@pytest.mark.csim
def test_mlp_fixed_point_variant():
    model, inputs = _model(M.MLP), _inputs((4, 16))
    ty = Fixed(64, 30)
    s = allo.frontend.from_pytorch(model, inputs, target="mlir", op_dtypes={"default": ty})
    assert "!allo" not in str(s.module)  # upstream dialects only
    assert "i64" in str(s.module)
    out = s.build()(*_np(inputs))
    # 30 fractional bits: each rounding is ~1e-9, far below the float32 noise of torch
    np.testing.assert_allclose(out, _torch_out(model, inputs), rtol=1e-5, atol=1e-6)
    assert "ap_fixed<64, 34>" in s.build(target="vhls").hls_code
    check_csim(s, *_np(inputs))


def test_per_layer_op_dtypes_and_type_names():
    model, inputs = _model(M.MLP), _inputs((4, 16))
    op_dtypes = {"fc1": [Fixed(32, 16), Fixed(32, 16), Fixed(32, 16)], "relu": "float32"}
    s = allo.frontend.from_pytorch(model, inputs, target="mlir", op_dtypes=op_dtypes)
    text = str(s.module)
    assert "func.func @linear2d_0(%arg0: memref<4x16xi32>" in text
    assert "func.func @linear2d_1(%arg0: memref<4x32xf32>" in text
    out = s.build()(*_np(inputs))
    np.testing.assert_allclose(out, _torch_out(model, inputs), atol=2e-3)


def test_bad_op_dtypes_value_is_reported():
    with pytest.raises(allo.UnsupportedTorchOpError, match="op_dtypes\\['default'\\]"):
        allo.frontend.from_pytorch(_model(M.MLP), _inputs((4, 16)), op_dtypes={"default": "f99"})


# ----------------------------------------------------------------------- CNN


def test_cnn_matches_torch():
    assert_cpu_matches_torch(_model(M.SmallCNN), _inputs((2, 3, 16, 16)))


@pytest.mark.csim
def test_cnn_hls_csim():
    model, inputs = _model(M.SmallCNN), _inputs((1, 3, 16, 16))
    assert_hls_and_csim(model, inputs, ["conv2d_0", "batchnorm2d_0", "maxpool2d_0",
                                        "conv2d_1", "avgpool2d_0", "linear2d_0"])


# ----------------------------------------------------------------------- attention


def test_multi_head_attention_small():
    assert_cpu_matches_torch(_model(M.MultiHeadSelfAttention, 64, 4), _inputs((2, 8, 64)))


@pytest.mark.slow
def test_multi_head_attention_bert_base_size():
    """hidden 768, 12 heads, batch 2, sequence 512 (several seconds on one core)."""
    model, inputs = _model(M.MultiHeadSelfAttention, 768, 12), _inputs((2, 512, 768))
    assert_cpu_matches_torch(model, inputs)


@pytest.mark.csim
def test_multi_head_attention_csim():
    model, inputs = _model(M.MultiHeadSelfAttention, 16, 2), _inputs((1, 4, 16))
    assert_hls_and_csim(model, inputs, ["linear3d_0", "linear3d_3"])


def test_bert_layer_small():
    assert_cpu_matches_torch(_model(M.BertLayer, 64, 4, 256), _inputs((2, 8, 64)))


@pytest.mark.slow
def test_bert_layer_base_size():
    model, inputs = _model(M.BertLayer, 768, 12, 3072), _inputs((1, 128, 768))
    assert_cpu_matches_torch(model, inputs)


@pytest.mark.csim
def test_bert_layer_csim():
    model, inputs = _model(M.BertLayer, 16, 2, 32), _inputs((1, 4, 16))
    assert_hls_and_csim(model, inputs, ["linear3d_5", "gelu_erf_0"])


@pytest.mark.parametrize("cls", [M.GPT2Block, M.GPT2BlockSDPA])
def test_gpt2_block_with_causal_mask(cls):
    assert_cpu_matches_torch(_model(cls, 64, 4, 16), _inputs((2, 12, 64)))


@pytest.mark.csim
@pytest.mark.parametrize("cls", [M.GPT2Block, M.GPT2BlockSDPA])
def test_gpt2_block_csim(cls):
    model, inputs = _model(cls, 16, 2, 8), _inputs((1, 4, 16))
    functions = ["linear3d_0", "linear3d_3"]
    if cls is M.GPT2BlockSDPA:
        functions.append("sdp_attention_0")
    assert_hls_and_csim(model, inputs, functions)


def test_particle_transformer():
    assert_cpu_matches_torch(_model(M.ParticleTransformer), _inputs((2, 4, 6)))


@pytest.mark.csim
def test_particle_transformer_csim():
    model, inputs = _model(M.ParticleTransformer, blocks=1), _inputs((1, 4, 3))
    assert_hls_and_csim(model, inputs, ["batchnorm1d_3d_0", "concat_0", "log_softmax_0"])


# ----------------------------------------------------------------------- weights as arguments


def test_weights_as_arguments():
    model, inputs = _model(M.ParticleTransformer, blocks=1), _inputs((2, 4, 6))
    mod = allo.frontend.from_pytorch(model, inputs, weights_as_args=True)
    params = dict(model.named_parameters())
    assert len(mod.weight_data) == len(params)
    expected = _torch_out(model, inputs)
    np.testing.assert_allclose(mod(*_np(inputs)), expected, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(mod(*_np(inputs), *mod.weight_data), expected, rtol=RTOL,
                               atol=ATOL)
    # other weights give the other model's result: they really are arguments
    scaled = [w * 0.5 for w in mod.weight_data]
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(0.5)
    np.testing.assert_allclose(mod(*_np(inputs), *scaled), _torch_out(model, inputs),
                               rtol=RTOL, atol=ATOL)


def test_weights_as_arguments_keep_weight_expressions_at_run_time():
    model, inputs = _model(M.ParticleTransformer, blocks=1), _inputs((2, 4, 6))
    s = allo.frontend.from_pytorch(model, inputs, target="mlir", weights_as_args=True)
    assert "repeat_batch3d_0" in s._state.function_names()  # cls_token.repeat is not folded
    constants = allo.frontend.from_pytorch(model, inputs, target="mlir")
    assert "repeat_batch3d_0" not in constants._state.function_names()


@pytest.mark.csim
def test_weights_as_arguments_csim():
    model, inputs = _model(M.MLP), _inputs((4, 16))
    mod = allo.frontend.from_pytorch(model, inputs, target="vhls", mode="csim",
                                     weights_as_args=True)
    out = np.zeros((4, 8), np.float32)
    mod(*_np(inputs), out)
    np.testing.assert_allclose(out, _torch_out(model, inputs), rtol=RTOL, atol=ATOL)
    assert "g_fc1_weight" not in mod.hls_code  # not a constant


# ----------------------------------------------------------------------- more operations


class KitchenSink(torch.nn.Module):
    """Operations the models above do not use."""

    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(6, 6, bias=False)
        self.seq = torch.nn.Sequential(torch.nn.Tanh(), torch.nn.Sigmoid())

    def forward(self, x, y):
        a, b = torch.chunk(self.proj(x), 2, dim=-1)            # [2, 4, 3] each
        c = torch.cat([a, b, a], dim=0)                          # [6, 4, 3]
        d = torch.where(c > 0, c, 0.5 * c)[::2, 1:, :]           # [3, 3, 3]
        e = F_log_softmax(self.seq(d.reshape(9, 3)) - y, 1)      # [9, 3]
        f = e.unsqueeze(0).repeat(2, 1, 2)                       # [2, 9, 6]
        g = F_maxpool(f.view(2, 1, 9, 6))                        # [2, 1, 4, 3]
        return -g.flatten(1), torch.exp(e.t())


def F_log_softmax(x, dim):
    return torch.nn.functional.log_softmax(x, dim=dim)


def F_maxpool(x):
    return torch.nn.functional.max_pool2d(x, 2)


def test_more_operations_and_two_results():
    model = KitchenSink().eval()
    inputs = _inputs((2, 4, 6), (3,))
    mod = allo.frontend.from_pytorch(model, inputs)
    outs = mod(*_np(inputs))
    with torch.no_grad():
        expected = model(*inputs)
    assert isinstance(outs, list) and len(outs) == 2
    for out, ref in zip(outs, expected):
        np.testing.assert_allclose(out, ref.numpy(), rtol=RTOL, atol=ATOL)


# ----------------------------------------------------------------------- errors, options


class Erfinv(torch.nn.Module):
    def forward(self, x):
        y = x * 0.5
        return torch.erfinv(y)


def test_unsupported_node_names_the_node_target_and_model_line():
    with pytest.raises(allo.UnsupportedTorchOpError) as info:
        allo.frontend.from_pytorch(Erfinv().eval(), _inputs((4,)))
    text = str(info.value)
    assert "node 'erfinv'" in text and "torch.erfinv" in text
    assert __file__ in text and "return torch.erfinv(y)" in text
    assert isinstance(info.value, NotImplementedError)
    assert isinstance(info.value, allo.AlloError)


def test_unsupported_module_class_is_named():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Softplus())
    with pytest.raises(allo.UnsupportedTorchOpError, match="Softplus"):
        allo.frontend.from_pytorch(model.eval(), _inputs((2, 4)))


def test_untraceable_model_is_reported():
    class DataDependent(torch.nn.Module):
        def forward(self, x):
            return x * 2 if x.sum() > 0 else x

    with pytest.raises(allo.UnsupportedTorchOpError, match="cannot trace DataDependent"):
        allo.frontend.from_pytorch(DataDependent().eval(), _inputs((3,)))


def test_extra_forward_parameters_take_their_defaults():
    class Scaled(torch.nn.Module):
        def forward(self, x, scale=3.0):
            return x * scale

    mod = allo.frontend.from_pytorch(Scaled().eval(), _inputs((2, 3)))
    x = _np(_inputs((2, 3)))[0]
    np.testing.assert_allclose(mod(x), x * 3.0, rtol=1e-6)


def test_verbose_prints_the_generated_source(capsys):
    allo.frontend.from_pytorch(_model(M.MLP), _inputs((4, 16)), verbose=True, target="mlir")
    printed = capsys.readouterr().out
    assert "def forward(x: float32[4, 16]) -> float32[4, 8]:" in printed
    assert 'nn.linear2d[float32, float32, float32, 4, 32, 16, "0"]' in printed


def test_training_mode_warns_about_inference_semantics():
    model = M.MLP()  # fresh modules are in training mode
    with pytest.warns(UserWarning, match="training mode"):
        allo.frontend.from_pytorch(model, _inputs((4, 16)), target="mlir")


def test_list_inputs_are_flattened_and_int_inputs_are_int32_scalars(capsys):
    class ListInput(torch.nn.Module):
        def forward(self, xs, n):
            return (xs[0] + xs[1]) * n

    model = ListInput().eval()
    xs = _inputs((2, 3), (2, 3))
    mod = allo.frontend.from_pytorch(model, [xs, 3], verbose=True)
    assert "def forward(xs_0: float32[2, 3], xs_1: float32[2, 3], n: int32)" in \
        capsys.readouterr().out
    with torch.no_grad():
        expected = model(xs, 3).numpy()
    np.testing.assert_allclose(mod(*_np(xs), 3), expected, rtol=RTOL, atol=ATOL)


# ----------------------------------------------------------------------- leaf modules


def test_leaf_modules_are_translated_by_their_builders():
    model, inputs = _model(M.CachedDecoderAttention), _inputs((1, 4, 16))
    s = allo.frontend.from_pytorch(model, inputs, target="mlir", leaf_modules=M.LEAVES)
    assert "sdp_attention_0" in s._state.function_names()  # CoreAttention → the library kernel
    np.testing.assert_allclose(s.build()(*_np(inputs)), _torch_out(model, inputs),
                               rtol=RTOL, atol=ATOL)


def test_leaf_modules_with_weights_as_arguments():
    model, inputs = _model(M.CachedDecoderAttention), _inputs((1, 4, 16))
    mod = allo.frontend.from_pytorch(model, inputs, leaf_modules=M.LEAVES, weights_as_args=True)
    assert len(mod.weight_data) == 4  # the two linear layers; the KV cache stays constant
    np.testing.assert_allclose(mod(*_np(inputs)), _torch_out(model, inputs), rtol=RTOL,
                               atol=ATOL)


def test_causal_core_attention_leaf_square():
    model = _model(M.CachedDecoderAttention, cached=0, causal=True, batch=2)
    assert_cpu_matches_torch(model, _inputs((2, 5, 16)), leaf_modules=M.LEAVES)


@pytest.mark.csim
def test_an_empty_kv_cache_leaves_no_zero_length_array_and_runs_in_csim():
    model, inputs = _model(M.CachedDecoderAttention, cached=0, causal=True, batch=2), \
        _inputs((2, 5, 16))
    s, _ = assert_hls_and_csim(model, inputs, ["sdp_attention_0"], leaf_modules=M.LEAVES)
    code = s.build(target="vhls").hls_code
    assert "k_cache" not in code and not re.search(r"\w\[0\]\[|\]\[0\];", code)
    np.testing.assert_allclose(s.build()(*_np(inputs)), _torch_out(model, inputs), rtol=RTOL,
                               atol=ATOL)


def test_cat_skips_empty_operands():
    class Prefix(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("none_yet", torch.zeros(2, 0, 3))
            self.register_buffer("legacy", torch.zeros(0))

        def forward(self, x, y):
            return torch.cat([self.none_yet, x, self.legacy, y], dim=1) * 2.0

    model, inputs = Prefix().eval(), _inputs((2, 4, 3), (2, 1, 3))
    mod, _ = assert_cpu_matches_torch(model, inputs)
    s = allo.frontend.from_pytorch(model, inputs, target="mlir")
    assert "none_yet" not in str(s.module) and "legacy" not in str(s.module)


@pytest.mark.csim
def test_leaf_modules_csim():
    model, inputs = _model(M.CachedDecoderAttention), _inputs((1, 4, 16))
    assert_hls_and_csim(model, inputs, ["sdp_attention_0"], leaf_modules=M.LEAVES)


def test_a_leaf_class_computing_something_else_is_refused():
    class SliceClsToken(torch.nn.Module):  # same name, another meaning: the last token
        def forward(self, x):
            return x[:, -1]

    class LastToken(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.cls = SliceClsToken()

        def forward(self, x):
            return self.cls(x) * 2.0

    with pytest.raises(allo.AlloError, match="SliceClsToken does not compute what"):
        allo.frontend.from_pytorch(LastToken().eval(), _inputs((2, 3, 4)),
                                   leaf_modules=[SliceClsToken])


def test_a_leaf_class_without_a_builder_is_unsupported():
    class Mystery(torch.nn.Module):
        def forward(self, x):
            return x + 1.0

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.m = Mystery()

        def forward(self, x):
            return self.m(x)

    with pytest.raises(allo.AlloError, match=r"leaf module class Mystery has no builder "
                                             r"\(build_Mystery\); provided: CoreAttention"):
        allo.frontend.from_pytorch(Model().eval(), _inputs((2, 3)), leaf_modules=[Mystery])
