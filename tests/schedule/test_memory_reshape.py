"""reshape: new shapes of parameters and returned buffers, propagation over the alias class,
row-major data identical (CPU results equal numpy), errors leaving the IR unchanged."""

import numpy as np
import pytest

import allo

from helpers_schedule import assert_refused, assert_replay_identical
import memory_kernels as K


def test_reshape_parameter_to_four_dims():
    s = allo.customize(K.add_one_10x10)
    A = K.rand_int((10, 10))
    np.testing.assert_array_equal(s.build()(A), A + 1)
    s.reshape(s.A, (2, 5, 2, 5))
    text = str(s.module)
    assert "func.func @add_one_10x10(%arg0: memref<2x5x2x5xi32>) -> memref<10x10xi32>" in text
    out = s.build()(A.reshape(2, 5, 2, 5))
    np.testing.assert_array_equal(out, A + 1)
    assert_replay_identical(K.add_one_10x10, s)


def test_reshape_returned_buffer_changes_result_shape():
    s = allo.customize(K.cube)
    A = K.rand_int((4, 4, 4))
    expected = K.cube_ref(A)
    s.reshape(s.B, (8, 2, 4))
    assert '{name = "B"} : memref<8x2x4xi32>' in str(s.module)
    assert "-> memref<8x2x4xi32>" in str(s.module)
    out = s.build()(A)
    assert out.shape == (8, 2, 4)
    np.testing.assert_array_equal(out, expected.reshape(8, 2, 4))


def test_reshape_propagates_over_the_alias_class():
    s = allo.customize(K.top6)
    X = K.rand_int(6)
    s.reshape("inc6:V", (2, 3))
    text = str(s.module)
    assert "memref<6xi32>" not in text
    assert "func.func @top6(%arg0: memref<2x3xi32>) -> memref<2x3xi32>" in text
    out = s.build()(X.reshape(2, 3))
    np.testing.assert_array_equal(out, K.top6_ref(X).reshape(2, 3))
    assert_replay_identical(K.top6, s)


def test_reshape_of_a_copied_parameter_expands_the_copy():
    s = allo.customize(K.copy_in)
    A = K.rand_int((6, 4))
    s.reshape(s.A, (24,))
    assert "memref.copy" not in str(s.module)
    np.testing.assert_array_equal(s.build()(A.reshape(24)), K.copy_in_ref(A))
    s2 = allo.customize(K.copy_in)
    s2.reshape(s2.B, (3, 8))  # the copy's destination side
    np.testing.assert_array_equal(s2.build()(A), K.copy_in_ref(A).reshape(3, 8))


def test_reshape_rewrites_non_affine_accesses():
    s = allo.customize(K.gather)
    A = K.rand_int(12)
    idx = np.random.default_rng(3).integers(0, 12, 12).astype(np.int32)
    assert "memref.load" in str(s.module)
    s.reshape(s.A, (3, 2, 2))
    np.testing.assert_array_equal(s.build()(A.reshape(3, 2, 2), idx), K.gather_ref(A, idx))


def test_reshape_then_partition_is_allowed():
    s = allo.customize(K.add_one_10x10)
    s.reshape(s.B, (4, 25))
    s.partition(s.B, allo.Partition.Cyclic, dim=2, factor=5)
    assert "memref<4x25xi32, #map>" in str(s.module)
    A = K.rand_int((10, 10), seed=2)
    np.testing.assert_array_equal(s.build()(A), (A + 1).reshape(4, 25))


@pytest.mark.parametrize("shape, fragment", [
    ((3, 33), "element count mismatch"),
    ((0, 100), "positive integers"),
    ((10, -10), "positive integers"),
    ((10, 10.0), "positive integers"),
    ("10x10", "positive integers"),
])
def test_bad_shapes_are_refused(shape, fragment):
    s = allo.customize(K.add_one_10x10)
    assert_refused(s, allo.ScheduleError, fragment, "reshape", s.A, shape)


def test_partitioned_buffer_cannot_be_reshaped():
    s = allo.customize(K.top6)
    s.partition("inc6:W", allo.Partition.Cyclic, dim=1, factor=2)
    assert_refused(s, allo.ScheduleError, "reshape first, then partition", "reshape",
                   s.R, (2, 3))


def test_scalar_and_unknown_targets():
    s = allo.customize(K.mv)
    assert_refused(s, allo.BufferNotFoundError, "nothere", "reshape", "mv:nothere", (2,))
