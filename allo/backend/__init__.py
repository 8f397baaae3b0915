"""Backends: ``llvm`` (CPU execution) and ``hls`` (Vitis HLS C++).

Each backend registers its build targets with :mod:`allo.schedule.targets` when imported,
which is how ``s.build(target=...)`` reaches it without the schedule layer importing a
backend.
"""
