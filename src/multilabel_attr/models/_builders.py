"""Model builders: the paper's CNN and the Xception transfer model."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._io import file_digest
from ..core._validation import check_int
from ._layers import InferenceModeBase

if TYPE_CHECKING:
    import keras

__all__ = [
    "XCEPTION_BASE_NAME",
    "XCEPTION_NOTOP_FILENAME",
    "build_paper_cnn",
    "build_xception_transfer",
    "count_trainable_params",
    "imagenet_weights_path",
    "set_base_trainable",
    "transfer_base",
]

# Name given to the nested Xception model inside `build_xception_transfer`.
XCEPTION_BASE_NAME = "xception"

_WRAPPER_NAME = "base_inference_mode"

#: File name of Keras's ImageNet weights for Xception without its classification head.
XCEPTION_NOTOP_FILENAME = "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"

_XCEPTION_NOTOP_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
    + XCEPTION_NOTOP_FILENAME
)
# The checksum Keras itself verifies for this file (keras.applications.xception).
_XCEPTION_NOTOP_MD5 = "b0042744bf5b25fce3cb969f33bebb97"

# Xception's stem and entry flow shrink the image 32-fold; Keras refuses anything below 71.
_XCEPTION_MIN_SIZE = 71


def _check_input_shape(input_shape: Any, *, min_size: int, who: str) -> tuple[int, int, int]:
    if (
        not isinstance(input_shape, (tuple, list))
        or len(input_shape) != 3
        or not all(isinstance(d, int) and not isinstance(d, bool) for d in input_shape)
    ):
        raise TypeError(
            f"{who}: input_shape must be a tuple of three ints (height, width, channels); "
            f"received {input_shape!r}"
        )
    height, width, channels = (int(d) for d in input_shape)
    if height < min_size or width < min_size:
        raise ValueError(
            f"{who}: input_shape height and width must be at least {min_size}; "
            f"received {tuple(input_shape)!r}"
        )
    if channels < 1:
        raise ValueError(
            f"{who}: input_shape channels must be positive; received {tuple(input_shape)!r}"
        )
    return height, width, channels


def _check_num_labels(num_labels: Any, who: str) -> int:
    try:
        return check_int(num_labels, "num_labels", minimum=1)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{who}: {exc}") from None


def build_paper_cnn(
    input_shape: tuple[int, int, int] = (150, 150, 3),
    num_labels: int = 40,
    *,
    seed: int | None = None,
    name: str = "paper_cnn",
) -> keras.Model:
    """Build the paper's convolutional network.

    Ten 3x3 ReLU convolutions (``he_uniform``) in five blocks of two, with 32, 32, 64, 64 and 128
    filters and a 2x2 max pooling after each block; only the very first convolution uses
    ``'valid'`` padding. The 4x4x128 feature map is flattened into two 512-unit ReLU layers and a
    sigmoid output with one unit per label. No dropout, no batch normalisation. At the defaults
    the network has exactly 1,711,624 trainable parameters.

    The model takes raw pixels in [0, 255]; a ``Rescaling(1/255)`` layer maps them to [0, 1] as
    the paper did before the first convolution.

    Parameters
    ----------
    input_shape
        ``(height, width, channels)``. Height and width must be at least 34, the smallest size
        that survives the first unpadded convolution and the five poolings.
    num_labels
        Number of sigmoid outputs (40 for CelebA).
    seed
        Seed for the ``he_uniform`` initialisers (each layer gets its own derived seed), for
        reproducible initial weights; ``None`` draws fresh weights.
    name
        Name of the returned model.

    Returns
    -------
    keras.Model
        An uncompiled functional model mapping ``(batch, *input_shape)`` raw pixels to
        ``(batch, num_labels)`` probabilities.

    Raises
    ------
    TypeError
        If ``input_shape`` is not three ints.
    ValueError
        If the image is too small or ``num_labels`` is not a positive int.

    Examples
    --------
    >>> from multilabel_attr.models import build_paper_cnn, count_trainable_params
    >>> model = build_paper_cnn()
    >>> count_trainable_params(model)
    1711624
    >>> model.output_shape
    (None, 40)
    """
    import keras

    who = "build_paper_cnn"
    _check_input_shape(input_shape, min_size=34, who=who)
    _check_num_labels(num_labels, who)

    def init(index: int) -> keras.initializers.Initializer:
        # A seeded Keras initializer repeats its values on every call, so each layer needs its own.
        return keras.initializers.HeUniform(seed=None if seed is None else seed + index)

    inputs = keras.Input(shape=tuple(input_shape), name="pixels")
    x = keras.layers.Rescaling(1.0 / 255.0, name="rescale")(inputs)
    layer_index = 0
    for block, filters in enumerate((32, 32, 64, 64, 128), start=1):
        for position in (1, 2):
            padding = "valid" if layer_index == 0 else "same"
            x = keras.layers.Conv2D(
                filters,
                (3, 3),
                padding=padding,
                activation="relu",
                kernel_initializer=init(layer_index),
                name=f"block{block}_conv{position}",
            )(x)
            layer_index += 1
        x = keras.layers.MaxPooling2D((2, 2), name=f"block{block}_pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    for position in (1, 2):
        x = keras.layers.Dense(
            512, activation="relu", kernel_initializer=init(layer_index), name=f"dense{position}"
        )(x)
        layer_index += 1
    # float32 whatever the global policy: losses and metrics then see float32 probabilities.
    outputs = keras.layers.Dense(
        num_labels,
        activation="sigmoid",
        kernel_initializer=init(layer_index),
        name="labels",
        dtype="float32",
    )(x)
    return keras.Model(inputs, outputs, name=name)


def _keras_home() -> Path:
    # Mirrors keras.src.backend.config, but read now rather than at Keras import time, so that a
    # KERAS_HOME set after importing Keras is honoured.
    env = os.environ.get("KERAS_HOME")
    if env:
        return Path(env).expanduser()
    home = Path(os.path.expanduser("~"))
    if not os.access(home, os.W_OK):
        home = Path("/tmp")
    return home / ".keras"


def imagenet_weights_path() -> Path:
    """Locate Keras's cached ImageNet weights for Xception without its top.

    Looks for ``models/xception_weights_tf_dim_ordering_tf_kernels_notop.h5`` under the Keras
    home folder (``$KERAS_HOME`` if set, else ``~/.keras``). Nothing is ever downloaded.

    Returns
    -------
    pathlib.Path
        Path of the cached weights file.

    Raises
    ------
    FileNotFoundError
        If the file is not in the cache; the message says where to put it and the alternatives.
    ValueError
        If the cached file does not have the checksum Keras publishes (a partial or corrupt
        download).
    """
    cache = _keras_home() / "models" / XCEPTION_NOTOP_FILENAME
    if not cache.is_file():
        raise FileNotFoundError(
            "weights='imagenet' needs the Xception ImageNet weights (no top), but "
            f"{XCEPTION_NOTOP_FILENAME!r} is not in the Keras cache (looked for {str(cache)!r}); "
            "this library never downloads at run time. To proceed, either: "
            f"(1) fetch {_XCEPTION_NOTOP_URL} on a machine with network access and copy it to "
            f"{str(cache)!r} (or into <folder>/models/ and set KERAS_HOME=<folder>); "
            "(2) pass weights='/path/to/" + XCEPTION_NOTOP_FILENAME + "'; or "
            "(3) pass weights=None to start from random weights (no transfer learning)."
        )
    md5 = file_digest(cache, "md5")
    if md5 != _XCEPTION_NOTOP_MD5:
        raise ValueError(
            f"the cached Xception weights at {str(cache)!r} have MD5 {md5}, "
            f"expected {_XCEPTION_NOTOP_MD5} (partial or corrupt download); replace the file "
            f"with a fresh copy of {_XCEPTION_NOTOP_URL}"
        )
    return cache


def _resolve_weights(weights: Any) -> str | None:
    if weights is None:
        return None
    if isinstance(weights, str) and weights == "imagenet":
        return str(imagenet_weights_path())
    if isinstance(weights, (str, os.PathLike)):
        path = Path(os.fspath(weights)).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"build_xception_transfer: weights file {str(path)!r} does not exist; pass an "
                "existing Xception (no top) weights file, 'imagenet' for the Keras cache, or None "
                "for random weights"
            )
        return str(path)
    raise TypeError(
        "build_xception_transfer: weights must be 'imagenet', None or a path to a weights file; "
        f"received {weights!r} of type {type(weights).__name__}"
    )


def build_xception_transfer(
    input_shape: tuple[int, int, int] = (150, 150, 3),
    num_labels: int = 40,
    weights: str | os.PathLike[str] | None = "imagenet",
    dropout: float = 0.2,
    *,
    name: str = "xception_transfer",
) -> keras.Model:
    """Build the paper's transfer-learning model on an Xception base.

    ``Rescaling(1/127.5, offset=-1)`` maps raw pixels to [-1, 1] (Xception's own preprocessing), the
    Xception base without its top is called with ``training=False`` so its batch normalisation stays
    in inference mode even once unfrozen, then global average pooling, dropout and a sigmoid layer
    with one unit per label. The base sits inside an
    [`InferenceModeBase`][multilabel_attr.models.InferenceModeBase] layer, because Keras 3 would
    otherwise let ``fit``'s ``training=True`` override the ``training=False`` the paper wrote (a
    Keras 2 idiom); use [`transfer_base`][multilabel_attr.models.transfer_base] to reach it. At the
    defaults the model has 20,943,440 parameters, of which 81,960 (the head) are trainable: the base
    is returned frozen, ready for the first training phase.
    [`set_base_trainable`][multilabel_attr.models.set_base_trainable] unfreezes it (20,888,912
    trainable).

    Parameters
    ----------
    input_shape
        ``(height, width, 3)`` with height and width at least 71.
    num_labels
        Number of sigmoid outputs.
    weights
        ``"imagenet"`` loads the ImageNet weights from the Keras cache (see
        [`imagenet_weights_path`][multilabel_attr.models.imagenet_weights_path]; nothing is
        downloaded), ``None`` starts from random weights, a path loads that Xception (no top)
        weights file into the base.
    dropout
        Dropout rate before the output layer, in [0, 1).
    name
        Name of the returned model.

    Returns
    -------
    keras.Model
        An uncompiled functional model; its Xception base, named ``"xception"``, is returned by
        [`transfer_base`][multilabel_attr.models.transfer_base].

    Raises
    ------
    FileNotFoundError
        If ``weights="imagenet"`` and the cache lacks the file, or a weights path is missing.
    TypeError
        If ``weights`` or ``input_shape`` has the wrong type.
    ValueError
        If ``input_shape``, ``num_labels`` or ``dropout`` is out of range.
    """
    import keras

    who = "build_xception_transfer"
    _check_input_shape(input_shape, min_size=_XCEPTION_MIN_SIZE, who=who)
    if input_shape[2] != 3:
        raise ValueError(f"{who}: Xception needs 3 input channels; received {tuple(input_shape)!r}")
    _check_num_labels(num_labels, who)
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ValueError(f"{who}: dropout must be a float in [0, 1); received {dropout!r}")
    weights_file = _resolve_weights(weights)

    base = keras.applications.Xception(
        include_top=False,
        weights=weights_file,
        input_shape=tuple(input_shape),
        name=XCEPTION_BASE_NAME,
    )
    base.trainable = False

    inputs = keras.Input(shape=tuple(input_shape), name="pixels")
    x = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0, name="rescale")(inputs)
    # Keras 3 would let fit()'s training=True override a plain base(x, training=False).
    x = InferenceModeBase(base, name=_WRAPPER_NAME)(x)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = keras.layers.Dropout(float(dropout), name="dropout")(x)
    outputs = keras.layers.Dense(
        num_labels, activation="sigmoid", name="labels", dtype="float32"
    )(x)
    return keras.Model(inputs, outputs, name=name)


def transfer_base(model: keras.Model) -> keras.Model:
    """Return the pretrained base inside a transfer model.

    Parameters
    ----------
    model
        A model from [`build_xception_transfer`][multilabel_attr.models.build_xception_transfer], or
        any model with exactly one nested model (directly or inside
        [`InferenceModeBase`][multilabel_attr.models.InferenceModeBase]).

    Returns
    -------
    keras.Model
        The nested base model (the same object, not a copy).

    Raises
    ------
    ValueError
        If no single base can be found.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(
            f"transfer_base: model must be a keras.Model; received {type(model).__name__}"
        )

    nested: list[keras.Model] = []
    for layer in model.layers:
        if isinstance(layer, InferenceModeBase):
            nested.append(layer.inner)
        elif isinstance(layer, keras.Model):
            nested.append(layer)
    named = [layer for layer in nested if layer.name == XCEPTION_BASE_NAME]
    if len(named) == 1:
        return named[0]
    if len(nested) == 1:
        return nested[0]
    raise ValueError(
        "model must contain exactly one nested base model (or one named "
        f"{XCEPTION_BASE_NAME!r}); found {[layer.name for layer in nested]!r} in {model.name!r}"
    )


