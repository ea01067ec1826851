"""Shared data generators, scikit-learn oracles and the metric registry for the core tests."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

import multilabel_attr as ml

try:
    from sklearn.exceptions import UndefinedMetricWarning as SkUndefinedMetricWarning
except ImportError:  # numpy-only tests still run; the oracle tests skip themselves
    SkUndefinedMetricWarning = ml.UndefinedMetricWarning  # type: ignore[assignment,misc]


class _SklearnMetrics:
    """``sklearn.metrics`` imported on the first call of one of its functions, so that tests
    which only use the data generators collect without scikit-learn."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            from sklearn import metrics

            return getattr(metrics, name)(*args, **kwargs)

        return call


skm = _SklearnMetrics()

ZERO_DIVISIONS: tuple[Any, ...] = ("warn", 0, 1, math.nan)
ALL_AVERAGES: tuple[str | None, ...] = ("micro", "macro", "weighted", "samples", None)
LABEL_AVERAGES: tuple[str | None, ...] = ("micro", "macro", "weighted", None)
TOL = 1e-12


def zd_id(zero_division: Any) -> str:
    return (
        "nan"
        if isinstance(zero_division, float) and math.isnan(zero_division)
        else str(zero_division)
    )


def fill_value(zero_division: Any) -> float:
    return 0.0 if zero_division == "warn" else float(zero_division)


def assert_close(ours: Any, expected: Any, what: str = "") -> None:
    np.testing.assert_allclose(
        np.asarray(ours, dtype=np.float64),
        np.asarray(expected, dtype=np.float64),
        rtol=TOL,
        atol=TOL,
        equal_nan=True,
        err_msg=what,
    )


