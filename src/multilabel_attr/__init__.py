"""Exact, fast, streaming multi-label classification metrics."""

__version__ = "0.1.0"
