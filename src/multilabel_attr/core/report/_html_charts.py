"""Inline SVG charts of a report page made from the scores: reliability, ROC and PR curves.

Each label gets a reliability chart (the observed rate of every non-empty bin at its mean
score, its binomial band as a vertical bar, the diagonal, and the share of samples per bin
as a histogram along the bottom) and, when curves are given, an ROC or precision-recall
chart with each operating point marked and its threshold in the caption.  Like the
disparity charts, they are plain SVG: no script, no network, no plotting library.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..calibration._state import CalibrationState, ReliabilityCurve
from ..ranking._curves import RankingCurves
from ..ranking._operating_points import OperatingPoints
from ._bands import ReliabilityBands, reliability_bands

_SIZE, _LEFT, _TOP = 180, 34, 8
_COLORS = ("#4c78a8", "#f58518", "#54a24b", "#e45756")


def _px(x: float, y: float) -> tuple[float, float]:
    """A point of the unit square in the chart's pixels (y grows downwards)."""
    return _LEFT + x * _SIZE, _TOP + (1 - y) * _SIZE


def _polyline(xs: Any, ys: Any, css_class: str, color: str) -> str:
    # Rounded to a tenth of a pixel, consecutive repeats dropped: a curve of a million
    # scores stays a few thousand points.
    points: list[str] = []
    for x, y in zip(xs, ys, strict=True):
        if math.isnan(x) or math.isnan(y):
            continue
        text = "{:.1f},{:.1f}".format(*_px(x, y))
        if not points or points[-1] != text:
            points.append(text)
    return (
        f'<polyline class="{css_class}" points="{" ".join(points)}" fill="none" '
        f'stroke="{color}" stroke-width="1.5"/>'
    )


def _frame(aria: str, css_class: str, x_label: str, y_label: str) -> list[str]:
    """The opening of a chart: the unit square, its ticks and axis names."""
    width, height = _LEFT + _SIZE + 10, _TOP + _SIZE + 34
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" width="{width}" '
        f'height="{height}" role="img" aria-label="{html.escape(aria)}">',
        f'<rect x="{_LEFT}" y="{_TOP}" width="{_SIZE}" height="{_SIZE}" fill="none" '
        'stroke="#888"/>',
    ]
    for tick in (0.0, 0.5, 1.0):
        x, y = _px(tick, tick)
        parts.append(f'<text x="{x:.1f}" y="{_TOP + _SIZE + 12}" font-size="9" '
                     f'text-anchor="middle">{tick:g}</text>')  # fmt: skip
        parts.append(f'<text x="{_LEFT - 4}" y="{y + 3:.1f}" font-size="9" '
                     f'text-anchor="end">{tick:g}</text>')  # fmt: skip
    parts.append(f'<text x="{_LEFT + _SIZE / 2}" y="{_TOP + _SIZE + 26}" font-size="10" '
                 f'text-anchor="middle">{html.escape(x_label)}</text>')  # fmt: skip
    middle = _TOP + _SIZE / 2
    parts.append(f'<text x="10" y="{middle}" font-size="10" text-anchor="middle" '
                 f'transform="rotate(-90 10 {middle})">{html.escape(y_label)}</text>')  # fmt: skip
    return parts


def _figure(parts: list[str], caption: str) -> str:
    return (
        f"<figure>{''.join(parts)}</svg><figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def reliability_chart(
    name: str, curve: ReliabilityCurve, bands: ReliabilityBands, label: int
) -> str:
    """One label's reliability chart with the band of every non-empty bin."""
    parts = _frame(f"{name}: reliability", "reliability", "mean score", "observed rate")
    weight = curve.weight[label]
    total = float(weight.sum())
    for b in range(weight.shape[0]):
        if weight[b] <= 0:
            continue
        # The histogram fills at most the lowest quarter of the square.
        low_edge, high_edge = curve.edges[label, b], curve.edges[label, b + 1]
        x0, y0 = _px(float(low_edge), weight[b] / total / 4)
        x1, _ = _px(float(high_edge), 0.0)
        parts.append(f'<rect class="bin-weight" x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" '
                     f'height="{_TOP + _SIZE - y0:.1f}" fill="#ccc"/>')  # fmt: skip
    a, b0 = _px(0.0, 0.0)
    c, d = _px(1.0, 1.0)
    parts.append(f'<line x1="{a}" y1="{b0}" x2="{c}" y2="{d}" stroke="#555" '
                 'stroke-dasharray="4 3"/>')  # fmt: skip
    filled = np.flatnonzero(weight > 0)
    for b in filled.tolist():
        x, y = float(curve.mean_score[label, b]), float(curve.observed_rate[label, b])
        low, high = float(bands.low[label, b]), float(bands.high[label, b])
        px, top = _px(x, high)
        _, bottom = _px(x, low)
        parts.append(f'<line class="band" x1="{px:.1f}" x2="{px:.1f}" y1="{top:.1f}" '
                     f'y2="{bottom:.1f}" stroke="{_COLORS[0]}" stroke-opacity="0.4" '
                     'stroke-width="4"/>')  # fmt: skip
        cx, cy = _px(x, y)
        parts.append(
            f'<circle class="bin" cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{_COLORS[0]}">'
            f"<title>mean score {x:.3f}, observed rate {y:.3f} [{low:.3f}, {high:.3f}], "
            f"weight {weight[b]:g}</title></circle>"
        )
    parts.append(_polyline(curve.mean_score[label, filled], curve.observed_rate[label, filled],
                           "observed", _COLORS[0]))  # fmt: skip
    caption = (
        f"{name}: observed rate against mean score per bin; bars: "
        f"{bands.confidence_level:.0%} {bands.method} interval; grey: share of samples"
    )
    return _figure(parts, caption)


