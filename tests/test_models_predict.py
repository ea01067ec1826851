"""predict_scores: one pass, aligned rows."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from multilabel_attr.models import build_paper_cnn, predict_scores  # noqa: E402

pytestmark = pytest.mark.tf

N, LABELS = 20, 5


@pytest.fixture(scope="module")
def model() -> Any:
    return build_paper_cnn((34, 34, 3), LABELS, seed=0)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (N, 34, 34, 3)).astype("float32")
    # Each label row is the binary code of the sample's index, so a row names its sample.
    labels = ((np.arange(N)[:, None] >> np.arange(LABELS)) & 1).astype("float32")
    return images, labels


def test_matches_model_predict(model: Any, data: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = data
    ds = tf.data.Dataset.from_tensor_slices((images, labels)).batch(6)  # ragged last batch
    y_true, y_score = predict_scores(model, ds)
    assert y_true.dtype == np.float32
    assert y_score.dtype == np.float32
    np.testing.assert_array_equal(y_true, labels)
    np.testing.assert_allclose(y_score, model.predict(images, verbose=0), rtol=1e-5, atol=1e-6)


def test_rows_stay_aligned_under_reshuffling(
    model: Any, data: tuple[np.ndarray, np.ndarray]
) -> None:
    images, labels = data
    # A reshuffling pipeline gives a new order on every pass: reading it twice (predict, then
    # labels) would misalign rows; one pass cannot.
    ds = (
        tf.data.Dataset.from_tensor_slices((images, labels))
        .shuffle(N, seed=1, reshuffle_each_iteration=True)
        .batch(4)
    )
    y_true, y_score = predict_scores(model, ds)
    index = (y_true.astype(int) << np.arange(LABELS)).sum(axis=1)
    assert sorted(index.tolist()) == list(range(N))
    assert index.tolist() != list(range(N))  # the shuffle did reorder
    expected = model.predict(images, verbose=0)[index]
    np.testing.assert_allclose(y_score, expected, rtol=1e-5, atol=1e-6)


def test_reads_the_dataset_once(model: Any, data: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = data
    passes = []

    def generate() -> Any:
        passes.append(1)
        for start in range(0, N, 8):
            yield images[start : start + 8], labels[start : start + 8]

    y_true, _ = predict_scores(model, generate())
    assert len(passes) == 1
    np.testing.assert_array_equal(y_true, labels)


def test_accepts_sample_weights_and_numpy_batches(
    model: Any, data: tuple[np.ndarray, np.ndarray]
) -> None:
    images, labels = data
    batches = [(images[:10], labels[:10], np.ones(10)), (images[10:], labels[10:], np.ones(10))]
    y_true, y_score = predict_scores(model, batches)
    assert y_true.shape == y_score.shape == (N, LABELS)


def test_errors(model: Any, data: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = data
    with pytest.raises(ValueError, match="empty"):
        predict_scores(model, [])
    with pytest.raises(TypeError, match=r"\(images, labels\)"):
        predict_scores(model, tf.data.Dataset.from_tensor_slices(images).batch(4))
    with pytest.raises(ValueError, match="shape"):
        predict_scores(model, [(images[:4], labels[:4, :3])])
    with pytest.raises(TypeError, match=r"keras\.Model"):
        predict_scores("model", [(images, labels)])
