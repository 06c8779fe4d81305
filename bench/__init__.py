"""Benchmarks and the golden-set tooling for the matcher: scripts that print figures, not pass/fail tests."""
