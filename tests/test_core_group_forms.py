"""Every form of ``groups`` (arrays, lists, mappings, pandas frames and Series) is read by one
function, alike by evaluate, the streaming state and the per-group threshold search."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import multilabel_attr as ml
from multilabel_attr.thresholds import optimize_thresholds

pd = pytest.importorskip("pandas")


def _rows(seed: int, n: int = 300, n_labels: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y_true = (rng.random((n, n_labels)) < 0.4).astype(np.int64)
    return y_true, np.clip(0.35 * y_true + 0.65 * rng.random((n, n_labels)), 0, 1)


def test_every_form_of_groups_gives_the_same_slices_everywhere() -> None:
    y_true, y_score = _rows(19)
    rng = np.random.default_rng(19)
    sex, age = rng.choice(["f", "m"], 300), rng.integers(0, 2, 300)
    forms: dict[str, Any] = {
        "mapping": {"sex": sex, "age": age},
        "frame": pd.DataFrame({"sex": sex, "age": age}),
        "list": [sex, age],
    }
    reports = {
        form: ml.evaluate(y_true, y_score, groups=groups, ranking=False, zero_division=0)
        for form, groups in forms.items()
    }
    assert reports["frame"].to_dict() == reports["mapping"].to_dict()
    assert reports["frame"].groups == ["sex=f, age=0", "sex=f, age=1", "sex=m, age=0",
                                       "sex=m, age=1"]  # fmt: skip
    # A list names its factors by position; its slices hold the same rows.
    assert list(reports["list"].sizes.values()) == list(reports["mapping"].sizes.values())
    streamed = [
        ml.SlicedCounts(3).update(y_true, y_score, groups=forms[form], threshold=0.5)
        for form in ("mapping", "frame")
    ]
    assert streamed[0].to_dict() == streamed[1].to_dict()
    tuned = {
        form: optimize_thresholds(y_true, y_score, groups=groups, metric="f1").to_dict()
        for form, groups in forms.items()
    }
    assert tuned["mapping"] == tuned["frame"] == tuned["list"]


def test_a_named_series_slices_by_its_name() -> None:
    y_true, y_score = _rows(23)
    sex = np.random.default_rng(23).choice(["f", "m"], 300)
    by_series = ml.evaluate(y_true, y_score, groups=pd.Series(sex, name="sex"), ranking=False,
                            zero_division=0)  # fmt: skip
    assert by_series.groups == ["sex=f", "sex=m"]
    by_frame = ml.evaluate(y_true, y_score, groups=pd.DataFrame({"sex": sex}), ranking=False,
                           zero_division=0)  # fmt: skip
    assert by_series.to_dict() == by_frame.to_dict()
    unnamed = ml.evaluate(y_true, y_score, groups=pd.Series(sex), ranking=False, zero_division=0)
    assert unnamed.groups == ["group=f", "group=m"]
    named_sex, age = pd.Series(sex, name="sex"), pd.Series(np.arange(300) % 2, name="age")
    listed = ml.evaluate(y_true, y_score, groups=[named_sex, age], ranking=False,
                         zero_division=0)  # fmt: skip
    assert listed.groups[0] == "sex=f, age=0"
    # Names missing or repeated: the factors are named by position.
    for other in (pd.Series(age.to_numpy()), age.rename("sex")):
        positional = ml.evaluate(y_true, y_score, groups=[named_sex, other], ranking=False,
                                 zero_division=0)  # fmt: skip
        assert positional.groups[0] == "group_0=f, group_1=0"


@pytest.mark.parametrize(
    ("groups", "error", "match"),
    [
        (
            pd.array(["a", None, "a", "a", "b", "b"], dtype="string"),
            ValueError,
            "groups holds <NA> at row 1; every sample needs a group key",
        ),
        (pd.DataFrame(index=range(6)), ValueError, "groups must hold at least one group column"),
        (
            pd.DataFrame({"a": np.arange(6), "b": np.arange(6.0)}),
            TypeError,
            r"groups\['b'\] must hold bools, ints or strings; got dtype float64",
        ),
        (
            pd.DataFrame({"a": np.arange(5)}),
            ValueError,
            r"groups\['a'\] must have one key per sample \(6\); got 5",
        ),
        ([], ValueError, "groups must give at least one group array; got an empty list"),
    ],
    ids=["pandas-NA", "no-columns", "float-column", "short-frame", "empty-list"],
)
def test_bad_frames_are_refused_naming_the_column(
    groups: Any, error: type[Exception], match: str
) -> None:
    y_true, y_score = _rows(29, n=6, n_labels=2)
    with pytest.raises(error, match=match):
        ml.evaluate(y_true, y_score, groups=groups)
    with pytest.raises(error, match=match):
        optimize_thresholds(y_true, y_score, groups=groups, metric="f1")
