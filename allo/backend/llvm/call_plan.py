"""The cached per-call plan of a compiled module: the common call in about a microsecond.

The general numpy boundary (:mod:`allo.backend.llvm.numpy_boundary`) validates and converts
every argument with a few Python calls per parameter, which costs several microseconds per
call. Most calls, though, pass exactly what the kernel reads: Python ints and floats in range
for scalar parameters and C-contiguous arrays of the storage dtype and declared shape. A
:class:`CallPlan` handles those calls with memory prepared once per module and thread:

- one block of memref descriptors with the constant fields (shapes, strides, the pointers to
  scalar slots) written once; a call only stores the data pointers of its arrays;
- scalar arguments are stored into their slots and scalar results read from theirs;
- data pointers and flags are read straight from the ndarray object
  (:mod:`allo.backend.llvm.memref_descriptors`; no plan where those fields were not found);
- read-only fixed-point arrays are quantised into a buffer the plan keeps
  (:mod:`allo.backend.llvm.fixed_convert`);
- array results are fresh ``np.empty`` buffers, as on the general path.

The checks of one call are generated once per signature as one straight-line function (no
loop over parameters, no per-parameter dispatch). Anything it does not accept (another
dtype, a numpy scalar, an out-of-range int, overlapping arrays, fixed-point arrays, ...)
returns :data:`NOT_HANDLED` *before* anything ran, and the module takes the general path,
so both paths produce identical results.

>>> import numpy as np
>>> from allo.backend.llvm.module import LLVMModule
>>> mod = LLVMModule('''func.func @add(%a: i32, %b: i32) -> i32 {
...   %s = arith.addi %a, %b : i32
...   return %s : i32 }''', "add")
>>> mod(2, 3), mod(2, 3)   # the first call builds the plan, the second uses it
(5, 5)
"""

from __future__ import annotations

import ctypes

import numpy as np

from ...frontend.types import Float, Index, Int, UInt
from ..numpy_codec import int_range, raw_to_fixed
from ..signature import Port, Signature
from .bounds_checks import SLOT_WORDS
from .fixed_convert import quantize
from .memref_descriptors import (ADDRESS_SPACE as _ADDRESS_SPACE, C_CONTIGUOUS as _C_CONTIGUOUS,
                                 DATA_OFFSET as _DATA_OFFSET, FLAGS_OFFSET as _FLAGS_OFFSET,
                                 WORD as _WORD, WRITEABLE as _WRITEABLE, DescriptorBlock,
                                 data_address)

__all__ = ["NOT_HANDLED", "CallPlan", "build_call_plan"]

# What a plan returns for a call it leaves to the general path.
NOT_HANDLED = object()
_F32_INF_FROM = 2.0 ** 128 * (1 - 2.0 ** -25)  # float64 values from here on round to f32 inf

# --------------------------------------------------------------------------- scalar kinds

def _scalar_ctype(port: Port):
    """The ctypes type of a scalar slot the plan fills from a Python value, or ``None``."""
    t, dtype = port.allo_type, port.storage_dtype
    if dtype.names is not None or dtype == np.bool_:
        return None
    if isinstance(t, (Int, UInt, Index)) or (isinstance(t, Float) and t.name in ("f32", "f64")):
        return np.ctypeslib.as_ctypes_type(dtype)
    return None


def _result_ctype(port: Port):
    """The ctypes type of a scalar result slot, or ``None`` (then the general path)."""
    if port.is_fixed:  # raw bits scaled below; beyond 53 bits float64 would round them
        ok = port.allo_type.bits <= 53 and port.storage_dtype.names is None
        return np.ctypeslib.as_ctypes_type(port.storage_dtype) if ok else None
    return _scalar_ctype(port)


def _result_reader(port: Port) -> str:
    """What follows ``slot.value`` to make the Python result (fixed point: ``raw·2^-F``,
    exact since the raw value has at most 53 bits)."""
    return f" * {2.0 ** -port.allo_type.fracs!r}" if port.is_fixed else ""


def _array_ok(port: Port) -> bool:
    return port.static_shape and not port.is_fixed and port.storage_dtype.names is None


def _fixed_array_ok(port: Port, writes: bool) -> bool:
    """Fixed-point arrays the kernel only reads: converted (one blocked pass), no write-back."""
    return (port.static_shape and port.is_fixed and not writes and port.allo_type.bits <= 62)


