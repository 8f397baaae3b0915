"""Valid, collision-free C++ identifiers for names taken from user programs.

Function-local names follow ``backends.md`` §3.3: source names are kept (sanitized), a name
used twice in one function becomes ``name1``, ``name2``, ...; every other value is ``v<k>``
with ``k`` the number of names given so far in the function.

>>> scope = NameScope(reserved={"gemm"})
>>> scope.source_name("i"), scope.source_name("i"), scope.fresh(), scope.source_name("gemm")
('i', 'i1', 'v2', 'gemm1')
"""

from __future__ import annotations

import re

from ...mlir_utils import fresh_name

CPP_KEYWORDS = frozenset("""
alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t
char32_t class compl concept const consteval constexpr constinit const_cast continue co_await
co_return co_yield decltype default delete do double dynamic_cast else enum explicit export
extern false float for friend goto if inline int long mutable namespace new noexcept not
not_eq nullptr operator or or_eq private protected public register reinterpret_cast requires
return short signed sizeof static static_assert static_cast struct switch template this
thread_local throw true try typedef typeid typename union unsigned using virtual void volatile
wchar_t while xor xor_eq
""".split())

# Names the generated code or its headers define at namespace scope (a user function or
# global with one of these names would clash, or silently call our definition).
LIBRARY_NAMES = frozenset("""
main std hls half min max abs fabs exp exp2 log log2 log10 sqrt sin cos tan tanh pow fmod
floor ceil round copysign isnan isinf signbit printf puts exit abort malloc free memcpy memset
ap_int ap_uint ap_fixed ap_ufixed ap_int_base ap_fixed_base int8_t int16_t int32_t int64_t
uint8_t uint16_t uint32_t uint64_t size_t NULL INFINITY NAN assert errno kernel_top
""".split())

# Functions and objects of namespace std that the headers of the generated code declare. The
# code says ``using namespace std;``, so a user *function* of one of these names makes every
# call of it ambiguous; locals shadow them harmlessly, so only module-scope names avoid them.
STD_NAMES = frozenset("""
accumulate adjacent_difference advance all_of any any_of apply array begin bind binary_search
byte clamp copy copy_if count count_if cref data distance div empty end equal exchange
exclusive_scan fill fill_n find find_if fma for_each forward function gcd generate get greater
hash hypot in_place inclusive_scan includes inner_product invoke iota less lcm list lower_bound
make_heap make_pair map merge minus mismatch modulus move multiplies negate next none_of
nth_element optional pair partial_sort partial_sum partition plus pop_heap prev push_heap queue
rand reduce ref remainder remove replace reverse rotate sample search set set_difference
set_intersection set_union shuffle size sort sort_heap stable_sort stack string swap tie time
transform tuple unique upper_bound variant vector visit
""".split())

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def sanitize(name: str) -> str:
    """Turn ``name`` into a C++ identifier: invalid characters become ``_``; keywords get ``_``.

    >>> sanitize("i.outer"), sanitize("3d"), sanitize("class"), sanitize("")
    ('i_outer', '_3d', 'class_', '_')
    """
    text = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not text or text[0].isdigit():
        text = "_" + text
    if text in CPP_KEYWORDS or text in LIBRARY_NAMES:
        text += "_"
    assert _IDENT.match(text)
    return text


class NameScope:
    """Names of one C++ function body (or of the module's namespace scope)."""

    def __init__(self, reserved=()):
        self.taken: set[str] = set(reserved)
        self.count = 0

    def _claim(self, name: str) -> str:
        self.taken.add(name)
        self.count += 1
        return name

    def source_name(self, name: str) -> str:
        """The sanitized source name, suffixed ``1``, ``2``, ... when already used."""
        base = sanitize(name)
        if base not in self.taken:
            return self._claim(base)
        return self._claim(fresh_name(base, self.taken, sep=""))

    def fresh(self) -> str:
        """``v<k>``, ``k`` = the number of names given so far (skipping taken spellings)."""
        name = f"v{self.count}"
        while name in self.taken:
            name += "_"
        return self._claim(name)

    def temp(self, base: str, avoid_std: bool = False) -> str:
        """A helper name derived from ``base`` that does not count as a value name.

        ``avoid_std`` (module-scope functions) also steers clear of :data:`STD_NAMES`.

        >>> NameScope().temp("count", avoid_std=True), NameScope().temp("count")
        ('count_', 'count')
        """
        name = sanitize(base)
        if avoid_std and name in STD_NAMES:
            name += "_"
        k = 0
        candidate = name
        while candidate in self.taken:
            k += 1
            candidate = f"{name}{k}"
        self.taken.add(candidate)
        return candidate
