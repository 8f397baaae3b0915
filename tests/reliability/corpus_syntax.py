"""Corpus cases: unsupported Python constructs and name errors in kernel bodies."""

from __future__ import annotations

import textwrap

from corpus_case import Case

SYN = "AlloSyntaxError"
TYP = "AlloTypeError"


def kernel_case(name: str, body: str, expect: str = SYN, fragment: str = "",
                sig: str = "A: int32[4]", ret: str = "", before: str = "", after: str = "",
                **flags) -> Case:
    """A case whose kernel ``k(sig) -> ret`` has ``body``; ``customize`` must raise."""
    arrow = f" -> {ret}" if ret else ""
    source = (textwrap.dedent(before) + f"\ndef k({sig}){arrow}:\n"
              + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
              + "\n\n" + textwrap.dedent(after) + "\ns = allo.customize(k)\n")
    return Case(name, source, expect, fragment, **flags)


UNSUPPORTED = [
    kernel_case("lambda_local", "f = lambda x: x  # ERR", fragment='Unsupported node "Lambda"'),
    kernel_case("lambda_in_expr", "A[0] = (lambda x: x)(1)  # ERR", fragment="Lambda"),
    kernel_case("try_except", """
        try:  # ERR
            A[0] = 1
        except Exception:
            pass
        """, fragment="Try"),
    kernel_case("try_finally", """
        try:  # ERR
            A[0] = 1
        finally:
            A[1] = 2
        """, fragment="Try"),
    kernel_case("raise", "raise ValueError('x')  # ERR", fragment="Raise"),
    kernel_case("assert", "assert A[0] > 0  # ERR", fragment="Assert"),
    kernel_case("import_inside", "import math  # ERR", fragment="Import"),
    kernel_case("from_import_inside", "from math import exp  # ERR", fragment="ImportFrom"),
    kernel_case("global_stmt", "global G  # ERR", fragment="Global", before="G = 1"),
    kernel_case("nonlocal_stmt", """
        def inner(B: int32[4]):
            nonlocal A  # ERR
            B[0] = 1
        """, fragment="Nonlocal"),
    kernel_case("del_stmt", """
        x: int32 = 1
        del x  # ERR
        """, fragment="Delete"),
    kernel_case("yield_generator", "yield A[0]  # ERR"),
    kernel_case("yield_from", "yield from range(4)  # ERR"),
    kernel_case("class_def", """
        class Foo:  # ERR
            pass
        """, fragment="ClassDef"),
    kernel_case("with_open", """
        with open("x"):  # ERR
            A[0] = 1
        """, fragment="Unsupported meta function"),
    kernel_case("with_unknown_meta", """
        with allo.meta_maybe(True):  # ERR
            A[0] = 1
        """),
    kernel_case("break_stmt", """
        for i in range(4):
            break  # ERR
        """, fragment='"Break"'),
    kernel_case("continue_stmt", """
        for i in range(4):
            continue  # ERR
        """, fragment='"Continue"'),
    kernel_case("list_comprehension", "B = [x for x in range(4)]  # ERR", fragment="ListComp"),
    kernel_case("set_comprehension", "B = {x for x in range(4)}  # ERR"),
    kernel_case("dict_comprehension", "B = {x: x for x in range(4)}  # ERR"),
    kernel_case("generator_expression", "A[0] = sum(x for x in range(4))  # ERR"),
    kernel_case("walrus", """
        if (n := A[0]) > 0:  # ERR
            A[1] = n
        """, fragment="NamedExpr"),
    kernel_case("fstring", 'x = f"{A[0]}"  # ERR'),
    kernel_case("match_stmt", """
        match A[0]:  # ERR
            case 1:
                A[1] = 1
        """, fragment="Match"),
    kernel_case("is_operator", """
        if A[0] is A[1]:  # ERR
            A[2] = 0
        """),
    kernel_case("in_operator", """
        if A[0] in A:  # ERR
            A[2] = 0
        """),
    kernel_case("print_call", "print(A[0])  # ERR", fragment="Unsupported function call"),
    kernel_case("math_exp_call", "A[0] = math.exp(A[1])  # ERR", before="import math",
                fragment="Unsupported function call"),
    kernel_case("np_sum_call", "A[0] = np.sum(A)  # ERR", fragment="Unsupported function call"),
    kernel_case("len_call", "n = len(A)  # ERR", fragment="Unsupported function call"),
    kernel_case("unknown_allo_function", "B = allo.matmul_error(A, A)  # ERR",
                fragment="matmul_error"),
    kernel_case("chained_comparison", """
        if 0 < A[0] < 3:  # ERR
            A[1] = 0
        """, fragment="chained comparisons are not supported"),
    kernel_case("matmul_operator", "C = A @ A  # ERR", sig="A: int32[4, 4]", fragment="matmul"),
    kernel_case("chained_assignment", "x = y = 0  # ERR", fragment="chained assignment"),
    kernel_case("for_else", """
        for i in range(4):  # ERR
            A[i] = 0
        else:
            A[0] = 1
        """, fragment="'else' clause for 'for'"),
    kernel_case("while_else", """
        n: index = 0
        while n < 4:  # ERR
            n += 1
        else:
            A[0] = 1
        """, fragment="'else' clause for 'while'"),
    kernel_case("for_over_list", """
        for v in [1, 2, 3]:  # ERR
            A[0] = v
        """, fragment="Unsupported for loop"),
    kernel_case("for_over_array", """
        for v in A:  # ERR
            A[0] = v
        """, fragment="Unsupported for loop"),
    kernel_case("for_over_enumerate", """
        for i, v in enumerate(A):  # ERR
            A[i] = v
        """, fragment="Unsupported for loop"),
    kernel_case("for_over_zip", """
        for a, b in zip(A, A):  # ERR
            A[0] = a
        """, fragment="Unsupported for loop"),
    kernel_case("return_in_loop", """
        for i in range(4):
            return A[i]  # ERR
        return A[0]
        """, ret="int32", fragment="return inside a loop"),
    kernel_case("return_in_runtime_if", """
        if A[0] > 0:
            return A[1]  # ERR
        return A[0]
        """, ret="int32", fragment="return inside a loop or a run-time 'if'"),
    kernel_case("bare_expression_load", "A[0]  # ERR", fragment="Unsupported expression"),
    kernel_case("bare_expression_arith", "A[0] + 1  # ERR", fragment="Unsupported expression"),
    kernel_case("starred_call_arg", """
        def h(X: int32[4]):
            X[0] = 1
        h(*[A])  # ERR
        """),
    kernel_case("keyword_call_arg", """
        def h(X: int32[4]):
            X[0] = 1
        h(X=A)  # ERR
        """),
    kernel_case("recursion", "k(A)  # ERR", fragment="recursive call to 'k'"),
    kernel_case("slice_assign_step_zero", "A[0:4:0] = 1  # ERR", expect=TYP,
                fragment="Unsupported negative step"),
    kernel_case("negative_step_range", """
        for i in range(3, 0, -1):  # ERR
            A[i] = 0
        """, fragment="Step in for loop range should be positive"),
    kernel_case("zero_step_range", """
        for i in range(0, 4, 0):  # ERR
            A[i] = 0
        """, fragment="Step in for loop range should be positive"),
    kernel_case("grid_target_count", """
        for i, j in allo.grid(4, 4, 4):  # ERR
            A[i] = j
        """, fragment="grid expects 3 loop variables"),
    kernel_case("grid_single_target_for_two", """
        for i in allo.grid(4, 4):  # ERR
            A[i] = 0
        """, fragment="grid expects"),
    kernel_case("range_four_args", """
        for i in range(0, 4, 1, 2):  # ERR
            A[i] = 0
        """),
    kernel_case("unmatched_meta_else", """
        with allo.meta_else():  # ERR
            A[0] = 1
        """, fragment="Unmatched allo.meta_else()"),
    kernel_case("unmatched_meta_elif", """
        with allo.meta_elif(True):  # ERR
            A[0] = 1
        """, fragment="Unmatched allo.meta_elif()"),
    kernel_case("runtime_meta_if", """
        with allo.meta_if(A[0] > 0):  # ERR
            A[1] = 1
        """, fragment="must be a compile-time constant"),
    kernel_case("constexpr_uninitialised", "n: ConstExpr[int32]  # ERR",
                fragment="must be initialized"),
    kernel_case("constexpr_reassigned", """
        n: ConstExpr[int32] = 4
        n = 5  # ERR
        """, fragment="cannot assign to ConstExpr variable 'n'"),
    kernel_case("constexpr_runtime_value", "n: ConstExpr[int32] = A[0]  # ERR",
                fragment="Failed to evaluate ConstExpr 'n'"),
    kernel_case("assign_loop_variable", """
        for i in range(4):
            i = 2  # ERR
        """, fragment="cannot assign to loop variable 'i'"),
    Case("async_def_kernel", """
        async def k(A: int32[4]):  # ERR
            A[0] = 1

        s = allo.customize(k)
        """, SYN, fragment="async"),
    Case("async_for_in_kernel", """
        async def k(A: int32[4]):  # ERR
            async for i in A:
                A[0] = 1

        s = allo.customize(k)
        """, SYN),
    Case("generator_kernel", """
        def k(A: int32[4]):
            for i in range(4):
                yield A[i]  # ERR

        s = allo.customize(k)
        """, SYN),
    Case("customize_lambda", """
        s = allo.customize(lambda A: A)  # ERR
        """, SYN, "Lambda"),
    Case("customize_builtin", """
        s = allo.customize(print)  # ERR
        """, SYN, "customize expects a kernel function"),
    Case("customize_class", """
        class Kernel:
            pass
        s = allo.customize(Kernel)  # ERR
        """, SYN, "customize expects a kernel function"),
    Case("customize_string_not_code", """
        s = allo.customize("this is not python")  # ERR
        """, SYN, "holds no function definition"),
    Case("customize_string_syntax_error", """
        s = allo.customize("def k(A: int32[4]:\\n    A[0] = 1\\n")  # ERR
        """, SYN, "the kernel source string is not valid Python"),
    Case("default_parameter", """
        def k(A: int32[4], n: int32 = 3):  # ERR
            A[0] = n

        s = allo.customize(k)
        """, SYN),
    Case("star_args_parameter", """
        def k(A: int32[4], *rest):  # ERR
            A[0] = 1

        s = allo.customize(k)
        """, SYN),
    Case("kwargs_parameter", """
        def k(A: int32[4], **options):  # ERR
            A[0] = 1

        s = allo.customize(k)
        """, SYN),
    Case("keyword_only_parameter", """
        def k(A: int32[4], *, n: int32):  # ERR
            A[0] = n

        s = allo.customize(k)
        """, SYN),
    kernel_case("global_string_used", "A[0] = LABEL  # ERR", before='LABEL = "abc"',
                fragment="Unsupported global variable"),
    kernel_case("global_dict_used", "A[0] = TABLE  # ERR", before="TABLE = {1: 2}",
                fragment="Unsupported global variable"),
    kernel_case("global_list_in_expression", "A[0] = VALUES + 1  # ERR",
                before="VALUES = [1, 2]", expect=TYP, fragment="is not defined for"),
    kernel_case("tuple_unpack_count", "a, b = A[0], A[1], A[2]  # ERR"),
    kernel_case("ellipsis_statement", "x = ...  # ERR"),
    kernel_case("string_arithmetic", 'A[0] = "a" + "b"  # ERR', expect=TYP),
    kernel_case("none_assignment", "A[0] = None  # ERR"),
    kernel_case("nested_capture_runtime", """
        B: int32[4] = 0
        def inner(X: int32[4]):
            X[0] = B[0]  # ERR
        inner(A)
        """, fragment="cannot capture run-time variable 'B'"),
]


