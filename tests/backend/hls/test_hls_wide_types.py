"""Integers wider than 1024 bits in HLS: ``AP_INT_MAX_W`` is defined (up to Vitis's 4096)
and C simulation is bit-exact with the CPU; wider types are refused at build time."""

import inspect
import os
import warnings

import numpy as np
import pytest

import allo
from allo.backend.hls.csim import PCH_NAME, precompiled_header
from allo.backend.hls.toolchain import ap_types_dir, gxx
from allo.ir.types import Int, UInt
from allo.utils import make_anywidth_numpy_array, struct_array_to_int_array

from helpers import check_csim

pytestmark = [pytest.mark.filterwarnings("ignore::allo.DTypeWarning")]
RNG = np.random.default_rng(2048)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", allo.DTypeWarning)
    I2048, U4096, I5000 = Int(2048), UInt(4096), Int(5000)


def _random_ints(bits: int, n: int, signed: bool) -> list[int]:
    out = []
    for _ in range(n):
        value = int.from_bytes(RNG.bytes(bits // 8), "little")
        out.append(value - (1 << (bits - 1)) if signed else value)
    return out


def mul_add_2048(A: I2048[4], B: I2048[4]) -> I2048[4]:
    C: I2048[4] = 0
    for i in range(4):
        C[i] = A[i] * B[i]  # the i4096 product wraps to 2048 bits
        C[i] = C[i] - (A[i] >> 3)
    return C


def bits_4096(A: U4096[3], B: U4096[3]) -> U4096[3]:
    C: U4096[3] = 0
    for i in range(3):
        C[i] = (A[i] ^ B[i]) | (A[i] & (B[i] >> 1000))
    return C


def too_wide(A: I5000[2]) -> I5000[2]:
    return A


def _define_before_includes(code: str) -> str:
    head = code.split("#include", 1)[0]
    lines = [line for line in head.splitlines() if line.startswith("#define AP_INT_MAX_W")]
    assert len(lines) == 1, head
    return lines[0]


@pytest.mark.csim
def test_int2048_csim_is_bit_exact():
    s = allo.customize(mul_add_2048)
    assert _define_before_includes(s.build(target="vhls").hls_code) == "#define AP_INT_MAX_W 4096"
    a = _random_ints(2048, 4, signed=True)
    b = _random_ints(2048, 4, signed=True)
    a[0], b[0] = -1, 1 << 2046
    A, B = make_anywidth_numpy_array(a, 2048), make_anywidth_numpy_array(b, 2048)
    (c,) = check_csim(s, A, B)
    mask = (1 << 2048) - 1
    expected = []
    for x, y in zip(a, b):
        v = ((x * y) & mask) - ((x >> 3) & mask)
        v &= mask
        expected.append(v - (1 << 2048) if v >> 2047 else v)
    assert list(struct_array_to_int_array(c, 2048)) == expected


@pytest.mark.csim
def test_uint4096_csim_is_bit_exact():
    s = allo.customize(bits_4096)
    assert _define_before_includes(s.build(target="vitis_hls").hls_code) == \
        "#define AP_INT_MAX_W 4096"
    a, b = _random_ints(4096, 3, signed=False), _random_ints(4096, 3, signed=False)
    A, B = make_anywidth_numpy_array(a, 4096), make_anywidth_numpy_array(b, 4096)
    (c,) = check_csim(s, A, B, target="vitis_hls")
    expected = [(x ^ y) | (x & (y >> 1000)) for x, y in zip(a, b)]
    assert list(struct_array_to_int_array(c, 4096, signed=False)) == expected


def test_narrow_kernels_define_nothing():
    def k(A: Int(1024)[2]) -> Int(1024)[2]:
        return A

    assert "AP_INT_MAX_W" not in allo.customize(k).build(target="vhls").hls_code


def test_wider_than_4096_is_refused_for_hls():
    s = allo.customize(too_wide)
    A = make_anywidth_numpy_array([3, -5], 8192)  # the container of i5000
    assert list(struct_array_to_int_array(s.build()(A), 5000)) == [3, -5]  # the CPU takes it
    line = inspect.getsourcelines(too_wide)[1]
    for target in ("vhls", "vitis_hls"):
        with pytest.raises(allo.BuildError) as info:
            s.build(target=target)
        msg = str(info.value)
        assert "type i5000 is 5000 bits wide" in msg and "4096" in msg, msg
        assert f'File "{__file__}", Line: {line}' in msg, msg


def test_an_intermediate_wider_than_4096_names_its_line():
    def k(A: I2048[2]) -> I2048[2]:
        B: I2048[2] = 0
        for i in range(2):
            B[i] = A[i] * A[i] + A[i]  # ERR: i4097 before the wrap
        return B

    lines, start = inspect.getsourcelines(k)
    line = start + next(n for n, text in enumerate(lines) if "# ERR" in text)
    with pytest.raises(allo.BuildError, match=f'(?s)type i4097 .*File "{__file__}", Line: {line}'):
        allo.customize(k).build(target="vhls")


@pytest.mark.csim
def test_precompiled_headers_are_keyed_by_the_defines(tmp_path):
    compiler, ap_dir = gxx(), ap_types_dir()
    if compiler is None or ap_dir is None:
        pytest.skip("C simulation needs g++ and the hls4ml headers")
    plain = precompiled_header(compiler, ap_dir, str(tmp_path))
    wide = precompiled_header(compiler, ap_dir, str(tmp_path), ["#define AP_INT_MAX_W 4096"])
    assert plain is not None and wide is not None and plain != wide
    with open(os.path.join(wide, PCH_NAME), encoding="utf-8") as f:
        assert f.read().startswith("#define AP_INT_MAX_W 4096\n#include")
    with open(os.path.join(plain, PCH_NAME), encoding="utf-8") as f:
        assert "AP_INT_MAX_W" not in f.read()


def test_vitis_kernel_header_defines_the_limit_too(tmp_path):
    allo.customize(bits_4096).build(target="vitis_hls", mode="csim", project=str(tmp_path))
    with open(tmp_path / "kernel.h", encoding="utf-8") as f:
        assert _define_before_includes(f.read()) == "#define AP_INT_MAX_W 4096"
