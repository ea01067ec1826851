"""Per-group thresholds in a sliced evaluation: each row cut at its own group's thresholds."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import multilabel_attr as ml
from multilabel_attr.thresholds import GroupThresholds, Thresholds, optimize_thresholds

COUNT_COLUMNS = ("support", "prevalence", "precision", "recall", "f1", "specificity",
                 "balanced_accuracy", "mcc")  # fmt: skip


def _by_hand(y_score: Any, keys: list[Any], rows_of: Any, table: Any) -> Any:
    """0/1 predictions with numpy: each row against its group's thresholds."""
    pred = np.zeros(y_score.shape, np.uint8)
    for key in keys:
        rows = rows_of(key)
        pred[rows] = y_score[rows] >= np.asarray(table[key])
    return pred


def _same_counts(ours: Any, reference: Any) -> None:
    assert ours.summary == reference.summary
    for column in COUNT_COLUMNS:
        assert ours.per_label[column] == reference.per_label[column], column


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(4, 300),
    crossed=st.booleans(),
    weighted=st.booleans(),
)
def test_each_slice_equals_evaluating_hand_thresholded_predictions(
    seed: int, n: int, crossed: bool, weighted: bool
) -> None:
    rng = np.random.default_rng(seed)
    y_true = rng.random((n, 4)) < 0.4
    y_score = rng.random((n, 4)).astype(np.float32)
    site = rng.choice(["x", "y", "z"], n)
    sex = rng.integers(0, 2, n)
    weight = rng.random(n) if weighted else None
    if crossed:
        keys = sorted({(str(a), int(b)) for a, b in zip(site, sex)})
        groups: Any = {"site": site, "sex": sex}
        rows_of: Any = lambda key: (site == key[0]) & (sex == key[1])  # noqa: E731
    else:
        keys = sorted(set(site.tolist()))
        groups, rows_of = {"site": site}, lambda key: site == key
    table = {key: Thresholds(rng.uniform(0.1, 0.9, 4)) for key in keys}
    thresholds = GroupThresholds(table, Thresholds(np.full(4, 0.5)), n_factors=2 if crossed else 1)
    options: dict[str, Any] = {"zero_division": 0, "sample_weight": weight}
    report = ml.evaluate(y_true, y_score, groups=groups, threshold=thresholds, ranking=False,
                         **options)  # fmt: skip
    pred = _by_hand(y_score, keys, rows_of, table)
    reference = ml.evaluate(y_true, pred, groups=groups, threshold=None, ranking=False, **options)
    for name in reference.groups:
        key = reference.keys[name]
        _same_counts(report.slice(name), reference.slice(name))
        rows = rows_of(key if crossed else key[0])
        alone = ml.evaluate(y_true[rows], pred[rows], threshold=None, ranking=False,
                            zero_division=0,
                            sample_weight=None if weight is None else weight[rows])  # fmt: skip
        _same_counts(report.slice(name), alone)
        expected = table[key if crossed else key[0]].values.tolist()
        assert report.slice(name).per_label["threshold"] == expected
    _same_counts(report.overall, reference.overall)
    assert all(np.isnan(report.overall.per_label["threshold"]))  # no one threshold for all rows


def test_tuned_thresholds_match_their_apply_and_keep_the_ranking() -> None:
    rng = np.random.default_rng(1)
    n = 3000
    y_true = rng.random((n, 3)) < 0.3
    group = rng.choice(["a", "b"], n)
    y_score = np.clip(0.3 * y_true + 0.7 * rng.random((n, 3)), 0, 1)
    tuned = optimize_thresholds(y_true, y_score, groups=group)
    report = ml.evaluate(y_true, y_score, groups=group, threshold=tuned, zero_division=0)
    pred = tuned.apply(y_score, group)
    for key in ("a", "b"):
        rows = group == key
        by_hand = ml.evaluate(y_true[rows], pred[rows], threshold=None, zero_division=0)
        _same_counts(report.slice(key), by_hand)
        plain = ml.evaluate(y_true[rows], y_score[rows], zero_division=0)
        assert report.slice(key).per_label["auroc"] == plain.per_label["auroc"]  # from scores


def test_logits_are_cut_at_the_groups_probability_thresholds() -> None:
    rng = np.random.default_rng(2)
    y_true = rng.random((400, 2)) < 0.5
    logits = rng.normal(size=(400, 2))
    group = np.arange(400) % 2
    thresholds = GroupThresholds(
        {0: Thresholds([0.3, 0.6]), 1: Thresholds([0.7, 0.2])}, Thresholds([0.5, 0.5])
    )
    report = ml.evaluate(y_true, logits, groups=group, threshold=thresholds, from_logits=True,
                         ranking=False, zero_division=0)  # fmt: skip
    probabilities = 1 / (1 + np.exp(-logits))
    for key in (0, 1):
        rows = group == key
        pred = probabilities[rows] >= np.asarray(thresholds[key])
        alone = ml.evaluate(y_true[rows], pred, threshold=None, ranking=False, zero_division=0)
        _same_counts(report.slice(key), alone)


