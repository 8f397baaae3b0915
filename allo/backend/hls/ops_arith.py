"""Scalar ops: ``arith``, ``math`` and the ``allo.*`` bit/fixed-point ops (docs/ir.md).

Each handler prints one C++ statement per IR op (plus reinterpretation temporaries when an
operand's C++ type reads its bits differently from what the op needs), so that C simulation
reproduces the IR bit for bit (``backends.md`` §5, B5).
"""

from __future__ import annotations

from ...errors import BuildError
from .constants import attr_scalar, scalar_literal
from .cpp_types import CType, ap_int_spelling, int_spelling
from .function import handles, int_attr, str_attr
from .values import Scalar

# --------------------------------------------------------------------------- constants


@handles("arith.constant")
def emit_constant(fe, op):
    ct = fe.result_ctype(op)
    value = attr_scalar(op.operation.attributes["value"])
    sc = fe.define(op.result, scalar_literal(value, ct), op, ct)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        fe.nonneg.add(sc.expr)


# --------------------------------------------------------------------------- integer ops

_INT_BINARY = {
    "arith.addi": ("+", None, "same"),
    "arith.subi": ("-", None, "same"),
    "arith.muli": ("*", None, "mul"),
    "arith.divsi": ("/", True, "int"),
    "arith.divui": ("/", False, "int"),
    "arith.remsi": ("%", True, "int"),
    "arith.remui": ("%", False, "int"),
    "arith.andi": ("&", None, "int"),
    "arith.ori": ("|", None, "int"),
    "arith.xori": ("^", None, "int"),
}


def _natural(rule: str, ca: CType, cb: CType, cr: CType) -> bool:
    """Whether the values' fixed-point reading gives the IR's raw-bit result directly."""
    if rule == "same":
        return ca.frac == cb.frac == cr.frac
    if rule == "mul":
        return ca.frac + cb.frac == cr.frac
    return ca.frac == cb.frac == cr.frac == 0


def _define_int(fe, op, expr: str, natural: bool):
    ct = fe.result_ctype(op)
    if ct.kind == "bool" and not natural:
        expr = f"({expr}) & 1"
    if natural:
        return fe.define(op.result, expr, op, ct)
    return fe.define(op.result, expr, op, ct, expr_frac=0)


@handles(*_INT_BINARY)
def emit_int_binary(fe, op):
    sym, signed, rule = _INT_BINARY[op.operation.name]
    a, b = op.operation.operands
    ca, cb = fe.scalar(a).ctype, fe.scalar(b).ctype
    cr = fe.result_ctype(op)
    natural = _natural(rule, ca, cb, cr) and cr.kind != "bool"
    # + - * & | ^ give the same low bits whatever the operands' signedness: keep their own
    sa = ca.signed if signed is None else signed
    sb = cb.signed if signed is None else signed
    if natural:
        ea, eb = fe.view(a, sa, ca.frac), fe.view(b, sb, cb.frac)
    else:
        ea, eb = fe.view(a, sa, 0), fe.view(b, sb, 0)
    if cr.kind == "bool" and sym in "&|^":
        return fe.define(op.result, f"{ea} {sym} {eb}", op, cr)
    _define_int(fe, op, f"{ea} {sym} {eb}", natural)


@handles("arith.floordivsi", "arith.ceildivsi", "arith.ceildivui")
def emit_rounding_div(fe, op):
    a, b = op.operation.operands
    name = op.operation.name
    signed = name != "arith.ceildivui"
    ea, eb = fe.view(a, signed, 0), fe.view(b, signed, 0)
    rem = f"(({ea} % {eb}) != 0)"
    if name == "arith.floordivsi":
        fix = f"(({rem} && (({ea} < 0) != ({eb} < 0))) ? 1 : 0)"
        expr = f"({ea} / {eb}) - {fix}"
    elif name == "arith.ceildivsi":
        fix = f"(({rem} && (({ea} < 0) == ({eb} < 0))) ? 1 : 0)"
        expr = f"({ea} / {eb}) + {fix}"
    else:
        expr = f"({ea} / {eb}) + ({rem} ? 1 : 0)"
    _define_int(fe, op, expr, False)


