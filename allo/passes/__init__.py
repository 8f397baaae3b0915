"""Lowering pipelines and IR analyses (``allo.passes``, ``backends.md`` §11.1).

>>> from allo.passes import analyze_arg_load_store, generate_input_output_buffers
"""

from .arg_analysis import analyze_arg_load_store, analyze_arg_load_store_in_func  # noqa: F401
from .io_buffers import generate_input_output_buffers  # noqa: F401
from .allo_ops import lower_allo_ops  # noqa: F401
from .df_pipeline import df_pipeline  # noqa: F401

__all__ = [
    "analyze_arg_load_store",
    "analyze_arg_load_store_in_func",
    "df_pipeline",
    "generate_input_output_buffers",
    "lower_allo_ops",
]
