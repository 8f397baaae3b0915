"""Building a dataflow region: its top function and one function per kernel instance.

:class:`RegionTopBuilder` compiles the region body: each stream declaration becomes a
``memref.alloc`` in memory space ``"stream:<depth>"`` (one per element of a stream array,
named ``<name>_<i>_<j>``), each ``@df.kernel`` one :class:`InstanceBuilder` per pid (row-major)
and a ``func.call`` of it. An instance takes the kernel's parameters, then the region streams
it uses in order of first use: those are added to the function as block arguments when the
body first touches them, and given their final type (capacity = number of ``put``s of the
writer, as for stream locals, docs/ir.md) once every instance is built. Instances whose body
is empty are deleted. A kernel calling a region instantiates it with the instance's suffix.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass, field

from .._mlir import func_d, ir, memref_d, new_context
from .. import language as lang
from ..errors import AlloSyntaxError, AlloTypeError
from . import memory as mem
from .annotations import eval_compile_time
from .builder import ModuleBuilder, _caller_frames
from .casting import constant, tag_buffer
from .calls import CallLowering
from .expressions import ExpressionVisitor
from .function import FunctionBuilder, _sign_char
from .module import BuiltModule
from .regions import (KernelDecl, RegionDecl, RegionFunction, StreamDecl, instance_pids,
                      is_region, parse_region, pid_suffix)
from .scalars import const_val
from .statements import StatementVisitor
from .streams import StreamLowering
from .symbols import Sym
from .types import Stream, index as index_t
from .values import Val

__all__ = ["build_region_module", "build_region_function"]


@dataclass
class StreamElement:
    """One FIFO of a region: its alloc in the region function and the instances using it."""

    name: str
    stream: Stream
    alloc: object  # the memref.alloc op
    writer: str | None = None
    reader: str | None = None
    puts: int | None = 0  # None: not known at compile time
    uses: list = field(default_factory=list)  # (func op, argument index)


def _stream_type(stream: Stream, capacity: int) -> "ir.MemRefType":
    space = ir.Attribute.parse(f'"stream:{stream.depth}"')
    return ir.MemRefType.get([capacity] + list(stream.shape), stream.dtype.build(),
                             memory_space=space)


class RegionStatements(StatementVisitor):
    """The statements of a region body: stream declarations and ``@df.kernel`` definitions
    (``parse_region`` has refused everything else)."""

    def visit_block(self, stmts, new_scope=True):
        if self.ctx.func_op is not None and stmts is self.ctx.src.tree.body:
            self._parts.check_params()
        super().visit_block(stmts, new_scope)

    def visit_stmt(self, node):
        top = self._parts
        try:
            with self.ctx.location(node):
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    decl = next(s for s in top.decl.streams if s.node is node)
                    top.declare_region_stream(decl)
                elif isinstance(node, ast.FunctionDef):
                    kdecl = next(k for k in top.decl.kernels if k.node is node)
                    top.instantiate(kdecl)
        except Exception as err:  # noqa: BLE001 - located at the statement (first wins)
            raise self.ctx.src.locate(err, node, self.ctx.func_name) from None


class RegionTopBuilder(FunctionBuilder):
    """The region's own function: stream allocations and one call per kernel instance."""

    def __init__(self, module_builder, decl: RegionDecl, func_name: str, suffix: str):
        super().__init__(module_builder, decl.src, decl.env, func_name)
        self.stmts = RegionStatements(self.ctx, self)
        self.decl = decl
        self.instance_suffix = suffix  # appended to every instance name (hierarchy)
        self.elements: dict[str, StreamElement] = {}
        self.stream_syms: dict[str, Val] = {}

    # ---------------------------------------------------------------- body
    def build(self, insertion_point):
        info = super().build(insertion_point)
        attrs = self.ctx.func_op.attributes
        attrs["dataflow"] = ir.UnitAttr.get()
        attrs["allo.region"] = ir.UnitAttr.get()
        self._finalize_elements()
        return info

    def check_params(self):
        """A region takes arrays only (located at the region's ``def``)."""
        src = self.ctx.src
        for pname, ptype in self.ctx.info.params:
            if not ptype.shape:
                raise AlloTypeError(f"region parameter '{pname}' is a scalar; a region takes "
                                    "arrays only", src.filename, src.abs_line(src.tree),
                                    self.ctx.func_name, src.source_line(src.tree))

    # ---------------------------------------------------------------- streams
    def declare_region_stream(self, decl: StreamDecl):
        """Allocate the FIFO(s) of ``decl``; kernels bind them when they first use them."""
        stream = decl.stream
        if not isinstance(stream.depth, int) or isinstance(stream.depth, bool) or stream.depth < 1:
            raise AlloTypeError(f"stream '{decl.name}' needs a positive integer depth, got "
                                f"{stream.depth!r}")
        if decl.name in self.stream_syms:
            raise AlloSyntaxError(f"stream '{decl.name}' is declared twice")
        if not decl.shape:
            self.stream_syms[decl.name] = self._element(decl.name, stream)
            return
        elements = {}
        for idx in itertools.product(*(range(d) for d in decl.shape)):
            name = "_".join([decl.name] + [str(i) for i in idx])
            elements[idx] = self._element(name, stream)
        self.stream_syms[decl.name] = Val(None, stream, tuple(decl.shape), name=decl.name,
                                          extra={"streams": elements})

    def _element(self, name: str, stream: Stream) -> Val:
        """Allocate one FIFO of the region; the Val kernels see until they bind it."""
        op = memref_d.AllocOp(_stream_type(stream, 1), [], [])
        op.attributes["name"] = ir.StringAttr.get(name)
        if stream.shape:
            op.attributes["allo.stream_block"] = ir.UnitAttr.get()
        tag_buffer(op, stream.dtype)
        elem = StreamElement(name, stream, op)
        self.elements[name] = elem
        return Val(None, stream.dtype, tuple(stream.shape), name=name,
                   extra={"stream": stream, "region_element": elem})

    def _finalize_elements(self):
        """Final stream types; unused streams removed."""
        touched = set()
        block_args: dict = {}  # func op -> argument indices that are block streams
        for elem in self.elements.values():
            if elem.writer is None and elem.reader is None:
                elem.alloc.operation.erase()
                continue
            capacity = elem.puts if elem.puts else elem.stream.depth
            mtype = _stream_type(elem.stream, max(1, capacity))
            elem.alloc.result.set_type(mtype)
            for func_op, k in elem.uses:
                func_op.regions[0].blocks[0].arguments[k].set_type(mtype)
                touched.add(func_op)
                if elem.stream.shape:
                    block_args.setdefault(func_op, set()).add(k)
        for func_op in touched:
            _retype_function(func_op)
        # the HLS emitter tells a block stream parameter (one block per FIFO slot) from a
        # multi-dimensional stream of scalars (s.to) by this list
        i64 = ir.IntegerType.get_signless(64)
        for func_op, ks in block_args.items():
            func_op.attributes["allo.block_streams"] = ir.ArrayAttr.get(
                [ir.IntegerAttr.get(i64, k) for k in sorted(ks)])

    # ---------------------------------------------------------------- kernels
    def instantiate(self, kdecl: KernelDecl):
        """One function per pid of ``kdecl`` and its call (instances with empty bodies are
        dropped)."""
        mb = self.ctx.module_builder
        for pid in instance_pids(kdecl.mapping):
            name = mb.unique_func_name(kdecl.name + pid_suffix(pid) + self.instance_suffix)
            ib = InstanceBuilder(mb, self.ctx.src.nested(kdecl.node), self.ctx.env, name, self,
                                 kdecl, pid)
            info = ib.signature()
            self._check_args(kdecl, info)
            mb.func_args[name] = [p for p, _ in info.params]
            ib.build(ir.InsertionPoint(self.ctx.func_op))
            if _is_empty(ib.ctx.func_op):
                ib.ctx.func_op.operation.erase()
                del mb.func_args[name]
                continue
            ib.finish_signature()
            operands = [self.ctx.scopes.lookup(a).val.value for a in kdecl.args]
            operands += [elem.alloc.result for elem in ib.bound_order]
            func_d.CallOp([], ir.FlatSymbolRefAttr.get(name), operands)

    def _check_args(self, kdecl: KernelDecl, info):
        region_params = dict(self.ctx.info.params)
        region_types = dict(zip([p for p, _ in self.ctx.info.params], self.ctx.info.arg_types))
        if info.results:
            raise AlloTypeError(f"kernel '{kdecl.name}' returns a value; kernels write their "
                                "results into region arrays or streams")
        if len(kdecl.args) != len(info.params):
            raise AlloTypeError(f"kernel '{kdecl.name}' has {len(info.params)} parameter(s) but "
                                f"args= passes {len(kdecl.args)}")
        for k, (arg, (pname, ptype)) in enumerate(zip(kdecl.args, info.params)):
            rtype = region_params[arg]
            if not ptype.shape:
                raise AlloTypeError(f"parameter '{pname}' of kernel '{kdecl.name}' is a scalar; "
                                    "kernels take region arrays only")
            if tuple(ptype.shape) != tuple(rtype.shape) or ptype.dtype != rtype.dtype \
                    or info.arg_types[k] != region_types[arg]:
                raise AlloTypeError(
                    f"args of kernel '{kdecl.name}': region parameter '{arg}' is "
                    f"{rtype.dtype}{list(rtype.shape)} but parameter '{pname}' is "
                    f"{ptype.dtype}{list(ptype.shape)}")