@handles("arith.shli", "arith.shrsi", "arith.shrui")
def emit_shift(fe, op):
    a, b = op.operation.operands
    name = op.operation.name
    ca = fe.scalar(a).ctype
    width = ca.width
    signed = {"arith.shli": ca.signed, "arith.shrsi": True, "arith.shrui": False}[name]
    ea = fe.view(a, signed, 0)
    eb = fe.view(b, False, 0)
    raw_t = int_spelling(width, signed) if width > 1 else "bool"
    if name == "arith.shli":
        expr = f"({eb} < {width}) ? {raw_t}({ea} << {eb}) : {raw_t}(0)"
    elif name == "arith.shrsi":
        expr = f"({eb} < {width}) ? {raw_t}({ea} >> {eb}) : {raw_t}({ea} >> {width - 1})"
    else:
        expr = f"({eb} < {width}) ? {raw_t}({ea} >> {eb}) : {raw_t}(0)"
    _define_int(fe, op, expr, False)


_CMPI = {0: ("==", None), 1: ("!=", None), 2: ("<", True), 3: ("<=", True), 4: (">", True),
         5: (">=", True), 6: ("<", False), 7: ("<=", False), 8: (">", False), 9: (">=", False)}


@handles("arith.cmpi")
def emit_cmpi(fe, op):
    sym, signed = _CMPI[int_attr(op, "predicate")]
    a, b = op.operation.operands
    ca, cb = fe.scalar(a).ctype, fe.scalar(b).ctype
    if signed is None:
        signed = ca.signed
    frac = ca.frac if ca.frac == cb.frac else 0
    ea, eb = fe.view(a, signed, frac), fe.view(b, signed, frac)
    fe.define(op.result, f"{ea} {sym} {eb}", op, CType("bool", 1, False, 0, "ui1"))


@handles("arith.maxsi", "arith.maxui", "arith.minsi", "arith.minui")
def emit_int_minmax(fe, op):
    name = op.operation.name
    fn = "max" if "max" in name else "min"
    signed = name.endswith("si")
    a, b = op.operation.operands
    cr = fe.result_ctype(op)
    ea, eb = fe.view(a, signed, cr.frac), fe.view(b, signed, cr.frac)
    view_ct = cr.with_view(signed, cr.frac) if cr.kind != "index" else cr
    if view_ct.spelling != cr.spelling:
        return fe.define(op.result, f"{view_ct.spelling}({fn}({ea}, {eb}))", op, cr)
    fe.define(op.result, f"{fn}({ea}, {eb})", op, cr)


@handles("arith.select")
def emit_select(fe, op):
    c, a, b = op.operation.operands
    cr = fe.result_ctype(op)
    cond = fe.expr(c)
    if cr.is_integer_like:
        ea, eb = fe.view(a, cr.signed, cr.frac), fe.view(b, cr.signed, cr.frac)
    else:
        ea, eb = fe.expr(a), fe.expr(b)
    fe.define(op.result, f"{cond} ? {ea} : {eb}", op, cr)


@handles("arith.extsi", "arith.extui", "arith.trunci", "arith.index_cast",
         "arith.index_castui")
def emit_int_cast(fe, op):
    (a,) = op.operation.operands
    name = op.operation.name
    src = fe.scalar(a).ctype
    cr = fe.result_ctype(op)
    signed = {"arith.extsi": True, "arith.extui": False, "arith.index_cast": True,
              "arith.index_castui": False}.get(
        name, src.signed)
    if cr.kind == "bool" and src.width > 1:
        expr = f"({fe.view(a, src.signed, 0)} & 1)"
        return fe.define(op.result, expr, op, cr)
    if src.frac == cr.frac:
        return fe.define(op.result, fe.view(a, signed, src.frac), op, cr)
    fe.define(op.result, fe.view(a, signed, 0), op, cr, expr_frac=0)


@handles("arith.sitofp", "arith.uitofp")
def emit_int_to_float(fe, op):
    (a,) = op.operation.operands
    signed = op.operation.name == "arith.sitofp"
    src = fe.scalar(a).ctype
    expr = fe.view(a, signed, 0)
    if src.width > 64:
        expr = f"{ap_int_spelling(src.width, signed)}({expr}).to_double()"
    fe.define(op.result, expr, op)


