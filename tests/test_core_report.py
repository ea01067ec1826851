"""evaluate(), Report rendering and round trips, bootstrap intervals, paired comparison."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import multilabel_attr as ml

sk = pytest.importorskip("sklearn.metrics")


def _data(n: int = 600, n_labels: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.random((n, n_labels)) < np.linspace(0.05, 0.6, n_labels)
    score = np.clip(0.45 * y + 0.6 * rng.random((n, n_labels)), 0, 1)
    return y, score


def test_evaluate_matches_sklearn_on_every_summary_number() -> None:
    y, score = _data()
    pred = (score >= 0.5).astype(int)
    report = ml.evaluate(y, score, threshold=0.5, zero_division=0)
    s = report.summary
    expected = {
        "precision_samples": sk.precision_score(y, pred, average="samples", zero_division=0),
        "recall_samples": sk.recall_score(y, pred, average="samples", zero_division=0),
        "f1_samples": sk.f1_score(y, pred, average="samples", zero_division=0),
        "hamming_score": sk.jaccard_score(y, pred, average="samples", zero_division=0),
        "hamming_loss": sk.hamming_loss(y, pred),
        "subset_accuracy": sk.accuracy_score(y, pred),
    }
    for average in ("micro", "macro", "weighted"):
        expected[f"precision_{average}"] = sk.precision_score(
            y, pred, average=average, zero_division=0
        )
        expected[f"recall_{average}"] = sk.recall_score(y, pred, average=average, zero_division=0)
        expected[f"f1_{average}"] = sk.f1_score(y, pred, average=average, zero_division=0)
    for key, value in expected.items():
        assert s[key] == pytest.approx(value, abs=1e-12), key
    assert s["label_accuracy"] == pytest.approx(1 - expected["hamming_loss"], abs=1e-12)


def test_evaluate_per_label_table_matches_sklearn() -> None:
    y, score = _data(seed=1)
    pred = (score >= 0.5).astype(int)
    table = ml.evaluate(y, score, zero_division=0).per_label
    for j in range(y.shape[1]):
        assert table["support"][j] == y[:, j].sum()
        assert table["prevalence"][j] == pytest.approx(y[:, j].mean())
        assert table["f1"][j] == pytest.approx(sk.f1_score(y[:, j], pred[:, j]), abs=1e-12)
        assert table["specificity"][j] == pytest.approx(
            sk.recall_score(y[:, j], pred[:, j], pos_label=0), abs=1e-12
        )
        assert table["balanced_accuracy"][j] == pytest.approx(
            sk.balanced_accuracy_score(y[:, j], pred[:, j]), abs=1e-12
        )
        assert table["mcc"][j] == pytest.approx(
            sk.matthews_corrcoef(y[:, j], pred[:, j]), abs=1e-12
        )
        assert table["auroc"][j] == pytest.approx(sk.roc_auc_score(y[:, j], score[:, j]), abs=1e-12)
        assert table["average_precision"][j] == pytest.approx(
            sk.average_precision_score(y[:, j], score[:, j]), abs=1e-12
        )


def test_evaluate_with_per_label_thresholds_and_weights() -> None:
    y, score = _data(seed=2)
    thresholds = np.linspace(0.3, 0.7, y.shape[1])
    weights = np.random.default_rng(2).random(y.shape[0])
    report = ml.evaluate(y, score, threshold=thresholds, sample_weight=weights, zero_division=0)
    pred = (score >= thresholds).astype(int)
    assert report.summary["f1_samples"] == pytest.approx(
        sk.f1_score(y, pred, average="samples", sample_weight=weights, zero_division=0), abs=1e-12
    )
    assert report.per_label["threshold"] == pytest.approx(thresholds.tolist())
    assert report.per_label["auroc"][0] == pytest.approx(
        sk.roc_auc_score(y[:, 0], score[:, 0], sample_weight=weights), abs=1e-12
    )


def test_report_round_trips_and_renders() -> None:
    y, score = _data(n=200, n_labels=3)
    y[:, 2] = False  # a label without positives: nan AUROC/AP must survive JSON
    with pytest.warns(ml.UndefinedMetricWarning):
        report = ml.evaluate(y, score, label_names=["a", "b", "c"], zero_division=0)
    assert math.isnan(report.per_label["auroc"][2])
    restored = ml.Report.from_dict(json.loads(report.to_json()))
    assert restored.summary == report.summary
    assert restored.label_names == ("a", "b", "c")
    assert math.isnan(restored.per_label["auroc"][2])
    assert restored.per_label["f1"] == report.per_label["f1"]
    text = report.to_text()
    assert "Hamming loss" in text and "average_precision" in text
    markdown = report.to_markdown()
    assert markdown.count("\n| ") > 10 and "| a |" in markdown
    assert report.label("b")["support"] == y[:, 1].sum()
    with pytest.raises(KeyError, match="unknown label"):
        report.label("z")
    assert list(report.paper_table) == [
        "precision_samples", "recall_samples", "f1_samples", "hamming_score", "hamming_loss",
    ]  # fmt: skip


def test_report_json_file_is_written_atomically(tmp_path) -> None:  # type: ignore[no-untyped-def]
    y, score = _data(n=50, n_labels=2)
    report = ml.evaluate(y, score, zero_division=0)
    path = tmp_path / "out" / "report.json"
    report.to_json(path)
    assert ml.Report.from_json(path).summary == report.summary
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]


def test_report_from_dict_rejects_other_schema() -> None:
    with pytest.raises(ValueError, match="schema_version"):
        ml.Report.from_dict({"schema_version": 99})


def test_bootstrap_intervals_contain_estimate_and_shrink_with_more_samples() -> None:
    widths = []
    for n in (300, 3000):
        y, score = _data(n=n, seed=3)
        report = ml.bootstrap_report(y, score, n_resamples=300, seed=0, ranking=False)
        assert report.confidence_level == 0.95
        for key, _ in ml.SUMMARY_METRICS:
            low, high = report.intervals[key]
            assert low <= report.summary[key] + 1e-12 and report.summary[key] <= high + 1e-12, key
        low, high = report.intervals["f1_samples"]
        widths.append(high - low)
        assert "f1:label_0" in report.intervals
    assert widths[1] < widths[0] * 0.6  # ~ 1/sqrt(10) in theory


def test_bootstrap_resamples_match_direct_recomputation() -> None:
    """One resample's metrics equal the core's metrics on the resampled rows."""
    from multilabel_attr.core.report._bootstrap import Rows
    from multilabel_attr.core.report._intervals import multiplicities as _multiplicities

    y, score = _data(n=120, seed=4)
    pred = score >= 0.5
    weight = _multiplicities(np.random.default_rng(5), 1, y.shape[0])
    rows = np.repeat(np.arange(y.shape[0]), weight[0].astype(int))
    summary, per_label = Rows.of(y.astype(bool), pred).metrics(weight, None)
    for key, _ in ml.SUMMARY_METRICS:
        assert summary[key][0] == pytest.approx(
            ml.evaluate(y[rows], pred[rows], threshold=None, zero_division=0, ranking=False)
            .summary[key], abs=1e-12
        ), key
    assert summary["f1_samples"][0] == pytest.approx(
        ml.f1_score(y[rows], pred[rows], average="samples", zero_division=0), abs=1e-12
    )
    assert summary["hamming_loss"][0] == pytest.approx(
        ml.hamming_loss(y[rows], pred[rows]), abs=1e-12
    )
    assert summary["f1_macro"][0] == pytest.approx(
        ml.f1_score(y[rows], pred[rows], average="macro", zero_division=0), abs=1e-12
    )
    np.testing.assert_allclose(
        per_label["mcc"][0],
        ml.matthews_corrcoef(y[rows], pred[rows], average=None, zero_division=0),
        atol=1e-12,
    )


def test_bootstrap_is_reproducible_with_a_seed() -> None:
    y, score = _data(n=200)
    a = ml.bootstrap_report(y, score, n_resamples=50, seed=7, ranking=False)
    b = ml.bootstrap_report(y, score, n_resamples=50, seed=7, ranking=False)
    assert a.intervals == b.intervals


def test_paired_bootstrap_detects_a_real_difference_and_not_a_null_one() -> None:
    rng = np.random.default_rng(0)
    y, good = _data(n=800, seed=5)
    noise = rng.random(y.shape)
    result = ml.paired_bootstrap(y, good, noise, n_resamples=300, seed=0)
    f1 = result["f1_samples"]
    assert f1.difference == pytest.approx(f1.value_a - f1.value_b)
    assert f1.interval[0] > 0 and f1.p_value < 0.01
    same = ml.paired_bootstrap(y, good, good, metrics=["hamming_loss"], n_resamples=100, seed=0)
    assert same["hamming_loss"].difference == 0 and same["hamming_loss"].p_value == 1.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_resamples": 1}, "n_resamples"),
        ({"confidence_level": 1.5}, "confidence_level"),
        ({"metrics": ["accuracy"]}, "metrics"),
    ],
)
def test_paired_bootstrap_rejects_bad_arguments(kwargs: dict, match: str) -> None:  # type: ignore[type-arg]
    y, score = _data(n=30)
    with pytest.raises((ValueError, TypeError), match=match):
        ml.paired_bootstrap(y, score, score, **kwargs)