class InstanceStatements(StatementVisitor):
    """Statements of a kernel instance: ``i, j = df.get_pid()`` binds compile-time names."""

    def _is_get_pid(self, node) -> bool:
        if not isinstance(node, ast.Call):
            return False
        try:
            return eval_compile_time(node.func, self.ctx.compile_env()) is lang.get_pid
        except Exception:  # noqa: BLE001 - not a compile-time callee
            return False

    def stmt_Assign(self, node):
        """``i, j = df.get_pid()`` binds compile-time names (usable in ``meta_if``)."""
        if len(node.targets) != 1 or not self._is_get_pid(node.value):
            return super().stmt_Assign(node)
        inst = self._parts
        target = node.targets[0]
        if isinstance(target, (ast.Tuple, ast.List)):
            if not isinstance(inst.pid, tuple) or len(target.elts) != len(inst.pid):
                rank = len(inst.pid) if isinstance(inst.pid, tuple) else 1
                raise AlloTypeError(f"get_pid() of kernel '{inst.kernel.name}' gives {rank} "
                                    f"coordinate(s), unpacked into {len(target.elts)} names")
            pairs = list(zip(target.elts, inst.pid))
        else:
            pairs = [(target, inst.pid)]
        scopes = self.ctx.scopes
        for t, value in pairs:
            if not isinstance(t, ast.Name):
                raise AlloSyntaxError("get_pid() results are bound to plain names")
            if scopes.lookup(t.id) is not None and scopes.lookup(t.id).kind != "stream":
                raise AlloSyntaxError(f"cannot rebind '{t.id}' to get_pid()")
            scopes.declare(t.id, Sym("const", Val(None, None, const=value), py=value))
        return None


