"""The pieces of `bench/run.py` (Python 3 standard library only)."""
