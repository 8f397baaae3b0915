"""Tensor-level IR for ``customize(..., enable_tensor=True)`` (language.md §10.3).

The kernel is first built as usual (buffers), then each of the user's own kernels is raised
to values: array parameters and results become ``tensor<...>``, whole-array built-in ops
become ``linalg`` ops on tensors in destination style (``tensor.empty`` + op), constant
arrays become ``arith.constant dense<...>``, element reads ``tensor.extract``, slices
``tensor.extract_slice``, and calls between the user's kernels pass tensors. Scalars keep
their ``memref<T>`` cells.

A loop nest that computes one element per iteration (``A + B``, ``allo.relu``, ``allo.exp``)
becomes a ``linalg.generic`` on tensors, a slice copy a ``tensor.extract_slice``, a
concatenation two ``tensor.insert_slice`` (tensor_generic.py). Any other nest (reductions such as
``allo.softmax``, user loops) and every call to a kernel that stays on buffers (library
kernels, ``allo.library.nn``) keeps its loops on buffers, bridged to the tensor values around
it by ``bufferization.to_buffer`` (reads) and a fresh buffer closed by
``bufferization.to_tensor`` (writes): the tensor values stay immutable.

Builds go back to buffers with ``one-shot-bufferize`` (:mod:`allo.frontend.tensor_lower`).

>>> import allo
>>> from allo.ir.types import float32
>>> def mm(A: float32[4, 4], B: float32[4, 4]) -> float32[4, 4]:
...     return allo.matmul(A, B)
>>> mm.__module__ = "my_kernels"  # a user's kernel (those of allo.* are library ones)
>>> text = str(allo.customize(mm, enable_tensor=True).module)
>>> "tensor<4x4xf32>" in text and "linalg.matmul" in text
True
"""

from __future__ import annotations

from .._mlir import affine_d, arith_d, bufferization_d, func_d, ir, linalg_d, tensor_d
from ..mlir_utils import ops_named
from .tensor_generic import pointwise_generic

_LOADS = ("affine.load", "memref.load")
# ops that only read the buffer they are given at these operand positions
_READ_OPERANDS = {"affine.load": (0,), "memref.load": (0,), "memref.copy": (0,),
                  "memref.dim": (0,)}


def immutable_arrays(fn_object) -> bool:
    """Whether kernel ``fn_object`` is one of the user's own (its arrays are immutable with
    ``enable_tensor=True``): library kernels (``allo.*``) and generated sources (no function
    object, e.g. a PyTorch model's program) keep their buffers and loops.

    >>> import allo.library.nn as nn
    >>> immutable_arrays(None), immutable_arrays(nn.linear2d)
    (False, False)
    """
    module = getattr(fn_object, "__module__", None)
    return not (module is None or module == "allo" or module.startswith("allo."))


def attributes_of(op) -> dict:
    """``{name: attribute}`` of operation ``op``."""
    return {name: op.attributes[name] for name in op.attributes}


def is_array_memref(t) -> bool:
    """Whether ``t`` is a ranked ``memref`` of rank ≥ 1 (an array, not a scalar cell)."""
    return isinstance(t, ir.MemRefType) and ir.MemRefType(t).rank >= 1


def tensor_type_of(t):
    """The ``tensor`` type with the shape and element type of memref type ``t``."""
    m = ir.MemRefType(t)
    return ir.RankedTensorType.get(m.shape, m.element_type)


def buffer_type_of(t):
    """The identity-layout ``memref`` type with the shape and element type of ``t``."""
    s = ir.ShapedType(t)
    return ir.MemRefType.get(s.shape, s.element_type)


def inside(op, ancestor) -> bool:
    """Whether operation ``op`` is ``ancestor`` or nested in one of its regions."""
    target = ancestor.operation
    current = op.operation
    while current is not None:
        if current == target:
            return True
        parent = current.parent
        current = None if parent is None else parent.operation
    return False