class InstanceExpressions(ExpressionVisitor):
    """Names of a kernel instance: region parameters reach it only through ``args=``."""

    def expr_Name(self, node):
        inst = self._parts
        if self.ctx.scopes.lookup(node.id) is None and node.id in inst.top.decl.params:
            raise AlloSyntaxError(
                f"kernel '{inst.kernel.name}' uses region parameter '{node.id}' directly; pass "
                f"it with args=[...] and use the kernel's own parameter")
        return super().expr_Name(node)


class InstanceCalls(CallLowering):
    """Calls in a kernel instance: ``df.get_pid()`` and calls of (sub-)regions."""

    def call_allo_builtin(self, name, node):
        if name == "get_pid":
            if node.args or node.keywords:
                raise AlloSyntaxError("get_pid() takes no arguments")
            pid = self._parts.pid
            return Val(None, None, const=pid) if isinstance(pid, tuple) else const_val(pid)
        return super().call_allo_builtin(name, node)

    def call_region(self, region, node, template_slice=None):
        """Instantiate ``region`` under this instance's suffix and call it."""
        if node.keywords:
            raise AlloSyntaxError("keyword arguments are not supported in region calls")
        rf = region
        if template_slice is not None:
            items = template_slice.elts if isinstance(template_slice, ast.Tuple) else [template_slice]
            rf = RegionFunction(region.fn, tuple(eval_compile_time(i, self.ctx.compile_env())
                                                 for i in items))
        args = [self.exprs.visit_expr(a) for a in node.args]
        info = build_region_function(self.ctx.module_builder, rf, self._parts.instance_suffix,
                                     insert_before=self.ctx.func_op)
        return self.call_function(info, args)


