"""Shared test configuration."""

from __future__ import annotations

import os

from hypothesis import settings

# Continuous integration replays the same examples on every run, so a result does not
# depend on the draw; locally each run explores new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
