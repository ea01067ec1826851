"""Honest threshold tuning: out-of-fold evaluation over k folds of the tuning data."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core._internal import validated
from ..core._validation import external_stacklevel
from ._optimize import Prepared, evaluate, prepare, resolve_settings, run_settings
from ._result import Thresholds, ThresholdWarning

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def kfold_indices(
    n_samples: int, n_splits: int, shuffle: bool, random_state: Any
) -> list[IntArray]:
    """Test indices of ``n_splits`` folds of near-equal size."""
    if n_splits > n_samples:
        raise ValueError(f"n_splits={n_splits} is larger than the number of samples ({n_samples})")
    indices = np.arange(n_samples)
    if shuffle:
        indices = np.random.default_rng(random_state).permutation(n_samples)
    return [np.sort(part) for part in np.array_split(indices, int(n_splits))]


@dataclass(frozen=True)
class ThresholdsCV:
    """Thresholds tuned on all data, with an out-of-fold estimate of how they generalise.

    Attributes
    ----------
    thresholds : Thresholds
        Tuned on all the data given: the thresholds to use.
    fold_values : ndarray of shape (n_splits, n_labels)
        The thresholds tuned on each fold's training part.
    in_sample_objective : float
        The objective of ``thresholds`` on the data they were tuned on
        (optimistic: the search has seen these labels).
    out_of_fold_objective : float
        The objective of out-of-fold predictions: every sample predicted with
        thresholds tuned without it.  The honest estimate for new data.
    out_of_fold_scores : ndarray of shape (n_labels,)
        The metric of each label on the out-of-fold predictions.
    fold_objectives : ndarray of shape (n_splits,)
        The objective of each fold's thresholds on its held-out part.
    """

    thresholds: Thresholds
    fold_values: FloatArray
    in_sample_objective: float
    out_of_fold_objective: float
    out_of_fold_scores: FloatArray
    fold_objectives: FloatArray

    @property
    def spread(self) -> FloatArray:
        """Standard deviation of each label's threshold across folds."""
        result: FloatArray = self.fold_values.std(axis=0)
        return result

    @property
    def optimism(self) -> float:
        """In-sample minus out-of-fold objective: what tuning on the evaluation data adds."""
        return self.in_sample_objective - self.out_of_fold_objective

    def __repr__(self) -> str:
        t = self.thresholds
        spread = self.spread
        worst = int(np.argmax(spread))
        name = t.label_names[worst] if t.label_names else str(worst)
        return (
            f"ThresholdsCV({self.fold_values.shape[0]} folds, metric={t.metric!r}, "
            f"strategy={t.strategy!r}, average={t.average!r}: in-sample "
            f"{self.in_sample_objective:.4f}, out-of-fold {self.out_of_fold_objective:.4f} "
            f"(optimism {self.optimism:+.4f}); threshold spread across folds: median "
            f"{float(np.median(spread)):.3g}, max {float(spread[worst]):.3g} ({name}))"
        )


