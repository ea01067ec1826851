"""``optimize_thresholds``: validation, strategies, fallbacks and evaluation."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import NDArray

from ..core._internal import (
    check_options,
    count_batch,
    decode_triples,
    nan_mean,
    present_counts,
    samples_mean,
)
from ..core._validation import (
    binary_mask,
    check_2d,
    check_finite_scores,
    check_label_names,
    check_same_shape,
    check_sample_weight,
    external_stacklevel,
)
from ._coordinate import coordinate_ascent
from ._group_result import GroupThresholds
from ._grouped import search_by_group
from ._objectives import Objective, resolve_metric
from ._result import Thresholds, ThresholdWarning
from ._sweep import cut_threshold, sweep_labels, sweep_pooled
from ._warnings import fallback_rule, warn_fallback, warn_infeasible

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
Strategy = Literal["per_label", "shared", "coordinate"]

STRATEGY_AVERAGES: dict[str, tuple[str, ...]] = {
    "per_label": ("macro", "weighted"),
    "shared": ("micro",),
    "coordinate": ("micro", "samples"),
}


@dataclass(frozen=True)
class Prepared:
    """Validated tuning data."""

    truth: BoolArray
    scores: NDArray[Any]
    weights: FloatArray | None
    label_names: tuple[str, ...] | None

    @property
    def n_samples(self) -> int:
        return int(self.truth.shape[0])


def prepare(y_true: Any, y_score: Any, sample_weight: Any, label_names: Any) -> Prepared:
    """Validate the tuning data at the public boundary."""
    if label_names is None:
        columns = getattr(y_true, "columns", None)
        if columns is not None:
            label_names = [str(c) for c in columns]
    truth = check_2d(y_true, "y_true")
    scores = check_2d(y_score, "y_score")
    check_same_shape(truth, scores, "y_score")
    mask = binary_mask(truth, "y_true")
    check_finite_scores(scores, "y_score")
    if not np.issubdtype(scores.dtype, np.floating):
        scores = scores.astype(np.float64)
    weights = check_sample_weight(sample_weight, truth.shape[0], positive_sum=True)
    names = check_label_names(label_names, truth.shape[1])
    return Prepared(mask, scores, weights, names)


def check_clip(clip: Any) -> tuple[float, float] | None:
    if clip is None:
        return None
    try:
        low, high = (float(v) for v in clip)
    except (TypeError, ValueError):
        raise ValueError(f"clip must be a pair (low, high) of numbers; got {clip!r}") from None
    if math.isnan(low) or math.isnan(high) or not low <= high:
        raise ValueError(f"clip must satisfy low <= high; got {clip!r}")
    return low, high


def evaluate(
    objective: Objective,
    average: str | None,
    truth: BoolArray,
    pred: BoolArray,
    weights: FloatArray | None,
) -> tuple[float, FloatArray]:
    """The averaged objective and the per-label metric values of 0/1 predictions.

    The predictions are counted by the core, and the values averaged by its functions:
    ``micro`` on the summed counts, ``macro`` and ``weighted`` (by support) over labels,
    ``samples`` over the histogram of per-sample counts.
    """
    counts = count_batch(truth, pred, threshold=None, from_logits=False, sample_weight=weights)
    if average != "samples":
        return objective_from_counts(objective, average, counts.tp, counts.fp, counts.fn, counts.tn)
    per_label = objective(counts.tp, counts.fp, counts.fn, counts.tn)
    n_labels = truth.shape[1]
    tp, fp, fn = (c.astype(np.float64) for c in decode_triples(counts.keys, n_labels))
    values = objective(tp, fp, fn, n_labels - tp - fp - fn)
    present = present_counts(counts.key_weight, counts.key_count)
    return float(samples_mean(values, counts.key_weight, present)), per_label


def objective_from_counts(
    objective: Objective,
    average: str | None,
    tp: FloatArray,
    fp: FloatArray,
    fn: FloatArray,
    tn: FloatArray,
) -> tuple[float, FloatArray]:
    """The label-averaged (micro, macro or weighted) objective and its per-label values."""
    per_label = objective(tp, fp, fn, tn)
    if average == "micro":
        value = objective(*(np.array([c.sum()]) for c in (tp, fp, fn, tn)))[0]
    else:
        value = nan_mean(per_label, tp + fn if average == "weighted" else None)
    return float(value), per_label


@dataclass(frozen=True)
class Settings:
    """Validated options of a threshold search."""

    objective: Objective
    strategy: str
    average: str
    from_logits: bool
    min_positives: int
    fallback: Any
    clip: tuple[float, float] | None
    init: Any
    max_iter: int


def resolve_settings(
    *,
    metric: Any = "f1",
    strategy: Any = "per_label",
    average: Any = None,
    beta: Any = None,
    from_logits: Any = False,
    min_positives: Any = 10,
    fallback: Any = "shared",
    clip: Any = None,
    zero_division: Any = 0.0,
    init: Any = "per_label",
    max_iter: Any = 100,
) -> Settings:
    """Validate the options of
    [`optimize_thresholds`][multilabel_attr.thresholds.optimize_thresholds] (before touching the
    data)."""
    if not isinstance(strategy, str) or strategy not in STRATEGY_AVERAGES:
        raise ValueError(
            f"strategy must be one of {', '.join(repr(s) for s in STRATEGY_AVERAGES)}; "
            f"got {strategy!r}"
        )
    allowed = STRATEGY_AVERAGES[strategy]
    if average is None:
        average = allowed[0]
    if not isinstance(average, str) or average not in allowed:
        hint = {
            "macro": "; macro and weighted averages are maximised by strategy='per_label'",
            "weighted": "; macro and weighted averages are maximised by strategy='per_label'",
            "micro": "; use strategy='shared' or 'coordinate' for the micro average",
            "samples": "; use strategy='coordinate' for the samples average",
        }.get(str(average), "")
        raise ValueError(
            f"average for strategy={strategy!r} must be one of "
            f"{', '.join(repr(a) for a in allowed)}; got {average!r}{hint}"
        )
    checked = check_options(
        {
            "from_logits": ("from_logits", from_logits),
            "min_positives": ("min_positives", min_positives),
            "max_iter": ("max_iter", max_iter),
            "zero_division": ("search_zero_division", zero_division),
        }
    )
    objective = resolve_metric(metric, beta, checked["zero_division"])
    if objective.constraint is not None and strategy == "coordinate":
        raise ValueError(
            f"metric={objective.name!r} is an operating-point rule: it is searched per label "
            "(strategy='per_label') or with one shared threshold (strategy='shared'); got "
            "strategy='coordinate'"
        )
    if average == "samples" and not objective.samplewise:
        raise ValueError(
            f"average='samples' needs a set-based metric (f1, fbeta, jaccard, precision, "
            f"recall) or a function of counts; got {objective.name!r}"
        )
    clip_range = check_clip(clip)
    if not (
        fallback == "shared"
        or (
            isinstance(fallback, numbers.Real)
            and not isinstance(fallback, bool)
            and math.isfinite(fallback)
        )
    ):
        raise ValueError(f"fallback must be 'shared' or a finite number; got {fallback!r}")
    if isinstance(init, str) and init not in ("per_label", "shared"):
        raise ValueError(f"init must be 'per_label', 'shared' or thresholds; got {init!r}")
    return Settings(
        objective,
        strategy,
        average,
        checked["from_logits"],
        checked["min_positives"],
        fallback,
        clip_range,
        init,
        checked["max_iter"],
    )


def run_settings(data: Prepared, settings: Settings) -> Thresholds:
    """Run a validated search on validated data."""
    return run_clipped(data, settings, _data_clip(data, settings))


def _data_clip(data: Prepared, settings: Settings) -> tuple[float, float] | None:
    return search_clip(settings, float(data.scores.min()), float(data.scores.max()))


def run_clipped(data: Prepared, settings: Settings, clip: tuple[float, float] | None) -> Thresholds:
    """Run a validated search on validated data, keeping the thresholds in ``clip``."""
    return _optimize(
        data,
        settings.objective,
        settings.strategy,
        settings.average,
        settings.from_logits,
        settings.min_positives,
        settings.fallback,
        clip,
        settings.init,
        settings.max_iter,
    )


def search_clip(settings: Settings, low: float, high: float) -> tuple[float, float] | None:
    """The range of thresholds searched, for scores between ``low`` and ``high``."""
    if settings.clip is None and not settings.from_logits and low >= 0 and high <= 1:
        # Metrics take thresholds on the probability scale only: "everything positive" is
        # then the threshold 0 and "nothing positive" 1 (allowed while no score is 1).
        return (0.0, 1.0)
    return settings.clip


# fmt: off
@overload
def optimize_thresholds(
    y_true: Any, y_score: Any, *, metric: Any = ..., strategy: Strategy = ...,
    average: str | None = ..., beta: float | None = ..., sample_weight: Any = ...,
    from_logits: bool = ..., min_positives: int = ..., fallback: Literal["shared"] | float = ...,
    clip: tuple[float, float] | None = ..., zero_division: float = ...,
    init: Literal["per_label", "shared"] | Any = ..., max_iter: int = ...,
    label_names: Sequence[str] | None = ..., groups: None = ...,
) -> Thresholds: ...
@overload
def optimize_thresholds(
    y_true: Any, y_score: Any, *, metric: Any = ..., strategy: Strategy = ...,
    average: str | None = ..., beta: float | None = ..., sample_weight: Any = ...,
    from_logits: bool = ..., min_positives: int = ..., fallback: Literal["shared"] | float = ...,
    clip: tuple[float, float] | None = ..., zero_division: float = ...,
    init: Literal["per_label", "shared"] | Any = ..., max_iter: int = ...,
    label_names: Sequence[str] | None = ..., groups: Any,
) -> GroupThresholds: ...
# fmt: on


def optimize_thresholds(
    y_true: Any,
    y_score: Any,
    *,
    metric: Any = "f1",
    strategy: Strategy = "per_label",
    average: str | None = None,
    beta: float | None = None,
    sample_weight: Any = None,
    from_logits: bool = False,
    min_positives: int = 10,
    fallback: Literal["shared"] | float = "shared",
    clip: tuple[float, float] | None = None,
    zero_division: float = 0.0,
    init: Literal["per_label", "shared"] | Any = "per_label",
    max_iter: int = 100,
    label_names: Sequence[str] | None = None,
    groups: Any = None,
) -> Thresholds | GroupThresholds:
    """Exact decision thresholds that maximise a count-based metric on tuning data.

    Every distinct cut of the scores is evaluated exactly: each label's scores
    are sorted once and the confusion counts of all cuts follow from cumulative
    sums, so the search costs one sort per label and finds the true optimum on
    the tuning data (a grid of candidate thresholds can only approach it).

    Strategies
    ----------
    ``"per_label"`` (``average="macro"`` or ``"weighted"``)
        Each label independently gets the threshold that maximises its own
        metric, which maximises every macro or support-weighted average.
    ``"shared"`` (``average="micro"``)
        One threshold for all labels, maximising the micro-averaged metric
        exactly (one sort of all score cells).
    ``"coordinate"`` (``average="micro"`` or ``"samples"``)
        Per-label thresholds for a joint objective: the micro average, or the
        sample average (samples-F1; the Hamming score is ``metric="jaccard"``).
        Starting from ``init``, each label's threshold in turn is re-optimised
        exactly with the others fixed; the search stops when a full pass
        improves nothing (or after ``max_iter`` passes) and never ends below
        its starting point.  ``iterations`` and ``objective`` of the result
        report the passes and the final value.

    Ties
    ----
    Among cuts with the same best value the one with the highest threshold (fewest predicted
    positives) wins; coordinate ascent keeps the current cut unless another is strictly better. A
    returned threshold lies midway between the two distinct scores it separates, so ``score >= t``
    (the rule of [`Thresholds.apply`][multilabel_attr.thresholds.Thresholds.apply] and of the core
    metrics) and ``score > t`` agree on the tuning data.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
        Ground truth in {0, 1} of the tuning (validation) data.
    y_score : array-like of shape (n_samples, n_labels)
        Scores of any scale, higher meaning more likely positive:
        probabilities, logits or margins (no [0, 1] assumption).
    metric : str, Formula or callable, default="f1"
        ``"f1"``, ``"fbeta"`` (with ``beta``), ``"jaccard"``, ``"matthews"``
        (``"mcc"``), ``"cohen_kappa"``, ``"balanced_accuracy"``,
        ``"youden"`` (Youden's J), ``"accuracy"``, ``"precision"``,
        ``"recall"``; any [`Formula`][multilabel_attr.Formula]; or a function
        ``f(tp, fp, fn, tn)`` of float arrays returning one value per element
        (larger is better). An operating-point rule (``"recall@precision>=0.95"``,
        ``"precision@recall>=0.9"``, ``"specificity@sensitivity>=0.9"``,
        ``"sensitivity@specificity>=0.9"``, ``"eer"`` or a
        [`Constraint`][multilabel_attr.core.Constraint]) picks the cut that
        [`operating_points`][multilabel_attr.core.operating_points] picks, per label or
        shared; a label where the rule is infeasible gets the fallback threshold, with a
        [`ThresholdWarning`][multilabel_attr.thresholds.ThresholdWarning].
    strategy : {"per_label", "shared", "coordinate"}, default="per_label"
    average : str, optional
        The averaged objective; defaults to ``"macro"`` for ``per_label`` and
        ``"micro"`` for the joint strategies (see Strategies).
    beta : float, optional
        For ``metric="fbeta"``.
    sample_weight : array-like of shape (n_samples,), optional
    from_logits : bool, default=False
        Records that the scores are logits: `Thresholds.values` are then
        logits and ``np.asarray(thresholds)`` gives their sigmoid, for the core
        metrics.  The search itself is the same for every scale.
    min_positives : int, default=10
        Labels with fewer positive tuning samples (of non-zero weight) are not tuned: they get the
        fallback threshold, with a [`ThresholdWarning`][multilabel_attr.thresholds.ThresholdWarning]
        naming them. Coordinate ascent keeps them fixed. ``0`` tunes all.
    fallback : "shared" or float, default="shared"
        ``"shared"``: the exact best single threshold for the micro-averaged
        metric over all labels.  A number: that threshold (on the score scale).
    clip : (float, float), optional
        Only thresholds in ``[low, high]`` (on the score scale) are considered.  By default,
        scores in [0, 1] without ``from_logits`` are probabilities and the thresholds stay in
        [0, 1], the range every metric accepts; other scores are not clipped.
    zero_division : {0, 1}, default=0
        Value of a metric with a zero denominator during the search (for
        example F1 of a label or sample without true and predicted positives).
    init : {"per_label", "shared"} or array-like, default="per_label"
        Starting thresholds of coordinate ascent.
    max_iter : int, default=100
        Maximum number of coordinate-ascent passes.
    label_names : sequence of str, optional
        Label names (taken from ``y_true.columns`` when it has them).
    groups : array-like of shape (n_samples,), a sequence or mapping of them, or a frame, optional
        Group keys (bools, ints or strings) of each sample, read as ``groups`` of
        [`evaluate`][multilabel_attr.evaluate]; several arrays are crossed. Each
        group then gets its own thresholds: the same search run on that group's rows alone
        (its own fallbacks and warnings, which name the group), with the range of the
        thresholds decided on all rows.

    Returns
    -------
    Thresholds or GroupThresholds
        ``values``, the tuning ``validation_scores`` of each label and the
        ``objective`` value of the chosen average on the tuning data; with ``groups``, a
        [`GroupThresholds`][multilabel_attr.thresholds.GroupThresholds] holding one such
        result per group and the overall one.

    Raises
    ------
    ValueError
        Shapes differ, inputs are empty or not finite, ``y_true`` is not 0/1,
        an unknown metric, strategy or average, or a bad option value; a group array of
        another length or with a missing (None, NaN) key, or a group whose weights are all 0.
    TypeError
        Non-numeric inputs or a metric of the wrong type; group keys that are not bools, ints
        or strings, or of mixed types.

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr.thresholds import optimize_thresholds
    >>> y_true = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    >>> y_score = np.array([[0.9, 0.2], [0.6, 0.7], [0.4, 0.4], [0.1, 0.3]])
    >>> t = optimize_thresholds(y_true, y_score, min_positives=1)
    >>> t.values.tolist()
    [0.5, 0.35]
    >>> t.apply(y_score).tolist()
    [[1, 0], [1, 1], [0, 1], [0, 0]]
    """
    settings = resolve_settings(
        metric=metric,
        strategy=strategy,
        average=average,
        beta=beta,
        from_logits=from_logits,
        min_positives=min_positives,
        fallback=fallback,
        clip=clip,
        zero_division=zero_division,
        init=init,
        max_iter=max_iter,
    )
    data = prepare(y_true, y_score, sample_weight, label_names)
    if groups is None:
        return run_settings(data, settings)
    clip = _data_clip(data, settings)
    return search_by_group(data, groups, lambda rows: run_clipped(rows, settings, clip))


def _optimize(
    data: Prepared,
    objective: Objective,
    strategy: str,
    average: str,
    from_logits: bool,
    min_positives: int,
    fallback: Any,
    clip: tuple[float, float] | None,
    init: Any,
    max_iter: int,
) -> Thresholds:
    truth, scores, weights = data.truth, data.scores, data.weights
    n_labels = truth.shape[1]
    common: dict[str, Any] = {
        "label_names": data.label_names,
        "metric": objective.name,
        "strategy": strategy,
        "average": average,
        "from_logits": from_logits,
        "n_samples": data.n_samples,
    }
    if strategy == "shared":
        value, _ = sweep_pooled(truth, scores, weights, objective, clip)
        values = np.full(n_labels, value)
        objective_value, per_label = evaluate(objective, average, truth, scores >= values, weights)
        return Thresholds(values, validation_scores=per_label, objective=objective_value, **common)

    sweep = sweep_labels(
        truth, scores, weights, objective, clip, keep_orders=strategy == "coordinate"
    )
    values = sweep.thresholds.copy()
    fixed = _rare_labels(truth, weights, min_positives)
    if fixed.any():
        values[fixed] = _fallback(data, fixed, objective, fallback, clip, min_positives)
    infeasible = np.isnan(sweep.values) & ~fixed
    if objective.constraint is not None and infeasible.any():
        values[infeasible] = _fallback(data, infeasible, objective, fallback, clip, None)
        fixed |= infeasible
    iterations = None
    if strategy == "coordinate":
        assert sweep.orders is not None
        assert sweep.sorted_scores is not None
        start = _initial_values(init, values, fixed, data, objective, clip)
        cuts = np.array(
            [
                np.searchsorted(sweep.sorted_scores[j], start[j], side="left")
                for j in range(n_labels)
            ],
            dtype=np.intp,
        )
        result = coordinate_ascent(
            average,
            truth,
            weights,
            sweep.orders,
            sweep.sorted_scores,
            cuts,
            fixed,
            objective,
            clip,
            max_iter,
        )
        if not result.converged:
            warnings.warn(
                f"coordinate ascent stopped after max_iter={max_iter} passes without "
                "converging; increase max_iter",
                ThresholdWarning,
                stacklevel=external_stacklevel(),
            )
        values = start.copy()
        for label in np.flatnonzero(result.changed).tolist():
            values[label] = cut_threshold(sweep.sorted_scores[label], result.cuts[label], clip)
        iterations = result.iterations
    objective_value, per_label = evaluate(objective, average, truth, scores >= values, weights)
    return Thresholds(
        values,
        validation_scores=per_label,
        objective=objective_value,
        iterations=iterations,
        fallback_labels=np.flatnonzero(fixed).tolist(),
        **common,
    )


def _fallback(
    data: Prepared,
    fixed: BoolArray,
    objective: Objective,
    fallback: Any,
    clip: tuple[float, float] | None,
    min_positives: int | None,
) -> float:
    """The threshold of the labels too rare to tune (``min_positives``) or where an
    operating-point rule is infeasible (``None``), announced with a warning."""
    truth = data.truth

    def shared() -> float:
        return sweep_pooled(truth, data.scores, data.weights, objective, clip)[0]

    value, rule = fallback_rule(fallback, clip, shared)
    if min_positives is None:
        warn_infeasible(fixed, objective.name, rule, data.label_names)
        return value
    positives = np.count_nonzero(truth[:, fixed], axis=0).tolist()
    warn_fallback(fixed, positives, min_positives, rule, data.label_names)
    return value


def _rare_labels(truth: BoolArray, weights: FloatArray | None, min_positives: int) -> BoolArray:
    if min_positives == 0:
        return np.zeros(truth.shape[1], dtype=bool)
    positive = truth if weights is None else truth & (weights > 0)[:, None]
    counts: BoolArray = np.count_nonzero(positive, axis=0) < min_positives
    return counts


def _initial_values(
    init: Any,
    per_label: FloatArray,
    fixed: BoolArray,
    data: Prepared,
    objective: Objective,
    clip: tuple[float, float] | None,
) -> FloatArray:
    n_labels = per_label.shape[0]
    if isinstance(init, str):
        if init == "per_label":
            return per_label
        if init == "shared":
            value, _ = sweep_pooled(data.truth, data.scores, data.weights, objective, clip)
            start = np.full(n_labels, value)
            start[fixed] = per_label[fixed]
            return start
        raise ValueError(f"init must be 'per_label', 'shared' or thresholds; got {init!r}")
    # A Thresholds converts to probabilities; its own scale is what the search needs.
    start = np.asarray(init.values if isinstance(init, Thresholds) else init, dtype=np.float64)
    if start.ndim == 0:
        start = np.full(n_labels, float(start))
    if start.shape != (n_labels,) or not np.all(np.isfinite(start)):
        raise ValueError(
            f"init thresholds must be finite, one per label ({n_labels}); got shape {start.shape}"
        )
    result: FloatArray = start.copy()
    result[fixed] = per_label[fixed]
    return result
