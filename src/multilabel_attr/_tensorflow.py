"""Loading TensorFlow without its start-up noise.

TensorFlow's C++ runtime logs CUDA probe failures and similar lines while it is
imported, straight to file descriptor 2 and before any Python logging setting
applies; on a machine without a GPU they are errors about nothing.  Every part
of the package that needs TensorFlow imports it through here first.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys


def import_tensorflow_quietly() -> None:
    """Import TensorFlow once with its C++ start-up lines sent to /dev/null.

    Unless the user has set ``TF_CPP_MIN_LOG_LEVEL`` (then their choice stands), only
    errors that stop TensorFlow are logged: not the CUDA probe of a machine without a
    GPU, nor the Python logger's retracing notices during training.  A missing
    TensorFlow is left for the caller to report.
    """
    if "tensorflow" in sys.modules:
        return
    configured = "TF_CPP_MIN_LOG_LEVEL" in os.environ
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr descriptor: nothing to silence
        return
    try:
        with open(os.devnull, "w") as devnull:
            sys.stderr.flush()
            os.dup2(devnull.fileno(), 2)
            with contextlib.suppress(ImportError):
                import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    if not configured:
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
