"""Fixed point in XLS [CC] code: an emitted ``Fixed<WIDTH, FRAC, SIGNED>`` struct over ``ac_int``.

XLS [CC] has no ``ac_fixed``, so the code carries its own: the raw bits in an ``ac_int``,
conversions that drop extra fraction bits toward minus infinity and wrap (``ap_fixed``'s
default truncation and overflow, which the CPU build implements), exact products and sums in
wider formats, comparisons on aligned raw values and raw-bit access (``slc``/``set_slc``).
Literal initializers become ``from_raw`` of their exact raw value.

>>> fixed_types("ac_fixed<12, 8, true> v0 = 1.25;")
'Fixed<12, 4, true> v0 = Fixed<12, 4, true>::from_raw(20);'
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

from ...errors import BuildError

_AC_FIXED = re.compile(r"\bac_fixed<(\d+), (-?\d+), (true|false)>")
_NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d*(?:e[-+]?\d+)?(?![\w.])")
_DECL = re.compile(r"^(\s*(?:const |static )?)(Fixed<(\d+), (\d+), (true|false)>) "
                   r"(\w+(?:\[\d+\])*) = (.*);(\t//.*)?$")

PRELUDE = """// Fixed point over ac_int: truncation toward minus infinity and wrap-around, as ap_fixed.
template <int WIDTH, int FRAC, bool SIGNED>
struct Fixed {
  ac_int<WIDTH, SIGNED> raw;
  Fixed() : raw(0) {}
  template <int W2, int F2, bool S2>
  Fixed(const Fixed<W2, F2, S2> &o) {
    ac_int<W2 + (FRAC > F2 ? FRAC - F2 : 0), S2> wide = o.raw;
    if (FRAC >= F2) {
      wide = wide << (FRAC >= F2 ? FRAC - F2 : 0);
    } else {
      wide = wide >> (F2 > FRAC ? F2 - FRAC : 0);
    }
    raw = wide;
  }
  template <int W2, bool S2>
  Fixed(const ac_int<W2, S2> &v) {
    ac_int<W2 + FRAC, S2> wide = v;
    raw = wide << FRAC;
  }
  Fixed(long long v) {
    ac_int<64 + FRAC, true> wide = v;
    raw = wide << FRAC;
  }
  static Fixed from_raw(const ac_int<WIDTH, SIGNED> &r) {
    Fixed f;
    f.raw = r;
    return f;
  }
  template <int N>
  ac_int<N, false> slc(int lo) const { return raw.template slc<N>(lo); }
  template <int N, bool S2>
  Fixed &set_slc(int lo, const ac_int<N, S2> &x) {
    raw.set_slc(lo, x);
    return *this;
  }
  // as a fixed-point value without fraction bits (an ac_int): extra bits dropped toward
  // minus infinity, then wrapped
  template <int W2, bool S2>
  operator ac_int<W2, S2>() const {
    ac_int<WIDTH, SIGNED> r = raw >> FRAC;
    return r;
  }
  // the integer part, truncated toward zero
  ac_int<(WIDTH > FRAC ? WIDTH - FRAC : 0) + 1, true> to_ac_int() const {
    ac_int<WIDTH + 1, true> r = raw;
    ac_int<WIDTH + 1, true> q = r >> FRAC;
    ac_int<WIDTH + 1, true> rest = r - (q << FRAC);
    if (r < 0 && rest != 0) q = q + 1;
    return q;
  }
};

template <int W1, int F1, bool S1, int W2, int F2, bool S2>
struct FixedJoin {
  static const int F = F1 > F2 ? F1 : F2;
  static const int I = (W1 - F1 > W2 - F2 ? W1 - F1 : W2 - F2);
  typedef Fixed<I + F + 2, F, S1 || S2> type;
};

template <int W1, int F1, bool S1, int W2, int F2, bool S2>
Fixed<W1 + W2, F1 + F2, S1 || S2> operator*(const Fixed<W1, F1, S1> &a,
                                            const Fixed<W2, F2, S2> &b) {
  ac_int<W1 + W2, S1 || S2> x = a.raw, y = b.raw;
  return Fixed<W1 + W2, F1 + F2, S1 || S2>::from_raw(x * y);
}