@handles("arith.fptosi", "arith.fptoui")
def emit_float_to_int(fe, op):
    (a,) = op.operation.operands
    cr = fe.result_ctype(op)
    target = cr.with_view(op.operation.name == "arith.fptosi", 0)
    src = fe.scalar(a).ctype
    expr = fe.expr(a)
    if src.name == "f16":
        expr = f"(float){expr}"
    if target.spelling != cr.spelling:
        expr = f"{target.spelling}({expr})"
    fe.define(op.result, expr, op, cr)


@handles("arith.extf", "arith.truncf")
def emit_float_cast(fe, op):
    (a,) = op.operation.operands
    fe.define(op.result, fe.expr(a), op)


@handles("arith.bitcast")
def emit_bitcast(fe, op):
    (a,) = op.operation.operands
    src = fe.scalar(a).ctype
    cr = fe.result_ctype(op)
    if src.is_integer_like and cr.is_integer_like:
        return emit_raw_reinterpret(fe, op, a, cr)
    name = fe.new_name(op)
    conv = fe.scope.temp(f"_converter_{fe.expr(a)}_to_{name}")
    from_t = src.spelling if not src.is_integer_like else int_spelling(src.width, src.signed)
    to_t = cr.spelling if not cr.is_integer_like else int_spelling(cr.width, cr.signed)
    from_e = fe.expr(a) if not src.is_integer_like else fe.view(a, src.signed, 0)
    fe.line(f"{cr.spelling} {name};", op)
    fe.line(f"union {{ {from_t} from; {to_t} to;}} {conv};")
    fe.line(f"{conv}.from = {from_e};")
    fe.line(f"{name} = {conv}.to;")
    fe.bind(op.result, Scalar(name, cr))


def emit_raw_reinterpret(fe, op, value, cr: CType):
    """Same bits, another integer/fixed reading."""
    src = fe.scalar(value).ctype
    if src.frac == cr.frac:
        return fe.define(op.result, fe.view(value, cr.signed, cr.frac), op, cr)
    return fe.define(op.result, fe.view(value, cr.signed, 0), op, cr, expr_frac=0)


# --------------------------------------------------------------------------- float ops

_FLOAT_BINARY = {"arith.addf": "+", "arith.subf": "-", "arith.mulf": "*", "arith.divf": "/"}


@handles(*_FLOAT_BINARY)
def emit_float_binary(fe, op):
    a, b = op.operation.operands
    fe.define(op.result, f"{fe.expr(a)} {_FLOAT_BINARY[op.operation.name]} {fe.expr(b)}", op)


@handles("arith.remf")
def emit_remf(fe, op):
    a, b = op.operation.operands
    fe.define(op.result, f"fmod({fe.expr(a)}, {fe.expr(b)})", op)


@handles("arith.negf")
def emit_negf(fe, op):
    (a,) = op.operation.operands
    fe.define(op.result, f"-{fe.expr(a)}", op)


@handles("arith.maximumf", "arith.maxnumf", "arith.minimumf", "arith.minnumf")
def emit_float_minmax(fe, op):
    a, b = op.operation.operands
    fn = "max" if "max" in op.operation.name else "min"
    fe.define(op.result, f"{fn}({fe.expr(a)}, {fe.expr(b)})", op)


_CMPF = {
    1: "{a} == {b}", 2: "{a} > {b}", 3: "{a} >= {b}", 4: "{a} < {b}", 5: "{a} <= {b}",
    6: "({a} < {b}) || ({a} > {b})", 7: "({a} == {a}) && ({b} == {b})",
    8: "!(({a} < {b}) || ({a} > {b}))", 9: "!({a} <= {b})", 10: "!({a} < {b})",
    11: "!({a} >= {b})", 12: "!({a} > {b})", 13: "{a} != {b}",
    14: "({a} != {a}) || ({b} != {b})", 0: "0", 15: "1",
}


@handles("arith.cmpf")
def emit_cmpf(fe, op):
    a, b = op.operation.operands
    text = _CMPF[int_attr(op, "predicate")].format(a=fe.expr(a), b=fe.expr(b))
    fe.define(op.result, text, op, CType("bool", 1, False, 0, "ui1"))


