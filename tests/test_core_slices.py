"""Sliced counting: one pass gives each slice exactly the counts of that slice alone."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import multilabel_attr as ml


def _rows(seed: int, n: int = 400, n_labels: int = 6) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    y_true = rng.random((n, n_labels)) < 0.4
    y_score = rng.random((n, n_labels)).astype(np.float32)
    return y_true, y_score


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 200),
    n_keys=st.integers(1, 5),
    crossed=st.booleans(),
    weighted=st.booleans(),
)
def test_each_slice_equals_counting_it_alone(
    seed: int, n: int, n_keys: int, crossed: bool, weighted: bool
) -> None:
    rng = np.random.default_rng(seed)
    y_true = rng.random((n, 5)) < 0.4
    y_score = rng.random((n, 5))
    a = rng.integers(0, n_keys, n)
    b = rng.choice(["x", "y"], n)
    weight = rng.random(n) if weighted else None
    groups: Any = {"a": a, "b": b} if crossed else a
    state = ml.SlicedCounts(5).update(
        y_true, y_score, groups=groups, threshold=0.5, sample_weight=weight
    )
    for key, counts in state.items():
        rows = (a == key[0]) & (b == key[1]) if crossed else a == key[0]
        alone = ml.MultilabelCounts.from_batch(
            y_true[rows], y_score[rows], threshold=0.5,
            sample_weight=None if weight is None else weight[rows],
        )  # fmt: skip
        if weight is None:
            assert counts == alone  # bit for bit
        else:
            for name in ("tp", "fp", "fn", "tn", "sample_weight"):
                np.testing.assert_allclose(getattr(counts, name), getattr(alone, name), rtol=1e-12)
            np.testing.assert_array_equal(counts.sample_keys, alone.sample_keys)
    whole = ml.MultilabelCounts.from_batch(y_true, y_score, threshold=0.5, sample_weight=weight)
    if weight is None:
        assert state.overall == whole
    assert sum(state.sizes.values()) == n


def test_samples_averages_are_exact_per_slice() -> None:
    y_true, y_score = _rows(0)
    groups = np.random.default_rng(1).choice(["p", "q", "r"], y_true.shape[0])
    state = ml.SlicedCounts(6).update(y_true, y_score, groups=groups, threshold=0.5)
    for key in ("p", "q", "r"):
        rows = groups == key
        expected = ml.f1_score(y_true[rows], y_score[rows], threshold=0.5, average="samples",
                               zero_division=0)  # fmt: skip
        assert state.slice(key).f1_score("samples", zero_division=0) == expected


def test_streaming_merging_and_saving_agree_with_one_pass() -> None:
    y_true, y_score = _rows(2)
    groups = {"site": np.random.default_rng(3).integers(0, 3, y_true.shape[0])}
    once = ml.SlicedCounts(6).update(y_true, y_score, groups=groups, threshold=0.5)
    first = ml.SlicedCounts(6).update(
        y_true[:150], y_score[:150], groups={"site": groups["site"][:150]}, threshold=0.5
    )
    second = ml.SlicedCounts(6).update(
        y_true[150:], y_score[150:], groups={"site": groups["site"][150:]}, threshold=0.5
    )
    assert first + second == once
    streamed = ml.SlicedCounts(6)
    for rows in (slice(0, 100), slice(100, 400)):
        streamed.update(y_true[rows], y_score[rows], groups={"site": groups["site"][rows]},
                        threshold=0.5)  # fmt: skip
    assert streamed == once
    restored = ml.SlicedCounts.from_dict(json.loads(json.dumps(once.to_dict())))
    assert restored == once
    assert restored.slice({"site": 1}) == once.slice(1) == once.slice("site=1")


def test_slicing_by_label_columns_leaves_them_out() -> None:
    y_true, y_score = _rows(4)
    names = ["Male", "Young", "Smiling", "Bald", "Hat", "Glasses"]
    state = ml.SlicedCounts.from_batch(
        y_true, y_score, groups=["Male", "Young"], threshold=0.5, label_names=names
    )
    assert state.counted_labels == ("Smiling", "Bald", "Hat", "Glasses")
    assert state.factors == ("Male", "Young")
    rows = y_true[:, 0] & ~y_true[:, 1]
    alone = ml.MultilabelCounts.from_batch(y_true[rows][:, 2:], y_score[rows][:, 2:], threshold=0.5)
    assert state.slice((1, 0)) == alone
    assert state.slice("Male=1, Young=0").label_names == ("Smiling", "Bald", "Hat", "Glasses")


def test_key_types_are_kept() -> None:
    y_true, y_score = _rows(5, n=6, n_labels=2)
    for groups, keys in (
        ([True, False, True, True, False, False], [(False,), (True,)]),
        (np.array([1, 2, 1, 1, 2, 2], dtype=np.int32), [(1,), (2,)]),
        (np.array(["a", "b", "a", "a", "b", "b"], dtype=object), [("a",), ("b",)]),
    ):
        state = ml.SlicedCounts(2).update(y_true, y_score, groups=groups, threshold=0.5)
        assert state.keys == keys
        assert [type(v) for key in state.keys for v in key] == [type(keys[0][0])] * 2


@pytest.mark.parametrize(
    ("groups", "error", "match"),
    [
        (np.arange(5), ValueError, r"groups must have one key per sample \(6\); got 5"),
        (np.array([1.0, np.nan, 1, 1, 2, 2]), ValueError, "groups holds NaN at row 1"),
        (
            np.array(["a", None, "a", "a", "b", "b"], dtype=object),
            ValueError,
            "groups holds None at row 1",
        ),
        (np.array(["a", 1, "a", "a", "b", "b"], dtype=object), TypeError, "groups mixes key types"),
        (np.array([0.5, 1, 1, 1, 2, 2]), TypeError, "groups must hold bools, ints or strings"),
        (np.zeros((6, 2)), ValueError, "groups must be a 1-D array"),
        (
            np.array([2**63 + 5, 1, 1, 1, 2, 2], dtype=np.uint64),
            ValueError,
            "groups holds the int key 9223372036854775813 at row 0, outside the 64-bit",
        ),
        (
            np.array([1, -(2**64), 1, 1, 2, 2], dtype=object),
            ValueError,
            "groups holds the int key -18446744073709551616 at row 1",
        ),
        (np.array([b"a", b"b"] * 3), TypeError, r"got dtype \|S1$"),
        (
            {"a": np.arange(6), "b": np.arange(5)},
            ValueError,
            r"groups\['b'\] must have one key per sample",
        ),
    ],
)
def test_bad_groups_are_refused(groups: Any, error: type[Exception], match: str) -> None:
    y_true, y_score = _rows(6, n=6, n_labels=2)
    state = ml.SlicedCounts(2)
    with pytest.raises(error, match=match):
        state.update(y_true, y_score, groups=groups, threshold=0.5)
    assert state.keys == []


def test_caps_and_slicing_labels_are_checked() -> None:
    y_true, y_score = _rows(7, n=50, n_labels=3)
    with pytest.raises(ValueError, match="more than max_slices=3"):
        ml.SlicedCounts(3, max_slices=3).update(y_true, y_score, groups=np.arange(50) % 4,
                                                threshold=0.5)  # fmt: skip
    state = ml.SlicedCounts(3, max_slices=3).update(
        y_true, y_score, groups=np.arange(50) % 3, threshold=0.5
    )
    with pytest.raises(ValueError, match="would make 4 slices"):
        state.update(y_true, y_score, groups=np.full(50, 7), threshold=0.5)
    signed = np.where(y_true, 1, -1)
    with pytest.raises(ValueError, match="slicing label 'a'"):
        ml.SlicedCounts.from_batch(signed, y_score, groups="a", label_names=["a", "b", "c"],
                                   threshold=0.5)  # fmt: skip
    with pytest.raises(ValueError, match="pass label_names"):
        ml.SlicedCounts.from_batch(y_true, y_score, groups="a", threshold=0.5)
    with pytest.raises(ValueError, match="unknown labels"):
        ml.SlicedCounts.from_batch(y_true, y_score, groups="z", label_names=["a", "b", "c"],
                                   threshold=0.5)  # fmt: skip
    with pytest.raises(TypeError, match="max_slices must be an int"):
        ml.SlicedCounts(3, max_slices=2.5)  # type: ignore[arg-type]


def test_tampered_saved_state_is_refused() -> None:
    y_true, y_score = _rows(8, n=40, n_labels=2)
    data = ml.SlicedCounts(2).update(y_true, y_score, groups=np.arange(40) % 2,
                                     threshold=0.5).to_dict()  # fmt: skip
    bad_key = json.loads(json.dumps(data))
    bad_key["slices"][0]["key"] = ["0"]
    with pytest.raises(ValueError, match="must hold int keys"):
        ml.SlicedCounts.from_dict(bad_key)
    huge = json.loads(json.dumps(data))
    huge["slices"][0]["key"] = [2**70]
    with pytest.raises(ValueError, match=r"must hold int keys within int64; got int 1180591"):
        ml.SlicedCounts.from_dict(huge)
    repeated = json.loads(json.dumps(data))
    repeated["slices"][1]["key"] = [0]
    with pytest.raises(ValueError, match="repeats the slice"):
        ml.SlicedCounts.from_dict(repeated)
    with pytest.raises(ValueError, match="schema_version"):
        ml.SlicedCounts.from_dict({**data, "schema_version": 9})


def test_states_that_do_not_match_are_not_merged() -> None:
    y_true, y_score = _rows(9, n=40, n_labels=3)
    groups = {"g": np.arange(40) % 2}
    state = ml.SlicedCounts(3).update(y_true, y_score, groups=groups, threshold=0.5)
    fewer = ml.SlicedCounts(2).update(y_true[:, :2], y_score[:, :2], groups=groups, threshold=0.5)
    with pytest.raises(ValueError, match=r"this state counts 3 labels .*; the other 2"):
        state.merge(fewer)
    strings = {"g": np.array(["a", "b"] * 20)}
    other = ml.SlicedCounts(3).update(y_true, y_score, groups=strings, threshold=0.5)
    with pytest.raises(ValueError, match="mixes key types across batches"):
        state.merge(other)
    with pytest.raises(TypeError, match="can only merge SlicedCounts; got int"):
        state.merge(5)  # type: ignore[arg-type]
    assert state == ml.SlicedCounts(3).update(y_true, y_score, groups=groups, threshold=0.5)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("contiguous", [False, True])
def test_many_blocks_and_threads_count_each_slice_exactly(weighted: bool, contiguous: bool) -> None:
    # Enough rows for several blocks on several threads; contiguous keys leave whole blocks
    # without some slices.
    rng = np.random.default_rng(9)
    n = 90_000
    y_true = rng.random((n, 37)) < 0.3
    y_score = rng.random((n, 37)).astype(np.float32)
    groups = np.sort(rng.integers(0, 5, n)) if contiguous else rng.integers(0, 5, n)
    weight = rng.random(n) if weighted else None
    state = ml.SlicedCounts(37).update(y_true, y_score, groups=groups, threshold=0.4,
                                       sample_weight=weight)  # fmt: skip
    _assert_each_slice_counts_alike(state, y_true, y_score, groups, 0.4, weight)


def _assert_each_slice_counts_alike(
    state: ml.SlicedCounts, y_true: Any, y_score: Any, groups: Any, threshold: float, weight: Any
) -> None:
    """Each slice's counts are those of counting its rows alone (weighted sums to 1e-9)."""
    for (key,), counts in state.items():
        rows = groups == key
        alone = ml.MultilabelCounts.from_batch(
            y_true[rows], y_score[rows], threshold=threshold,
            sample_weight=None if weight is None else weight[rows],
        )  # fmt: skip
        if weight is None:
            assert counts == alone
        else:
            for name in ("tp", "fp", "fn", "tn", "sample_weight"):
                np.testing.assert_allclose(getattr(counts, name), getattr(alone, name), rtol=1e-9)
            np.testing.assert_array_equal(counts.sample_keys, alone.sample_keys)
            np.testing.assert_array_equal(counts.sample_count, alone.sample_count)


