"""Types, the AST-to-MLIR builder, typing rules and conversions."""
