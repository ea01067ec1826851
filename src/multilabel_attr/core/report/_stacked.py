"""The count metrics of several reports at once: one formula over stacked counts.

A sliced report holds one [`Report`][multilabel_attr.Report] per slice, each a function of
that slice's counts.  Every label-based formula (per label, ``micro``, ``macro``,
``weighted``) is computed once over the counts of all slices stacked, one slice per row (the
averaging keeps leading axes apart, as for bootstrap resamples); each row's values are those
of scoring that slice alone, bit for bit.  The ``samples`` averages evaluate each formula
once over every slice's per-sample triples and average each slice's own histogram.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._options import zero_division_fill
from ..counts._averaging import average_counts, present_counts, sample_values, segment_means
from ..counts._counting import decode_triples
from ..counts._state import MultilabelCounts
from ._evaluate import _PER_LABEL_FORMULAS, SUMMARY_FORMULAS, SUMMARY_METRICS

ReportScores = tuple[dict[str, float], dict[str, list[float]]]
"""A report's summary and its per-label formula columns."""


def score_states(states: Sequence[MultilabelCounts], zero_division: Any) -> list[ReportScores]:
    """The summary and the per-label formula columns of each state (options checked),
    warning per state where a value is undefined, as scoring each state alone does."""
    fill = zero_division_fill(zero_division)
    for state in states:
        state._require_samples()
    tp, fp, fn, tn = (
        np.stack([getattr(state, name) for state in states]) for name in ("tp", "fp", "fn", "tn")
    )
    summaries: list[dict[str, float]] = [{} for _ in states]
    ends = np.cumsum([state.sample_keys.size for state in states]).tolist()
    parts = [slice(end - state.sample_keys.size, end) for state, end in zip(states, ends)]
    n_labels = states[0].n_labels
    # Every state's per-sample triples, read once for every samplewise formula.
    triples = decode_triples(np.concatenate([state.sample_keys for state in states]), n_labels)
    weights = np.concatenate([state.sample_weight for state in states])
    present = np.concatenate(
        [present_counts(state.sample_weight, state.sample_count) for state in states]
    )
    for key, _ in SUMMARY_METRICS:
        formula, average = SUMMARY_FORMULAS[key]
        if average == "samples":
            # One pass of the formula over every state's keys, then each state's average.
            values, undefined = sample_values(formula, *triples, n_labels, fill)
            values = np.broadcast_to(np.asarray(values, np.float64), weights.shape)
            undefined = np.broadcast_to(np.asarray(undefined, bool), weights.shape)
            means = segment_means(values, weights, present, parts)
            for state, summary, part, mean in zip(states, summaries, parts, means):
                state._warn_samples(formula, undefined[part], fill, zero_division)
                summary[key] = mean
            continue
        values, undefined = average_counts(formula, tp, fp, fn, tn, average, fill)
        for i, (state, summary) in enumerate(zip(states, summaries)):
            state._warn_labels(formula, average, undefined[i], zero_division)
            summary[key] = float(values[i])
    columns: list[dict[str, list[float]]] = [{} for _ in states]
    for column, formula in _PER_LABEL_FORMULAS.items():
        values, undefined = average_counts(formula, tp, fp, fn, tn, None, fill)
        rows = np.asarray(values, np.float64).tolist()
        for i, state in enumerate(states):
            state._warn_labels(formula, None, undefined[i], zero_division)
            columns[i][column] = rows[i]
    return list(zip(summaries, columns))
