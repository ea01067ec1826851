"""Helpers shared by the Keras test modules, which run under every Keras 3 backend."""

from __future__ import annotations

import keras
import pytest

BACKEND = keras.backend.backend()

tensorflow_backend_only = pytest.mark.skipif(
    BACKEND != "tensorflow",
    reason=f"uses tf.function or tf.distribute, specific to the TensorFlow backend ({BACKEND})",
)
