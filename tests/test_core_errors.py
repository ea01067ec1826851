"""Bad input raises ValueError/TypeError at the public boundary, naming the argument."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import multilabel_attr as ml

Y = [[1, 0], [0, 1]]
P = [[1, 1], [0, 1]]
S = [[0.9, 0.2], [0.4, 0.7]]

HARD_METRICS = [
    ml.precision_score,
    ml.recall_score,
    ml.f1_score,
    ml.jaccard_score,
    ml.specificity_score,
    ml.npv_score,
    ml.balanced_accuracy_score,
    ml.matthews_corrcoef,
    ml.cohen_kappa_score,
    ml.hamming_loss,
    ml.label_accuracy,
    ml.hamming_score,
    ml.subset_accuracy,
    ml.multilabel_confusion_matrix,
    lambda y, p, **k: ml.fbeta_score(y, p, beta=2, **k),
    lambda y, p, **k: ml.MultilabelCounts.from_batch(y, p, **k),
    lambda y, p, **k: ml.MultilabelCounts(2).update(y, p, **k),
]
RANKING_METRICS = [
    ml.roc_auc_score,
    ml.average_precision_score,
    ml.coverage_error,
    ml.label_ranking_loss,
    ml.label_ranking_average_precision_score,
]
ALL = [*HARD_METRICS, *RANKING_METRICS]


def _ids(fns: list[Any]) -> list[str]:
    return [getattr(f, "__name__", "lambda") + str(i) for i, f in enumerate(fns)]


def _second(fn: Any) -> Any:
    return S if fn in RANKING_METRICS else P


@pytest.mark.parametrize("fn", ALL, ids=_ids(ALL))
def test_shape_mismatch(fn: Any) -> None:
    with pytest.raises(ValueError, match=r"y_true and y_(pred|score) must have the same shape"):
        fn(Y, [[1, 0, 1], [0, 1, 1]] if fn not in RANKING_METRICS else [[0.1, 0.2, 0.3]] * 2)
    with pytest.raises(ValueError, match=r"\(2, 2\).*\(3, 2\)"):
        fn(Y, [row for row in _second(fn)] + [_second(fn)[0]])


@pytest.mark.parametrize("fn", ALL, ids=_ids(ALL))
@pytest.mark.parametrize(
    ("y_true", "message"),
    [
        ([1, 0, 1], r"y_true must be 2-D.*got 1-D.*reshape\(-1, 1\)"),
        ([[[1, 0]], [[0, 1]]], r"y_true must be 2-D.*got 3-D"),
        (np.zeros((0, 2)), r"y_true is empty.*\(0, 2\)"),
        (np.zeros((2, 0)), r"y_true is empty.*\(2, 0\)"),
        (5, r"y_true must be 2-D.*got 0-D"),
    ],
)
def test_bad_dimensions(fn: Any, y_true: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fn(y_true, _second(fn))


@pytest.mark.parametrize("fn", HARD_METRICS, ids=_ids(HARD_METRICS))
def test_prediction_dimensions_are_named(fn: Any) -> None:
    with pytest.raises(ValueError, match=r"y_pred must be 2-D.*got 1-D"):
        fn(Y, [1, 0])
    with pytest.raises(ValueError, match=r"y_score must be 2-D.*got 1-D"):
        fn(Y, [0.5, 0.2], threshold=0.5)


@pytest.mark.parametrize("fn", ALL, ids=_ids(ALL))
def test_labels_outside_zero_one(fn: Any) -> None:
    with pytest.raises(ValueError, match=r"y_true must contain only 0 and 1; found 2"):
        fn([[1, 2], [0, 1]], _second(fn))
    with pytest.raises(ValueError, match=r"y_true.*found 0.5"):
        fn([[1, 0.5], [0, 1]], _second(fn))


@pytest.mark.parametrize("fn", ALL, ids=_ids(ALL))
def test_signed_labels_point_to_the_converter(fn: Any) -> None:
    with pytest.raises(ValueError, match=r"found -1.*-1/1.*signed_to_binary"):
        fn([[1, -1], [-1, 1]], _second(fn))


@pytest.mark.parametrize("fn", HARD_METRICS, ids=_ids(HARD_METRICS))
def test_predictions_outside_zero_one_suggest_a_threshold(fn: Any) -> None:
    with pytest.raises(ValueError, match=r"y_pred must contain only 0 and 1.*threshold="):
        fn(Y, S)


@pytest.mark.parametrize("fn", ALL, ids=_ids(ALL))
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_scores(fn: Any, bad: float) -> None:
    kwargs = {} if fn in RANKING_METRICS else {"threshold": 0.5}
    with pytest.raises(ValueError, match=r"y_score must be finite; found 1 NaN or infinite"):
        fn(Y, [[0.5, bad], [0.1, 0.2]], **kwargs)


@pytest.mark.filterwarnings("ignore::multilabel_attr.UndefinedMetricWarning")
@pytest.mark.parametrize("fn", HARD_METRICS, ids=_ids(HARD_METRICS))
def test_probabilities_outside_unit_interval(fn: Any) -> None:
    with pytest.raises(ValueError, match=r"y_score must hold probabilities in \[0, 1\].*1\.5"):
        fn(Y, [[0.5, 1.5], [0.1, 0.2]], threshold=0.5)
    with pytest.raises(ValueError, match=r"y_score.*-0\.1.*from_logits=True"):
        fn(Y, [[0.5, -0.1], [0.1, 0.2]], threshold=0.5)
    # The same values are fine as logits.
    fn(Y, [[0.5, 1.5], [-0.1, 0.2]], threshold=0.5, from_logits=True)


@pytest.mark.parametrize("fn", HARD_METRICS, ids=_ids(HARD_METRICS))
def test_threshold_errors(fn: Any) -> None:
    with pytest.raises(ValueError, match=r"threshold must be a scalar or have one value per "
                       r"label \(2\); got shape \(3,\)"):  # fmt: skip
        fn(Y, S, threshold=[0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match=r"threshold.*got shape \(2, 1\)"):
        fn(Y, S, threshold=[[0.5], [0.5]])
    with pytest.raises(ValueError, match=r"threshold must be finite"):
        fn(Y, S, threshold=math.nan)
    with pytest.raises(TypeError, match=r"threshold must be a number"):
        fn(Y, S, threshold="high")
    # The threshold is on the probability scale with or without from_logits: outside [0, 1] it
    # would make a label constant, and both scales refuse it with the same message.
    for from_logits in (True, False):
        for bad in (1.5, -0.25, [0.5, 1.01]):
            with pytest.raises(ValueError, match=r"threshold must lie in \[0, 1\].*probability"):
                fn(Y, S, threshold=bad, from_logits=from_logits)
    with pytest.raises(TypeError, match=r"threshold must be a number.*bool"):
        fn(Y, S, threshold=True)
    with pytest.raises(ValueError, match=r"from_logits=True needs scores and a threshold"):
        fn(Y, P, from_logits=True)


AVERAGED = [
    ml.precision_score,
    ml.recall_score,
    ml.f1_score,
    ml.jaccard_score,
    ml.specificity_score,
    ml.npv_score,
    ml.balanced_accuracy_score,
    ml.matthews_corrcoef,
    ml.cohen_kappa_score,
    ml.roc_auc_score,
    ml.average_precision_score,
]


@pytest.mark.parametrize("fn", AVERAGED, ids=_ids(AVERAGED))
@pytest.mark.parametrize("average", ["binary", "mean", "MACRO", 1])
def test_unknown_average(fn: Any, average: Any) -> None:
    with pytest.raises(ValueError, match=r"average must be one of .*'macro'.*got"):
        fn(Y, _second(fn), average=average)


LABEL_ONLY = [
    ml.specificity_score,
    ml.npv_score,
    ml.balanced_accuracy_score,
    ml.matthews_corrcoef,
    ml.cohen_kappa_score,
]


@pytest.mark.parametrize("fn", LABEL_ONLY, ids=_ids(LABEL_ONLY))
def test_samples_average_is_rejected_for_per_label_metrics(fn: Any) -> None:
    with pytest.raises(ValueError, match=r"average must be one of 'micro', 'macro', 'weighted', "
                       r"None; got 'samples'"):  # fmt: skip
        fn(Y, P, average="samples")


ZD_METRICS = [*AVERAGED[:9], ml.hamming_score]


@pytest.mark.parametrize("fn", ZD_METRICS, ids=_ids(ZD_METRICS))
@pytest.mark.parametrize("zero_division", ["ignore", 2, -1, 0.5, True, None, "nan"])
def test_unknown_zero_division(fn: Any, zero_division: Any) -> None:
    with pytest.raises(ValueError, match=r"zero_division must be 'warn', 0, 1 or nan; got"):
        fn(Y, P, zero_division=zero_division)


@pytest.mark.parametrize("beta", [-1, math.nan, "2", None, True])
def test_bad_beta(beta: Any) -> None:
    with pytest.raises(ValueError, match=r"beta must be a non-negative number.*got"):
        ml.fbeta_score(Y, P, beta=beta)
    with pytest.raises(ValueError, match=r"beta must be"):
        ml.MultilabelCounts.from_batch(Y, P).fbeta_score(beta)


@pytest.mark.parametrize("fn", ALL, ids=_ids(ALL))
def test_sample_weight_errors(fn: Any) -> None:
    second = _second(fn)
    with pytest.raises(ValueError, match=r"sample_weight must have one weight per sample "
                       r"\(2\); got 3"):  # fmt: skip
        fn(Y, second, sample_weight=[1, 1, 1])
    with pytest.raises(ValueError, match=r"sample_weight must be non-negative; found minimum -1"):
        fn(Y, second, sample_weight=[1, -1])
    with pytest.raises(ValueError, match=r"sample_weight must be 1-D.*\(2, 2\)"):
        fn(Y, second, sample_weight=[[1, 1], [1, 1]])
    with pytest.raises(ValueError, match=r"sample_weight must be finite"):
        fn(Y, second, sample_weight=[1, math.nan])


def test_non_numeric_input() -> None:
    with pytest.raises(TypeError, match=r"y_true must be numeric or boolean; got dtype <U1"):
        ml.f1_score([["a", "b"]], [[1, 0]])
    with pytest.raises(TypeError, match=r"y_pred must be .*ragged|y_pred must be array-like"):
        ml.f1_score([[1, 0], [0, 1]], [[1, 0], [0]])


def test_merging_different_label_counts() -> None:
    a = ml.MultilabelCounts.from_batch(Y, P)
    b = ml.MultilabelCounts.from_batch([[1, 0, 1]], [[1, 1, 1]])
    with pytest.raises(ValueError, match=r"different label counts: 2 and 3"):
        a.merge(b)
    with pytest.raises(ValueError, match=r"different label counts"):
        _ = a + b
    with pytest.raises(TypeError, match=r"can only merge MultilabelCounts; got dict"):
        a.merge({})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"batch has 3 labels; this state counts 2"):
        a.update([[1, 0, 1]], [[1, 1, 1]])


def test_state_constructor_and_from_dict_errors() -> None:
    with pytest.raises(ValueError, match=r"n_labels must be at least 1; got 0"):
        ml.MultilabelCounts(0)
    with pytest.raises(TypeError, match=r"n_labels must be an int; got float"):
        ml.MultilabelCounts(2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"label_names must have one name per label \(2\); got 3"):
        ml.MultilabelCounts(2, label_names=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"label_names must be unique"):
        ml.MultilabelCounts(2, label_names=["a", "a"])
    with pytest.raises(ValueError, match=r"schema_version"):
        ml.MultilabelCounts.from_dict({"n_labels": 2})
    good = ml.MultilabelCounts.from_batch(Y, P).to_dict()
    with pytest.raises(ValueError, match=r"data\['tp'\] must hold 2 values"):
        ml.MultilabelCounts.from_dict({**good, "tp": [1.0]})
    with pytest.raises(ValueError, match=r"data\['sample_count'\] must hold \d+ values"):
        ml.MultilabelCounts.from_dict({**good, "sample_count": []})


def _tampered(good: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    if value is _MISSING:
        return {k: v for k, v in good.items() if k != field}
    return {**good, field: value}


_MISSING = object()


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("tp", _MISSING, r"missing field\(s\) 'tp'"),
        ("sample_keys", _MISSING, r"missing field\(s\) 'sample_keys'"),
        ("tp", [-1.0, 0.0], r"data\['tp'\] must hold finite.*found -1\.0 at position 0"),
        ("fn", [math.nan, 0.0], r"data\['fn'\] must hold finite non-negative.*nan"),
        ("tn", [math.inf, 0.0], r"data\['tn'\] must hold finite non-negative.*inf"),
        ("tp", ["a", "b"], r"data\['tp'\] must be a list of numbers"),
        ("tp", 3.0, r"data\['tp'\] must be a list of numbers; got float"),
        ("n_labels", 2.0, r"data\['n_labels'\] must be an integer; got float"),
        ("n_labels", True, r"data\['n_labels'\] must be an integer; got bool"),
        ("n_labels", 0, r"data\['n_labels'\] must be at least 1"),
        ("n_samples", 7, r"data\['n_samples'\] is 7 but data\['sample_count'\] sums to 4"),
        ("n_samples", -1, r"data\['n_samples'\] must be at least 0"),
        ("sample_keys", [0.5, 9, 10, 12], r"data\['sample_keys'\] must hold whole numbers"),
        ("sample_keys", [10, 9, 0, 12], r"data\['sample_keys'\] must be sorted and unique"),
        ("sample_keys", [0, 9, 10, 10_000], r"data\['sample_keys'\] holds keys that are not"),
        ("sample_count", [1, 0, 1, 1], r"data\['sample_count'\] must count at least one sample"),
        ("sample_weight", [1.0, -1.0, 1.0, 1.0], r"data\['sample_weight'\] must hold finite"),
        ("tp", [9.0, 0.0], r"data\['tp'\] exceeds the total sample weight"),
        ("fp", [0.0, 1.0], r"data\['\w+'\] does not match the rest of the state"),
        ("label_names", ["a"], r"data\['label_names'\]: label_names must have one name per"),
    ],
)
def test_from_dict_names_the_tampered_field(field: str, value: Any, match: str) -> None:
    good = ml.MultilabelCounts.from_batch(
        [[1, 0], [0, 1], [1, 1], [0, 0]], [[1, 0], [1, 1], [1, 0], [0, 0]]
    ).to_dict()
    assert len(good["sample_keys"]) == 4 and good["n_samples"] == 4
    assert ml.MultilabelCounts.from_dict(good).to_dict() == good
    with pytest.raises(ValueError, match=match):
        ml.MultilabelCounts.from_dict(_tampered(good, field, value))


def test_signed_to_binary_rejects_other_values() -> None:
    with pytest.raises(ValueError, match=r"labels must contain only -1 and 1; found \[0\]"):
        ml.signed_to_binary([[1, 0]])
