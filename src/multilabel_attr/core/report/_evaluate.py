"""``evaluate``: every headline number of a multi-label evaluation from one count."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..._io import json_text, read_json, write_text_atomic
from .._errors import InputError
from .._options import validated
from .._validation import check_2d, check_label_names, check_sample_weight, to_numpy
from ..counts import _formulas as F
from ..counts._groups import DEFAULT_MAX_SLICES
from ..counts._set_input import check_labels, is_set_input, set_ranking_columns
from ..counts._state import MultilabelCounts
from ..ranking._exact import per_label_auroc_ap, warn_undefined_labels
from ._tables import markdown_table, text_table

if TYPE_CHECKING:
    from ._sliced import SlicedReport

FloatArray = NDArray[np.float64]
GroupsArgument = str | Sequence[Any] | Mapping[str, Any] | ArrayLike
"""What ``groups`` takes: key arrays (one, several, named, or a data frame's columns) or label
names."""

REPORT_SCHEMA_VERSION = 1

SUMMARY_METRICS: tuple[tuple[str, str], ...] = (
    ("precision_samples", "Precision (samples)"),
    ("recall_samples", "Recall (samples)"),
    ("f1_samples", "F1 (samples)"),
    ("hamming_score", "Hamming score"),
    ("hamming_loss", "Hamming loss"),
    ("subset_accuracy", "Subset accuracy"),
    ("label_accuracy", "Label accuracy"),
    ("precision_micro", "Precision (micro)"),
    ("recall_micro", "Recall (micro)"),
    ("f1_micro", "F1 (micro)"),
    ("precision_macro", "Precision (macro)"),
    ("recall_macro", "Recall (macro)"),
    ("f1_macro", "F1 (macro)"),
    ("precision_weighted", "Precision (weighted)"),
    ("recall_weighted", "Recall (weighted)"),
    ("f1_weighted", "F1 (weighted)"),
)
"""Keys and display names of `Report.summary`, in display order.

The first five are the paper's table: sample-averaged precision, recall and
F1, Hamming score and Hamming loss."""

PER_LABEL_COLUMNS: tuple[str, ...] = (
    "support",
    "prevalence",
    "threshold",
    "precision",
    "recall",
    "f1",
    "specificity",
    "balanced_accuracy",
    "mcc",
    "auroc",
    "average_precision",
)

RANKING_BOUND_COLUMNS: tuple[str, ...] = ("auroc_bound", "average_precision_bound")
"""Per-label columns a streamed report adds: the guaranteed bound of each ranking estimate
(see [`ScoreSketch`][multilabel_attr.ScoreSketch]); shown as ``value ±bound``."""

_PER_LABEL_FORMULAS: dict[str, F.Formula] = {
    "precision": F.PRECISION,
    "recall": F.RECALL,
    "f1": F.fbeta_formula(1.0),
    "specificity": F.SPECIFICITY,
    "balanced_accuracy": F.BALANCED_ACCURACY,
    "mcc": F.MATTHEWS,
}


SUMMARY_FORMULAS: dict[str, tuple[F.Formula, str]] = {
    "precision_samples": (F.PRECISION, "samples"),
    "recall_samples": (F.RECALL, "samples"),
    "f1_samples": (F.fbeta_formula(1.0), "samples"),
    "hamming_score": (F.JACCARD, "samples"),
    "hamming_loss": (F.ERROR_RATE, "micro"),
    "subset_accuracy": (F.EXACT_MATCH, "samples"),
    "label_accuracy": (F.LABEL_ACCURACY, "micro"),
    **{
        f"{name}_{average}": (formula, average)
        for average in ("micro", "macro", "weighted")
        for name, formula in (
            ("precision", F.PRECISION),
            ("recall", F.RECALL),
            ("f1", F.fbeta_formula(1.0)),
        )
    },
}
"""The formula and the average behind each key of `SUMMARY_METRICS`: one definition for the
one-shot summary and for every bootstrap resample."""


@validated("zero_division")
def summarize_counts(counts: MultilabelCounts, zero_division: Any = "warn") -> dict[str, float]:
    """The `SUMMARY_METRICS` of a count state, keyed as in `Report.summary`."""
    return _summarize(counts, zero_division)


def _summarize(counts: MultilabelCounts, zero_division: Any) -> dict[str, float]:
    return {
        key: float(counts._score(*SUMMARY_FORMULAS[key], zero_division))
        for key, _ in SUMMARY_METRICS
    }


@dataclass(frozen=True)
class Report:
    """The result of [`evaluate`][multilabel_attr.core.evaluate].

    Attributes
    ----------
    summary : dict of str to float
        Overall metrics keyed as in `SUMMARY_METRICS`.
    per_label : dict of str to list of float
        One list per column of `PER_LABEL_COLUMNS`, one value per label;
        a report streamed by [`StreamingEvaluation`][multilabel_attr.StreamingEvaluation]
        adds the `RANKING_BOUND_COLUMNS` (`auroc_bound`, `average_precision_bound`).
    label_names : tuple of str
    n_samples : int
    total_weight : float
        Sum of sample weights (``n_samples`` when unweighted).
    intervals : dict of str to (float, float)
        Bootstrap confidence intervals for summary metrics, when computed
        (see [`bootstrap_report`][multilabel_attr.bootstrap_report]), keyed like ``summary``.
    confidence_level : float or None
    """

    summary: dict[str, float]
    per_label: dict[str, list[float]]
    label_names: tuple[str, ...]
    n_samples: int
    total_weight: float
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    confidence_level: float | None = None

    @property
    def paper_table(self) -> dict[str, float]:
        """The paper's five numbers: samples precision, recall, F1, Hamming score and loss."""
        return {key: self.summary[key] for key, _ in SUMMARY_METRICS[:5]}

    def label(self, name: str) -> dict[str, float]:
        """All per-label values of one label."""
        try:
            index = self.label_names.index(name)
        except ValueError:
            raise KeyError(f"unknown label {name!r}; labels are {list(self.label_names)}") from None
        return {column: values[index] for column, values in self.per_label.items()}

    def with_intervals(
        self, intervals: Mapping[str, tuple[float, float]], confidence_level: float
    ) -> Report:
        """A copy carrying bootstrap confidence intervals."""
        return Report(
            summary=self.summary,
            per_label=self.per_label,
            label_names=self.label_names,
            n_samples=self.n_samples,
            total_weight=self.total_weight,
            intervals=dict(intervals),
            confidence_level=confidence_level,
        )

    # -- serialisation -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict (nan becomes None).

        [`from_dict`][multilabel_attr.Report.from_dict] inverts it.
        """
        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "n_samples": self.n_samples,
            "total_weight": self.total_weight,
            "label_names": list(self.label_names),
            "summary": {k: _to_json_number(v) for k, v in self.summary.items()},
            "per_label": {
                k: [_to_json_number(v) for v in values] for k, values in self.per_label.items()
            },
            "intervals": {
                k: [_to_json_number(low), _to_json_number(high)]
                for k, (low, high) in self.intervals.items()
            },
            "confidence_level": self.confidence_level,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """Rebuild a report from [`to_dict`][multilabel_attr.Report.to_dict] output."""
        if data.get("schema_version") != REPORT_SCHEMA_VERSION:
            raise ValueError(
                f"data must come from Report.to_dict() with schema_version "
                f"{REPORT_SCHEMA_VERSION}; got {data.get('schema_version')!r}"
            )
        return cls(
            summary={k: _from_json_number(v) for k, v in data["summary"].items()},
            per_label={
                k: [_from_json_number(v) for v in values] for k, values in data["per_label"].items()
            },
            label_names=tuple(data["label_names"]),
            n_samples=int(data["n_samples"]),
            total_weight=float(data["total_weight"]),
            intervals={
                k: (_from_json_number(low), _from_json_number(high))
                for k, (low, high) in data.get("intervals", {}).items()
            },
            confidence_level=data.get("confidence_level"),
        )

    def to_json(self, path: str | os.PathLike[str] | None = None, *, indent: int = 2) -> str:
        """The report as JSON text; also written atomically to ``path`` when given."""
        return json_text(self.to_dict(), path, indent=indent)

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> Report:
        """Read a report written by [`to_json`][multilabel_attr.Report.to_json]."""
        return cls.from_dict(read_json(path))

    # -- rendering ---------------------------------------------------------------------------

    def _summary_rows(self) -> list[tuple[str, str, str]]:
        rows = []
        for key, title in SUMMARY_METRICS:
            interval = self.intervals.get(key)
            ci = f"[{interval[0]:.4f}, {interval[1]:.4f}]" if interval else ""
            rows.append((title, f"{self.summary[key]:.5f}", ci))
        return rows

    def _label_rows(self) -> tuple[list[str], list[list[str]]]:
        header = ["label", *PER_LABEL_COLUMNS]
        rows = []
        for index, name in enumerate(self.label_names):
            cells = [name]
            for column in PER_LABEL_COLUMNS:
                value = self.per_label[column][index]
                cell = _format_cell(column, value)
                bound = self.per_label.get(f"{column}_bound")
                if bound is not None and not math.isnan(value) and bound[index] > 0:
                    cell += f" ±{bound[index]:.1g}"
                cells.append(cell)
            rows.append(cells)
        return header, rows

    def to_html(
        self, path: str | os.PathLike[str] | None = None, *, title: str = "Multi-label evaluation",
        calibration: Any = None, curves: Any = None, points: Any = None,
    ) -> str:  # fmt: skip
        """A self-contained HTML page (inline CSS and SVG, no script), also written to ``path``;
        charts of the scores: ``calibration``, ``curves``, ``points`` (see the figures guide)."""
        from ._html import report_html
        text = report_html(self, str(title), calibration, curves, points)
        if path is not None:
            write_text_atomic(Path(path), text)
        return text

    def to_text(self) -> str:
        """A plain-text rendering: summary, then the per-label table."""
        ci_title = f"{self.confidence_level:.0%} CI" if self.confidence_level is not None else ""
        lines = [
            f"Multi-label evaluation: {self.n_samples} samples, {len(self.label_names)} labels"
        ]
        lines.append(text_table(["metric", "value", ci_title], self._summary_rows()))
        header, rows = self._label_rows()
        lines.append("")
        lines.append(text_table(header, rows))
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """A Markdown rendering: summary table, then the per-label table."""
        ci = self.confidence_level is not None
        header = ["Metric", "Value"] + ([f"{self.confidence_level:.0%} CI"] if ci else [])
        summary_rows = [list(row[: 3 if ci else 2]) for row in self._summary_rows()]
        label_header, label_rows = self._label_rows()
        return "\n".join(
            [
                f"**{self.n_samples} samples, {len(self.label_names)} labels**",
                "",
                markdown_table(header, summary_rows),
                "",
                markdown_table(label_header, label_rows),
            ]
        )

    def __str__(self) -> str:
        return self.to_text()


def _to_json_number(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _from_json_number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _format_cell(column: str, value: float) -> str:
    if math.isnan(value):
        return "-"
    if column == "support":
        return f"{value:g}"
    return f"{value:.4f}"


@overload
def evaluate(
    y_true: Any,
    y_score: Any,
    *,
    threshold: Any = 0.5,
    label_names: Sequence[str] | None = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    zero_division: Any = "warn",
    ranking: bool = True,
    labels: Any = None,
    groups: None = None,
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Report: ...
@overload
def evaluate(
    y_true: Any,
    y_score: Any,
    *,
    threshold: Any = 0.5,
    label_names: Sequence[str] | None = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    zero_division: Any = "warn",
    ranking: bool = True,
    labels: Any = None,
    groups: GroupsArgument,
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> SlicedReport: ...
@validated(
    "from_logits", "threshold", "zero_division", "labels", "min_slice_size", "max_slices",
    ranking="ranking_columns", groups="slice_groups",
)  # fmt: skip
def evaluate(
    y_true: Any,
    y_score: Any,
    *,
    threshold: Any = 0.5,
    label_names: Sequence[str] | None = None,
    from_logits: bool = False,
    sample_weight: Any = None,
    zero_division: Any = "warn",
    ranking: bool = True,
    labels: Any = None,
    groups: Any = None,
    min_slice_size: int = 1,
    max_slices: int = DEFAULT_MAX_SLICES,
) -> Report | SlicedReport:
    """Evaluate multi-label scores: the paper's table, the usual averages and a per-label table.

    The labels and thresholded scores are counted once into a
    [`MultilabelCounts`][multilabel_attr.core.MultilabelCounts]; every count-based number comes from
    those counts. The ranking columns (AUROC, average precision) need the scores themselves and are
    computed exactly per label.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels)
        Ground truth in {0, 1}.
    y_score : array-like of shape (n_samples, n_labels)
        Probabilities (or logits with ``from_logits=True``), or 0/1 predictions
        with ``threshold=None`` (then ranking columns are computed on them too).
    threshold : float, array-like of shape (n_labels,), Thresholds or GroupThresholds, default=0.5
        Positive where ``score >= threshold``; with ``groups`` (the arrays it was tuned on),
        a [`GroupThresholds`][multilabel_attr.thresholds.GroupThresholds] cuts rows by group.
    label_names : sequence of str, optional
        Defaults to ``label_0`` ... .
    from_logits : bool, default=False
    sample_weight : array-like of shape (n_samples,), optional
    zero_division : {"warn", 0, 1, nan}, default="warn"
    ranking : bool, default=True
        Compute the AUROC and average-precision columns (``nan`` when False).
        With a sparse ``y_score`` of 0/1 predictions, or a
        [`TopK`][multilabel_attr.TopK] without scores, they are those of the
        0/1 predictions, exact from the counts; with any other sparse or top-k
        input (where the full scores are unknown) they are ``nan``.
    labels : array-like of int, optional
        Column indices of ``y_true`` to evaluate, in the order wanted (as in
        [`f1_score`][multilabel_attr.f1_score]); every number, the ``samples``
        averages included, is then that of these columns alone. ``label_names``
        and a per-label ``threshold`` still give one entry per column of
        ``y_true``; the report keeps those of ``labels``, and default names keep
        the column index (``label_3``).
    groups : array-like, list of array-likes, mapping, str or list of str, optional
        Evaluate every slice of the rows as well: one 1-D array of keys per row (ints,
        strings or bools; a named pandas Series slices by its name), several arrays
        (crossed; Series of distinct names keep them), a mapping of factor names to arrays
        or a data frame of group columns (crossed, named by their columns), or label
        columns to slice by: a label name, or a list of names all found in ``label_names``
        (those labels are left out of the metrics, see
        [`SlicedReport`][multilabel_attr.SlicedReport]).  Dense input only.
    min_slice_size : int, default=1
        With ``groups``: slices with fewer rows are hidden (and listed).
    max_slices : int, default=1000
        With ``groups``: refuse to make more slices than this.

    Returns
    -------
    Report or SlicedReport
        A [`SlicedReport`][multilabel_attr.SlicedReport] when ``groups`` is given.

    Examples
    --------
    >>> import numpy as np
    >>> from multilabel_attr import evaluate
    >>> rng = np.random.default_rng(0)
    >>> y_true = rng.random((100, 3)) < 0.4
    >>> y_score = np.clip(y_true * 0.5 + rng.random((100, 3)) * 0.6, 0, 1)
    >>> report = evaluate(y_true, y_score, label_names=["a", "b", "c"], zero_division=0)
    >>> sorted(report.paper_table)
    ['f1_samples', 'hamming_loss', 'hamming_score', 'precision_samples', 'recall_samples']
    >>> round(report.summary["hamming_loss"] + report.summary["label_accuracy"], 12)
    1.0
    """
    if groups is not None:
        if labels is not None:
            raise InputError(
                "labels and groups cannot be combined; select the label columns before slicing",
                argument="labels",
            )
        from ._sliced import evaluate_sliced  # the sliced report builds on this module

        options = {
            "threshold": threshold, "label_names": label_names, "from_logits": from_logits,
            "sample_weight": sample_weight, "zero_division": zero_division, "ranking": ranking,
            "min_slice_size": min_slice_size, "max_slices": max_slices,
        }  # fmt: skip
        return evaluate_sliced(y_true, y_score, groups, options)
    return evaluate_checked(
        y_true, y_score, threshold=threshold, label_names=label_names, from_logits=from_logits,
        sample_weight=sample_weight, zero_division=zero_division, ranking=ranking, labels=labels,
    )  # fmt: skip


def evaluate_checked(
    y_true: Any,
    y_score: Any,
    *,
    threshold: Any,
    label_names: Sequence[str] | None,
    from_logits: bool,
    sample_weight: Any,
    zero_division: Any,
    ranking: bool,
    labels: Any = None,
) -> Report:
    """[`evaluate`][multilabel_attr.evaluate] for options checked at the door."""
    columns, label_names = _select_labels(labels, y_true, label_names)
    counts = MultilabelCounts._from_checked(
        y_true, y_score, threshold=threshold, from_logits=from_logits,
        sample_weight=sample_weight, label_names=label_names, labels=columns,
    )  # fmt: skip
    counts._require_samples()  # all-zero weights: one clear error before any ranking warning
    counts = counts._named()
    names = report_label_names(counts)
    ranking_columns = None
    if ranking and (is_set_input(y_true) or is_set_input(y_score)):
        auroc, ap = set_ranking_columns(counts, y_score)
        if not np.all(np.isnan(auroc) & np.isnan(ap)):
            warn_undefined_labels("ROC AUC", np.isnan(auroc), "only one class in y_true", names)
        ranking_columns = {"auroc": auroc.tolist(), "average_precision": ap.tolist()}
    elif ranking:
        truth = to_numpy(y_true, "y_true")
        scores = to_numpy(y_score, "y_score")
        if columns is not None:
            truth, scores = truth[:, columns], scores[:, columns]
        weights = check_sample_weight(sample_weight, counts.n_samples)
        ranking_columns = exact_ranking_columns(truth, scores, weights, names)
    if columns is not None and threshold is not None and np.ndim(threshold) == 1:
        threshold = np.asarray(threshold, np.float64)[columns]
    return report_from_counts(counts, threshold, zero_division, ranking_columns)


def exact_ranking_columns(
    truth: NDArray[Any],
    scores: NDArray[Any],
    weights: FloatArray | None,
    names: Sequence[str],
    where: str = "",
) -> dict[str, list[float]]:
    """Exact AUROC and average-precision columns of validated rows, warning (naming the
    labels, and ``where`` they were computed) where a label's value is undefined."""
    auroc, ap = per_label_auroc_ap(
        truth if truth.dtype == np.bool_ else truth == 1,
        scores if np.issubdtype(scores.dtype, np.floating) else scores.astype(np.float64),
        weights,
    )
    return ranking_columns(auroc, ap, names, where)


