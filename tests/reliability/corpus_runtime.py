"""Corpus cases: call-time arguments, build requests and extreme inputs."""

from __future__ import annotations

import textwrap

from corpus_case import Case
from corpus_syntax import kernel_case

ARG = "ArgumentError"
BLD = "BuildError"
TMP = "import tempfile\ntmp = tempfile.mkdtemp()"

ADD = """
def add(A: int32[4, 4], B: float32[4], n: int32) -> int32[4, 4]:
    C: int32[4, 4] = 0
    for i, j in allo.grid(4, 4):
        C[i, j] = A[i, j] + n
        A[i, j] = 0
    return C

s = allo.customize(add)
mod = s.build()
A = np.ones((4, 4), np.int32)
B = np.ones(4, np.float32)
"""

FIXED = """
def fx(X: Fixed(12, 4)[4], w: UInt(5)) -> Fixed(12, 4)[4]:
    Y: Fixed(12, 4)[4] = 0
    for i in range(4):
        Y[i] = X[i] + w
    return Y

s = allo.customize(fx)
mod = s.build()
"""


def call(name: str, call_text: str, expect: str = ARG, fragment: str = "", kernel: str = ADD,
         setup: str = "", **flags) -> Case:
    """Build ``kernel`` at module level; ``trigger()`` makes the bad call."""
    source = kernel + textwrap.dedent(setup) + f"\n\ndef trigger():\n    {call_text}  # ERR\n"
    return Case(name, source, expect, fragment, **flags)


def build(name: str, call_text: str, expect: str = BLD, fragment: str = "", setup: str = "",
          **flags) -> Case:
    """Customize ``add``; ``trigger()`` requests a bad build."""
    kernel = ADD.replace("mod = s.build()\n", "")
    source = kernel + textwrap.dedent(setup) + f"\n\ndef trigger():\n    {call_text}  # ERR\n"
    return Case(name, source, expect, fragment, **flags)


CALLS = [
    call("too_few_arguments", "mod(A, B)", fragment="add expects 3 arguments (A, B, n), got 2"),
    call("too_many_arguments", "mod(A, B, 1, 2)", fragment="expects 3 arguments"),
    call("no_arguments", "mod()", fragment="expects 3 arguments"),
    call("wrong_shape", "mod(np.ones((4, 5), np.int32), B, 1)", fragment="shape"),
    call("wrong_ndim", "mod(np.ones(16, np.int32), B, 1)", fragment="shape"),
    call("extra_dimension", "mod(np.ones((1, 4, 4), np.int32), B, 1)"),
    call("transposed_shape_for_vector", "mod(A, np.ones((4, 1), np.float32), 1)"),
    call("none_for_array", "mod(None, B, 1)", fragment="must be a numpy array"),
    call("list_for_array", "mod([[1] * 4] * 4, B, 1)", fragment="np.asarray"),
    call("tuple_for_array", "mod(tuple(range(16)), B, 1)"),
    call("scalar_for_array", "mod(3, B, 1)"),
    call("zero_d_array_for_array", "mod(np.array(3, np.int32), B, 1)"),
    call("string_for_array", 'mod("AAAA", B, 1)'),
    call("non_contiguous", "mod(np.ones((4, 8), np.int32)[:, ::2], B, 1)",
         fragment="np.ascontiguousarray"),
    call("fortran_order", "mod(np.asfortranarray(np.arange(16, dtype=np.int32).reshape(4, 4)), B, 1)"),
    call("none_for_scalar", "mod(A, B, None)"),
    call("float_for_int_scalar", "mod(A, B, 2.5)", fragment="would truncate"),
    call("string_for_scalar", 'mod(A, B, "3")'),
    call("array_for_scalar", "mod(A, B, np.ones(3, np.int32))"),
    call("complex_for_scalar", "mod(A, B, 1 + 2j)"),
    call("complex_array", "mod(A.astype(np.complex64), B, 1)"),
    call("object_array", "mod(np.array([[object()] * 4] * 4), B, 1)"),
    call("string_array", 'mod(np.full((4, 4), "x"), B, 1)'),
    call("structured_array", "mod(np.zeros((4, 4), dtype=[('a', np.int16), ('b', np.int16)]), B, 1)"),
    call("keyword_arguments", "mod(A=A, B=B, n=1)", fragment="positional arguments only"),
    call("mixed_keyword", "mod(A, B, n=1)", fragment="positional arguments only"),
    call("swapped_arguments", "mod(B, A, 1)", fragment="shape"),
    call("read_only_written_array", "mod(ro, B, 1)", setup="""
ro = np.ones((4, 4), np.int32)
ro.setflags(write=False)
""", fragment="read-only"),
    call("nan_for_int_scalar", 'mod(A, B, float("nan"))'),
    call("fixed_nan_input", 'mod(np.full(4, np.nan), 3)', kernel=FIXED),
    call("fixed_wrong_shape", "mod(np.zeros(5), 3)", kernel=FIXED, fragment="shape"),
    call("fixed_scalar_float", "mod(np.zeros(4), 2.5)", kernel=FIXED, fragment="would truncate"),
    call("csim_wrong_count", "hmod(A, B)", setup="""
import tempfile
hmod = s.build(target="vhls", mode="csim", project=tempfile.mkdtemp())
""", fragment="expected 4 arguments"),
    call("csim_wrong_size", "hmod(np.ones(3, np.int32), B, 1, np.zeros((4, 4), np.int32))", setup="""
import tempfile
hmod = s.build(target="vhls", mode="csim", project=tempfile.mkdtemp())
"""),
]


