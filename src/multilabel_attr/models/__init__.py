"""Models and training protocols of the facial-attribute paper (needs the ``tf`` extra).

Both builders take **raw pixels in [0, 255]** and scale them inside the model: the paper's CNN
with ``Rescaling(1/255)`` to [0, 1], the Xception transfer model with
``Rescaling(1/127.5, offset=-1)`` to [-1, 1], the range its ImageNet weights were trained on.
Keeping the scaling in the graph means one input pipeline (decode, resize, batch) feeds both
models, a saved ``.keras`` model carries its own preprocessing so it cannot be served with the
wrong one, and the data module never has to know which model will consume its images.

Contents
--------
- [`build_paper_cnn`][multilabel_attr.models.build_paper_cnn],
  [`build_xception_transfer`][multilabel_attr.models.build_xception_transfer]: the two
  architectures.
- [`set_base_trainable`][multilabel_attr.models.set_base_trainable],
  [`transfer_base`][multilabel_attr.models.transfer_base]: freeze or unfreeze the transfer model's
  base for fine-tuning; [`InferenceModeBase`][multilabel_attr.models.InferenceModeBase] keeps that
  base's batch normalisation in inference mode under Keras 3.
- [`train_cnn`][multilabel_attr.models.train_cnn],
  [`train_transfer`][multilabel_attr.models.train_transfer]: the paper's training protocols, with
  checkpoints, history files and resumption after interruption.
- [`default_metrics`][multilabel_attr.models.default_metrics]: metrics logged during training when
  none are given.
- [`predict_scores`][multilabel_attr.models.predict_scores]: labels and scores of a dataset in one
  pass.
- [`precision_policy`][multilabel_attr.models.precision_policy],
  [`model_precision`][multilabel_attr.models.model_precision],
  [`resolve_strategy`][multilabel_attr.models.resolve_strategy],
  [`global_batch_size`][multilabel_attr.models.global_batch_size]: mixed precision, XLA and
  several GPUs for the training functions.
"""

from __future__ import annotations

try:
    from .._tensorflow import import_tensorflow_quietly

    import_tensorflow_quietly()
    import keras as _keras  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "multilabel_attr.models needs TensorFlow and Keras; install them with "
        "`pip install 'multilabel-attr[tf]'`"
    ) from exc

from ._accelerate import (
    PRECISIONS,
    global_batch_size,
    model_precision,
    precision_policy,
    resolve_strategy,
)
from ._builders import (
    XCEPTION_BASE_NAME,
    XCEPTION_NOTOP_FILENAME,
    build_paper_cnn,
    build_xception_transfer,
    count_trainable_params,
    imagenet_weights_path,
    set_base_trainable,
    transfer_base,
)
from ._layers import InferenceModeBase
from ._predict import predict_scores
from ._training import (
    TrainingResult,
    TransferTrainingResult,
    default_metrics,
    train_cnn,
    train_transfer,
)

__all__ = [
    "PRECISIONS",
    "XCEPTION_BASE_NAME",
    "XCEPTION_NOTOP_FILENAME",
    "InferenceModeBase",
    "TrainingResult",
    "TransferTrainingResult",
    "build_paper_cnn",
    "build_xception_transfer",
    "count_trainable_params",
    "default_metrics",
    "global_batch_size",
    "imagenet_weights_path",
    "model_precision",
    "precision_policy",
    "predict_scores",
    "resolve_strategy",
    "set_base_trainable",
    "train_cnn",
    "train_transfer",
    "transfer_base",
]