def ranking_columns(
    auroc: FloatArray, ap: FloatArray, names: Sequence[str], where: str = ""
) -> dict[str, list[float]]:
    """The AUROC and average-precision columns, warning (naming the labels, and ``where``
    they were computed) where a label's value is undefined."""
    warn_undefined_labels(f"ROC AUC{where}", np.isnan(auroc), "only one class in y_true", names)
    warn_undefined_labels(f"Average precision{where}", np.isnan(ap), "no positive sample", names)
    return {"auroc": auroc.tolist(), "average_precision": ap.tolist()}


def _select_labels(
    labels: Any, y_true: Any, label_names: Sequence[str] | None
) -> tuple[NDArray[np.intp] | None, Sequence[str] | None]:
    """``labels=``: the columns to count and the names of those columns."""
    if labels is None:
        return None, label_names
    n_labels = int(y_true.shape[1]) if is_set_input(y_true) else check_2d(y_true, "y_true").shape[1]
    columns = check_labels(labels, n_labels)
    names = check_label_names(label_names, n_labels) or [f"label_{i}" for i in range(n_labels)]
    return columns, [names[i] for i in columns]


def report_label_names(counts: MultilabelCounts) -> tuple[str, ...]:
    """The names a report gives the labels of ``counts``: its own, else ``label_0`` ..."""
    return counts.label_names or tuple(f"label_{i}" for i in range(counts.n_labels))


