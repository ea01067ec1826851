"""The Keras metric adapters against the core's one-shot functions and scikit-learn."""

from __future__ import annotations

import itertools
import json
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import multilabel_attr as ml  # noqa: E402
from _keras_helpers import tensorflow_backend_only  # noqa: E402
from multilabel_attr import keras as mk  # noqa: E402

pytestmark = pytest.mark.tf

TOL = 1e-6


class ArrayThresholds:
    """Stands in for any threshold object exposing ``__array__``."""

    def __init__(self, values: list[float]) -> None:
        self.values = values

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self.values, dtype=dtype)


def _core(function: Callable[..., Any], **fixed: Any) -> Callable[..., Any]:
    def oracle(y_true: Any, y_score: Any, *, zero_division: float, **kwargs: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ml.UndefinedMetricWarning)
            return function(y_true, y_score, zero_division=zero_division, **fixed, **kwargs)

    return oracle


def _core_plain(function: Callable[..., Any]) -> Callable[..., Any]:
    def oracle(y_true: Any, y_score: Any, *, zero_division: float, **kwargs: Any) -> Any:
        return function(y_true, y_score, **kwargs)

    return oracle


AVERAGED = [
    (mk.Precision, ml.precision_score, {}),
    (mk.Recall, ml.recall_score, {}),
    (mk.F1Score, ml.f1_score, {}),
    (mk.FBetaScore, ml.fbeta_score, {"beta": 0.5}),
    (mk.JaccardScore, ml.jaccard_score, {}),
]
LABEL_ONLY = [
    (mk.Specificity, ml.specificity_score),
    (mk.BalancedAccuracy, ml.balanced_accuracy_score),
]


def metric_cases() -> list[tuple[str, Callable[..., Any], Callable[..., Any]]]:
    """(id, factory(num_labels, **kw), oracle) for every class and average."""
    cases: list[tuple[str, Callable[..., Any], Callable[..., Any]]] = []
    for cls, function, extra in AVERAGED:
        for average in ("micro", "macro", "weighted", "samples", None):

            def make(n: int, cls: Any = cls, average: Any = average, extra: Any = extra, **kw: Any):
                return cls(n, average=average, **extra, **kw)

            oracle = _core(function, average=average, **extra)
            cases.append((f"{cls.__name__}-{average}", make, oracle))
    for cls, function in LABEL_ONLY:
        for average in ("micro", "macro", "weighted", None):

            def make(n: int, cls: Any = cls, average: Any = average, **kw: Any):
                return cls(n, average=average, **kw)

            cases.append((f"{cls.__name__}-{average}", make, _core(function, average=average)))
    cases += [
        ("HammingLoss", mk.HammingLoss, _core_plain(ml.hamming_loss)),
        ("LabelAccuracy", mk.LabelAccuracy, _core_plain(ml.label_accuracy)),
        ("HammingScore", mk.HammingScore, _core(ml.hamming_score)),
        ("SubsetAccuracy", mk.SubsetAccuracy, _core_plain(ml.subset_accuracy)),
    ]
    return cases


CASES = metric_cases()


