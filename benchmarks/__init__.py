"""Performance benchmarks for ohsim (``python -m benchmarks.run``; see benchmarks/README.md)."""
