"""Control flow and calls: loops, conditionals, while loops, ``func.call``, ``func.return``."""

from __future__ import annotations

import re

from ..._mlir import ir
from ...errors import BuildError, InternalError
from .affine_print import fold_minmax, map_results_nonneg, print_expr, print_map_results
from .constants import attr_scalar
from .cpp_types import CType
from .function import handles, int_attr, str_attr
from .naming import sanitize
from .ops_memory import emit_copy_loops
from .pragmas import array_pragmas, loop_pragmas
from .values import Array, Scalar, vector_spelling


def constant_int(value):
    """The integer value of ``value`` when an ``arith.constant`` defines it, else ``None``."""
    owner = value.owner
    if isinstance(owner, ir.Block):
        return None
    if owner.operation.name != "arith.constant":
        return None
    attr = owner.operation.attributes["value"]
    if isinstance(attr, ir.FloatAttr):
        return None
    return attr_scalar(attr)


def _bound_text(fe, value) -> str:
    c = constant_int(value)
    return str(c) if c is not None else fe.expr(value)


# --------------------------------------------------------------------------- loops


_IO_HELPER = re.compile(r"^(load_buf|store_res)\d+$")


def _iv_source_name(fe, loop_name: str) -> str:
    """The wrap_io helpers' loops ``<fn>_l_<d>`` print as ``i``, ``j``, ``k``, ... ."""
    fn = fe.sig.source_name
    prefix = f"{fn}_l_"
    if _IO_HELPER.match(fn) and loop_name.startswith(prefix) and loop_name[len(prefix):].isdigit():
        depth = int(loop_name[len(prefix):])
        return "ijklmnpqrstuvwxyz"[depth] if depth < 17 else f"i{depth}"
    return loop_name


def _loop_header(fe, op, iv_value, lb: str, ub: str, step: str, lb_nonneg: bool):
    loop_name = str_attr(op, "loop_name")
    name = fe.scope.source_name(_iv_source_name(fe, loop_name)) if loop_name else \
        fe.scope.fresh()
    stage = str_attr(op, "op_name")
    label = fe.loop_label("l_" + (sanitize(stage) + "_" if stage else "") + name)
    fe.bind(iv_value, Scalar(name, CType.default_for(iv_value.type)))
    if lb_nonneg and not step.startswith("-"):
        fe.nonneg.add(name)
    inc = f"{name}++" if step == "1" else f"{name} += {step}"
    fe.line(f"{label}: for (int {name} = {lb}; {name} < {ub}; {inc}) {{", op)


def _carried(fe, op, block, inits) -> list[Scalar]:
    """Variables for loop-carried values: declared before the loop, updated by the yield."""
    carried = []
    for k, init in enumerate(inits):
        result = op.operation.results[k]
        ct = fe.scalar(init).ctype
        name = fe.scope.fresh()
        fe.line(f"{ct.spelling} {name} = {fe.expr(init)};", op)
        sc = Scalar(name, ct)
        carried.append(sc)
        fe.bind(block.arguments[k + 1], sc)
        fe.bind(result, sc)
    return carried


def _loop_body(fe, op, block, carried):
    fe.indent += 1
    for p in loop_pragmas(op):
        fe.line(p)
    fe.yield_targets.append(carried)
    fe.emit_block(block)
    fe.yield_targets.pop()
    fe.indent -= 1
    fe.line("}")


@handles("affine.for")
def emit_affine_for(fe, op):
    attrs = op.operation.attributes
    if "allo.stream_put" in attrs or "allo.stream_get" in attrs:
        return emit_block_transfer(fe, op)
    _emit_affine_loop(fe, op)


def emit_block_transfer(fe, op):
    """A whole-block ``put``/``get`` of a block stream: one ``hls::vector`` write/read.

    The frontend copies a block element by element in a loop nest tagged ``allo.stream_put``
    (or ``allo.stream_get``) with the stream's name; here the nest fills (or reads) a local
    ``hls::vector`` inside ``{ }`` and the stream moves it whole.
    """
    attrs = op.operation.attributes
    is_put = "allo.stream_put" in attrs
    stream_name = ir.StringAttr(attrs["allo.stream_put" if is_put else "allo.stream_get"]).value
    stream = next((a for a in fe.values.values() if isinstance(a, Array) and a.form == "stream"
                   and a.extra.get("source_name") == stream_name), None)
    if stream is None:
        raise BuildError(f"block stream '{stream_name}' is not declared in this function")
    vec = fe.scope.fresh()
    fe.line("{")
    fe.indent += 1
    spelling = vector_spelling(stream.elem, stream.block)
    fe.line(f"{spelling} {vec};" if is_put else f"{spelling} {vec} = {stream.name}.read();", op)
    fe.block_vectors[stream.name] = vec
    _emit_affine_loop(fe, op)
    del fe.block_vectors[stream.name]
    if is_put:
        fe.line(f"{stream.name}.write({vec});", op)
    fe.indent -= 1
    fe.line("}")


