"""Keras metrics under mixed precision equal the core's numbers on the same predictions."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

import multilabel_attr as ml  # noqa: E402
from multilabel_attr import keras as mk  # noqa: E402
from multilabel_attr.models import build_paper_cnn, precision_policy  # noqa: E402

pytestmark = pytest.mark.tf

SHAPE = (34, 34, 3)
LABELS = 5
THRESHOLDS = [0.5, 0.3, 0.7, 0.45, 0.55]
GPUS = tf.config.list_physical_devices("GPU")


def metric_set() -> list[Any]:
    return [
        mk.LabelAccuracy(LABELS),
        mk.HammingScore(LABELS),
        mk.SubsetAccuracy(LABELS),
        mk.F1Score(LABELS, average="samples"),
        mk.F1Score(LABELS, average="macro", threshold=THRESHOLDS),
        mk.Precision(LABELS, average="micro", threshold=THRESHOLDS),
        mk.Recall(LABELS, average="weighted"),
        mk.JaccardScore(LABELS, average="samples", threshold=THRESHOLDS),
    ]


def core_values(y: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    t = np.asarray(THRESHOLDS)
    return {
        "label_accuracy": 1.0 - ml.hamming_loss(y, scores, threshold=0.5),
        "hamming_score": ml.hamming_score(y, scores, threshold=0.5, zero_division=0),
        "subset_accuracy": ml.subset_accuracy(y, scores, threshold=0.5),
        "f1_score_samples": ml.f1_score(
            y, scores, threshold=0.5, average="samples", zero_division=0
        ),
        "f1_score_macro": ml.f1_score(y, scores, threshold=t, average="macro", zero_division=0),
        "precision_micro": ml.precision_score(
            y, scores, threshold=t, average="micro", zero_division=0
        ),
        "recall_weighted": ml.recall_score(
            y, scores, threshold=0.5, average="weighted", zero_division=0
        ),
        "jaccard_score_samples": ml.jaccard_score(
            y, scores, threshold=t, average="samples", zero_division=0
        ),
    }


def data(n: int = 96) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (n, *SHAPE)).astype("float32")
    labels = (rng.random((n, LABELS)) < 0.4).astype("float32")
    return images, labels


def streamed(device: str, policy: str, jit_compile: bool) -> tuple[dict[str, float], Any]:
    """Metric results and the exact predictions they saw, batch by batch, under ``policy``."""
    images, labels = data()
    with tf.device(device), precision_policy(policy):  # type: ignore[arg-type]
        model = build_paper_cnn(SHAPE, LABELS, seed=1)
        metrics = metric_set()

        @tf.function(jit_compile=jit_compile)
        def step(x: Any, y: Any) -> Any:
            scores = model(x, training=False)
            for metric in metrics:
                metric.update_state(y, scores)
            return scores

        batches = [step(images[i : i + 32], labels[i : i + 32]) for i in range(0, len(images), 32)]
    assert model.layers[2].compute_dtype == policy.removeprefix("mixed_")
    assert {b.dtype for b in batches} == {tf.float32}
    results = {m.name: float(m.result()) for m in metrics}
    assert {m.dtype for m in metrics} == {"float32"}
    return results, np.concatenate([b.numpy() for b in batches])


def check_equal(device: str, policy: str, jit_compile: bool) -> None:
    _, labels = data()
    results, scores = streamed(device, policy, jit_compile)
    for name, expected in core_values(labels, scores).items():
        assert results[name] == pytest.approx(expected, abs=1e-6), name
    assert keras.mixed_precision.global_policy().name == "float32"


@pytest.mark.parametrize("jit_compile", [False, True], ids=["graph", "xla"])
def test_mixed_float16_metrics_equal_core_on_cpu(jit_compile: bool) -> None:
    check_equal("/cpu:0", "mixed_float16", jit_compile)


def test_mixed_bfloat16_metrics_equal_core_on_cpu() -> None:
    check_equal("/cpu:0", "mixed_bfloat16", False)


def test_float16_scores_are_thresholded_exactly() -> None:
    # Scores that are themselves float16 (a custom model without a float32 output layer):
    # the metric compares them in float32, the core on the same float16 values.
    rng = np.random.default_rng(7)
    labels = (rng.random((200, LABELS)) < 0.5).astype("float32")
    scores = rng.random((200, LABELS)).astype(np.float16)
    scores[:20] = np.float16(0.5)  # exactly on the threshold: predicted positive
    scores[20:40] = np.nextafter(np.float16(0.3), np.float16(0))
    metrics = metric_set()
    for metric in metrics:
        metric.update_state(labels, tf.constant(scores))
    expected = core_values(labels, scores.astype(np.float32))
    for metric in metrics:
        assert float(metric.result()) == pytest.approx(expected[metric.name], abs=1e-6)


def test_evaluate_under_mixed_policy_equals_core_on_predict() -> None:
    images, labels = data()
    with precision_policy("mixed_float16"):
        model = build_paper_cnn(SHAPE, LABELS, seed=2)
        model.compile(loss="binary_crossentropy", metrics=metric_set())
        logs = model.evaluate(images, labels, batch_size=32, return_dict=True, verbose=0)
        scores = model.predict(images, batch_size=32, verbose=0)
    assert scores.dtype == np.float32
    for name, expected in core_values(labels, scores).items():
        assert logs[name] == pytest.approx(expected, abs=1e-6), name


@pytest.mark.skipif(not GPUS, reason="needs a GPU")
@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("jit_compile", [False, True], ids=["graph", "xla"])
def test_mixed_precision_metrics_equal_core_on_gpu(policy: str, jit_compile: bool) -> None:
    check_equal("/gpu:0", policy, jit_compile)
