"""Analyses over the scheduled IR: loop nests and stages, dependences, layouts, dataflow."""
