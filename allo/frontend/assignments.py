"""Declarations and assignments: where a kernel's values are stored (language.md §3, §4).

A scalar local lives in a rank-0 buffer, an array local in a buffer of its shape; a fresh
array (the result of an operation or a call) bound to a new name becomes that name's buffer.
Assignments to names, elements, views, bits and bit slices store into those buffers.
"""

from __future__ import annotations

import ast

import numpy as np

from .._mlir import ir
from ..errors import AlloSyntaxError, AlloTypeError
from . import memory as mem
from .annotations import eval_compile_time, parse_annotation
from .casting import wrap_int
from .context import Part
from .expressions import BINARY_OPS
from .scalars import materialize
from .symbols import Sym
from .tensor_form import immutable_arrays
from .types import Index, Stream, Struct
from .values import Val


class Assignments(Part):
    """Declarations (``x: T = v``, ConstExpr, Stateful, streams and structs handed to their
    parts) and assignments (``x = v``, ``A[i] = v``, ``a, b = f(...)``, ``x += v``)."""

    def annotated_assign(self, node: ast.AnnAssign) -> None:
        """``name: T = value``: declare a local (or assign an existing one of the same type)."""
        if not isinstance(node.target, ast.Name):
            raise AlloSyntaxError("annotated assignment target must be a name")
        name = node.target.id
        ptype = parse_annotation(node.annotation, self.ctx.compile_env())
        sym = self.ctx.scopes.lookup(name)
        if sym is not None and not ptype.constexpr:
            if sym.kind == "const" and sym.extra.get("constexpr"):
                raise AlloSyntaxError(f"cannot assign to ConstExpr variable '{name}'")
            old = sym.val
            if sym.kind in ("var", "param") and old is not None and old.dtype == ptype.dtype \
                    and tuple(old.shape) == tuple(ptype.shape):
                if node.value is not None:
                    self.assign_to_name(name, sym, self.exprs.visit_expr(node.value))
                return None
            if sym.kind in ("var", "param"):
                raise AlloTypeError(f"Invalid assignment to {name}, type mismatch")
        if ptype.constexpr:
            return self.declare_constexpr(name, ptype, node)
        if isinstance(ptype.dtype, Stream):
            if node.value is not None:
                raise AlloSyntaxError(f"stream '{name}' cannot have an initialiser")
            return self.streams.declare_stream(name, ptype)
        if ptype.stateful:
            return self.declare_stateful(name, ptype, node)
        if isinstance(ptype.dtype, Struct):
            return self.structs.declare_struct(name, ptype, node.value)
        if ptype.shape:
            return self.declare_array(name, ptype, node.value)
        return self.declare_scalar(name, ptype, node.value)

    def declare_constexpr(self, name, ptype, node):
        """A ``ConstExpr`` local: evaluated now, converted to its type, never stored."""
        if node.value is None:
            raise AlloSyntaxError(f"ConstExpr variable '{name}' must be initialized")
        try:
            value = eval_compile_time(node.value, self.ctx.compile_env())
        except Exception as err:  # noqa: BLE001
            raise AlloSyntaxError(f"Failed to evaluate ConstExpr '{name}'") from err
        v = Val(None, ptype.dtype, const=value)
        py = self.const_convert(value, ptype.dtype)
        self.ctx.scopes.declare(name, Sym("const", v, py=py, extra={"constexpr": True}))

    def const_convert(self, value, dtype):
        """Compile-time conversion of a Python scalar to ``dtype`` (language.md §4.1)."""
        if dtype.is_float:
            return float(value)
        if isinstance(dtype, Index):
            return int(value)
        if dtype.is_fixed:
            return value
        return wrap_int(int(value), dtype)

    def declare_scalar(self, name, ptype, value_node):
        """A scalar local in a rank-0 buffer, initialised from ``value_node`` if any."""
        buf = Val(mem.alloc(ptype.dtype, (), name, mem.memory_space(ptype)), ptype.dtype, (), name=name)
        self.ctx.scopes.declare(name, Sym("var", buf, in_memory=True))
        if value_node is not None:
            v = self.exprs.visit_expr(value_node)
            if v.is_array:
                raise AlloTypeError(f"cannot assign an array of shape {v.shape} to scalar '{name}'")
            mem.store(materialize(v, ptype.dtype), buf, [])

    def declare_array(self, name, ptype, value_node):
        """An array local; a fresh array of the same type becomes its buffer."""
        init = None
        if value_node is not None:
            init = self.exprs.visit_expr(value_node)
            if init.is_array and init.extra.get("fresh") and init.dtype == ptype.dtype \
                    and tuple(init.shape) == tuple(ptype.shape) and mem.is_plain(init):
                # a fresh result (op or call) is bound directly and takes the name
                self.name_buffer(init, name)
                buf = Val(init.value, init.dtype, init.shape, name=name)
                self.ctx.scopes.declare(name, Sym("var", buf))
                return
        buf = Val(mem.alloc(ptype.dtype, ptype.shape, name, mem.memory_space(ptype)),
                  ptype.dtype, ptype.shape, name=name)
        self.ctx.scopes.declare(name, Sym("var", buf))
        if init is not None:
            self.initialize_array(buf, init)

    def name_buffer(self, v: Val, name: str):
        """Give a fresh buffer its source name: ``name`` on its alloc or single-result call;
        ``names`` (one entry per result, "" when unnamed) on a multi-result call."""
        owner = v.value.owner
        opv = owner.opview if hasattr(owner, "opview") else owner
        if len(opv.results) > 1:
            old = opv.attributes["names"] if "names" in opv.attributes else None
            names = [ir.StringAttr(a).value for a in old] if old is not None else [""] * len(opv.results)
            names[v.value.result_number] = name
            opv.attributes["names"] = ir.ArrayAttr.get([ir.StringAttr.get(n) for n in names])
            return
        opv.attributes["name"] = ir.StringAttr.get(name)

    def initialize_array(self, buf: Val, init: Val):
        """Fill array ``buf`` from ``init``: a numpy constant, an array or a scalar."""
        if init.value is None and isinstance(init.const, np.ndarray):
            arr = init.const
            if tuple(arr.shape) != tuple(buf.shape):
                raise AlloTypeError(f"Shape mismatch, got {tuple(arr.shape)} and {tuple(buf.shape)}")
            glob = self.ctx.global_array(None, arr, dtype=buf.dtype)
            mem.copy_whole(glob, buf)
            return
        if init.is_array:
            if init.extra.get("global") and tuple(init.shape) != tuple(buf.shape):
                raise AlloTypeError(f"`{init.name}` shape mismatch, got {tuple(init.shape)} "
                                    f"and {tuple(buf.shape)}")
            self.copy_into(buf, init)
            return
        scalar = materialize(init, buf.dtype)
        mem.fill(buf, scalar)

    def copy_into(self, dst: Val, src: Val):
        """Copy ``src`` into ``dst`` (broadcast and converted when needed)."""
        shape = mem.broadcast_shape(tuple(dst.shape), tuple(src.shape))
        if shape is None or tuple(shape) != tuple(dst.shape):
            raise AlloTypeError(f"Cannot broadcast {tuple(src.shape)} to {tuple(dst.shape)}")
        if mem.is_plain(dst) and mem.is_plain(src) and src.dtype == dst.dtype \
                and tuple(src.shape) == tuple(dst.shape) and src.value.type == dst.value.type:
            mem.copy_whole(src, dst)
        else:
            mem.copy_converted(src, dst, materialize)

    def declare_stateful(self, name, ptype, node):
        """A ``Stateful`` local: a module-level global keeping its value across calls."""
        if node.value is None:
            init = 0
        else:
            try:
                init = eval_compile_time(node.value, self.ctx.compile_env())
            except Exception as err:  # noqa: BLE001
                raise AlloSyntaxError(
                    f"Stateful variable '{name}' must be initialized with a compile-time constant") from err
            if not isinstance(init, (int, float, bool, list, tuple, np.ndarray, np.number)):
                raise AlloSyntaxError(
                    f"Stateful variable '{name}' must be initialized with a compile-time constant")
        buf = self.ctx.module_builder.stateful_global(self.ctx, name, ptype, init)
        self.ctx.scopes.declare(name, Sym("var", buf, in_memory=not ptype.shape))

    def assign_statement(self, node: ast.Assign) -> None:
        """``target = value`` (a name, a subscript, or a tuple of them)."""
        if len(node.targets) != 1:
            raise AlloSyntaxError("chained assignment not supported")
        target = node.targets[0]
        if isinstance(target, (ast.Tuple, ast.List)):
            return self.tuple_assign(target.elts, node.value)
        value = self.exprs.visit_expr(node.value)
        self.assign(target, value)
        return None

    def tuple_assign(self, targets, value_node):
        """``a, b = x, y`` (all values read before any store) or ``a, b = f(...)``."""
        if isinstance(value_node, (ast.Tuple, ast.List)):
            if len(value_node.elts) != len(targets):
                raise AlloSyntaxError("tuple assignment needs as many values as targets")
            values = [self.exprs.visit_expr(v) for v in value_node.elts]
            values = [self.snapshot(v) for v in values]
        else:
            res = self.exprs.visit_expr(value_node)
            if not res.extra.get("tuple"):
                raise AlloSyntaxError("tuple assignment needs a tuple-returning call")
            values = list(res.const)
            if len(values) != len(targets):
                raise AlloTypeError(f"cannot unpack {len(values)} results into {len(targets)} targets")
            for v in values:
                v.extra["fresh"] = True
        for t, v in zip(targets, values):
            self.assign(t, v)

    def snapshot(self, v: Val) -> Val:
        """Evaluate-before-store for tuple assignment: scalars are already SSA values."""
        if v.is_array and not v.extra.get("fresh"):
            tmp = Val(mem.alloc(v.dtype, v.shape), v.dtype, v.shape)
            self.copy_into(tmp, v)
            tmp.extra["fresh"] = True
            return tmp
        return v

    def assign(self, target, value: Val):
        """Store ``value`` into ``target``: a name (bound if new) or a subscript."""
        if isinstance(target, ast.Name):
            sym = self.ctx.scopes.lookup(target.id)
            if sym is None:
                return self.bind_new(target.id, value)
            return self.assign_to_name(target.id, sym, value)
        if isinstance(target, ast.Subscript):
            return self.assign_subscript(target, value)
        raise AlloSyntaxError(f'Unsupported node "{type(target).__name__}"')

    def bind_new(self, name, value: Val):
        """Bind a new name to ``value`` (a fresh array becomes the name's buffer)."""
        if value.extra.get("void"):
            raise AlloTypeError(f"cannot assign the result of a call without results to '{name}'")
        if value.dtype is None:
            raise AlloTypeError(f"cannot bind '{name}' to a compile-time object")
        if value.is_array:
            if value.extra.get("fresh") and mem.is_plain(value):
                self.name_buffer(value, name)
                buf = Val(value.value, value.dtype, value.shape, name=name)
            else:
                buf = Val(mem.alloc(value.dtype, value.shape, name), value.dtype, value.shape, name=name)
                self.copy_into(buf, value)
            self.ctx.scopes.declare(name, Sym("var", buf))
            return None
        dtype = value.dtype
        buf = Val(mem.alloc(dtype, (), name), dtype, (), name=name)
        self.ctx.scopes.declare(name, Sym("var", buf, in_memory=True))
        mem.store(materialize(value, dtype), buf, [])
        return None

    def assign_to_name(self, name, sym, value: Val):
        """Store ``value`` into the existing variable ``name``."""
        if sym.kind == "iv":
            raise AlloSyntaxError(f"cannot assign to loop variable '{name}'")
        if sym.kind == "const":
            if sym.extra.get("constexpr"):
                raise AlloSyntaxError(f"cannot assign to ConstExpr variable '{name}'")
            raise AlloSyntaxError(f"cannot assign to compile-time name '{name}'")
        if sym.kind == "func":
            raise AlloSyntaxError(f"cannot assign to function '{name}'")
        buf = sym.val
        if buf.is_array:
            self.refuse_tensor_store()
            if value.is_const and isinstance(value.const, np.ndarray):
                return self.initialize_array(buf, value)
            if value.is_array:
                return self.copy_into(buf, value)
            return self.fill_view(buf, value)
        if value.is_array:
            raise AlloTypeError(f"cannot assign an array of shape {value.shape} to scalar '{name}'")
        if not sym.in_memory:
            raise AlloSyntaxError(f"cannot assign to scalar parameter '{name}'")
        mem.store(materialize(value, buf.dtype), Val(buf.value, buf.dtype, name=buf.name), [])
        return None

    def refuse_tensor_store(self) -> None:
        """With ``enable_tensor=True`` arrays are immutable values (``language.md`` §10.3):
        a store into an existing array of the user's own kernels is refused, as Allo does.
        Library kernels (``allo.*``) and generated sources (no function object, e.g. a
        PyTorch model's program) keep their loops."""
        if not self.ctx.module_builder.options.get("enable_tensor"):
            return
        if not immutable_arrays(self.ctx.fn_object):
            return
        raise AlloSyntaxError("MLIR tensors are immutable data structures")

    def fill_view(self, view: Val, value: Val):
        """Set every element of array (or view) ``view`` to the scalar ``value``."""
        scalar = materialize(value, view.dtype)
        if mem.is_plain(view):
            mem.fill(view, scalar)
            return
        mem.elements(view.shape, lambda ivs: mem.store(scalar, view, mem.base_indices(view, ivs)))

    def assign_subscript(self, target, value: Val):
        """Store ``value`` into ``A[...]``, a struct field, or bits of an integer."""
        base = self.exprs.visit_expr(target.value)
        if isinstance(base.dtype, Struct):
            buf = self.structs.struct_field(base, target.slice)
            mem.store(materialize(value, buf.dtype), buf, [])
            return None
        if base.is_array:
            self.refuse_tensor_store()
            view = self.access.index_array(base, self.access.subscript_items(target))
            if view.is_array:
                if value.is_const and isinstance(value.const, np.ndarray):
                    glob = self.ctx.global_array(None, value.const, dtype=view.dtype)
                    return self.copy_into(view, glob)
                if value.is_array:
                    return self.copy_into(view, value)
                return self.fill_view(view, value)
            if value.is_array:
                raise AlloTypeError(f"cannot store an array of shape {value.shape} into an element")
            mem.store(materialize(value, base.dtype), view, view.extra["indices"])
            return None
        # bit / bit-slice assignment on a scalar variable or an array element
        new = self.access.bit_set(base, target.slice, value)
        self.assign(target.value, new)
        return None

    def augmented_assign(self, node: ast.AugAssign) -> None:
        """``target op= value``."""
        op = BINARY_OPS.get(type(node.op))
        if op is None:
            raise AlloSyntaxError(f'Unsupported node "{type(node.op).__name__}"')
        if isinstance(node.target, ast.Name):
            sym = self.ctx.scopes.lookup(node.target.id)
            if sym is None:
                raise AlloSyntaxError(f"name '{node.target.id}' is not defined in this scope")
            if sym.kind == "iv":
                raise AlloSyntaxError(f"cannot assign to loop variable '{node.target.id}'")
        current = self.exprs.visit_expr(node.target)
        rhs = self.exprs.visit_expr(node.value)
        if current.is_array:
            result = self.ops.binary(op, current, rhs)
            self.copy_into(current, result)
            return None
        result = self.ops.binary(op, current, rhs)
        self.assign(node.target, result)
        return None