def plan_supported(sig: Signature, may_write: list) -> bool:
    """Whether every parameter and result of ``sig`` has a fast form (and the ndarray
    fields the plan reads were found)."""
    if _DATA_OFFSET is None or _FLAGS_OFFSET is None:
        return False
    for port, writes in zip(sig.params, may_write):
        if port.is_array and not (_array_ok(port) or _fixed_array_ok(port, writes)):
            return False
        if not port.is_array and _scalar_ctype(port) is None:
            return False
    for port in sig.results:
        if port.is_array and not (_array_ok(port) or _fixed_array_ok(port, False)):
            return False
        if not port.is_array and _result_ctype(port) is None:
            return False
    return True


# --------------------------------------------------------------------------- the plan

class CallPlan:
    """The fast form of calls to one compiled entry, for one thread (module doc).

    ``plan(args)`` runs the kernel and returns its results, or :data:`NOT_HANDLED` without
    having run anything.
    """

    def __init__(self, sig: Signature, may_write: list, entry, sites, error_slot: bool):
        ports = sig.params + sig.results
        ranks = [len(p.shape) if p.is_array else 0 for p in ports]
        self.block = DescriptorBlock(ranks, error_words=SLOT_WORDS if error_slot else 0)
        self.scalars = {}
        for index, port in enumerate(ports):
            if port.is_array:
                self.block.set_layout(index, port.shape)
            else:
                ctype = _scalar_ctype(port) if index < len(sig.params) else _result_ctype(port)
                slot = self.scalars[index] = ctype()
                self.block.point_at(index, ctypes.addressof(slot))
        self.error = self.block.error  # always passed last (bounds_checks.py)
        self.run = self._generate(sig, may_write, entry, sites)

    def __call__(self, args: tuple):
        return self.run(args)

    def _generate(self, sig, may_write, entry, sites):
        """Compile the straight-line call function of this signature (module doc)."""
        env = {"ndarray": np.ndarray, "empty": np.empty, "memory": _ADDRESS_SPACE,
               "words": self.block.words, "argument": self.block.argument, "entry": entry,
               "error": self.error, "sites": sites, "NOT_HANDLED": NOT_HANDLED,
               "data_address": data_address,
               "plan": self}  # the descriptors and slots live as long as the function
        names = "".join(f"a{i}, " for i in range(len(sig.params)))
        lines = (["try:", f"    {names}= args", "except ValueError:", "    return NOT_HANDLED"]
                 if sig.params else ["if args:", "    return NOT_HANDLED"])
        arrays = []
        for i, (port, writes) in enumerate(zip(sig.params, may_write)):
            lines += self._param_lines(i, port, writes, env, arrays)
        lines += _overlap_lines(arrays)
        for i, start in ((i, self.block.starts[i]) for i in range(len(sig.params))):
            if sig.params[i].is_array:
                lines.append(f"words[{start}] = words[{start + 1}] = p{i}")
        results = self._result_lines(sig, env, lines)
        lines.append("entry(argument)")
        if self.error is not None:  # the slot is zero unless the call failed: reset it then
            lines += ["if error[0]:", "    site, error[0] = error[0], 0",
                      "    raise sites[site - 1].error(error[1], error[2])"]
        if not results:
            lines.append("return None")
        elif len(results) == 1:
            lines.append(f"return {results[0]}")
        else:
            lines.append(f"return [{', '.join(results)}]")
        source = "def run(args):\n" + "\n".join("    " + line for line in lines) + "\n"
        self.source = source
        exec(compile(source, f"<allo call plan of {sig.func_name}>", "exec"), env)
        return env["run"]

    def _result_lines(self, sig: Signature, env: dict, lines: list) -> list:
        """Append the allocation of array results to ``lines``; return the expressions of
        every result after the call."""
        results = []
        for j, port in enumerate(sig.results):
            index = len(sig.params) + j
            if not port.is_array:
                env[f"out{j}"] = self.scalars[index]
                results.append(f"out{j}.value{_result_reader(port)}")
                continue
            env[f"rshape{j}"], env[f"rdtype{j}"] = port.shape, port.storage_dtype
            start = self.block.starts[index]
            lines += [f"r{j} = empty(rshape{j}, rdtype{j})",
                      f"words[{start}] = words[{start + 1}] = "
                      f"memory[({_object_words(f'r{j}')}) + {_DATA_OFFSET // _WORD}]"]
            if port.is_fixed:  # values raw·2^-F in float64, as the general path
                env[f"rtype{j}"], env["raw_to_fixed"] = port.allo_type, raw_to_fixed
                results.append(f"raw_to_fixed(r{j}, rtype{j})")
            else:
                results.append(f"r{j}")
        return results

    def _param_lines(self, i: int, port: Port, writes: bool, env: dict, arrays: list) -> list:
        value = f"a{i}"
        if not port.is_array:
            env[f"slot{i}"] = self.scalars[i]
            t = port.allo_type
            if isinstance(t, Float) and t.name == "f32":  # overflow and NaN: numpy's warnings
                test = f"type({value}) is float and {-_F32_INF_FROM!r} < {value} < {_F32_INF_FROM!r}"
            elif isinstance(t, Float):
                test = f"type({value}) is float"
            else:
                low, high = int_range(t)
                test = f"type({value}) is int and {low} <= {value} <= {high}"
            return [f"if not ({test}):", "    return NOT_HANDLED", f"slot{i}.value = {value}"]
        if port.is_fixed:
            return self._fixed_param_lines(i, port, env)
        env[f"dtype{i}"], env[f"shape{i}"] = port.storage_dtype, port.shape
        mask = _C_CONTIGUOUS | (_WRITEABLE if writes else 0)
        lines = [f"if type(a{i}) is not ndarray or a{i}.dtype is not dtype{i} "
                 f"or a{i}.shape != shape{i}:", "    return NOT_HANDLED",
                 f"k{i} = {_object_words(f'a{i}')}",
                 f"if memory[k{i} + {_FLAGS_OFFSET // _WORD}] & {mask} != {mask}:",
                 "    return NOT_HANDLED",
                 f"p{i} = memory[k{i} + {_DATA_OFFSET // _WORD}]"]
        if port.alignment > 1:
            lines += [f"if p{i} % {port.alignment}:", "    return NOT_HANDLED"]
        nbytes = int(np.prod(port.shape, dtype=np.int64)) * port.storage_dtype.itemsize
        arrays.append((i, nbytes))
        return lines


    @staticmethod
    def _fixed_param_lines(i: int, port: Port, env: dict) -> list:
        """float64 values of the declared shape, quantised like the general path; NaN or
        infinity leave the call to it (it raises)."""
        env[f"shape{i}"], env[f"type{i}"] = port.shape, port.allo_type
        env["float64"], env["to_raw"] = np.dtype(np.float64), quantize
        # the raw copy never leaves the call: one buffer per plan (per thread) is reused
        env[f"raw{i}"] = np.empty(port.shape, port.storage_dtype)
        return [f"if type(a{i}) is not ndarray or a{i}.dtype is not float64 "
                f"or a{i}.shape != shape{i}:", "    return NOT_HANDLED",
                f"b{i}, finite{i} = to_raw(a{i}, type{i}, raw{i})",
                f"if not finite{i}:", "    return NOT_HANDLED",
                f"p{i} = memory[({_object_words(f'b{i}')}) + {_DATA_OFFSET // _WORD}]"]


def _object_words(name: str) -> str:
    """Index of ``name``'s first word in :data:`_ADDRESS_SPACE` (objects are 8-aligned)."""
    return f"id({name}) >> 3"


def _overlap_lines(arrays: list) -> list:
    """Arrays whose bytes overlap take the general path (it compiles the aliasing-safe form)."""
    lines = []
    for k, (i, size_i) in enumerate(arrays):
        for j, size_j in arrays[k + 1:]:
            if size_i and size_j:
                lines += [f"if p{i} < p{j} + {size_j} and p{j} < p{i} + {size_i}:",
                          "    return NOT_HANDLED"]
    return lines


def build_call_plan(sig: Signature, may_write: list, entry, sites, error_slot: bool):
    """A :class:`CallPlan` for ``sig``, or ``None`` when some port has no fast form."""
    if not plan_supported(sig, may_write):
        return None
    return CallPlan(sig, may_write, entry, sites, error_slot)
