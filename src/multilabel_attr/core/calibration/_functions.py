"""One-shot calibration metrics: one [`CalibrationState`][multilabel_attr.CalibrationState]
filled with the whole data, then read.

Every option is checked at the door (`core._options`), before the data is read.  Equal-mass bins
(``strategy="quantile"``) are exact here: the state keeps the scores.
"""

from __future__ import annotations

from typing import Any

from .._options import validated
from ._batch import batch_sums, check_calibration_batch
from ._state import CalibrationState, ReliabilityCurve


def _filled(
    y_true: Any, y_score: Any, sample_weight: Any, n_bins: int, from_logits: bool, exact: bool
) -> CalibrationState:
    batch = check_calibration_batch(
        y_true, y_score, sample_weight, from_logits=from_logits, n_labels=None
    )
    state = CalibrationState._checked(
        batch.truth.shape[1], n_bins=n_bins, exact=exact, sketch_bins=None
    )
    # The batch is checked already; exact mode keeps its probabilities without a copy.
    state._add(batch_sums(batch, n_bins, 0))
    state.n_samples = batch.truth.shape[0]
    state.max_weight = 1.0 if batch.weights is None else float(batch.weights.max())
    if exact:
        state._chunks = [(batch.truth, batch.probs, batch.weights)]
    return state


def _calibration_error(
    y_true: Any, y_score: Any, norm: str, n_bins: int, strategy: str, average: str | None,
    sample_weight: Any, from_logits: bool,
) -> Any:  # fmt: skip
    state = _filled(y_true, y_score, sample_weight, n_bins, from_logits, strategy == "quantile")
    return state.calibration_error(norm, average=average, strategy=strategy)


@validated(
    "from_logits",
    n_bins="calibration_bins",
    strategy="calibration_strategy",
    average="label_average",
)
def expected_calibration_error(
    y_true: Any,
    y_score: Any,
    *,
    n_bins: int = 15,
    strategy: str = "uniform",
    average: str | None = "macro",
    sample_weight: Any = None,
    from_logits: bool = False,
) -> Any:
    """Expected calibration error (ECE) of every label, or averaged.

    Per label, the weight-averaged gap between the mean score and the observed
    rate of positives over ``n_bins`` bins: ``sum_b |score_sum_b - label_sum_b| / W``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
        0/1 labels.
    y_score : array-like of shape (n_samples, n_labels)
        Probabilities in ``[0, 1]`` (finite logits with ``from_logits=True``).
    n_bins : int, default=15
        Number of bins (at least 1).
    strategy : {"uniform", "quantile"}, default="uniform"
        Equal-width bins on ``[0, 1]`` (closed on the left, as torchmetrics') or
        equal-mass bins at the quantiles of each label's scores (closed on the
        right, as scikit-learn's ``calibration_curve``).
    average : {"macro", "weighted", "micro"} or None, default="macro"
        ``None``: one value per label; ``"weighted"``: labels weighted by support;
        ``"micro"``: every (sample, label) cell pooled into the same bins.
    sample_weight : array-like of shape (n_samples,), optional
    from_logits : bool, default=False
        ``y_score`` holds logits, turned into probabilities with the sigmoid.

    Returns
    -------
    float or ndarray of shape (n_labels,)

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import expected_calibration_error
    >>> y = np.array([[1], [0], [1], [0]])
    >>> p = np.array([[0.9], [0.3], [0.6], [0.2]])
    >>> round(expected_calibration_error(y, p, n_bins=2), 4)
    0.25
    """
    return _calibration_error(
        y_true, y_score, "l1", n_bins, strategy, average, sample_weight, from_logits
    )


@validated(
    "from_logits",
    n_bins="calibration_bins",
    strategy="calibration_strategy",
    average="label_average",
)
def max_calibration_error(
    y_true: Any,
    y_score: Any,
    *,
    n_bins: int = 15,
    strategy: str = "uniform",
    average: str | None = "macro",
    sample_weight: Any = None,
    from_logits: bool = False,
) -> Any:
    """Maximum calibration error (MCE): the largest gap over the non-empty bins.

    Per label, ``max_b |mean score_b - observed rate_b|``; the arguments are those
    of [`expected_calibration_error`][multilabel_attr.expected_calibration_error].
    """
    return _calibration_error(
        y_true, y_score, "max", n_bins, strategy, average, sample_weight, from_logits
    )


@validated("from_logits", average="label_average")
def brier_score(
    y_true: Any,
    y_score: Any,
    *,
    average: str | None = "macro",
    sample_weight: Any = None,
    from_logits: bool = False,
) -> Any:
    """Brier score: the weighted mean of ``(score - label)^2`` per label, or averaged.

    The arguments are those of
    [`expected_calibration_error`][multilabel_attr.expected_calibration_error]; per
    label it equals scikit-learn's ``brier_score_loss``.
    """
    return _filled(y_true, y_score, sample_weight, 1, from_logits, False).brier_score(average)


@validated("from_logits", average="label_average")
def log_loss(
    y_true: Any,
    y_score: Any,
    *,
    average: str | None = "macro",
    sample_weight: Any = None,
    from_logits: bool = False,
) -> Any:
    """Binary log loss (cross-entropy) per label, or averaged.

    ``-log`` of the probability given to the true label, probabilities clipped
    to ``[eps, 1 - eps]`` with ``eps`` the machine epsilon of the scores' type
    (scikit-learn's ``log_loss`` rule; logits go through the sigmoid in float64
    first).  The arguments are those of
    [`expected_calibration_error`][multilabel_attr.expected_calibration_error].
    """
    return _filled(y_true, y_score, sample_weight, 1, from_logits, False).log_loss(average)


@validated("from_logits", n_bins="calibration_bins", strategy="calibration_strategy")
def calibration_curve(
    y_true: Any,
    y_score: Any,
    *,
    n_bins: int = 10,
    strategy: str = "uniform",
    sample_weight: Any = None,
    from_logits: bool = False,
) -> ReliabilityCurve:
    """Reliability curve of every label: mean score, observed rate and weight per bin.

    Unlike scikit-learn's ``calibration_curve``, empty bins are kept (as ``nan``)
    so that every label has ``n_bins`` bins; drop them with
    ``curve.weight[j] > 0``.  The arguments are those of
    [`expected_calibration_error`][multilabel_attr.expected_calibration_error].
    """
    state = _filled(y_true, y_score, sample_weight, n_bins, from_logits, strategy == "quantile")
    return state.calibration_curve(strategy=strategy)