def random_batch(rng: np.random.Generator, n: int, n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and float32 probabilities, with empty rows so that undefined cases occur."""
    y_true = (rng.random((n, n_labels)) < 0.4).astype(np.float32)
    y_score = rng.random((n, n_labels)).astype(np.float32)
    y_true[::5] = 0
    y_score[::7] = 0.01
    return y_true, y_score


def assert_close(actual: Any, expected: Any, label: str) -> None:
    actual = np.asarray(actual, np.float64)
    expected = np.asarray(expected, np.float64)
    assert actual.shape == expected.shape, label
    np.testing.assert_allclose(actual, expected, rtol=TOL, atol=TOL, equal_nan=True, err_msg=label)


def stream(metric: Any, y_true: Any, y_score: Any, weights: Any, cuts: list[int]) -> Any:
    bounds = [0, *cuts, len(y_true)]
    for start, stop in itertools.pairwise(bounds):
        if stop > start:
            w = None if weights is None else weights[start:stop]
            metric.update_state(y_true[start:stop], y_score[start:stop], sample_weight=w)
    return metric.result()


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(1, 40),
    n_labels=st.integers(1, 6),
    cut_fractions=st.lists(st.floats(0, 1), max_size=3),
    threshold_form=st.sampled_from(["scalar", "list", "array_object"]),
    weighted=st.booleans(),
    from_logits=st.booleans(),
    zero_division=st.sampled_from([0.0, 1.0, math.nan]),
)
@example(
    seed=1, n=33, n_labels=5, cut_fractions=[0.1, 0.5, 0.52], threshold_form="array_object",
    weighted=True, from_logits=True, zero_division=math.nan,
)  # fmt: skip
@example(
    seed=2, n=20, n_labels=3, cut_fractions=[0.3, 0.6], threshold_form="list",
    weighted=False, from_logits=False, zero_division=1.0,
)  # fmt: skip
def test_streaming_equals_core_one_shot(
    seed: int,
    n: int,
    n_labels: int,
    cut_fractions: list[float],
    threshold_form: str,
    weighted: bool,
    from_logits: bool,
    zero_division: float,
) -> None:
    rng = np.random.default_rng(seed)
    y_true, y_score = random_batch(rng, n, n_labels)
    per_label = np.round(rng.uniform(0.2, 0.8, n_labels), 3).tolist()
    threshold: Any = {
        "scalar": 0.5,
        "list": per_label,
        "array_object": ArrayThresholds(per_label),
    }[threshold_form]
    weights = rng.uniform(0, 3, n).astype(np.float32) if weighted else None
    if from_logits:
        y_score = np.log(y_score) - np.log1p(-y_score)
    cuts = sorted(int(f * n) for f in cut_fractions)
    for label, make, oracle in CASES:
        metric = make(
            n_labels, threshold=threshold, from_logits=from_logits, zero_division=zero_division
        )
        expected = oracle(
            y_true, y_score, threshold=threshold, from_logits=from_logits,
            zero_division=zero_division, sample_weight=weights,
        )  # fmt: skip
        assert_close(stream(metric, y_true, y_score, weights, cuts), expected, label)


def test_matches_scikit_learn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    y_true, y_score = random_batch(rng, 50, 5)
    weights = rng.uniform(0, 2, 50)
    y_pred = (y_score >= 0.5).astype(int)
    pairs = [
        (mk.Precision, metrics.precision_score),
        (mk.Recall, metrics.recall_score),
        (mk.F1Score, metrics.f1_score),
        (mk.JaccardScore, metrics.jaccard_score),
    ]
    for cls, reference in pairs:
        for average in ("micro", "macro", "weighted", "samples", None):
            metric = cls(5, average=average)
            stream(metric, y_true, y_score, weights, [17, 33])
            expected = reference(
                y_true, y_pred, average=average, zero_division=0, sample_weight=weights
            )
            assert_close(metric.result(), expected, f"{cls.__name__}-{average}")
    loss = mk.HammingLoss(5)
    stream(loss, y_true, y_score, weights, [10])
    assert_close(loss.result(), metrics.hamming_loss(y_true, y_pred, sample_weight=weights), "hl")
    subset = mk.SubsetAccuracy(5)
    stream(subset, y_true, y_score, weights, [10])
    expected = metrics.accuracy_score(y_true, y_pred, sample_weight=weights)
    assert_close(subset.result(), expected, "subset")


def test_hand_computed_values_and_reset() -> None:
    y_true = np.array([[1, 0, 1], [0, 1, 1], [0, 0, 0]], np.float32)
    y_score = np.array([[0.9, 0.8, 0.4], [0.1, 0.6, 0.7], [0.2, 0.3, 0.1]], np.float32)
    # tp = [1, 1, 1], fp = [0, 1, 0], fn = [0, 0, 1]; per-sample Jaccard 1/3, 1, undefined.
    f1 = mk.F1Score(3, average=None)
    f1.update_state(y_true, y_score)
    assert_close(f1.result(), [1.0, 2 / 3, 2 / 3], "f1 per label")
    score = mk.HammingScore(3, zero_division=math.nan)
    score.update_state(y_true, y_score)
    assert_close(score.result(), (1 / 3 + 1) / 2, "hamming score")
    score.reset_state()
    score.update_state(y_true[:1], y_score[:1])
    assert_close(score.result(), 1 / 3, "after reset")
    assert_close(mk.MultiLabelAccuracy(3).result(), math.nan, "empty sample average")
    assert mk.CustomAccuracy is mk.LabelAccuracy


def test_threshold_is_inclusive_and_matches_core_at_float32_edges() -> None:
    # 0.3 is not a float32 value: the core compares float32 scores with its float32 ceiling.
    y_true = np.array([[1, 1, 0, 1]], np.float32)
    y_score = np.array([[0.3, np.nextafter(np.float32(0.3), np.float32(0)), 0.3, 0.5]], np.float32)
    metric = mk.Precision(4, average=None, threshold=0.3, zero_division=math.nan)
    metric.update_state(y_true, y_score)
    expected = ml.precision_score(
        y_true, y_score, threshold=0.3, average=None, zero_division=np.nan
    )
    assert_close(metric.result(), expected, "float32 edge")
    logits = mk.Recall(2, average="micro", from_logits=True, threshold=[0.0, 1.0])
    logits.update_state(np.ones((1, 2)), np.array([[-50.0, 50.0]], np.float32))
    assert_close(logits.result(), 0.5, "threshold 0 and 1 on logits")


@tensorflow_backend_only
def test_update_state_in_tf_function_and_xla() -> None:
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(5)
    y_true, y_score = random_batch(rng, 24, 4)
    weights = rng.uniform(0, 1, 24).astype(np.float32)
    for jit in (False, True):
        metrics = [mk.F1Score(4, average="samples"), mk.HammingScore(4), mk.Precision(4)]

        @tf.function(jit_compile=jit)
        def step(t: Any, s: Any, w: Any, metrics: list[Any] = metrics) -> None:
            for metric in metrics:
                metric.update_state(t, s, sample_weight=w)

        for rows in (slice(0, 10), slice(10, 24)):
            step(y_true[rows], y_score[rows], weights[rows])
        expected = [
            ml.f1_score(y_true, y_score, threshold=0.5, average="samples", zero_division=0,
                        sample_weight=weights),
            ml.hamming_score(y_true, y_score, threshold=0.5, zero_division=0,
                             sample_weight=weights),
            ml.precision_score(y_true, y_score, threshold=0.5, zero_division=0,
                               sample_weight=weights),
        ]  # fmt: skip
        for metric, value in zip(metrics, expected, strict=True):
            assert_close(metric.result(), value, f"{metric.name} jit={jit}")


def test_many_labels_use_running_sums() -> None:
    n_labels = mk.MAX_HISTOGRAM_LABELS + 7
    rng = np.random.default_rng(11)
    y_true, y_score = random_batch(rng, 30, n_labels)
    weights = rng.uniform(0, 2, 30)
    score = mk.HammingScore(n_labels, zero_division=math.nan)
    f1 = mk.F1Score(n_labels, average="samples")
    assert not score.keeps_sample_histogram
    for metric in (score, f1):
        stream(metric, y_true, y_score, weights, [13])
    kw = {"threshold": 0.5, "sample_weight": weights}
    assert_close(score.result(), ml.hamming_score(y_true, y_score, zero_division=np.nan, **kw), "")
    assert_close(
        f1.result(), ml.f1_score(y_true, y_score, average="samples", zero_division=0, **kw), ""
    )
    counts = ml.MultilabelCounts(n_labels).update(y_true, y_score, threshold=0.5)
    loaded = mk.from_counts(mk.HammingScore(n_labels), counts)
    assert_close(loaded.result(), counts.hamming_score(zero_division=0), "from_counts sums")
    with pytest.raises(ValueError, match="sample_histogram=True"):
        mk.to_counts(score)
    with pytest.raises(ValueError, match="at most 63 labels"):
        mk.F1Score(n_labels, sample_histogram=True)


def test_to_counts_and_from_counts_merge_workers() -> None:
    rng = np.random.default_rng(8)
    y_true, y_score = random_batch(rng, 40, 5)
    weights = rng.uniform(0, 2, 40).astype(np.float32)
    workers = [mk.JaccardScore(5, average="samples") for _ in range(2)]
    workers[0].update_state(y_true[:25], y_score[:25], sample_weight=weights[:25])
    workers[1].update_state(y_true[25:], y_score[25:], sample_weight=weights[25:])
    merged = mk.to_counts(workers[0]) + mk.to_counts(workers[1])
    one_shot = ml.MultilabelCounts.from_batch(y_true, y_score, threshold=0.5, sample_weight=weights)
    assert merged.n_samples == 40
    np.testing.assert_array_equal(merged.sample_keys, one_shot.sample_keys)
    np.testing.assert_array_equal(merged.sample_count, one_shot.sample_count)
    for name in ("tp", "fp", "fn", "tn", "sample_weight"):
        np.testing.assert_allclose(getattr(merged, name), getattr(one_shot, name), rtol=1e-6)
    for average in ("micro", "macro", "samples"):
        target = mk.F1Score(5, average=average, sample_histogram=True)
        mk.from_counts(target, merged)
        assert_close(target.result(), one_shot.f1_score(average, zero_division=0), average)
    roundtrip = mk.to_counts(mk.from_counts(mk.SubsetAccuracy(5), one_shot))
    assert roundtrip.subset_accuracy() == pytest.approx(one_shot.subset_accuracy(), abs=TOL)


@pytest.mark.parametrize(("label", "make", "oracle"), CASES[:1] + CASES[-4:])
def test_config_round_trip_is_json(label: str, make: Any, oracle: Any) -> None:
    metric = make(3, threshold=ArrayThresholds([0.25, 0.5, 0.75]), zero_division=math.nan)
    config = metric.get_config()
    assert json.loads(json.dumps(config, allow_nan=False)) == config
    assert config["threshold"] == [0.25, 0.5, 0.75]
    clone = type(metric).from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
    assert type(restored) is type(metric)
    assert restored.get_config() == config


def test_fbeta_config_with_infinite_beta() -> None:
    metric = mk.FBetaScore(2, beta=math.inf, average="micro", name="f_inf")
    config = metric.get_config()
    assert config["beta"] == "inf"
    assert config["name"] == "f_inf"
    json.dumps(config, allow_nan=False)
    assert mk.FBetaScore.from_config(config).beta == math.inf


def test_default_names_show_the_average() -> None:
    assert mk.F1Score(2, average="micro").name == "f1_score_micro"
    assert mk.Precision(2, average=None).name == "precision_per_label"
    assert mk.HammingLoss(2).name == "hamming_loss"


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: mk.F1Score(3, average="binary"), ValueError, "average must be one of"),
        (lambda: mk.Specificity(3, average="samples"), ValueError, "for Specificity"),
        (lambda: mk.F1Score(3, threshold=[0.5, 0.5]), ValueError, "one value per label"),
        (lambda: mk.F1Score(3, threshold=1.5), ValueError, r"in \[0, 1\]"),
        (lambda: mk.F1Score(3, threshold="0.5"), TypeError, "threshold must be"),
        (lambda: mk.F1Score(3, zero_division="warn"), ValueError, "cannot warn"),
        (lambda: mk.F1Score(3, zero_division=0.5), ValueError, "zero_division"),
        (lambda: mk.F1Score(0), ValueError, "num_labels must be at least 1"),
        (lambda: mk.F1Score(2.0), TypeError, "num_labels must be an int"),
        (lambda: mk.FBetaScore(2, beta=-1.0), ValueError, "beta"),
        (lambda: mk.F1Score(2, from_logits="yes"), TypeError, "from_logits"),
    ],
)
def test_bad_arguments_raise_clear_errors(build: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        build()


def test_bad_batches_raise_clear_errors() -> None:
    metric = mk.F1Score(3)
    with pytest.raises(ValueError, match="only 0 and 1; found -1"):
        metric.update_state([[1, -1, 0]], [[0.5, 0.5, 0.5]])
    with pytest.raises(ValueError, match="has 2 labels"):
        metric.update_state([[1, 0]], [[0.5, 0.5]])
    with pytest.raises(ValueError, match=r"shape \(batch, num_labels=3\)"):
        metric.update_state([1, 0, 1], [0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="same number of rows"):
        metric.update_state([[1, 0, 1]], [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]])
    with pytest.raises(ValueError, match="sample_weight must have shape"):
        metric.update_state([[1, 0, 1]], [[0.5, 0.5, 0.5]], sample_weight=[[1.0, 2.0, 3.0]])
    with pytest.raises(TypeError, match="MultilabelCounts"):
        mk.from_counts(metric, {"tp": [1, 2, 3]})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="counts has 2 labels"):
        mk.from_counts(metric, ml.MultilabelCounts(2))
    with pytest.raises(TypeError, match=r"multilabel_attr\.keras metric"):
        mk.to_counts(keras.metrics.F1Score())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="per-label counts"):
        mk.to_counts(metric)


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: mk.F1Score(3, from_logits="no"), "from_logits"),
        (lambda: mk.Precision(3, from_logits=1), "from_logits"),
        (lambda: mk.FBetaScore(3, beta=-1.0), "beta"),
        (lambda: mk.AUROC(3, from_logits="yes"), "from_logits"),
        (lambda: mk.AveragePrecision(3, n_bins=1), "n_bins"),
        (lambda: mk.F1Score(0), "num_labels"),
    ],
)
def test_keras_metrics_check_options_with_the_core_rules(make: Any, argument: str) -> None:
    with pytest.raises(ml.InputError) as caught:
        make()
    assert caught.value.argument == argument
