"""The reproduction's calibration table against scikit-learn, resample by resample."""

from __future__ import annotations

import json

import numpy as np
import pytest

import multilabel_attr as ml
from multilabel_attr.core.report._intervals import check_cluster, multiplicities
from multilabel_attr.paper._calibration import calibration_markdown, calibration_table
from multilabel_attr.paper._compute import ModelRun

sk = pytest.importorskip("sklearn.metrics")


def _run(name: str, y: np.ndarray, seed: int) -> ModelRun:
    rng = np.random.default_rng(seed)
    s = np.clip(0.3 * y + 0.7 * rng.random(y.shape), 0.001, 0.999).astype(np.float32)
    empty = np.zeros((0, y.shape[1]), np.float32)
    half = np.full(y.shape[1], 0.5)
    return ModelRun(name, empty, empty, y, s, half, half, {})


@pytest.mark.parametrize("clustered", [False, True])
def test_table_equals_scikit_learn_on_every_resample(clustered: bool) -> None:
    rng = np.random.default_rng(0)
    n, n_labels, resamples = 150, 4, 60
    y = (rng.random((n, n_labels)) < 0.4).astype(np.float32)
    runs = {"CNN": _run("CNN", y, 1), "Transfer model": _run("Transfer model", y, 2)}
    identities = np.repeat(np.arange(50), 3)[rng.permutation(n)] if clustered else None
    table = calibration_table(runs, n, resamples, seed=5, identities=identities)
    if clustered:
        index, n_units = check_cluster(identities, n)  # type: ignore[misc]
        drawn = multiplicities(np.random.default_rng(5), resamples, n_units)[:, index]
    else:
        drawn = multiplicities(np.random.default_rng(5), resamples, n)
    for name, run in runs.items():
        s = run.s_test.astype(np.float64)

        def mean(metric, w, s=s):  # type: ignore[no-untyped-def]
            return np.mean([metric(y[:, j], s[:, j], sample_weight=w) for j in range(n_labels)])

        def brier(t, p, sample_weight):  # type: ignore[no-untyped-def]
            return sk.brier_score_loss(t, p, sample_weight=sample_weight)

        def loss(t, p, sample_weight):  # type: ignore[no-untyped-def]
            eps = np.finfo(np.float32).eps  # the scores are float32: scikit-learn's clip
            p = np.clip(p, eps, 1 - eps)
            return sk.log_loss(t, p, sample_weight=sample_weight, labels=[0, 1])

        for row, metric in (("Brier score", brier), ("Log loss", loss)):
            assert table.values[name][row] == pytest.approx(mean(metric, None), abs=1e-9)
            replicates = [mean(metric, w) for w in drawn]
            expected = np.percentile(replicates, [2.5, 97.5])
            np.testing.assert_allclose(table.intervals[name][row], expected, atol=1e-9)
        # The ECE against the one-shot function (checked against torchmetrics elsewhere).
        # Its resamples sit above the estimate (the absolute gaps of noisier bins are
        # larger), so its interval need not hold the point value.
        eces = [np.mean(ml.expected_calibration_error(y, s, average=None, sample_weight=w))
                for w in drawn]  # fmt: skip
        expected = np.percentile(eces, [2.5, 97.5])
        np.testing.assert_allclose(table.intervals[name]["ECE (15 bins)"], expected, atol=1e-12)
    assert table.n_identities == (50 if clustered else None)
    text = calibration_markdown(table)
    assert text.startswith("## Calibration")
    assert f"{table.values['CNN']['Brier score']:.4f}" in text
    assert ("identities" in text) == clustered
    numbers = json.loads(json.dumps(table.numbers()))
    assert numbers["bootstrap_unit"] == ("identity" if clustered else "image")
