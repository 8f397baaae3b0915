"""Corpus cases: annotations, types, shapes and templates."""

from __future__ import annotations

from corpus_case import Case
from corpus_syntax import TYP, kernel_case

DTY = "DTypeError"


def signature_case(name: str, sig: str, expect: str = TYP, fragment: str = "",
                   ret: str = "", body: str = "pass", **flags) -> Case:
    """A kernel whose ``def`` line (marked) carries the bad annotation."""
    arrow = f" -> {ret}" if ret else ""
    source = f"""
def k({sig}){arrow}:  # ERR
    {body}

s = allo.customize(k)
"""
    return Case(name, source, expect, fragment, **flags)


ANNOTATIONS = [
    signature_case("missing_param_annotation", "A: int32[4], n", fragment="missing type annotation"),
    signature_case("all_params_unannotated", "A, B", fragment="missing type annotation"),
    signature_case("unknown_type_name", 'A: "Undefined"', fragment="Unsupported type `Undefined`"),
    signature_case("unknown_type_array", 'A: "Undefined[32, 32]"',
                   fragment="Unsupported type `Undefined`"),
    signature_case("annotation_is_number", "A: 5"),
    signature_case("annotation_is_string_garbage", 'A: "int32[4"'),
    signature_case("annotation_string_unknown", 'A: "Nope[4]"', fragment="Nope"),
    signature_case("annotation_is_list", "A: [int32, 4]"),
    signature_case("annotation_numpy_dtype", "A: np.int32"),
    signature_case("annotation_python_str", "A: str"),
    signature_case("return_unknown_type", "A: int32[4]", ret='"Missing[4]"',
                   fragment="Unsupported type `Missing`", body="return A"),
    signature_case("return_annotation_number", "A: int32[4]", ret="3", body="return A"),
    signature_case("shape_zero", "A: int32[0]"),
    signature_case("shape_negative", "A: int32[-4]"),
    signature_case("shape_float", "A: int32[2.5]"),
    signature_case("shape_string", 'A: int32["four"]'),
    signature_case("shape_undefined_name", 'A: "int32[NOPE]"', "FrontendError", "NOPE"),
    signature_case("shape_expression_zero", "A: int32[4 - 4]"),
    signature_case("shape_expression_undefined", 'A: "int32[M + 1]"', "FrontendError", "M"),
    signature_case("shape_none", "A: int32[None]"),
    signature_case("memory_bad_resource", '''A: "int32[4] @ allo.Memory(resource='FLASH')"'''),
    kernel_case("local_unknown_type", "B: Nothing[4] = 0  # ERR", expect=TYP,
                fragment="Unsupported type `Nothing`"),
    kernel_case("local_shape_undefined", "B: int32[Q] = 0  # ERR", expect="FrontendError",
                fragment="Q"),
    kernel_case("local_shape_zero", "B: int32[0] = 0  # ERR", expect=TYP),
    kernel_case("local_shape_runtime", "B: int32[A[0]] = 0  # ERR", expect="FrontendError"),
    kernel_case("local_annotation_call_garbage", "B: Int(\"x\") = 0  # ERR", expect=TYP),
    kernel_case("constexpr_array", "n: ConstExpr[int32[4]] = 3  # ERR", expect=TYP,
                fragment="ConstExpr only supports scalar types"),
]


