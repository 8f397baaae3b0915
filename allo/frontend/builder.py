"""Python kernel → MLIR module: the entry point of the frontend (``build_module``).

>>> from allo.frontend.types import int32
>>> def inc(A: int32[4]) -> int32[4]:
...     B: int32[4] = 0
...     for i in range(4):
...         B[i] = A[i] + 1
...     return B
>>> built = build_module(inc)
>>> built.top_func_name
'inc'
"""

from __future__ import annotations

import inspect
import math
import numbers
import re
import types as pytypes

import numpy as np

from .._mlir import ir, memref_d, new_context
from ..diagnostics import SourceLoc
from ..errors import AlloSyntaxError, AlloTypeError, FrontendError, InternalError, warn
from . import memory as mem
from .annotations import eval_compile_time
from .casting import tag_buffer, wrap_int
from .function import FunctionBuilder, FunctionInfo
from .module import BuiltModule
from .source import KernelSource, caller_location
from .symbols import NestedKernel, PyEnv
from .tensor_form import immutable_arrays, raise_functions
from .template_infer import infer_bindings
from .types import AlloType, Index, UInt, float32, float64, int32, int64
from .typing_rules import RULE_SETS
from .values import Val


class ModuleBuilder:
    """Owns the module being built: function instances, constants, stateful globals."""

    def __init__(self, ctx, module, options):
        self.ctx = ctx
        self.module = module
        self.options = options
        self.instances: dict = {}
        self.in_progress: set = set()
        self.template_tuples: dict = {}
        self.used_names: set = set()
        self.func_args: dict = {}
        self.ext_libs: list = []
        self.global_names: set = set()
        self.param_directions: dict = {}  # callee name -> directions (see CallLowering)
        self.tensor_funcs: set = set()  # the user's kernels, raised with enable_tensor=True

    # ---------------------------------------------------------------- functions
    def unique_func_name(self, name):
        base, k = name, 1
        while name in self.used_names:
            name = f"{base}_{k}"
            k += 1
        self.used_names.add(name)
        return name

    def compile(self, src, env, name, fn_object, suffix, before=None, runtime_forbidden=()):
        fb = FunctionBuilder(self, src, env, name, fn_object, suffix, runtime_forbidden)
        info = fb.signature()
        self.func_args[name] = [p for p, _ in info.params]
        if self.options.get("enable_tensor") and immutable_arrays(fn_object):
            self.tensor_funcs.add(name)
        if before is not None:
            ip = ir.InsertionPoint(before)
        else:
            ip = ir.InsertionPoint(self.module.body)
        return fb, info, ip

    def get_function(self, fn, caller, template_slice, node, args=None) -> FunctionInfo:
        """The function instance a call site refers to, compiling it on first use.

        A template called without ``[...]`` takes arguments inferred from ``args``.
        """
        if isinstance(fn, NestedKernel):
            key = ("nested", id(fn), caller.suffix)
            if key in self.instances:
                return self.instances[key]
            name = self.unique_func_name(fn.__name__ + caller.suffix)
            return self._compile_into(key, fn.src, fn.env, name, None, caller.suffix, caller,
                                      fn.outer_runtime_names)
        params = getattr(fn, "__type_params__", ())
        suffix = caller.suffix
        targs = ()
        if template_slice is not None or params:
            values = self._template_values(fn, params, caller, template_slice, args)
            inst_id = None
            if len(values) == len(params) + 1 and isinstance(values[-1], str):
                inst_id = values.pop()
            targs = tuple(values)
            bindings = bind_template(fn, targs)
            if inst_id is not None:
                suffix = f"{caller.suffix}_{inst_id}"
                key = (fn, _key(targs), suffix)
                base = f"{fn.__name__}{suffix}"
            else:
                key = (fn, _key(targs), suffix)
                seen = self.template_tuples.setdefault((fn, suffix), [])
                if _key(targs) not in seen:
                    seen.append(_key(targs))
                k = seen.index(_key(targs))
                base = f"{fn.__name__}{suffix}" if k == 0 else f"{fn.__name__}{suffix}_{k}"
        else:
            bindings = {}
            key = (fn, (), suffix)
            base = f"{fn.__name__}{suffix}"
        if key in self.instances:
            return self.instances[key]
        if key in self.in_progress:
            raise AlloSyntaxError(f"recursive call to '{fn.__name__}'")
        src = KernelSource.of_function(fn)
        env = PyEnv(fn, self.options.get("frames"), self.options.get("global_vars"), bindings,
                    self.options["home_globals"])
        name = self.unique_func_name(base)
        return self._compile_into(key, src, env, name, fn, suffix, caller, ())

    @staticmethod
    def _template_values(fn, params, caller, template_slice, args) -> list:
        """The template arguments written at the call, or inferred from its arguments."""
        if template_slice is not None:
            items = template_slice.elts if hasattr(template_slice, "elts") else [template_slice]
            return [eval_compile_time(i, caller.compile_env()) for i in items]
        if args is None:
            raise AlloTypeError(f"template kernel '{fn.__name__}' called without type arguments")
        names = [p.__name__ for p in params]
        tree = KernelSource.of_function(fn).tree
        bindings = infer_bindings(tree, names, args, caller.env.extra)
        return [bindings[n] for n in names]

    def _compile_into(self, key, src, env, name, fn, suffix, caller, forbidden):
        self.in_progress.add(key)
        try:
            fb, info, _ = self.compile(src, env, name, fn, suffix, runtime_forbidden=forbidden)
            self.instances[key] = info
            fb.build(ir.InsertionPoint(caller.func_op))
        finally:
            self.in_progress.discard(key)
        return info

    # ---------------------------------------------------------------- globals
    def _global_symbol(self, base):
        name, k = base, 0
        while name in self.global_names or name in self.used_names:
            k += 1
            name = f"{base}_{k}"
        self.global_names.add(name)
        return name

    def global_constant(self, name, array, dtype=None) -> Val:
        """A private constant ``memref.global`` holding ``array`` converted to ``dtype``."""
        array = np.asarray(array)
        if dtype is None:
            dtype = _dtype_of_array(array)
        shape = tuple(array.shape)
        sym = self._global_symbol(name or "const")
        attr = dense_attr(array, dtype)
        with ir.InsertionPoint.at_block_begin(self.module.body):
            g = memref_d.GlobalOp(sym_name=sym, type_=mem.memref_type(dtype, shape),
                                  sym_visibility="private", initial_value=attr, constant=True)
            tag_buffer(g, dtype)
        value = mem.get_global(sym, dtype, shape)
        return Val(value, dtype, shape, name=name, extra={"global": True})

    def stateful_global(self, caller, var, ptype, init) -> Val:
        shape = tuple(ptype.shape)
        arr = np.broadcast_to(np.asarray(init), shape) if shape else np.asarray(init)
        sym = self._global_symbol(f"__stateful_{caller.func_name}_{var}")
        attr = dense_attr(arr, ptype.dtype)
        with ir.InsertionPoint.at_block_begin(self.module.body):
            g = memref_d.GlobalOp(sym_name=sym, type_=mem.memref_type(ptype.dtype, shape),
                                  sym_visibility="private", initial_value=attr, constant=False)
            g.attributes["static"] = ir.UnitAttr.get()
            tag_buffer(g, ptype.dtype)
        value = mem.get_global(sym, ptype.dtype, shape)
        return Val(value, ptype.dtype, shape, name=var, extra={"global": True})


