"""``evaluate(..., groups=...)``: every metric of a [`Report`][multilabel_attr.Report] per slice.

The rows are counted once into a [`SlicedCounts`][multilabel_attr.SlicedCounts]; each shown
slice gets a full [`Report`][multilabel_attr.Report] (the ranking columns exact on the
slice's rows), and the overall slice is always present.  Slices with fewer rows than
``min_slice_size`` are hidden and listed in [`SlicedReport.hidden`][multilabel_attr.SlicedReport].

Public API: [`SlicedReport`][multilabel_attr.SlicedReport] (``slice``, ``disparity``,
``fairness``, ``to_text``, ``to_markdown``, ``to_dict``/``from_dict``, ``to_json``,
``to_frame``) and the ``groups``, ``min_slice_size`` and ``max_slices`` arguments of
[`evaluate`][multilabel_attr.evaluate] and [`bootstrap_report`][multilabel_attr.bootstrap_report].
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..._io import json_text, read_json, write_text_atomic
from .._options import validated
from ..counts._groups import OVERALL, slice_name
from ..counts._sliced import SlicedBatch, SlicedCounts, count_sliced
from ..counts._state import MultilabelCounts
from ..ranking._exact import sliced_auroc_ap
from ._disparities import (
    FAIRNESS_DEFINITIONS,
    GAPS,
    Disparity,
    disparity_of,
    fairness_gap,
    gap_arrays,
)
from ._evaluate import (
    PER_LABEL_COLUMNS,
    SUMMARY_METRICS,
    Report,
    _to_json_number,
    exact_ranking_columns,
    ranking_columns,
    report_from_counts,
)
from ._stacked import score_states
from ._tables import markdown_table, markdown_text, plain_text, text_table

SLICED_REPORT_SCHEMA_VERSION = 1

_TABLE_METRICS = ("precision_samples", "recall_samples", "f1_samples", "f1_macro")


@dataclass(frozen=True)
class SlicedReport:
    """The result of [`evaluate`][multilabel_attr.evaluate] with ``groups``.

    Attributes
    ----------
    factors : tuple of str
        What the slices are keyed by (group names, then slicing labels).
    reports : dict of str to Report
        One report per shown slice by name (``"overall"`` first, then ``"Male=1"``,
        ``"Male=1, Young=0"`` ... in key order).
    keys : dict of str to tuple
        Each slice's key (one value per factor; ``()`` for the overall slice).
    sizes : dict of str to int
        Rows of every slice, shown or hidden.
    hidden : tuple of str
        Slices left out for having fewer than ``min_slice_size`` rows.
    slice_labels : tuple of str
        Labels sliced by, which are left out of every slice's metrics: within a slice such a
        label is constant, so its recall, specificity and ranking metrics there are
        undefined or trivially 1.
    min_slice_size : int
    gap_intervals : dict of str to (float, float)
        Bootstrap intervals of the disparities, keyed ``"<gap>:<metric>:<label>"`` (see
        [`bootstrap_report`][multilabel_attr.bootstrap_report]).
    confidence_level : float or None
    counts : SlicedCounts or None
        The counts behind the report (not saved), for disparities of any count metric.
    """

    factors: tuple[str, ...]
    reports: dict[str, Report]
    keys: dict[str, tuple[Any, ...]]
    sizes: dict[str, int]
    hidden: tuple[str, ...] = ()
    slice_labels: tuple[str, ...] = ()
    min_slice_size: int = 1
    gap_intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    confidence_level: float | None = None
    counts: SlicedCounts | None = field(default=None, compare=False, repr=False)

    @property
    def overall(self) -> Report:
        """The report of all rows."""
        return self.reports[OVERALL]

    @property
    def groups(self) -> list[str]:
        """Names of the shown slices, the overall slice excepted."""
        return [name for name in self.reports if name != OVERALL]

    def _name_of(self, key: Any) -> str:
        if isinstance(key, str) and (key in self.reports or key in self.hidden):
            name = key
        elif key == ():
            name = OVERALL
        else:
            if isinstance(key, Mapping):
                key = tuple(key.get(factor) for factor in self.factors)
            elif not isinstance(key, tuple):
                key = (key,)
            name = slice_name(self.factors, key)
        if name in self.hidden:
            raise KeyError(
                f"slice {name!r} has {self.sizes[name]} rows, fewer than min_slice_size="
                f"{self.min_slice_size}, and is hidden"
            )
        if name not in self.reports:
            raise KeyError(f"unknown slice {key!r}; slices are {list(self.reports)}")
        return name

    def slice(self, key: Any) -> Report:
        """The plain [`Report`][multilabel_attr.Report] of one slice: equal to
        [`evaluate`][multilabel_attr.evaluate] on that slice's rows (and counted labels).

        ``key`` is a slice name, a key tuple, a mapping of factor to value, a bare value when
        there is one factor, or ``"overall"``.
        """
        return self.reports[self._name_of(key)]

    # -- disparities -------------------------------------------------------------------------

    @validated("zero_division")
    def disparity(self, metric: str, zero_division: Any = "warn") -> Disparity:
        """How ``metric`` differs between the shown slices (see
        [`Disparity`][multilabel_attr.Disparity]).

        A per-label column of the reports or a summary key is read from the reports; any
        other count metric (``"selection_rate"``, ``"fpr"`` ...) is computed from the counts.
        """
        by_group = {name: self.reports[name] for name in self.groups}
        if metric in PER_LABEL_COLUMNS or metric in dict(SUMMARY_METRICS):
            found = _values_of(self.reports[OVERALL], metric)
            values = np.array([_values_of(r, metric) for r in by_group.values()], np.float64)
            gaps = gap_arrays(values.reshape(len(by_group), -1), np.asarray(found, np.float64))
            names = self.overall.label_names if metric in PER_LABEL_COLUMNS else (metric,)
            result = Disparity(
                metric, tuple(names), {n: list(v) for n, v in zip(by_group, values.tolist())},
                list(found), {gap: np.asarray(a).tolist() for gap, a in gaps.items()},
            )  # fmt: skip
        else:
            result = disparity_of(self._slice_counts(), self._overall_counts(), metric,
                                  zero_division)  # fmt: skip
        return self._with_intervals(result)

    def _slice_counts(self) -> dict[str, MultilabelCounts]:
        if self.counts is None:
            raise ValueError(
                "this report holds no counts (it was read back from a file); disparities of "
                "metrics outside its columns need the report that evaluate returned"
            )
        counts = self.counts
        return {name: counts.slice(self.keys[name]) for name in self.groups}

    def _overall_counts(self) -> MultilabelCounts:
        assert self.counts is not None
        return self.counts.overall

    def _with_intervals(self, result: Disparity) -> Disparity:
        if not self.gap_intervals:
            return result
        intervals = {
            gap: [
                self.gap_intervals.get(f"{gap}:{result.metric}:{label}", (math.nan, math.nan))
                for label in result.label_names
            ]
            for gap in GAPS
        }
        return Disparity(
            result.metric, result.label_names, result.by_group, result.overall, result.gaps,
            intervals, self.confidence_level,
        )  # fmt: skip

    @validated("zero_division")
    def fairness(self, zero_division: Any = "warn") -> dict[str, list[float]]:
        """Every named fairness definition as difference and ratio per label, keyed
        ``"<definition>_difference"`` and ``"<definition>_ratio"`` (between groups)."""
        slices, overall = self._slice_counts(), self._overall_counts()
        return {
            f"{definition}_{gap}": fairness_gap(
                slices, overall, definition, gap, zero_division
            ).tolist()
            for definition in FAIRNESS_DEFINITIONS
            for gap in ("difference", "ratio")
        }

    @classmethod
    @validated("threshold", "zero_division", "min_slice_size")
    def from_counts(
        cls,
        counts: SlicedCounts,
        *,
        threshold: Any = None,
        zero_division: Any = "warn",
        min_slice_size: int = 1,
    ) -> SlicedReport:
        """The report of streamed or merged [`SlicedCounts`][multilabel_attr.core.SlicedCounts]
        (count metrics only: the ranking columns are ``nan``).

        ``threshold`` is what the counts were thresholded at (shown in the per-label
        table), one value or one per counted label.
        """
        if not isinstance(counts, SlicedCounts):
            raise TypeError(f"counts must be a SlicedCounts; got {type(counts).__name__}")
        if not counts.keys:
            raise ValueError("counts hold no slices yet; call update() first")
        return report_from_sliced_counts(counts, threshold, zero_division, min_slice_size)

    # -- serialisation -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict (nan becomes None).

        [`from_dict`][multilabel_attr.core.SlicedReport.from_dict] inverts it (without the counts).
        """
        return {
            "schema_version": SLICED_REPORT_SCHEMA_VERSION,
            "factors": list(self.factors),
            "slice_labels": list(self.slice_labels),
            "min_slice_size": self.min_slice_size,
            "keys": {name: list(key) for name, key in self.keys.items()},
            "sizes": dict(self.sizes),
            "hidden": list(self.hidden),
            "reports": {name: report.to_dict() for name, report in self.reports.items()},
            "gap_intervals": {
                k: [_to_json_number(low), _to_json_number(high)]
                for k, (low, high) in self.gap_intervals.items()
            },
            "confidence_level": self.confidence_level,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SlicedReport:
        """Rebuild a report from [`to_dict`][multilabel_attr.core.SlicedReport.to_dict] output."""
        if data.get("schema_version") != SLICED_REPORT_SCHEMA_VERSION:
            raise ValueError(
                f"data must come from SlicedReport.to_dict() with schema_version "
                f"{SLICED_REPORT_SCHEMA_VERSION}; got {data.get('schema_version')!r}"
            )
        return cls(
            factors=tuple(data["factors"]),
            reports={name: Report.from_dict(r) for name, r in data["reports"].items()},
            keys={name: tuple(key) for name, key in data["keys"].items()},
            sizes={name: int(size) for name, size in data["sizes"].items()},
            hidden=tuple(data["hidden"]),
            slice_labels=tuple(data["slice_labels"]),
            min_slice_size=int(data["min_slice_size"]),
            gap_intervals={
                k: (math.nan if lo is None else lo, math.nan if hi is None else hi)
                for k, (lo, hi) in data.get("gap_intervals", {}).items()
            },
            confidence_level=data.get("confidence_level"),
        )

    def to_json(self, path: str | os.PathLike[str] | None = None, *, indent: int = 2) -> str:
        """The report as JSON text; also written atomically to ``path`` when given."""
        return json_text(self.to_dict(), path, indent=indent)

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> SlicedReport:
        """Read a report written by
        [`to_json`][multilabel_attr.core.SlicedReport.to_json]."""
        return cls.from_dict(read_json(path))

    def to_html(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        metric: str = "f1",
        title: str = "Sliced multi-label evaluation",
        calibration: Any = None,
        curves: Any = None,
        points: Any = None,
    ) -> str:
        """One self-contained HTML page (inline CSS and SVG; no server, network or script):
        the summary, the per-label table, the slices and one disparity chart of ``metric``
        per label, with interval bars when the report has intervals.

        Returns the page; also writes it atomically to ``path`` when given.  ``metric`` is a
        per-label column (``"f1"``, ``"recall"`` ...) or, with the counts, any count metric
        of [`disparity`][multilabel_attr.core.SlicedReport.disparity] (``"fpr"``,
        ``"selection_rate"``).  ``calibration``, ``curves`` and ``points`` add the charts of
        the scores of all rows, as in [`Report.to_html`][multilabel_attr.Report.to_html]; they
        cover the counted labels (without the slicing labels).
        """
        from ._html import check_metric, sliced_html

        text = sliced_html(self, check_metric(metric), str(title), calibration, curves, points)
        if path is not None:
            write_text_atomic(Path(path), text)
        return text

    def to_frame(self) -> Any:
        """A tidy long table: one row per slice, label (None for summary metrics) and metric,
        with the value and its interval; a pandas DataFrame when pandas is installed, else a
        list of dicts."""
        records = []
        for name, report in self.reports.items():
            factor_values = self.keys[name] or (None,) * len(self.factors)
            base = {"slice": name, **dict(zip(self.factors, factor_values))}
            for key, value in report.summary.items():
                low, high = report.intervals.get(key, (math.nan, math.nan))
                records.append({**base, "label": None, "metric": key, "value": value,
                                "low": low, "high": high})  # fmt: skip
            for column, values in report.per_label.items():
                for label, value in zip(report.label_names, values):
                    low, high = report.intervals.get(f"{column}:{label}", (math.nan, math.nan))
                    records.append({**base, "label": label, "metric": column, "value": value,
                                    "low": low, "high": high})  # fmt: skip
        try:
            import pandas as pd
        except ImportError:
            return records
        return pd.DataFrame.from_records(records)

    # -- rendering ---------------------------------------------------------------------------

    def _slice_table(self) -> tuple[list[str], list[list[str]]]:
        titles = dict(SUMMARY_METRICS)
        header = ["slice", "samples", *(titles[key] for key in _TABLE_METRICS)]
        rows = []
        for name, report in self.reports.items():
            cells = [name, str(report.n_samples)]
            for key in _TABLE_METRICS:
                cell = f"{report.summary[key]:.4f}"
                if key in report.intervals:
                    low, high = report.intervals[key]
                    cell += f" [{low:.4f}, {high:.4f}]"
                cells.append(cell)
            rows.append(cells)
        return header, rows

    def _hidden_line(self) -> str:
        if not self.hidden:
            return ""
        shown = ", ".join(f"{name} ({self.sizes[name]} rows)" for name in self.hidden)
        return f"Hidden (fewer than {self.min_slice_size} rows): {shown}"

    def to_text(self) -> str:
        """Plain text: a table of slices, the hidden slices, then each slice's report."""
        header, rows = self._slice_table()
        factors = plain_text(", ".join(self.factors))
        lines = [f"Sliced evaluation by {factors}", text_table(header, rows)]
        if self.hidden:
            lines.append(plain_text(self._hidden_line()))
        for name, report in self.reports.items():
            lines += ["", f"== {plain_text(name)} ==", report.to_text()]
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """Markdown: a table of slices, the hidden slices, then each slice's report."""
        header, rows = self._slice_table()
        factors = markdown_text(", ".join(self.factors))
        lines = [f"**Sliced by {factors}**", "", markdown_table(header, rows)]
        if self.hidden:
            lines += ["", markdown_text(self._hidden_line())]
        for name, report in self.reports.items():
            lines += ["", f"### {markdown_text(name)}", "", report.to_markdown()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


def _values_of(report: Report, metric: str) -> list[float]:
    if metric in report.per_label:
        return list(report.per_label[metric])
    return [report.summary[metric]]


def sliced_batch(
    y_true: Any, y_score: Any, groups: Any, options: Mapping[str, Any]
) -> tuple[SlicedBatch, SlicedCounts]:
    """Validate the batch (its options are checked at the door), order its rows by slice and
    count it."""
    return count_sliced(
        y_true, y_score, groups, options["threshold"], options["from_logits"],
        options["sample_weight"], options["label_names"], options["max_slices"],
    )  # fmt: skip


def shown_slices(counts: SlicedCounts, min_slice_size: int) -> tuple[list[int], tuple[str, ...]]:
    """Positions of the slices with at least ``min_slice_size`` rows, and names of the rest."""
    sizes = [state.n_samples for state in counts.slice_states()]
    shown = [i for i, size in enumerate(sizes) if size >= min_slice_size]
    if not shown:
        raise ValueError(
            f"min_slice_size={min_slice_size} is larger than every slice (the largest has "
            f"{max(sizes)} rows); lower it to see any slice"
        )
    return shown, tuple(counts.names[i] for i in range(len(sizes)) if i not in shown)


def evaluate_sliced(
    y_true: Any, y_score: Any, groups: Any, options: Mapping[str, Any]
) -> SlicedReport:
    """The body of [`evaluate`][multilabel_attr.evaluate] with ``groups`` (options checked
    here, before any data is read)."""
    min_slice_size = options["min_slice_size"]
    batch, counts = sliced_batch(y_true, y_score, groups, options)
    return sliced_report(
        batch, counts, min_slice_size, options["zero_division"], options["ranking"]
    )


def sliced_report(
    batch: SlicedBatch,
    counts: SlicedCounts,
    min_slice_size: int,
    zero_division: Any,
    ranking: bool,
) -> SlicedReport:
    """The [`SlicedReport`][multilabel_attr.SlicedReport] of a counted batch, with exact
    ranking columns per slice when ``ranking``."""
    shown, _ = shown_slices(counts, min_slice_size)
    columns: dict[str, Mapping[str, list[float]]] = {}
    if ranking and batch.weights is None:
        columns = _joint_ranking_columns(batch, counts, shown)
    elif ranking:
        names = counts.counted_labels or tuple(f"label_{i}" for i in range(counts.n_counted))
        truth, scores = batch.columns()
        columns[OVERALL] = exact_ranking_columns(truth, scores, batch.weights, names)
        for i in shown:
            name = counts.names[i]
            truth, scores, weights = batch.segment(i)
            where = f" in slice {name}"
            columns[name] = exact_ranking_columns(truth, scores, weights, names, where)
    return report_from_sliced_counts(
        counts, batch.thresholds, zero_division, min_slice_size, columns
    )


def _joint_ranking_columns(
    batch: SlicedBatch, counts: SlicedCounts, shown: list[int]
) -> dict[str, Mapping[str, list[float]]]:
    """Exact ranking columns of all rows and of each shown slice, from one sort per slice
    and label (unweighted rows); the same values and warnings as ranking each alone."""
    names = counts.counted_labels or tuple(f"label_{i}" for i in range(counts.n_counted))
    truth, scores = batch.truth, batch.pred  # the counted columns are read block by block
    order, bounds = batch.layout
    auroc, ap = sliced_auroc_ap(
        truth if truth.dtype == np.bool_ else truth == 1,
        scores if np.issubdtype(scores.dtype, np.floating) else scores.astype(np.float64),
        order, bounds, batch.kept,
    )  # fmt: skip
    columns: dict[str, Mapping[str, list[float]]] = {
        OVERALL: ranking_columns(auroc[0], ap[0], names)
    }
    slice_names = counts.names
    for i in shown:
        where = f" in slice {slice_names[i]}"
        columns[slice_names[i]] = ranking_columns(auroc[i + 1], ap[i + 1], names, where)
    return columns


def report_from_sliced_counts(
    counts: SlicedCounts,
    threshold: Any,
    zero_division: Any,
    min_slice_size: int,
    ranking_columns: Mapping[str, Mapping[str, list[float]]] | None = None,
) -> SlicedReport:
    """The [`SlicedReport`][multilabel_attr.SlicedReport] of sliced counts (merged from
    partitions, or streamed).  ``ranking_columns`` maps slice names to the ranking columns
    of [`report_from_counts`][multilabel_attr.core.report._evaluate.report_from_counts];
    slices without them get ``nan``."""
    shown, hidden = shown_slices(counts, min_slice_size)
    overall = counts.overall._named()
    overall._require_samples()
    columns = ranking_columns or {}
    # Per-group thresholds (one row per slice): all rows were cut at no single threshold.
    per_slice = threshold is not None and np.ndim(threshold) == 2
    # Named copies: the caller's state keeps the names it was given (it may be saved later).
    states, slice_names = [state._named() for state in counts.slice_states()], counts.names
    for i in shown:
        state = states[i]
        if not np.any(state.sample_weight > 0):
            raise ValueError(
                f"slice {slice_names[i]!r}: all its {state.n_samples} rows have sample_weight 0, "
                "so every metric there is undefined; give them a positive weight or a "
                f"min_slice_size above {state.n_samples}"
            )
    scored = score_states([overall, *(states[i] for i in shown)], zero_division)
    overall_cut = None if per_slice else threshold
    reports = {
        OVERALL: report_from_counts(
            overall, overall_cut, zero_division, columns.get(OVERALL), scored[0]
        )
    }
    for i, scores in zip(shown, scored[1:]):
        cut = threshold[i] if per_slice else threshold
        reports[slice_names[i]] = report_from_counts(
            states[i], cut, zero_division, columns.get(slice_names[i]), scores
        )
    keys: dict[str, tuple[Any, ...]] = {OVERALL: ()}
    keys.update({slice_names[i]: counts.keys[i] for i in shown})
    sizes = {OVERALL: overall.n_samples, **counts.sizes}
    return SlicedReport(
        factors=counts.factors or (), reports=reports, keys=keys, sizes=sizes, hidden=hidden,
        slice_labels=counts.slice_labels, min_slice_size=min_slice_size, counts=counts,
    )  # fmt: skip