def test_bootstrap_intervals_equal_those_of_hand_thresholded_predictions() -> None:
    rng = np.random.default_rng(3)
    n = 600
    y_true = rng.random((n, 3)) < 0.4
    y_score = rng.random((n, 3))
    group = rng.choice(["p", "q"], n)
    table = {"p": Thresholds([0.3, 0.5, 0.7]), "q": Thresholds([0.6, 0.4, 0.2])}
    thresholds = GroupThresholds(table, Thresholds([0.5, 0.5, 0.5]))
    common: dict[str, Any] = {"groups": group, "n_resamples": 60, "seed": 4, "ranking": False}
    report = ml.bootstrap_report(y_true, y_score, threshold=thresholds, **common)
    pred = _by_hand(y_score, ["p", "q"], lambda key: group == key, table)
    reference = ml.bootstrap_report(y_true, pred, threshold=None, **common)
    for name in ("overall", "group=p", "group=q"):
        assert report.reports[name].intervals == reference.reports[name].intervals
        assert report.reports[name].summary == reference.reports[name].summary
    assert report.gap_intervals == reference.gap_intervals


def test_per_group_thresholds_are_refused_where_rows_have_no_group() -> None:
    y_true = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    y_score = np.array([[0.9, 0.2], [0.3, 0.8], [0.7, 0.6], [0.2, 0.1]])
    group = np.array(["a", "a", "b", "b"])
    thresholds = GroupThresholds(
        {"a": Thresholds([0.5, 0.5]), "b": Thresholds([0.4, 0.6])}, Thresholds([0.5, 0.5])
    )
    with pytest.raises(ml.InputError, match=r"per-group thresholds .* need each row's group"):
        ml.evaluate("not read", None, threshold=thresholds)
    with pytest.raises(ml.InputError, match=r"Pass threshold\.overall") as caught:
        ml.f1_score("not read", None, threshold=thresholds)
    assert caught.value.argument == "threshold"
    with pytest.raises(ml.InputError, match="apply only to rows with groups"):
        ml.bootstrap_report(y_true, y_score, threshold=thresholds, n_resamples=5)
    with pytest.raises(ml.InputError, match=r"groups holds key\(s\) without thresholds: 'c'"):
        ml.evaluate(y_true, y_score, groups=np.array(["a", "c", "b", "b"]), threshold=thresholds)
    with pytest.raises(ml.InputError, match="groups of 1 group array"):
        ml.evaluate(y_true, y_score, groups={"g": group, "h": group}, threshold=thresholds)
    wide = GroupThresholds({"a": Thresholds([0.5] * 3), "b": Thresholds([0.5] * 3)},
                           Thresholds([0.5] * 3))  # fmt: skip
    with pytest.raises(ml.InputError, match=r"threshold\['a'\] must be a scalar or have one"):
        ml.evaluate(y_true, y_score, groups=group, threshold=wide)
    scores = GroupThresholds({"a": Thresholds([2.0, 0.5]), "b": Thresholds([0.5, 0.5])},
                             Thresholds([0.5, 0.5]))  # fmt: skip
    with pytest.raises(ml.InputError, match=r"threshold\['a'\] must lie in \[0, 1\]"):
        ml.evaluate("not read", None, groups=group, threshold=scores)
    with pytest.raises(ml.InputError, match="groups must be None, an array of group keys"):
        ml.evaluate("not read", None, groups=3.5)


def test_slicing_by_a_label_column_finds_thresholds_tuned_on_it() -> None:
    rng = np.random.default_rng(5)
    names = ["Male", "Smiling", "Hat"]
    y_true = rng.random((800, 3)) < 0.4
    y_score = np.clip(0.3 * y_true + 0.7 * rng.random((800, 3)), 0, 1)
    male = y_true[:, 0]  # a bool column: the thresholds' keys are False and True
    tuned = optimize_thresholds(y_true[:, 1:], y_score[:, 1:], groups=male, label_names=names[1:])
    wide = GroupThresholds(
        {key: Thresholds([0.5, *tuned[key].values]) for key in tuned},
        Thresholds([0.5, *tuned.overall.values]),
    )
    report = ml.evaluate(y_true, y_score, groups="Male", label_names=names, threshold=wide,
                         ranking=False, zero_division=0)  # fmt: skip
    pred = tuned.apply(y_score[:, 1:], male)
    for key in (False, True):
        rows = male == key
        alone = ml.evaluate(y_true[rows][:, 1:], pred[rows], threshold=None, ranking=False,
                            label_names=names[1:], zero_division=0)  # fmt: skip
        _same_counts(report.slice(f"Male={int(key)}"), alone)


def test_disparities_take_per_group_thresholds() -> None:
    rng = np.random.default_rng(6)
    y_true = rng.random((500, 3)) < 0.4
    y_score = rng.random((500, 3))
    group = rng.choice(["a", "b"], 500)
    table = {"a": Thresholds([0.3, 0.5, 0.7]), "b": Thresholds([0.6, 0.4, 0.2])}
    thresholds = GroupThresholds(table, Thresholds([0.5, 0.5, 0.5]))
    pred = _by_hand(y_score, ["a", "b"], lambda key: group == key, table)
    for metric in ("tpr", "fpr", "selection_rate"):
        ours = ml.disparity(y_true, y_score, groups=group, metric=metric, threshold=thresholds,
                            zero_division=0)  # fmt: skip
        reference = ml.disparity(y_true, pred, groups=group, metric=metric, zero_division=0)
        assert ours.by_group == reference.by_group
        assert ours.gaps == reference.gaps
