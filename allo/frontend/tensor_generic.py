"""Element-wise loop nests → ``linalg.generic`` (slice copies: ``tensor.extract_slice``) on
tensors (``enable_tensor=True``).

A whole-array op such as ``A + B``, ``allo.relu(A)``, ``allo.exp(A)`` or a slice copy is built
as one perfectly nested ``affine.for`` nest (``0..N`` step 1 per dimension) whose innermost
body reads input elements at affine positions of the loop variables, computes with pure
``arith``/``math`` ops and stores one element at ``out[i, j, ...]``. Such a nest is exactly a
``linalg.generic`` with one input per read (its access map), an identity output map and
parallel iterators; :func:`pointwise_generic` rewrites it so when every buffer involved is a
tensor value of the function being raised (:class:`~allo.frontend.tensor_form.FunctionRaiser`).

>>> # out = A + B on 4x4 arrays becomes
>>> # %e = tensor.empty() : tensor<4x4xf32>
>>> # %r = linalg.generic {indexing_maps = [id, id, id], iterator_types = [parallel, parallel]}
>>> #        ins(%A, %B : ...) outs(%e : ...) {^bb0(%a, %b, %o): linalg.yield (%a + %b)}
"""

from __future__ import annotations

from .._mlir import ir, linalg_d, tensor_d

_PURE_PREFIXES = ("arith.", "math.")


def constant_bound(for_op, key: str):
    """The constant value of ``for_op``'s bound map ``key`` (``None`` when not constant)."""
    amap = ir.AffineMapAttr(for_op.attributes[key]).value
    if len(amap.results) != 1 or not isinstance(amap.results[0], ir.AffineConstantExpr):
        return None
    return ir.AffineConstantExpr(amap.results[0]).value


def perfect_nest(op):
    """``(loops, innermost ops)`` of a perfect ``0..N`` step-1 ``affine.for`` nest, or ``None``."""
    loops = []
    current = op.operation
    while True:
        if current.name != "affine.for" or len(current.operands) != 0:
            return None
        step = ir.IntegerAttr(current.attributes["step"]).value
        if step != 1 or constant_bound(current, "lowerBoundMap") != 0 or \
                constant_bound(current, "upperBoundMap") is None:
            return None
        loops.append(current)
        body = list(current.regions[0].blocks[0].operations)
        if len(body) == 2 and body[0].operation.name == "affine.for":
            current = body[0].operation
            continue
        return loops, body[:-1]


class NestShape:
    """What :func:`pointwise_generic` learns from a nest's innermost body."""

    def __init__(self, loops, body):
        self.loops = loops
        self.ivs = [loop.regions[0].blocks[0].arguments[0] for loop in loops]
        self.extents = [constant_bound(loop, "upperBoundMap") for loop in loops]
        self.loads = [op for op in body if op.operation.name == "affine.load"]
        self.stores = [op for op in body if op.operation.name == "affine.store"]
        self.compute = [op for op in body
                        if op.operation.name not in ("affine.load", "affine.store")]

    def access_map(self, load):
        """The load's subscripts as a map over the nest's loop variables (or ``None``)."""
        amap = ir.AffineMapAttr(load.attributes["map"]).value
        operands = list(load.operation.operands)[1:]
        if amap.n_symbols or any(v not in self.ivs for v in operands):
            return None
        substitution = ir.AffineMap.get(len(self.ivs), 0, [
            ir.AffineDimExpr.get(self.ivs.index(v)) for v in operands])
        return ir.AffineMap.get(len(self.ivs), 0,
                                [expr.compose(substitution) for expr in amap.results])

    def stores_identity(self, store) -> bool:
        amap = ir.AffineMapAttr(store.attributes["map"]).value
        operands = list(store.operation.operands)[2:]
        target = ir.MemRefType(store.operation.operands[1].type)
        return operands == self.ivs and amap == ir.AffineMap.get_identity(len(self.ivs)) \
            and list(target.shape) == self.extents

    def pure_compute(self) -> bool:
        for op in self.compute:
            name = op.operation.name
            if not name.startswith(_PURE_PREFIXES) or len(op.operation.regions):
                return False
            if any(v in self.ivs for v in op.operation.operands):
                return False
        return True


