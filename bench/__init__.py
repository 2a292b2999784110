"""Benchmarks run by `make bench`; they print figures, tests never assert timings."""
