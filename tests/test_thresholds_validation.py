"""Fallbacks for rare labels and clear errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest

import multilabel_attr as ml
from multilabel_attr.thresholds import ThresholdWarning, optimize_thresholds


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    y = (rng.random((300, 3)) < 0.3).astype(int)
    y[:, 2] = 0
    y[:4, 2] = 1
    s = np.clip(0.3 * y + rng.random((300, 3)) * 0.7, 0, 1)
    return y, s


def test_rare_label_falls_back_to_shared_with_warning_naming_it() -> None:
    y, s = data()
    with pytest.warns(ThresholdWarning, match=r"1 of 3 labels .* Bald \(positives: 4\)"):
        t = optimize_thresholds(y, s, label_names=["Smiling", "Young", "Bald"])
    shared = optimize_thresholds(y, s, strategy="shared")
    assert t.fallback_labels == (2,)
    assert t.values[2] == shared.values[0]
    assert t.validation_scores is not None
    assert np.isfinite(t.validation_scores).all()


def test_numeric_fallback_no_positives_and_clip() -> None:
    y, s = data()
    y[:, 2] = 0
    with pytest.warns(ThresholdWarning, match="positives: 0"):
        t = optimize_thresholds(y, s, fallback=0.5)
    assert t.values[2] == 0.5
    with pytest.warns(ThresholdWarning):
        clipped = optimize_thresholds(y, s, fallback=0.9, clip=(0.2, 0.6))
    assert clipped.values[2] == 0.6


def test_weighted_positives_with_zero_weight_do_not_count() -> None:
    y, s = data()
    w = np.ones(300)
    w[y[:, 0] == 1] = 0.0
    w[np.flatnonzero(y[:, 0] == 1)[:12]] = 1.0
    optimize_thresholds(y[:, :1], s[:, :1], sample_weight=w, min_positives=12)
    with pytest.warns(ThresholdWarning):
        optimize_thresholds(y[:, :1], s[:, :1], sample_weight=w, min_positives=13)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"y_true": np.ones((5,)), "y_score": np.ones((5,))}, ValueError, "2-D"),
        ({"y_true": np.ones((5, 2)), "y_score": np.ones((5, 3))}, ValueError, "same shape"),
        ({"y_true": np.ones((0, 2)), "y_score": np.ones((0, 2))}, ValueError, "empty"),
        ({"y_true": np.ones((5, 0)), "y_score": np.ones((5, 0))}, ValueError, "empty"),
        ({"y_score": np.full((4, 2), np.nan)}, ValueError, "finite"),
        ({"y_true": np.full((4, 2), 2)}, ValueError, "only 0 and 1"),
        ({"y_true": -np.ones((4, 2))}, ValueError, "signed_to_binary"),
        ({"y_score": [["a", "b"]] * 4}, TypeError, "numeric"),
        ({"metric": "auc"}, ValueError, "metric must be one of"),
        ({"metric": 3}, TypeError, "metric must be"),
        ({"metric": "fbeta"}, ValueError, "needs beta"),
        ({"metric": "f1", "beta": 2}, ValueError, "beta is only used"),
        ({"strategy": "grid"}, ValueError, "strategy must be one of"),
        ({"strategy": "per_label", "average": "micro"}, ValueError, "strategy='shared'"),
        ({"strategy": "shared", "average": "samples"}, ValueError, "coordinate"),
        (
            {"strategy": "coordinate", "average": "samples", "metric": "matthews"},
            ValueError,
            "set-based",
        ),
        ({"min_positives": -1}, ValueError, "min_positives"),
        ({"max_iter": 0}, ValueError, "max_iter"),
        ({"clip": (0.6, 0.4)}, ValueError, "clip"),
        ({"clip": 0.5}, ValueError, "clip"),
        ({"fallback": "zero"}, ValueError, "fallback"),
        ({"zero_division": 0.5}, ValueError, "zero_division"),
        ({"sample_weight": np.zeros(4)}, ValueError, "sample_weight is zero for all 4 samples"),
        ({"sample_weight": -np.ones(4)}, ValueError, "non-negative"),
        ({"sample_weight": np.ones(3)}, ValueError, "one weight per sample"),
        ({"label_names": ["a"]}, ValueError, "one name per label"),
    ],
)
def test_bad_input_raises_clearly(kwargs: dict, error: type, match: str) -> None:
    arguments = {
        "y_true": [[1, 0], [0, 1], [1, 1], [0, 0]],
        "y_score": [[0.9, 0.2], [0.3, 0.8], [0.6, 0.7], [0.1, 0.4]],
    }
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        optimize_thresholds(arguments.pop("y_true"), arguments.pop("y_score"), **arguments)


def test_bad_metric_function_is_reported() -> None:
    with pytest.raises(ValueError, match="one value per element"):
        optimize_thresholds(
            [[1], [0]], [[0.9], [0.1]], metric=lambda tp, fp, fn, tn: [1, 2], min_positives=0
        )


def test_thresholds_tuned_on_probabilities_are_accepted_by_every_metric() -> None:
    # A common label is best predicted positive everywhere, a rare one nowhere: the search
    # expresses both within [0, 1], the probability scale the metrics accept.
    rng = np.random.default_rng(0)
    y = (rng.random((200, 3)) < [0.9, 0.5, 0.02]).astype(int)
    s = rng.random((200, 3)) * 0.8 + 0.1
    for metric in ("f1", "accuracy"):
        t = optimize_thresholds(y, s, metric=metric, min_positives=1)
        assert np.all((t.values >= 0) & (t.values <= 1))
        counts = ml.MultilabelCounts.from_batch(y, s, threshold=t)
        np.testing.assert_array_equal(t.apply(s), (s >= np.asarray(t)).astype(np.uint8))
        assert counts.n_samples == 200
    assert optimize_thresholds(y, s, min_positives=1).values[0] == 0.0
    # Scores outside [0, 1] are not probabilities: no clipping.
    margins = optimize_thresholds(y, 4 * s - 2, min_positives=1)
    assert margins.values[0] < -2