def report_from_counts(
    counts: MultilabelCounts,
    threshold: Any,
    zero_division: Any,
    ranking_columns: Mapping[str, list[float]] | None,
    scores: tuple[dict[str, float], dict[str, list[float]]] | None = None,
) -> Report:
    """The [`Report`][multilabel_attr.Report] of a count state and its ranking columns.

    ``ranking_columns`` maps ``"auroc"`` and ``"average_precision"`` (and,
    for estimates, their ``"*_bound"`` columns) to one value per label;
    ``None`` leaves the ranking columns ``nan``.  ``scores``: the summary and formula columns
    when already computed (a sliced report scores all slices at once).
    """
    n_labels = counts.n_labels
    counts = counts._named()
    names = report_label_names(counts)
    if scores is None:
        scores = _summarize(counts, zero_division), {
            column: counts._score(formula, None, zero_division).tolist()
            for column, formula in _PER_LABEL_FORMULAS.items()
        }
    summary = scores[0]
    total_weight = counts.total_weight
    per_label: dict[str, list[float]] = {
        "support": counts.support.tolist(),
        "prevalence": (
            counts.support / total_weight if total_weight > 0 else np.full(n_labels, np.nan)
        ).tolist(),
        "threshold": (
            np.broadcast_to(np.asarray(threshold, np.float64), (n_labels,)).tolist()
            if threshold is not None
            else [math.nan] * n_labels
        ),
    }
    per_label.update(scores[1])
    per_label["auroc"] = per_label["average_precision"] = [math.nan] * n_labels
    per_label.update(ranking_columns or {})
    columns = [*PER_LABEL_COLUMNS, *(c for c in RANKING_BOUND_COLUMNS if c in per_label)]
    return Report(
        summary=summary,
        per_label={column: per_label[column] for column in columns},
        label_names=names,
        n_samples=counts.n_samples,
        total_weight=total_weight,
    )