TYPES = [
    signature_case("int_width_zero", 'A: "Int(0)[4]"'),
    signature_case("int_width_negative", 'A: "Int(-3)[4]"'),
    signature_case("int_width_float", 'A: "Int(2.5)[4]"', fragment="Bitwidth must be an integer"),
    signature_case("uint_width_zero", 'A: "UInt(0)[4]"'),
    signature_case("fixed_frac_above_width", 'A: "Fixed(8, 10)[4]"'),
    signature_case("fixed_negative_frac", 'A: "Fixed(8, -1)[4]"'),
    signature_case("ufixed_frac_above_width", 'A: "UFixed(4, 5)[4]"'),
    signature_case("fixed_frac_too_many", 'A: "Fixed(300, 256)[4]"'),
    signature_case("fixed_float_width", 'A: "Fixed(8.5, 2)[4]"'),
    signature_case("float_bad_pair", 'A: "Float(24, 8)[4]"',
                   fragment="Only support bfloat16, float16, float32 and float64"),
    signature_case("int_string_width", "A: \"Int('8')[4]\""),
    kernel_case("local_fixed_bad", "B: Fixed(4, 6) = 0  # ERR", expect=TYP),
    Case("python_level_int_float_width", """
        T = Int(2.5)  # ERR
        """, DTY, "Bitwidth must be an integer", located=False),
    Case("python_level_fixed_bad", """
        T = Fixed(8, 10)  # ERR
        """, DTY, located=False),
    Case("python_level_float_bad", """
        T = Float(24, 8)  # ERR
        """, DTY, located=False),
    Case("python_level_struct_field", """
        P = Struct({"x": int32})
        t = P.z  # ERR
        """, DTY, "z is not in struct", located=False),
    kernel_case("redeclare_other_type", """
        x: int32 = 1
        x: float32 = 2.0  # ERR
        """, expect=TYP, fragment="Invalid assignment to x, type mismatch"),
    kernel_case("redeclare_other_shape", """
        B: int32[4] = 0
        B: int32[8] = 0  # ERR
        """, expect=TYP),
    kernel_case("float_index_literal", "A[1.5] = 0  # legal: float indices truncate", expect="ok"),
    kernel_case("string_index", 'A["a"] = 0  # ERR', expect=TYP),
    kernel_case("array_as_index", "A[A] = 0  # ERR", expect=TYP),
    kernel_case("too_many_indices", "A[0, 1] = 0  # ERR", expect=TYP),
    kernel_case("negative_constant_index", "A[-1] = 0  # ERR", expect=TYP,
                fragment="Unsupported negative index"),
    kernel_case("constant_index_out_of_range", "A[4] = 0  # ERR", expect=TYP,
                fragment="Index out of range"),
    kernel_case("slice_negative_step", "B = A[3:0:-1]  # ERR", expect=TYP,
                fragment="Unsupported negative step"),
    kernel_case("bitand_float", """
        f: float32 = 1.0
        g = f & 1  # ERR
        """, expect=TYP, fragment="is not defined for types"),
    kernel_case("shift_float", """
        f: float32 = 1.0
        g = f << 1  # ERR
        """, expect=TYP, fragment="is not defined for types"),
    kernel_case("shift_by_float", """
        x: int32 = 1
        g = x << 1.5  # ERR
        """, expect=TYP),
    kernel_case("floordiv_fixed", """
        x: Fixed(8, 3) = 1.0
        g = x // x  # ERR
        """, expect=TYP),
    kernel_case("mod_fixed", """
        x: Fixed(8, 3) = 1.0
        g = x % x  # ERR
        """, expect=TYP),
    kernel_case("invert_float", """
        f: float32 = 1.0
        g = ~f  # ERR
        """, expect=TYP),
    kernel_case("xor_fixed", """
        x: Fixed(8, 3) = 1.0
        g = x ^ x  # ERR
        """, expect=TYP),
    kernel_case("bit_of_float", """
        f: float32 = 1.0
        b = f[0]  # ERR
        """, expect=TYP, fragment="Can only access bit (slice) for integers"),
    kernel_case("bit_of_fixed", """
        x: Fixed(8, 3) = 1.0
        b = x[0]  # ERR
        """, expect=TYP, fragment="Can only access bit (slice) for integers"),
    kernel_case("bit_slice_reversed", """
        x: int32 = 5
        b = x[8:4]  # ERR
        """, expect=TYP, fragment="upper bound must be greater than lower bound"),
    kernel_case("bit_slice_runtime_width", """
        x: int32 = 5
        n: int32 = A[0]
        b = x[0:n]  # ERR
        """, expect=TYP, fragment="cannot infer the width of the bit slice"),
    kernel_case("bit_index_beyond_width", """
        x: int8 = 5
        b = x[9]  # ERR
        """, expect=TYP),
    kernel_case("reverse_float", """
        f: float32 = 1.0
        g = f.reverse()  # ERR
        """, expect=TYP, fragment="Can only reverse integers"),
    kernel_case("bitcast_odd_width", """
        x: Int(24) = 5
        g = x.bitcast()  # ERR
        """, expect=TYP, fragment="Unsupported bitwidth 24"),
    kernel_case("array_comparison", """
        B: int32[4] = 0
        if A > B:  # ERR
            A[0] = 1
        """, expect=TYP),
    kernel_case("array_truthiness", """
        if A:  # ERR
            A[0] = 1
        """, expect=TYP),
    kernel_case("array_to_scalar", """
        x: int32 = A  # ERR
        """, expect=TYP),
    Case("missing_return", """
        def k(A: int32[4]) -> int32:  # ERR
            A[0] = 1

        s = allo.customize(k)
        """, TYP, "Missing return statement"),
    kernel_case("return_without_annotation", "return A[0]  # ERR", expect=TYP,
                fragment="Return value should have a dtype in function signature"),
    kernel_case("bare_return_with_result", "return  # ERR", ret="int32", expect=TYP,
                fragment="Mismatch in function signature"),
    kernel_case("return_none_with_result", "return None  # ERR", ret="int32", expect=TYP,
                fragment="Mismatch in function signature"),
    kernel_case("return_array_for_scalar", "return A  # ERR", ret="int32", expect=TYP),
    kernel_case("return_scalar_count", "return A[0]  # ERR", ret="(int32, int32)", expect=TYP),
    kernel_case("struct_unknown_field", """
        pt: P = {"x": 1}
        A[0] = pt["z"]  # ERR
        """, before='P = Struct({"x": int32})', expect=TYP),
    Case("struct_at_boundary", """
        P = Struct({"x": int32})

        def k(A: P[4]):  # ERR
            pass

        s = allo.customize(k)
        """, TYP),
    kernel_case("stream_outside_dataflow_get", """
        q: Stream[int32, 4]
        A[0] = q.nothing()  # ERR
        """, expect="FrontendError"),
    kernel_case("int_plus_array_of_other_shape", """
        B: int32[8] = 0
        A[0] = B  # ERR
        """, expect=TYP),
    kernel_case("call_scalar_dtype_struct", """
        x: int32 = 1
        y = x.T  # ERR
        """, expect="FrontendError"),
]


