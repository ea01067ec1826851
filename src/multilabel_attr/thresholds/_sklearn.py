"""A scikit-learn meta-estimator with cross-validated per-label thresholds (``sklearn`` extra)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.model_selection import check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ..core._validation import binary_mask, check_2d, check_sample_weight
from ._optimize import prepare, resolve_settings, run_settings
from ._result import Thresholds

FloatArray = NDArray[np.float64]

_RESPONSE_METHODS = ("predict_proba", "decision_function")


def label_scores(estimator: Any, X: Any, response_method: str, n_labels: int) -> FloatArray:
    """One score column per label from a fitted multi-label classifier.

    ``predict_proba`` of multi-label estimators comes in two forms: an array of
    shape (n_samples, n_labels) (``OneVsRestClassifier``, ``MLPClassifier``)
    or a list with one (n_samples, 2) array per label (``RandomForest``,
    ``KNeighbors``, ``MultiOutputClassifier``); a label seen with a single
    class during fit gives a (n_samples, 1) array there.
    """
    method = getattr(estimator, response_method, None)
    if method is None:
        raise AttributeError(
            f"{type(estimator).__name__} has no {response_method}(); pass an estimator that "
            f"has one or choose response_method from {_RESPONSE_METHODS}"
        )
    raw = method(X)
    if isinstance(raw, list):
        classes = getattr(estimator, "classes_", None)
        columns = []
        for label, part in enumerate(raw):
            part = np.asarray(part, dtype=np.float64)
            if part.ndim == 2 and part.shape[1] == 2:
                columns.append(part[:, 1])
            elif part.ndim == 2 and part.shape[1] == 1:
                only = classes[label][0] if classes is not None else 0
                columns.append(np.full(part.shape[0], 1.0 if only == 1 else 0.0))
            else:
                raise ValueError(
                    f"{response_method}() returned an array of shape {part.shape} for label "
                    f"{label}; expected (n_samples, 2)"
                )
        scores = np.column_stack(columns)
    else:
        scores = np.asarray(raw, dtype=np.float64)
        if scores.ndim == 1:
            scores = scores.reshape(-1, 1)
    if scores.ndim != 2 or scores.shape[1] != n_labels:
        raise ValueError(
            f"{response_method}() of {type(estimator).__name__} returned shape {scores.shape}; "
            f"expected one column per label ({n_labels})"
        )
    return scores


class MultiLabelThresholdClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Wrap a multi-label classifier and predict with cross-validated per-label thresholds.

    ``fit(X, Y)`` fits a clone of ``estimator`` on each training split of ``cv``, collects
    out-of-fold scores for every sample, tunes thresholds on them with
    [`optimize_thresholds`][multilabel_attr.thresholds.optimize_thresholds] (so the thresholds are
    tuned on predictions for data the model did not fit), then refits ``estimator`` on all the data.
    ``predict`` applies the tuned thresholds itself (``score >= threshold``), never the wrapped
    estimator's own rule (such as the 0.5 of ``OneVsRestClassifier.predict``).

    Parameters
    ----------
    estimator : estimator object
        A multi-label classifier with ``predict_proba`` (or
        ``decision_function``, see ``response_method``).
    metric, strategy, average, beta, min_positives, fallback, clip, zero_division
        Options of [`optimize_thresholds`][multilabel_attr.thresholds.optimize_thresholds].
    cv : int, cross-validation generator or iterable, default=5
        Splits for the out-of-fold scores (as in scikit-learn; an int means
        that many unshuffled ``KFold`` folds).
    response_method : {"predict_proba", "decision_function"}, default="predict_proba"
        Which scores to threshold.  Thresholds are on that method's scale.

    Attributes
    ----------
    estimator_ : estimator
        ``estimator`` refitted on all the training data.
    thresholds_ : Thresholds
        The tuned thresholds (``thresholds_.objective`` is the out-of-fold
        objective they reached).
    oof_scores_ : ndarray of shape (n_samples, n_labels)
        The out-of-fold scores the thresholds were tuned on (``nan`` for
        samples that no split held out).
    n_features_in_ : int
        Number of features seen by ``estimator_`` (when it records it).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from multilabel_attr.thresholds import MultiLabelThresholdClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 4))
    >>> Y = (X[:, :3] + rng.normal(size=(300, 3)) > 0.8).astype(int)
    >>> clf = MultiLabelThresholdClassifier(OneVsRestClassifier(LogisticRegression()), cv=3)
    >>> clf.fit(X, Y).predict(X).shape
    (300, 3)
    """

    def __init__(
        self,
        estimator: Any,
        *,
        metric: Any = "f1",
        strategy: str = "per_label",
        average: str | None = None,
        beta: float | None = None,
        cv: Any = 5,
        min_positives: int = 10,
        fallback: Any = "shared",
        clip: tuple[float, float] | None = None,
        zero_division: float = 0.0,
        response_method: str = "predict_proba",
    ) -> None:
        self.estimator = estimator
        self.metric = metric
        self.strategy = strategy
        self.average = average
        self.beta = beta
        self.cv = cv
        self.min_positives = min_positives
        self.fallback = fallback
        self.clip = clip
        self.zero_division = zero_division
        self.response_method = response_method

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        sub = clone(self.estimator).__sklearn_tags__()
        tags.input_tags.sparse = sub.input_tags.sparse
        tags.input_tags.allow_nan = sub.input_tags.allow_nan
        return tags

    def fit(self, X: Any, Y: Any, sample_weight: Any = None) -> MultiLabelThresholdClassifier:
        """Fit out-of-fold models, tune thresholds on their scores, refit on all data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        Y : array-like of shape (n_samples, n_labels)
            Binary label indicator matrix.
        sample_weight : array-like of shape (n_samples,), optional
            Passed to ``estimator.fit`` and to the threshold search.

        Returns
        -------
        self
        """
        if self.response_method not in _RESPONSE_METHODS:
            raise ValueError(
                f"response_method must be one of {_RESPONSE_METHODS}; got {self.response_method!r}"
            )
        settings = resolve_settings(
            metric=self.metric,
            strategy=self.strategy,
            average=self.average,
            beta=self.beta,
            min_positives=self.min_positives,
            fallback=self.fallback,
            clip=self.clip,
            zero_division=self.zero_division,
        )
        names = getattr(Y, "columns", None)
        truth = check_2d(Y, "Y")
        binary_mask(truth, "Y")
        n_samples, n_labels = truth.shape
        weights = check_sample_weight(sample_weight, n_samples, positive_sum=True)
        fit_kwargs: dict[str, Any] = {} if weights is None else {"sample_weight": weights}

        splitter = check_cv(self.cv, truth, classifier=False)
        oof = np.full(truth.shape, np.nan)
        for train, test in splitter.split(X, truth):
            model = clone(self.estimator)
            kwargs = {k: v[train] for k, v in fit_kwargs.items()}
            model.fit(_safe_indexing(X, train), truth[train], **kwargs)
            oof[test] = label_scores(model, _safe_indexing(X, test), self.response_method, n_labels)
        covered = ~np.isnan(oof).any(axis=1)
        if not covered.any():
            raise ValueError("cv held out no samples; cannot tune thresholds")
        data = prepare(
            truth[covered],
            oof[covered],
            None if weights is None else weights[covered],
            None if names is None else [str(c) for c in names],
        )
        self.thresholds_: Thresholds = run_settings(data, settings)
        self.oof_scores_ = oof
        self.estimator_ = clone(self.estimator).fit(X, truth, **fit_kwargs)
        for attribute in ("n_features_in_", "feature_names_in_"):
            if hasattr(self.estimator_, attribute):
                setattr(self, attribute, getattr(self.estimator_, attribute))
        return self

    def _scores(self, X: Any) -> FloatArray:
        check_is_fitted(self, "thresholds_")
        return label_scores(self.estimator_, X, self.response_method, self.thresholds_.n_labels)

    def predict(self, X: Any) -> NDArray[np.int64]:
        """0/1 predictions: ``score >= thresholds_`` for every label.

        Returns
        -------
        ndarray of int64, shape (n_samples, n_labels)
        """
        scores = self._scores(X)
        return self.thresholds_.apply(scores).astype(np.int64)

    def _has_proba(self) -> bool:
        return self.response_method == "predict_proba" and hasattr(self.estimator, "predict_proba")

    @available_if(_has_proba)  # type: ignore[untyped-decorator]
    def predict_proba(self, X: Any) -> FloatArray:
        """Positive-class probability of every label, shape (n_samples, n_labels)."""
        return self._scores(X)

    def _has_decision(self) -> bool:
        return self.response_method == "decision_function" and hasattr(
            self.estimator, "decision_function"
        )

    @available_if(_has_decision)  # type: ignore[untyped-decorator]
    def decision_function(self, X: Any) -> FloatArray:
        """Decision scores of every label, shape (n_samples, n_labels)."""
        return self._scores(X)