def _key(values):
    out = []
    for v in values:
        if isinstance(v, AlloType):
            out.append(("type", v.name))
        else:
            out.append(v)
    return tuple(out)


def _dtype_of_array(array):
    if array.dtype.kind == "f":
        return float64 if array.dtype.itemsize == 8 else float32
    if array.dtype.kind == "b":
        return UInt(1)
    if array.dtype.kind in "iu":
        return int64 if array.dtype.itemsize == 8 else int32
    raise AlloTypeError(f"unsupported numpy constant dtype {array.dtype}")


def _convert_scalar(x, dtype):
    if dtype.is_float:
        return float(x)
    if dtype.is_fixed:
        return wrap_int(math.floor(float(x) * (1 << dtype.fracs)), dtype)
    if isinstance(dtype, Index):
        return int(x)
    return wrap_int(int(math.trunc(float(x))) if isinstance(x, (float, np.floating)) else int(x), dtype)


def dense_attr(array, dtype):
    """A dense elements attribute of ``array`` converted to ``dtype`` (raw bits for fixed)."""
    array = np.asarray(array)
    shape = tuple(array.shape)
    elt = dtype.build()
    ttype = ir.RankedTensorType.get(list(shape), elt)
    flat = [_convert_scalar(x, dtype) for x in array.reshape(-1).tolist()]
    if dtype.is_float:
        np_t = {"f16": np.float16, "f32": np.float32, "f64": np.float64}.get(dtype.name)
        if np_t is not None:
            data = np.array(flat, dtype=np_t).reshape(shape)
            return ir.DenseElementsAttr.get(data, type=elt) if shape else \
                ir.DenseElementsAttr.get(data.reshape(()), type=elt)
        items = ", ".join(repr(float(x)) for x in flat)
    elif dtype.bits == 1:
        items = ", ".join("true" if (x & 1) else "false" for x in flat)
    else:
        items = ", ".join(str(x) for x in flat)
    body = _nest(items.split(", ") if items else [], shape)
    return ir.Attribute.parse(f"dense<{body}> : {ttype}")


