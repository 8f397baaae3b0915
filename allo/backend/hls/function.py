"""Emission of one ``func.func`` body: value table, statement lines and op dispatch.

Op handlers live in ``ops_arith``, ``ops_memory`` and ``ops_control``; each registers itself
with :func:`handles`. A handler receives the :class:`FunctionEmitter` and the op and appends
lines. The raw-bit discipline (see ``cpp_types``) is implemented by :meth:`view` (read an
operand with the signedness / fraction bits an op needs) and :meth:`define` (assign a result
so that C++ reproduces the IR's wrap-around and truncation).
"""

from __future__ import annotations

from typing import Callable

from ..._mlir import ir
from ...diagnostics import SourceLoc
from ...errors import AlloError, BuildError, InternalError
from .cpp_types import CType, ap_int_spelling, int_spelling
from .values import Array, Scalar

HANDLERS: dict[str, Callable] = {}



def handles(*names: str):
    """Register an op handler: ``@handles("arith.addi") def emit_add(fe, op): ...``."""

    def register(fn):
        for n in names:
            HANDLERS[n] = fn
        return fn

    return register


def op_name(op) -> str:
    return op.operation.name


def str_attr(op, name: str, default=None):
    """The value of string attribute ``name`` of ``op`` (``default`` when absent)."""
    attrs = op.operation.attributes
    if name not in attrs:
        return default
    return ir.StringAttr(attrs[name]).value


def has_attr(op, name: str) -> bool:
    return name in op.operation.attributes


def int_attr(op, name: str, default=None):
    attrs = op.operation.attributes
    if name not in attrs:
        return default
    return ir.IntegerAttr(attrs[name]).value


def source_line(op) -> int | None:
    """The user's source line of ``op`` (its ``loc("file":line:col)``), if any."""
    # modules parsed from anonymous text carry positions in that text ("-"): not user lines
    loc = SourceLoc.from_mlir_loc(op.location)
    return None if loc is None else loc.line


