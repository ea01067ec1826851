"""The reproduction's subgroup table: F1, TPR and FPR by Male and by Young, and the gaps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from multilabel_attr.datasets.celeba import ATTRIBUTES
from multilabel_attr.paper import FACTORS, subgroup_markdown, subgroup_tables

sk = pytest.importorskip("sklearn.metrics")
fairlearn_metrics = pytest.importorskip("fairlearn.metrics")


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    n = 1500
    y = (rng.random((n, 40)) < rng.uniform(0.05, 0.6, 40)).astype(np.float32)
    male = y[:, ATTRIBUTES.index("Male")]
    s = np.clip(0.4 * y + 0.6 * rng.random(y.shape) - 0.08 * male[:, None], 0, 1)
    thresholds = rng.uniform(0.3, 0.6, 40)
    return y, s.astype(np.float32), thresholds


def test_rows_equal_sklearn_and_fairlearn(data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    y, s, thresholds = data
    tables = subgroup_tables("CNN", y, s, thresholds, ATTRIBUTES, n_resamples=40, seed=0)
    assert tuple(tables.reports) == FACTORS
    pred = (s >= thresholds).astype(int)
    for factor in FACTORS:
        key = y[:, ATTRIBUTES.index(factor)].astype(int)
        rows = tables.rows(factor)
        assert [r["attribute"] for r in rows] == [a for a in ATTRIBUTES if a != factor]
        for row in rows[::7]:
            j = ATTRIBUTES.index(row["attribute"])
            truth = y[:, j].astype(int)
            for g in (0, 1):
                mask = key == g
                name = f"{factor}={g}"
                f1 = sk.f1_score(truth[mask], pred[mask, j], zero_division=0)
                tpr = sk.recall_score(truth[mask], pred[mask, j], zero_division=0)
                tn, fp, _, _ = sk.confusion_matrix(truth[mask], pred[mask, j]).ravel()
                assert row[f"f1 {name}"] == pytest.approx(f1, abs=1e-12)
                assert row[f"tpr {name}"] == pytest.approx(tpr, abs=1e-12)
                assert row[f"fpr {name}"] == pytest.approx(fp / (fp + tn), abs=1e-12)
            eo = fairlearn_metrics.equal_opportunity_difference(
                truth, pred[:, j], sensitive_features=key
            )
            odds = fairlearn_metrics.equalized_odds_difference(
                truth, pred[:, j], sensitive_features=key
            )
            assert row["equal_opportunity_gap"] == pytest.approx(eo, abs=1e-12)
            assert row["equalized_odds_gap"] == pytest.approx(odds, abs=1e-12)
            low, high = row["equal_opportunity_interval"]
            assert 0 <= low <= high


def test_markdown_says_synthetic_and_the_figure_is_drawn(
    data: tuple[np.ndarray, np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    y, s, thresholds = data
    tables = subgroup_tables("CNN", y, s, thresholds, ATTRIBUTES, n_resamples=20, seed=1)
    text = subgroup_markdown(tables, synthetic=True)
    assert "### 5. By group" in text and "**synthetic**" in text
    assert "**By Male**" in text and "**By Young**" in text
    assert text.count("\n| Smiling |") == 2
    assert "synthetic" not in subgroup_markdown(tables, synthetic=False)
    pytest.importorskip("matplotlib")
    from multilabel_attr.paper._subgroups import write_subgroup_figure

    (path,) = write_subgroup_figure(tables, tmp_path / "figures")
    assert path.name == "subgroup_gaps.png" and path.stat().st_size > 10_000
