"""Fitting per-label calibrators: validation at the door, then Newton passes or isotonic fits.

The pieces around the Newton passes (the start, the checks on the data's
classes and on the fitted temperatures, building the result) are shared
with the engines, which run each pass as one job over their partitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core._internal import check_calibration_batch, check_label_names, validated
from ._calibrator import Calibrator
from ._isotonic import isotonic_fit
from ._newton import logit_feature, newton_fit, newton_pass

FloatArray = NDArray[np.float64]

_WARM_ROWS = 1 << 16
"""Rows of the strided sample whose fit starts the Newton passes over all the rows."""
_WARM_STRIDE = 8
"""The sample takes at most every eighth row, so its passes cost little beside the full ones."""


FIT_OPTIONS = {"method": "calibrator_method", "shared": "shared", "from_logits": "from_logits",
               "max_iter": "max_iter"}  # fmt: skip
"""The options of a fit and their rules."""


def refuse_one_class(positives: FloatArray, total: float, names: Any, method: str) -> None:
    """Refuse labels whose (weighted) positives are none or all: the fit would diverge."""
    one_class = (positives <= 0) | (positives >= total)
    if np.any(one_class):
        shown = [names[j] if names else str(j) for j in np.flatnonzero(one_class)[:10].tolist()]
        raise ValueError(
            f"method={method!r} needs both classes of every label (with positive weight); "
            f"label(s) {', '.join(shown)} have one class only, so the fit would not converge. "
            "Use method='isotonic' or leave those labels out."
        )


def newton_start(
    method: str, shared: bool, n_labels: int, prevalence: FloatArray | None = None
) -> FloatArray:
    """The identity map: slope 1 and intercept 0, or temperature 1.

    For Platt scaling with the labels' (weighted) ``prevalence``, the best constant
    map instead: slope 0 and intercept the logit of the prevalence.  Newton's first
    step from it is a weighted least-squares fit, so confident scores (logits far
    from 0) do not send it far off, as they can from the identity.
    """
    if method == "platt":
        if prevalence is not None:
            return np.column_stack([np.zeros(n_labels), np.log(prevalence / (1 - prevalence))])
        return np.tile([1.0, 0.0], (n_labels, 1))
    return np.ones((1 if shared else n_labels, 1))


def calibrator_from_params(
    method: str, params: FloatArray, *, shared: bool, n_labels: int, **common: Any
) -> Calibrator:
    """The [`Calibrator`][multilabel_attr.calibration.Calibrator] of fitted Newton parameters."""
    if method == "platt":
        return Calibrator._checked(
            "platt", {"slope": params[:, 0], "intercept": params[:, 1]}, **common
        )
    beta = np.broadcast_to(params[:, 0], (n_labels,))
    bad = np.flatnonzero(beta <= 0)
    if bad.size:
        names = common.get("label_names")
        shown = [names[j] if names else str(j) for j in bad[:10].tolist()]
        raise ValueError(
            f"temperature scaling found no positive temperature for label(s) {', '.join(shown)}: "
            "their scores fall as the rate of positives rises. Check the scores, or use "
            "method='platt' (its slope can be negative)."
        )
    return Calibrator._checked("temperature", {"temperature": 1.0 / beta}, shared=shared, **common)


@validated(**FIT_OPTIONS)
def fit_calibrator(
    y_true: Any,
    y_score: Any,
    *,
    method: str = "platt",
    shared: bool = False,
    from_logits: bool = False,
    sample_weight: Any = None,
    label_names: Sequence[str] | None = None,
    max_iter: int = 100,
) -> Calibrator:
    """Fit one calibration map per label.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
        0/1 labels.
    y_score : array-like of shape (n_samples, n_labels)
        Probabilities in ``[0, 1]``, or logits with ``from_logits=True``.
    method : {"platt", "temperature", "isotonic"}, default="platt"
        ``"platt"``: ``sigmoid(a z + b)`` per label, an unpenalised logistic
        regression on the logit ``z``; ``"temperature"``: ``sigmoid(z / T)``;
        ``"isotonic"``: a non-decreasing map fitted by pool adjacent violators.
        Platt and temperature are fitted by Newton's method on sums that merge
        across partitions.
    shared : bool, default=False
        One temperature for all labels (``method="temperature"`` only).
    from_logits : bool, default=False
    sample_weight : array-like of shape (n_samples,), optional
    label_names : sequence of str, optional
        Stored, so that applying the calibrator to other labels is refused.
    max_iter : int, default=100
        Most Newton iterations.

    Returns
    -------
    Calibrator

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr.calibration import fit_calibrator
    >>> rng = np.random.default_rng(0)
    >>> logits = rng.normal(0, 3, (2000, 2))
    >>> y = rng.random((2000, 2)) < 1 / (1 + np.exp(-logits / 3))  # overconfident scores
    >>> calibrator = fit_calibrator(y, logits, method="temperature", from_logits=True)
    >>> np.round(calibrator.params["temperature"], 1).tolist()
    [3.0, 3.0]
    """
    batch = check_calibration_batch(
        y_true, y_score, sample_weight, from_logits=from_logits, n_labels=None
    )
    n_labels = batch.truth.shape[1]
    names = check_label_names(label_names, n_labels)
    common: dict[str, Any] = {"label_names": names, "from_logits": bool(from_logits),
                              "n_samples": batch.truth.shape[0]}  # fmt: skip
    if method == "isotonic":
        points = [isotonic_fit(batch.probs[:, j], batch.truth[:, j], batch.weights)
                  for j in range(n_labels)]  # fmt: skip
        fitted = {"x": [p[0] for p in points], "y": [p[1] for p in points]}
        return Calibrator._checked("isotonic", fitted, **common)
    w = np.ones(batch.truth.shape[0]) if batch.weights is None else batch.weights
    positives, total = w @ batch.truth, float(w.sum())
    refuse_one_class(positives, total, names, method)
    z = batch.scores.astype(np.float64) if from_logits else logit_feature(batch.probs)
    rows = slice(None, None, max(_WARM_STRIDE, batch.truth.shape[0] // _WARM_ROWS))
    warm_truth, warm_z = np.ascontiguousarray(batch.truth[rows]), np.ascontiguousarray(z[rows])
    warm_weights = None if batch.weights is None else batch.weights[rows]
    params = newton_start(method, bool(shared), n_labels, positives / total)
    # Passes over a strided sample bring the start close to the optimum; Newton's quadratic
    # convergence then needs two or three passes over all the rows.
    for truth, feature, weights in ((warm_truth, warm_z, warm_weights),
                                    (batch.truth, z, batch.weights)):  # fmt: skip
        params, passes = newton_fit(newton_pass(truth, feature, weights), params,
                                    n_labels=n_labels, shared=bool(shared),
                                    max_iter=max_iter)  # fmt: skip
    return calibrator_from_params(method, params, shared=bool(shared), n_labels=n_labels,
                                  iterations=passes, **common)  # fmt: skip
