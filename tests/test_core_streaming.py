"""MultilabelCounts: streaming and merging equal the one-shot result; state size and round trip."""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import multilabel_attr as ml
from _core_helpers import multilabel_data

ZD = math.nan


def all_metrics(state: ml.MultilabelCounts) -> dict[str, Any]:
    """Every count-based metric the state offers, in every average it supports."""
    out: dict[str, Any] = {
        "hamming_loss": state.hamming_loss(),
        "label_accuracy": state.label_accuracy(),
        "hamming_score": state.hamming_score(zero_division=ZD),
        "subset_accuracy": state.subset_accuracy(),
        "confusion": state.confusion_matrix(),
        "support": state.support,
        "total_weight": state.total_weight,
    }
    for method in ("precision_score", "recall_score", "f1_score", "jaccard_score"):
        for average in ("micro", "macro", "weighted", "samples", None):
            out[f"{method}/{average}"] = getattr(state, method)(average, zero_division=ZD)
    for average in ("micro", "macro", "weighted", "samples", None):
        out[f"fbeta2/{average}"] = state.fbeta_score(2.0, average, zero_division=ZD)
    for method in (
        "specificity_score",
        "npv_score",
        "balanced_accuracy_score",
        "matthews_corrcoef",
        "cohen_kappa_score",
    ):
        for average in ("micro", "macro", "weighted", None):
            out[f"{method}/{average}"] = getattr(state, method)(average, zero_division=ZD)
    return out


def assert_same_metrics(a: ml.MultilabelCounts, b: ml.MultilabelCounts, exact: bool) -> None:
    ma, mb = all_metrics(a), all_metrics(b)
    assert ma.keys() == mb.keys()
    for key in ma:
        if exact:
            np.testing.assert_array_equal(ma[key], mb[key], err_msg=key)
        else:
            # Float weights are summed in another order: equal to rounding, as the README says.
            np.testing.assert_allclose(ma[key], mb[key], rtol=1e-15, atol=1e-15, err_msg=key)


def _splits(draw: Any, n: int) -> list[int]:
    cuts = draw(st.lists(st.integers(1, max(1, n - 1)), max_size=4)) if n > 1 else []
    return sorted(set(cuts))


@settings(max_examples=40, deadline=None)
@given(data=multilabel_data(max_samples=20, weights="maybe"), draw=st.data())
def test_update_over_any_split_equals_one_shot(data: Any, draw: Any) -> None:
    y_true, y_pred, sw = data
    one_shot = ml.MultilabelCounts.from_batch(y_true, y_pred, sample_weight=sw)
    state = ml.MultilabelCounts(y_true.shape[1])
    bounds = [0, *_splits(draw.draw, len(y_true)), len(y_true)]
    for start, stop in itertools.pairwise(bounds):
        returned = state.update(
            y_true[start:stop],
            y_pred[start:stop],
            sample_weight=None if sw is None else sw[start:stop],
        )
        assert returned is state
    assert state.n_samples == one_shot.n_samples
    if sw is None:
        # Integer counts: streaming is bit-for-bit the one-shot state.
        assert state == one_shot
    assert_same_metrics(state, one_shot, exact=sw is None)


@settings(max_examples=40, deadline=None)
@given(data=multilabel_data(max_samples=20, weights="maybe"), draw=st.data())
def test_merging_partial_states_in_any_order_equals_one_shot(data: Any, draw: Any) -> None:
    y_true, y_pred, sw = data
    one_shot = ml.MultilabelCounts.from_batch(y_true, y_pred, sample_weight=sw)
    bounds = [0, *_splits(draw.draw, len(y_true)), len(y_true)]
    parts = [
        ml.MultilabelCounts.from_batch(
            y_true[a:b], y_pred[a:b], sample_weight=None if sw is None else sw[a:b]
        )
        for a, b in itertools.pairwise(bounds)
    ]
    # Merge in a random tree order, alternating merge() and +.
    while len(parts) > 1:
        i = draw.draw(st.integers(0, len(parts) - 2))
        left, right = parts[i], parts[i + 1]
        parts[i : i + 2] = [left + right if i % 2 else left.merge(right)]
    merged = parts[0]
    if sw is None:
        assert merged == one_shot
    assert_same_metrics(merged, one_shot, exact=sw is None)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_batches=st.integers(1, 5))
def test_streaming_scores_with_thresholds(seed: int, n_batches: int) -> None:
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, (50, 4))
    y_score = rng.random((50, 4)).astype(np.float32)
    threshold = rng.uniform(0.2, 0.8, 4)
    one_shot = ml.MultilabelCounts.from_batch(y_true, y_score, threshold=threshold)
    state = ml.MultilabelCounts(4)
    for rows in np.array_split(np.arange(50), n_batches):
        state.update(y_true[rows], y_score[rows], threshold=threshold)
    assert state == one_shot


