"""Benchmarks: speed and memory, measured and printed, never asserted in tests."""
