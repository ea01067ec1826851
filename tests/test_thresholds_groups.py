"""Per-group thresholds: each group's search equals the search on that group's rows alone,
they apply by group, round-trip through JSON, refuse what they were not tuned for, and close a
gap between groups that a shared threshold leaves (fairlearn as the reference for the gap)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multilabel_attr import f1_score
from multilabel_attr.thresholds import (
    GroupThresholds,
    Thresholds,
    ThresholdWarning,
    optimize_thresholds,
)


def _data(seed: int = 0, n: int = 300, n_labels: int = 4) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    y = (rng.random((n, n_labels)) < 0.4).astype(int)
    sex = rng.random(n) < 0.5
    age = rng.choice(np.array(["old", "young"]), n)
    shift = np.where(sex, 0.0, -0.2)[:, None]
    scores = np.clip(0.3 + 0.35 * y + shift + rng.normal(0, 0.15, (n, n_labels)), 0, 1)
    weights = rng.uniform(0.2, 2.0, n)
    return y, scores, sex, age, weights


def test_hand_computed_case() -> None:
    y = np.array([[1], [0], [0], [1], [1], [0]])
    s = np.array([[0.9], [0.6], [0.3], [0.5], [0.4], [0.1]])
    group = ["a", "a", "a", "b", "b", "b"]
    result = optimize_thresholds(y, s, groups=group, min_positives=1)
    # Group a: 0.9 positive above 0.6 and 0.3 negative, F1 = 1 at the midpoint 0.75.
    # Group b: 0.5 and 0.4 positive above 0.1 negative, F1 = 1 at 0.25.
    # All rows, descending: .9p .6n .5p .4p .3n .1n; F1 of the cuts 1/2, 2/5, 2/3, 6/7, 3/4,
    # 2/3: the best keeps 0.4 and drops 0.3, at 0.35.
    assert result["a"].values.tolist() == [0.75]
    assert result["b"].values.tolist() == [0.25]
    assert result.overall.values.tolist() == [0.35]
    assert list(result) == ["a", "b"] and len(result) == 2 and "a" in result and "c" not in result
    assert result.apply(s, group).ravel().tolist() == [1, 0, 0, 1, 1, 0]
    assert result.overall.apply(s).ravel().tolist() == [1, 1, 0, 1, 1, 0]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"metric": "youden", "min_positives": 5},
        {"strategy": "shared"},
        {"strategy": "coordinate", "average": "samples"},
        {"metric": "jaccard", "fallback": 0.4, "min_positives": 40},
    ],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_each_group_is_the_search_on_its_rows(options: dict[str, Any], weighted: bool) -> None:
    y, s, sex, _, w = _data()
    weights = w if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThresholdWarning)
        result = optimize_thresholds(y, s, groups=sex, sample_weight=weights, **options)
        assert list(result) == [False, True]
        for key in (False, True):
            rows = sex == key
            alone = optimize_thresholds(
                y[rows], s[rows], sample_weight=None if weights is None else weights[rows],
                **options,
            )  # fmt: skip
            assert result[key] == alone
        assert result.overall == optimize_thresholds(y, s, sample_weight=weights, **options)


def test_crossed_groups_are_the_search_on_each_combination() -> None:
    y, s, sex, age, _ = _data(1, n=400)
    result = optimize_thresholds(y, s, groups=[sex, age], min_positives=3)
    expected_keys = [(False, "old"), (False, "young"), (True, "old"), (True, "young")]
    assert list(result) == expected_keys and result.n_factors == 2
    predictions = result.apply(s, [sex, age])
    for sex_key, age_key in expected_keys:
        rows = (sex == sex_key) & (age == age_key)
        alone = optimize_thresholds(y[rows], s[rows], min_positives=3)
        assert result[(sex_key, age_key)] == alone
        assert np.array_equal(predictions[rows], alone.apply(s[rows]))
        # A group's Thresholds is a plain threshold for the core metrics on its rows.
        assert f1_score(y[rows], s[rows], threshold=result[sex_key, age_key]) == f1_score(
            y[rows], alone.apply(s[rows]), threshold=None
        )


def test_keys_of_every_kind_and_a_data_frame() -> None:
    pd = pytest.importorskip("pandas")
    y, s, sex, age, _ = _data(2)
    ints = sex.astype(int) + 7
    frame = pd.DataFrame({"Male": sex, "Young": age})
    by_frame = optimize_thresholds(y, s, groups=frame, min_positives=3)
    by_arrays = optimize_thresholds(y, s, groups=(sex, age), min_positives=3)
    assert by_frame == by_arrays
    by_int = optimize_thresholds(y, s, groups=list(ints), min_positives=3)
    assert list(by_int) == [7, 8]
    assert by_int[np.int64(8)] == optimize_thresholds(y[sex], s[sex], min_positives=3)
    by_object = optimize_thresholds(y, s, groups=age.astype(object), min_positives=3)
    assert list(by_object) == ["old", "young"]
    named = optimize_thresholds(y, s, groups=age, label_names=list("abcd"), min_positives=3)
    assert np.array_equal(
        named.apply(pd.DataFrame(s, columns=list("abcd")), age), named.apply(s, age)
    )
    with pytest.raises(ValueError, match=r"other labels .*same names in a different order"):
        named.apply(pd.DataFrame(s, columns=list("dcba")), age)


def test_values_for_and_unknown_keys() -> None:
    y, s, _, age, _ = _data(3)
    result = optimize_thresholds(y, s, groups=age, min_positives=3)
    rows = result.values_for(age)
    assert rows.shape == s.shape
    assert np.array_equal(rows[age == "old"][0], result["old"].values)
    new = np.array(["old", "child", "young", "teen"])
    with pytest.raises(ValueError, match="keys without tuned thresholds: 'child', 'teen'"):
        result.apply(s[:4], new)
    fallback = result.values_for(new, unknown="overall")
    assert np.array_equal(fallback[1], result.overall.values)
    assert np.array_equal(fallback[2], result["young"].values)
    with pytest.raises(ValueError, match="groups must hold 1 group array"):
        result.apply(s[:4], [new, new])
    with pytest.raises(ValueError, match="unknown must be 'raise' or 'overall'"):
        result.apply(s[:4], new, unknown="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="one column per label"):
        result.apply(s[:4, :2], new)
    with pytest.raises(KeyError, match="no thresholds for group 'child'"):
        result["child"]
    # Keys of another type are other keys: bools are not the ints 0 and 1.
    by_bool = optimize_thresholds(y, s, groups=age == "old", min_positives=3)
    with pytest.raises(ValueError, match="keys without tuned thresholds: 0, 1"):
        by_bool.apply(s, (age == "old").astype(int))
    as_overall = by_bool.values_for((age == "old").astype(int), unknown="overall")
    assert np.array_equal(as_overall, np.tile(by_bool.overall.values, (len(age), 1)))
    assert 1 not in by_bool and True in by_bool
    assert list(by_bool.keys()) == [False, True]
    assert dict(by_bool.items())[True] is by_bool[True]


def test_json_round_trip_and_label_check(tmp_path: Path) -> None:
    y, s, sex, age, _ = _data(4)
    names = ["Smiling", "Bald", "Eyeglasses", "Hat"]
    result = optimize_thresholds(y, s, groups=[sex, age], label_names=names, min_positives=3)
    path = tmp_path / "thresholds.json"
    result.to_json(path)
    loaded = GroupThresholds.from_json(path, label_names=names)
    assert loaded == result
    assert list(loaded) == list(result)
    assert isinstance(next(iter(loaded))[0], bool)
    assert np.array_equal(loaded.apply(s, [sex, age]), result.apply(s, [sex, age]))
    with pytest.raises(ValueError, match="different labels than expected"):
        GroupThresholds.from_json(path, label_names=names[::-1])
    with pytest.raises(ValueError, match="not a group thresholds document"):
        GroupThresholds.from_dict(result.overall.to_dict())
    with pytest.raises(ValueError, match="unsupported group thresholds schema version"):
        GroupThresholds.from_dict({**result.to_dict(), "version": 9})
    assert "GroupThresholds(4 groups" in repr(result)


def test_constructor_refuses_inconsistent_parts() -> None:
    overall = Thresholds([0.5, 0.5])
    with pytest.raises(ValueError, match="other labels or another scale"):
        GroupThresholds({"a": Thresholds([0.5])}, overall)
    with pytest.raises(ValueError, match="at least one group"):
        GroupThresholds({}, overall)
    with pytest.raises(TypeError, match="must be bools, ints or strings"):
        GroupThresholds({1.5: Thresholds([0.4, 0.6])}, overall)
    with pytest.raises(KeyError, match="one value per group array"):
        GroupThresholds({("a", 1): Thresholds([0.4, 0.6])}, overall)


@pytest.mark.parametrize(
    ("groups", "error", "message"),
    [
        (lambda n: np.arange(n - 1), ValueError, r"groups must have one key per sample \(300\)"),
        (lambda n: [None] + [1] * (n - 1), ValueError, "groups holds None at row 0"),
        (lambda n: np.r_[np.nan, np.zeros(n - 1)], ValueError, "groups holds NaN at row 0"),
        (lambda n: np.zeros(n), TypeError, "got dtype float64"),
        (lambda n: np.array([True, 1] * (n // 2), dtype=object), TypeError, "mixes key types"),
        (lambda n: np.zeros((n, 2), int), ValueError, "must be a 1-D array of keys"),
        (
            lambda n: [np.zeros(n, int), np.zeros(n - 2, int)],
            ValueError,
            r"groups\[1\] must have one key per sample",
        ),
    ],
)
def test_bad_groups_are_refused(groups: Any, error: type[Exception], message: str) -> None:
    y, s, _, _, _ = _data()
    with pytest.raises(error, match=message):
        optimize_thresholds(y, s, groups=groups(300))


def test_warnings_name_the_group_and_zero_weight_groups_are_refused() -> None:
    y, s, sex, _, w = _data(5)
    y[~sex, 0] = 0
    y[np.flatnonzero(~sex)[:2], 0] = 1
    with pytest.warns(ThresholdWarning, match=r"^group False: 1 of 4 labels have fewer"):
        optimize_thresholds(y, s, groups=sex, min_positives=5)
    w[sex] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThresholdWarning)
        with pytest.raises(ValueError, match="group True has sample_weight 0 for all its"):
            optimize_thresholds(y, s, groups=sex, sample_weight=w)


def test_options_are_checked_before_the_groups() -> None:
    with pytest.raises(ValueError, match="strategy must be one of"):
        optimize_thresholds([[1], [0]], [[0.9], [0.1]], strategy="x", groups=[None, None])  # type: ignore[arg-type]


def _gaps(y: np.ndarray, predictions: np.ndarray, groups: np.ndarray) -> list[tuple[float, ...]]:
    """Per label: fairlearn's equal-opportunity (TPR) gap and equalized-odds difference."""
    from fairlearn.metrics import MetricFrame, equalized_odds_difference, true_positive_rate

    gaps = []
    for j in range(y.shape[1]):
        frame = MetricFrame(
            metrics=true_positive_rate,
            y_true=y[:, j],
            y_pred=predictions[:, j],
            sensitive_features=groups,
        )
        odds = equalized_odds_difference(y[:, j], predictions[:, j], sensitive_features=groups)
        gaps.append((float(frame.difference()), float(odds)))
    return gaps


