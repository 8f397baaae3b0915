"""fuse: index recovery, names, handles, follow-up primitives, errors."""


import allo
from allo.ir.types import int32

from helpers_schedule import assert_cpu_matches, assert_refused, assert_replay_identical
import loop_kernels as K
from loop_kernels import pe_add  # noqa: F401 - kernels shared with other tests


def test_fuse_spec_example():
    s = allo.customize(pe_add)
    f = s.fuse("u", "w")
    assert f.name == "pe_add:cell.u_w_fused"
    text = str(s.module)
    assert "0 to 12" in text
    assert 'loop_name = "u_w_fused", op_name = "cell"' in text
    assert "%arg1 floordiv 4, %arg1 mod 4" in text
    s.unroll(f, 2)
    assert 'op_name = "cell", unroll = 2 : ui32' in str(s.module)
    assert_cpu_matches(s, lambda P: P + 7, K.rand_int((3, 4)))
    assert_replay_identical(pe_add, s)


def test_fuse_three_loops_then_split_and_parallel():
    s = allo.customize(K.gemm)
    f = s.fuse("i", "j", "k")
    assert list(s.get_loops().mm.loops) == ["i_j_k_fused"]
    s.split(f, 7)  # 480 iterations, remainder 4
    s.parallel("i_j_k_fused.outer")
    assert_cpu_matches(s, K.gemm_ref, K.rand_int((8, 6)), K.rand_int((6, 10), seed=9))
    assert_replay_identical(K.gemm, s)


def test_fuse_inner_pair_offset_loop_and_callee():
    s = allo.customize(K.gemm)
    s.fuse("j", "k")
    assert list(s.get_loops().mm.loops) == ["i", "j_k_fused"]
    assert_cpu_matches(s, K.gemm_ref, K.rand_int((8, 6)), K.rand_int((6, 10), seed=3))
    s2 = allo.customize(K.calls_scale)
    s2.split("scale_row:t", 4)
    h = s2.fuse("scale_row:t.outer", "scale_row:t.inner")
    assert h.func == "scale_row"
    assert_cpu_matches(s2, K.calls_scale_ref, K.rand_int(12))


def test_fuse_imperfect_distributes():
    s = allo.customize(K.imperfect)
    s.fuse("i", "j")
    names = [n for n, _ in s.get_loops()]
    assert names == ["blk_d1", "blk", "blk_d2"]
    assert list(s.get_loops().blk.loops) == ["i_j_fused"]
    assert_cpu_matches(s, K.imperfect_ref, K.rand_int((6, 8)), K.rand_int((6, 8), seed=1))


def test_fuse_errors():
    s = allo.customize(K.gemm)
    frag = "loops to fuse must be consecutive nested loops, listed from outermost to innermost"
    assert_refused(s, allo.ImperfectNestError, frag, "fuse", "i", "k")
    assert_refused(s, allo.ImperfectNestError, frag, "fuse", "j", "i")
    assert_refused(s, allo.ScheduleArgumentError, "need at least 2 loops", "fuse", "i")
    s.split("k", 4)
    assert_refused(s, allo.NotAffineError, "non-constant", "fuse", "k.outer", "k.inner")
