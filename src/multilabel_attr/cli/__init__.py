"""The ``multilabel-attr`` command line."""

import sys

from ._main import build_parser, main

__all__ = ["build_parser", "main", "run"]


def run() -> None:
    """Console-script entry point: exits with `main`'s code."""
    sys.exit(main())
