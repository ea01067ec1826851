"""Layers the model builders need beyond Keras's own."""

from __future__ import annotations

from typing import Any

import keras

__all__ = ["InferenceModeBase"]


@keras.saving.register_keras_serializable(package="multilabel_attr", name="InferenceModeBase")
class InferenceModeBase(keras.layers.Layer):  # type: ignore[misc]
    """Run a wrapped model in inference mode, whatever the enclosing call's ``training`` flag.

    Transfer learning keeps a pretrained base's batch normalisation in inference mode (its
    moving statistics frozen) while the base's weights are fine-tuned. With Keras 2 this was
    written ``base(x, training=False)`` in a functional model, and the paper relied on it. Keras 3
    functional models pass the outer ``training`` flag (``True`` inside ``fit``) down to every
    layer, overriding that ``False``; once the base is unfrozen its batch normalisation would
    then normalise with batch statistics and update its moving averages. Calling the base from
    inside this layer makes the ``False`` explicit at the only place Keras 3 honours it.

    Parameters
    ----------
    inner
        The model to wrap; its weights (trainable or not) belong to this layer.
    **kwargs
        Passed to ``keras.layers.Layer`` (e.g. ``name``).
    """

    def __init__(self, inner: keras.Model, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inner = inner

    def build(self, input_shape: Any) -> None:
        if not self.inner.built:
            self.inner.build(input_shape)
        self.built = True

    def call(self, inputs: Any) -> Any:
        return self.inner(inputs, training=False)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.inner.compute_output_shape(input_shape)

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        config["inner"] = keras.saving.serialize_keras_object(self.inner)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> InferenceModeBase:
        config = dict(config)
        inner = keras.saving.deserialize_keras_object(config.pop("inner"))
        return cls(inner, **config)