def test_slicing_labels_over_many_blocks_are_left_out_exactly() -> None:
    rng = np.random.default_rng(10)
    n = 70_000
    y_true = rng.random((n, 21)) < 0.35
    y_score = rng.random((n, 21)).astype(np.float32)
    names = [f"a{j}" for j in range(21)]
    state = ml.SlicedCounts.from_batch(
        y_true, y_score, groups=["a3", "a17"], threshold=0.5, label_names=names
    )
    kept = [j for j in range(21) if j not in (3, 17)]
    for key, counts in state.items():
        rows = (y_true[:, 3] == key[0]) & (y_true[:, 17] == key[1])
        alone = ml.MultilabelCounts.from_batch(
            y_true[rows][:, kept], y_score[rows][:, kept], threshold=0.5
        )
        assert counts == alone


def test_many_slices_of_uneven_sizes_count_each_slice_exactly() -> None:
    # Hundreds of slices (counted in small groups of rows) beside one holding half the rows
    # (many whole groups per block), over several blocks and threads.
    rng = np.random.default_rng(11)
    n = 80_000
    y_true = rng.random((n, 13)) < 0.3
    y_score = rng.random((n, 13))
    groups = np.where(rng.random(n) < 0.5, 0, rng.integers(1, 400, n))
    state = ml.SlicedCounts(13, max_slices=400).update(
        y_true, y_score, groups=groups, threshold=0.5
    )
    assert len(state.keys) == 400
    pred = y_score >= 0.5
    for (key,), counts in state.items():
        rows = groups == key
        truth, hit = y_true[rows], y_true[rows] & pred[rows]
        np.testing.assert_array_equal(counts.tp, hit.sum(axis=0))
        np.testing.assert_array_equal(counts.fp, pred[rows].sum(axis=0) - hit.sum(axis=0))
        np.testing.assert_array_equal(counts.fn, truth.sum(axis=0) - hit.sum(axis=0))
        assert counts == ml.MultilabelCounts.from_batch(truth, y_score[rows], threshold=0.5)


