"""Placements among the other class, located without sorting the larger class."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multilabel_attr.core.ranking._placements import class_placements, order_keys, rank_among

FLOATS = st.sampled_from([np.float32, np.float64])


def _scores(rng: np.random.Generator, n: int, kind: str, dtype: type) -> np.ndarray:
    if kind == "coarse":  # many ties within and across the classes, both signs, zeros of both signs
        values = rng.integers(-4, 5, size=n) / 4
        values[rng.random(n) < 0.2] = -0.0
    elif kind == "crowded":  # a dense run of neighbouring floats and a few far away
        values = np.nextafter(np.float32(0.5), np.float32(1), dtype=np.float32) * np.ones(n)
        values += rng.integers(0, 40, size=n) * float(np.spacing(np.float32(0.5)))
        values[rng.random(n) < 0.05] = 3e7
    else:
        values = rng.normal(scale=10.0 ** rng.integers(-3, 4), size=n)
    return np.asarray(values, dtype=dtype)


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(2, 300), kind=st.sampled_from(["coarse", "crowded", "wide"]), dtype=FLOATS,
    share=st.floats(0.01, 0.99), seed=st.integers(0, 2**31 - 1),
)  # fmt: skip
def test_class_placements_equal_the_pairwise_count(
    n: int, kind: str, dtype: type, share: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    scores = _scores(rng, n, kind, dtype)
    truth = rng.random(n) < share
    truth[0], truth[1] = True, False  # both classes present
    pos, neg = scores[truth], scores[~truth]
    # A positive's placement: the negatives below it, ties one half; a negative's: the
    # positives above it, ties one half.
    kernel = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    pos_place, neg_place = class_placements(truth, scores)
    np.testing.assert_array_equal(np.sort(pos_place), np.sort(kernel.sum(axis=1)))
    np.testing.assert_array_equal(np.sort(neg_place), np.sort(kernel.sum(axis=0)))


@settings(max_examples=80, deadline=None)
@given(
    n_values=st.integers(1, 200), n_keys=st.integers(0, 300),
    kind=st.sampled_from(["coarse", "crowded", "wide"]), dtype=FLOATS,
    seed=st.integers(0, 2**31 - 1),
)  # fmt: skip
def test_rank_among_equals_searchsorted(
    n_values: int, n_keys: int, kind: str, dtype: type, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    distinct = np.unique(order_keys(_scores(rng, n_values, kind, dtype)))
    keys = order_keys(_scores(rng, n_keys, kind, dtype))
    below, equal = rank_among(distinct, keys)
    # The ranks may come sorted by key (crowded cells): compare them as multisets.
    expected = np.searchsorted(distinct, keys)
    np.testing.assert_array_equal(np.sort(below), np.sort(expected))
    expected_equal = np.isin(keys, distinct)
    assert equal.sum() == expected_equal.sum()
    np.testing.assert_array_equal(
        np.sort(below[equal]), np.sort(np.searchsorted(distinct, keys[expected_equal]))
    )


def test_crowded_scores_take_the_sorting_path_and_agree() -> None:
    # Forty neighbouring floats share one cell of the table (one far value widens every
    # cell): more than the steps are worth, so the keys are sorted and searched instead.
    near = np.float32(0.5) + np.arange(40, dtype=np.float32) * np.spacing(np.float32(0.5))
    distinct = np.unique(order_keys(np.r_[near, np.float32(1e30)]))
    keys = order_keys(np.r_[near[::-1], near + np.spacing(np.float32(0.5)) / 2])
    below, equal = rank_among(distinct, keys)
    assert np.array_equal(below, np.sort(np.searchsorted(distinct, keys)))  # sorted order
    assert equal.sum() == 40 + int(np.isin(keys[40:], distinct).sum())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_order_keys_order_and_tie_as_the_scores(dtype: type) -> None:
    rng = np.random.default_rng(0)
    values = np.r_[rng.normal(scale=1e3, size=500), [0.0, -0.0, np.inf, -np.inf, 1e-45, -1e-45]]
    scores = values.astype(dtype)
    keys = order_keys(scores)
    assert keys.dtype == (np.uint32 if dtype is np.float32 else np.uint64)
    i, j = rng.integers(0, scores.size, size=(2, 5000))
    assert np.array_equal(keys[i] < keys[j], scores[i] < scores[j])
    assert np.array_equal(keys[i] == keys[j], scores[i] == scores[j])