def _set_trainable(layer: keras.layers.Layer, trainable: bool) -> None:
    # Keras's setter only cascades when the value changes, so a base left partly frozen by a
    # previous from_layer call would stay partly frozen; set every layer explicitly.
    layer.trainable = trainable
    for sub in getattr(layer, "layers", ()):
        _set_trainable(sub, trainable)
    inner = getattr(layer, "inner", None)
    if inner is not None:
        _set_trainable(inner, trainable)


def set_base_trainable(
    model: keras.Model, trainable: bool, *, from_layer: str | int | None = None
) -> int:
    """Freeze or unfreeze the pretrained base of a transfer model.

    The base is the nested model named ``"xception"`` (or the only nested model). Keras only
    takes a change of ``trainable`` into account at the next ``compile``, so recompile the model
    afterwards (the training functions do).

    Parameters
    ----------
    model
        A model built by [`build_xception_transfer`][multilabel_attr.models.build_xception_transfer]
        (or any model with one nested base).
    trainable
        ``False`` freezes the whole base; ``True`` unfreezes it.
    from_layer
        With ``trainable=True``, unfreeze only the base's layers from this one on (a layer name
        or an index into ``base.layers``) and keep the earlier ones frozen, for partial
        fine-tuning.

    Returns
    -------
    int
        The model's number of trainable parameters after the change.

    Raises
    ------
    TypeError
        If ``model`` is not a Keras model or ``trainable`` not a bool.
    ValueError
        If the base cannot be found, ``from_layer`` is unknown, or ``from_layer`` is given with
        ``trainable=False``.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(
            f"set_base_trainable: model must be a keras.Model; received {type(model).__name__}"
        )
    if not isinstance(trainable, bool):
        raise TypeError(f"set_base_trainable: trainable must be a bool; received {trainable!r}")
    base = transfer_base(model)
    if from_layer is not None and not trainable:
        raise ValueError(
            "set_base_trainable: from_layer only applies when unfreezing (trainable=True); "
            f"received from_layer={from_layer!r} with trainable=False"
        )
    _set_trainable(base, trainable)
    for layer in model.layers:
        if isinstance(layer, InferenceModeBase) and layer.inner is base:
            # The wrapper's own flag gates its weights (the base's) in trainable_weights.
            layer.trainable = trainable
    if from_layer is not None:
        names = [layer.name for layer in base.layers]
        if isinstance(from_layer, bool) or not isinstance(from_layer, (str, int)):
            raise TypeError(
                f"set_base_trainable: from_layer must be a layer name or index; "
                f"received {from_layer!r}"
            )
        if isinstance(from_layer, str):
            if from_layer not in names:
                raise ValueError(
                    f"set_base_trainable: from_layer {from_layer!r} is not a layer of "
                    f"{base.name!r}; its layers include {names[:3]!r} ... {names[-3:]!r}"
                )
            start = names.index(from_layer)
        else:
            if not -len(names) <= from_layer < len(names):
                raise ValueError(
                    f"set_base_trainable: from_layer index {from_layer} is out of range for "
                    f"{base.name!r} with {len(names)} layers"
                )
            start = from_layer % len(names)
        for layer in base.layers[:start]:
            _set_trainable(layer, False)
    return count_trainable_params(model)


def count_trainable_params(model: keras.Model) -> int:
    """Number of trainable scalars in ``model``."""
    return int(sum(math.prod(w.shape) for w in model.trainable_weights))