NAMES = [
    kernel_case("undefined_variable", "A[0] = undefined_thing + 1  # ERR", fragment="is not defined"),
    kernel_case("undefined_function", "A[0] = helper_missing(A[1])  # ERR"),
    kernel_case("undefined_allo_builtin", "B = allo.nonexistent(A)  # ERR"),
    kernel_case("undefined_loop_bound", """
        for i in range(N_UNDEFINED):  # ERR
            A[i] = 0
        """, fragment="N_UNDEFINED"),
    kernel_case("undefined_index_name", "A[j] = 0  # ERR", fragment="is not defined"),
    kernel_case("use_after_loop_scope", """
        for i in range(4):
            tmp: int32 = A[i]
        A[0] = tmp  # ERR
        """, fragment="name 'tmp' is not defined"),
    kernel_case("use_after_if_scope", """
        if A[0] > 0:
            tmp: int32 = 1
        A[0] = tmp  # ERR
        """, fragment="not defined"),
    kernel_case("loop_var_after_loop", """
        for i in range(4):
            A[i] = 0
        A[0] = i  # ERR
        """, fragment="not defined"),
    kernel_case("loop_var_shadows_param", """
        for A in range(4):  # ERR
            pass
        """, fragment="Please choose a different name for the loop iterator"),
    kernel_case("loop_var_shadows_outer", """
        for i in range(4):
            for i in range(2):  # ERR
                A[i] = 0
        """, fragment="Please choose a different name"),
    kernel_case("loop_var_shadows_local", """
        x: int32 = 0
        for x in range(4):  # ERR
            A[x] = 0
        """, fragment="Please choose a different name"),
    kernel_case("nested_arg_conflict", """
        def inner(A: int32[4]):  # ERR
            A[0] = 1
        """, fragment="Argument name 'A' conflicts with an existing symbol"),
    kernel_case("nested_name_conflict", """
        def A(X: int32[4]):  # ERR
            X[0] = 1
        """, fragment="Function name 'A' conflicts with an existing symbol"),
    kernel_case("call_before_nested_def", """
        inner(A)  # ERR
        def inner(X: int32[4]):
            X[0] = 1
        """),
    kernel_case("undefined_attribute_on_array", "A[0] = A.nothing  # ERR"),
    kernel_case("undefined_method_on_scalar", """
        x: int32 = 1
        A[0] = x.frobnicate()  # ERR
        """),
    kernel_case("call_non_kernel_object", "A[0] = OBJ(1)  # ERR", before="OBJ = object()"),
    kernel_case("call_numpy_array", "A[0] = W(1)  # ERR", before="W = np.arange(4)"),
    kernel_case("subscript_of_scalar_local", """
        x: float32 = 1.0
        A[0] = x[0]  # ERR
        """, expect=TYP, fragment="Can only access bit"),
    kernel_case("undefined_in_nested_kernel", """
        def inner(X: int32[4]):
            X[0] = not_here  # ERR
        inner(A)
        """, fragment="not_here"),
    kernel_case("undefined_in_callee", "helper_with_bug(A)",
                before="""
        def helper_with_bug(X: int32[4]):
            X[0] = missing_name  # ERR
        """, fragment="missing_name"),
    kernel_case("unsupported_global_module", "A[0] = np  # ERR",
                fragment="Unsupported global variable"),
    Case("stateful_parameter", """
        def k(A: int32[4], p: int32 @ Stateful):  # ERR
            A[0] = p

        s = allo.customize(k)
        """, "FrontendError", "cannot be Stateful"),
    kernel_case("stateful_runtime_init", "total: int32 @ Stateful = A[0]  # ERR",
                fragment="must be initialized with a compile-time constant"),
]

CASES = UNSUPPORTED + NAMES
