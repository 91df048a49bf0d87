"""Benchmarks of Bihuan (see bench/README.md). Nothing here is imported by the app."""