@settings(max_examples=40, deadline=None)
@given(
    pool=st.lists(st.text(max_size=4), min_size=1, max_size=20, unique=True),
    seed=st.integers(0, 10_000),
    step=st.sampled_from([1, 2]),
)
def test_string_keys_are_told_apart_exactly(pool: list[str], seed: int, step: int) -> None:
    # Any text (empty, non-ASCII, sharing prefixes), few or many distinct keys, and a
    # strided key array: the slices are numpy's distinct keys, in its order.
    rng = np.random.default_rng(seed)
    n = 120
    pool = pool + [key + "\u00e9" for key in pool]  # keys that differ after a shared start
    keys = np.array(pool)[rng.integers(0, len(pool), 2 * n)][::step][:n]
    y_true = rng.random((keys.size, 3)) < 0.5
    y_pred = rng.random((keys.size, 3)) < 0.5
    state = ml.SlicedCounts(3, max_slices=100).update(y_true, y_pred, groups={"k": keys})
    distinct, sizes = np.unique(keys, return_counts=True)
    assert state.keys == [(key,) for key in distinct.tolist()]
    assert list(state.sizes.values()) == sizes.tolist()
    for (key,), counts in state.items():
        rows = keys == key
        assert counts == ml.MultilabelCounts.from_batch(y_true[rows], y_pred[rows])