def test_per_group_thresholds_shrink_the_gap_a_shared_threshold_leaves() -> None:
    pytest.importorskip("fairlearn")
    rng = np.random.default_rng(6)
    n = 4000
    group = np.where(rng.random(n) < 0.5, "A", "B")
    y = (rng.random((n, 2)) < 0.3).astype(int)
    # The model scores group B lower: the same evidence reads 0.25 lower on its scale.
    shift = np.where(group == "B", -0.25, 0.0)[:, None]
    scores = np.clip(0.35 + 0.3 * y + shift + rng.normal(0, 0.08, (n, 2)), 0, 1)
    result = optimize_thresholds(y, scores, groups=group)
    before = _gaps(y, result.overall.apply(scores), group)
    after = _gaps(y, result.apply(scores, group), group)
    for (tpr_before, odds_before), (tpr_after, odds_after) in zip(before, after, strict=True):
        assert tpr_before > 0.4 and odds_before > 0.4
        assert tpr_after < 0.05 and odds_after < 0.05
    # The gap itself, by hand: TPR of each group from the predictions.
    predicted = result.overall.apply(scores)
    tpr = [predicted[(group == g) & (y[:, 0] == 1), 0].mean() for g in ("A", "B")]
    assert before[0][0] == pytest.approx(abs(tpr[0] - tpr[1]), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 40),
    n_groups=st.integers(1, 4),
    strategy=st.sampled_from(["per_label", "shared", "coordinate"]),
    weighted=st.booleans(),
)
def test_any_grouping_is_the_search_on_each_group(
    seed: int, n: int, n_groups: int, strategy: str, weighted: bool
) -> None:
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 3)) < 0.5).astype(int)
    s = np.round(rng.random((n, 3)), 1)  # ties
    group = rng.integers(0, n_groups, n)
    w = rng.uniform(0.5, 2.0, n) if weighted else None
    options: dict[str, Any] = {"strategy": strategy, "min_positives": 1, "sample_weight": w}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThresholdWarning)
        result = optimize_thresholds(y, s, groups=group, **options)
        assert list(result) == sorted(set(group.tolist()))
        for key in list(result):
            rows = group == key
            options["sample_weight"] = None if w is None else w[rows]
            alone = optimize_thresholds(y[rows], s[rows], clip=(0.0, 1.0), **options)
            assert result[key] == alone
            assert np.array_equal(result.apply(s, group)[rows], alone.apply(s[rows]))


def test_pandas_series_and_categorical_keys() -> None:
    pd = pytest.importorskip("pandas")
    y, s, _, age, _ = _data(7)
    series = pd.Series(age, name="age")
    categorical = series.astype("category")
    expected = optimize_thresholds(y, s, groups=age, min_positives=3)
    assert optimize_thresholds(y, s, groups=series, min_positives=3) == expected
    assert optimize_thresholds(y, s, groups=categorical, min_positives=3) == expected
    with_missing = series.copy()
    with_missing[5] = None
    with pytest.raises(ValueError, match="groups holds nan at row 5"):
        optimize_thresholds(y, s, groups=with_missing)
