"""The local Parquet engine agrees with memory on the cases where it once did not."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import multilabel_attr as ml  # noqa: E402
from _scale_data import assert_reports_equal  # noqa: E402
from multilabel_attr import parquet as mparquet  # noqa: E402
from multilabel_attr.thresholds import Thresholds, optimize_thresholds  # noqa: E402


def _write(path: Path, truth: np.ndarray, scores: np.ndarray, weight: Any = None,
           group_rows: int = 4) -> Path:  # fmt: skip
    columns: dict[str, Any] = {"y": list(truth.astype(np.int8)), "s": list(scores)}
    if weight is not None:
        columns["w"] = weight
    pq.write_table(pa.table(columns), path, row_group_size=group_rows)
    return path


def _tune_both(path: Path, truth: np.ndarray, scores: np.ndarray, weight: Any = None,
               n_bins: int = 2048, **options: Any) -> tuple[Thresholds, Thresholds]:  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = mparquet.optimize_thresholds(
            path, "y", "s", weight=None if weight is None else "w", n_bins=n_bins, **options
        )
        expected = optimize_thresholds(truth, scores, sample_weight=weight, **options)
    return got, expected


# Hand-computed: label 0 is best left with nothing predicted positive (accuracy 3/4), but a
# score of exactly 1 rules that cut out on the probability scale; of the cuts left, the ones
# above 0.1 and above 0.9 tie at 2/4 and the higher wins: midway between 0.9 and 1.0.  Label
# 1 is best with everything positive: the threshold 0, not a value below it.
TRUTH = np.array([[0, 1], [0, 1], [1, 1], [0, 1]], bool)
SCORES = np.array([[0.1, 0.2], [0.9, 0.3], [0.2, 0.6], [1.0, 0.9]])


@pytest.mark.parametrize("n_bins", [2, 64, 2048])
def test_tuned_thresholds_stay_on_the_probability_scale(tmp_path: Path, n_bins: int) -> None:
    path = _write(tmp_path / "t.parquet", TRUTH, SCORES)
    got, expected = _tune_both(path, TRUTH, SCORES, metric="accuracy", min_positives=0,
                               n_bins=n_bins)  # fmt: skip
    assert got.values.tolist() == [0.95, 0.0]
    assert got == expected


def test_a_numeric_fallback_is_clipped_like_in_memory(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.parquet", TRUTH, SCORES)
    with pytest.warns(ml.thresholds.ThresholdWarning, match=r"fallback threshold 1\."):
        got = mparquet.optimize_thresholds(path, "y", "s", fallback=1.5, min_positives=5)
    assert got.values.tolist() == [1.0, 1.0]
    assert got == _tune_both(path, TRUTH, SCORES, fallback=1.5, min_positives=5)[1]


@pytest.mark.parametrize("seed", range(8))
def test_tuning_on_adversarial_data_equals_memory(tmp_path: Path, seed: int) -> None:
    """Ties, scores exactly 0 and 1, labels without positives, zero weights, tiny groups."""
    rng = np.random.default_rng(seed)
    n, n_labels = int(rng.integers(5, 40)), int(rng.integers(1, 4))
    truth = rng.random((n, n_labels)) < rng.uniform(0, 1)
    scores = rng.choice([0.0, 0.1, 0.5, 0.9, 1.0, float(rng.random())], size=(n, n_labels))
    weight = rng.integers(0, 3, n) / 2
    weight[0] = 1.0
    path = _write(tmp_path / "t.parquet", truth, scores, weight, group_rows=3)
    for metric in ("f1", "accuracy", "matthews", "precision"):
        for strategy in ("per_label", "shared"):
            for fallback in ("shared", 1.5, -0.5):
                got, expected = _tune_both(
                    path, truth, scores, weight, metric=metric, strategy=strategy,
                    fallback=fallback, min_positives=3, n_bins=int(rng.choice([2, 16, 2048])),
                )  # fmt: skip
                assert got == expected, (metric, strategy, fallback)


def test_a_row_group_of_zero_weights_is_valid(tmp_path: Path) -> None:
    truth = np.array([[1, 0], [0, 1], [1, 1], [0, 0], [1, 0], [0, 1]], bool)
    scores = np.array([[0.8, 0.1], [0.3, 0.7], [0.6, 0.4], [0.2, 0.9], [0.1, 0.5], [0.7, 0.2]])
    weight = np.array([0.0, 0.0, 1.0, 2.0, 1.0, 0.5])
    path = _write(tmp_path / "t.parquet", truth, scores, weight, group_rows=2)
    got, expected = _tune_both(path, truth, scores, weight, min_positives=0)
    assert got == expected
    report = mparquet.evaluate(path, "y", "s", weight="w", zero_division=0, ranking=False)
    assert_reports_equal(report, ml.evaluate(truth, scores, sample_weight=weight,
                                             zero_division=0, ranking=False))  # fmt: skip
    sketched = mparquet.evaluate(path, "y", "s", weight="w", zero_division=0)
    sketch = ml.ScoreSketch(2).update(truth, scores, sample_weight=weight)
    assert sketched.per_label["auroc"] == sketch.roc_auc(average=None).value.tolist()


def test_tuning_options_are_checked_before_the_data_is_read(tmp_path: Path) -> None:
    missing = tmp_path / "absent.parquet"
    with pytest.raises(ValueError, match="metric"):
        mparquet.optimize_thresholds(missing, "y", "s", metric="nope")
    with pytest.raises(ValueError, match="'per_label' or 'shared' at scale"):
        mparquet.optimize_thresholds(missing, "y", "s", strategy="coordinate")
    with pytest.raises(ValueError, match="n_bins"):
        mparquet.optimize_thresholds(missing, "y", "s", n_bins=1)
