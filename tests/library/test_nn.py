"""allo.library.nn: every kernel against a numpy reference on the CPU, before and after its
default schedule; schedules compose into a larger design; C simulation matches the CPU."""

from __future__ import annotations

import numpy as np
import pytest

import allo
from allo.ir.types import Fixed, float32, int8, int16, int32
from allo.library import KERNEL2SCHEDULE, nn

import nn_reference as ref
from helpers import check_csim

RNG = np.random.default_rng(7)


def rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _pool_case(kind, k, stride, pad):
    oh, ow = ref.pool_out(7, k, stride, pad), ref.pool_out(6, k, stride, pad)
    kernel = nn.maxpool2d if kind == "max" else nn.avgpool2d
    return (kernel, [float32, 2, 3, 7, 6, k, oh, ow, stride, pad], lambda: [rand(2, 3, 7, 6)],
            lambda x: ref.pool2d(x, k, stride, pad, kind))


def _bn_args(x_shape, channels):
    return lambda: [rand(*x_shape), rand(channels), rand(channels), 1e-5, rand(channels),
                    np.abs(rand(channels)) + 0.1]


# name -> (kernel, instantiate, make_args, reference(*args))
CASES = {
    "linear2d": (nn.linear2d, [float32, float32, float32, 4, 5, 6],
                 lambda: [rand(4, 6), rand(5, 6), rand(5)], ref.linear),
    "linear3d": (nn.linear3d, [float32, float32, float32, 2, 3, 6, 5],
                 lambda: [rand(2, 3, 6), rand(5, 6), rand(5)], ref.linear),
    "matmul": (nn.matmul, [float32, float32, float32, 4, 6, 5],
               lambda: [rand(4, 6), rand(6, 5)], lambda a, b: a @ b),
    "bmm": (nn.bmm, [float32, float32, float32, 2, 4, 6, 5],
            lambda: [rand(2, 4, 6), rand(2, 6, 5)], lambda a, b: a @ b),
    "relu2d": (nn.relu2d, [float32, 3, 4], lambda: [rand(3, 4)], lambda x: np.maximum(x, 0)),
    "relu3d": (nn.relu3d, [float32, 2, 3, 4], lambda: [rand(2, 3, 4)], lambda x: np.maximum(x, 0)),
    "relu4d": (nn.relu4d, [float32, 2, 3, 4, 5], lambda: [rand(2, 3, 4, 5)],
               lambda x: np.maximum(x, 0)),
    "GeLU": (nn.GeLU, [float32, 4, 8], lambda: [rand(4, 8) * 3], ref.gelu_tanh),
    "gelu_erf": (nn.gelu_erf, [float32, 4, 8], lambda: [rand(4, 8) * 3], ref.gelu_erf),
    "softmax": (nn.softmax, [float32, 6], lambda: [rand(6, 6)], ref.softmax_rows),
    "log_softmax": (nn.log_softmax, [float32, 3, 7], lambda: [rand(3, 7)], ref.log_softmax_rows),
    "layer_norm": (nn.layer_norm, [float32, 3, 8], lambda: [rand(3, 8), rand(8), rand(8)],
                   ref.layer_norm),
    "batchnorm2d": (nn.batchnorm2d, [float32, 2, 3, 4, 5], _bn_args((2, 3, 4, 5), 3),
                    ref.batchnorm),
    "batchnorm1d_2d": (nn.batchnorm1d_2d, [float32, 4, 3], _bn_args((4, 3), 3), ref.batchnorm),
    "batchnorm1d_3d": (nn.batchnorm1d_3d, [float32, 2, 3, 5], _bn_args((2, 3, 5), 3),
                       ref.batchnorm),
    "residual_add": (nn.residual_add, [float32, 3, 4], lambda: [rand(3, 4), rand(3, 4)],
                     lambda a, b: a + b),
    "modulate_fused": (nn.modulate_fused, [float32, 3, 4], lambda: [rand(3, 4), rand(4), rand(4)],
                       lambda x, sc, sh: x * (1 + sc) + sh),
    "repeat_batch3d": (nn.repeat_batch3d, [float32, 2, 3, 4, 3], lambda: [rand(2, 3, 4)],
                       lambda x: np.tile(x, (3, 1, 1))),
    "concat": (nn.concat, [float32, 2, 3, 5, 4], lambda: [rand(2, 3, 4), rand(2, 5, 4)],
               lambda a, b: np.concatenate([a, b], axis=1)),
    "conv2d": (nn.conv2d, [float32, 2, 3, 4, 7, 6, 3, 2, 4, 4, 2, 2, 1, 1],
               lambda: [rand(2, 3, 7, 6), rand(4, 3, 3, 2), rand(4)],
               lambda x, w, b: ref.conv2d(x, w, b, (2, 2), (1, 1))),
    "conv2d_valid": (nn.conv2d, [float32, 1, 2, 3, 5, 5, 3, 3, 3, 3, 1, 1, 0, 0],
                     lambda: [rand(1, 2, 5, 5), rand(3, 2, 3, 3), rand(3)],
                     lambda x, w, b: ref.conv2d(x, w, b, (1, 1), (0, 0))),
    "maxpool2d": _pool_case("max", 3, 2, 1),
    "avgpool2d": _pool_case("avg", 3, 2, 1),
    "maxpool2d_nopad": _pool_case("max", 2, 2, 0),
    "scaled_dot_product_attention": (
        nn.scaled_dot_product_attention, [float32, 2, 8, 16, 4, 4],
        lambda: [rand(8, 16), rand(8, 16), rand(8, 16)],
        lambda q, k, v: ref.heads_attention(q, k, v, 2)),
    "sdp_attention": (nn.sdp_attention, [float32, 3, 5, 6, 4, 0],
                      lambda: [rand(3, 5, 4), rand(3, 6, 4), rand(3, 6, 4)],
                      lambda q, k, v: ref.sdp_attention(q, k, v, False)),
    "sdp_attention_causal": (nn.sdp_attention, [float32, 3, 5, 5, 4, 1],
                             lambda: [rand(3, 5, 4), rand(3, 5, 4), rand(3, 5, 4)],
                             lambda q, k, v: ref.sdp_attention(q, k, v, True)),
    "RoPE": (nn.RoPE, [float32, 2, 4, 8], lambda: [rand(4, 8), rand(4, 2), rand(4, 2)],
             lambda x, c, s: ref.rope(x, c, s, 2)),
}


