"""Utilities over upstream MLIR shared by every layer: the one home of each helper.

* :mod:`~allo.mlir_utils.walk` — op walks, attribute and constant reads
* :mod:`~allo.mlir_utils.symbols` — functions and other symbols by name
* :mod:`~allo.mlir_utils.loops` — constant loop bounds, trip counts, induction variable, body
* :mod:`~allo.mlir_utils.affine` — the affine-expression fold, its evaluation over operand
  values, substitution and :class:`LinearForm`, the linear form of subscripts and index
  expressions

>>> from allo.mlir_utils import LinearForm, find_func, trip_count
"""

from .affine import (  # noqa: F401
    LinearForm, fold_affine_expr, fold_affine_map, linear_form_of, operand_leaf, substitute_expr,
)
from .loops import constant_bounds, loop_body, loop_iv, trip_count  # noqa: F401
from .symbols import (  # noqa: F401
    find_func, find_symbol, fresh_name, func_name, func_ops, module_of, top_level_ops,
)
from .walk import (  # noqa: F401
    block_ops, collect_ops, constant_int, is_nested_in, ops_named, string_attr, walk_ops,
)
