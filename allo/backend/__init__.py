"""Backends: ``llvm`` (CPU execution) and ``hls`` (Vitis HLS C++).

Each backend registers its build targets with :mod:`allo.schedule.targets` when imported,
which is how ``s.build(target=...)`` reaches it without the schedule layer importing a
backend.
"""

# The AIE flow (MLIR-AIE and an AMD NPU) is not available: ``df.build(target="aie")`` raises
# ToolNotFoundError, and the module class the reference exposes here is None.
AIE_MLIRModule = None
