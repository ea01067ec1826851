"""The field's conventions (pedestrian mA and instance metrics, COCO CP/CR/CF1 and OP/OR/OF1)
against hand-computed values, plain per-sample and per-class implementations of the published
definitions, and scikit-learn where a convention coincides with one of its averages."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

import multilabel_attr as ml
from _core_helpers import assert_close, multilabel_data, skm
from multilabel_attr import MultilabelCounts, convention_metrics, convention_scores

Y_TRUE = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
Y_PRED = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 0]])


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else 0.0


def pedestrian_reference(y: np.ndarray, p: np.ndarray, w: np.ndarray | None) -> dict[str, float]:
    """The PETA/RAP/PA-100K definitions, one sample and one attribute at a time."""
    n, n_labels = y.shape
    w = np.ones(n) if w is None else w
    acc = prec = rec = total = 0.0
    for i in range(n):
        truth = set(np.flatnonzero(y[i]).tolist())
        pred = set(np.flatnonzero(p[i]).tolist())
        if w[i] == 0:
            continue
        acc += w[i] * _ratio(len(truth & pred), len(truth | pred))
        prec += w[i] * _ratio(len(truth & pred), len(pred))
        rec += w[i] * _ratio(len(truth & pred), len(truth))
        total += w[i]
    label_ma = []
    for j in range(n_labels):
        tp = sum(w[i] for i in range(n) if y[i, j] == 1 and p[i, j] == 1)
        tn = sum(w[i] for i in range(n) if y[i, j] == 0 and p[i, j] == 0)
        pos = sum(w[i] for i in range(n) if y[i, j] == 1)
        neg = sum(w[i] for i in range(n) if y[i, j] == 0)
        label_ma.append((_ratio(tp, pos) + _ratio(tn, neg)) / 2)
    mean_p, mean_r = prec / total, rec / total
    return {
        "mA": sum(label_ma) / n_labels,
        "instance_accuracy": acc / total,
        "instance_precision": mean_p,
        "instance_recall": mean_r,
        "instance_f1": _ratio(2 * mean_p * mean_r, mean_p + mean_r),
    }


def pedestrian_epsilon_reference(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """The same definitions written the way the reference code writes them: vectorised, with
    a tiny epsilon in each denominator instead of a rule for empty sets."""
    eps = 1e-20
    gt, pt = y == 1, p == 1
    ma = ((gt & pt).sum(0) / (gt.sum(0) + eps) + (~gt & ~pt).sum(0) / ((~gt).sum(0) + eps)) / 2
    inter, union = (gt & pt).sum(1), (gt | pt).sum(1)
    precision = np.mean(inter / (pt.sum(1) + eps))
    recall = np.mean(inter / (gt.sum(1) + eps))
    return {
        "mA": float(ma.mean()),
        "instance_accuracy": float(np.mean(inter / (union + eps))),
        "instance_precision": float(precision),
        "instance_recall": float(recall),
        "instance_f1": float(2 * precision * recall / (precision + recall + eps)),
    }


def coco_reference(y: np.ndarray, p: np.ndarray, w: np.ndarray | None) -> dict[str, float]:
    """Per-class and overall precision and recall, one class at a time."""
    n, n_labels = y.shape
    w = np.ones(n) if w is None else w
    correct, predicted, truth = [], [], []
    for j in range(n_labels):
        correct.append(sum(w[i] for i in range(n) if y[i, j] == 1 and p[i, j] == 1))
        predicted.append(sum(w[i] for i in range(n) if p[i, j] == 1))
        truth.append(sum(w[i] for i in range(n) if y[i, j] == 1))
    cp = sum(_ratio(c, q) for c, q in zip(correct, predicted, strict=True)) / n_labels
    cr = sum(_ratio(c, g) for c, g in zip(correct, truth, strict=True)) / n_labels
    op = _ratio(sum(correct), sum(predicted))
    o_r = _ratio(sum(correct), sum(truth))
    return {
        "CP": cp,
        "CR": cr,
        "CF1": _ratio(2 * cp * cr, cp + cr),
        "OP": op,
        "OR": o_r,
        "OF1": _ratio(2 * op * o_r, op + o_r),
    }


def _close(ours: dict[str, float], expected: dict[str, float]) -> None:
    assert list(ours) == list(expected)
    for key, value in expected.items():
        assert_close(ours[key], value, key)


def test_hand_computed_case() -> None:
    ours = convention_metrics(Y_TRUE, Y_PRED, threshold=None, convention=("pedestrian", "coco"))
    # Attributes: TPR/TNR 1/1, 1/2 and 0/0, 0/1, so mA = (1 + 0.25 + 0.5) / 3.
    # Samples: |Y∩P|, |Y∪P|, |P|, |Y| = (1, 3, 2, 2), (1, 1, 1, 1), (1, 2, 1, 2).
    precision, recall = (1 / 2 + 1 + 1) / 3, (1 / 2 + 1 + 1 / 2) / 3
    expected = {
        "mA": 1.75 / 3,
        "instance_accuracy": (1 / 3 + 1 + 1 / 2) / 3,
        "instance_precision": precision,
        "instance_recall": recall,
        "instance_f1": 2 * precision * recall / (precision + recall),
        "CP": (1 + 1 / 2 + 0) / 3,
        "CR": (1 + 1 / 2 + 0) / 3,
        "CF1": 0.5,
        "OP": 3 / 4,
        "OR": 3 / 5,
        "OF1": 6 / 9,
    }
    _close(ours, expected)
    # The mean of the per-sample F1 (scikit-learn's samples F1) is another number.
    assert skm.f1_score(Y_TRUE, Y_PRED, average="samples") == pytest.approx((0.5 + 1 + 2 / 3) / 3)
    assert abs(ours["instance_f1"] - (0.5 + 1 + 2 / 3) / 3) > 0.01


@settings(max_examples=150, deadline=None)
@given(data=multilabel_data(weights="maybe"))
def test_pedestrian_matches_per_sample_definitions(data: Any) -> None:
    y, p, w = data
    _close(convention_metrics(y, p, threshold=None, sample_weight=w), pedestrian_reference(y, p, w))


@settings(max_examples=150, deadline=None)
@given(data=multilabel_data(weights="none"))
def test_pedestrian_matches_epsilon_reference(data: Any) -> None:
    y, p, _ = data
    _close(convention_metrics(y, p, threshold=None), pedestrian_epsilon_reference(y, p))


@settings(max_examples=150, deadline=None)
@given(data=multilabel_data(weights="maybe"))
def test_coco_matches_per_class_definitions(data: Any) -> None:
    y, p, w = data
    ours = convention_metrics(y, p, threshold=None, sample_weight=w, convention="coco")
    _close(ours, coco_reference(y, p, w))


@settings(max_examples=100, deadline=None)
@given(data=multilabel_data(weights="maybe", min_labels=2))
def test_where_conventions_coincide_with_sklearn(data: Any) -> None:
    pytest.importorskip("sklearn")
    y, p, w = data
    ours = convention_metrics(y, p, threshold=None, sample_weight=w, convention=["coco"])
    kw: dict[str, Any] = {"sample_weight": w, "zero_division": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(ours["OP"], skm.precision_score(y, p, average="micro", **kw), "OP")
        assert_close(ours["OR"], skm.recall_score(y, p, average="micro", **kw), "OR")
        assert_close(ours["OF1"], skm.f1_score(y, p, average="micro", **kw), "OF1")
        assert_close(ours["CP"], skm.precision_score(y, p, average="macro", **kw), "CP")
        assert_close(ours["CR"], skm.recall_score(y, p, average="macro", **kw), "CR")
        pedestrian = convention_metrics(y, p, threshold=None, sample_weight=w)
        for key, function in (
            ("instance_accuracy", skm.jaccard_score),
            ("instance_precision", skm.precision_score),
            ("instance_recall", skm.recall_score),
        ):
            assert_close(pedestrian[key], function(y, p, average="samples", **kw), key)


def test_ma_is_balanced_accuracy_where_both_classes_occur() -> None:
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(3)
    y = (rng.random((60, 5)) < 0.4).astype(int)
    y[0], y[1] = 0, 1
    p = (rng.random((60, 5)) < 0.5).astype(int)
    expected = np.mean([skm.balanced_accuracy_score(y[:, j], p[:, j]) for j in range(5)])
    assert_close(convention_metrics(y, p, threshold=None)["mA"], expected)
    # An attribute without positives: its missing class counts with recall 0 in mA, while
    # balanced accuracy (the scikit-learn rule) leaves that class out.
    y[:, 0] = 0
    ours = convention_metrics(y, p, threshold=None)["mA"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk_first = skm.balanced_accuracy_score(y[:, 0], p[:, 0])
    assert_close(sk_first, np.mean(p[:, 0] == 0))
    label_ma = [np.mean(p[:, 0] == 0) / 2] + [
        skm.balanced_accuracy_score(y[:, j], p[:, j]) for j in range(1, 5)
    ]
    assert_close(ours, np.mean(label_ma))


def test_streamed_and_merged_states_give_the_one_pass_numbers() -> None:
    rng = np.random.default_rng(7)
    y = (rng.random((200, 6)) < 0.3).astype(int)
    scores = np.clip(y * 0.4 + rng.random((200, 6)) * 0.7, 0, 1)
    both = ("pedestrian", "coco")
    expected = convention_metrics(y, scores, convention=both, threshold=0.5)
    first = MultilabelCounts(6).update(y[:70], scores[:70], threshold=0.5)
    second = MultilabelCounts(6).update(y[70:], scores[70:], threshold=0.5)
    assert convention_scores(first.merge(second), both) == expected


def test_scores_thresholds_and_logits_count_like_the_core() -> None:
    rng = np.random.default_rng(11)
    y = (rng.random((50, 4)) < 0.5).astype(int)
    logits = rng.normal(size=(50, 4))
    probabilities = 1 / (1 + np.exp(-logits))
    thresholds = [0.3, 0.5, 0.6, 0.7]
    from_scores = convention_metrics(y, probabilities, threshold=thresholds, convention="coco")
    from_logits = convention_metrics(
        y, logits, threshold=thresholds, from_logits=True, convention="coco"
    )
    hard = (probabilities >= np.array(thresholds)).astype(int)
    assert from_scores == pytest.approx(from_logits, abs=1e-12)
    _close(from_scores, coco_reference(y, hard, None))


def test_integer_weights_repeat_rows() -> None:
    rng = np.random.default_rng(5)
    y = (rng.random((30, 4)) < 0.4).astype(int)
    p = (rng.random((30, 4)) < 0.4).astype(int)
    w = rng.integers(0, 4, 30)
    w[0] = 1
    both = ["coco", "pedestrian"]
    weighted = convention_metrics(y, p, threshold=None, sample_weight=w, convention=both)
    repeated = convention_metrics(
        np.repeat(y, w, axis=0), np.repeat(p, w, axis=0), threshold=None,
        convention=both,
    )  # fmt: skip
    for key, value in repeated.items():
        assert_close(weighted[key], value, key)


def test_no_undefined_metric_warnings() -> None:
    y = np.zeros((3, 2), int)
    p = np.zeros((3, 2), int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = convention_metrics(y, p, threshold=None, convention=("pedestrian", "coco"))
    assert values["instance_f1"] == 0.0 and values["CF1"] == 0.0 and values["mA"] == 0.5


@pytest.mark.parametrize("bad", ["voc", "", [], ("coco", "x"), 3, None, b"coco"])
def test_bad_convention_is_refused_before_counting(bad: Any) -> None:
    with pytest.raises(ValueError, match="convention must be one of 'pedestrian', 'coco'"):
        convention_metrics(np.ones((2, 2, 2)), None, convention=bad)


def test_bad_state_and_empty_state() -> None:
    with pytest.raises(TypeError, match="counts must be a MultilabelCounts"):
        convention_scores(Y_TRUE, "coco")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no samples have been counted"):
        convention_scores(MultilabelCounts(3))
    with pytest.raises(ValueError, match="sample_weight"):
        convention_metrics(Y_TRUE, Y_PRED, threshold=None, sample_weight=[0, 0, 0])


def test_exported() -> None:
    assert {"convention_metrics", "convention_scores"} <= set(ml.__all__)


def test_sparse_input_is_counted_without_densifying() -> None:
    sparse = pytest.importorskip("scipy.sparse")
    rng = np.random.default_rng(13)
    y = (rng.random((40, 6)) < 0.2).astype(int)
    p = (rng.random((40, 6)) < 0.2).astype(int)
    both = ("pedestrian", "coco")
    dense = convention_metrics(y, p, threshold=None, convention=both)
    assert convention_metrics(
        sparse.csr_matrix(y), sparse.csr_matrix(p), threshold=None, convention=both
    ) == pytest.approx(dense, abs=1e-12)
