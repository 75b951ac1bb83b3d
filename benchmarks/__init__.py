"""Benchmarks and paper reproduction: ``python -m benchmarks <experiment>``."""
