"""One self-contained HTML page of a report: inline CSS and inline SVG, nothing fetched.

The page holds the summary, the per-label table, and for a
[`SlicedReport`][multilabel_attr.SlicedReport] the table of slices, each slice's per-label
table and one disparity chart per label: the metric in every shown slice as a bar, its
interval as a whisker when the report has intervals, the overall value as a dashed line, and
the gap between groups (with its interval) in the chart's title.  It opens from a file, with
no server, no network and no script.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._evaluate import Report

if TYPE_CHECKING:
    from ._disparities import Disparity
    from ._sliced import SlicedReport

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1d1d1f;
max-width:72rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem}
th,td{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f5f5f7}
.charts{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}
figcaption{font-size:.8rem;max-width:440px}.note{color:#555;font-size:.85rem}
details{margin:.3rem 0}summary{cursor:pointer;font-weight:600}
"""

_COLORS = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#9d755d")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], css_class: str) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _report_sections(report: Report, title: str) -> list[str]:
    """The summary and per-label tables of one report."""
    level = report.confidence_level
    ci_title = f"{level:.0%} CI" if level is not None else "interval"
    header, rows = report._label_rows()
    return [
        f"<h2>{html.escape(title)}</h2>",
        f'<p class="note">{report.n_samples} samples, {len(report.label_names)} labels</p>',
        _table(["metric", "value", ci_title], report._summary_rows(), "summary"),
        _table(header, rows, "per-label"),
    ]


def _page(title: str, sections: Sequence[str]) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{''.join(sections)}</body></html>\n"
    )


def report_html(
    report: Report,
    title: str = "Multi-label evaluation",
    calibration: object = None,
    curves: object = None,
    points: object = None,
) -> str:
    """The page of a plain [`Report`][multilabel_attr.Report], with the charts of the scores.

    ``calibration`` (a [`ReliabilityCurve`][multilabel_attr.ReliabilityCurve] or
    [`CalibrationState`][multilabel_attr.CalibrationState]) adds a reliability chart per label
    with its Wilson band; each of ``curves`` ([`roc_curves`][multilabel_attr.roc_curves],
    [`precision_recall_curves`][multilabel_attr.precision_recall_curves]) an ROC or PR chart
    per label, with the [`OperatingPoints`][multilabel_attr.OperatingPoints] of ``points`` (one
    or a sequence, on the same scores) marked.  Each is checked against the report's labels.
    """
    from ._html_charts import chart_sections, check_charts

    curve, ranking, marked = check_charts(len(report.label_names), calibration, curves, points)
    charts = chart_sections(report.label_names, curve, ranking, marked)
    return _page(title, [*_report_sections(report, "Summary"), *charts])


def _interval_text(interval: tuple[float, float] | None) -> str:
    if interval is None or any(math.isnan(v) for v in interval):
        return ""
    return f" [{interval[0]:.3f}, {interval[1]:.3f}]"


