"""The Keras metric adapters inside model.fit, saved models and MirroredStrategy."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import multilabel_attr as ml  # noqa: E402
from _keras_helpers import tensorflow_backend_only  # noqa: E402
from _two_cpus import run_on_two_cpus  # noqa: E402
from multilabel_attr import keras as mk  # noqa: E402

pytestmark = [pytest.mark.tf, pytest.mark.slow]

N_FEATURES, N_LABELS = 6, 4
THRESHOLDS = [0.5, 0.3, 0.7, 0.5]


def exact_data(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Small integer features: with weights on a 1/4 grid every logit is exact in float32,
    so predictions do not depend on how rows are batched."""
    x = rng.integers(-2, 3, (n, N_FEATURES)).astype(np.float32)
    y = (rng.random((n, N_LABELS)) < 0.45).astype(np.float32)
    return x, y


def grid_weights(rng: np.random.Generator) -> list[np.ndarray]:
    kernel = rng.integers(-4, 5, (N_FEATURES, N_LABELS)).astype(np.float32) / 4
    bias = rng.integers(-2, 3, N_LABELS).astype(np.float32) / 4
    return [kernel, bias]


def metric_set() -> list[Any]:
    common = {"num_labels": N_LABELS, "from_logits": True}
    return [
        mk.F1Score(**common, average="samples"),
        mk.F1Score(**common, average="macro", threshold=THRESHOLDS),
        mk.Precision(**common, average="micro"),
        mk.JaccardScore(**common, average="weighted"),
        mk.HammingLoss(**common),
        mk.HammingScore(**common),
        mk.SubsetAccuracy(**common),
        mk.BalancedAccuracy(**common, average="macro"),
    ]


def core_values(y: np.ndarray, logits: np.ndarray, weights: Any) -> dict[str, float]:
    kw = {"from_logits": True, "sample_weight": weights}
    return {
        "f1_score_samples": ml.f1_score(y, logits, threshold=0.5, average="samples",
                                        zero_division=0, **kw),
        "f1_score_macro": ml.f1_score(y, logits, threshold=THRESHOLDS, average="macro",
                                      zero_division=0, **kw),
        "precision_micro": ml.precision_score(y, logits, threshold=0.5, average="micro",
                                              zero_division=0, **kw),
        "jaccard_score_weighted": ml.jaccard_score(y, logits, threshold=0.5, average="weighted",
                                                   zero_division=0, **kw),
        "hamming_loss": ml.hamming_loss(y, logits, threshold=0.5, **kw),
        "hamming_score": ml.hamming_score(y, logits, threshold=0.5, zero_division=0, **kw),
        "subset_accuracy": ml.subset_accuracy(y, logits, threshold=0.5, **kw),
        "balanced_accuracy_macro": ml.balanced_accuracy_score(y, logits, threshold=0.5,
                                                              zero_division=0, **kw),
    }  # fmt: skip


def build_model() -> Any:
    model = keras.Sequential([keras.Input((N_FEATURES,)), keras.layers.Dense(N_LABELS)])
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.0),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        # Keras passes fit's sample_weight to weighted_metrics only.
        weighted_metrics=metric_set(),
    )
    return model


class WeightSchedule(keras.callbacks.Callback):  # type: ignore[misc]
    """Sets known weights at the start of each epoch and records that epoch's predictions."""

    def __init__(self, weights: list[list[np.ndarray]], inputs: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.weights = weights
        self.inputs = inputs
        self.predictions: list[dict[str, np.ndarray]] = []

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.model.layers[-1].set_weights(self.weights[epoch])

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.predictions.append(
            {
                key: keras.ops.convert_to_numpy(self.model(x, training=False))
                for key, x in self.inputs.items()
            }
        )


def test_fit_logs_exact_per_epoch_train_and_validation_values(tmp_path: Path) -> None:
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y = exact_data(rng, 37)
    x_val, y_val = exact_data(rng, 23)
    weights = rng.integers(0, 4, 37).astype(np.float32) / 2
    schedule = WeightSchedule([grid_weights(rng) for _ in range(3)], {"train": x, "val": x_val})
    model = build_model()
    # The learning rate is 0, so each epoch runs with exactly the weights the schedule set.
    history = model.fit(
        x, y, sample_weight=weights, validation_data=(x_val, y_val), epochs=3, batch_size=8,
        shuffle=True, callbacks=[schedule], verbose=0,
    )  # fmt: skip
    for epoch, predictions in enumerate(schedule.predictions):
        kernel, bias = schedule.weights[epoch]
        np.testing.assert_array_equal(predictions["train"], x @ kernel + bias)
        train = core_values(y, predictions["train"], weights)
        val = core_values(y_val, predictions["val"], None)
        for name in train:
            logged = history.history[name][epoch]
            assert logged == pytest.approx(train[name], abs=1e-6), (name, epoch)
            logged_val = history.history[f"val_{name}"][epoch]
            assert logged_val == pytest.approx(val[name], abs=1e-6), (name, epoch)
    # Without resets the logs could not follow the per-epoch values: check they do move.
    assert len(set(np.round(history.history["f1_score_samples"], 6))) == 3

    path = tmp_path / "model.keras"
    model.save(path)
    config = json.loads(json.dumps(model.get_compile_config()))
    assert "multilabel_attr" in json.dumps(config)
    loaded = keras.models.load_model(path)
    expected = model.evaluate(x_val, y_val, return_dict=True, verbose=0)
    restored = loaded.evaluate(x_val, y_val, return_dict=True, verbose=0)
    assert restored.keys() == expected.keys()
    for name, value in core_values(y_val, schedule.predictions[-1]["val"], None).items():
        assert expected[name] == pytest.approx(value, abs=1e-6)
        assert restored[name] == pytest.approx(value, abs=1e-6)


MIRRORED_SCRIPT = textwrap.dedent(
    """
    import json
    import numpy as np
    import keras
    from multilabel_attr import keras as mk

    rng = np.random.default_rng(4)
    x = rng.integers(-2, 3, (30, 6)).astype(np.float32)
    y = (rng.random((30, 4)) < 0.45).astype(np.float32)
    w = rng.integers(0, 4, 30).astype(np.float32) / 2
    kernel = rng.integers(-4, 5, (6, 4)).astype(np.float32) / 4

    def build():
        model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, use_bias=False)])
        model.layers[-1].set_weights([kernel])
        metrics = [
            mk.F1Score(4, average="samples", from_logits=True),
            mk.F1Score(4, average="macro", from_logits=True, threshold=[0.5, 0.3, 0.7, 0.5]),
            mk.HammingLoss(4, from_logits=True),
            mk.SubsetAccuracy(4, from_logits=True),
            mk.AUROC(4, from_logits=True, n_bins=64),
            mk.AveragePrecision(4, average="micro", from_logits=True, n_bins=64),
        ]
        model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=metrics)
        return model

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        distributed = build()
    dist = distributed.evaluate(x, y, sample_weight=w, batch_size=8, return_dict=True, verbose=0)
    single = build().evaluate(x, y, sample_weight=w, batch_size=8, return_dict=True, verbose=0)
    print("RESULT" + json.dumps(
        {"replicas": strategy.num_replicas_in_sync, "distributed": dist, "single": single}
    ))
    """
)


@tensorflow_backend_only
def test_mirrored_strategy_on_two_cpus_equals_single_device() -> None:
    result = run_on_two_cpus(MIRRORED_SCRIPT)
    assert result["replicas"] == 2
    assert result["distributed"].keys() == result["single"].keys()
    for name, value in result["single"].items():
        assert result["distributed"][name] == pytest.approx(value, abs=1e-6), name