# --------------------------------------------------------------------------- math

_MATH_UNARY = {
    "math.exp": "hls::exp", "math.exp2": "hls::exp2", "math.log": "hls::log",
    "math.log2": "hls::log2", "math.log10": "hls::log10", "math.sqrt": "hls::sqrt",
    "math.sin": "hls::sin", "math.cos": "hls::cos", "math.tan": "hls::tan",
    "math.tanh": "hls::tanh", "math.absf": "hls::abs", "math.absi": "hls::abs",
    "math.ceil": "hls::ceil", "math.floor": "hls::floor", "math.round": "hls::round",
    "math.roundeven": "hls::rint", "math.trunc": "hls::trunc", "math.atan": "hls::atan",
    "math.asin": "hls::asin", "math.acos": "hls::acos", "math.sinh": "hls::sinh",
    "math.cosh": "hls::cosh", "math.erf": "hls::erf", "math.expm1": "hls::expm1",
    "math.log1p": "hls::log1p", "math.cbrt": "hls::cbrt",
}


@handles(*_MATH_UNARY)
def emit_math_unary(fe, op):
    (a,) = op.operation.operands
    fe.define(op.result, f"{_MATH_UNARY[op.operation.name]}({fe.expr(a)})", op)


@handles("math.rsqrt")
def emit_rsqrt(fe, op):
    (a,) = op.operation.operands
    ct = fe.result_ctype(op)
    fe.define(op.result, f"({ct.spelling})1.0 / hls::sqrt({fe.expr(a)})", op)


@handles("math.powf", "math.atan2", "math.copysign")
def emit_math_binary(fe, op):
    a, b = op.operation.operands
    fn = {"math.powf": "pow", "math.atan2": "hls::atan2", "math.copysign": "hls::copysign"}[
        op.operation.name]
    fe.define(op.result, f"{fn}({fe.expr(a)}, {fe.expr(b)})", op)


@handles("math.fma")
def emit_fma(fe, op):
    a, b, c = op.operation.operands
    fe.define(op.result, f"hls::fma({fe.expr(a)}, {fe.expr(b)}, {fe.expr(c)})", op)


# --------------------------------------------------------------------------- allo ops


def _tag_ctype(op, attr: str) -> CType:
    text = str_attr(op, attr)
    if text is None:
        raise BuildError(f"'{op.operation.name}' lacks its '{attr}' attribute")
    return CType.from_tag(text)


@handles("allo.cast")
def emit_allo_cast(fe, op):
    """Conversions involving fixed point (language.md §5.4), via ap_fixed assignment."""
    (a,) = op.operation.operands
    src, dst = _tag_ctype(op, "src"), _tag_ctype(op, "dst")
    sc = fe.scalar(a)
    cur = sc.ctype
    if src.is_integer_like and (cur.frac != src.frac or cur.signed != src.signed):
        expr = fe.view(a, src.signed, src.frac)
    else:
        expr = sc.expr
    if src.kind == "fixed" and dst.kind in ("int", "index", "bool"):
        # fixed -> integer truncates toward zero, then wraps (to_ap_int-style conversion)
        wide = ap_int_spelling(src.width - src.frac + 1, True)
        expr = f"{wide}({expr}.to_ap_int_base())" if src.width - src.frac > 0 else "0"
        if dst.kind == "bool":
            expr = f"({expr} & 1)"
    elif cur.name == "f16" and dst.kind == "fixed":
        expr = f"(float){expr}"
    elif src.kind == "fixed" and dst.kind == "float" and (src.width <= 53 or dst.name == "f16"):
        # exact in double, so the one rounding happens when the double is narrowed
        expr = f"{expr}.to_double()"
    fe.define(op.result, expr, op, dst)


@handles("allo.fixed_div")
def emit_fixed_div(fe, op):
    """Exact quotient truncated toward zero to the result's fraction bits, then wrapped."""
    a, b = op.operation.operands
    lhs, rhs, res = _tag_ctype(op, "lhs"), _tag_ctype(op, "rhs"), _tag_ctype(op, "res")
    ra, rb = fe.view(a, lhs.signed, 0), fe.view(b, rhs.signed, 0)
    shift = res.frac + rhs.frac - lhs.frac
    wide = lhs.width + rhs.width + abs(shift) + 2
    big = ap_int_spelling(wide, True)
    num = f"({big}({ra}) << {shift})" if shift > 0 else f"{big}({ra})"
    den = f"({big}({rb}) << {-shift})" if shift < 0 else f"{big}({rb})"
    fe.define(op.result, f"{num} / {den}", op, res, expr_frac=0 if res.frac else None)