def linalg_outputs(op) -> range:
    """Operand positions of the ``outs`` of a linalg op (its destination buffers)."""
    if "operandSegmentSizes" in op.attributes:
        sizes = list(ir.DenseI32ArrayAttr(op.attributes["operandSegmentSizes"]))
        return range(sizes[0], sizes[0] + sizes[1])
    if op.name in ("linalg.yield", "linalg.index"):
        return range(0)
    return range(len(op.operands) - 1, len(op.operands))  # transpose, broadcast: (in, init)


def writes_operand(owner, number: int) -> bool:
    """Whether ``owner`` may write the buffer at operand ``number`` (unknown ops: yes; a
    call: when the callee may write that parameter)."""
    name = owner.operation.name
    if name == "func.call":
        return callee_writes(owner.operation, number)
    if name in ("affine.store", "memref.store"):
        return number == 1
    if name.startswith("linalg."):
        return number in linalg_outputs(owner.operation)
    return number not in _READ_OPERANDS.get(name, ())


def callee_writes(call, number: int) -> bool:
    """Whether the function ``call`` calls may write its parameter ``number`` (``True`` when
    the callee's body is not in the module)."""
    callee = ir.FlatSymbolRefAttr(call.attributes["callee"]).value
    module = call.parent
    while module is not None and module.operation.name != "builtin.module":
        module = module.parent
    if module is None:
        return True
    try:
        fop = ir.SymbolTable(module.operation)[callee]
    except KeyError:
        return True
    if not len(fop.regions) or not len(fop.regions[0].blocks):
        return True
    arg = fop.regions[0].blocks[0].arguments[number]
    return any(u.owner.operation.name == "func.call" or
               writes_operand(u.owner, u.operand_number) for u in arg.uses)


def raise_functions(module, names) -> list[str]:
    """Raise the functions ``names`` of ``module`` to tensor form, in place.

    A function called from one that stays on buffers stays on buffers too (its callers pass
    buffers). Returns the names raised.
    """
    funcs = {op.attributes["sym_name"].value: op for op in module.body.operations
             if op.operation.name == "func.func"}
    chosen = {n for n in names if n in funcs and not uses_memory_spaces(funcs[n])}
    changed = True
    while changed:
        changed = False
        for caller, fop in funcs.items():
            if caller in chosen:
                continue
            for callee in called_names(fop):
                if callee in chosen:
                    chosen.discard(callee)
                    changed = True
    for name in funcs:
        if name in chosen:
            FunctionRaiser(funcs[name], chosen, module).run()
    return sorted(chosen)


def uses_memory_spaces(fop) -> bool:
    """Whether ``fop`` has an array placed by ``allo.Memory`` (a memref memory space, which
    tensors do not carry: such a kernel keeps its buffers)."""
    found = []

    def placed(t) -> bool:
        return isinstance(t, ir.MemRefType) and t.memory_space is not None

    def visit(op):
        if any(placed(r.type) for r in op.results) or \
                any(placed(a.type) for region in op.regions for block in region.blocks
                    for a in block.arguments):
            found.append(op)
            return ir.WalkResult.INTERRUPT
        return ir.WalkResult.ADVANCE

    fop.operation.walk(visit)
    return bool(found)


def called_names(fop) -> set[str]:
    """Names of the functions ``func.call``-ed anywhere in ``fop``."""
    return {ir.FlatSymbolRefAttr(op.attributes["callee"]).value
            for op in ops_named(fop.operation, "func.call")}