def pointwise_generic(raiser, op) -> bool:
    """Rewrite element-wise nest ``op`` as a ``linalg.generic`` on the tensors of ``raiser``
    (a concatenation nest as two ``tensor.insert_slice``).

    Returns ``False`` (changing nothing) when ``op`` is not such a nest.
    """
    found = perfect_nest(op)
    if found is None:
        return False
    if concat_slices(raiser, op, *found):
        return True
    nest = NestShape(*found)
    if len(nest.stores) != 1 or not nest.pure_compute():
        return False
    store = nest.stores[0]
    target = store.operation.operands[1]
    if target not in raiser.current or not nest.stores_identity(store):
        return False
    maps = []
    for load in nest.loads:
        source = load.operation.operands[0]
        access = nest.access_map(load)
        if source not in raiser.current or source == target or access is None:
            return False
        maps.append(access)
    if not nest.compute and len(maps) == 1 and \
            nest.loads[0].operation.results[0] == store.operation.operands[0]:
        window = slice_window(maps[0], nest.extents,
                              ir.ShapedType(nest.loads[0].operation.operands[0].type).shape)
        if window is not None:
            build_slice(raiser, op, nest, window, target)
            return True
    build_generic(raiser, op, nest, maps, target, store)
    return True


def slice_window(access, extents: list, source_shape) -> tuple | None:
    """``(offsets, sizes)`` when ``access`` reads a unit-stride box of the source (a slice
    such as ``A[1:3, :]`` or ``A[2]``: each loop variable once, in order, plus a constant
    offset; constant subscripts are dropped unit dimensions), else ``None``."""
    offsets, sizes, dim = [], [], 0
    for expr, bound in zip(access.results, source_shape):
        base, offset = expr, 0
        if isinstance(expr, ir.AffineAddExpr) and isinstance(expr.rhs, ir.AffineConstantExpr):
            base, offset = expr.lhs, expr.rhs.value
        if isinstance(expr, ir.AffineConstantExpr):
            offsets.append(expr.value)
            sizes.append(1)
        elif isinstance(base, ir.AffineDimExpr) and base.position == dim:
            offsets.append(offset)
            sizes.append(extents[dim])
            dim += 1
        else:
            return None
        if offsets[-1] < 0 or offsets[-1] + sizes[-1] > bound:
            return None
    return (offsets, sizes) if dim == len(extents) else None


def build_slice(raiser, op, nest: NestShape, window: tuple, target) -> None:
    """Emit ``tensor.extract_slice`` for a checked slice-copy nest as ``target``'s value."""
    old = op.operation
    source = raiser.tensor_of(nest.loads[0].operation.operands[0], old)
    offsets, sizes = window
    result = ir.RankedTensorType.get(nest.extents, ir.ShapedType(source.type).element_type)
    sliced = tensor_d.ExtractSliceOp(result, source, [], [], [], offsets, sizes,
                                     [1] * len(sizes), loc=old.location,
                                     ip=ir.InsertionPoint(old))
    raiser.current[target] = sliced.result
    old.erase()


def build_generic(raiser, op, nest: NestShape, maps: list, target, store) -> None:
    """Emit the ``linalg.generic`` for a checked nest and make it ``target``'s new value."""
    old = op.operation
    inputs = [raiser.tensor_of(load.operation.operands[0], old) for load in nest.loads]
    name = raiser.fresh_name(target)
    out = raiser.tensor_of(target, old)
    generic = elementwise_generic(inputs, out, maps, nest.loads, nest.compute,
                                  store.operation.operands[0], old)
    if "op_name" in old.attributes:
        generic.operation.attributes["op_name"] = old.attributes["op_name"]
    if name is not None:
        generic.operation.attributes["name"] = name
    raiser.current[target] = generic.result
    old.erase()


