"""``customize(..., enable_tensor=True)``: tensor-level IR (language.md §10.3).

Every kernel is built both ways; the tensor schedule's IR is checked for tensor values and its
CPU results must be bit-identical to the buffer schedule's (and to numpy).
"""

from __future__ import annotations

import numpy as np
import pytest

import allo
from allo.ir.types import float32, int8, int32, uint8
from helpers import check_csim

RNG = np.random.default_rng(7)
W_CONST = np.arange(12, dtype=np.int32).reshape(3, 4)
K_CONST = np.full((4, 4), 200, dtype=np.uint8)


def func_text(s, name=None) -> str:
    """The printed ``func.func`` of ``name`` (the top function by default), without locations."""
    op = s.top_func if name is None else s.built.find_func(name)
    return op.operation.get_asm(enable_debug_info=False)


def assert_same_as_buffers(kernel, *args):
    """Build ``kernel`` with and without enable_tensor; results must match bit for bit."""
    tensor = allo.customize(kernel, enable_tensor=True)
    buffers = allo.customize(kernel)
    got = tensor.build()(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    want = buffers.build()(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    as_list = lambda r: r if isinstance(r, list) else [r]  # noqa: E731
    for g, w in zip(as_list(got), as_list(want)):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape
        assert g.tobytes() == w.tobytes()
    return tensor, got


def test_matmul_add_relu_are_linalg_on_tensors():
    def k(A: float32[4, 4], B: float32[4, 4]) -> float32[4, 4]:
        C = allo.matmul(A, B)
        D = C + A
        E = allo.relu(D)
        return E

    A = RNG.standard_normal((4, 4)).astype(np.float32)
    B = RNG.standard_normal((4, 4)).astype(np.float32)
    s, out = assert_same_as_buffers(k, A, B)
    np.testing.assert_allclose(out, np.maximum(A @ B + A, 0), rtol=1e-5, atol=1e-6)
    text = func_text(s)
    assert "(%arg0: tensor<4x4xf32>, %arg1: tensor<4x4xf32>) -> tensor<4x4xf32>" in text
    assert "tensor.empty() : tensor<4x4xf32>" in text
    assert ('linalg.fill {name = "C"} ins(%cst : f32) outs(%0 : tensor<4x4xf32>) '
            '-> tensor<4x4xf32>') in text
    assert 'linalg.matmul {op_name = "matmul_0"}' in text
    assert text.count("linalg.generic") == 2  # the add and the relu
    assert "memref" not in text and "affine.for" not in text


def test_broadcasting_integer_arithmetic_and_constants():
    def k(A: int8[3, 4], b: int8[4]) -> int32[3, 4]:
        W: int32[3, 4] = W_CONST
        Z: int32[3, 4] = 5
        C = A + b
        D = allo.mul(C, W)
        E = allo.sub(D, Z)
        return E

    A = RNG.integers(-128, 127, (3, 4), dtype=np.int8)
    b = RNG.integers(-128, 127, (4,), dtype=np.int8)
    s, out = assert_same_as_buffers(k, A, b)
    W = np.arange(12, dtype=np.int32).reshape(3, 4)
    np.testing.assert_array_equal(out, (A.astype(np.int32) + b) * W - 5)
    text = func_text(s)
    assert "arith.constant dense<" in text and "tensor<3x4xi32>" in text
    assert "affine_map<(d0, d1) -> (d1)>" in text  # b broadcast along the rows
    assert "memref<3x4" not in text


def test_element_reads_slices_and_scalars():
    def k(A: float32[4, 6]) -> float32[2, 6]:
        x: float32 = A[1, 2]
        S = A[1:3, :]
        r = A[3]
        T = S * x + r
        return T

    A = RNG.standard_normal((4, 6)).astype(np.float32)
    s, out = assert_same_as_buffers(k, A)
    np.testing.assert_array_equal(out, A[1:3] * A[1, 2] + A[3])
    text = func_text(s)
    assert "tensor.extract %arg0" in text
    assert ("tensor.extract_slice %arg0[1, 0] [2, 6] [1, 1] : "
            "tensor<4x6xf32> to tensor<2x6xf32>") in text
    assert ("tensor.extract_slice %arg0[3, 0] [1, 6] [1, 1] : "
            "tensor<4x6xf32> to tensor<6xf32>") in text  # a row: rank-reducing
    assert "memref<f32>" in text  # the scalar keeps its cell
    assert "-> tensor<2x6xf32>" in text


def test_layout_and_nn_builtins():
    def k(X: float32[1, 2, 6, 6], W: float32[3, 2, 3, 3], win: float32[2, 2], M: float32[4, 6],
          N: float32[5, 6]) -> float32[3, 13]:
        Y = allo.conv2d(X, W)
        P = allo.maxpool(Y, win)
        Q = allo.sumpool(Y, win)
        R = P + Q
        V = allo.view(R, (3, 9))
        L = allo.linear(M, N)
        T = allo.concat(V, allo.softmax(L[0:3, 0:4]), axis=1)
        return allo.transpose(allo.transpose(T))

    X = RNG.standard_normal((1, 2, 6, 6)).astype(np.float32)
    W = RNG.standard_normal((3, 2, 3, 3)).astype(np.float32)
    win = np.zeros((2, 2), np.float32)
    M = RNG.standard_normal((4, 6)).astype(np.float32)
    N = RNG.standard_normal((5, 6)).astype(np.float32)
    s, out = assert_same_as_buffers(k, X, W, win, M, N)
    L = (M @ N.T)[0:3, 0:4]
    soft = np.exp(L - L.max(axis=1, keepdims=True))
    np.testing.assert_allclose(out[:, 9:], soft / soft.sum(axis=1, keepdims=True), rtol=1e-5)
    text = func_text(s)
    for op in ("linalg.conv_2d_nchw_fchw", "linalg.pooling_nchw_max", "linalg.pooling_nchw_sum",
               "linalg.transpose", "tensor.insert_slice"):
        assert op in text
    assert "(%arg0: tensor<1x2x6x6xf32>" in text and "-> tensor<3x13xf32>" in text


def test_lowering_test_kernel_matches_its_buffer_build():
    from test_tensor_ops_lowering import many_ops

    args = [RNG.standard_normal(shape).astype(np.float32)
            for shape in ((4, 4), (4, 4), (1, 2, 5, 5), (3, 2, 2, 2), (2, 2), (2, 4, 4))]
    s, _ = assert_same_as_buffers(many_ops, *args)
    text = func_text(s)
    assert "linalg.batch_matmul" in text and "(%arg0: tensor<4x4xf32>" in text
    assert "bufferization.to_tensor" in text  # the softmax reductions keep their loops


def test_bmm_and_calls_between_user_kernels():
    def scale(A: int32[2, 3, 3]) -> int32[2, 3, 3]:
        return A * 2

    def k(A: int32[2, 3, 3], B: int32[2, 3, 3]) -> (int32[2, 3, 3], int32):
        C = allo.bmm(scale(A), B)
        return C, C[1, 2, 0]

    A = RNG.integers(-9, 9, (2, 3, 3), dtype=np.int32)
    B = RNG.integers(-9, 9, (2, 3, 3), dtype=np.int32)
    s, (C, c) = assert_same_as_buffers(k, A, B)
    np.testing.assert_array_equal(C, (2 * A) @ B)
    assert c == C[1, 2, 0]
    assert "call @scale(%arg0) : (tensor<2x3x3xi32>) -> tensor<2x3x3xi32>" in func_text(s)
    assert "linalg.batch_matmul" in func_text(s)
    assert "-> tensor<2x3x3xi32>" in func_text(s, "scale")


def test_user_loops_and_library_kernels_bridge_through_buffers():
    from allo.library import nn

    def k(X: float32[2, 3], W: float32[4, 3], b: float32[4]) -> float32[2, 4]:
        total: float32 = 0.0
        for i in range(2):
            for j in range(3):
                total += X[i, j]
        Y = nn.linear2d[float32, float32, float32, 2, 4, 3](X, W, b)
        return allo.relu(Y) + total

    X = RNG.standard_normal((2, 3)).astype(np.float32)
    W = RNG.standard_normal((4, 3)).astype(np.float32)
    b = RNG.standard_normal(4).astype(np.float32)
    s, out = assert_same_as_buffers(k, X, W, b)
    np.testing.assert_allclose(out, np.maximum(X @ W.T + b, 0) + X.sum(), rtol=1e-5)
    text = func_text(s)
    assert "bufferization.to_buffer %arg0 read_only" in text
    assert "bufferization.to_tensor" in text
    # the library kernel itself stays on buffers
    assert "memref<2x3xf32>" in func_text(s, "linear2d")


@pytest.mark.csim
def test_vhls_code_and_csim_match_the_buffer_build():
    def k(A: uint8[4, 4], B: uint8[4, 4]) -> int32[4, 4]:
        K: uint8[4, 4] = K_CONST
        C = allo.matmul(A, B)
        D = C + K
        return D

    A = RNG.integers(0, 255, (4, 4), dtype=np.uint8)
    B = RNG.integers(0, 255, (4, 4), dtype=np.uint8)
    s, out = assert_same_as_buffers(k, A, B)
    assert "void k(" in s.build(target="vhls").hls_code
    (got,) = check_csim(s, A, B)
    np.testing.assert_array_equal(got, out)


def test_primitives_are_refused_on_a_tensor_schedule():
    def k(A: int32[8]) -> int32[8]:
        B = A + 1
        return B

    s = allo.customize(k, enable_tensor=True)
    before = str(s.module)
    with pytest.raises(allo.ScheduleError, match="enable_tensor=True") as info:
        s.partition("k:A")
    assert "test_enable_tensor.py" in str(info.value)
    assert str(s.module) == before and s.primitive_sequences == []
    np.testing.assert_array_equal(s.build()(np.arange(8, dtype=np.int32)),
                                  np.arange(8, dtype=np.int32) + 1)


def test_buffer_schedules_are_unchanged():
    def k(A: int32[8]) -> int32[8]:
        B = A + 1
        return B

    assert "tensor" not in str(allo.customize(k).module)
    assert not allo.customize(k).built.tensor_ir


def test_a_kernel_the_raising_cannot_handle_keeps_its_buffers(monkeypatch):
    import allo.frontend.builder as builder

    def refuse(module, names):
        raise ValueError("an op the raising does not know")

    def k(A: int32[8]) -> int32[8]:
        return A + 1

    monkeypatch.setattr(builder, "raise_functions", refuse)
    with pytest.warns(UserWarning, match="an op the raising does not know"):
        s = allo.customize(k, enable_tensor=True)
    assert not s.built.tensor_ir and "memref<8xi32>" in func_text(s)
    np.testing.assert_array_equal(s.build()(np.arange(8, dtype=np.int32)),
                                  np.arange(8, dtype=np.int32) + 1)


def test_arrays_placed_by_memory_keep_their_buffers():
    def k(A: int32[2, 2] @ allo.Memory(resource="BRAM", storage_type="RAM_2P")) -> int32[2, 2]:
        return A + 1

    s = allo.customize(k, enable_tensor=True)
    assert not s.built.tensor_ir and "memref<2x2xi32, " in func_text(s)
    np.testing.assert_array_equal(s.build()(np.ones((2, 2), np.int32)), np.full((2, 2), 2))


CUBE = np.arange(24, dtype=np.int32).reshape(2, 3, 4)


@pytest.mark.csim
def test_slice_of_a_constant_and_concat_build_for_cpu_and_csim():
    def k(A: int32[2, 2]) -> int32[4, 2]:
        sub: int32[2, 2] = CUBE[1, 0:2, 1:3]
        return allo.concat(sub - A, A)  # Int(33) and int32: A is converted

    A = np.arange(4, dtype=np.int32).reshape(2, 2)
    s, out = assert_same_as_buffers(k, A)
    np.testing.assert_array_equal(out, np.concatenate([CUBE[1, 0:2, 1:3] - A, A]))
    text = func_text(s)
    assert "tensor.extract_slice %cst[1, 0, 1] [1, 2, 2] [1, 1, 1]" in text
    assert "tensor.insert_slice %1 into %2[0, 0] [2, 2] [1, 1]" in text
    assert "%4 into %inserted_slice[2, 0] [2, 2] [1, 1] {op_name = \"concat_1\"}" in text
    assert "affine.for" not in text
    (got,) = check_csim(s, A)
    np.testing.assert_array_equal(got, out)


def test_library_schedules_compose_into_a_tensor_kernel():
    from allo.library import nn

    def k(X: float32[4, 8], W: float32[16, 8], b: float32[16]) -> float32[4, 16]:
        Y = nn.linear2d[float32, float32, float32, 4, 16, 8](X, W, b)
        return allo.relu(Y)

    inst = [float32, float32, float32, 4, 16, 8]
    s = allo.customize(k, enable_tensor=True)
    s.compose(nn.linear2d, instantiate=inst)
    assert ("pipeline", ["linear2d:j"], {}) in s.primitive_sequences
    assert "tensor<4x16xf32>" in func_text(s)
    reference = allo.customize(k)
    reference.compose(nn.linear2d, instantiate=inst)
    X = RNG.standard_normal((4, 8)).astype(np.float32)
    W = RNG.standard_normal((16, 8)).astype(np.float32)
    b = RNG.standard_normal(16).astype(np.float32)
    assert s.build()(X, W, b).tobytes() == reference.build()(X, W, b).tobytes()
    assert "#pragma HLS pipeline" in s.build(target="vhls").hls_code
    # the user's kernel itself is tensor-level: a primitive on it is undone and refused
    before = str(s.module)
    with pytest.raises(allo.ScheduleError, match="enable_tensor=True"):
        s.pipeline("relu_0.L_1")
    assert str(s.module) == before


def test_run_time_errors_name_the_users_arrays():
    def gather(A: int32[4], idx: int32) -> int32:
        return A[idx]

    mod = allo.customize(gather, enable_tensor=True).build()
    A = np.array([5, 6, 7, 8], np.int32)
    assert mod(A, 1) == 6
    with pytest.raises(allo.IndexOutOfBoundsError) as info:
        mod(A, 9)
    assert (info.value.array, info.value.index, info.value.size) == ("A", 9, 4)