class InstanceStreams(StreamLowering):
    """Streams of a kernel instance: a region stream becomes a parameter of the instance
    the first time it is used, and the instance becomes its one writer or reader."""

    def stream_put(self, stream, args):
        return super().stream_put(self._bind(stream, "put"), args)

    def stream_get(self, stream, args):
        return super().stream_get(self._bind(stream, "get"), args)

    def _bind(self, stream: Val, direction: str) -> Val:
        elem = stream.extra.get("region_element")
        if elem is None:
            return stream
        inst = self._parts
        func_name = self.ctx.func_name
        previous = inst.directions.get(elem.name)
        if previous is not None and previous != direction:
            raise AlloTypeError(f"stream '{elem.name}' is both written and read by kernel "
                                f"instance '{func_name}'; a stream connects two instances")
        inst.directions[elem.name] = direction
        other = elem.writer if direction == "put" else elem.reader
        if other is not None and other != func_name:
            role = "written" if direction == "put" else "read"
            raise AlloTypeError(f"stream '{elem.name}' is {role} by both '{other}' and "
                                f"'{func_name}'; each stream has one writing and one "
                                "reading instance")
        if direction == "put":
            elem.writer = func_name
        else:
            elem.reader = func_name
        if elem.name in inst.bound:
            return inst.bound[elem.name]
        return self._new_parameter(elem)

    def _new_parameter(self, elem: StreamElement) -> Val:
        """Add ``elem`` as a block argument of the instance, with its read/write counters."""
        inst = self._parts
        entry = self.ctx.func_op.regions[0].blocks[0]
        arg = entry.add_argument(_stream_type(elem.stream, 1), ir.Location.unknown())
        elem.uses.append((self.ctx.func_op, len(entry.arguments) - 1))
        counters = []
        with ir.InsertionPoint.at_block_begin(entry):
            for _ in range(2):
                c = mem.alloc(index_t, ())
                c.owner.attributes["allo.stream_counter"] = ir.UnitAttr.get()
                mem.store(constant(0, index_t), Val(c, index_t), [])
                counters.append(Val(c, index_t))
        val = Val(arg, elem.stream.dtype, tuple(elem.stream.shape), name=elem.name,
                  extra={"stream": elem.stream, "write_pos": counters[0],
                         "read_pos": counters[1]})
        inst.bound[elem.name] = val
        inst.bound_order.append(elem)
        self.stream_puts[elem.name] = [val, 0]
        return val

    def _count_put(self, stream: Val):
        if stream.name not in self._parts.bound:
            return super()._count_put(stream)
        count = 1
        for trips in self.ctx.trip_counts:
            count = None if trips is None or count is None else count * trips
        entry = self.stream_puts[stream.name]
        entry[1] = None if entry[1] is None or count is None else entry[1] + count
        return None

    def finalize_streams(self):
        inst = self._parts
        for name in inst.bound:
            _, puts = self.stream_puts.pop(name)
            if inst.directions.get(name) == "put":
                inst.top.elements[name].puts = puts
        super().finalize_streams()


