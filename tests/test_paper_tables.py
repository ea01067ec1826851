"""The paper's table logic: the swap, the mixed thresholds, the grid search, baselines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from multilabel_attr.paper import (
    PUBLISHED_TABLE,
    TABLE_ROWS,
    majority_baseline,
    markdown_table,
    paper_grid_thresholds,
    papers_way_table,
)

sk = pytest.importorskip("sklearn.metrics")

# Three samples, three labels, worked by hand at threshold 0.5:
# sample 0: true {0, 1}, predicted {0}        -> precision 1,   recall 1/2, jaccard 1/2
# sample 1: true {2},    predicted {1, 2}     -> precision 1/2, recall 1,   jaccard 1/2
# sample 2: true {0},    predicted {0, 1, 2}  -> precision 1/3, recall 1,   jaccard 1/3
Y = np.array([[1, 1, 0], [0, 0, 1], [1, 0, 0]])
S = np.array([[0.9, 0.4, 0.1], [0.2, 0.6, 0.7], [0.8, 0.55, 0.65]])


def test_papers_way_swaps_precision_and_recall_rows() -> None:
    column = papers_way_table(Y, S)
    precision = (1 + 1 / 2 + 1 / 3) / 3
    recall = (1 / 2 + 1 + 1) / 3
    assert column["Recall"] == pytest.approx(precision)
    assert column["Precision"] == pytest.approx(recall)
    assert column["Hamming Score"] == pytest.approx((1 / 2 + 1 / 2 + 1 / 3) / 3)
    assert column["Hamming Loss"] == pytest.approx(4 / 9)
    unswapped = papers_way_table(Y, S, swap_precision_recall=False)
    assert unswapped["Recall"] == pytest.approx(recall)
    assert unswapped["Precision"] == pytest.approx(precision)


def test_papers_way_uses_tuned_thresholds_for_hamming_score_only() -> None:
    tuned = np.array([0.5, 0.58, 0.5])  # label 1 now predicted only for sample 1
    column = papers_way_table(Y, S, tuned_thresholds=tuned)
    at_half = papers_way_table(Y, S)
    pred = (S >= tuned).astype(int)
    assert column["Hamming Score"] == pytest.approx(sk.jaccard_score(Y, pred, average="samples"))
    assert abs(column["Hamming Score"] - at_half["Hamming Score"]) > 1e-3
    for row in ("Recall", "Precision", "F1 Measure", "Hamming Loss"):
        assert column[row] == at_half[row]


def test_paper_grid_matches_brute_force_with_sklearn() -> None:
    rng = np.random.default_rng(0)
    y = rng.random((300, 4)) < [0.1, 0.3, 0.5, 0.02]
    s = np.clip(0.3 * y + 0.7 * rng.random(y.shape), 0, 1)
    grid = np.linspace(0, 1, 100)
    expected = []
    for j in range(4):
        f1 = [sk.f1_score(y[:, j], s[:, j] >= t, zero_division=0) for t in grid]
        expected.append(grid[int(np.argmax(f1))])
    np.testing.assert_array_equal(paper_grid_thresholds(y, s), expected)


def test_majority_baseline_predicts_majority_class() -> None:
    train = np.array([[1, 0, 1], [1, 0, 0], [1, 1, 0]])
    pred = majority_baseline(train, 2)
    assert pred.tolist() == [[1, 0, 0], [1, 0, 0]]


def test_published_table_has_the_paper_numbers_and_renders() -> None:
    assert PUBLISHED_TABLE["CNN"]["Hamming Score"] == 0.57109
    assert PUBLISHED_TABLE["Transfer model"]["Hamming Loss"] == 0.11176
    text = markdown_table(PUBLISHED_TABLE, intervals={"CNN": {"Recall": (0.8, 0.81)}})
    assert text.splitlines()[0] == "| | CNN | Transfer model |"
    assert "0.80356 [0.8000, 0.8100]" in text
    assert len(text.splitlines()) == 2 + len(TABLE_ROWS)


def test_grid_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n_thresholds"):
        paper_grid_thresholds(Y, S, n_thresholds=1)
    with pytest.raises(ValueError, match="same shape"):
        paper_grid_thresholds(Y, S[:, :2])


def test_cache_keys_of_real_data_are_stable_across_processes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    code = (
        "from multilabel_attr._io import text_digest; "
        f"print(text_digest({str(tmp_path)!r}, 8))"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True,
            env={"PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"),
                 "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }  # fmt: skip
    assert len(keys) == 1 and len(keys.pop()) == 8