def test_merge_is_not_in_place_and_update_chains() -> None:
    a = ml.MultilabelCounts.from_batch([[1, 0]], [[1, 1]])
    b = ml.MultilabelCounts.from_batch([[0, 1]], [[0, 1]])
    before = a.to_dict()
    merged = a + b
    assert a.to_dict() == before
    assert merged.n_samples == 2
    chained = ml.MultilabelCounts(2).update([[1, 0]], [[1, 1]]).update([[0, 1]], [[0, 1]])
    assert chained == merged


def test_invalid_batch_leaves_state_unchanged() -> None:
    state = ml.MultilabelCounts.from_batch([[1, 0]], [[1, 1]])
    before = state.to_dict()
    with pytest.raises(ValueError, match="y_pred"):
        state.update([[1, 0]], [[2, 1]])
    with pytest.raises(ValueError, match="labels"):
        state.update([[1, 0, 1]], [[1, 1, 1]])
    assert state.to_dict() == before


def test_reset() -> None:
    state = ml.MultilabelCounts.from_batch([[1, 0]], [[1, 1]], label_names=["a", "b"])
    state.reset()
    assert state.n_samples == 0
    assert state.label_names == ("a", "b")
    assert state == ml.MultilabelCounts(2)


@pytest.mark.parametrize("weighted", [False, True])
def test_to_dict_round_trips_through_json(weighted: bool) -> None:
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, (200, 5))
    y_pred = rng.integers(0, 2, (200, 5))
    sw = rng.uniform(0, 3, 200) if weighted else None
    state = ml.MultilabelCounts.from_batch(
        y_true, y_pred, sample_weight=sw, label_names=list("abcde")
    )
    restored = ml.MultilabelCounts.from_dict(json.loads(json.dumps(state.to_dict())))
    assert restored == state
    assert restored.label_names == state.label_names
    assert_same_metrics(restored, state, exact=True)
    # A restored state keeps streaming.
    restored.update(y_true[:3], y_pred[:3], sample_weight=None if sw is None else sw[:3])
    assert restored.n_samples == 203


def test_state_size_depends_on_distinct_patterns_not_samples() -> None:
    rng = np.random.default_rng(1)
    patterns_true = rng.integers(0, 2, (6, 40))
    patterns_pred = rng.integers(0, 2, (6, 40))
    sizes = []
    for n in (100, 10_000, 200_000):
        rows = rng.integers(0, 6, n)
        state = ml.MultilabelCounts.from_batch(patterns_true[rows], patterns_pred[rows])
        assert state.sample_keys.size <= 6
        shape = {k: len(v) for k, v in state.to_dict().items() if isinstance(v, list)}
        sizes.append(shape)
    # Same number of stored values whatever the number of samples.
    assert sizes[0] == sizes[1] == sizes[2]
    streamed = ml.MultilabelCounts(40)
    for _ in range(50):
        rows = rng.integers(0, 6, 1000)
        streamed.update(patterns_true[rows], patterns_pred[rows])
    assert streamed.sample_keys.size <= 6
    assert streamed.n_samples == 50_000


def test_state_size_is_bounded_by_label_count() -> None:
    # Per-sample triples (tp, fp, fn) with tp + fp + fn <= n_labels: at most
    # (n_labels + 1)(n_labels + 2)(n_labels + 3) / 6 distinct ones, whatever n.
    rng = np.random.default_rng(2)
    n_labels = 3
    state = ml.MultilabelCounts(n_labels)
    for _ in range(20):
        state.update(rng.integers(0, 2, (500, n_labels)), rng.integers(0, 2, (500, n_labels)))
    assert state.sample_keys.size <= (n_labels + 1) * (n_labels + 2) * (n_labels + 3) // 6


def test_empty_state_refuses_metrics() -> None:
    state = ml.MultilabelCounts(3)
    with pytest.raises(ValueError, match="no samples"):
        state.f1_score()
    with pytest.raises(ValueError, match="no samples"):
        state.hamming_loss()


def test_label_names_in_from_batch_and_merge() -> None:
    a = ml.MultilabelCounts.from_batch([[1, 0]], [[1, 1]], label_names=["x", "y"])
    b = ml.MultilabelCounts.from_batch([[1, 0]], [[1, 1]])
    assert (a + b).label_names == ("x", "y")
    c = ml.MultilabelCounts.from_batch([[1, 0]], [[1, 1]], label_names=["y", "x"])
    with pytest.raises(ValueError, match="label_names"):
        a.merge(c)