class InstanceBuilder(FunctionBuilder):
    """One kernel instance: pid-specialised body; region streams become parameters."""

    def __init__(self, module_builder, src, env, func_name, top: RegionTopBuilder,
                 kdecl: KernelDecl, pid):
        super().__init__(module_builder, src, env, func_name)
        self.stmts = InstanceStatements(self.ctx, self)
        self.exprs = InstanceExpressions(self.ctx, self)
        self.calls = InstanceCalls(self.ctx, self)
        self.streams = InstanceStreams(self.ctx, self)
        self.top = top
        self.kernel = kdecl
        self.pid = pid
        self.instance_suffix = pid_suffix(pid) + top.instance_suffix
        self.bound: dict[str, Val] = {}
        self.bound_order: list[StreamElement] = []
        self.directions: dict[str, str] = {}
        for sname, val in top.stream_syms.items():
            self.ctx.scopes.declare(sname, Sym("stream", val))

    def finish_signature(self):
        """Append the bound streams to the signature attributes (function type is set once
        the capacities are known)."""
        attrs = self.ctx.func_op.attributes
        chars = ir.StringAttr(attrs["itypes"]).value
        names = [a for a in ir.ArrayAttr(attrs["allo.itypes"])]
        for elem in self.bound_order:
            chars += _sign_char(elem.stream.dtype)
            names.append(ir.StringAttr.get(elem.stream.dtype.name))
        attrs["itypes"] = ir.StringAttr.get(chars)
        attrs["allo.itypes"] = ir.ArrayAttr.get(names)
        attrs["allo.kernel"] = ir.StringAttr.get(self.kernel.name)
        self.ctx.module_builder.func_args[self.ctx.func_name] += [e.name for e in self.bound_order]
        _retype_function(self.ctx.func_op)


def _is_empty(func_op) -> bool:
    ops = list(func_op.regions[0].blocks[0].operations)
    return len(ops) == 1 and ops[0].operation.name == "func.return"


def _retype_function(func_op) -> None:
    ftype = ir.FunctionType(ir.TypeAttr(func_op.attributes["function_type"]).value)
    inputs = [a.type for a in func_op.regions[0].blocks[0].arguments]
    func_op.attributes["function_type"] = ir.TypeAttr.get(
        ir.FunctionType.get(inputs, list(ftype.results)))


def build_region_function(mb: ModuleBuilder, rf: RegionFunction, suffix: str,
                          insert_before=None):
    """Compile region ``rf`` (named ``<region><suffix>``) and its instances into ``mb``."""
    decl = parse_region(rf, mb.options.get("frames"), mb.options.get("global_vars"))
    name = mb.unique_func_name(decl.name + suffix)
    tb = RegionTopBuilder(mb, decl, name, suffix)
    info = tb.signature()
    mb.func_args[name] = [p for p, _ in info.params]
    ip = ir.InsertionPoint(insert_before) if insert_before is not None \
        else ir.InsertionPoint(mb.module.body)
    tb.build(ip)
    return info


def build_region_module(rf: RegionFunction, global_vars=None, context=None,
                        enable_tensor: bool = False, typing_rule_set: str = "default",
                        frames=None, verbose: bool = False) -> BuiltModule:
    """Compile region ``rf`` and all its kernel instances into a fresh MLIR module."""
    if not is_region(rf):
        raise AlloSyntaxError(f"expected a @df.region() function, got {type(rf).__name__}")
    ctx = context or new_context()
    ctx.allow_unregistered_dialects = True
    options = {"typing_rule_set": typing_rule_set, "global_vars": global_vars,
               "frames": frames if frames is not None else _caller_frames(),
               "enable_tensor": enable_tensor, "lower_linalg": False, "unroll": True,
               "home_globals": rf.fn.__globals__}
    with ctx, ir.Location.unknown():
        module = ir.Module.create()
        mb = ModuleBuilder(ctx, module, options)
        info = build_region_function(mb, rf, "")
        try:
            module.operation.verify()
        except ir.MLIRError as err:  # a frontend bug, reported without an MLIR dump
            first = str(err).splitlines()[0] if str(err) else "verification failed"
            raise AlloSyntaxError(f"internal error: the generated IR is invalid ({first})") \
                from None
        if verbose:
            print(module)
    return BuiltModule(module, ctx, info.name, mb.func_args, mb.ext_libs)
