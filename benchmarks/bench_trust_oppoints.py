"""Operating points for 40 labels: the exact sweep against torchmetrics and scikit-learn.

Five rules per label (recall at precision >= 0.9, precision at recall >= 0.8,
specificity at sensitivity >= 0.9, sensitivity at specificity >= 0.9 and the
equal error rate), on the same data for every side, in one run:

* ours: [`operating_points`][multilabel_attr.core.operating_points], all five rules from
  one sort per label;
* torchmetrics' unbinned (``thresholds=None``) multi-label metrics, one call per rule;
* a per-label scikit-learn loop: ``precision_recall_curve`` and ``roc_curve`` once per
  label, each rule chosen from the curves with numpy.

The values must agree (to 1e-12, thresholds exactly; torchmetrics counts in float64
here so that its rates are the same ratios), and the ratios of the wall times are
printed.  Data: labels with prevalences from 2% to 80% and float32 scores
``sigmoid(signal + noise)`` rounded to 1e-4, so that ties occur as in real scores.

Run: ``python benchmarks/bench_trust_oppoints.py`` (``--rows 100000`` for a quick run).
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from multilabel_attr import UndefinedMetricWarning, operating_points

RULES = {
    "recall@precision>=0.9": ("recall_at_fixed_precision", 0.9),
    "precision@recall>=0.8": ("precision_at_fixed_recall", 0.8),
    "specificity@sensitivity>=0.9": ("specificity_at_sensitivity", 0.9),
    "sensitivity@specificity>=0.9": ("sensitivity_at_specificity", 0.9),
    "eer": ("eer", None),
}


def make_data(rows: int, labels: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    prevalence = np.linspace(0.02, 0.8, labels)
    truth = rng.random((rows, labels), dtype=np.float32) < prevalence
    skill = np.linspace(0.5, 3.0, labels, dtype=np.float32)
    logits = skill * (2 * truth - 1) + rng.standard_normal((rows, labels), dtype=np.float32) * 1.5
    scores = np.round(1 / (1 + np.exp(-logits)), 4).astype(np.float32)
    return truth, scores


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def ours(truth: np.ndarray, scores: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        found = operating_points(truth, scores, list(RULES))
    return {key: (p.values, p.thresholds) for key, p in found.items()}


def torchmetrics_side(
    truth: np.ndarray, scores: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    import torch
    from torchmetrics.functional import classification as tm

    torch.set_default_dtype(torch.float64)
    preds = torch.from_numpy(scores.astype(np.float64))
    target = torch.from_numpy(truth.astype(np.int64))
    labels = truth.shape[1]
    results: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, (name, minimum) in RULES.items():
            function = getattr(tm, f"multilabel_{name}")
            if minimum is None:
                results[key] = (function(preds, target, labels).numpy(), None)
            else:
                value, threshold = function(preds, target, labels, minimum)
                results[key] = (value.numpy(), threshold.numpy())
    return results


def _pick(keys: list[np.ndarray], feasible: np.ndarray) -> int | None:
    """Index of the lexicographically largest ``keys`` among ``feasible`` (last key: threshold)."""
    candidates = np.flatnonzero(feasible)
    if candidates.size == 0:
        return None
    order = np.lexsort([k[candidates] for k in reversed(keys)])
    return int(candidates[order[-1]])


def sklearn_side(truth: np.ndarray, scores: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    from sklearn.metrics import precision_recall_curve, roc_curve

    labels = truth.shape[1]
    results = {key: (np.full(labels, np.nan), np.full(labels, np.nan)) for key in RULES}
    for j in range(labels):
        y, s = truth[:, j], scores[:, j].astype(np.float64)
        precision, recall, thresholds = precision_recall_curve(y, s)
        precision, recall = precision[:-1], recall[:-1]  # the last point predicts nothing
        fpr, tpr, roc_thresholds = roc_curve(y, s, drop_intermediate=False)
        roc_thresholds = np.where(np.isinf(roc_thresholds), np.inf, roc_thresholds)
        specificity = 1 - fpr
        choices = {
            "recall@precision>=0.9": (
                [recall, precision, thresholds], precision >= 0.9, recall, thresholds
            ),
            "precision@recall>=0.8": (
                [precision, recall, thresholds], recall >= 0.8, precision, thresholds
            ),
            "specificity@sensitivity>=0.9": (
                [specificity, roc_thresholds], tpr >= 0.9, specificity, roc_thresholds
            ),
            "sensitivity@specificity>=0.9": (
                [tpr, roc_thresholds], specificity >= 0.9, tpr, roc_thresholds
            ),
            "eer": (
                [-np.abs(fpr - (1 - tpr)), roc_thresholds],
                np.ones_like(fpr, dtype=bool), (fpr + 1 - tpr) / 2, roc_thresholds,
            ),
        }  # fmt: skip
        for key, (keys, feasible, value, threshold) in choices.items():
            index = _pick(keys, feasible)
            if index is not None:
                results[key][0][j], results[key][1][j] = value[index], threshold[index]
    return results


def agree(mine: dict[str, Any], theirs: dict[str, Any], sentinel: float) -> bool:
    ok = True
    for key, (values, thresholds) in mine.items():
        other_values, other_thresholds = theirs[key]
        feasible = ~np.isnan(values)
        ok &= bool(np.allclose(values[feasible], other_values[feasible], rtol=0, atol=1e-12))
        if other_thresholds is not None:
            expected = np.where(np.isinf(thresholds), sentinel, thresholds)
            ok &= bool(np.array_equal(expected[feasible], other_thresholds[feasible]))
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--labels", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-torchmetrics", action="store_true")
    args = parser.parse_args()
    truth, scores = make_data(args.rows, args.labels, args.seed)
    print(f"operating points, {args.rows:,} rows x {args.labels} labels, {len(RULES)} rules")
    ours_time, mine = timed(lambda: ours(truth, scores))
    print(f"  multilabel_attr.operating_points: {ours_time:8.2f} s")
    sk_time, sk = timed(lambda: sklearn_side(truth, scores))
    print(
        f"  scikit-learn curves per label:    {sk_time:8.2f} s  ratio {sk_time / ours_time:6.1f}x"
        f"  equal values: {agree(mine, sk, np.inf)}"
    )
    if not args.skip_torchmetrics:
        tm_time, tm = timed(lambda: torchmetrics_side(truth, scores))
        print(
            f"  torchmetrics unbinned:            {tm_time:8.2f} s  ratio "
            f"{tm_time / ours_time:6.1f}x  equal values: {agree(mine, tm, 1.0)}"
        )


if __name__ == "__main__":
    main()
