"""Spellings of the emitted Vitis HLS C++ (backends.md §3): prelude, types, names, signatures,
statements; every generated file compiles with g++."""

import re
import subprocess

import numpy as np
import pytest

import allo
from allo._mlir import ir, new_context
from allo.backend.hls import is_available
from allo.backend.hls.toolchain import SHIM_DIR, ap_types_dir
from allo.library.template import type_params
from allo.ir.types import (Fixed, Int, UFixed, UInt, bool as abool, bfloat16, float16, float32,
                           float64, int32, uint16)


def compiles(code: str, tmp_path) -> None:
    """The translation unit passes ``g++ -fsyntax-only`` with the csim headers."""
    if not is_available("csim"):
        pytest.skip("needs g++ and the hls4ml headers")
    src = tmp_path / "unit.cpp"
    src.write_text(code)
    proc = subprocess.run(["g++", "-std=c++17", "-fsyntax-only", "-w", f"-I{SHIM_DIR}",
                           f"-I{ap_types_dir()}", str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]


def hls(fn, target="vhls", **kw):
    return allo.customize(fn).build(target, **kw).hls_code


def body(code: str) -> str:
    return code.split("using namespace std;", 1)[1]


# --------------------------------------------------------------------------- prelude


def const_seven() -> int32:
    return 7


def test_prelude_includes_and_no_comma(tmp_path):
    code = hls(const_seven)
    lines = code.splitlines()
    includes = [ln for ln in lines if ln.startswith("#include")]
    assert includes == ["#include <algorithm>", "#include <ap_axi_sdata.h>",
                        "#include <ap_fixed.h>", "#include <ap_int.h>", "#include <hls_math.h>",
                        "#include <hls_stream.h>", "#include <hls_vector.h>", "#include <math.h>",
                        "#include <stdint.h>"]
    assert "using namespace std;" in code
    assert "," not in code
    assert "/// This is top function.\nvoid const_seven(" in code
    assert "int32_t *v0" in code and "*v0 = " in code
    compiles(code, tmp_path)


# --------------------------------------------------------------------------- types


def typed(A: Int(5)[4], B: UInt(17)[4], C: Fixed(12, 4)[4], D: UFixed(8, 8)[4], E: abool[4],
          F: float16[4], G: float64[4], H: uint16[4], I: Int(1)[4]) -> UInt(18)[4]:
    R: UInt(18)[4]
    for i in range(4):
        R[i] = B[i] + B[i]
    return R


def test_type_spellings(tmp_path):
    code = hls(typed)
    for spelling in ["ap_int<5> v0[4]", "ap_uint<17> v1[4]", "ap_fixed<12, 8> v2[4]",
                     "ap_ufixed<8, 0> v3[4]", "bool v4[4]", "half v5[4]", "double v6[4]",
                     "uint16_t v7[4]", "ap_int<1> v8[4]", "ap_uint<18> v9[4]"]:
        assert spelling in code, spelling
    # signedness comes from the Allo types: an unsigned sum never prints ap_int
    sums = [ln for ln in code.splitlines() if " + " in ln]
    assert sums and all("ap_uint<18>" in ln for ln in sums)
    compiles(code, tmp_path)


def bf(A: bfloat16[4]) -> bfloat16[4]:
    return A


def test_bfloat16_is_rejected():
    with pytest.raises(allo.BuildError, match="bfloat16 is not supported by the HLS backends"):
        hls(bf)


# --------------------------------------------------------------------------- names


def f_scalar(C: int32) -> int32:
    return C + 1


def siblings(A: int32[4, 5]) -> int32[4, 5]:
    B: int32[4, 5]
    for m, n in allo.grid(4, 5):
        B[m, n] = A[m, n]
    for m, n in allo.grid(4, 5):
        B[m, n] += 1
    return B


def test_parameter_and_local_names(tmp_path):
    code = hls(f_scalar)
    assert "int32_t v0,\n  int32_t *v1\n) {" in code
    code = hls(siblings)
    assert "l_S_m_n_0_m: for (int m = 0; m < 4; m++) {" in code
    assert "l_n: for (int n = 0; n < 5; n++) {" in code
    assert "l_S_m_n_1_m1: for (int m1 = 0; m1 < 4; m1++) {" in code
    assert "v1[m1][n1]" in code
    compiles(code, tmp_path)


def class_(A: int32[4]) -> int32[4]:
    main: int32[4]
    for i in range(4):
        main[i] = A[i]
    return main


def test_names_are_valid_cpp_identifiers(tmp_path):
    with new_context():
        m = ir.Module.parse("""
        func.func @"my.kernel"(%a: memref<4xi32>) -> memref<4xi32> {
          %b = memref.alloc() {name = "class"} : memref<4xi32>
          %c = memref.alloc() {name = "x.y"} : memref<4xi32>
          affine.for %i = 0 to 4 {
            %v = affine.load %a[%i] : memref<4xi32>
            affine.store %v, %b[%i] : memref<4xi32>
            affine.store %v, %c[%i] : memref<4xi32>
          } {loop_name = "i.outer", op_name = "S.0"}
          return %b : memref<4xi32>
        }""")
    code = allo.HLSModule(m, "my.kernel").hls_code
    assert "void my_kernel(" in code
    assert "int32_t x_y[4];" in code
    assert "l_S_0_i_outer: for (int i_outer = 0;" in code
    compiles(code, tmp_path)


# --------------------------------------------------------------------------- statements


def tiled(A: float32[10, 20]) -> float32[10, 20]:
    B: float32[10, 20]
    for i, j in allo.grid(10, 20, name="C"):
        B[i, j] = A[i, j] * 0.5
    return B


def test_split_labels_and_min_bound(tmp_path):
    s = allo.customize(tiled)
    s.split("j", 6)
    s.split("i", 4)
    code = s.build("vhls").hls_code
    assert "l_C_i_outer: for (int i_outer = 0; i_outer < 3; i_outer++) {" in code
    assert "l_i_inner: for (int i_inner = 0; i_inner < min(4, ((i_outer * -4) + 10))" in code \
        or re.search(r"l_i_inner: for \(int i_inner = 0; i_inner < min\(", code)
    assert "l_j_outer" in code and "l_j_inner" in code
    assert "(float)0.5" in code
    compiles(code, tmp_path)


def calls_helper_inner(A: float32[8], x: float32) -> float32:
    return A[0] + x


def calls_helper_arr(A: float32[8]) -> float32[8]:
    B: float32[8]
    for i in range(8):
        B[i] = A[i] * 2.0
    return B


def calls_helper(A: float32[8]) -> float32[8]:
    s: float32 = calls_helper_inner(A, 1.5)
    C: float32[8] = calls_helper_arr(A)
    C[0] = s
    return C


def test_calls_declare_results_first(tmp_path):
    code = hls(calls_helper)
    assert code.index("void calls_helper_inner(") < code.index("void calls_helper(")
    assert code.index("void calls_helper_arr(") < code.index("void calls_helper(")
    top = code[code.index("void calls_helper("):]
    m = re.search(r"float (v\d+);\t//.*\n\s*calls_helper_inner\(v0, (v\d+), &(v\d+)\);", top)
    assert m and m.group(1) == m.group(3)
    assert re.search(r"calls_helper_arr\(v0, v1\);", top)
    compiles(code, tmp_path)


def floor_ops(a: int32, b: int32) -> int32:
    return a // b + (a >> b) + (a << 3)


def test_floor_division_is_corrected(tmp_path):
    code = hls(floor_ops)
    assert " / " in code and "!= 0" in code and "? 1 : 0" in code
    assert " < 32) ?" in code
    compiles(code, tmp_path)


def mathy(a: float32, b: float16) -> float32:
    return allo.exp(a) + allo.sqrt(a) + allo.log(a) + allo.sin(a) + allo.cos(a) + allo.tanh(a) \
        + allo.power(a, 2.0) + allo.abs(a) + float(allo.exp(b)) + max(a, 1.0) + min(a, 0.0)


def test_math_spellings(tmp_path):
    code = hls(mathy)
    for fn in ["hls::exp(", "hls::sqrt(", "hls::log(", "hls::sin(", "hls::cos(", "hls::tanh(",
               "pow(", "hls::abs(", "max(", "min(", "half "]:
        assert fn in code, fn
    compiles(code, tmp_path)


def cast_bits(x: float32) -> int32:
    return x.bitcast()


def test_bitcast_uses_a_union(tmp_path):
    code = hls(cast_bits)
    assert re.search(r"union \{ float from; uint32_t to;\} _converter_v0_to_v\d+;", code)
    compiles(code, tmp_path)


def stateful_pair(x: int32) -> int32:
    n: Int(4) @ allo.ir.types.Stateful = 0
    h: float32[4] @ allo.ir.types.Stateful = 0.0
    n += 1
    h[0] = h[0] + 1.0
    return n + x


def test_statics_open_the_function(tmp_path):
    code = hls(stateful_pair)
    top = body(code)
    assert "static ap_int<4> __stateful_stateful_pair_n = {0};" in top
    assert re.search(r"static float __stateful_stateful_pair_h\[4\] = \{", top)
    compiles(code, tmp_path)


TABLE = np.array([1, 2, 3, 4], dtype=np.int32)


def consts_global(A: int32[4]) -> int32[4]:
    T: int32[4] = TABLE
    B: int32[4]
    for i in range(4):
        B[i] = A[i] + T[i]
    return B


def test_constant_arrays_are_const_globals(tmp_path):
    code = hls(consts_global)
    assert re.search(r"const int32_t \w+\[4\] = \{1, 2, 3, 4\};", code)
    compiles(code, tmp_path)


def test_locations_are_recorded_as_comments():
    code = hls(f_scalar)
    assert re.search(r"\t// L\d+$", code, flags=re.M)


def test_code_generation_only_module_refuses_calls():
    mod = allo.customize(f_scalar).build("vhls")
    assert repr(mod) == mod.hls_code == str(mod)
    with pytest.raises(allo.BuildError, match=r"built for code generation only \(mode=None\)"):
        mod(1)


def test_build_does_not_mutate_the_schedule():
    s = allo.customize(siblings)
    before = str(s.module)
    s.build("vitis_hls")
    s.build("vhls")
    assert str(s.module) == before


def test_determinism():
    a = allo.customize(siblings).build("vitis_hls").hls_code
    b = allo.customize(siblings).build("vitis_hls").hls_code
    assert a == b


def test_emission_error_writes_nothing(tmp_path):
    project = tmp_path / "p"
    with pytest.raises(allo.BuildError):
        allo.customize(bf).build("vhls", mode="csim", project=str(project))
    assert not project.exists()


# --------------------------------------------------------------------------- checklist (§12)


def gemm_split(A: int32[16, 16], B: int32[16, 16]) -> int32[16, 16]:
    C: int32[16, 16] = 0
    for i, j in allo.grid(16, 16, name="C"):
        for k in allo.reduction(16):
            C[i, j] += A[i, k] * B[k, j]
    return C


def reduce_sum(A: float32[10]) -> float32:
    total: float32 = 0.0
    for k in allo.reduction(10):
        total += A[k]
    return total


@pytest.mark.csim
def test_split_reorder_and_reduction_labels(tmp_path):
    from helpers import check_csim

    s = allo.customize(gemm_split)
    s.split("i", 4)
    s.split("j", 4)
    s.reorder("i.outer", "j.outer", "i.inner", "j.inner")
    code = s.build("vhls").hls_code
    for label in ("l_C_i_outer: for (int i_outer = 0; i_outer < 4; i_outer++) {",
                  "l_j_outer: for (int j_outer = 0; j_outer < 4; j_outer++) {",
                  "l_i_inner: for (int i_inner = 0; i_inner < 4; i_inner++) {",
                  "l_j_inner: for (int j_inner = 0; j_inner < 4; j_inner++) {",
                  "l_k: for (int k = 0; k < 16; k++) {"):
        assert label in code, label
    assert code.index("l_C_i_outer") < code.index("l_j_outer") < code.index("l_i_inner") \
        < code.index("l_j_inner") < code.index("l_k:")
    A = np.arange(256, dtype=np.int32).reshape(16, 16) % 23 - 11
    B = (np.arange(256, dtype=np.int32).reshape(16, 16) * 7) % 19 - 9
    (C,) = check_csim(s, A, B, project=str(tmp_path / "gemm"))
    np.testing.assert_array_equal(C, A @ B)
    code = hls(reduce_sum)
    assert "l_S_k_0_k: for (int k = 0; k < 10; k++) {" in code
    check_csim(allo.customize(reduce_sum), np.linspace(-1, 1, 10, dtype=np.float32),
               project=str(tmp_path / "sum"))


def flag_top(inst: abool, C: int32[3]):
    flag: abool = inst
    if flag:
        C[0] += 1


def single(A: int32[1]) -> int32[1]:
    B: int32[1]
    B[0] = A[0] * 3
    return B


@pytest.mark.csim
def test_bool_scalar_pointer_result_and_one_element_arrays(tmp_path):
    from helpers import check_csim

    code = hls(flag_top)
    assert "bool v0,\n  int32_t v1[3]\n) {" in code and ",," not in code
    compiles(code, tmp_path)
    C = np.array([4, 5, 6], np.int32)
    check_csim(allo.customize(flag_top), True, C, project=str(tmp_path / "flag"))
    code = hls(f_scalar)
    assert "int32_t *v1" in code and "*v1 = " in code
    code = hls(single)
    assert "int32_t v0[1],\n  int32_t v1[1]\n) {" in code
    (B,) = check_csim(allo.customize(single), np.array([-7], np.int32),
                      project=str(tmp_path / "one"))
    assert B.tolist() == [-21]


def test_vitis_wrap_io_strings():
    code = allo.customize(siblings).build("vitis_hls").hls_code
    assert 'using namespace std;\nextern "C" {' in code
    assert code.rstrip().endswith('} // extern "C"')
    helpers = code[:code.index("/// This is top function.")]
    assert "void load_buf0(\n  int32_t v0[20],\n  int32_t v1[4][5]\n) {" in helpers
    assert "void store_res1(\n  int32_t v0[4][5],\n  int32_t v1[20]\n) {" in helpers
    assert "l_S_load_buf0_i: for (int i = 0; i < 4; i++) {" in helpers
    assert "v0[((i * 5) + j)]" in helpers and "v1[((i * 5) + j)] = " in helpers
    assert helpers.count("#pragma HLS pipeline II=1 rewind") == 2
    top = code[code.index("/// This is top function."):]
    assert "void siblings(\n  int32_t *v0,\n  int32_t *v1\n) {\n" \
        "  #pragma HLS interface m_axi port=v0 offset=slave bundle=gmem0\n" \
        "  #pragma HLS interface m_axi port=v1 offset=slave bundle=gmem1\n" in top
    assert "int32_t buf0[4][5];" in top and "load_buf0(v0, buf0);" in top
    assert re.search(r"store_res1\(\w+, v1\);", top)


def inner_2d(X: int32[4, 5]):
    for i, j in allo.grid(4, 5):
        X[i, j] += 1


def outer_2d(X: int32[4, 5]):
    inner_2d(X)


def test_two_dimensional_top_array_into_a_callee_needs_wrap_io():
    with pytest.raises(allo.BuildError, match="wrap_io") as info:
        allo.customize(outer_2d).build("vitis_hls", wrap_io=False)
    assert isinstance(info.value, RuntimeError)


@type_params("N")
def tally(x: int32) -> int32:
    total: int32 @ allo.ir.types.Stateful = 0
    total += x * N
    return total


def two_tallies(x: int32) -> int32:
    a = tally[1, "A1"](x)
    b = tally[2, "A2"](x)
    return a * 1000 + b


@pytest.mark.csim
def test_composed_stateful_instances_have_their_own_statics(tmp_path):
    from helpers import check_csim

    s = allo.customize(two_tallies)
    s.compose(allo.customize(tally, instantiate=[1]), id="A1")
    s.compose(allo.customize(tally, instantiate=[2]), id="A2")
    mod = s.build()
    assert [mod(1), mod(2), mod(3)] == [1002, 3006, 6012]  # separate running sums
    code = s.build("vhls").hls_code
    statics = re.findall(r"^  static int32_t (\w+) = \{0\};$", code, flags=re.M)
    assert len(statics) == 2
    assert "A1" in statics[0] and "A2" in statics[1]
    compiles(code, tmp_path)
    check_csim(s, 5, project=str(tmp_path / "p"))


def collatz(n: int32) -> int32:
    steps: int32 = 0
    x: int32 = n
    while x != 1:
        if x % 2 == 0:
            x = x // 2
        else:
            x = 3 * x + 1
        steps += 1
    return steps


@pytest.mark.csim
def test_python_while_loop_emits_while_true_and_break(tmp_path):
    from helpers import check_csim

    code = hls(collatz)
    assert "while (true) {" in code
    assert re.search(r"if \(!\(v\d+\)\) break;", code)
    s = allo.customize(collatz)
    for n in (1, 6, 27):
        (steps,) = check_csim(s, n, project=str(tmp_path / "c"))
        assert int(steps) == {1: 0, 6: 8, 27: 111}[n]