def _nest(items, shape):
    if not shape:
        return items[0]
    if len(shape) == 1:
        return "[" + ", ".join(items) + "]"
    step = int(np.prod(shape[1:]))
    return "[" + ", ".join(_nest(items[k * step:(k + 1) * step], shape[1:]) for k in range(shape[0])) + "]"


def template_arguments(instantiate, name: str) -> tuple:
    """``customize(..., instantiate=...)`` as a tuple of template arguments.

    A list or tuple is taken in parameter order; a single Allo type or number stands for a
    one-element list (``instantiate=int32`` means ``[int32]``).
    """
    if isinstance(instantiate, (list, tuple)):
        return tuple(instantiate)
    if _is_template_value(instantiate):
        return (instantiate,)
    raise AlloTypeError(f"instantiate= takes a list of template arguments for {name}, got "
                        f"{type(instantiate).__name__} {instantiate!r}")


def _is_template_value(value) -> bool:
    """Template arguments are Allo types or compile-time numbers (language.md §7.3)."""
    return isinstance(value, (AlloType, numbers.Number)) and not isinstance(value, complex)


def bind_template(fn, targs) -> dict:
    """Bind template arguments to ``fn``'s PEP 695 type parameters (checking bounds)."""
    out = template_bindings(fn, targs)
    check_template_bounds(fn, targs)
    return out


def template_bindings(fn, targs) -> dict:
    """``{parameter name: argument}``; the count and the kind of every argument checked."""
    params = getattr(fn, "__type_params__", ())
    if len(targs) != len(params):
        raise AlloTypeError(
            f"type parameters mismatch: {fn.__name__} takes {len(params)}, got {len(targs)}")
    out = {}
    for k, (p, v) in enumerate(zip(params, targs)):
        if not _is_template_value(v):
            raise AlloTypeError(
                f"template argument {k + 1} ({p.__name__}) of {fn.__name__} must be an Allo type or "
                f"a number, got {type(v).__name__} {v!r}")
        out[p.__name__] = v
    return out


def check_template_bounds(fn, targs) -> None:
    """Every argument satisfies the bound of its parameter (``def k[T: Int]``), and the
    arguments together satisfy the kernel's ``__template_requires__`` conditions (Python
    expressions over the parameter names, e.g. ``"M % Mt == 0"``, set by library kernels)."""
    params = getattr(fn, "__type_params__", ())
    for p, v in zip(params, targs):
        bound = getattr(p, "__bound__", None)
        if bound is not None and not _satisfies(v, bound):
            raise AlloTypeError(f"Cannot resolve type {p.__name__} with {v}")
    bindings = {p.__name__: v for p, v in zip(params, targs)}
    for condition in getattr(fn, "__template_requires__", ()):
        if not eval(condition, {"__builtins__": {}}, dict(bindings)):  # noqa: S307 - kernel-author text
            names = set(re.findall(r"[A-Za-z_]\w*", condition))
            used = ", ".join(f"{k}={v}" for k, v in bindings.items() if k in names)
            raise AlloTypeError(f"{fn.__name__} needs {condition} ({used})")


def _satisfies(v, bound) -> bool:
    items = bound if isinstance(bound, tuple) else (bound,)
    for item in items:
        if isinstance(item, type) and issubclass(item, AlloType):
            if item.isinstance(v):
                return True
        elif isinstance(item, AlloType):
            if v == item or type(item).isinstance(v):
                return True
        elif v == item:
            return True
    return False


def _caller_frames():
    """``f_locals`` of the Python frames around the ``customize`` call, innermost first."""
    frames = []
    frame = inspect.currentframe()
    try:
        while frame is not None:
            mod = frame.f_globals.get("__name__", "")
            if not mod.startswith("allo.") and mod != "allo":
                frames.append(frame.f_locals)
            frame = frame.f_back
    finally:
        del frame
    return frames