class FunctionEmitter:
    """Turns one function into C++ lines. ``signature`` was prepared by the module emitter."""

    def __init__(self, module_emitter, func_op, signature):
        self.mod = module_emitter
        self.func = func_op
        self.sig = signature
        self.scope = signature.scope
        self.lines: list[str] = []
        # the IR op each line was emitted for (parallel to ``lines``): maps a C++ compiler
        # diagnostic back to the user's source line (ModuleEmitter.source_map)
        self.line_ops: list = []
        self._current_op = None
        self.indent = 1
        self.values: dict = {}
        self.result_alias: dict = {}  # returned local buffer value -> result parameter Array
        self.statics_emitted: set[str] = set()
        self.yield_targets: list = []  # variables the innermost yield assigns
        self.while_stack: list = []  # result variables of the enclosing scf.while ops
        self.labels: set[str] = set()  # loop labels given so far (function-scoped in C++)
        # C++ expressions known to be >= 0 (loop variables counting up from a non-negative
        # bound, non-negative constants): affine floordiv/mod of them print as plain / and %
        self.nonneg: set[str] = set()
        # block stream name -> the hls::vector variable of the whole-block put/get being emitted
        self.block_vectors: dict = {}

    # ------------------------------------------------------------------ output
    def line(self, text: str, op=None) -> None:
        """Append ``text`` at the current indentation; IR ops get ``\\t//`` (+ `` L<n>``)."""
        out = "  " * self.indent + text
        if op is not None:
            ln = source_line(op)
            out += "\t//" + (f" L{ln}" if ln is not None else "")
        self.lines.append(out)
        self.line_ops.append(op if op is not None else self._current_op)

    def loop_label(self, base: str) -> str:
        """A loop label unique in this function: ``base``, else ``base1``, ``base2``, ...

        C++ labels share one namespace per function, so two loops whose stage and variable
        names concatenate to the same text (stage ``p`` with loop ``x``, and a loop ``p_x``)
        must not both be ``l_p_x``.
        """
        label, k = base, 0
        while label in self.labels:
            k += 1
            label = f"{base}{k}"
        self.labels.add(label)
        return label

    def blank(self) -> None:
        self.lines.append("")
        self.line_ops.append(self._current_op)

    # ------------------------------------------------------------------ value table
    def bind(self, value, info) -> None:
        self.values[value] = info

    def lookup(self, value):
        try:
            return self.values[value]
        except KeyError as err:
            raise InternalError(f"value {value} used before its definition "
                             f"in function {self.sig.cname}") from err

    def scalar(self, value) -> Scalar:
        info = self.lookup(value)
        if not isinstance(info, Scalar):
            raise BuildError(f"expected a scalar, got an array in function {self.sig.cname}")
        return info

    def array(self, value) -> Array:
        info = self.lookup(value)
        if not isinstance(info, Array):
            raise BuildError(f"expected an array, got a scalar in function {self.sig.cname}")
        return info

    def expr(self, value) -> str:
        """The plain C++ expression of a scalar value (index operands, conditions, ...)."""
        return self.scalar(value).expr

    # ------------------------------------------------------------------ types
    def result_ctype(self, op, index: int = 0) -> CType:
        """The C++ view of result ``index`` of ``op``: its ``allo.type`` tag or the default."""
        tag = str_attr(op, "allo.type")
        rtype = op.operation.results[index].type
        if tag is not None and not _is_memref(rtype):
            ct = CType.from_tag(tag)
            if ct.is_integer_like and ct.width == _int_width(rtype):
                return ct
        return CType.default_for(rtype)

    # ------------------------------------------------------------------ raw-bit views
    def raw(self, sc: Scalar, signed: bool) -> str:
        """An integer expression holding ``sc``'s raw bits read as ``signed`` (no fraction)."""
        ct = sc.ctype
        if ct.kind == "fixed":
            return f"{ap_int_spelling(ct.width, signed)}({sc.expr}.range({ct.width - 1}, 0))"
        if ct.kind == "float":
            raise InternalError("raw bits of a float value")
        if ct.signed == signed or (ct.kind == "bool" and not signed):
            return sc.expr
        if ct.kind == "index":
            return f"(unsigned){sc.expr}" if not signed else sc.expr
        if ct.is_native_int:
            return f"({int_spelling(ct.width, signed)}){sc.expr}"
        return f"{ap_int_spelling(ct.width, signed)}({sc.expr})"

    def view(self, value, signed: bool | None = None, frac: int | None = None) -> str:
        """``value`` as an expression read with the given signedness and fraction bits.

        ``None`` means "any". When the C++ type of ``value`` already reads its bits that way
        the plain name is returned; otherwise a reinterpretation (a cast of the raw bits, or
        a fixed-point temporary built from them) is emitted.
        """
        sc = self.scalar(value)
        ct = sc.ctype
        if not ct.is_integer_like:
            return sc.expr
        want_signed = ct.signed if signed is None else signed
        want_frac = ct.frac if frac is None else frac
        if ct.frac == want_frac and (ct.signed == want_signed or ct.width == 1 and ct.kind == "bool"
                                     and not want_signed):
            return sc.expr
        if want_frac == 0:
            return self.raw(sc, want_signed)
        target = ct.with_view(want_signed, want_frac)
        tmp = self.scope.temp(f"{sc.expr}_as_fixed" if sc.expr.isidentifier() else "fixed_view")
        self.line(f"{target.spelling} {tmp};")
        self.line(f"{tmp}.range({ct.width - 1}, 0) = {self.raw(sc, want_signed)};")
        return tmp

    # ------------------------------------------------------------------ definitions
    def new_name(self, op=None) -> str:
        """``v<k>`` for a value without a source name."""
        return self.scope.fresh()

    def define(self, result, expr: str, op, ctype: CType | None = None,
               expr_frac: int | None = None) -> Scalar:
        """Declare ``T name = expr;`` for ``result``.

        ``expr_frac`` is the number of fraction bits the *value* of ``expr`` has; when it
        differs from the result's C++ type the raw bits of ``expr`` are transferred instead
        of its value (the IR's integer ops work on raw bits).
        """
        ct = ctype or self.result_ctype(op, _result_index(op, result))
        name = self.new_name(op)
        if expr_frac is not None and ct.is_integer_like and expr_frac != ct.frac:
            self.line(f"{ct.spelling} {name};", op)
            self.line(f"{name}.range({ct.width - 1}, 0) = "
                      f"{ap_int_spelling(ct.width, False)}({expr});")
        else:
            self.line(f"{ct.spelling} {name} = {expr};", op)
        sc = Scalar(name, ct)
        self.bind(result, sc)
        return sc

    def assign_element(self, target: str, target_ct: CType, value, op) -> None:
        """``target = value;`` keeping the raw bits when the fraction bits differ."""
        sc = self.scalar(value)
        self.line(f"{target} = {self.convert_for_store(sc, target_ct)};", op)

    def convert_for_store(self, sc: Scalar, target_ct: CType) -> str:
        """Expression to store ``sc`` into a location of type ``target_ct`` bit-exactly."""
        ct = sc.ctype
        if not (ct.is_integer_like and target_ct.is_integer_like) or ct.frac == target_ct.frac:
            return sc.expr
        if target_ct.frac == 0:
            return self.raw(sc, target_ct.signed)
        return self.view_scalar_as(sc, target_ct)

    def view_scalar_as(self, sc: Scalar, target: CType) -> str:
        tmp = self.scope.temp("bits")
        self.line(f"{target.spelling} {tmp};")
        self.line(f"{tmp}.range({target.width - 1}, 0) = {self.raw(sc, target.signed)};")
        return tmp

    # ------------------------------------------------------------------ walking
    def emit_block(self, block) -> None:
        for op in block.operations:
            self.emit_op(op)

    def emit_op(self, op) -> None:
        name = op_name(op)
        handler = HANDLERS.get(name)
        outer, self._current_op = self._current_op, op
        try:
            if handler is None:
                raise BuildError(f"the HLS backend cannot emit '{name}' "
                                 f"(in function {self.sig.source_name})")
            handler(self, op)
        except AlloError as err:
            # located at the innermost op being emitted: the user's line that wrote it
            err.locate(SourceLoc.of_op(op))
            raise
        finally:
            self._current_op = outer

    def emit_region_block(self, region) -> None:
        """Emit the single block of ``region`` one indentation level deeper."""
        self.indent += 1
        self.emit_block(region.blocks[0])
        self.indent -= 1


def _is_memref(t) -> bool:
    return str(t).startswith("memref<")


def _int_width(t) -> int:
    text = str(t)
    if text == "index":
        return 32
    if text.startswith("i") and text[1:].isdigit():
        return int(text[1:])
    return -1


def _result_index(op, result) -> int:
    for k, r in enumerate(op.operation.results):
        if r == result:
            return k
    return 0
