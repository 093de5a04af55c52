"""Benchmarks: presets, the point-mass suite, tables, plots and the report."""