def _check(mod, args, expected, rtol=1e-5, atol=1e-5):
    out = mod(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    np.testing.assert_allclose(out, expected, rtol=rtol, atol=atol)
    return out


def _pipelined_loops(s) -> int:
    return str(s.module).count("pipeline_ii = 1")


@pytest.mark.parametrize("case", sorted(CASES))
def test_kernel_matches_numpy_before_and_after_its_schedule(case):
    kernel, inst, make_args, reference = CASES[case]
    args = make_args()
    expected = reference(*args)
    s = allo.customize(kernel, instantiate=inst)
    before = _check(s.build(), args, expected)
    assert _pipelined_loops(s) == 0
    result = KERNEL2SCHEDULE[kernel](s)
    assert result is s
    assert _pipelined_loops(s) >= 1  # the default schedule pipelines the innermost loops
    after = _check(s.build(), args, expected)
    np.testing.assert_array_equal(after, before)  # a schedule never changes results
    assert f"void {kernel.__name__}(" in s.build(target="vhls").hls_code


def test_every_kernel_has_a_registered_schedule_named_after_it():
    for kernel in nn.KERNELS:
        assert KERNEL2SCHEDULE[kernel] is getattr(nn, f"schedule_{kernel.__name__}")


def test_linear2d_names_of_the_contract():
    s = allo.customize(nn.linear2d, instantiate=[float32, float32, float32, 2, 3, 4])
    loops = s.get_loops()
    names = [name for _, stage in loops for name, _ in stage]
    assert names == ["i", "j_init", "k", "j", "j_back"]
    assert 'name = "buf"' in str(s.module)


def test_softmax_stage_names():
    s = allo.customize(nn.softmax, instantiate=[float32, 4])
    assert [name for name, _ in s.get_loops()] == ["row_max", "exp_sum", "update"]


def test_int8_linear_accumulates_in_the_output_type():
    X = RNG.integers(-128, 128, (4, 16), dtype=np.int8)
    W = RNG.integers(-128, 128, (8, 16), dtype=np.int8)
    b = RNG.integers(-1000, 1000, 8, dtype=np.int32)
    s = allo.customize(nn.linear2d, instantiate=[int8, int8, int32, 4, 8, 16])
    nn.schedule_linear2d(s)
    expected = X.astype(np.int32) @ W.T.astype(np.int32) + b
    np.testing.assert_array_equal(s.build()(X, W, b), expected)
    np.testing.assert_array_equal(check_csim(s, X, W, b)[0], expected)


def test_fixed_point_linear_matches_a_float_reference_within_its_resolution():
    X, W, b = rand(3, 5), rand(4, 5), rand(4)
    ty = Fixed(32, 20)
    s = allo.customize(nn.linear2d, instantiate=[ty, ty, ty, 3, 4, 5])
    np.testing.assert_allclose(s.build()(X, W, b), ref.linear(X, W, b), atol=1e-4)


def test_gelu_erf_is_within_the_approximation_bound_of_exact_erf():
    x = np.linspace(-6, 6, 64, dtype=np.float32).reshape(8, 8)
    s = allo.customize(nn.gelu_erf, instantiate=[float32, 8, 8])
    np.testing.assert_allclose(s.build()(x), ref.gelu_erf(x), rtol=0, atol=1e-6)


def test_bad_template_arguments_name_the_kernel():
    with pytest.raises(allo.AlloTypeError, match="type parameters mismatch"):
        allo.customize(nn.relu2d, instantiate=[float32, 3])
    with pytest.raises(allo.AlloTypeError, match="relu2d"):
        allo.customize(nn.relu2d, instantiate=[float32, "x", 3])


# ----------------------------------------------------------------------- composition


def ffn(X: float32[4, 8], W1: float32[16, 8], b1: float32[16], W2: float32[8, 16],
        b2: float32[8]) -> float32[4, 8]:
    H = nn.linear2d[float32, float32, float32, 4, 16, 8, "fc1"](X, W1, b1)
    A = nn.gelu_erf[float32, 4, 16, "act"](H)
    Y = nn.linear2d[float32, float32, float32, 4, 8, 16, "fc2"](A, W2, b2)
    Z = nn.residual_add[float32, 4, 8, "res"](Y, X)
    return Z


def _ffn_reference(X, W1, b1, W2, b2):
    return ref.linear(ref.gelu_erf(ref.linear(X, W1, b1)), W2, b2) + X


@pytest.mark.csim
def test_default_schedules_compose_into_a_feed_forward_block():
    args = [rand(4, 8), rand(16, 8), rand(16), rand(8, 16), rand(8)]
    s = allo.customize(ffn)
    plain = s.build()(*[a.copy() for a in args])
    s.compose(nn.linear2d, id="fc1", instantiate=[float32, float32, float32, 4, 16, 8])
    s.compose(nn.linear2d, id="fc2", instantiate=[float32, float32, float32, 4, 8, 16])
    s.compose(nn.gelu_erf, id="act", instantiate=[float32, 4, 16])
    s.compose(nn.residual_add, id="res", instantiate=[float32, 4, 8])
    assert [p[0] for p in s.primitive_sequences].count("pipeline") == 3 + 3 + 1 + 1
    scheduled = _check(s.build(), args, _ffn_reference(*args), atol=1e-4)
    np.testing.assert_array_equal(scheduled, plain)
    code = s.build(target="vhls").hls_code
    for fn in ("linear2d_fc1", "linear2d_fc2", "gelu_erf_act", "residual_add_res"):
        assert f"void {fn}(" in code
    assert code.count("#pragma HLS pipeline II=1") == 8
    check_csim(s, *args)


@pytest.mark.csim
def test_attention_schedule_reaches_the_nested_products_when_composed():
    def attn(Q: float32[8, 16], K: float32[8, 16], V: float32[8, 16]) -> float32[8, 16]:
        return nn.scaled_dot_product_attention[float32, 2, 8, 16, 4, 4, "sa"](Q, K, V)

    s = allo.customize(attn)
    s.compose(nn.scaled_dot_product_attention, id="sa", instantiate=[float32, 2, 8, 16, 4, 4])
    names = s._state.function_names()
    assert "systolic_sa_QKT" in names and "systolic_sa_YV" in names
    # the systolic schedule reached the nested instances: one PE function per grid position
    assert sum(n.startswith("PE_kernel_sa_QKT_") for n in names) == 4 * 4
    args = [rand(8, 16), rand(8, 16), rand(8, 16)]
    _check(s.build(), args, ref.heads_attention(*args, 2))
    check_csim(s, *args)


# ----------------------------------------------------------------------- C simulation


@pytest.mark.csim
@pytest.mark.parametrize("case", ["linear2d", "conv2d", "maxpool2d", "layer_norm", "softmax",
                                  "gelu_erf", "sdp_attention_causal", "batchnorm1d_3d"])
def test_csim_of_the_scheduled_kernel_matches_the_cpu(case):
    kernel, inst, make_args, reference = CASES[case]
    args = make_args()
    s = allo.customize(kernel, instantiate=inst)
    KERNEL2SCHEDULE[kernel](s)
    outs = check_csim(s, *args)
    np.testing.assert_allclose(outs[0], reference(*args), rtol=1e-5, atol=1e-5)


def test_int16_relu_keeps_integers_exact():
    x = RNG.integers(-500, 500, (3, 5), dtype=np.int16)
    s = allo.customize(nn.relu2d, instantiate=[int16, 3, 5])
    nn.schedule_relu2d(s)
    np.testing.assert_array_equal(s.build()(x), np.maximum(x, 0))