def _emit_affine_loop(fe, op):
    attrs = op.operation.attributes
    n_lb, n_ub, _ = list(ir.DenseI32ArrayAttr(attrs["operandSegmentSizes"]))
    operands = list(op.operation.operands)
    lb_map = ir.AffineMapAttr(attrs["lowerBoundMap"]).value
    ub_map = ir.AffineMapAttr(attrs["upperBoundMap"]).value
    lb_operands = [fe.expr(v) for v in operands[:n_lb]]
    lb = fold_minmax("max", print_map_results(lb_map, lb_operands, fe.nonneg))
    ub = fold_minmax("min", print_map_results(
        ub_map, [fe.expr(v) for v in operands[n_lb:n_lb + n_ub]], fe.nonneg))
    lb_nonneg = any(map_results_nonneg(lb_map, lb_operands, fe.nonneg))
    step = str(int_attr(op, "step"))
    block = op.operation.regions[0].blocks[0]
    carried = _carried(fe, op, block, operands[n_lb + n_ub:])
    _loop_header(fe, op, block.arguments[0], lb, ub, step, lb_nonneg)
    _loop_body(fe, op, block, carried)


@handles("scf.for")
def emit_scf_for(fe, op):
    operands = list(op.operation.operands)
    lb, ub, step = (_bound_text(fe, v) for v in operands[:3])
    block = op.operation.regions[0].blocks[0]
    carried = _carried(fe, op, block, operands[3:])
    lb_nonneg = lb.isdigit() or lb in fe.nonneg
    _loop_header(fe, op, block.arguments[0], lb, ub, step, lb_nonneg)
    _loop_body(fe, op, block, carried)


@handles("affine.yield", "scf.yield")
def emit_yield(fe, op):
    targets = fe.yield_targets[-1] if fe.yield_targets else []
    values = list(op.operation.operands)
    if not values:
        return
    if len(values) != len(targets):
        raise InternalError("yield without matching variables")
    exprs = [fe.convert_for_store(fe.scalar(v), t.ctype) for v, t in zip(values, targets)]
    if len(values) == 1:
        if exprs[0] != targets[0].expr:
            fe.line(f"{targets[0].expr} = {exprs[0]};", op)
        return
    temps = []
    for e, t in zip(exprs, targets):
        tmp = fe.scope.temp(f"{t.expr}_next")
        fe.line(f"{t.ctype.spelling} {tmp} = {e};", op)
        temps.append(tmp)
    for tmp, t in zip(temps, targets):
        fe.line(f"{t.expr} = {tmp};", op)


# --------------------------------------------------------------------------- conditionals


def _declare_results(fe, op) -> list[Scalar]:
    out = []
    for k, r in enumerate(op.operation.results):
        ct = fe.result_ctype(op, k)
        name = fe.scope.fresh()
        fe.line(f"{ct.spelling} {name};", op)
        sc = Scalar(name, ct)
        fe.bind(r, sc)
        out.append(sc)
    return out


def _emit_branches(fe, op, cond: str, results):
    fe.line(f"if ({cond}) {{", op)
    fe.yield_targets.append(results)
    fe.emit_region_block(op.operation.regions[0])
    else_region = op.operation.regions[1]
    if len(else_region.blocks) and _has_body(else_region.blocks[0]):
        fe.line("} else {")
        fe.emit_region_block(else_region)
    fe.yield_targets.pop()
    fe.line("}")


def _has_body(block) -> bool:
    ops = list(block.operations)
    return any(o.operation.name not in ("scf.yield", "affine.yield") or len(o.operation.operands)
               for o in ops)


@handles("scf.if")
def emit_scf_if(fe, op):
    results = _declare_results(fe, op)
    cond = fe.expr(op.operation.operands[0])
    _emit_branches(fe, op, cond, results)


_CONSTRAINT = re.compile(r"^(.*) (>=|==) 0$")


@handles("affine.if")
def emit_affine_if(fe, op):
    results = _declare_results(fe, op)
    text = str(op.operation.attributes["condition"])
    with op.operation.context:
        cond = affine_condition(text, [fe.expr(v) for v in op.operation.operands], fe.nonneg)
    _emit_branches(fe, op, cond, results)


def affine_condition(set_text: str, operands: list[str], nonneg=frozenset()) -> str:
    """C++ condition of an ``affine_set<(d..)[s..] : (e >= 0, e == 0)>`` applied to operands."""
    body = set_text[len("affine_set<"):-1]
    head, constraints = body.split(" : ", 1)
    constraints = constraints.strip()[1:-1]
    parts = [c.strip() for c in constraints.split(",")]
    exprs, kinds = [], []
    for part in parts:
        m = _CONSTRAINT.match(part)
        if not m:
            raise BuildError(f"unsupported affine condition {set_text}")
        exprs.append(m.group(1))
        kinds.append(m.group(2))
    amap = ir.AffineMapAttr(ir.Attribute.parse(
        f"affine_map<{head} -> ({', '.join(exprs)})>")).value
    n_dims = amap.n_dims
    dims, syms = operands[:n_dims], operands[n_dims:]
    conds = [f"({print_expr(e, dims, syms, nonneg)} {k} 0)" for e, k in zip(amap.results, kinds)]
    return " && ".join(conds) if conds else "true"


