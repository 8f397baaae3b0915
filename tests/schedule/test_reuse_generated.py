"""reuse_at on generated 2-D stencils: random offset sets, strides 1-3, reuse along y, x or
both (stacked line + window buffer). Each schedule is checked on the CPU against numpy, and
the buffer shape against the rule of §3.4."""

import importlib.util

import numpy as np
import pytest

import allo

from helpers_schedule import assert_cpu_matches

TEMPLATE = '''
import allo
from allo.ir.types import int32


def stencil(P: int32[{H}, {W}]) -> int32[{OH}, {OW}]:
    Q: int32[{OH}, {OW}] = 0
    for y, x in allo.grid({OH}, {OW}):
        Q[y, x] = {expr}
    return Q
'''


def make_case(seed):
    rng = np.random.default_rng(seed)
    sy, sx = (int(v) for v in rng.integers(1, 4, 2))
    oh, ow = (int(v) for v in rng.integers(3, 7, 2))
    n_terms = int(rng.integers(2, 6))
    terms = set()
    while len(terms) < n_terms:
        terms.add((int(rng.integers(0, 4)), int(rng.integers(0, 4))))
    terms = sorted(terms)
    coefs = [int(c) for c in rng.integers(-3, 4, len(terms))]
    H = (oh - 1) * sy + max(t[0] for t in terms) + 1
    W = (ow - 1) * sx + max(t[1] for t in terms) + 1
    parts = [f"P[y * {sy} + {dy}, x * {sx} + {dx}] * {c}" for (dy, dx), c in zip(terms, coefs)]
    source = TEMPLATE.format(H=H, W=W, OH=oh, OW=ow, expr=" + ".join(parts))

    def reference(P):
        Q = np.zeros((oh, ow), dtype=np.int64)
        for (dy, dx), c in zip(terms, coefs):
            Q += P[dy:dy + (oh - 1) * sy + 1:sy, dx:dx + (ow - 1) * sx + 1:sx].astype(np.int64) * c
        return Q.astype(np.int32)

    return source, reference, terms, (H, W)


def load_kernel(tmp_path, seed, source):
    path = tmp_path / f"stencil_{seed}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"stencil_{seed}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.stencil


def _reusable(offsets):
    return any(o + 1 in offsets for o in offsets)


def _decl(s, name):
    for line in str(s.module).splitlines():
        if f'{{name = "{name}"}}' in line:
            return line.split(" : ")[-1].strip()
    raise AssertionError(name)


def run_case(tmp_path, seed, axes):
    source, reference, terms, shape = make_case(seed)
    kernel = load_kernel(tmp_path, seed, source)
    s = allo.customize(kernel)
    P = np.random.default_rng(seed + 100).integers(-50, 50, shape).astype(np.int32)
    assert_cpu_matches(s, reference, P)
    target = s.P
    rows = {dy for dy, _ in terms}
    cols = {dx for _, dx in terms}
    for axis in axes:
        offsets = rows if axis == "y" else cols
        if not _reusable(offsets):
            before = str(s.module)
            with pytest.raises(allo.ScheduleError, match="cannot find a reuse pattern"):
                s.reuse_at(target, axis)
            assert str(s.module) == before
            return
        target = s.reuse_at(target, axis)
        span_y = max(rows) - min(rows) + 1
        span_x = max(cols) - min(cols) + 1
        if axis == "y":
            assert _decl(s, target.name) == f"memref<{span_y}x{shape[1]}xi32>"
        else:
            lead = f"{span_y}x" if span_y > 1 else ""
            assert _decl(s, target.name) == f"memref<{lead}{span_x}xi32>"
        assert_cpu_matches(s, reference, P)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("axes", [("x",), ("y",), ("y", "x")])
def test_generated_stencils(tmp_path, seed, axes):
    run_case(tmp_path, seed, axes)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6, 40))
@pytest.mark.parametrize("axes", [("x",), ("y",), ("y", "x")])
def test_generated_stencils_exhaustive(tmp_path, seed, axes):
    run_case(tmp_path, seed, axes)
