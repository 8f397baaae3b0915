"""Utilities over upstream MLIR shared by every layer (walks, lookups, loops, affine forms)."""