SHAPES = [
    kernel_case("copy_shape_mismatch", """
        B: int32[8] = A  # ERR
        """, expect=TYP),
    kernel_case("list_init_shape_mismatch", "B: int32[2, 2] = [[1, 2, 3], [4, 5, 6]]  # ERR",
                expect=TYP, fragment="Shape mismatch, got (2, 3) and (2, 2)"),
    kernel_case("list_init_ragged", "B: int32[2, 2] = [[1, 2], [3]]  # ERR", expect=TYP,
                fragment="ragged nested list"),
    kernel_case("numpy_init_shape_mismatch", "B: int32[4] = W  # ERR", expect=TYP,
                before="W = np.arange(6, dtype=np.int32)", fragment="`W` shape mismatch"),
    kernel_case("broadcast_failure", "C = A + B  # ERR", sig="A: int32[4, 3], B: int32[2]",
                expect=TYP, fragment="cannot be broadcasted"),
    kernel_case("assign_broadcast_failure", """
        B: int32[3] = 0
        B[0:3] = A  # ERR
        """, sig="A: int32[4, 3]", expect=TYP),
    kernel_case("assign_whole_array_wrong_shape", """
        B: int32[3]
        B = A  # ERR
        """, sig="A: int32[4, 3]", expect=TYP, fragment="Cannot broadcast (4, 3) to (3,)"),
    kernel_case("call_arg_shape_mismatch", "helper(A)  # ERR", sig="A: int32[4]",
                before="""
        def helper(X: int32[8]):
            X[0] = 1
        """, expect=TYP, fragment="Argument 0 of helper shape mismatch"),
    kernel_case("call_arg_dtype_mismatch", "helper(A)  # ERR", sig="A: float32[4]",
                before="""
        def helper(X: int32[4]):
            X[0] = 1
        """, expect=TYP, fragment="dtype mismatch"),
    kernel_case("call_arg_count", "helper(A)  # ERR", sig="A: int32[4]",
                before="""
        def helper(X: int32[4], Y: int32[4]):
            X[0] = Y[0]
        """, expect="FrontendError"),
    kernel_case("call_scalar_for_array", "helper(A[0])  # ERR", sig="A: int32[4]",
                before="""
        def helper(X: int32[4]):
            X[0] = 1
        """, expect=TYP),
    kernel_case("call_array_for_scalar", "helper(A)  # ERR", sig="A: int32[4]",
                before="""
        def helper(x: int32):
            pass
        """, expect=TYP),
    kernel_case("matmul_inner_mismatch", "C = allo.matmul(A, B)  # ERR",
                sig="A: int32[4, 3], B: int32[4, 3]", expect=TYP,
                fragment="The last dimension of the first input"),
    kernel_case("bmm_two_d", "C = allo.bmm(A, B)  # ERR", sig="A: int32[4, 3], B: int32[3, 4]",
                expect=TYP, fragment="Only support batch matrix multiplication of two 3D inputs"),
    kernel_case("linear_weight_rank", "C = allo.linear(A, W)  # ERR",
                sig="A: float32[4, 3], W: float32[3]", expect=TYP),
    kernel_case("linear_k_mismatch", "C = allo.linear(A, W)  # ERR",
                sig="A: float32[4, 3], W: float32[5, 4]", expect=TYP),
    kernel_case("transpose_bad_permutation", "C = allo.transpose(A, (0, 0))  # ERR",
                sig="A: int32[4, 3]", expect=TYP),
    kernel_case("view_count_mismatch", "C = allo.view(A, (7, 8))  # ERR", sig="A: int32[12, 5]",
                expect=TYP, fragment="cannot view (12, 5) as (7, 8)"),
    kernel_case("concat_rank_mismatch", "C = allo.concat(A, B)  # ERR",
                sig="A: int32[4, 3], B: int32[3]", expect=TYP,
                fragment="Concatenation requires the same number of dimensions"),
    kernel_case("concat_axis_mismatch", "C = allo.concat(A, B, axis=0)  # ERR",
                sig="A: int32[4, 3], B: int32[4, 2]", expect=TYP),
    kernel_case("conv2d_channel_mismatch", "C = allo.conv2d(X, Wt)  # ERR",
                sig="X: float32[1, 3, 8, 8], Wt: float32[2, 4, 3, 3]", expect=TYP),
    kernel_case("maxpool_window_rank", "C = allo.maxpool(X, win)  # ERR",
                sig="X: float32[1, 3, 8, 8], win: float32[2]", expect=TYP),
    kernel_case("softmax_integer", "C = allo.softmax(A)  # ERR", sig="A: int32[4, 4]",
                expect=TYP),
    kernel_case("tril_three_d", "C = allo.tril(A)  # ERR", sig="A: float32[2, 4, 4]",
                expect=TYP),
    kernel_case("return_shape_mismatch", "return A  # ERR", sig="A: int32[4]", ret="int32[8]",
                expect=TYP, fragment="return shape mismatch"),
    kernel_case("return_rank_mismatch", "return A  # ERR", sig="A: int32[4, 2]", ret="int32[8]",
                expect=TYP, fragment="return shape mismatch"),
    kernel_case("array_add_rank3_mismatch", "C = A * B  # ERR",
                sig="A: int32[2, 3, 4], B: int32[3, 3]", expect=TYP),
    kernel_case("slice_store_wrong_length", "A[0:2] = B  # ERR", sig="A: int32[4], B: int32[3]",
                expect=TYP),
    kernel_case("partial_index_assign_scalar_shape", "A[0] = B  # ERR",
                sig="A: int32[4, 4], B: int32[3]", expect=TYP),
]


