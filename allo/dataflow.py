"""The dataflow programming model (``import allo.dataflow as df``; backends.md §6).

A region declares streams and kernels; each kernel is instantiated once per point of its
``mapping``, and every instance runs concurrently, communicating through bounded FIFOs::

    @df.region()
    def twostage(X: int32[6, 10], Y: int32[6, 10]):
        q: Stream[int32, 2]

        @df.kernel(mapping=[1], args=[X])
        def src(x: int32[6, 10]):
            for a, b in allo.grid(6, 10):
                q.put(x[a, b] * 3)

        @df.kernel(mapping=[1], args=[Y])
        def dst(y: int32[6, 10]):
            for a, b in allo.grid(6, 10):
                y[a, b] = q.get() - 1

    df.build(twostage, target="simulator")(X, Y)     # Y = 3 * X - 1

``df.customize(region)`` gives an ordinary :class:`allo.Schedule` over the instantiated module
(instances are functions named ``<kernel>_<pid>...``); ``df.build`` builds it for the
simulator (``allo.backend.simulator``) or any HLS target. See docs/dataflow.md.
"""

from __future__ import annotations

from .diagnostics import public_entry
from .errors import BuildError, ToolNotFoundError
from .frontend.region_builder import build_region_module
from .frontend.regions import RegionFunction, is_region, kernel, region
from .frontend.types import Stream  # noqa: F401 - df.Stream, as users write it
from .language import get_pid
from .schedule import Schedule
from .schedule.df_pipeline import df_pipeline
from .backend.simulator import LLVMOMPModule  # noqa: F401 - registers target "simulator"
from .backend.simulator.fifo_sizing import size_streams
from .schedule.stream_depths import set_stream_depths

__all__ = ["region", "kernel", "get_pid", "customize", "build", "size_fifos", "gather",
           "scatter", "Stream", "LLVMOMPModule"]

HLS_TARGETS = ("vhls", "vivado_hls", "vitis_hls", "pynq", "tapa", "ihls", "catapult")


@public_entry
def customize(region_fn: RegionFunction, enable_tensor: bool = False,
              opt_default: bool = False, global_vars: dict | None = None,
              fifo_depths: dict | None = None) -> Schedule:
    """A :class:`Schedule` over the instantiated region (every primitive applies).

    ``region_fn`` is the ``@df.region()`` function; ``enable_tensor`` and ``global_vars``
    are those of ``allo.customize``.

    ``opt_default=True`` pipelines every innermost loop (``allo.passes.df_pipeline``, with
    ``rewind``). ``fifo_depths={stream name: depth}`` overrides declared depths (names as
    :func:`size_fifos` returns them), e.g. ``df.customize(r, fifo_depths=df.size_fifos(r, *xs))``.
    """
    _check_region(region_fn)
    built = build_region_module(region_fn, global_vars=global_vars,
                                enable_tensor=enable_tensor)
    s = Schedule(built)
    if fifo_depths:
        set_stream_depths(s.module, s.top_func_name, dict(fifo_depths))
    if opt_default:
        df_pipeline(s.module, rewind=True)
    return s


@public_entry
def size_fifos(region_fn: RegionFunction, *example_inputs, schedule: Schedule | None = None,
               global_vars: dict | None = None) -> dict[str, int]:
    """The smallest depth of every stream with which the design neither deadlocks nor takes
    more estimated cycles than with unbounded streams, on ``example_inputs`` (one array per
    region parameter): ``{stream name: depth}``, ready for ``df.customize(region,
    fifo_depths=...)``. ``schedule`` sizes a customized schedule of the region instead (its
    primitives change the cycles). ``region_fn`` is the ``@df.region()`` function;
    ``global_vars`` are extra compile-time names, as for ``allo.customize``.

    >>> depths = df.size_fifos(forkjoin, X, np.zeros_like(X))   # doctest: +SKIP
    >>> depths                                                   # doctest: +SKIP
    {'a': 7, 'b': 1}
    """
    _check_region(region_fn)
    s = schedule if schedule is not None else customize(region_fn, global_vars=global_vars)
    return size_streams(s, example_inputs)


def build(region_fn: RegionFunction, target: str = "vitis_hls", mode: str | None = "csim",
          project: str | None = "top.prj", configs: dict | None = None, wrap_io: bool = True,
          enable_tensor: bool = False, mapping_primitives=None, profile: bool = False,
          warmup: int = 20, num_iters: int = 100, trace=None, trace_size: int = 4096,
          device_type=None):
    """Build a region: ``target="simulator"`` → :class:`LLVMOMPModule`; an HLS target →
    ``df.customize(region).build(target, mode, project, configs, wrap_io)``.

    ``region_fn`` is the ``@df.region()`` function; ``enable_tensor`` is passed to
    :func:`customize`; ``target``, ``mode``, ``project``, ``configs`` and ``wrap_io`` are
    those of ``Schedule.build`` (the defaults write a C-simulation project ``top.prj``).

    ``target="aie"`` needs the MLIR-AIE toolchain and an AMD NPU, which are not available:
    :class:`allo.ToolNotFoundError`. The AIE-only options (``mapping_primitives``,
    ``warmup``, ``num_iters``, ``trace_size``, ``device_type``) are ignored elsewhere;
    ``profile`` and ``trace`` are refused.
    """
    _check_region(region_fn)
    if target == "aie":
        raise ToolNotFoundError("aie mode 'None' needs the MLIR-AIE toolchain and an AMD NPU, "
                                "which was not found; nothing was emitted")
    if profile:
        raise BuildError("Profiling is only supported for AIE target")
    if trace is not None:
        raise BuildError("Trace profiling is only supported for AIE target")
    s = customize(region_fn, enable_tensor=enable_tensor)
    if target == "simulator":
        return s.build(target="simulator")
    if target in HLS_TARGETS:
        return s.build(target=target, mode=mode, project=project, configs=configs,
                       wrap_io=wrap_io)
    return s.build(target=target)


def _check_region(region_fn) -> None:
    if not is_region(region_fn):
        raise BuildError(f"expected a @df.region() function, got {type(region_fn).__name__}")


def _run_region(region_fn: RegionFunction, *arrays):
    """Calling a region with arrays simulates it (backends.md §6.1, decision)."""
    return build(region_fn, target="simulator")(*arrays)


RegionFunction.runner = staticmethod(_run_region)


def gather(*args, **kwargs):
    """AIE-only collective; not available outside the AIE flow."""
    raise NotImplementedError("df.gather is only supported by the AIE target")


def scatter(*args, **kwargs):
    """AIE-only collective; not available outside the AIE flow."""
    raise NotImplementedError("df.scatter is only supported by the AIE target")
