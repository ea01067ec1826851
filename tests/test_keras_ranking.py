"""Keras AUROC and AveragePrecision against the core sketch, on every Keras backend."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import multilabel_attr as ml  # noqa: E402
from _keras_helpers import BACKEND  # noqa: E402
from multilabel_attr import keras as mk  # noqa: E402

pytestmark = pytest.mark.tf

N_BINS = 16
AVERAGES = ("macro", "weighted", "micro", None)


def scored_batch(rng: np.random.Generator, n: int, n_labels: int = 4):
    """Labels and float32 scores spread so every non-empty bin holds distinct scores."""
    y = (rng.random((n, n_labels)) < 0.4).astype(np.float32)
    logits = rng.uniform(-4, 4, (n, n_labels)) + y
    return y, (1 / (1 + np.exp(-logits))).astype(np.float32)


def sketch_of(y, s, w=None, **kwargs) -> ml.ScoreSketch:
    sketch = ml.ScoreSketch(y.shape[1], n_bins=N_BINS, **kwargs).update(y, s, sample_weight=w)
    # The Keras state has no per-bin ranges: the comparison needs no single-score bin.
    assert not np.any(sketch.tied & (sketch.pos + sketch.neg > 0))
    return sketch


@pytest.mark.parametrize("average", AVERAGES)
def test_streaming_equals_the_core_sketch_and_bound_holds(average):
    rng = np.random.default_rng(0)
    y, s = scored_batch(rng, 300)
    w = rng.uniform(0, 2, 300).astype(np.float32)
    sketch = sketch_of(y, s, w)
    for cls, method, one_shot in (
        (mk.AUROC, sketch.roc_auc, ml.roc_auc_score),
        (mk.AveragePrecision, sketch.average_precision, ml.average_precision_score),
    ):
        metric = cls(4, average=average, n_bins=N_BINS)
        for rows in (slice(0, 7), slice(7, 160), slice(160, 300)):
            metric.update_state(y[rows], s[rows], sample_weight=w[rows])
        expected = method(average)
        np.testing.assert_allclose(np.asarray(metric.result()), expected.value, atol=2e-6)
        np.testing.assert_allclose(np.asarray(metric.bound()), expected.bound, atol=2e-6)
        exact = one_shot(y, s, average=average, sample_weight=w)
        assert np.all(np.abs(np.asarray(metric.result()) - exact) <= expected.bound + 1e-5)


def test_logits_and_reset():
    rng = np.random.default_rng(1)
    y, s = scored_batch(rng, 200)
    logits = np.log(s) - np.log1p(-s)
    metric = mk.AUROC(4, n_bins=N_BINS, from_logits=True)
    metric.update_state(y, np.ones_like(s))
    metric.reset_state()
    metric.update_state(y, logits)
    expected = ml.ScoreSketch(4, n_bins=N_BINS, from_logits=True).update(y, logits).roc_auc()
    assert float(metric.result()) == pytest.approx(expected.value, abs=2e-6)


def test_undefined_label_is_nan_and_left_out():
    y = np.array([[1, 0], [1, 1], [1, 0], [1, 1]], np.float32)
    s = np.array([[0.2, 0.3], [0.4, 0.9], [0.6, 0.1], [0.8, 0.7]], np.float32)
    per_label = mk.AUROC(2, average=None, n_bins=N_BINS)
    per_label.update_state(y, s)
    values = np.asarray(per_label.result())
    assert np.isnan(values[0]) and values[1] == pytest.approx(1.0)
    macro = mk.AUROC(2, n_bins=N_BINS)
    macro.update_state(y, s)
    assert float(macro.result()) == pytest.approx(1.0)


def test_config_round_trip_and_names():
    metric = mk.AveragePrecision(3, average=None, n_bins=64, from_logits=True)
    config = json.loads(json.dumps(metric.get_config()))
    again = mk.AveragePrecision.from_config(config)
    assert again.get_config() == metric.get_config()
    assert metric.name == "average_precision_per_label"
    assert mk.AUROC(3).name == "auroc_macro"


def test_config_carries_the_sketch_layout_version():
    core_version = ml.ScoreSketch(3, n_bins=64).edges_version
    for cls in (mk.AUROC, mk.AveragePrecision):
        metric = cls(3, n_bins=64)
        config = json.loads(json.dumps(metric.get_config()))
        assert config["edges_version"] == core_version == metric.edges_version
        assert cls.from_config(config).get_config() == config


def test_the_layouts_bin_scores_differently():
    """A state kept under layout 1 is not a layout-2 state: why a saved one is refused."""
    rng = np.random.default_rng(3)
    y = (rng.random((300, 4)) < 0.4).astype(np.float32)
    # The layouts share their edges for |logit| <= 5 and differ beyond.
    s = (1 / (1 + np.exp(-rng.uniform(-12, 12, (300, 4))))).astype(np.float32)
    old = ml.ScoreSketch(4, n_bins=N_BINS).to_dict()
    old["edges_version"] = 1
    sketch_v1 = ml.ScoreSketch.from_dict(old).update(y, s)
    metric = mk.AUROC(4, average=None, n_bins=N_BINS)
    metric.update_state(y, s)
    bins = np.asarray(metric.bins)
    assert not np.allclose(bins[..., 1], sketch_v1.pos)
    current = ml.ScoreSketch(4, n_bins=N_BINS).update(y, s)
    np.testing.assert_allclose(bins[..., 1], current.pos)


@pytest.mark.parametrize("cls", [mk.AUROC, mk.AveragePrecision])
@pytest.mark.parametrize("saved", [1, None])
def test_config_of_an_older_layout_is_refused(cls, saved):
    config = cls(3, n_bins=64).get_config()
    if saved is None:  # written before the layout had a version: layout 1
        del config["edges_version"]
    else:
        config["edges_version"] = saved
    with pytest.raises(ValueError, match=r"saved with score-bin layout version 1; .* layout 2"):
        cls.from_config(config)


@pytest.mark.parametrize("version", ["2", 2.0, True, None])
def test_config_layout_version_must_be_an_int(version):
    config = mk.AUROC(3).get_config()
    config["edges_version"] = version
    with pytest.raises(TypeError, match="edges_version in the config of AUROC must be an int"):
        mk.AUROC.from_config(config)


@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
def test_loading_a_model_saved_with_an_older_layout_is_refused(tmp_path: Path):
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)])
    model.compile(loss="mse", metrics=[mk.AUROC(3, n_bins=N_BINS)])
    path = tmp_path / "model.keras"
    model.save(path)
    keras.models.load_model(path)  # the current layout loads
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(files["config.json"])
    (metric,) = config["compile_config"]["metrics"]
    del metric["config"]["edges_version"]
    files["config.json"] = json.dumps(config).encode()
    older = tmp_path / "older.keras"
    with zipfile.ZipFile(older, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match="auroc_macro' was saved with score-bin layout version 1"):
        keras.models.load_model(older)
    # The way out the error names: load without the compiled metrics, compile anew.
    model = keras.models.load_model(older, compile=False)
    model.compile(loss="mse", metrics=[mk.AUROC(3, n_bins=N_BINS)])


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: mk.AUROC(3, n_bins=1), ValueError, "n_bins must be at least 2"),
        (lambda: mk.AUROC(3, average="samples"), ValueError, "average must be one of"),
        (lambda: mk.AUROC(0), ValueError, "num_labels"),
        (lambda: mk.AveragePrecision(3, from_logits="yes"), TypeError, "from_logits"),
    ],
)
def test_bad_arguments(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_bad_batches():
    metric = mk.AUROC(3)
    with pytest.raises(ValueError, match="num_labels=3"):
        metric.update_state(np.zeros((2, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="y_true must contain only 0 and 1"):
        metric.update_state(np.full((2, 3), 2.0), np.zeros((2, 3)))


def test_fit_logs_per_epoch_values_equal_to_the_core_and_survive_save_load(tmp_path: Path):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(64, 5)).astype(np.float32)
    y = (rng.random((64, 3)) < 0.5).astype(np.float32)
    x_val = rng.normal(size=(40, 5)).astype(np.float32)
    y_val = (rng.random((40, 3)) < 0.5).astype(np.float32)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)])
    metrics = [
        mk.AUROC(3, from_logits=True, n_bins=N_BINS),
        mk.AveragePrecision(3, average="micro", from_logits=True, n_bins=N_BINS),
    ]
    model.compile(
        optimizer=keras.optimizers.SGD(0.5),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=metrics,
    )
    kernels: list[list[np.ndarray]] = []

    class Snapshot(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            kernels.append([np.asarray(v) for v in self.model.get_weights()])

    history = model.fit(
        x, y, validation_data=(x_val, y_val), epochs=3, batch_size=16, verbose=0,
        callbacks=[Snapshot()],
    )  # fmt: skip
    for epoch, (kernel, bias) in enumerate(kernels):
        logits = x_val @ kernel + bias
        sketch = ml.ScoreSketch(3, n_bins=N_BINS, from_logits=True).update(y_val, logits)
        expected_auc = sketch.roc_auc("macro").value
        expected_ap = sketch.average_precision("micro").value
        assert history.history["val_auroc_macro"][epoch] == pytest.approx(expected_auc, abs=1e-5)
        assert history.history["val_average_precision_micro"][epoch] == pytest.approx(
            expected_ap, abs=1e-5
        )
    assert len(set(np.round(history.history["auroc_macro"], 6))) > 1

    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    before = model.evaluate(x_val, y_val, return_dict=True, verbose=0)
    after = loaded.evaluate(x_val, y_val, return_dict=True, verbose=0)
    for name in ("auroc_macro", "average_precision_micro"):
        assert after[name] == pytest.approx(before[name], abs=1e-6)


def _compiled_updates(metric, batches):
    """Run update_state compiled by the backend: tf.function with XLA, or jax.jit."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        step = tf.function(metric.update_state, jit_compile=True)
        for t, s in batches:
            step(t, s)
        return
    if BACKEND != "jax":
        pytest.skip(f"no compiled update check for the {BACKEND} backend")
    import jax

    jitted = jax.jit(metric.stateless_update_state)
    state = [v.value for v in metric.variables]
    for t, s in batches:
        state = jitted(state, t, s)
    for variable, value in zip(metric.variables, state, strict=True):
        variable.assign(value)


@pytest.mark.parametrize("cls", [mk.AUROC, mk.AveragePrecision])
def test_compiled_update_equals_the_core(cls):
    rng = np.random.default_rng(0)
    y, s = scored_batch(rng, 300)
    metric = cls(4, average=None, n_bins=N_BINS)
    _compiled_updates(metric, [(y[:100], s[:100]), (y[100:200], s[100:200]), (y[200:], s[200:])])
    sketch = sketch_of(y, s)
    expected = sketch.roc_auc(None) if cls is mk.AUROC else sketch.average_precision(None)
    np.testing.assert_allclose(np.asarray(metric.result()), expected.value, atol=2e-6)
