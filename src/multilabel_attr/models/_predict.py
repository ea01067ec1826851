"""Scoring a labelled dataset in one pass."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["predict_scores"]


def _as_array(value: Any) -> npt.NDArray[Any]:
    # tf.Tensor, keras tensors and numpy arrays all convert without a copy on CPU.
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value)


def predict_scores(
    model: Any, dataset: Iterable[Any]
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Score every batch of a labelled dataset, keeping labels and scores aligned.

    The dataset is read exactly once: each batch's images go through the model
    (``predict_on_batch``) while its labels are kept, so shuffled or non-deterministic pipelines
    still give matching rows, and an expensive input pipeline (JPEG decoding) runs only once.

    Parameters
    ----------
    model
        A ``keras.Model`` whose output is ``(batch, num_labels)`` scores.
    dataset
        An iterable of batches ``(images, labels)`` or ``(images, labels, sample_weights)``,
        typically a batched ``tf.data.Dataset``; sample weights are ignored.

    Returns
    -------
    y_true : numpy.ndarray
        ``(n_samples, num_labels)`` labels as float32.
    y_score : numpy.ndarray
        ``(n_samples, num_labels)`` model outputs as float32, row ``i`` for label row ``i``.

    Raises
    ------
    TypeError
        If ``model`` is not a Keras model or a batch is not a ``(images, labels)`` pair.
    ValueError
        If the dataset is empty, or a batch's labels and scores disagree in shape.

    Examples
    --------
    >>> import numpy as np, tensorflow as tf
    >>> from multilabel_attr.models import build_paper_cnn, predict_scores
    >>> model = build_paper_cnn((34, 34, 3), num_labels=3, seed=0)
    >>> images = np.zeros((5, 34, 34, 3), "float32"); labels = np.eye(5, 3, dtype="float32")
    >>> ds = tf.data.Dataset.from_tensor_slices((images, labels)).batch(2)
    >>> y_true, y_score = predict_scores(model, ds)
    >>> y_true.shape, y_score.shape
    ((5, 3), (5, 3))
    """
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(
            f"predict_scores: model must be a keras.Model; received {type(model).__name__}"
        )
    trues: list[npt.NDArray[np.float32]] = []
    scores: list[npt.NDArray[np.float32]] = []
    for index, batch in enumerate(dataset):
        if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
            raise TypeError(
                "predict_scores: dataset must yield (images, labels) batches; batch "
                f"{index} is a {type(batch).__name__}"
                + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else "")
            )
        images, labels = batch[0], batch[1]
        y_score = np.asarray(model.predict_on_batch(images), dtype=np.float32)
        y_true = _as_array(labels).astype(np.float32, copy=False)
        if y_true.ndim == 1:
            y_true = y_true[:, None]
        if y_score.ndim == 1:
            y_score = y_score[:, None]
        if y_true.shape != y_score.shape:
            raise ValueError(
                f"predict_scores: batch {index} has labels of shape {y_true.shape} but the model "
                f"returned scores of shape {y_score.shape}"
            )
        trues.append(y_true)
        scores.append(y_score)
    if not trues:
        raise ValueError("predict_scores: dataset is empty (no batches)")
    return np.concatenate(trues, axis=0), np.concatenate(scores, axis=0)