TEMPLATES = [
    Case("template_missing_instantiate", """
        def k[T, N](A: "T[N]"):
            pass

        s = allo.customize(k)  # ERR
        """, TYP, "type parameters mismatch"),
    Case("template_too_few_args", """
        def k[T, N](A: "T[N]"):
            pass

        s = allo.customize(k, instantiate=[int32])  # ERR
        """, TYP, "type parameters mismatch"),
    Case("template_too_many_args", """
        def k[T, N](A: "T[N]"):
            pass

        s = allo.customize(k, instantiate=[int32, 4, 5])  # ERR
        """, TYP, "type parameters mismatch"),
    Case("template_bound_violation", """
        def k[T: Int, N](A: "T[N]"):  # ERR
            pass

        s = allo.customize(k, instantiate=[float32, 4])
        """, TYP, "Cannot resolve type T with f32"),
    Case("template_int_bound_float", """
        def k[T, N: int32](A: "T[N]"):  # ERR
            pass

        s = allo.customize(k, instantiate=[int32, 2.5])
        """, TYP, "Cannot resolve type"),
    Case("template_shape_arg_is_type", """
        def k[T, N](A: "T[N]"):  # ERR
            pass

        s = allo.customize(k, instantiate=[int32, int32])
        """, TYP),
    Case("template_type_arg_is_int", """
        def k[T, N](A: "T[N]"):  # ERR
            pass

        s = allo.customize(k, instantiate=[7, 4])
        """, TYP),
    Case("template_called_without_args", """
        def filled[T, N](v: "T") -> "T[N]":
            Y: T[N] = v
            return Y

        def top(A: int32[4]) -> int32[4]:
            return filled(A[0])  # ERR

        s = allo.customize(top)
        """, TYP, "called without type arguments: cannot infer N"),
    Case("template_called_too_few", """
        def inc[T, N](A: "T[N]"):
            A[0] = A[0] + 1

        def top(A: int32[4]):
            inc[int32](A)  # ERR

        s = allo.customize(top)
        """, TYP, "type parameters mismatch"),
    Case("template_called_too_many", """
        def inc[T](A: "T[4]"):
            A[0] = A[0] + 1

        def top(A: int32[4]):
            inc[int32, 4, 5](A)  # ERR

        s = allo.customize(top)
        """, TYP),
    Case("template_call_shape_mismatch", """
        def inc[T, N](A: "T[N]"):
            A[0] = A[0] + 1

        def top(A: int32[4]):
            inc[int32, 8](A)  # ERR

        s = allo.customize(top)
        """, TYP, "shape mismatch"),
    Case("template_call_undefined_arg", """
        def inc[T](A: "T[4]"):
            A[0] = A[0] + 1

        def top(A: int32[4]):
            inc[Unknown](A)  # ERR

        s = allo.customize(top)
        """, "FrontendError"),
    Case("template_non_generic_subscripted", """
        def inc(A: int32[4]):
            A[0] = A[0] + 1

        def top(A: int32[4]):
            inc[int32](A)  # ERR

        s = allo.customize(top)
        """, "FrontendError"),
    Case("template_instantiate_non_generic", """
        def k(A: int32[4]):
            A[0] = 1

        s = allo.customize(k, instantiate=[int32])
        """, "ok"),
    Case("template_instantiate_not_list", """
        def k[T](A: "T[4]"):
            pass

        s = allo.customize(k, instantiate=int32)  # a single type stands for [int32]
        """, "ok", timeout=3),
]

CASES = ANNOTATIONS + TYPES + SHAPES + TEMPLATES