def test_string_keys_over_many_chunks_of_rows() -> None:
    # Enough rows for several chunks on several threads; a key first seen late.
    rng = np.random.default_rng(12)
    keys = rng.choice(["young", "old", "older"], 200_000)
    keys[150_000] = "oldest"
    y_true = rng.random((keys.size, 2)) < 0.5
    state = ml.SlicedCounts(2).update(y_true, y_true, groups={"age": keys})
    distinct, sizes = np.unique(keys, return_counts=True)
    assert state.keys == [(key,) for key in distinct.tolist()]
    assert list(state.sizes.values()) == sizes.tolist()
    for (key,), counts in state.items():
        np.testing.assert_array_equal(counts.tp, y_true[keys == key].sum(axis=0))


@settings(max_examples=40, deadline=None)
@given(
    low=st.integers(-5, 5),
    spread=st.integers(0, 3),
    seed=st.integers(0, 10_000),
    kind=st.sampled_from(["int64", "uint8", "int32", "bool"]),
)
def test_int_and_bool_keys_are_numbered_as_numpy_does(
    low: int, spread: int, seed: int, kind: str
) -> None:
    # One, two (the shortcut for 0/1-like keys) or more values, offset from zero.
    rng = np.random.default_rng(seed)
    keys = rng.integers(low, low + spread + 1, 90)
    keys = keys > low if kind == "bool" else keys - min(low, 0) if kind == "uint8" else keys
    keys = keys.astype(kind)
    y_true = rng.random((keys.size, 2)) < 0.5
    state = ml.SlicedCounts(2).update(y_true, y_true, groups={"k": keys})
    distinct, sizes = np.unique(keys, return_counts=True)
    assert state.keys == [(key,) for key in distinct.tolist()]
    assert list(state.sizes.values()) == sizes.tolist()