def quiet(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` with every warning silenced (oracles only)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def ours_quiet(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ml.UndefinedMetricWarning)
        return fn(*args, **kwargs)


def warned(fn: Callable[..., Any], category: type[Warning]) -> tuple[Any, bool]:
    """Run ``fn`` and report whether it emitted a warning of ``category``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = fn()
    return value, any(issubclass(w.category, category) for w in caught)


# -- data ------------------------------------------------------------------------------------


@st.composite
def multilabel_data(
    draw: st.DrawFn,
    *,
    max_samples: int = 12,
    max_labels: int = 5,
    min_labels: int = 1,
    weights: str = "maybe",
    score_levels: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(y_true, y_pred, sample_weight): random 0/1 matrices, often degenerate.

    Columns and rows are biased towards all-zero / all-one so that every
    zero-division branch is exercised.  ``weights``: "none", "maybe", "zeros"
    (non-negative with some zeros, at least one positive) or "positive".
    """
    n = draw(st.integers(1, max_samples))
    n_labels = draw(st.integers(min_labels, max_labels))
    mode = draw(st.sampled_from(["random", "sparse", "dense", "mixed"]))
    if mode == "random":
        p_true, p_pred = 0.5, 0.5
    elif mode == "sparse":
        p_true, p_pred = 0.15, 0.15
    elif mode == "dense":
        p_true, p_pred = 0.85, 0.85
    else:
        p_true, p_pred = 0.2, 0.8
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    y_true = (rng.random((n, n_labels)) < p_true).astype(np.int64)
    y_pred = (rng.random((n, n_labels)) < p_pred).astype(np.int64)
    if draw(st.booleans()):
        y_true[:, rng.integers(n_labels)] = draw(st.sampled_from([0, 1]))
    if draw(st.booleans()):
        y_pred[:, rng.integers(n_labels)] = draw(st.sampled_from([0, 1]))
    if draw(st.booleans()):
        row = rng.integers(n)
        y_true[row] = 0
        if draw(st.booleans()):
            y_pred[row] = 0
    sample_weight = None
    choice = weights
    if weights == "maybe":
        choice = draw(st.sampled_from(["none", "positive", "zeros"]))
    if choice == "positive":
        sample_weight = rng.uniform(0.1, 3.0, n)
    elif choice == "zeros":
        sample_weight = rng.uniform(0.0, 3.0, n) * (rng.random(n) < 0.7)
        sample_weight[rng.integers(n)] = rng.uniform(0.5, 2.0)
    elif choice == "integer":
        sample_weight = rng.integers(0, 4, n).astype(np.float64)
        sample_weight[rng.integers(n)] = 1.0
    return y_true, y_pred, sample_weight


@st.composite
def ranking_data(
    draw: st.DrawFn, *, max_samples: int = 14, max_labels: int = 5, weights: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(y_true, y_score, sample_weight) with frequent ties in the scores."""
    n = draw(st.integers(2, max_samples))
    n_labels = draw(st.integers(2, max_labels))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    y_true = (rng.random((n, n_labels)) < draw(st.sampled_from([0.2, 0.5, 0.8]))).astype(int)
    if draw(st.booleans()):
        y_true[:, rng.integers(n_labels)] = draw(st.sampled_from([0, 1]))
    levels = draw(st.sampled_from([3, 6, 0]))
    if levels:
        y_score = rng.integers(0, levels, (n, n_labels)) / levels
    else:
        y_score = rng.random((n, n_labels))
    sample_weight = None
    if weights and draw(st.booleans()):
        sample_weight = rng.uniform(0.1, 3.0, n)
    return y_true, y_score, sample_weight


# -- oracles ---------------------------------------------------------------------------------

SET_METRICS: dict[str, Callable[..., Any]] = {
    "precision": skm.precision_score,
    "recall": skm.recall_score,
    "f1": skm.f1_score,
    "f2": lambda *a, **k: skm.fbeta_score(*a, beta=2.0, **k),
    "f0.5": lambda *a, **k: skm.fbeta_score(*a, beta=0.5, **k),
    "jaccard": skm.jaccard_score,
}

OURS_SET: dict[str, Callable[..., Any]] = {
    "precision": ml.precision_score,
    "recall": ml.recall_score,
    "f1": ml.f1_score,
    "f2": lambda *a, **k: ml.fbeta_score(*a, beta=2.0, **k),
    "f0.5": lambda *a, **k: ml.fbeta_score(*a, beta=0.5, **k),
    "jaccard": ml.jaccard_score,
}


def nan_weighted_mean(values: np.ndarray, weights: np.ndarray | None) -> float:
    """scikit-learn's ``_nanaverage``: nan left out; unweighted if the weights sum to 0."""
    values = np.asarray(values, dtype=np.float64)
    keep = ~np.isnan(values)
    if not keep.any():
        return math.nan
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)[keep]
        if w.sum() > 0:
            return float(np.average(values[keep], weights=w))
    return float(np.mean(values[keep]))


def _python_samples(name: str, y_true: np.ndarray, y_pred: np.ndarray, fill: float) -> np.ndarray:
    """Per-sample set-based values from Python sets (independent of both libraries)."""
    beta = {"f1": 1.0, "f2": 2.0, "f0.5": 0.5}.get(name)
    out = []
    for t_row, p_row in zip(y_true, y_pred, strict=False):
        t = {j for j, v in enumerate(t_row) if v}
        p = {j for j, v in enumerate(p_row) if v}
        hit = len(t & p)
        if name == "precision":
            num, den = hit, len(p)
        elif name == "recall":
            num, den = hit, len(t)
        elif name == "jaccard":
            num, den = hit, len(t | p)
        else:
            assert beta is not None
            b2 = beta * beta
            num, den = (1 + b2) * hit, b2 * len(t) + len(p)
        out.append(num / den if den else fill)
    return np.array(out, dtype=np.float64)


def oracle_set_metric(
    name: str,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    average: str | None,
    zero_division: Any,
    sample_weight: np.ndarray | None,
) -> Any:
    """The value scikit-learn gives, adjusted for the documented differences.

    * Jaccard with ``zero_division=nan``: scikit-learn averages nan (result nan);
      the library leaves nan out, so the average is rebuilt from scikit-learn's
      per-label / per-sample values with nan skipped.
    * A single label: scikit-learn treats (n, 1) as binary and rejects
      ``samples``; the per-sample values then come from Python sets.
    * ``samples`` with weights: a sample of weight zero takes no part (as if its
      row were removed), where scikit-learn would fall back to an unweighted
      mean when every weighted sample is undefined; so such rows are dropped
      before asking scikit-learn, and nothing left means nan.
    """
    if average == "samples" and sample_weight is not None:
        kept = np.asarray(sample_weight) > 0
        if not kept.any():
            return math.nan
        y_true, y_pred, sample_weight = y_true[kept], y_pred[kept], sample_weight[kept]
    sk = SET_METRICS[name]
    fill = fill_value(zero_division)
    nan_zd = isinstance(zero_division, float) and math.isnan(zero_division)
    if name == "jaccard" and nan_zd:
        return _jaccard_nan_oracle(y_true, y_pred, average, sample_weight)
    if y_true.shape[1] == 1:
        t, p = y_true[:, 0], y_pred[:, 0]
        if average == "samples":
            return nan_weighted_mean(_python_samples(name, y_true, y_pred, fill), sample_weight)
        value = quiet(
            sk, t, p, average="binary", zero_division=zero_division, sample_weight=sample_weight
        )
        return np.array([value]) if average is None else value
    return quiet(
        sk, y_true, y_pred, average=average, zero_division=zero_division,
        sample_weight=sample_weight,
    )  # fmt: skip


def sk_confusion(y_true: np.ndarray, y_pred: np.ndarray, sample_weight: Any) -> np.ndarray:
    """scikit-learn's per-label confusion matrices (a single column is binary there)."""
    if y_true.shape[1] == 1:
        return skm.multilabel_confusion_matrix(
            y_true[:, 0], y_pred[:, 0], labels=[1], sample_weight=sample_weight
        )
    return skm.multilabel_confusion_matrix(y_true, y_pred, sample_weight=sample_weight)


def _jaccard_nan_oracle(
    y_true: np.ndarray, y_pred: np.ndarray, average: str | None, sample_weight: Any
) -> Any:
    """Jaccard with undefined values left out of averages (scikit-learn rejects nan).

    Values come from scikit-learn with ``zero_division=0``; the undefined ones
    (no true and no predicted positive) are found from scikit-learn's confusion
    counts and set to nan, then averaged with nan skipped.
    """
    single = y_true.shape[1] == 1
    if average == "samples":
        values = _python_samples("jaccard", y_true, y_pred, math.nan)
        if not single:
            sk_values = np.array(
                [
                    quiet(skm.jaccard_score, y_true[i : i + 1], y_pred[i : i + 1],
                          average="samples", zero_division=0)
                    for i in range(y_true.shape[0])
                ]
            )  # fmt: skip
            defined = ~np.isnan(values)
            np.testing.assert_allclose(values[defined], sk_values[defined], rtol=1e-12)
            values = np.where(defined, sk_values, math.nan)
        return nan_weighted_mean(values, sample_weight)
    mcm = sk_confusion(y_true, y_pred, sample_weight)
    union = mcm[:, 0, 1] + mcm[:, 1, 0] + mcm[:, 1, 1]
    if average == "micro":
        if union.sum() == 0:
            return math.nan
        return quiet(skm.jaccard_score, y_true.ravel(), y_pred.ravel(), zero_division=0,
                     sample_weight=None if sample_weight is None
                     else np.repeat(sample_weight, y_true.shape[1]))  # fmt: skip
    per_label = np.array(
        [
            quiet(skm.jaccard_score, y_true[:, j], y_pred[:, j], zero_division=0,
                  sample_weight=sample_weight)
            for j in range(y_true.shape[1])
        ]
    )  # fmt: skip
    per_label = np.where(union == 0, math.nan, per_label)
    if average is None:
        return per_label
    weights = mcm[:, 1, :].sum(axis=1) if average == "weighted" else None
    return nan_weighted_mean(per_label, weights)


def _present(column: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray:
    """The samples that carry weight (scikit-learn's confusion counts ignore the rest)."""
    if sample_weight is None:
        return column
    return column[sample_weight > 0]


def _sk_specificity(t: np.ndarray, p: np.ndarray, zd: Any, sw: Any) -> float:
    return float(quiet(skm.recall_score, t, p, pos_label=0, zero_division=zd, sample_weight=sw))


def _sk_npv(t: np.ndarray, p: np.ndarray, zd: Any, sw: Any) -> float:
    # NPV = tn / (tn + fn): the precision of the negative class.
    return float(quiet(skm.precision_score, t, p, pos_label=0, zero_division=zd, sample_weight=sw))


def _sk_balanced(t: np.ndarray, p: np.ndarray, zd: Any, sw: Any) -> float:
    return float(quiet(skm.balanced_accuracy_score, t, p, sample_weight=sw))


def _sk_mcc(t: np.ndarray, p: np.ndarray, zd: Any, sw: Any) -> float:
    tt, pp = _present(t, sw), _present(p, sw)
    if len(np.unique(tt)) < 2 or len(np.unique(pp)) < 2:
        return fill_value(zd)  # scikit-learn returns 0 for a constant truth or prediction
    return float(quiet(skm.matthews_corrcoef, t, p, sample_weight=sw))


def _sk_kappa(t: np.ndarray, p: np.ndarray, zd: Any, sw: Any) -> float:
    return float(
        quiet(skm.cohen_kappa_score, t, p, sample_weight=sw, replace_undefined_by=fill_value(zd))
    )


LABEL_ORACLES: dict[str, Callable[[np.ndarray, np.ndarray, Any, Any], float]] = {
    "specificity": _sk_specificity,
    "npv": _sk_npv,
    "balanced_accuracy": _sk_balanced,
    "matthews": _sk_mcc,
    "cohen_kappa": _sk_kappa,
}

OURS_LABEL: dict[str, Callable[..., Any]] = {
    "specificity": ml.specificity_score,
    "npv": ml.npv_score,
    "balanced_accuracy": ml.balanced_accuracy_score,
    "matthews": ml.matthews_corrcoef,
    "cohen_kappa": ml.cohen_kappa_score,
}


def oracle_label_metric(
    name: str,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    average: str | None,
    zero_division: Any,
    sample_weight: np.ndarray | None,
) -> Any:
    """Per label: scikit-learn's binary function on each column; micro: on the raveled cells."""
    oracle = LABEL_ORACLES[name]
    if average == "micro":
        sw = None if sample_weight is None else np.repeat(sample_weight, y_true.shape[1])
        return oracle(y_true.ravel(), y_pred.ravel(), zero_division, sw)
    values = np.array(
        [
            oracle(y_true[:, j], y_pred[:, j], zero_division, sample_weight)
            for j in range(y_true.shape[1])
        ]
    )
    if average is None:
        return values
    weights = None
    if average == "weighted":
        w = np.ones(y_true.shape[0]) if sample_weight is None else sample_weight
        weights = w @ y_true
    return nan_weighted_mean(values, weights)


# -- registry --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricSpec:
    """A public metric and the properties the shared invariance tests rely on.

    ``kind``: "set" (hard predictions, all averages), "label" (hard predictions,
    per-label metrics), "scalar" (hard predictions, one number), "ranking"
    (scores, averaged AUROC/AP), "ranking_scalar" (scores, one number).
    """

    name: str
    fn: Callable[..., Any]
    kind: str
    averages: tuple[str | None, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def uses_scores(self) -> bool:
        return self.kind.startswith("ranking")

    def __call__(self, y_true: Any, y: Any, average: Any = "skip", **kwargs: Any) -> Any:
        extra = dict(self.kwargs)
        extra.update(kwargs)
        if average != "skip":
            extra["average"] = average
        return self.fn(y_true, y, **extra)


CALIBRATION_AVERAGES: tuple[str | None, ...] = ("micro", "macro", "weighted", None)

REGISTRY: tuple[MetricSpec, ...] = (
    MetricSpec("precision_score", ml.precision_score, "set", ALL_AVERAGES,
               {"zero_division": math.nan}),
    MetricSpec("recall_score", ml.recall_score, "set", ALL_AVERAGES,
               {"zero_division": math.nan}),
    MetricSpec("f1_score", ml.f1_score, "set", ALL_AVERAGES, {"zero_division": math.nan}),
    MetricSpec("fbeta_score", ml.fbeta_score, "set", ALL_AVERAGES,
               {"zero_division": math.nan, "beta": 2.0}),
    MetricSpec("jaccard_score", ml.jaccard_score, "set", ALL_AVERAGES,
               {"zero_division": math.nan}),
    MetricSpec("specificity_score", ml.specificity_score, "label", LABEL_AVERAGES,
               {"zero_division": math.nan}),
    MetricSpec("npv_score", ml.npv_score, "label", LABEL_AVERAGES, {"zero_division": math.nan}),
    MetricSpec("balanced_accuracy_score", ml.balanced_accuracy_score, "label", LABEL_AVERAGES,
               {"zero_division": math.nan}),
    MetricSpec("matthews_corrcoef", ml.matthews_corrcoef, "label", LABEL_AVERAGES,
               {"zero_division": math.nan}),
    MetricSpec("cohen_kappa_score", ml.cohen_kappa_score, "label", LABEL_AVERAGES,
               {"zero_division": math.nan}),
    MetricSpec("hamming_loss", ml.hamming_loss, "scalar"),
    MetricSpec("label_accuracy", ml.label_accuracy, "scalar"),
    MetricSpec("hamming_score", ml.hamming_score, "scalar", (), {"zero_division": math.nan}),
    MetricSpec("subset_accuracy", ml.subset_accuracy, "scalar"),
    MetricSpec("zero_one_loss", ml.zero_one_loss, "scalar"),
    MetricSpec("multilabel_confusion_matrix", ml.multilabel_confusion_matrix, "confusion"),
    MetricSpec("roc_auc_score", ml.roc_auc_score, "ranking", ALL_AVERAGES),
    MetricSpec("average_precision_score", ml.average_precision_score, "ranking", ALL_AVERAGES),
    MetricSpec("coverage_error", ml.coverage_error, "ranking_scalar"),
    MetricSpec("label_ranking_loss", ml.label_ranking_loss, "ranking_scalar"),
    MetricSpec("label_ranking_average_precision_score",
               ml.label_ranking_average_precision_score, "ranking_scalar"),
    MetricSpec("dcg_score", ml.dcg_score, "ranking_scalar"),
    MetricSpec("ndcg_score", ml.ndcg_score, "ranking_scalar"),
    MetricSpec("expected_calibration_error", ml.expected_calibration_error, "ranking",
               CALIBRATION_AVERAGES),
    MetricSpec("max_calibration_error", ml.max_calibration_error, "ranking",
               CALIBRATION_AVERAGES),
    MetricSpec("brier_score", ml.brier_score, "ranking", CALIBRATION_AVERAGES),
    MetricSpec("log_loss", ml.log_loss, "ranking", CALIBRATION_AVERAGES),
)  # fmt: skip

SUPPRESSED = (ml.UndefinedMetricWarning, SkUndefinedMetricWarning)