def _bits_of(fe, value) -> tuple[str, int]:
    sc = fe.scalar(value)
    width = sc.ctype.width
    return f"{ap_int_spelling(width, False)}({fe.view(value, False, 0)})", width


@handles("allo.get_bit")
def emit_get_bit(fe, op):
    x, k = op.operation.operands
    bits, _ = _bits_of(fe, x)
    fe.define(op.result, f"{bits}[{fe.expr(k)}]", op, CType("bool", 1, False, 0, "ui1"))


@handles("allo.get_slice")
def emit_get_slice(fe, op):
    x, lo = op.operation.operands
    cr = fe.result_ctype(op)
    bits, _ = _bits_of(fe, x)
    low = fe.expr(lo)
    hi = f"{low} + {cr.width - 1}" if cr.width > 1 else low
    fe.define(op.result, f"{bits}.range({hi}, {low})", op, cr, expr_frac=0 if cr.frac else None)


def _update_bits(fe, op, x, update: str):
    """``T r; { ap_uint<N> t = x; <update on t>; r = t; }`` keeping raw bits."""
    cr = fe.result_ctype(op)
    name = fe.new_name(op)
    tmp = fe.scope.temp(f"{name}_bits")
    width = fe.scalar(x).ctype.width
    fe.line(f"{cr.spelling} {name};", op)
    fe.line(f"{ap_int_spelling(width, False)} {tmp} = {fe.view(x, False, 0)};")
    fe.line(update.format(t=tmp) + ";")
    if cr.kind == "fixed":
        fe.line(f"{name}.range({width - 1}, 0) = {tmp};")
    else:
        fe.line(f"{name} = {tmp};")
    fe.bind(op.result, Scalar(name, cr))


@handles("allo.set_bit")
def emit_set_bit(fe, op):
    x, k, v = op.operation.operands
    _update_bits(fe, op, x, f"{{t}}[{fe.expr(k)}] = {fe.view(v, False, 0)}")


@handles("allo.set_slice")
def emit_set_slice(fe, op):
    x, lo, v = op.operation.operands
    width = fe.scalar(v).ctype.width
    low = fe.expr(lo)
    hi = f"{low} + {width - 1}" if width > 1 else low
    val = f"{ap_int_spelling(width, False)}({fe.view(v, False, 0)})"
    _update_bits(fe, op, x, f"{{t}}.range({hi}, {low}) = {val}")


@handles("allo.reverse")
def emit_reverse(fe, op):
    (x,) = op.operation.operands
    _update_bits(fe, op, x, "{t} = {t}.reverse()")


@handles("allo.bitcast")
def emit_allo_bitcast(fe, op):
    (a,) = op.operation.operands
    dst = _tag_ctype(op, "dst")
    src = fe.scalar(a).ctype
    if src.is_integer_like and dst.is_integer_like:
        return emit_raw_reinterpret(fe, op, a, dst)
    # fixed <-> float of the same width goes through the integer of that width
    name = fe.new_name(op)
    conv = fe.scope.temp(f"_converter_{name}")
    if src.is_integer_like:
        fe.line(f"{dst.spelling} {name};", op)
        fe.line(f"union {{ {int_spelling(src.width, False)} from; {dst.spelling} to;}} {conv};")
        fe.line(f"{conv}.from = {fe.view(a, False, 0)};")
        fe.line(f"{name} = {conv}.to;")
    else:
        fe.line(f"{dst.spelling} {name};", op)
        fe.line(f"union {{ {src.spelling} from; {int_spelling(src.width, False)} to;}} {conv};")
        fe.line(f"{conv}.from = {fe.expr(a)};")
        fe.line(f"{name}.range({dst.width - 1}, 0) = {conv}.to;")
    fe.bind(op.result, Scalar(name, dst))
