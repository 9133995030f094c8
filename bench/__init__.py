"""Benchmarks: `make bench` prints the figures recorded in docs/performance.md."""