class FunctionRaiser:
    """Raises one ``func.func`` from buffers to tensors (see the module docstring).

    ``current`` maps every tracked array buffer of the function (allocs, parameters,
    constants, read-only views, call results) to the tensor value holding its contents at
    the point being rewritten, or ``None`` while a fresh alloc has no contents yet.
    """

    def __init__(self, fop, tensor_funcs: set, module):
        self.fop = fop
        self.block = fop.regions[0].blocks[0]
        self.tensor_funcs = tensor_funcs
        self.module = module
        self.current: dict = {}

    def run(self) -> None:
        """Rewrite the body, then the signature; drop buffers nothing uses any more."""
        arg_types = self._raise_parameters()
        result_types = None
        for op in list(self.block.operations):
            if op.operation.name == "func.return":
                result_types = self._raise_return(op)
            else:
                self._raise_op(op)
        self._drop_unused()
        results = result_types if result_types is not None else []
        self.fop.attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get(arg_types, results))

    # ------------------------------------------------------------------ values
    def tensor_of(self, buf, before):
        """The tensor holding ``buf``'s contents (a ``tensor.empty`` before any write)."""
        value = self.current[buf]
        if value is None:
            shaped = ir.ShapedType(buf.type)
            empty = tensor_d.EmptyOp(list(shaped.shape), shaped.element_type,
                                     loc=before.location, ip=ir.InsertionPoint(before))
            value = empty.result
            self.current[buf] = value
        return value

    def fresh_name(self, buf):
        """The ``name`` of alloc ``buf`` while it has no contents yet (its first writer
        carries it, so the buffer made for it at build time gets it back), else ``None``."""
        if self.current.get(buf, 0) is not None or not self._is_alloc(buf):
            return None
        attrs = buf.owner.operation.attributes
        return attrs["name"] if "name" in attrs else None

    def bridge(self, value, before, loc):
        """A read-only buffer view of tensor ``value`` (``bufferization.to_buffer``)."""
        op = bufferization_d.ToBufferOp(buffer_type_of(value.type), value, read_only=True,
                                        loc=loc, ip=ir.InsertionPoint(before))
        return op.result

    def _track_result(self, old, new) -> None:
        """Let buffer ``old`` (a call result) stand for tensor ``new`` from now on."""
        if not is_array_memref(old.type):
            old.replace_all_uses_with(new)
            return
        handle = bufferization_d.ToBufferOp(old.type, new, read_only=True,
                                            loc=new.owner.location,
                                            ip=ir.InsertionPoint(new.owner))
        handle.operation.move_after(new.owner)
        old.replace_all_uses_with(handle.result)
        self.current[handle.result] = new

    # ------------------------------------------------------------------ boundary
    def _raise_parameters(self) -> list:
        types = []
        first = self.block.operations[0] if len(self.block.operations) else None
        for arg in self.block.arguments:
            if not is_array_memref(arg.type):
                types.append(arg.type)
                continue
            buf_type = arg.type
            arg.set_type(tensor_type_of(buf_type))
            handle = bufferization_d.ToBufferOp(buf_type, arg, read_only=True,
                                                loc=self.fop.location,
                                                ip=ir.InsertionPoint(first))
            arg.replace_all_uses_except(handle.result, handle.operation)
            self.current[handle.result] = arg
            types.append(arg.type)
        return types

    def _raise_return(self, op) -> list:
        operands = [self.tensor_of(v, op) if v in self.current else v for v in op.operands]
        func_d.ReturnOp(operands, loc=op.location, ip=ir.InsertionPoint(op))
        op.operation.erase()
        return [v.type for v in operands]

    # ------------------------------------------------------------------ ops
    def _raise_op(self, op) -> None:
        name = op.operation.name
        results = op.operation.results
        if name == "memref.alloc" and is_array_memref(results[0].type):
            self.current[results[0]] = None
        elif name == "memref.get_global" and is_array_memref(results[0].type):
            self._raise_global(op)
        elif name.startswith("linalg.") and name != "linalg.generic" and self._all_tracked(op):
            self._raise_linalg(op)
        elif name == "memref.copy" and self._all_tracked(op):
            src, dst = op.operands
            if self.current[src] is not None or self.current[dst] is None:
                self.current[dst] = self.current[src]
                op.operation.erase()
            else:
                self._bridge_op(op)
        elif name == "memref.subview" and op.operands[0] in self.current \
                and not self._written(results[0]):
            self._raise_subview(op)
        elif name in _LOADS and op.operands[0] in self.current:
            self._raise_load(op)
        elif name == "func.call" and self._calls_tensor_func(op):
            self._raise_call(op)
        elif self._uses_tracked(op):
            if not pointwise_generic(self, op):
                self._bridge_op(op)

    def _all_tracked(self, op) -> bool:
        return all(v in self.current for v in op.operands if isinstance(v.type, ir.MemRefType))

    def _written(self, value) -> bool:
        return any(writes_operand(u.owner, u.operand_number) for u in value.uses)

    def _uses_tracked(self, op) -> bool:
        found = []

        def visit(inner):
            if any(v in self.current for v in inner.operands):
                found.append(inner)
                return ir.WalkResult.INTERRUPT
            return ir.WalkResult.ADVANCE

        op.operation.walk(visit)
        return bool(found)

    def _calls_tensor_func(self, op) -> bool:
        return ir.FlatSymbolRefAttr(op.attributes["callee"]).value in self.tensor_funcs

    def _raise_global(self, op) -> None:
        symbol = ir.FlatSymbolRefAttr(op.attributes["name"]).value
        glob = ir.SymbolTable(self.module.operation)[symbol]
        result = op.operation.results[0]
        init = glob.attributes["initial_value"] if "initial_value" in glob.attributes else None
        if init is None or not isinstance(init, ir.DenseElementsAttr):
            self.current[result] = None
            return
        const = arith_d.ConstantOp(tensor_type_of(result.type), init, loc=op.location,
                                   ip=ir.InsertionPoint(op))
        for attr in ("allo.type", "unsigned"):
            if attr in glob.attributes:
                const.operation.attributes[attr] = glob.attributes[attr]
        self.current[result] = const.result

    def _raise_linalg(self, op) -> None:
        """A named linalg op on buffers → the same op on tensors, returning its outs."""
        old = op.operation
        outs = linalg_outputs(old)
        names = [self.fresh_name(old.operands[k]) for k in outs]
        operands, result_types, targets = [], [], []
        for k, v in enumerate(old.operands):
            if not isinstance(v.type, ir.MemRefType):
                operands.append(v)
                continue
            t = self.tensor_of(v, old)
            operands.append(t)
            if k in outs:
                result_types.append(t.type)
                targets.append(v)
        attrs = attributes_of(old)
        new = ir.Operation.create(old.name, results=result_types, operands=operands,
                                  attributes=attrs, regions=len(old.regions),
                                  loc=old.location, ip=ir.InsertionPoint(old))
        linalg_d.fill_builtin_region(new)
        if names and names[0] is not None:
            new.attributes["name"] = names[0]
        for buf, value in zip(targets, new.results):
            self.current[buf] = value
        old.erase()

    def _raise_subview(self, op) -> None:
        """A read-only view → ``tensor.extract_slice`` of the viewed value."""
        old = op.operation
        source = self.tensor_of(old.operands[0], old)
        attrs = attributes_of(old)
        result_type = tensor_type_of(old.results[0].type)
        new = ir.Operation.create("tensor.extract_slice", results=[result_type],
                                  operands=[source] + list(old.operands)[1:], attributes=attrs,
                                  loc=old.location, ip=ir.InsertionPoint(old))
        self.current[old.results[0]] = new.results[0]

    def _raise_load(self, op) -> None:
        """An element read outside loops → ``tensor.extract``."""
        old = op.operation
        ip = ir.InsertionPoint(old)
        source = self.tensor_of(old.operands[0], old)
        indices = list(old.operands)[1:]
        if old.name == "affine.load":
            indices = affine_indices(old, indices, ip)
        new = tensor_d.ExtractOp(source, indices, loc=old.location, ip=ip)
        for name, attr in attributes_of(old).items():
            if name != "map":
                new.operation.attributes[name] = attr
        old.results[0].replace_all_uses_with(new.result)
        old.erase()

    def _raise_call(self, op) -> None:
        old = op.operation
        operands = [self.tensor_of(v, old) if v in self.current else v for v in old.operands]
        types = [tensor_type_of(r.type) if is_array_memref(r.type) else r.type
                 for r in old.results]
        attrs = attributes_of(old)
        new = ir.Operation.create("func.call", results=types, operands=operands,
                                  attributes=attrs, loc=old.location, ip=ir.InsertionPoint(old))
        for r_old, r_new in zip(old.results, new.results):
            self._track_result(r_old, r_new)
        old.erase()

    # ------------------------------------------------------------------ bridges
    def _bridge_op(self, op) -> None:
        """Keep ``op`` on buffers: read tracked values through ``to_buffer``, write into a
        fresh buffer (or the still-empty alloc itself) closed by ``to_tensor`` after it."""
        uses: dict = {}
        for buf in list(self.current):
            sites = [(u.owner, u.operand_number) for u in buf.uses if inside(u.owner, op)]
            if sites:
                uses[buf] = sites
        loc = op.location
        for buf, sites in uses.items():
            written = any(writes_operand(owner, n) for owner, n in sites)
            if not written:
                if self.current[buf] is not None:
                    replacement = self.bridge(self.current[buf], op, loc)
                    for owner, n in sites:
                        owner.operands[n] = replacement
                continue
            target = buf
            if self.current[buf] is not None or not self._is_alloc(buf):
                target = self._writable_copy(buf, op, loc)
                for owner, n in sites:
                    owner.operands[n] = target
            closing = bufferization_d.ToTensorOp(tensor_type_of(target.type), target,
                                                 restrict=True, writable=True, loc=loc,
                                                 ip=ir.InsertionPoint(op))
            closing.operation.move_after(op.operation)
            self.current[buf] = closing.result
        for result in op.operation.results:
            if is_array_memref(result.type):
                self._track_buffer_result(result, op)

    def _track_buffer_result(self, result, op) -> None:
        """An array made by a bridged op (a library call's result) becomes a tensor value."""
        value = bufferization_d.ToTensorOp(tensor_type_of(result.type), result, restrict=True,
                                           loc=op.location, ip=ir.InsertionPoint(op))
        value.operation.move_after(op.operation)
        self.current[result] = value.result

    def _is_alloc(self, buf) -> bool:
        owner = buf.owner
        return not isinstance(owner, ir.Block) and owner.operation.name == "memref.alloc"

    def _writable_copy(self, buf, before, loc):
        """A fresh buffer holding ``buf``'s current contents, for an op that writes it."""
        ip = ir.InsertionPoint(before)
        fresh = ir.Operation.create("memref.alloc", results=[buffer_type_of(buf.type)],
                                    operands=[], loc=loc, ip=ip,
                                    attributes={"operandSegmentSizes":
                                                ir.DenseI32ArrayAttr.get([0, 0])})
        if self.current[buf] is not None:
            src = self.bridge(self.current[buf], before, loc)
            ir.Operation.create("memref.copy", operands=[src, fresh.results[0]], loc=loc, ip=ip)
        return fresh.results[0]

    def _drop_unused(self) -> None:
        """Erase buffers and bridges left without uses (their values live on as tensors)."""
        for op in reversed(list(self.block.operations)):
            name = op.operation.name
            if name in ("memref.alloc", "memref.get_global", "memref.subview",
                        "bufferization.to_buffer") and \
                    all(len(list(r.uses)) == 0 for r in op.operation.results) and \
                    op.operation.results[0] in self.current:
                op.operation.erase()


def affine_indices(load, operands: list, ip) -> list:
    """The index values an ``affine.load`` reads at: one ``affine.apply`` per map result
    (the operand itself for a plain dimension)."""
    amap = ir.AffineMapAttr(load.attributes["map"]).value
    indices = []
    for expr in amap.results:
        if isinstance(expr, ir.AffineDimExpr):
            indices.append(operands[ir.AffineDimExpr(expr).position])
            continue
        single = ir.AffineMap.get(amap.n_dims, amap.n_symbols, [expr])
        indices.append(affine_d.AffineApplyOp(single, operands, ip=ip).result)
    return indices
