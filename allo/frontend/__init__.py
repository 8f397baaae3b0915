"""The kernel frontend: Python source → typed MLIR (types, typing rules, casting, builder)."""