def _steps(xs: Any, ys: Any) -> tuple[Any, Any]:
    """A precision-recall curve as drawn: precision holds to the next lower recall."""
    step_x = np.repeat(xs, 2)[1:]
    step_y = np.repeat(ys, 2)[:-1]
    return step_x, step_y


def curve_chart(
    name: str, curves: RankingCurves, label: int, points: Sequence[OperatingPoints]
) -> str:
    """One label's ROC or precision-recall chart with each operating point marked."""
    roc = curves.kind == "roc"
    x_label, y_label = ("false positive rate", "true positive rate") if roc else (
        "recall", "precision")  # fmt: skip
    parts = _frame(f"{name}: {curves.kind} curve", curves.kind, x_label, y_label)
    xs, ys = curves.x[label], curves.y[label]
    if roc:
        a, b = _px(0.0, 0.0)
        c, d = _px(1.0, 1.0)
        parts.append(f'<line x1="{a}" y1="{b}" x2="{c}" y2="{d}" stroke="#bbb" '
                     'stroke-dasharray="4 3"/>')  # fmt: skip
    else:
        xs, ys = _steps(xs, ys)
    parts.append(_polyline(xs, ys, "curve", _COLORS[0]))
    notes = []
    for i, rule in enumerate(points, start=1):
        threshold = float(rule.thresholds[label])
        x, y = curves.point_at(label, threshold)
        if math.isnan(x) or math.isnan(y):
            notes.append(f"{rule.constraint}: {rule.status[label]}")
            continue
        cx, cy = _px(x, y)
        color = _COLORS[i % len(_COLORS)]
        parts.append(
            f'<circle class="operating-point" cx="{cx:.1f}" cy="{cy:.1f}" r="4.5" '
            f'fill="{color}" stroke="#000"><title>{html.escape(rule.constraint)}: threshold '
            f"{threshold:.4g}, {x_label} {x:.3f}, {y_label} {y:.3f}</title></circle>"
        )
        notes.append(f"{rule.constraint} at threshold {threshold:.4g}")
    kind = "ROC" if roc else "precision-recall"
    caption = f"{name}: {kind} curve" + (f"; marked: {'; '.join(notes)}" if notes else "")
    return _figure(parts, caption)


def check_charts(
    n_labels: int, calibration: Any, curves: Any, points: Any
) -> tuple[ReliabilityCurve | None, list[RankingCurves], list[OperatingPoints]]:
    """The chart arguments of ``to_html``, checked against the report's labels."""
    if calibration is not None and not isinstance(
        calibration, (ReliabilityCurve, CalibrationState)
    ):
        raise TypeError(
            "calibration must be a ReliabilityCurve, a CalibrationState or None; got "
            f"{type(calibration).__name__}"
        )
    if isinstance(calibration, CalibrationState):
        calibration = calibration.calibration_curve()
    checked: dict[str, list[Any]] = {}
    for argument, value, kind in (("curves", curves, RankingCurves),
                                  ("points", points, OperatingPoints)):  # fmt: skip
        items = [] if value is None else [value] if isinstance(value, kind) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(v, kind) for v in items):
            raise TypeError(
                f"{argument} must be a {kind.__name__}, a sequence of them or None; got "
                f"{type(value).__name__}"
            )
        checked[argument] = list(items)
    sizes = [len(c.x) for c in checked["curves"]] + [len(p.thresholds) for p in checked["points"]]
    if calibration is not None:
        sizes.append(calibration.weight.shape[0])
    if any(size != n_labels for size in sizes):
        raise ValueError(
            f"calibration, curves and points must have the report's {n_labels} labels; "
            f"got {sorted(set(sizes))}"
        )
    return calibration, checked["curves"], checked["points"]


def chart_sections(
    names: Sequence[str],
    calibration: ReliabilityCurve | None,
    curves: Sequence[RankingCurves],
    points: Sequence[OperatingPoints],
) -> list[str]:
    """The page's sections of reliability and curve charts, one chart per label."""
    sections = []
    if calibration is not None:
        bands = reliability_bands(calibration)
        charts = "".join(reliability_chart(n, calibration, bands, j) for j, n in enumerate(names))
        sections += ["<h2>Calibration by label</h2>", f'<div class="charts">{charts}</div>']
    for curve in curves:
        title = "ROC curves" if curve.kind == "roc" else "Precision-recall curves"
        charts = "".join(curve_chart(n, curve, j, points) for j, n in enumerate(names))
        sections += [f"<h2>{title} by label</h2>", f'<div class="charts">{charts}</div>']
    return sections