@handles("scf.while")
def emit_scf_while(fe, op):
    before = op.operation.regions[0].blocks[0]
    after = op.operation.regions[1].blocks[0]
    state = []
    for k, init in enumerate(op.operation.operands):
        ct = fe.scalar(init).ctype
        name = fe.scope.fresh()
        fe.line(f"{ct.spelling} {name} = {fe.expr(init)};", op)
        sc = Scalar(name, ct)
        state.append(sc)
        fe.bind(before.arguments[k], sc)
    results = _declare_results(fe, op)
    for k, r in enumerate(results):
        fe.bind(after.arguments[k], r)
    fe.line("while (true) {", op)
    fe.indent += 1
    fe.while_stack.append(results)
    fe.yield_targets.append(state)
    fe.emit_block(before)
    fe.emit_block(after)
    fe.yield_targets.pop()
    fe.while_stack.pop()
    fe.indent -= 1
    fe.line("}")


@handles("scf.condition")
def emit_condition(fe, op):
    cond, *forwarded = list(op.operation.operands)
    results = fe.while_stack[-1]
    for v, r in zip(forwarded, results):
        fe.line(f"{r.expr} = {fe.convert_for_store(fe.scalar(v), r.ctype)};", op)
    fe.line(f"if (!({fe.expr(cond)})) break;", op)


# --------------------------------------------------------------------------- calls


@handles("func.call")
def emit_call(fe, op):
    callee = ir.FlatSymbolRefAttr(op.operation.attributes["callee"]).value
    sig = fe.mod.signature(callee)
    args = []
    for k, value in enumerate(op.operation.operands):
        spec = sig.params[k]
        args.append(_call_argument(fe, value, spec, sig))
    for k, result in enumerate(op.operation.results):
        spec = sig.results[k]
        if spec.kind == "alias":
            fe.bind(result, fe.lookup(op.operation.operands[spec.alias_index]))
            continue
        if spec.kind == "scalar":
            name = fe.scope.fresh()
            fe.line(f"{spec.ctype.spelling} {name};", op)
            fe.bind(result, Scalar(name, spec.ctype))
            args.append(f"&{name}")
            continue
        if result in fe.result_alias:
            arr = fe.result_alias[result]
        else:
            arr = Array(fe.scope.fresh(), spec.array.elem, spec.array.shape)
            fe.line(arr.declaration() + ";", op)
            # a call result is a local array of the caller: it carries the layout of its
            # alias class (schedule.md §7) like any other local
            pragmas = array_pragmas(arr.name, result.type)
            for p in pragmas:
                fe.line(p)
            if pragmas:
                fe.blank()
        fe.bind(result, arr)
        args.append(arr.name)
    call = f"{sig.cname}({', '.join(args)});"
    if fe.threaded and any(p.kind == "stream" for p in sig.params):
        if not fe.spawned:
            fe.line("allo_csim::process_group allo_processes;")
            fe.spawned = True
        fe.line(f'allo_processes.spawn("{sig.source_name}", [&]() {{ {call} }});', op)
        fe.pending_join = True
        return
    join_processes(fe)
    fe.line(call, op)


def join_processes(fe) -> None:
    """C simulation of a region: wait for the processes spawned so far."""
    if fe.pending_join:
        fe.line("allo_processes.join();")
        fe.pending_join = False


def _call_argument(fe, value, spec, sig) -> str:
    info = fe.lookup(value)
    if isinstance(info, Scalar):
        if spec.kind != "scalar":
            raise BuildError(f"call of {sig.source_name}: scalar passed for an array parameter")
        return fe.convert_for_store(info, spec.ctype)
    if spec.kind == "stream" or info.is_stream:
        return info.root.name
    if sig.external and spec.array.form == "flat" and info.base is None and info.rank > 1 \
            and info.form == "array":
        return "&" + info.access(["0"] * info.rank)
    if info.form == "flat" and info.base is None and len(info.shape) > 1 and spec.array is not None \
            and len(spec.array.shape) > 1 and spec.array.form != "flat":
        raise BuildError(
            f"the top-level array '{info.name}' is passed to the multi-dimensional parameter of "
            f"'{sig.source_name}' without wrap_io; use 1-D callee parameters or wrap_io=True")
    return info.argument()


@handles("func.return")
def emit_return(fe, op):
    join_processes(fe)
    for k, value in enumerate(op.operation.operands):
        spec = fe.sig.results[k]
        if spec.kind == "alias":
            continue
        if spec.kind == "scalar":
            sc = fe.scalar(value)
            fe.line(f"*{spec.name} = {fe.convert_for_store(sc, spec.ctype)};", op)
            continue
        arr = fe.array(value)
        if arr is spec.array:
            continue
        emit_copy_loops(fe, arr, spec.array, op)
