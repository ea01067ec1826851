"""The HTML page of a report, rendered in a real headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import multilabel_attr as ml
from multilabel_attr.cli import main

NAMES = ["Male", "Young", "Smiling", "Bald", "Eyeglasses"]
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium installed (apt-get install chromium; .ci/run does)"
)


def _data(n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    y = (rng.random((n, len(NAMES))) < [0.45, 0.75, 0.5, 0.1, 0.2]).astype(np.int64)
    s = np.clip(0.45 * y + 0.6 * rng.random(y.shape), 0, 1)
    return y, s


def _render(page: Path, tmp_path: Path, screenshot: Path | None = None) -> str:
    """The DOM after Chromium loaded the page from its file, with no network."""
    assert CHROMIUM is not None
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]  # fmt: skip
    if screenshot is not None:
        subprocess.run(
            [CHROMIUM, *flags, f"--screenshot={screenshot}", "--window-size=1200,2400",
             page.as_uri()], capture_output=True, timeout=120, check=True,
        )  # fmt: skip
    result = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return result.stdout


def test_page_is_self_contained() -> None:
    y, s = _data()
    report = ml.bootstrap_report(y, s, groups=["Male"], label_names=NAMES, n_resamples=50,
                                 seed=0)  # fmt: skip
    page = report.to_html(metric="recall")
    assert page.startswith("<!DOCTYPE html>")
    # nothing is fetched: no script, no external reference
    assert "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "https://" not in page and "<link" not in page
    assert page.count('class="disparity"') == len(NAMES) - 1
    with pytest.raises(TypeError, match="metric must be a per-label metric name"):
        report.to_html(metric=3)  # type: ignore[arg-type]


@needs_chromium
def test_sliced_page_renders_tables_and_charts(tmp_path: Path) -> None:
    y, s = _data()
    report = ml.bootstrap_report(y, s, groups=["Male", "Young"], label_names=NAMES,
                                 n_resamples=60, seed=1, min_slice_size=40)  # fmt: skip
    path = tmp_path / "report.html"
    text = report.to_html(path, metric="recall")
    assert path.read_text(encoding="utf-8") == text
    dom = _render(path, tmp_path, tmp_path / "shot.png")
    assert (tmp_path / "shot.png").stat().st_size > 10_000
    assert dom.count('class="summary"') == 1 + len(report.groups)
    assert dom.count('class="per-label"') == 1 + len(report.groups)
    assert dom.count('class="slices"') == 1
    counted = ("Smiling", "Bald", "Eyeglasses")
    assert dom.count('class="disparity"') == len(counted)
    # one bar per shown slice in every chart, and an interval whisker for every bar
    assert dom.count('class="bar"') == len(counted) * len(report.groups)
    assert dom.count('class="interval"') == len(counted) * len(report.groups)
    for name in report.groups:
        assert f"<summary>{name}</summary>" in dom
    recall = report.slice(report.groups[0]).per_label["recall"][0]
    assert f"{recall:.4f}" in dom
    assert re.search(r"difference between groups [0-9.]+ \[[0-9.]+, [0-9.]+\]", dom)
    if report.hidden:
        assert "Hidden (fewer than 40 rows)" in dom


@needs_chromium
def test_cli_html_for_plain_and_sliced_reports(tmp_path: Path) -> None:
    y, s = _data()
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "s.npy", s)
    common = ["evaluate", "--labels", str(tmp_path / "y.npy"), "--scores",
              str(tmp_path / "s.npy"), "--label-names", ",".join(NAMES)]  # fmt: skip
    assert main([*common, "--html", str(tmp_path / "plain.html")]) == 0
    dom = _render(tmp_path / "plain.html", tmp_path)
    assert dom.count('class="per-label"') == 1 and 'class="disparity"' not in dom
    assert main([*common, "--group-by", "Young", "--html", str(tmp_path / "sliced.html")]) == 0
    dom = _render(tmp_path / "sliced.html", tmp_path)
    assert dom.count('class="disparity"') == len(NAMES) - 1
    assert "Young=0" in dom and "Young=1" in dom
    # The scores' charts of all rows, for the counted labels (Young slices, it is not counted).
    for kind in ("reliability", "roc", "pr"):
        assert dom.count(f'class="{kind}"') == len(NAMES) - 1
    assert 'aria-label="Young' not in dom.split("of the scores of all rows")[1]


def _charts(y: np.ndarray, s: np.ndarray) -> dict[str, object]:
    points = ml.operating_points(y, s, ["eer", "recall@precision>=0.8"], label_names=NAMES)
    return {
        "calibration": ml.calibration_curve(y, s, n_bins=10),
        "curves": [ml.roc_curves(y, s), ml.precision_recall_curves(y, s)],
        "points": list(points.values()),
    }


def test_plain_page_charts_are_self_contained_svg_of_the_scores() -> None:
    y, s = _data()
    report = ml.evaluate(y, s, label_names=NAMES, zero_division=0)
    charts = _charts(y, s)
    page = report.to_html(**charts)  # type: ignore[arg-type]
    assert "<script" not in page and "https://" not in page and "<link" not in page
    for kind in ("reliability", "roc", "pr"):
        assert page.count(f'class="{kind}"') == len(NAMES)
    curve = charts["calibration"]
    assert page.count('class="bin"') == int(np.sum(curve.weight > 0))  # type: ignore[attr-defined]
    assert page.count('class="band"') == int(np.sum(curve.weight > 0))  # type: ignore[attr-defined]
    # two rules marked on both curves of every label
    assert page.count('class="operating-point"') == 2 * 2 * len(NAMES)
    eer = charts["points"][0]  # type: ignore[index]
    assert f"eer at threshold {eer.thresholds[0]:.4g}" in page
    # a bin's tooltip carries its Wilson interval
    bands = ml.reliability_bands(curve)  # type: ignore[arg-type]
    b = int(np.flatnonzero(curve.weight[0] > 0)[0])  # type: ignore[attr-defined]
    assert f"[{bands.low[0, b]:.3f}, {bands.high[0, b]:.3f}]" in page
    assert 'class="reliability"' not in report.to_html()


def test_sliced_page_charts_are_those_of_the_counted_labels() -> None:
    y, s = _data()
    report = ml.evaluate(y, s, groups=["Male"], label_names=NAMES, zero_division=0)
    counted = NAMES[1:]
    points = ml.operating_points(y[:, 1:], s[:, 1:], "eer", label_names=counted)["eer"]
    charts = {
        "calibration": ml.calibration_curve(y[:, 1:], s[:, 1:], n_bins=10),
        "curves": [ml.roc_curves(y[:, 1:], s[:, 1:])],
        "points": points,
    }
    page = report.to_html(**charts)  # type: ignore[arg-type]
    assert page.count('class="reliability"') == page.count('class="roc"') == len(counted)
    assert page.count('class="operating-point"') == len(counted)
    assert f"eer at threshold {points.thresholds[0]:.4g}" in page
    # The plain page's charts are the same figures.
    plain = ml.evaluate(y[:, 1:], s[:, 1:], label_names=counted, zero_division=0)
    figures = re.findall(r'<figure><svg[^>]*class="(?:reliability|roc)".*?</figure>', page)
    assert len(figures) == 2 * len(counted)
    assert figures == re.findall(
        r'<figure><svg[^>]*class="(?:reliability|roc)".*?</figure>',
        plain.to_html(**charts),  # type: ignore[arg-type]
    )
    with pytest.raises(ValueError, match="the report's 4 labels; got \\[5\\]"):
        report.to_html(calibration=ml.calibration_curve(y, s))
    assert 'class="reliability"' not in report.to_html()


def test_plain_page_charts_reject_mismatched_arguments() -> None:
    y, s = _data()
    report = ml.evaluate(y, s, label_names=NAMES, zero_division=0)
    with pytest.raises(ValueError, match="the report's 5 labels; got \\[2\\]"):
        report.to_html(calibration=ml.calibration_curve(y[:, :2], s[:, :2]))
    with pytest.raises(TypeError, match="curves must be a RankingCurves"):
        report.to_html(curves="roc")
    with pytest.raises(TypeError, match="calibration must be a ReliabilityCurve"):
        report.to_html(calibration=s)


@needs_chromium
def test_plain_page_charts_render_in_chromium(tmp_path: Path) -> None:
    y, s = _data()
    report = ml.evaluate(y, s, label_names=NAMES, zero_division=0)
    path = tmp_path / "plain.html"
    report.to_html(path, **_charts(y, s))  # type: ignore[arg-type]
    dom = _render(path, tmp_path, tmp_path / "shot.png")
    assert (tmp_path / "shot.png").stat().st_size > 10_000
    for kind in ("reliability", "roc", "pr"):
        assert dom.count(f'class="{kind}"') == len(NAMES)
    assert dom.count("<polyline") == 3 * len(NAMES)
    assert "Calibration by label" in dom and "Precision-recall curves by label" in dom


@needs_chromium
def test_cli_html_adds_score_charts_to_the_plain_page(tmp_path: Path) -> None:
    y, s = _data()
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "s.npy", s)
    assert main(["evaluate", "--labels", str(tmp_path / "y.npy"), "--scores",
                 str(tmp_path / "s.npy"), "--label-names", ",".join(NAMES),
                 "--html", str(tmp_path / "plain.html")]) == 0  # fmt: skip
    dom = _render(tmp_path / "plain.html", tmp_path)
    for kind in ("reliability", "roc", "pr"):
        assert dom.count(f'class="{kind}"') == len(NAMES)
    eer = ml.operating_points(y, s, "eer")["eer"]
    assert dom.count('class="operating-point"') == 2 * len(NAMES)
    assert f"eer at threshold {eer.thresholds[0]:.4g}" in dom


def test_cli_html_charts_from_logits_equal_those_of_probabilities(tmp_path: Path) -> None:
    y, s = _data()
    s = np.clip(s, 0.01, 0.99)
    logits = np.log(s / (1 - s))
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "logits.npy", logits)
    assert main(["evaluate", "--labels", str(tmp_path / "y.npy"), "--scores",
                 str(tmp_path / "logits.npy"), "--from-logits", "--label-names", ",".join(NAMES),
                 "--html", str(tmp_path / "page.html")]) == 0  # fmt: skip
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    expected = ml.evaluate(y, logits, from_logits=True, label_names=NAMES, zero_division=0)
    charts = {
        "calibration": ml.calibration_curve(y, logits, n_bins=10, from_logits=True),
        "curves": [ml.roc_curves(y, logits), ml.precision_recall_curves(y, logits)],
        "points": ml.operating_points(y, logits, "eer", from_logits=True, label_names=NAMES)["eer"],
    }
    assert page == expected.to_html(**charts)  # type: ignore[arg-type]
    assert page.count('class="operating-point"') == 2 * len(NAMES)