@validated("n_splits", "shuffle", random_state="seed")
def cross_validate_thresholds(
    y_true: Any,
    y_score: Any,
    *,
    n_splits: int = 5,
    shuffle: bool = True,
    random_state: Any = None,
    sample_weight: Any = None,
    label_names: Sequence[str] | None = None,
    **options: Any,
) -> ThresholdsCV:
    """Tune thresholds and estimate, out of fold, how well they carry over to new data.

    The tuning data is split into ``n_splits`` folds. For each fold, thresholds are tuned on the
    other folds and applied to it, so every sample gets a prediction from thresholds that never saw
    its label. The objective of these out-of-fold predictions is an honest estimate for new data;
    the in-sample objective of thresholds tuned on all the data is optimistic, and their difference
    ([`ThresholdsCV.optimism`][multilabel_attr.thresholds.ThresholdsCV.optimism]) shows how much a
    search overfits (it grows for rare labels and joint strategies). The spread of each label's
    threshold across folds shows how stable it is.

    Parameters
    ----------
    y_true, y_score : array-like of shape (n_samples, n_labels)
        Tuning (validation) labels and scores.
    n_splits : int, default=5
        Number of folds (at least 2).
    shuffle : bool, default=True
        Shuffle samples before splitting (with ``random_state``).
    random_state : int or numpy Generator, optional
    sample_weight : array-like of shape (n_samples,), optional
    label_names : sequence of str, optional
    **options
        Any option of [`optimize_thresholds`][multilabel_attr.thresholds.optimize_thresholds]
        (``metric``, ``strategy``, ``average``, ``min_positives``, ...).

    Returns
    -------
    ThresholdsCV
        ``thresholds`` tuned on all data, plus the per-fold thresholds and
        the in-sample and out-of-fold objectives.

    Raises
    ------
    ValueError, TypeError
        As [`optimize_thresholds`][multilabel_attr.thresholds.optimize_thresholds], or for a bad
        ``n_splits``.

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr.thresholds import cross_validate_thresholds
    >>> rng = np.random.default_rng(0)
    >>> y = rng.random((400, 3)) < 0.3
    >>> s = np.clip(0.35 * y + rng.random((400, 3)) * 0.7, 0, 1)
    >>> cv = cross_validate_thresholds(y, s, n_splits=4, random_state=0)
    >>> cv.fold_values.shape
    (4, 3)
    >>> bool(cv.out_of_fold_objective <= cv.in_sample_objective)
    True
    """
    unknown = set(options) - _OPTION_NAMES
    if unknown:
        raise TypeError(
            f"unknown option(s) {', '.join(sorted(unknown))}; expected options of "
            f"optimize_thresholds: {', '.join(sorted(_OPTION_NAMES))}"
        )
    settings = resolve_settings(**options)
    data = prepare(y_true, y_score, sample_weight, label_names)
    folds = kfold_indices(data.n_samples, n_splits, shuffle, random_state)
    thresholds = run_settings(data, settings)

    n_labels = data.truth.shape[1]
    fold_values = np.empty((len(folds), n_labels))
    fold_objectives = np.empty(len(folds))
    oof_pred = np.zeros(data.truth.shape, dtype=bool)
    fell_back: set[int] = set()
    stopped_early = 0
    for k, test in enumerate(folds):
        train = np.ones(data.n_samples, dtype=bool)
        train[test] = False
        part = Prepared(
            data.truth[train],
            data.scores[train],
            None if data.weights is None else data.weights[train],
            data.label_names,
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ThresholdWarning)
            fold = run_settings(part, settings)
        stopped_early += sum("max_iter" in str(w.message) for w in caught)
        fell_back.update(fold.fallback_labels)
        fold_values[k] = fold.values
        pred = data.scores[test] >= fold.values
        oof_pred[test] = pred
        weights = None if data.weights is None else data.weights[test]
        if weights is not None and not weights.sum() > 0:
            fold_objectives[k] = np.nan
        else:
            fold_objectives[k] = evaluate(
                settings.objective, settings.average, data.truth[test], pred, weights
            )[0]
    extra = set(fell_back) - set(thresholds.fallback_labels)
    if extra:
        names = [data.label_names[i] if data.label_names else str(i) for i in sorted(extra)]
        warnings.warn(
            f"labels {', '.join(names[:10])} had fewer than min_positives positives in some "
            "folds and used the fallback threshold there",
            ThresholdWarning,
            stacklevel=external_stacklevel(),
        )
    if stopped_early:
        warnings.warn(
            f"coordinate ascent reached max_iter in {stopped_early} of {len(folds)} folds",
            ThresholdWarning,
            stacklevel=external_stacklevel(),
        )
    oof_objective, oof_scores = evaluate(
        settings.objective, settings.average, data.truth, oof_pred, data.weights
    )
    assert thresholds.objective is not None
    return ThresholdsCV(
        thresholds, fold_values, thresholds.objective, oof_objective, oof_scores, fold_objectives
    )


_OPTION_NAMES = frozenset(
    {
        "metric",
        "strategy",
        "average",
        "beta",
        "from_logits",
        "min_positives",
        "fallback",
        "clip",
        "zero_division",
        "init",
        "max_iter",
    }
)
