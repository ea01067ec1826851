"""Moving state between Keras metrics and the core's
[`MultilabelCounts`][multilabel_attr.MultilabelCounts]."""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
from keras import ops

from ..core._internal import (
    SCHEMA_VERSION,
    MultilabelCounts,
    decode_triples,
    mean_sums,
    sample_values,
)
from ._base import MAX_HISTOGRAM_LABELS, MultilabelMetric

MetricT = TypeVar("MetricT", bound=MultilabelMetric)


def _check_metric(metric: Any) -> MultilabelMetric:
    if not isinstance(metric, MultilabelMetric):
        raise TypeError(
            "metric must be a multilabel_attr.keras metric (e.g. F1Score); "
            f"got {type(metric).__name__}"
        )
    return metric


def to_counts(metric: MultilabelMetric) -> MultilabelCounts:
    """The metric's state as core counts, for merging across workers or runs.

    Every metric of `multilabel_attr.keras` keeps the same statistics
    as [`MultilabelCounts`][multilabel_attr.MultilabelCounts], so the result gives every
    core metric for the data seen so far, and ``to_counts(a) + to_counts(b)``
    merges two states exactly.

    Parameters
    ----------
    metric : MultilabelMetric
        A metric that keeps the per-sample histogram: any sample-averaged
        metric with at most `MAX_HISTOGRAM_LABELS` labels, or any metric
        built with ``sample_histogram=True``.

    Returns
    -------
    MultilabelCounts

    Raises
    ------
    TypeError
        If ``metric`` is not one of this package's metrics.
    ValueError
        If the metric keeps only per-label counts (the per-sample histogram
        is needed for a complete core state).

    Examples
    --------
    >>> from multilabel_attr.keras import F1Score, to_counts
    >>> metric = F1Score(2, average="macro", sample_histogram=True)
    >>> metric.update_state([[1, 0], [1, 1]], [[0.9, 0.8], [0.1, 0.6]])
    >>> counts = to_counts(metric)
    >>> counts.n_samples, round(counts.f1_score(average="micro"), 6)
    (2, 0.666667)
    """
    metric = _check_metric(metric)
    if not metric.keeps_sample_histogram:
        raise ValueError(
            f"{metric.name} keeps only per-label counts, not the per-sample histogram that "
            "MultilabelCounts holds; construct it with sample_histogram=True "
            f"(num_labels <= {MAX_HISTOGRAM_LABELS}) to export its state"
        )
    confusion = np.asarray(metric.confusion.numpy(), np.float64)
    histogram = np.asarray(metric.histogram.numpy(), np.float64)
    count = np.rint(histogram[:, 1]).astype(np.int64)
    keys = np.flatnonzero(count)
    return MultilabelCounts.from_dict(
        {
            "schema_version": SCHEMA_VERSION,
            "n_labels": metric.num_labels,
            "label_names": None,
            "n_samples": int(count.sum()),
            "tp": confusion[0],
            "fp": confusion[1],
            "fn": confusion[2],
            "tn": confusion[3],
            "sample_keys": keys,
            "sample_weight": histogram[keys, 0],
            "sample_count": count[keys],
        }
    )


def from_counts(metric: MetricT, counts: MultilabelCounts) -> MetricT:
    """Replace the metric's state with ``counts``; returns the metric.

    Use it to load merged counts: ``from_counts(metric, to_counts(a) + to_counts(b))``,
    or counts computed with the core (``MultilabelCounts.update``) outside Keras.

    Parameters
    ----------
    metric : MultilabelMetric
        The metric to load into (any of this package's metrics).
    counts : MultilabelCounts
        Counts with the same number of labels.

    Returns
    -------
    MultilabelMetric
        ``metric`` itself.

    Raises
    ------
    TypeError
        If the arguments are not a metric of this package and a ``MultilabelCounts``.
    ValueError
        If the numbers of labels differ.

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import MultilabelCounts
    >>> from multilabel_attr.keras import HammingScore, from_counts
    >>> counts = MultilabelCounts(2).update(np.array([[1, 0], [1, 1]]), np.array([[1, 1], [0, 1]]))
    >>> round(float(from_counts(HammingScore(2), counts).result()), 6)
    0.5
    """
    metric = _check_metric(metric)
    if not isinstance(counts, MultilabelCounts):
        raise TypeError(f"counts must be a MultilabelCounts; got {type(counts).__name__}")
    if counts.n_labels != metric.num_labels:
        raise ValueError(
            f"counts has {counts.n_labels} labels; {metric.name} has num_labels={metric.num_labels}"
        )
    dtype = metric.dtype
    confusion = np.stack([counts.tp, counts.fp, counts.fn, counts.tn])
    metric.confusion.assign(ops.convert_to_tensor(confusion, dtype=dtype))
    n_labels = counts.n_labels
    if metric.keeps_sample_histogram:
        histogram = np.zeros(((n_labels + 1) ** 3, 2))
        histogram[counts.sample_keys, 0] = counts.sample_weight
        histogram[counts.sample_keys, 1] = counts.sample_count
        metric.histogram.assign(ops.convert_to_tensor(histogram, dtype=dtype))
    elif metric.average == "samples":
        tp, fp, fn = decode_triples(counts.sample_keys, n_labels)
        values, _ = sample_values(metric._formula, tp, fp, fn, n_labels, metric.zero_division)
        sums = mean_sums(values, counts.sample_weight, counts.sample_count.astype(np.float64))
        metric.sample_sums.assign(ops.convert_to_tensor(np.array(sums), dtype=dtype))
    return metric