def _chart(
    label: str,
    bars: Sequence[tuple[str, float, tuple[float, float] | None]],
    overall: float,
    caption: str,
) -> str:
    """A horizontal bar chart of one label's metric by slice, as inline SVG."""
    row, left, width = 22, 150, 260
    values = [v for _, v, _ in bars if not math.isnan(v)]
    values += [v for _, _, ci in bars if ci is not None for v in ci if not math.isnan(v)]
    low, high = min([0.0, *values]), max([1.0, *values])

    def x(value: float) -> float:
        return left + (value - low) / (high - low) * width

    height = row * len(bars) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="disparity" width="{left + width + 30}"'
        f' height="{height}" role="img" aria-label="{html.escape(label)}">'
    ]
    for i, (name, value, interval) in enumerate(bars):
        y = 8 + i * row
        parts.append(
            f'<text x="{left - 6}" y="{y + 13}" font-size="11" text-anchor="end">'
            f"{html.escape(name)}</text>"
        )
        if not math.isnan(value):
            color = _COLORS[i % len(_COLORS)]
            parts.append(
                f'<rect class="bar" x="{x(min(0.0, value)):.1f}" y="{y + 2}" height="{row - 8}" '
                f'width="{abs(x(value) - x(0.0)):.1f}" fill="{color}">'
                f"<title>{html.escape(name)}: {value:.4f}{_interval_text(interval)}</title></rect>"
            )
        if interval is not None and not any(math.isnan(v) for v in interval):
            mid, a, b = y + (row - 4) / 2, x(interval[0]), x(interval[1])
            parts.append(
                f'<path class="interval" d="M{a:.1f},{mid:.1f}H{b:.1f}M{a:.1f},{mid - 4:.1f}'
                f'V{mid + 4:.1f}M{b:.1f},{mid - 4:.1f}V{mid + 4:.1f}" stroke="#222" '
                'stroke-width="1.4" fill="none"/>'
            )
    axis_y = 8 + len(bars) * row
    if not math.isnan(overall):
        parts.append(
            f'<line class="overall" x1="{x(overall):.1f}" x2="{x(overall):.1f}" y1="4" '
            f'y2="{axis_y}" stroke="#000" stroke-dasharray="4 3"/>'
        )
    parts.append(f'<line x1="{left}" x2="{left + width}" y1="{axis_y}" y2="{axis_y}" '
                 'stroke="#888"/>')  # fmt: skip
    for tick in (low, (low + high) / 2, high):
        parts.append(
            f'<text x="{x(tick):.1f}" y="{axis_y + 14}" font-size="10" text-anchor="middle">'
            f"{tick:g}</text>"
        )
    parts.append("</svg>")
    return f"<figure>{''.join(parts)}<figcaption>{html.escape(caption)}</figcaption></figure>"


def _charts(report: SlicedReport, disparity: Disparity) -> str:
    """One chart per label: the metric by slice, with intervals when the report has them."""
    figures = []
    for j, label in enumerate(disparity.label_names):
        bars = []
        for name, values in disparity.by_group.items():
            interval = report.reports[name].intervals.get(f"{disparity.metric}:{label}")
            bars.append((name, values[j], interval))
        gap_ci = disparity.intervals.get("difference")
        difference = disparity.gaps["difference"][j]
        caption = (
            f"{label}: {disparity.metric} by slice (dashed: overall "
            f"{disparity.overall[j]:.3f}); difference between groups {difference:.3f}"
            f"{_interval_text(gap_ci[j] if gap_ci else None)}"
        )
        figures.append(_chart(label, bars, disparity.overall[j], caption))
    return f'<div class="charts">{"".join(figures)}</div>'


def sliced_html(
    report: SlicedReport,
    metric: str,
    title: str,
    calibration: object = None,
    curves: object = None,
    points: object = None,
) -> str:
    """The page of a [`SlicedReport`][multilabel_attr.SlicedReport], with the charts of the
    scores of all rows when given (as in ``report_html``)."""
    from ._html_charts import chart_sections, check_charts

    names = report.overall.label_names
    curve, ranking, marked = check_charts(len(names), calibration, curves, points)
    disparity = report.disparity(metric, zero_division=0)
    header, rows = report._slice_table()
    sections = [
        f'<p class="note">Sliced by {html.escape(", ".join(report.factors))}'
        + (
            f"; {html.escape(', '.join(report.slice_labels))} left out of the counted labels "
            "(constant within each slice)"
            if report.slice_labels
            else ""
        )
        + "</p>",
        *_report_sections(report.overall, "Summary (all rows)"),
        "<h2>Slices</h2>",
        _table(header, rows, "slices"),
    ]
    if report.hidden:
        sections.append(f'<p class="note">{html.escape(report._hidden_line())}</p>')
    sections.append(f"<h2>Disparity of {html.escape(metric)} by label</h2>")
    sections.append(_charts(report, disparity))
    charts = chart_sections(names, curve, ranking, marked)
    if charts:
        sections.append('<p class="note">The charts below are of the scores of all rows.</p>')
        sections.extend(charts)
    sections.append("<h2>Per-label tables by slice</h2>")
    for name in report.groups:
        inner = "".join(_report_sections(report.reports[name], name)[1:])
        sections.append(f"<details><summary>{html.escape(name)}</summary>{inner}</details>")
    return _page(title, sections)


def check_metric(metric: object) -> str:
    """``metric`` of ``to_html``: a per-label metric name."""
    if not isinstance(metric, str) or not metric:
        raise TypeError(f"metric must be a per-label metric name; got {metric!r}")
    return metric