BUILDS = [
    build("unknown_target", 's.build(target="gpu")', fragment="Target gpu is not supported"),
    build("unknown_target_positional", 's.build("cuda")', fragment="not supported"),
    build("target_not_string", "s.build(target=123)"),
    build("target_empty_string", 's.build(target="")'),
    build("unknown_mode_vhls", 's.build(target="vhls", mode="fast", project=tmp)',
          fragment="Invalid mode 'fast' for target 'vivado_hls'", setup=TMP),
    build("unknown_mode_vitis", 's.build(target="vitis_hls", mode="impl", project=tmp)',
          fragment="Invalid mode", setup=TMP),
    build("mode_partly_bogus", 's.build(target="vhls", mode="csim|bogus", project=tmp)',
          fragment="Invalid mode", setup=TMP),
    build("mode_not_string", 's.build(target="vhls", mode=3, project=tmp)',
          setup=TMP),
    build("project_without_mode", 's.build(target="vhls", project=tmp)',
          fragment="mode must be specified when project is specified",
          setup=TMP),
    build("project_is_a_file", 's.build(target="vhls", mode="csim", project=path)', setup="""
import tempfile
path = tempfile.mkstemp()[1]
""",),
    build("project_under_a_file", 's.build(target="vhls", mode="csim", project=path + "/sub")',
          setup="""
import tempfile
path = tempfile.mkstemp()[1]
""",),
    build("project_not_a_path", 's.build(target="vhls", mode="csim", project=42)'),
    build("project_unwritable", 's.build(target="vhls", mode="csim", project="/proc/allo_project")',),
    build("configs_string", 's.build(target="vhls", configs="u280")',),
    build("configs_list", 's.build(target="vhls", configs=[1, 2])',),
    build("configs_unknown_device",
          's.build(target="vhls", mode="csim", project=tmp, configs={"device": "nodevice"})',
          fragment="nodevice", setup=TMP),
    build("configs_bad_frequency",
          's.build(target="vhls", mode="csim", project=tmp, configs={"frequency": "fast"})',
          setup=TMP),
    # a type the target cannot express names the kernel line that wrote it
    Case("bfloat16_for_hls", """
def bf(A: bfloat16[4]) -> bfloat16[4]:  # ERR
    return A

s2 = allo.customize(bf)

def trigger():
    s2.build(target="vhls")
""", BLD, "bfloat16"),
    build("partition_factor_zero_for_hls", 's.build(target="vhls")',
          fragment="partition factor must be >= 1", setup="""
import warnings
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    s.partition(s.C, allo.Partition.Cyclic, dim=1, factor=0)
"""),
]


EXTREMES = [
    kernel_case("huge_shape_build", "B: int32[100000, 100000, 100000] = 0\nA[0] = B[0, 0, 0]",
                expect="ok"),
    # the kernel stops before touching the array; like an out-of-bounds subscript, the error
    # names the kernel line at fault (the declaration), not the mod(...) call
    Case("huge_shape_call", """
        def big(A: int32[4]) -> int32:
            B: int32[100000, 100000, 100000] = 1  # ERR
            return B[0, 0, 0] + A[0]

        mod = allo.customize(big).build()

        def trigger():
            mod(np.zeros(4, np.int32))
        """, "AllocationError", "cannot allocate local array 'B' of big (4000000000000000 bytes)"),
    kernel_case("huge_parameter_shape", "pass", sig="A: int32[1 << 40]", expect="ok"),
    Case("huge_parameter_call", """
        def big(A: int32[1 << 40]) -> int32:
            return A[0]

        mod = allo.customize(big).build()

        def trigger():
            mod(np.zeros(4, np.int32))  # ERR
        """, ARG, "shape"),
    kernel_case("width_65536", "x: Int(65536) = 1\nA[0] = x", expect="ok"),
    kernel_case("width_huge_sum", "x: UInt(4000) = 1\ny = x + x\nA[0] = y", expect="ok"),
    kernel_case("fixed_huge", "x: Fixed(2000, 255) = 1\nA[0] = x", expect="ok"),
    kernel_case("literal_2_pow_200", "x: Int(256) = 2 ** 200\nA[0] = x", expect="ok"),
    kernel_case("shift_by_huge_constant", "A[0] = A[1] << 1000", expect="ok"),
    kernel_case("deep_loop_nest", "\n".join(
        "    " * d + f"for i{d} in range(2):" for d in range(18)) + "\n" + "    " * 18 + "A[0] += 1",
        expect="ok"),
    kernel_case("deep_if_nest", "\n".join(
        "    " * d + f"if A[{d % 4}] > {d}:" for d in range(18)) + "\n" + "    " * 18 + "A[0] = 1",
        expect="ok"),
    kernel_case("deep_expression", "A[0] = " + "(" * 150 + "A[1]" + " + 1)" * 150, expect="ok"),
    kernel_case("very_deep_expression", "A[0] = " + " + ".join(["A[1]"] * 900) + "  # ERR",
                expect="AlloSyntaxError", fragment="too deeply nested"),
    kernel_case("many_statements", "\n".join(f"A[{i % 4}] = A[{(i + 1) % 4}] + {i}"
                                             for i in range(600)), expect="ok"),
    kernel_case("long_identifier", "x" * 5000 + ": int32 = 1\nA[0] = " + "x" * 5000, expect="ok"),
    kernel_case("grid_rank_12", "for " + ", ".join(f"v{d}" for d in range(12)) + " in allo.grid("
                + ", ".join(["2"] * 12) + "):\n    A[0] += 1", expect="ok"),
    kernel_case("zero_trip_loop", "for i in range(5, 3):\n    A[0] = 1", expect="ok"),
    kernel_case("index_beyond_int32", "A[0] = A[1] + 2 ** 40", expect="ok"),
]

CASES = CALLS + BUILDS + EXTREMES