def elementwise_generic(inputs: list, out, maps: list, loads: list, compute: list, stored,
                        before):
    """A parallel ``linalg.generic`` (before op ``before``) whose body is a copy of the
    scalar ops ``compute``, the values of ``loads`` being its input elements, and yields
    ``stored``."""
    rank = ir.ShapedType(out.type).rank
    identity = ir.AffineMap.get_identity(rank)
    parallel = ir.Attribute.parse("#linalg.iterator_type<parallel>")
    generic = linalg_d.GenericOp(
        [out.type], inputs, [out],
        ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in maps + [identity]]),
        ir.ArrayAttr.get([parallel] * rank), loc=before.location,
        ip=ir.InsertionPoint(before))
    element_types = [ir.ShapedType(v.type).element_type for v in inputs + [out]]
    block = generic.regions[0].blocks.append(*element_types)
    mapping = {load.operation.results[0]: block.arguments[k] for k, load in enumerate(loads)}
    with ir.InsertionPoint(block):
        for inner in compute:
            copy = inner.operation.clone()
            for k, v in enumerate(inner.operation.operands):
                if v in mapping:
                    copy.operands[k] = mapping[v]
            for r_old, r_new in zip(inner.operation.results, copy.results):
                mapping[r_old] = r_new
        linalg_d.YieldOp([mapping.get(stored, stored)])
    return generic


def branch_copy(block, nest: NestShape):
    """``(load, store, conversion ops)`` of an ``scf.if`` branch that copies one element
    (converted by pure scalar ops), else ``None``."""
    ops = list(block.operations)
    names = [o.operation.name for o in ops]
    if len(ops) < 3 or names[0] != "affine.load" or names[-2:] != ["affine.store", "scf.yield"]:
        return None
    load, store, conversion = ops[0], ops[-2], ops[1:-2]
    inner = NestShape(nest.loops, conversion)
    if not inner.pure_compute() or not nest.stores_identity(store):
        return None
    produced = [load.operation.results[0]] + [r for o in conversion for r in o.operation.results]
    if store.operation.operands[0] != produced[-1]:
        return None
    return load, store, conversion


def concat_slices(raiser, op, loops, body) -> bool:
    """``allo.concat(x, y, axis)`` of one element type: the nest ``out[ivs] = ivs[axis] < s ?
    x[ivs] : y[ivs - s·e_axis]`` becomes ``y`` inserted at ``s`` into ``x`` inserted at 0."""
    names = [o.operation.name for o in body]
    if names != ["arith.constant", "arith.cmpi", "scf.if"] or \
            len(body[2].operation.regions[1].blocks) != 1:
        return False
    nest = NestShape(loops, [])
    cmp = body[1].operation
    split = ir.IntegerAttr(body[0].operation.attributes["value"]).value
    if ir.IntegerAttr(cmp.attributes["predicate"]).value != 2 or \
            cmp.operands[1] != body[0].operation.results[0] or cmp.operands[0] not in nest.ivs:
        return False  # predicate 2: slt
    axis = nest.ivs.index(cmp.operands[0])
    regions = body[2].operation.regions
    first, second = branch_copy(regions[0].blocks[0], nest), branch_copy(regions[1].blocks[0], nest)
    if first is None or second is None:
        return False
    target = first[1].operation.operands[1]
    sources = [first[0].operation.operands[0], second[0].operation.operands[0]]
    if second[1].operation.operands[1] != target or target not in raiser.current or \
            any(v not in raiser.current or v == target for v in sources):
        return False
    expected = ir.AffineMap.get(len(loops), 0, [
        ir.AffineDimExpr.get(d) + (-split if d == axis else 0) for d in range(len(loops))])
    if nest.access_map(first[0]) != ir.AffineMap.get_identity(len(loops)) or \
            nest.access_map(second[0]) != expected:
        return False
    old = op.operation
    value = raiser.tensor_of(target, old)
    element = ir.ShapedType(value.type).element_type
    for source, offset, branch in zip(sources, (0, split), (first, second)):
        part = raiser.tensor_of(source, old)
        sizes = list(ir.ShapedType(part.type).shape)
        if branch[2]:  # the second operand converted to the first's type
            load, store, conversion = branch
            empty = tensor_d.EmptyOp(sizes, element, loc=old.location, ip=ir.InsertionPoint(old))
            identity = ir.AffineMap.get_identity(len(sizes))
            part = elementwise_generic([part], empty.result, [identity], [load], conversion,
                                       store.operation.operands[0], old).result
        offsets = [offset if d == axis else 0 for d in range(len(sizes))]
        inserted = tensor_d.InsertSliceOp(part, value, [], [], [], offsets, sizes,
                                          [1] * len(sizes), loc=old.location,
                                          ip=ir.InsertionPoint(old))
        if "op_name" in old.attributes:
            inserted.operation.attributes["op_name"] = old.attributes["op_name"]
        value = inserted.result
    raiser.current[target] = value
    old.erase()
    return True
