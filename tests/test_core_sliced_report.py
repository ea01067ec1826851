"""The sliced report: each slice's report equals evaluating that slice's rows alone."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np
import pytest

import multilabel_attr as ml

NAMES = ["Male", "Young", "Smiling", "Hat"]


def _same(*reports: Any) -> bool:
    """Reports equal value for value (nan equal to nan)."""
    return all(r.to_dict() == reports[0].to_dict() for r in reports)


def _data(seed: int = 0, n: int = 600) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    y_true = rng.random((n, 4)) < 0.4
    y_score = np.clip(0.3 * y_true + 0.7 * rng.random((n, 4)), 0, 1)
    site = rng.choice(["north", "south", "east"], n)
    site[:4] = "west"
    return {"y_true": y_true, "y_score": y_score, "site": site, "weight": rng.random(n)}


def test_each_slice_report_equals_evaluate_on_its_rows() -> None:
    d = _data()
    report = ml.evaluate(d["y_true"], d["y_score"], groups={"site": d["site"]},
                         label_names=NAMES, zero_division=0)  # fmt: skip
    assert report.groups == ["site=east", "site=north", "site=south", "site=west"]
    for key in ("east", "north", "south", "west"):
        rows = d["site"] == key
        alone = ml.evaluate(d["y_true"][rows], d["y_score"][rows], label_names=NAMES,
                            zero_division=0)  # fmt: skip
        assert _same(
            report.slice(key), report.slice({"site": key}), report.slice(f"site={key}"), alone
        )
    whole = ml.evaluate(d["y_true"], d["y_score"], label_names=NAMES, zero_division=0)
    assert report.overall.summary == whole.summary
    np.testing.assert_allclose(report.overall.per_label["auroc"], whole.per_label["auroc"],
                               rtol=1e-12)  # fmt: skip


def test_weighted_slices_agree_with_evaluate() -> None:
    d = _data(1)
    report = ml.evaluate(d["y_true"], d["y_score"], groups=d["site"], sample_weight=d["weight"],
                         zero_division=0)  # fmt: skip
    rows = d["site"] == "south"
    alone = ml.evaluate(d["y_true"][rows], d["y_score"][rows], sample_weight=d["weight"][rows],
                        zero_division=0)  # fmt: skip
    for key, value in alone.summary.items():
        assert report.slice("south").summary[key] == pytest.approx(value, rel=1e-12, abs=1e-12)


def test_label_columns_slice_and_are_left_out() -> None:
    d = _data(2)
    report = ml.evaluate(d["y_true"], d["y_score"], groups=["Male", "Young"], label_names=NAMES,
                         zero_division=0)  # fmt: skip
    assert report.factors == ("Male", "Young")
    assert report.overall.label_names == ("Smiling", "Hat")
    rows = d["y_true"][:, 0] & ~d["y_true"][:, 1]
    alone = ml.evaluate(d["y_true"][rows][:, 2:], d["y_score"][rows][:, 2:],
                        label_names=NAMES[2:], zero_division=0)  # fmt: skip
    assert _same(report.slice((1, 0)), report.slice("Male=1, Young=0"), alone)


def test_small_slices_are_hidden_and_named() -> None:
    d = _data(3)
    report = ml.evaluate(d["y_true"], d["y_score"], groups={"site": d["site"]},
                         min_slice_size=10, zero_division=0)  # fmt: skip
    assert report.hidden == ("site=west",)
    assert report.sizes["site=west"] == 4
    assert "site=west (4 rows)" in report.to_text()
    assert "site=west (4 rows)" in report.to_markdown()
    with pytest.raises(KeyError, match="hidden"):
        report.slice("west")
    # The overall slice still counts the hidden rows.
    assert report.overall.n_samples == 600
    with pytest.raises(ValueError, match="min_slice_size=1000 is larger than every slice"):
        ml.evaluate(d["y_true"], d["y_score"], groups=d["site"], min_slice_size=1000)


def test_options_are_checked_before_the_data() -> None:
    with pytest.raises(ValueError, match="min_slice_size must be at least 0"):
        ml.evaluate("not an array", None, groups=[1, 2], min_slice_size=-1)
    with pytest.raises(TypeError, match="max_slices must be an int"):
        ml.evaluate("not an array", None, groups=[1, 2], max_slices="many")


def test_saving_and_tidy_table() -> None:
    d = _data(4)
    report = ml.evaluate(d["y_true"], d["y_score"], groups={"site": d["site"]},
                         label_names=NAMES, zero_division=0)  # fmt: skip
    restored = ml.SlicedReport.from_dict(json.loads(report.to_json()))
    assert restored.to_dict() == report.to_dict()
    assert restored.disparity("f1") == report.disparity("f1")
    frame = report.to_frame()
    n_rows = 5 * (len(ml.SUMMARY_METRICS) + 4 * len(ml.PER_LABEL_COLUMNS))
    assert len(frame) == n_rows
    row = frame[(frame["slice"] == "site=east") & (frame["label"] == "Hat")
                & (frame["metric"] == "recall")]  # fmt: skip
    assert row["value"].item() == report.slice("east").label("Hat")["recall"]
    assert row["site"].item() == "east"


def test_report_disparities_equal_the_functions() -> None:
    d = _data(5)
    report = ml.evaluate(d["y_true"], d["y_score"], groups={"site": d["site"]}, threshold=0.5,
                         zero_division=0)  # fmt: skip
    pred = d["y_score"] >= 0.5
    for metric in ("f1", "selection_rate", "fpr", "f1_samples"):
        ours = report.disparity(metric, zero_division=0)
        direct = ml.disparity(d["y_true"], pred, groups={"site": d["site"]}, metric=metric,
                              zero_division=0)  # fmt: skip
        np.testing.assert_allclose(ours.gaps["difference"], direct.gaps["difference"], rtol=1e-12)
    fairness = report.fairness(zero_division=0)
    np.testing.assert_allclose(
        fairness["equalized_odds_difference"],
        ml.equalized_odds_difference(
            d["y_true"], pred, groups={"site": d["site"]}, zero_division=0
        ),
        rtol=1e-12,
    )
    assert not any(math.isnan(v) for v in report.disparity("auroc").gaps["ratio"])


def test_report_from_streamed_counts_equals_evaluate() -> None:
    d = _data(6)
    state = ml.SlicedCounts(4, label_names=NAMES, slice_labels=["Male"])
    for rows in (slice(0, 250), slice(250, 600)):
        state.update(d["y_true"][rows], d["y_score"][rows], groups={"site": d["site"][rows]},
                     threshold=0.5)  # fmt: skip
    streamed = ml.SlicedReport.from_counts(state, threshold=0.5, zero_division=0,
                                           min_slice_size=10)  # fmt: skip
    # Group arrays crossed with a slicing label, streamed in two batches.
    assert streamed.factors == ("site", "Male")
    direct = ml.evaluate(d["y_true"], d["y_score"], groups={"site": d["site"]}, ranking=False,
                         label_names=NAMES, zero_division=0, min_slice_size=10)  # fmt: skip
    assert direct.factors == ("site",)
    for name in streamed.groups:
        site = streamed.keys[name][0]
        rows = (d["site"] == site) & (d["y_true"][:, 0] == streamed.keys[name][1])
        alone = ml.evaluate(d["y_true"][rows][:, 1:], d["y_score"][rows][:, 1:], ranking=False,
                            label_names=NAMES[1:], zero_division=0)  # fmt: skip
        assert _same(streamed.slice(name), alone), name
    with pytest.raises(TypeError, match="counts must be a SlicedCounts"):
        ml.SlicedReport.from_counts(direct)  # type: ignore[arg-type]


def test_lists_of_keys_and_zero_weight_slices() -> None:
    d = _data(7, n=60)
    keys = list(np.arange(60) % 2)  # numpy scalars: one factor, not 60 arrays
    report = ml.evaluate(d["y_true"], d["y_score"], groups=keys, zero_division=0)
    assert report.groups == ["group=0", "group=1"]
    weight = np.where(np.arange(60) % 2 == 0, 0.0, 1.0)
    with pytest.raises(ValueError, match="slice 'group=0': all its 30 rows have sample_weight 0"):
        ml.evaluate(d["y_true"], d["y_score"], groups=keys, sample_weight=weight)


def _markdown_cells(line: str) -> list[str]:
    """The cells of a Markdown table row: split at every ``|`` not escaped."""
    return re.split(r"(?<!\\)\|", line.strip())[1:-1]


def test_names_from_the_data_do_not_break_markdown_or_text() -> None:
    rng = np.random.default_rng(21)
    n = 60
    keys = np.array(["a|b", "two\nlines", "<script>x</script>"])[np.arange(n) % 3]
    names = ["Hat|Cap", "R&D", "<b>bold</b>"]
    report = ml.evaluate(
        rng.random((n, 3)) < 0.5, rng.random((n, 3)), groups={"site|zone": keys},
        label_names=names, threshold=0.5, ranking=False, zero_division=0,
    )  # fmt: skip
    markdown = report.to_markdown()
    assert "<script>" not in markdown and "<b>" not in markdown
    assert "&lt;script&gt;" not in markdown  # only "<" is an entity: ">" opens nothing
    assert "&lt;script>x&lt;/script>" in markdown and "R&amp;D" in markdown
    table_rows = [line for line in markdown.splitlines() if line.startswith("|")]
    widths = {len(_markdown_cells(line)) for line in table_rows[:5]}
    assert widths == {6}  # the slice table: every row has the header's columns
    label_rows = [row for row in table_rows if "Hat" in row or "R&amp;D" in row]
    assert any(_markdown_cells(row)[0].strip() == "Hat\\|Cap" for row in label_rows)
    assert "### site\\|zone=two lines" in markdown and "**Sliced by site\\|zone**" in markdown
    text = report.to_text()
    assert "== site|zone=two\\nlines ==" in text
    assert all(line.count("==") in (0, 2) for line in text.splitlines())


@pytest.mark.parametrize("bootstrap", [False, True])
def test_reports_written_as_json_read_back_the_same(tmp_path: Any, bootstrap: bool) -> None:
    rng = np.random.default_rng(29)
    n = 90
    groups = {
        "k|ey": np.array(["", "é", "a|b"])[np.arange(n) % 3],
        "big": np.array([-(2**63), 2**63 - 1])[np.arange(n) % 2],
    }
    y_true, y_score = rng.random((n, 3)) < 0.4, rng.random((n, 3))
    report = (
        ml.bootstrap_report(y_true, y_score, groups=groups, threshold=0.5, n_resamples=20, seed=0)
        if bootstrap
        else ml.evaluate(y_true, y_score, groups=groups, threshold=0.5, zero_division=0)
    )
    path = tmp_path / "report.json"
    text = report.to_json(path)
    restored = ml.SlicedReport.from_json(path)
    assert json.loads(text) == json.loads(path.read_text(encoding="utf-8"))
    assert restored.to_dict() == report.to_dict()
    assert restored.keys == report.keys and ("", -(2**63)) in restored.keys.values()
    assert restored.gap_intervals == report.gap_intervals