def build_module(fn, instantiate=None, global_vars=None, context=None, enable_tensor=False,
                 lower_linalg=False, typing_rule_set="default", unroll=True, verbose=False,
                 frames=None) -> BuiltModule:
    """Compile kernel ``fn`` (and every kernel it calls) into a fresh MLIR module."""
    if isinstance(fn, pytypes.LambdaType) and getattr(fn, "__name__", "") == "<lambda>":
        src = KernelSource.of_function(fn)  # raises the located "Lambda" error
    if not (isinstance(fn, (pytypes.FunctionType, str))):
        named = f" {fn.__name__!r}" if isinstance(getattr(fn, "__name__", None), str) else ""
        raise AlloSyntaxError(f"customize expects a kernel function, got "
                              f"{type(fn).__name__}{named}", **caller_location())
    if not isinstance(typing_rule_set, str) or typing_rule_set not in RULE_SETS:
        raise AlloTypeError(f"unknown typing_rule_set {typing_rule_set!r}; the rule sets are "
                            + ", ".join(repr(r) for r in RULE_SETS))
    ctx = context or new_context()
    ctx.allow_unregistered_dialects = True
    options = {"typing_rule_set": typing_rule_set, "global_vars": global_vars,
               "frames": frames if frames is not None else _caller_frames(),
               "enable_tensor": enable_tensor, "lower_linalg": lower_linalg, "unroll": unroll,
               # the customized kernel's own module: kernels from elsewhere resolve names there
               "home_globals": fn.__globals__ if not isinstance(fn, str) else None}
    with ctx, ir.Location.unknown():
        module = ir.Module.create()
        mb = ModuleBuilder(ctx, module, options)
        src = KernelSource.of_function(fn)
        name = fn.__name__ if not isinstance(fn, str) else src.tree.name
        bindings, targs = {}, ()
        params = getattr(fn, "__type_params__", ()) if not isinstance(fn, str) else ()
        if params:
            # the template arguments are written at the user's customize(...) call: errors
            # about them stay unlocated here and customize locates them at that call; a
            # bound is written in the def, so a violated bound names the def line
            if instantiate is None:
                raise AlloTypeError(f"type parameters mismatch: {name} needs {len(params)} template arguments")
            targs = template_arguments(instantiate, name)
            bindings = template_bindings(fn, targs)
            try:
                check_template_bounds(fn, targs)
            except FrontendError as err:
                raise src.locate(err, src.tree, name) from err
        env = PyEnv(fn if not isinstance(fn, str) else None, options["frames"], global_vars,
                    bindings, options["home_globals"])
        mb.used_names.add(name)
        fb, info, ip = mb.compile(src, env, name, fn, "")
        key = (fn, _key(targs) if params else (), "")
        mb.instances[key] = info
        if params:
            mb.template_tuples[(fn, "")] = [_key(targs)]
        mb.in_progress.add(key)
        fb.build(ip)
        mb.in_progress.discard(key)
        try:
            module.operation.verify()
        except ir.MLIRError as err:  # a frontend bug, reported without an MLIR dump
            first = str(err).splitlines()[0] if str(err) else "verification failed"
            raise InternalError(f"the generated IR is invalid ({first})",
                                loc=SourceLoc.of_diagnostics(err)) from err
        raised: list = []
        if enable_tensor and mb.tensor_funcs:
            module, raised = _raise_to_tensors(module, mb.tensor_funcs)
        if verbose:
            print(module)
    return BuiltModule(module, ctx, name, mb.func_args, mb.ext_libs, tensor_ir=bool(raised),
                       tensor_funcs=tuple(raised))


def _raise_to_tensors(module, names):
    """``enable_tensor=True``: ``(copy, raised names)`` with the user's kernels ``names``
    raised to tensor-level IR (tensor_form.py) in a copy of ``module``; ``(module, [])`` with
    a warning when the raising does not apply to a construct (the kernels keep their buffers,
    which build to the same results)."""
    copy = ir.Module.parse(module.operation.get_asm(enable_debug_info=True))
    try:
        raised = raise_functions(copy, names)
        copy.operation.verify()
    except (ir.MLIRError, ValueError, KeyError, IndexError, TypeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        warn(f"enable_tensor=True: the kernels keep their buffer IR ({first})")
        return module, []
    return copy, raised