"""


_JOINED = """
template <int W1, int F1, bool S1, int W2, int F2, bool S2>
{result} operator{op}(const Fixed<W1, F1, S1> &a, const Fixed<W2, F2, S2> &b) {{
  typedef typename FixedJoin<W1, F1, S1, W2, F2, S2>::type J;
  J x = a, y = b;
  return {expr};
}}
"""
PRELUDE += "".join(
    _JOINED.format(op=op, result="typename FixedJoin<W1, F1, S1, W2, F2, S2>::type",
                   expr=f"J::from_raw(x.raw {op} y.raw)") for op in "+-")
PRELUDE += "".join(_JOINED.format(op=op, result="bool", expr=f"x.raw {op} y.raw")
                   for op in ("==", "!=", "<", "<=", ">", ">="))

# an ac_int operand is the fixed-point value with no fraction bits
_MIXED = """
template <int W1, int F1, bool S1, int W2, bool S2>
auto operator{op}(const Fixed<W1, F1, S1> &a, const ac_int<W2, S2> &b)
    -> decltype(a {op} Fixed<W2, 0, S2>()) {{
  return a {op} Fixed<W2, 0, S2>::from_raw(b);
}}
template <int W1, bool S1, int W2, int F2, bool S2>
auto operator{op}(const ac_int<W1, S1> &a, const Fixed<W2, F2, S2> &b)
    -> decltype(Fixed<W1, 0, S1>() {op} b) {{
  return Fixed<W1, 0, S1>::from_raw(a) {op} b;
}}
"""
PRELUDE += "".join(_MIXED.format(op=op) for op in ("*", "+", "-", "==", "!=", "<", "<=", ">",
                                                     ">="))


def _raw(text: str, frac: int) -> int:
    value = Fraction(Decimal(text)) * (1 << frac)
    if value.denominator != 1:
        raise BuildError(f"the fixed-point literal {text} has more than {frac} fraction bits")
    return int(value)


def _integer_fixed(code: str) -> str:
    """``ac_fixed<W, W, S>`` (no fraction bits) is the integer ``ac_int<W, S>``; its integer
    part (``x.to_ac_int()``) is ``x`` itself. Names are tracked per function."""
    out, integers = [], set()
    decl = re.compile(r"\bac_fixed<(\d+), (-?\d+), (?:true|false)> \*?(\w+)")
    for line in code.split("\n"):
        if line.startswith(("void ", "class ", "template ")) or re.match(r"^\S.*\w+\(", line):
            integers = set()
        for m in decl.finditer(line):
            if m.group(1) == m.group(2):
                integers.add(m.group(3))
        for name in integers:
            if name + ".to_ac_int()" in line:
                line = re.sub(r"\b" + name + r"\.to_ac_int\(\)", name, line)
        out.append(line)
    return re.sub(r"\bac_fixed<(\d+), \1, (true|false)>", r"ac_int<\1, \2>", "\n".join(out))


def fixed_types(code: str) -> str:
    """``ac_fixed<W, I, S>`` → ``Fixed<W, W - I, S>`` (``ac_int<W, S>`` when ``I == W``);
    literal initializers → ``from_raw``."""
    code = _integer_fixed(code)
    code = _AC_FIXED.sub(lambda m: f"Fixed<{m.group(1)}, {int(m.group(1)) - int(m.group(2))}, "
                                   f"{m.group(3)}>", code)
    # constants wider than a double are decimal strings: their exact raw bits, in base 10
    code = re.sub(r'\b(Fixed<(\d+), (\d+), (true|false)>)\("([^"]+)"\)',
                  lambda m: f'{m.group(1)}::from_raw(ac_int<{m.group(2)}, {m.group(4)}>'
                            f'("{_raw(m.group(5), int(m.group(3)))}", 10))', code)
    code = re.sub(r'\b(ac_int<\d+, (?:true|false)>)\("([^"]+)"\)', r'\1("\2", 10)', code)
    out = []
    for line in code.split("\n"):
        m = _DECL.match(line)
        if m:
            ty, frac, rhs = m.group(2), int(m.group(4)), m.group(7)
            new = _NUMBER.sub(lambda n: f"{ty}::from_raw({_raw(n.group(0), frac)})", rhs) \
                if (_NUMBER.fullmatch(rhs) or rhs.startswith("{")) else rhs
            line = f"{m.group(1)}{ty} {m.group(6)} = {new};{m.group(8) or ''}"
        out.append(line)
    return "\n".join(out)