def test_more_slices_than_rows_in_a_block_count_each_slice_exactly() -> None:
    rng = np.random.default_rng(13)
    n = 1_500
    y_true = rng.random((n, 5)) < 0.4
    y_score = rng.random((n, 5))
    groups = rng.permutation(np.concatenate([np.arange(1_200), rng.integers(0, 1_200, 300)]))
    state = ml.SlicedCounts(5, max_slices=1_200).update(
        y_true, y_score, groups=groups, threshold=0.5
    )
    assert len(state.keys) == 1_200
    for (key,), counts in state.items():
        rows = groups == key
        assert counts == ml.MultilabelCounts.from_batch(y_true[rows], y_score[rows], threshold=0.5)


@pytest.mark.parametrize("dtype", ["int64", "uint64", "object"])
def test_int_keys_at_the_ends_of_int64_keep_their_values(dtype: str) -> None:
    # Their range (2**64 - 1) does not fit in int64: no wrap-around in numbering them.
    rng = np.random.default_rng(17)
    ends = [-(2**63), 2**63 - 1, 0] if dtype != "uint64" else [0, 2**63 - 1, 7]
    keys = np.array([ends[i] for i in rng.integers(0, 3, 60)], dtype=dtype)
    y_true = rng.random((keys.size, 3)) < 0.5
    y_score = rng.random((keys.size, 3))
    state = ml.SlicedCounts(3).update(y_true, y_score, groups={"k": keys}, threshold=0.5)
    assert state.keys == [(key,) for key in sorted(set(ends))]
    for (key,), counts in state.items():
        rows = np.array([k == key for k in keys.tolist()])
        assert counts == ml.MultilabelCounts.from_batch(y_true[rows], y_score[rows], threshold=0.5)


