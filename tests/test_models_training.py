"""Training protocols: files written, logged values, resumption, the two transfer phases."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import multilabel_attr as ml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from multilabel_attr.models import (  # noqa: E402
    InferenceModeBase,
    build_paper_cnn,
    count_trainable_params,
    default_metrics,
    predict_scores,
    train_cnn,
    train_transfer,
)

pytestmark = pytest.mark.tf

SHAPE = (34, 34, 3)  # smallest input the paper's CNN accepts
LABELS = 4


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (32, *SHAPE)).astype("float32")
    labels = (rng.random((32, LABELS)) < 0.4).astype("float32")
    return images, labels


def batches(images: np.ndarray, labels: np.ndarray, size: int = 8) -> Any:
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(size)


class Interrupt(keras.callbacks.Callback):  # type: ignore[misc]
    """Stands for a crash (power cut, kill) at the start of a given epoch."""

    def __init__(self, at_epoch: int) -> None:
        super().__init__()
        self.at_epoch = at_epoch
        self.weights_after: dict[int, list[np.ndarray]] = {}

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.weights_after[epoch] = self.model.get_weights()

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        if epoch == self.at_epoch:
            raise KeyboardInterrupt


class FirstEpoch(keras.callbacks.Callback):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.epoch: int | None = None
        self.weights: list[np.ndarray] | None = None
        self.optimizer_steps = 0

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        if self.epoch is None:
            self.epoch = epoch
            self.weights = self.model.get_weights()
            self.optimizer_steps = int(self.model.optimizer.iterations)


def assert_same_weights(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_default_metrics_are_fresh_objects() -> None:
    first, second = default_metrics(5), default_metrics(5)
    assert [m.name for m in first] == [
        "label_accuracy", "hamming_score", "precision_samples", "recall_samples",
        "f1_score_samples",
    ]  # fmt: skip
    assert all(a is not b for a, b in zip(first, second, strict=True))
    with pytest.raises(ValueError, match="num_labels"):
        default_metrics(0)


def test_train_cnn_smoke(tmp_path: Path, data: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = data
    model = build_paper_cnn(SHAPE, LABELS, seed=0)
    result = train_cnn(
        model, batches(images, labels), batches(images, labels),
        epochs=1, output_dir=tmp_path, verbose=0,
    )  # fmt: skip
    assert result.epochs == [0]
    assert result.best_epoch == 0
    assert result.stopped_epoch is None
    assert result.resumed_from_epoch == 0
    for path in (result.best_checkpoint, result.final_model, result.history_json):
        assert path.is_file()
    assert not (tmp_path / "backup").exists()  # removed once training completed
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files

    # The protocol: Adam at its default rate, binary cross-entropy.
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)
    assert isinstance(model.loss, keras.losses.BinaryCrossentropy)

    saved = json.loads(result.history_json.read_text())
    assert saved["completed"] is True
    assert saved["epoch"] == [0]
    assert saved["best_epoch"] == 0
    assert saved["history"] == {k: pytest.approx(v) for k, v in result.history.items()}
    with open(result.history_csv, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["epoch", *result.history]
    assert rows[0][1] == "loss"
    assert len(rows) == 2
    assert float(rows[1][rows[0].index("val_loss")]) == pytest.approx(result.history["val_loss"][0])

    # Validation logs describe the final weights (one epoch, so best == final); recompute them
    # with the core from the model's own scores.
    y_true, y_score = predict_scores(model, batches(images, labels))
    p = np.clip(y_score.astype("float64"), 1e-7, 1 - 1e-7)
    bce = -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
    assert result.history["val_loss"][0] == pytest.approx(bce, abs=1e-5)
    counts = ml.MultilabelCounts.from_batch(y_true, y_score, threshold=0.5)
    expected = {
        "val_label_accuracy": counts.label_accuracy(),
        "val_hamming_score": counts.hamming_score(zero_division=0),
        "val_precision_samples": counts.precision_score("samples", zero_division=0),
        "val_recall_samples": counts.recall_score("samples", zero_division=0),
        "val_f1_score_samples": counts.f1_score("samples", zero_division=0),
    }
    for key, value in expected.items():
        assert result.history[key][0] == pytest.approx(value, abs=1e-6), key

    reloaded = keras.saving.load_model(result.final_model, compile=False)
    np.testing.assert_allclose(reloaded.predict(images, verbose=0), y_score, atol=1e-6)


def test_train_cnn_resumes_with_early_stopping_state(
    tmp_path: Path, data: tuple[np.ndarray, np.ndarray]
) -> None:
    images, labels = data
    # min_delta so large that only the first epoch counts as an improvement: early stopping
    # with patience 2 must stop at epoch 2 and restore epoch 0, interruption or not.
    settings = {"epochs": 6, "output_dir": tmp_path, "min_delta": 100.0, "patience": 2,
                "verbose": 0}  # fmt: skip
    crash = Interrupt(at_epoch=2)
    with pytest.raises(KeyboardInterrupt):
        train_cnn(
            build_paper_cnn(SHAPE, LABELS, seed=0),
            batches(images, labels), batches(images, labels),
            callbacks=[crash], **settings,
        )  # fmt: skip
    assert (tmp_path / "backup").is_dir()
    interrupted = json.loads((tmp_path / "history.json").read_text())
    assert interrupted["completed"] is False
    assert interrupted["epoch"] == [0, 1]

    # A new process: new model object with other initial weights, same call.
    probe = FirstEpoch()
    model = build_paper_cnn(SHAPE, LABELS, seed=99)
    result = train_cnn(
        model, batches(images, labels), batches(images, labels),
        callbacks=[probe], **settings,
    )  # fmt: skip
    assert probe.epoch == 2
    assert probe.weights is not None
    assert_same_weights(probe.weights, crash.weights_after[1])
    assert probe.optimizer_steps == 2 * 4  # Adam's state came back too (2 epochs of 4 batches)
    assert result.resumed_from_epoch == 2
    assert result.epochs == [0, 1, 2]
    assert result.stopped_epoch == 2  # the patience counter survived the interruption
    assert result.best_epoch == 0
    assert result.history["loss"][:2] == pytest.approx(interrupted["history"]["loss"])
    assert_same_weights(model.get_weights(), crash.weights_after[0])  # best weights restored
    assert not (tmp_path / "backup").exists()

    # Completed: a further call reloads the final model instead of training again.
    again = build_paper_cnn(SHAPE, LABELS, seed=1)
    probe = FirstEpoch()
    reloaded = train_cnn(
        again, batches(images, labels), batches(images, labels),
        callbacks=[probe], **settings,
    )  # fmt: skip
    assert probe.epoch is None  # no epoch ran
    assert reloaded.resumed_from_epoch is None
    assert reloaded.epochs == [0, 1, 2]
    assert_same_weights(again.get_weights(), model.get_weights())

    changed = {**settings, "patience": 3}
    with pytest.raises(ValueError, match="different protocol"):
        train_cnn(again, batches(images, labels), batches(images, labels), **changed)
    fresh = train_cnn(
        again, batches(images, labels), batches(images, labels), resume=False,
        **{**changed, "epochs": 1},
    )  # fmt: skip
    assert fresh.resumed_from_epoch == 0
    assert fresh.epochs == [0]


def test_train_cnn_restarts_a_phase_whose_checkpoint_is_damaged(
    tmp_path: Path, data: tuple[np.ndarray, np.ndarray]
) -> None:
    # A kill while the first checkpoint was written left a stub of it (the reported case):
    # the rerun must say so and start the phase afresh, not fail on every rerun.
    images, labels = data
    settings = {"epochs": 3, "output_dir": tmp_path, "verbose": 0}
    with pytest.raises(KeyboardInterrupt):
        train_cnn(
            build_paper_cnn(SHAPE, LABELS, seed=0), batches(images, labels),
            batches(images, labels), callbacks=[Interrupt(at_epoch=1)], **settings,
        )  # fmt: skip
    damaged = sorted(p for p in (tmp_path / "backup").iterdir() if p.name.endswith(".h5"))
    assert damaged
    for path in damaged:
        with open(path, "r+b") as handle:
            handle.truncate(96)
    with pytest.warns(RuntimeWarning, match=r"restarts from its first epoch") as caught:
        result = train_cnn(
            build_paper_cnn(SHAPE, LABELS, seed=0), batches(images, labels),
            batches(images, labels), **settings,
        )  # fmt: skip
    assert damaged[0].name in str(caught[0].message)
    assert result.resumed_from_epoch == 0
    assert result.epochs == [0, 1, 2]
    assert not (tmp_path / "backup").exists()


@pytest.mark.parametrize("damage", ["progress", "final"])
def test_train_cnn_retrains_a_phase_whose_saved_state_is_unreadable(
    tmp_path: Path, data: tuple[np.ndarray, np.ndarray], damage: str
) -> None:
    images, labels = data
    settings = {"epochs": 1, "output_dir": tmp_path, "verbose": 0}
    model = build_paper_cnn(SHAPE, LABELS, seed=0)
    train_cnn(model, batches(images, labels), batches(images, labels), **settings)
    if damage == "progress":
        (tmp_path / "progress.json").write_text('{"format": 2, "records": [')
        expected = r"cannot read .*progress\.json"
    else:
        (tmp_path / "final.keras").write_bytes(b"PK\x03\x04 truncated")
        expected = r"final model .*final\.keras.* is missing or damaged"
    with pytest.warns(RuntimeWarning, match=expected):
        result = train_cnn(
            build_paper_cnn(SHAPE, LABELS, seed=0), batches(images, labels),
            batches(images, labels), **settings,
        )  # fmt: skip
    assert result.resumed_from_epoch == 0
    assert result.epochs == [0]
    keras.saving.load_model(result.final_model, compile=False)


class CrashAfterWrites:
    """Stands for a kill just after the ``n``-th file written into ``folder`` is in place."""

    def __init__(self, folder: Path, n: int) -> None:
        self.folder, self.n, self.count = str(folder), n, 0
        self.real = os.replace

    def __call__(self, src: Any, dst: Any) -> None:
        self.real(src, dst)
        if str(dst).startswith(self.folder):
            self.count += 1
            if self.count == self.n:
                raise KeyboardInterrupt


@pytest.mark.slow
def test_train_cnn_resumes_exactly_after_a_crash_between_any_two_writes(
    tmp_path: Path, data: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    images, labels = data
    settings = {"epochs": 3, "patience": 1, "min_delta": 0.0, "verbose": 0}

    def run(folder: Path) -> tuple[Any, Any]:
        model = build_paper_cnn(SHAPE, LABELS, seed=0)
        result = train_cnn(
            model, batches(images, labels), batches(images, labels), output_dir=folder,
            **settings,
        )  # fmt: skip
        return model, result

    reference_model, reference = run(tmp_path / "reference")
    crashes = 0
    for n in range(1, 40, 3):
        folder = tmp_path / f"crash-{n}"
        crash = CrashAfterWrites(folder, n)
        with monkeypatch.context() as patch:
            patch.setattr(os, "replace", crash)
            try:
                run(folder)
            except KeyboardInterrupt:
                crashes += 1
            else:
                break  # n is past the last write of the run
        model, result = run(folder)
        assert result.epochs == reference.epochs
        assert result.best_epoch == reference.best_epoch
        assert result.stopped_epoch == reference.stopped_epoch
        for key, values in reference.history.items():
            np.testing.assert_allclose(result.history[key], values, rtol=1e-6, err_msg=key)
        for a, b in zip(model.get_weights(), reference_model.get_weights(), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
        for name in ("best.keras", "final.keras", "history.json", "history.csv"):
            assert (folder / name).is_file(), name
        assert not (folder / "backup").exists()
        assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert crashes >= 5


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epochs": 0}, ValueError, "epochs"),
        ({"patience": -1}, ValueError, "patience"),
        ({"learning_rate": 0.0}, ValueError, "learning_rate"),
        ({"min_delta": float("nan")}, ValueError, "min_delta"),
        ({"verbose": 3}, ValueError, "verbose"),
        ({"mode": "up"}, ValueError, "mode"),
        ({"metrics": "accuracy"}, TypeError, "metrics"),
        ({"metrics": [42]}, TypeError, "metric"),
        ({"callbacks": [object()]}, TypeError, "callbacks"),
        ({"output_dir": 3}, TypeError, "output_dir"),
    ],
)
def test_train_cnn_rejects_bad_arguments(
    tmp_path: Path, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    settings: dict[str, Any] = {"epochs": 1, "output_dir": tmp_path, "verbose": 0, **kwargs}
    model = build_paper_cnn(SHAPE, LABELS)
    with pytest.raises(error, match=match):
        train_cnn(model, None, None, **settings)
    with pytest.raises(ValueError, match="val_ds is None"):
        train_cnn(model, [], None, epochs=1, output_dir=tmp_path)
    with pytest.raises(TypeError, match=r"keras\.Model"):
        train_cnn("model", None, None, epochs=1, output_dir=tmp_path)  # type: ignore[arg-type]


def tiny_transfer_model(num_labels: int = LABELS) -> Any:
    # Same layout as build_xception_transfer, with a two-convolution base that has batch norm.
    base_in = keras.Input((12, 12, 3))
    h = keras.layers.Conv2D(4, 3, name="c1")(base_in)
    h = keras.layers.BatchNormalization(name="bn")(h)
    h = keras.layers.Conv2D(4, 3, name="c2")(h)
    base = keras.Model(base_in, h, name="xception")
    base.trainable = False
    inputs = keras.Input((12, 12, 3))
    x = keras.layers.Rescaling(1 / 127.5, offset=-1)(inputs)
    x = InferenceModeBase(base, name="wrapped")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(num_labels, activation="sigmoid", name="labels")(x)
    return keras.Model(inputs, outputs)


class PhaseProbe(keras.callbacks.Callback):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.phases: list[tuple[int, float]] = []

    def on_train_begin(self, logs: Any = None) -> None:
        lr = float(self.model.optimizer.learning_rate)
        self.phases.append((count_trainable_params(self.model), lr))


def test_train_transfer_two_phases(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (16, 12, 12, 3)).astype("float32")
    labels = (rng.random((16, LABELS)) < 0.5).astype("float32")
    model = tiny_transfer_model()
    bn = model.get_layer("wrapped").inner.get_layer("bn")
    moving_mean = bn.moving_mean.numpy().copy()
    gamma = bn.gamma.numpy().copy()
    head = 4 * LABELS + LABELS
    everything = head + (3 * 3 * 3 * 4 + 4) + (4 + 4) + (3 * 3 * 4 * 4 + 4)

    caller_metric = keras.metrics.BinaryAccuracy(name="acc")
    probe = PhaseProbe()
    result = train_transfer(
        model, batches(images, labels), batches(images, labels),
        output_dir=tmp_path, epochs_frozen=1, epochs_fine_tune=2, metrics=[caller_metric],
        callbacks=[probe], verbose=0,
    )  # fmt: skip
    assert probe.phases == [(head, pytest.approx(1e-3)), (everything, pytest.approx(1e-5))]
    assert result.frozen.epochs == [0]
    assert result.fine_tuned.epochs == [0, 1]
    assert "val_acc" in result.fine_tuned.history
    assert float(caller_metric.result()) == 0.0  # the caller's object was never updated
    for phase in ("frozen", "fine_tune"):
        for name in ("best.keras", "final.keras", "history.json", "history.csv"):
            assert (tmp_path / phase / name).is_file()
    assert result.final_model == tmp_path / "fine_tune" / "final.keras"
    # Fine-tuning trained the batch-norm scale but left its statistics alone (inference mode).
    np.testing.assert_array_equal(bn.moving_mean.numpy(), moving_mean)
    assert not np.array_equal(bn.gamma.numpy(), gamma)


@pytest.mark.slow
def test_train_transfer_resumes_in_phase_two(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (16, 12, 12, 3)).astype("float32")
    labels = (rng.random((16, LABELS)) < 0.5).astype("float32")
    # Interrupted during phase 2: phase 1 is reloaded, phase 2 resumes.
    crash = Interrupt(at_epoch=1)
    other = tmp_path
    with pytest.raises(KeyboardInterrupt):
        train_transfer(
            tiny_transfer_model(), batches(images, labels), batches(images, labels),
            output_dir=other, epochs_frozen=1, epochs_fine_tune=3, callbacks=[crash], verbose=0,
        )  # fmt: skip
    assert json.loads((other / "frozen" / "history.json").read_text())["completed"] is True
    resumed = train_transfer(
        tiny_transfer_model(), batches(images, labels), batches(images, labels),
        output_dir=other, epochs_frozen=1, epochs_fine_tune=3, verbose=0,
    )  # fmt: skip
    assert resumed.frozen.resumed_from_epoch is None
    assert resumed.fine_tuned.resumed_from_epoch == 1
    assert resumed.fine_tuned.epochs == [0, 1, 2]


def test_train_transfer_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="epochs_fine_tune"):
        train_transfer(tiny_transfer_model(), None, None, output_dir=tmp_path, epochs_fine_tune=0)
    with pytest.raises(ValueError, match="fine_tune_learning_rate"):
        train_transfer(
            tiny_transfer_model(), None, None, output_dir=tmp_path, fine_tune_learning_rate=-1
        )
    with pytest.raises(ValueError, match="nested base model"):
        train_transfer(build_paper_cnn(SHAPE, LABELS), None, None, output_dir=tmp_path)
