"""Lowering pipelines and IR analyses (``allo.passes``, ``backends.md`` §11.1).

Re-exports: the passes themselves live beside their users (argument directions in the
frontend, I/O buffers in the HLS backend, Allo op lowering in the CPU backend,
``df_pipeline`` with the schedule).

>>> from allo.passes import analyze_arg_load_store, generate_input_output_buffers
"""

from ..frontend.arg_directions import analyze_arg_load_store, analyze_arg_load_store_in_func  # noqa: F401
from ..backend.hls.io_buffers import generate_input_output_buffers  # noqa: F401
from ..backend.llvm.allo_ops import lower_allo_ops  # noqa: F401
from ..schedule.df_pipeline import df_pipeline  # noqa: F401

__all__ = [
    "analyze_arg_load_store",
    "analyze_arg_load_store_in_func",
    "df_pipeline",
    "generate_input_output_buffers",
    "lower_allo_ops",
]