@pytest.mark.parametrize("ends", [[2**63 - 1], [2**63 - 2, 2**63 - 1], [-(2**63)]])
def test_one_or_two_int_keys_at_int64s_end_round_trip(ends: list[int]) -> None:
    # One or two values take the shortcut past counting: their keys stay ints.
    rng = np.random.default_rng(19)
    keys = np.array(ends * 5, dtype=np.int64)
    y_true = rng.random((keys.size, 2)) < 0.5
    state = ml.SlicedCounts(2).update(y_true, y_true, groups={"k": keys})
    assert state.keys == [(key,) for key in sorted(ends)]
    assert all(type(key) is int for (key,) in state.keys)
    assert ml.SlicedCounts.from_dict(json.loads(json.dumps(state.to_dict()))) == state


@pytest.mark.parametrize("weighted", [False, True])
def test_hundreds_of_slices_of_forty_labels_count_each_slice_exactly(weighted: bool) -> None:
    # 200 slices x 41**3 triples is past a dense count of every key: the triples present are
    # numbered first, and each slice's histogram must still be that of its rows alone.
    rng = np.random.default_rng(12)
    n = 60_000
    y_true = rng.random((n, 40)) < 0.3
    y_score = rng.random((n, 40)).astype(np.float32)
    groups = rng.integers(0, 200, n)
    weight = rng.random(n) if weighted else None
    state = ml.SlicedCounts(40, max_slices=200).update(
        y_true, y_score, groups=groups, threshold=0.5, sample_weight=weight
    )
    _assert_each_slice_counts_alike(state, y_true, y_score, groups, 0.5, weight)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_slices=st.sampled_from([2, 61, 3000]),
    n_triples=st.sampled_from([1, 5, 2000]),
    weighted=st.booleans(),
)
def test_key_histograms_of_many_slices_equal_a_sort(
    seed: int, n_slices: int, n_triples: int, weighted: bool
) -> None:
    # Dense counting, numbered triples, or (3000 slices x 2000 triples, past the dense
    # limit) a sort: the same sorted keys, sums and counts as np.unique gives.
    from multilabel_attr.core.counts._counting import _histogram

    rng = np.random.default_rng(seed)
    cube = 41**3
    triples = rng.choice(cube, n_triples, replace=False)
    keys = rng.integers(0, n_slices, 5000) * cube + triples[rng.integers(0, n_triples, 5000)]
    weights = rng.random(5000) if weighted else None
    unique, weight, count = _histogram(keys.astype(np.int64), weights, 40, n_slices)
    expected, inverse = np.unique(keys, return_inverse=True)
    np.testing.assert_array_equal(unique, expected)
    np.testing.assert_array_equal(count, np.bincount(inverse))
    np.testing.assert_array_equal(
        weight, np.bincount(inverse, weights) if weighted else np.bincount(inverse)
    )


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_parts=st.integers(1, 4),
    high=st.sampled_from([50, 1 << 30, 1 << 62]),
    ordered=st.booleans(),
)
def test_merged_histograms_equal_a_sort(seed: int, n_parts: int, high: int, ordered: bool) -> None:
    # Histograms to merge hold sorted keys (a stable sort merges them in one pass); unsorted
    # keys are merged right too. Keys past the dense range are merged as np.unique gives.
    from multilabel_attr.core.counts._counting import merge_histograms

    rng = np.random.default_rng(seed)
    keys = [rng.choice(high, rng.integers(0, 50), replace=False) for _ in range(n_parts)]
    keys = [np.sort(k) if ordered else k for k in keys]
    weights = tuple(rng.random(k.size) for k in keys)
    counts = tuple(rng.integers(1, 9, k.size) for k in keys)
    unique, weight, count = merge_histograms(tuple(keys), weights, counts)
    everything = np.concatenate(keys)
    expected, inverse = np.unique(everything, return_inverse=True)
    np.testing.assert_array_equal(unique, expected)
    np.testing.assert_array_equal(weight, np.bincount(inverse, np.concatenate(weights)))
    np.testing.assert_array_equal(count, np.bincount(inverse, np.concatenate(counts)))
