"""Benchmarks: each prints a table and writes its numbers to docs/."""
